from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class DunningReply(http.Controller):
    """The links of a reply's to-do: read the customer's reply as what the link
    says (confirm the reading, or correct it), then back to the invoice."""

    @http.route(
        "/dunning/reply/<int:event_id>/<string:reading>",
        type="http",
        auth="user",
        methods=["GET"],
    )
    def dunning_reply_read_as(self, event_id, reading, token=None, **kwargs):
        event = request.env["dunning.event"].sudo().browse(event_id).exists()
        # The signed link stands for a form: a link made elsewhere does nothing.
        if not event or not event._reply_check_token(reading, token):
            raise NotFound()
        company = event.company_id
        if company not in request.env.user.company_ids:
            raise NotFound()
        invoice = f"/odoo/account.move/{event.move_id.id}"
        # Decided already (from the to-do or the history): the link is spent.
        if event.reply_status == "to_check":
            event.with_user(request.env.user).with_context(
                allowed_company_ids=company.ids
            )._reply_set_reading(reading)
        return request.redirect(invoice)
