"""The statistics of an A/B test of reminder templates: which variant a customer
gets, and whether one variant recovers more than another.

Standard library only: this file is loaded on its own, without Odoo, by its tests.

A variant is chosen by a hash of the test's key and the customer, so that a
customer gets the same variant each time (a rerun sends the same message), and
the customers split in the proportion of the weights. Two variants are compared
by the share of their reminders paid within a window (7, 14, 30 days), with a
two-sided two-proportion z-test; a verdict is given at 95% confidence, and until
then the number of reminders still needed to tell the observed difference at 95%
confidence with 80% power.
"""

import hashlib
import math
from typing import NamedTuple

# The confidence a verdict needs, and the power of the estimate of the reminders
# still needed (their z values).
CONFIDENCE = 0.95
Z_CONFIDENCE = 1.959964
Z_POWER = 0.841621
# The fewest reminders of each variant for any verdict: the normal approximation
# of the test does not hold below.
MIN_PER_VARIANT = 30
# The difference the estimate of the reminders needed aims at when the variants
# recover the same so far (points).
SMALLEST_DIFFERENCE = 0.05


def pick(key, customer, weights):
    """Index in ``weights`` (positive integers) of the variant of ``customer``
    in the test ``key``; None when there is nothing to choose from."""
    total = sum(weights)
    if not weights or total <= 0:
        return None
    digest = hashlib.sha256(f"{key}:{customer}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    return len(weights) - 1


class Comparison(NamedTuple):
    """``challenger`` against ``control``: their shares recovered, the
    difference in points (challenger minus control), the confidence that it is
    not chance (0 to 1), whether it is enough for a verdict, and the reminders
    still needed when it is not."""

    control_share: float
    challenger_share: float
    difference: float
    confidence: float
    decided: bool
    more_needed: int


def _normal_cdf(value):
    return 0.5 * (1.0 + math.erf(value / math.sqrt(2.0)))


def needed_per_variant(share_a, share_b):
    """Reminders each variant needs to tell ``share_a`` from ``share_b`` at 95%
    confidence with 80% power."""
    difference = abs(share_b - share_a)
    if difference < SMALLEST_DIFFERENCE:
        middle = (share_a + share_b) / 2
        share_a = max(middle - SMALLEST_DIFFERENCE / 2, 0.0)
        share_b = min(share_a + SMALLEST_DIFFERENCE, 1.0)
        difference = share_b - share_a
    mean = (share_a + share_b) / 2
    spread = Z_CONFIDENCE * math.sqrt(2 * mean * (1 - mean)) + Z_POWER * math.sqrt(
        share_a * (1 - share_a) + share_b * (1 - share_b)
    )
    return max(math.ceil((spread / difference) ** 2), MIN_PER_VARIANT)


def compare(control, challenger):
    """Compare two variants, each a (reminders, recovered) pair."""
    sent_a, won_a = control
    sent_b, won_b = challenger
    share_a = won_a / sent_a if sent_a else 0.0
    share_b = won_b / sent_b if sent_b else 0.0
    confidence = 0.0
    if sent_a and sent_b:
        pooled = (won_a + won_b) / (sent_a + sent_b)
        error = math.sqrt(pooled * (1 - pooled) * (1 / sent_a + 1 / sent_b))
        if error:
            z_value = abs(share_b - share_a) / error
            confidence = 2 * _normal_cdf(z_value) - 1
    enough = min(sent_a, sent_b) >= MIN_PER_VARIANT
    decided = enough and confidence >= CONFIDENCE and share_a != share_b
    more = 0
    if not decided:
        need = needed_per_variant(share_a, share_b)
        more = max(need - sent_a, 0) + max(need - sent_b, 0)
    return Comparison(share_a, share_b, share_b - share_a, confidence, decided, more)
