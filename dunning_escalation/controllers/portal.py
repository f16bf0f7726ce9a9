import re
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount

ANSWERS = ("pay", "paid", "dispute")
# The outcome of an answer waits in the customer's session for the page it
# redirects to: a link's query string never puts text on the invoice page.
SESSION_KEY = "dunning_portal_feedback"
FEEDBACK_KEYS = (
    "dunning_answer",
    "dunning_error",
    "dunning_form",
    "dunning_note",
    "dunning_paid_on",
    "dunning_instalments",
    "dunning_first_date",
)


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
        self,
        invoice_id,
        answer,
        access_token=None,
        note=None,
        paid_on=None,
        instalments=None,
        first_date=None,
        **kw,
    ):
        try:
            invoice = self._document_check_access(
                "account.move", invoice_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if answer not in (*ANSWERS, "plan"):
            return request.not_found()
        try:
            if answer == "plan":
                # Nothing of a request that fails is kept.
                with request.env.cr.savepoint():
                    request.env["dunning.plan"].sudo()._request_from_portal(
                        invoice, instalments, first_date
                    )
            else:
                invoice._dunning_portal_answer(answer, note=note, paid_on=paid_on)
            feedback = {"dunning_answer": answer}
        except UserError as error:
            # Back to the form, with what to correct and what was typed.
            feedback = {
                "dunning_error": str(error.args[0]),
                "dunning_form": answer,
                "dunning_note": note or "",
                "dunning_paid_on": paid_on or "",
                "dunning_instalments": instalments or "",
                "dunning_first_date": first_date or "",
            }
        stored = dict(request.session.get(SESSION_KEY) or {})
        stored[str(invoice.id)] = feedback
        request.session[SESSION_KEY] = stored
        query = f"?{urlencode({'access_token': access_token})}" if access_token else ""
        return request.redirect(f"/my/invoices/{invoice.id}{query}#dunning_answer")

    @http.route(
        "/my/invoices/<int:invoice_id>/payment_plan",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def portal_dunning_plan_pdf(self, invoice_id, access_token=None, **kw):
        """The running payment plan of the invoice, as the PDF the customer
        signs, for whoever may see the invoice."""
        try:
            invoice = self._document_check_access(
                "account.move", invoice_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        plan = invoice.sudo()._dunning_plan()
        if plan.state != "running":
            return request.not_found()
        report = (
            request.env["ir.actions.report"]
            .sudo()
            .with_company(plan.company_id)
            ._render_qweb_pdf("dunning_escalation.action_report_dunning_plan", plan.ids)
        )[0]
        filename = re.sub(r"\W+", "_", plan.name) + ".pdf"
        return request.make_response(
            report,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(report)),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        stored = dict(request.session.get(SESSION_KEY) or {})
        feedback = stored.pop(str(invoice.id), {})
        if feedback:
            request.session[SESSION_KEY] = stored
        values.update({key: feedback.get(key, "") for key in FEEDBACK_KEYS})
        return values
