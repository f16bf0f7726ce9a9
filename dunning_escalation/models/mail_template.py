import json

from odoo import api, models
from odoo.tools import SQL

from .ir_qweb import CACHE_KEY

# The reminder templates (data/mail_template_data.xml) of version 19.0.1.0.0 added up
# the total due across currencies with the monetary widget; what replaces it.
REMINDER_TEMPLATES = (
    "mail_template_dunning_level_friendly",
    "mail_template_dunning_level_1",
    "mail_template_dunning_level_2",
    "mail_template_dunning_level_3",
)
TOTALS_PER_CURRENCY = (
    (
        "t-out=\"inv.amount_residual\" t-options=\"{'widget': 'monetary', "
        "'display_currency': inv.currency_id}\"",
        't-out="format_amount(inv.amount_residual, inv.currency_id)"',
    ),
    (
        "t-out=\"sum(object.dunning_statement_moves().mapped('amount_residual'))\" "
        "t-options=\"{'widget': 'monetary', 'display_currency': object.currency_id}\"",
        't-out="object.dunning_statement_total()"',
    ),
)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _has_unsafe_expression_template_qweb(self, source, model, fname=None):
        """During a dunning run, whether a body holds expressions that need the
        QWeb engine is found once per template, not before each mail: finding it
        compiles the whole body."""
        cache = self.env.context.get(CACHE_KEY)
        if cache is None:
            return super()._has_unsafe_expression_template_qweb(source, model, fname)
        key = ("unsafe", str(source), model, fname)
        if key not in cache:
            cache[key] = super()._has_unsafe_expression_template_qweb(
                source, model, fname
            )
        return cache[key]

    @api.model
    def _generate_template_attachments(
        self, res_ids, render_fields, render_results=None
    ):
        """The addon's reports attached to a template (the customer's statement)
        are rendered for all the records of a mass mailing together, in batches,
        instead of one wkhtmltopdf run per mail; Odoo then takes each record's PDF
        from the context (ir.actions.report._render_qweb_pdf)."""
        reports = self.report_template_ids.filtered(
            lambda report: report.report_name.startswith("dunning_escalation.")
        )
        if len(res_ids) > 1 and reports and "report_template_ids" in render_fields:
            self = self.with_context(
                dunning_rendered_pdfs={
                    report.id: report._dunning_render_pdfs(res_ids)
                    for report in reports
                }
            )
        return super()._generate_template_attachments(
            res_ids, render_fields, render_results=render_results
        )

    def _dunning_migrate_totals_per_currency(self):
        """Rewrite the amounts of the reminder templates of an older version, in
        every language, to the totals per currency. The templates are data a user
        may edit, never updated by an upgrade: only the two expressions change,
        and an expression its user edited is left as it is."""
        templates = self.browse(
            [
                template.id
                for xmlid in REMINDER_TEMPLATES
                if (
                    template := self.env.ref(
                        f"dunning_escalation.{xmlid}", raise_if_not_found=False
                    )
                )
            ]
        )
        if not templates:
            return
        self.flush_model(["body_html"])
        body = SQL("body_html::text")
        for old, new in TOTALS_PER_CURRENCY:
            # As they read inside the JSON of the translations.
            old_json, new_json = json.dumps(old)[1:-1], json.dumps(new)[1:-1]
            body = SQL("replace(%s, %s, %s)", body, old_json, new_json)
        self.env.cr.execute(
            SQL(
                "UPDATE mail_template SET body_html = %s::jsonb WHERE id = ANY(%s)",
                body,
                templates.ids,
            )
        )
        templates.invalidate_recordset(["body_html"])
