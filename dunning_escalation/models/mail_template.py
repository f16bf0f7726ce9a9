from odoo import models

from .ir_qweb import CACHE_KEY


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
