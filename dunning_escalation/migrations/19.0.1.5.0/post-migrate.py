"""19.0.1.5.0: payment plans that ended keep their figures; refused requests.

- A plan that ended (kept, broken, cancelled) keeps what it brought in as it stood
  on its last day: the figure it shows now is fixed as that.
- A customer's request that a user refused was stored as cancelled: it is refused
  (never agreed, asked on the portal), so that the portal does not offer those
  invoices again.
- A request still waiting for an answer holds its invoices until a user answers:
  their pause takes the reason only a plan ends.
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
    cr.execute(
        """
        UPDATE account_move m
           SET dunning_block_reason = 'plan'
          FROM account_move_dunning_plan_rel rel
          JOIN dunning_plan p ON p.id = rel.dunning_plan_id
         WHERE rel.account_move_id = m.id
           AND p.state = 'requested'
           AND m.dunning_block_reason = 'other'
           AND m.dunning_blocked_until = p.request_pause_until
        """
    )
    _logger.info("dunning: %s invoices held by a plan request", cr.rowcount)
