from odoo import fields, models
from odoo.exceptions import AccessError


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
    )

    def write(self, vals):
        written_off = self.env.ref(
            "dunning_escalation.project_task_stage_written_off",
            raise_if_not_found=False,
        )
        newly_written_off = self.browse()
        if written_off and vals.get("stage_id") == written_off.id:
            newly_written_off = self.filtered(
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

    def action_dunning_write_off(self):
        """Write the case off (the button asks for confirmation first)."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._("Only accounting administrators may write a case off.")
            )
        stage = self.env.ref("dunning_escalation.project_task_stage_written_off")
        self.sudo().write({"stage_id": stage.id})
        return True
