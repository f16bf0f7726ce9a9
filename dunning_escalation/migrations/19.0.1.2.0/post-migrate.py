"""19.0.1.2.0: the law's defaults and private collection cases.

- A company's default policy that still charges every customer under the EU late
  payment directive (the former default) picks each customer's law by country and
  kind instead: a customer outside the EU, or a consumer, is no longer charged the
  directive's compensation and interest.
- The shared Collections project becomes private to the people invited (collection
  cases name customers' debts) and gets the Recalled stage.
"""

import logging

from odoo import SUPERUSER_ID, Command, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    policies = (
        env["res.company"]
        .search([])
        .dunning_policy_id.filtered(lambda policy: policy.legal_profile == "eu_b2b")
    )
    if policies:
        _logger.info(
            "dunning: default policies %s now pick the law by the customer's country "
            "and kind instead of the EU directive for everyone",
            ", ".join(policies.mapped("name")),
        )
        policies.legal_profile = "by_customer"
    project = env.ref(
        "dunning_escalation.project_collections", raise_if_not_found=False
    )
    recalled = env.ref(
        "dunning_escalation.project_task_stage_recalled", raise_if_not_found=False
    )
    if project:
        project.privacy_visibility = "followers"
        if recalled and recalled not in project.type_ids:
            project.type_ids = [Command.link(recalled.id)]
