# Pure Python helpers: standard library only, no Odoo import, so that each file loads
# (and is tested) on its own.
