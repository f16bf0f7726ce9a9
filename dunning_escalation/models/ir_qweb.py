from lxml import etree

from odoo import models

# The context key under which a dunning run keeps its compiled mail bodies.
CACHE_KEY = "dunning_qweb_cache"


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """During a dunning run, a mail template's body is compiled once and reused
        for every customer, instead of compiled again for each mail: the renderer
        of mail templates hands over a fresh copy of the same body each time. The
        compiled body is keyed by its source and by the rendering context (language,
        user, restrictions), leaving out what only varies per customer."""
        cache = self.env.context.get(CACHE_KEY)
        if cache is None or not isinstance(template, etree._Element):
            return super()._compile(template)
        key = (
            etree.tostring(template),
            repr(
                sorted(
                    (name, value)
                    for name, value in self.env.context.items()
                    if not name.startswith(("__qweb", "_qweb", "dunning_"))
                )
            ),
        )
        if key not in cache:
            cache[key] = super()._compile(template)
        return cache[key]
