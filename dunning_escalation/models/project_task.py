from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import pdf

from .account_move_mail import message_post_values

# Stages of a collection case that only accounting administrators move a case into
# or out of, whatever the path (button, drag and drop, import).
GUARDED_STAGES = ("project_task_stage_written_off",)


class ProjectTask(models.Model):
    _inherit = "project.task"

    dunning_move_ids = fields.Many2many(
        "account.move",
        "dunning_task_move_rel",
        "task_id",
        "move_id",
        string="Handed-over Invoices",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("dunning_move_ids") for vals in vals_list):
            raise AccessError(self._dunning_link_refusal())
        return super().create(vals_list)

    def write(self, vals):
        if "dunning_move_ids" in vals and not self.env.su:
            raise AccessError(self._dunning_link_refusal())
        written_off = self.env.ref(
            "dunning_escalation.project_task_stage_written_off",
            raise_if_not_found=False,
        )
        if "stage_id" in vals and not self.env.su:
            self._dunning_check_stage_change(vals["stage_id"])
        newly_written_off = self.browse()
        if written_off and vals.get("stage_id") == written_off.id:
            newly_written_off = self.sudo().filtered(
                lambda task: task.dunning_move_ids and task.stage_id != written_off
            )
        result = super().write(vals)
        for task in newly_written_off:
            task.dunning_move_ids._dunning_record(
                "write_off",
                self.env._(
                    "Written off by %(user)s (task %(task)s)",
                    user=self.env.user.name,
                    task=task.display_name,
                ),
            )
        return result

    def _dunning_link_refusal(self):
        return self.env._(
            "The invoices of a collection case are handed over by dunning (Hand Off "
            "to Collection Agency) and taken back by a recall, not linked by hand."
        )

    def _dunning_check_stage_change(self, stage_id):
        """Only accounting administrators write a collection case off, or take
        it back out of Written Off."""
        # Read as superuser: the invoices are hidden from users without accounting
        # rights, who may still move tasks.
        cases = self.sudo().filtered("dunning_move_ids")
        guarded = {
            stage.id
            for xmlid in GUARDED_STAGES
            if (
                stage := self.env.ref(
                    f"dunning_escalation.{xmlid}", raise_if_not_found=False
                )
            )
        }
        touching = cases and (
            stage_id in guarded or any(task.stage_id.id in guarded for task in cases)
        )
        if touching and not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._(
                    "Only accounting administrators may write a collection case "
                    "off or take it out of Written Off."
                )
            )

    def action_dunning_write_off(self):
        """Write the case off (the button asks for confirmation first)."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._("Only accounting administrators may write a case off.")
            )
        stage = self.env.ref("dunning_escalation.project_task_stage_written_off")
        self.sudo().write({"stage_id": stage.id})
        return True

    def _dunning_log_creation(self):
        """The "task created" message of each of self (cases created with
        ``mail_create_nolog``), as creating a task posts it: from the user, of the
        task's creation subtype, notified to the followers of that subtype (those
        of the project who follow its new tasks). The messages are created
        together, the lookups made once, each then notified by the mail module.
        Nothing is logged where creating would not log (``tracking_disable``,
        ``mail_create_nolog`` in the context)."""
        context = self.env.context
        if (
            not self
            or context.get("tracking_disable")
            or context.get("mail_create_nolog")
        ):
            return self.env["mail.message"]
        tasks = self.sudo()
        author_id = self.env.user.partner_id.id
        author_id, email_from = tasks._message_compute_author(author_id)
        companies = tasks._mail_get_companies(default=self.env.company)
        alias_domains = tasks._mail_get_alias_domains(default_company=self.env.company)
        reply_tos = tasks._notify_get_reply_to(default=email_from, author_id=author_id)
        msg_vals_list = [
            message_post_values(
                task,
                author_id=author_id,
                email_from=email_from,
                body=Markup('<div summary="o_mail_notification"><p>%s</p></div>')
                % task._creation_message(),
                message_type="notification",
                subtype_id=task._creation_subtype().id,
                record_alias_domain_id=alias_domains[task.id].id,
                record_company_id=companies[task.id].id,
                reply_to=reply_tos[task.id],
            )
            for task in tasks
        ]
        messages = tasks._message_create(msg_vals_list)
        for task, message, msg_vals in zip(tasks, messages, msg_vals_list, strict=True):
            task = task._fallback_lang()
            task._message_post_after_hook(message, msg_vals)
            task._notify_thread(message, msg_vals)
        return messages

    def _dunning_attach_case_files(self, policies):
        """Attach to each case of self its case file (its invoices' statement and
        history, then copies of every letter they were sent), rendered together,
        and mail it to the agency where its policy (``policies``: {case: policy})
        says so. A case file that cannot be made is said on its case."""
        _ = self.env._
        # The case is the agency's business, rendered whoever handed it over.
        report = self.env.ref("dunning_escalation.action_report_dunning_case_file")
        pdfs = report.sudo()._dunning_render_pdfs(self.ids)
        made, values = self.browse(), []
        for task in self:
            content, error = pdfs[task.id]
            if error:
                task.message_post(body=_("The case file could not be made: %s", error))
                continue
            letters = task.dunning_move_ids.dunning_event_ids.filtered(
                lambda event: event.kind == "letter" and event.attachment_id
            ).attachment_id.sudo()
            if letters:
                content = pdf.merge_pdf([content, *letters.mapped("raw")])
            made |= task
            values.append(
                {
                    "name": _("Case file %s.pdf", task.name),
                    "raw": content,
                    "res_model": "project.task",
                    "res_id": task.id,
                    "mimetype": "application/pdf",
                }
            )
        attachments = self.env["ir.attachment"].sudo().create(values)
        for task, attachment in zip(made, attachments, strict=True):
            policy = policies[task]
            if policy.handoff_mail_agency and policy.agency_partner_id.email:
                # Mailed, not made a follower: the agency gets no access to the case
                # in the project, nor to any other.
                task.with_context(
                    mail_notify_force_send=False, mail_post_autofollow=False
                ).message_post(
                    body=_("Please find the case file of %s attached.", task.name),
                    subject=task.name,
                    partner_ids=policy.agency_partner_id.ids,
                    attachment_ids=attachment.ids,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
        return attachments
