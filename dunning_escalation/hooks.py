"""What installing the addon does beyond loading its data."""

import logging

from .demo import dunning_demo
from .models.account_move import DUNNED_MOVE_TYPES

_logger = logging.getLogger(__name__)


def _post_init_hook(env):
    """Give every existing company the default dunning policy, and every existing
    customer invoice the policy it now falls under; with demo data, build the demo
    customers, their invoices and the job's history (demo/dunning_demo.py)."""
    env["res.company"].search([])._dunning_ensure_default_policy()
    Move = env["account.move"].with_context(active_test=False)
    moves = Move.search([("move_type", "in", DUNNED_MOVE_TYPES)])
    env.add_to_compute(Move._fields["dunning_policy_id"], moves)
    env.flush_all()
    module = env["ir.module.module"].search([("name", "=", "dunning_escalation")])
    if module.demo:
        try:
            with env.cr.savepoint():
                dunning_demo.populate(env)
        except Exception:  # as Odoo does with demo data: installed without it
            _logger.warning("dunning: the demo data failed to build", exc_info=True)
