"""19.0.1.5.0: payment plans that ended keep their figures; refused requests.

- A plan that ended (kept, broken, cancelled) keeps what it brought in as it stood
  on its last day: the figure it shows now is fixed as that.
- A customer's request that a user refused was stored as cancelled: it is refused
  (never agreed, asked on the portal), so that the portal does not offer those
  invoices again.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute(
        """
        UPDATE dunning_plan
           SET amount_paid_at_close = COALESCE(amount_paid, 0)
         WHERE state IN ('kept', 'broken', 'cancelled')
        """
    )
    cr.execute(
        """
        UPDATE dunning_plan
           SET state = 'refused'
         WHERE state = 'cancelled' AND origin = 'portal' AND date_start IS NULL
        """
    )
    _logger.info("dunning: %s refused payment plan requests", cr.rowcount)
