"""Tests of tools/abtest.py, loaded from its file path: no Odoo involved. The
figures are worked by hand (pooled share, standard error, z value, normal
distribution), not read back from the module."""

import collections
import unittest

from .standalone import load_tool
from .standalone import run_without_odoo

abtest = load_tool("abtest")


class TestPick(unittest.TestCase):
    def test_the_same_customer_gets_the_same_variant(self):
        first = [abtest.pick("level-7", customer, [1, 1]) for customer in range(50)]
        again = [abtest.pick("level-7", customer, [1, 1]) for customer in range(50)]
        self.assertEqual(first, again)
        self.assertEqual(set(first), {0, 1})

    def test_customers_split_by_the_weights(self):
        counts = collections.Counter(
            abtest.pick("level-7", customer, [3, 1]) for customer in range(4000)
        )
        # Three to one, within 2 points of 75%.
        self.assertAlmostEqual(counts[0] / 4000, 0.75, delta=0.02)

    def test_another_test_splits_the_customers_anew(self):
        one = [abtest.pick("level-7", customer, [1, 1]) for customer in range(200)]
        other = [abtest.pick("level-8", customer, [1, 1]) for customer in range(200)]
        self.assertNotEqual(one, other)

    def test_nothing_to_pick(self):
        self.assertIsNone(abtest.pick("level-7", 1, []))
        self.assertIsNone(abtest.pick("level-7", 1, [0, 0]))
        self.assertEqual(abtest.pick("level-7", 1, [0, 5]), 1)


class TestCompare(unittest.TestCase):
    def test_a_difference_not_yet_sure(self):
        # 60 of 200 against 78 of 200: pooled 0.345, standard error
        # sqrt(0.345 x 0.655 x 2/200) = 0.04754, z = 0.09 / 0.04754 = 1.893,
        # confidence 2 x Phi(1.893) - 1 = 94.2%. To tell 30% from 39%:
        # (1.96 x sqrt(2 x 0.345 x 0.655) + 0.8416 x sqrt(0.21 + 0.2379))^2
        # / 0.09^2 = 436.8, 437 each: 237 + 237 more.
        result = abtest.compare((200, 60), (200, 78))
        self.assertAlmostEqual(result.control_share, 0.30)
        self.assertAlmostEqual(result.challenger_share, 0.39)
        self.assertAlmostEqual(result.difference, 0.09)
        self.assertAlmostEqual(result.confidence, 0.9417, places=3)
        self.assertFalse(result.decided)
        self.assertEqual(result.more_needed, 474)

    def test_a_difference_sure_enough(self):
        # 90 of 300 against 117 of 300: error sqrt(0.225975 x 2/300) = 0.03881,
        # z = 2.319, confidence 98.0%.
        result = abtest.compare((300, 90), (300, 117))
        self.assertAlmostEqual(result.confidence, 0.9796, places=3)
        self.assertTrue(result.decided)
        self.assertEqual(result.more_needed, 0)

    def test_too_few_reminders_for_any_verdict(self):
        # 5 of 20 against 15 of 20 is a wide gap (z = 3.16), but 20 a variant
        # is below the 30 the test needs.
        result = abtest.compare((20, 5), (20, 15))
        self.assertGreater(result.confidence, 0.99)
        self.assertFalse(result.decided)
        self.assertEqual(result.more_needed, 20)

    def test_no_reminder_yet(self):
        result = abtest.compare((0, 0), (0, 0))
        self.assertEqual(result.confidence, 0.0)
        self.assertFalse(result.decided)
        self.assertGreater(result.more_needed, 0)


class TestWithoutOdoo(unittest.TestCase):
    def test_loads_without_odoo(self):
        result = run_without_odoo("abtest", "m.pick('k', 1, [1])")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "0")
