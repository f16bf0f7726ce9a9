"""19.0.1.7.0: partial payments are applied in the law's order.

The policy's *Apply Payments in the Law's Order* came with 19.0.1.6.0 switched off
and off the form, while the rest of the feature was built; nobody could choose it.
Every policy now takes the new default (on): under the Dutch, German and Belgian
profiles a payment on an invoice settles its open charges first. Payments already
reconciled stay as they are.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute("UPDATE dunning_policy SET payment_in_law_order = TRUE")
    _logger.info("dunning: %s policies apply payments in the law's order", cr.rowcount)
