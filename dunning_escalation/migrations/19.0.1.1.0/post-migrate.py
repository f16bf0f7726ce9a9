"""19.0.1.1.0: the reminder templates show the total due per currency."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["mail.template"]._dunning_migrate_totals_per_currency()
