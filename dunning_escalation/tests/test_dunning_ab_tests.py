from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import DunningCase
from .common import customers


@tagged("post_install", "-at_install")
class TestDunningAbTests(DunningCase):
    """A level's reminder in two variants: each customer gets one, the same
    every time, recorded in the history; the level compares them by recovery
    and says which recovers more; an administrator keeps the winner."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_b = cls.level_1.mail_template_id.copy(
            {"name": "Reminder, short", "subject": "Variant B: {{ object.name }}"}
        )
        cls.variant_a, cls.variant_b = cls.env["dunning.level.variant"].create(
            [
                {"level_id": cls.level_1.id, "name": "A", "sequence": 1},
                {
                    "level_id": cls.level_1.id,
                    "name": "B",
                    "sequence": 2,
                    "mail_template_id": cls.template_b.id,
                },
            ]
        )
        # Forty customers of each variant, from a pool the hash splits.
        by_variant = {cls.variant_a: [], cls.variant_b: []}
        for partner in customers(cls.env, 140, prefix="Shop"):
            chosen = by_variant[cls.level_1._variant_for(partner)]
            if len(chosen) < 40:
                chosen.append(partner)
        cls.shops_a, cls.shops_b = by_variant[cls.variant_a], by_variant[cls.variant_b]
        assert len(cls.shops_a) == len(cls.shops_b) == 40
        cls.invoices = {
            partner: cls._invoice("2026-03-01", 100.0, partner=partner)
            for partner in cls.shops_a + cls.shops_b
        }

    def _pay(self, partners, day):
        moves = self.Move.union(*(self.invoices[p] for p in partners))
        with freeze_time(day):
            for move in moves:
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=move.ids
                ).create({"payment_date": day})._create_payments()
        self.env.invalidate_all()

    def _verdict(self, day):
        self.env.invalidate_all()
        return self.level_1.with_context(dunning_date=day).ab_verdict

    def test_each_customer_gets_one_variant_every_time(self):
        self._run("2026-03-05")
        moves = self.Move.union(*self.invoices.values())
        sent = self._events(moves, "email")
        self.assertEqual(len(sent), 80)
        for partner in self.shops_a[:3] + self.shops_b[:3]:
            event = sent.filtered(lambda e, p=partner: e.move_id.partner_id == p)
            mail = self._mails_of(event)
            with self.subTest(partner=partner.name):
                if partner in self.shops_a:
                    self.assertEqual(event.variant_id, self.variant_a)
                    self.assertTrue(mail.subject.startswith("Payment reminder:"))
                else:
                    self.assertEqual(event.variant_id, self.variant_b)
                    self.assertEqual(
                        mail.subject, f"Variant B: {self.invoices[partner].name}"
                    )
        self.assertEqual(
            len(sent.filtered(lambda e: e.variant_id == self.variant_b)), 40
        )
        # Sent again by hand: the same variant.
        shop = self.shops_b[0]
        with freeze_time("2026-03-06"):
            self.invoices[shop].action_dunning_send_again()
        resent = self._events(self.invoices[shop], "email").filtered(
            lambda e: not e.level_id
        )
        self.assertEqual(len(resent), 1)
        self.assertEqual(resent.variant_id, self.variant_b)
        self.assertEqual(
            self._mails_of(resent).subject, f"Variant B: {self.invoices[shop].name}"
        )

    def test_the_level_says_which_variant_recovers_more(self):
        self._run("2026-03-05")
        # 12 of A's and 20 of B's paid 4 days after the reminder.
        self._pay(self.shops_a[:12], "2026-03-09")
        self._pay(self.shops_b[:20], "2026-03-09")
        self.assertRecordValues(
            (self.variant_a | self.variant_b).with_context(dunning_date="2026-04-10"),
            [
                {
                    "sent_count": 40,
                    "recovered_07": 30.0,
                    "recovered_14": 30.0,
                    "recovered_30": 30.0,
                },
                {
                    "sent_count": 40,
                    "recovered_07": 50.0,
                    "recovered_14": 50.0,
                    "recovered_30": 50.0,
                },
            ],
        )
        # 30% against 50% of 40 each: z = 0.2 / sqrt(0.4 x 0.6 x 2/40) = 1.83,
        # 93% confidence; telling them apart takes 93 each: 53 + 53 more.
        self.assertEqual(
            self._verdict("2026-04-10"),
            "B against A: not enough data yet, 106 more reminders needed (50% and "
            "30% paid within 14 days so far)",
        )
        # Not yet 14 days after the reminders: nothing to compare.
        self.assertEqual(
            self._verdict("2026-03-18"),
            "B against A: not enough data yet, no reminders of both sent 14 days "
            "ago or more",
        )
        # 8 more of B's paid 10 days after: 70% within 14 days, 50% within 7.
        self._pay(self.shops_b[20:28], "2026-03-15")
        variant_b = self.variant_b.with_context(dunning_date="2026-04-10")
        self.assertEqual(
            (variant_b.recovered_07, variant_b.recovered_14, variant_b.recovered_30),
            (50.0, 70.0, 70.0),
        )
        # z = 0.4 / sqrt(0.5 x 0.5 x 2/40) = 3.58: 99.97%, said as 99%.
        self.assertEqual(
            self._verdict("2026-04-10"),
            "B recovers 40 points more within 14 days than A; 99% confidence",
        )
        # The administrator keeps B: the level sends it from now on.
        with self.assertRaises(AccessError):
            self.variant_b.with_user(self._invoicing_user()).action_keep()
        self.variant_b.action_keep()
        self.assertEqual(self.level_1.mail_template_id, self.template_b)
        self.assertFalse(self.level_1.variant_ids)
        self.assertFalse(self._verdict("2026-04-10"))
        # The history keeps which variant each reminder was.
        self.assertEqual(
            self.Event.search_count([("variant_id", "=", self.variant_b.id)]), 40
        )

    def test_a_customer_keeps_its_variant_when_the_test_changes(self):
        self._run("2026-03-05")
        shop_a, shop_b = self.shops_a[0], self.shops_b[0]
        # B now gets nine customers in ten, and a third variant comes in: the
        # customers who had a variant keep it.
        self.variant_b.weight = 9
        self.env["dunning.level.variant"].create(
            {"level_id": self.level_1.id, "name": "C", "weight": 5}
        )
        self.assertEqual(self.level_1._variant_for(shop_a), self.variant_a)
        self.assertEqual(self.level_1._variant_for(shop_b), self.variant_b)
        with freeze_time("2026-03-06"):
            self.invoices[shop_a].action_dunning_send_again()
        resent = self._events(self.invoices[shop_a], "email").filtered(
            lambda e: not e.level_id
        )
        self.assertEqual(resent.variant_id, self.variant_a)

    def test_weights_are_positive(self):
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            self.variant_b.weight = 0

    def _invoicing_user(self):
        return new_test_user(
            self.env, login="ab_invoicing", groups="account.group_account_invoice"
        )
