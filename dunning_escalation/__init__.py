from . import models
from . import wizards


def _post_init_hook(env):
    """Give every existing company the default dunning policy."""
    env["res.company"].search([])._dunning_ensure_default_policy()
