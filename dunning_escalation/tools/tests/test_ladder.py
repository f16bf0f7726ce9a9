"""Tests of tools/ladder.py, loaded from its file path: no Odoo involved."""

import datetime
import unittest

from .standalone import load_tool
from .standalone import run_without_odoo

ladder = load_tool("ladder")
Step = ladder.Step
D = datetime.date

# The default ladder: friendly reminder 3 days before due, then 3, 7, 14 and 30 after.
STEPS = [
    Step("pre", -3),
    Step("l1", 3),
    Step("l2", 7),
    Step("l3", 14),
    Step("agency", 30),
]
DUE = D(2026, 3, 10)


class TestStepDate(unittest.TestCase):
    def test_delay_counts_from_due_date(self):
        self.assertEqual(ladder.step_date(DUE, 7), D(2026, 3, 17))
        self.assertEqual(ladder.step_date(DUE, -3), D(2026, 3, 7))

    def test_grace_days_delay_only_steps_after_due(self):
        self.assertEqual(ladder.step_date(DUE, 7, grace_days=2), D(2026, 3, 19))
        self.assertEqual(ladder.step_date(DUE, -3, grace_days=2), D(2026, 3, 7))

    def test_crosses_month_and_leap_day(self):
        self.assertEqual(ladder.step_date(D(2028, 2, 20), 14), D(2028, 3, 5))

    def test_bad_input_is_refused(self):
        with self.assertRaisesRegex(ValueError, "due date must be a date"):
            ladder.step_date("2026-03-10", 3)
        with self.assertRaisesRegex(ValueError, "grace days cannot be negative"):
            ladder.step_date(DUE, 3, grace_days=-1)


class TestWarrantedIndex(unittest.TestCase):
    def test_level_by_age(self):
        cases = {
            D(2026, 3, 6): None,  # 4 days before due: nothing yet
            D(2026, 3, 7): 0,  # friendly reminder day
            D(2026, 3, 12): 0,  # 2 days late
            D(2026, 3, 13): 1,  # 3 days late
            D(2026, 3, 17): 2,
            D(2026, 3, 24): 3,
            D(2026, 4, 8): 3,  # 29 days late
            D(2026, 4, 9): 4,  # 30 days late: handoff
            D(2027, 1, 1): 4,
        }
        for today, expected in cases.items():
            with self.subTest(today=today):
                self.assertEqual(ladder.warranted_index(STEPS, DUE, today), expected)

    def test_grace_days(self):
        self.assertEqual(
            ladder.warranted_index(STEPS, DUE, D(2026, 3, 14), grace_days=2), 0
        )
        self.assertEqual(
            ladder.warranted_index(STEPS, DUE, D(2026, 3, 15), grace_days=2), 1
        )

    def test_empty_ladder(self):
        self.assertIsNone(ladder.warranted_index([], DUE, D(2027, 1, 1)))


class TestNextDate(unittest.TestCase):
    def test_first_step_when_no_level_yet(self):
        self.assertEqual(ladder.next_date(STEPS, None, DUE), D(2026, 3, 7))

    def test_after_current_level(self):
        self.assertEqual(ladder.next_date(STEPS, "l2", DUE), D(2026, 3, 24))

    def test_none_after_last_level(self):
        self.assertIsNone(ladder.next_date(STEPS, "agency", DUE))

    def test_block_pushes_the_date(self):
        self.assertEqual(
            ladder.next_date(STEPS, "l1", DUE, blocked_until=D(2026, 4, 1)),
            D(2026, 4, 1),
        )
        # A block that ends before the step changes nothing.
        self.assertEqual(
            ladder.next_date(STEPS, "l1", DUE, blocked_until=D(2026, 3, 12)),
            D(2026, 3, 17),
        )


class TestLevelOffTheLadder(unittest.TestCase):
    """An invoice whose level was switched off, or whose customer moved to another
    policy, stands where its level's delay puts it: never lower."""

    def test_switched_off_level_keeps_its_place(self):
        # At "l3" (14 days), then l3 is switched off: the next step is the agency.
        without_l3 = [step for step in STEPS if step.key != "l3"]
        self.assertEqual(ladder.position(without_l3, "l3", 14), 2)
        self.assertEqual(ladder.next_index(without_l3, "l3", 14), 3)
        self.assertEqual(
            ladder.next_date(without_l3, "l3", DUE, current_delay=14), D(2026, 4, 9)
        )

    def test_other_policy_by_delay(self):
        other = [Step("a", 5), Step("b", 10), Step("c", 20), Step("d", 45)]
        # Reached 14 days under the old ladder: past "b" (10), before "c" (20).
        self.assertEqual(ladder.position(other, "l3", 14), 1)
        self.assertEqual(
            ladder.next_date(other, "l3", DUE, current_delay=14), D(2026, 3, 30)
        )
        # Reached 3 days: before the first step of the new ladder.
        self.assertIsNone(ladder.position(other, "l1", 3))
        self.assertEqual(ladder.next_index(other, "l1", 3), 0)
        # Past the top of the new ladder: no step left.
        self.assertIsNone(ladder.next_index(other, "agency", 60))

    def test_unknown_key_without_delay_starts_at_the_bottom(self):
        self.assertIsNone(ladder.position(STEPS, "gone"))
        self.assertEqual(ladder.next_index(STEPS, "gone"), 0)


class TestStandalone(unittest.TestCase):
    def test_loads_without_odoo(self):
        """The module must load in a bare interpreter where importing odoo fails."""
        result = run_without_odoo(
            "ladder", "m.step_date(datetime.date(2026, 1, 31), 1)"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "2026-02-01")
