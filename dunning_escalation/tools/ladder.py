"""Date maths of the dunning ladder: which level an invoice's age warrants, and when.

Standard library only: this file is loaded on its own, without Odoo, by its tests.

A ladder is a sequence of ``Step(key, delay_days)`` in escalation order, where
``delay_days`` counts from the due date (negative: a reminder before the due date).
Grace days push every step that falls after the due date later by that many days;
a step before the due date (a friendly reminder) is not delayed.
"""

import datetime
from typing import NamedTuple


class Step(NamedTuple):
    key: object
    delay_days: int


class Decision(NamedTuple):
    """What a run decides for one invoice today, and why.

    ``level`` is the level the invoice goes to (False: it stays where it is),
    ``skipped`` the levels it jumps over on the way, ``reason`` a sentence for the
    user, ``code`` a stable key for the dry run and the tests.
    """

    move: object
    level: object
    skipped: object
    code: str
    reason: str


def step_date(due, delay_days, grace_days=0):
    """The first day on which a step ``delay_days`` after ``due`` may be taken."""
    if not isinstance(due, datetime.date):
        raise ValueError(f"due date must be a date, not {due!r}")
    if grace_days < 0:
        raise ValueError(f"grace days cannot be negative ({grace_days})")
    extra = grace_days if delay_days > 0 else 0
    return due + datetime.timedelta(days=delay_days + extra)


def warranted_index(steps, due, today, grace_days=0):
    """Index in ``steps`` of the highest step whose date has come on ``today``, or None.

    Steps are taken in order: a later step with a shorter delay than an earlier one is
    not reached before the earlier one.
    """
    found = None
    for index, step in enumerate(steps):
        if step_date(due, step.delay_days, grace_days) > today:
            break
        found = index
    return found


def position(steps, current_key, current_delay=None):
    """Index of the step an invoice at ``current_key`` stands at, or None before
    the first one.

    A key that is no longer on the ladder (its level was switched off, or the
    customer moved to another policy) stands at the last step whose delay is not
    beyond ``current_delay``, the delay of the level it reached: an invoice never
    goes back down the ladder, and never again takes a step it is already past.
    """
    if current_key is None:
        return None
    for index, step in enumerate(steps):
        if step.key == current_key:
            return index
    if current_delay is None:
        return None
    found = None
    for index, step in enumerate(steps):
        if step.delay_days > current_delay:
            break
        found = index
    return found


def next_index(steps, current_key, current_delay=None):
    """Index of the step after ``current_key`` (None: the first step), or None at
    the top. See ``position`` for a key that is no longer on the ladder."""
    at = position(steps, current_key, current_delay)
    index = 0 if at is None else at + 1
    return index if index < len(steps) else None


def next_date(
    steps, current_key, due, grace_days=0, blocked_until=None, current_delay=None
):
    """Date of the step after ``current_key``, pushed to ``blocked_until`` if later.

    Returns None when the ladder has no step left.
    """
    index = next_index(steps, current_key, current_delay)
    if index is None:
        return None
    date = step_date(due, steps[index].delay_days, grace_days)
    if blocked_until and blocked_until > date:
        return blocked_until
    return date
