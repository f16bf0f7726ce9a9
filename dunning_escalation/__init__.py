from . import controllers
from . import models
from . import wizards


def _post_init_hook(env):
    """Give every existing company the default dunning policy, and every existing
    customer invoice the policy it now falls under."""
    env["res.company"].search([])._dunning_ensure_default_policy()
    Move = env["account.move"].with_context(active_test=False)
    moves = Move.search([("move_type", "in", models.account_move.DUNNED_MOVE_TYPES)])
    env.add_to_compute(Move._fields["dunning_policy_id"], moves)
    env.flush_all()
