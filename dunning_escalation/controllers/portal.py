from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount

ANSWERS = ("pay", "paid", "dispute")


class DunningPortal(PortalAccount):
    """The customer's answers to reminders, from the invoice page: pay now, already
    paid, or dispute."""

    @http.route(
        "/my/invoices/<int:invoice_id>/dunning/<string:answer>",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_dunning_answer(
        self, invoice_id, answer, access_token=None, note=None, paid_on=None, **kw
    ):
        try:
            invoice = self._document_check_access(
                "account.move", invoice_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if answer not in ANSWERS:
            return request.not_found()
        params = {"access_token": access_token} if access_token else {}
        try:
            invoice._dunning_portal_answer(answer, note=note, paid_on=paid_on)
            params["dunning_answer"] = answer
        except UserError as error:
            # Back to the form, with what to correct and what was typed.
            params.update(
                dunning_error=str(error.args[0]),
                dunning_form=answer,
                dunning_note=note or "",
                dunning_paid_on=paid_on or "",
            )
        anchor = "#dunning_answer"
        return request.redirect(
            f"/my/invoices/{invoice.id}?{urlencode(params)}{anchor}"
        )

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values.update(
            {
                key: kwargs.get(key, "")
                for key in (
                    "dunning_answer",
                    "dunning_error",
                    "dunning_form",
                    "dunning_note",
                    "dunning_paid_on",
                )
            }
        )
        return values
