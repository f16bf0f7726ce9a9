from odoo import fields, models


class MailActivity(models.Model):
    """The marks by which the jobs find again the to-dos they left."""

    _inherit = "mail.activity"

    dunning_rates_from = fields.Date(
        readonly=True,
        help="The first day of the half year whose missing statutory rates this "
        "to-do reports (set by the dunning run).",
    )
    dunning_fetch_reference = fields.Char(
        readonly=True,
        help="The reference rate whose reading from its central bank failed "
        "(set by the job that reads them).",
    )
