from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from ..models.account_move_payment_qr import normalized_code


class DunningPayLink(http.Controller):
    """The short address a dunning letter prints: leads to the invoice's portal
    page, as the reminder's long link does."""

    @http.route(
        "/pay/<string:code>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    def dunning_pay_link(self, code, **kwargs):
        link = (
            request.env["dunning.pay.link"]
            .sudo()
            .search([("code", "=", normalized_code(code))], limit=1)
        )
        if not link:
            raise NotFound()
        move = link.move_id
        # The invoice's portal token, written as the engine writes it.
        move._dunning_ensure_access_tokens()
        return request.redirect(move.dunning_pay_url(), local=False)
