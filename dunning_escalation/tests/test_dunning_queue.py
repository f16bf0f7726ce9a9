"""The reminders of a run are queued together (models/account_move_mail.py): each
must still be what posting it by hand in the chatter makes, and the cost of a run
must grow by a few queries per customer, not by a whole ``message_post``."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import DunningCase
from .common import customers as _customers


@tagged("post_install", "-at_install")
class TestDunningQueue(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env,
            login="dunning_clerk",
            name="Clerk",
            groups="account.group_account_invoice",
            notification_type="inbox",
        )
        cls.manager = new_test_user(
            cls.env,
            login="dunning_manager",
            name="Manager",
            groups="account.group_account_invoice",
            notification_type="email",
        )

    def _message_fields(self, message):
        return {
            "model": message.model,
            "message_type": message.message_type,
            "subtype_id": message.subtype_id,
            "author_id": message.author_id,
            "email_from": message.email_from,
            "reply_to": message.reply_to,
            "record_company_id": message.record_company_id,
            "record_alias_domain_id": message.record_alias_domain_id,
            "email_add_signature": message.email_add_signature,
        }

    def test_reminder_is_what_posting_it_makes(self):
        """A reminder of the run and the same message posted with message_post on
        an invoice like it: same message, notifications, mails and followers."""
        batched = self._invoice("2026-03-10", 100.0)
        posted = self._invoice("2026-03-10", 100.0, partner=self.customer_2)
        for invoice in batched | posted:
            invoice.message_subscribe(
                partner_ids=(self.clerk | self.manager).partner_id.ids
            )
            invoice.message_post(body="Customer called about the delivery.")
        earlier = batched._dunning_thread_parents()
        self.assertTrue(earlier, "the invoice already has a message to answer")
        self._run("2026-03-13")
        message = self._events(batched, "email").mail_message_id
        self.assertEqual(len(message), 1)
        self.assertEqual(message.res_id, batched.id)
        self.assertEqual(message.parent_id.id, earlier[batched.id])
        self.assertEqual(message.partner_ids, self.customer)
        # The same message, posted by hand on the other invoice.
        reference = posted.with_context(
            mail_notify_force_send=False, mail_post_autofollow=False
        ).message_post(
            body=message.body,
            subject=message.subject,
            partner_ids=self.customer_2.ids,
            author_id=message.author_id.id,
            email_from=message.email_from,
            model_description=posted.type_name,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            mail_auto_delete=False,
        )
        self.assertEqual(self._message_fields(message), self._message_fields(reference))
        self.assertEqual(message.body, reference.body)

        def notified(msg):
            return sorted(
                (n.res_partner_id.name, n.notification_type, n.notification_status)
                for n in msg.notification_ids
            )

        self.assertEqual(
            notified(message),
            [
                ("Bakkerij De Vries", "email", "ready"),
                ("Clerk", "inbox", "sent"),
                ("Manager", "email", "ready"),
            ],
        )
        self.assertEqual(
            [name for name, *_rest in notified(reference)],
            ["Clerk", "Lindqvist AB", "Manager"],
        )
        mails = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        references = self.env["mail.mail"].search(
            [("mail_message_id", "=", reference.id)]
        )
        self.assertEqual(len(mails), len(references))
        for mail, other in zip(
            mails.sorted(lambda m: m.recipient_ids.name),
            references.sorted(lambda m: m.recipient_ids.name),
            strict=True,
        ):
            self.assertEqual(mail.state, "outgoing")
            self.assertFalse(mail.auto_delete)
            self.assertEqual(mail.is_notification, other.is_notification)
            self.assertEqual(mail.subject, other.subject)
            self.assertIn(message.message_id, mail.references)
            # The layout around the reminder: the customer's button opens the
            # invoice on the portal with its token, as Odoo's does.
            self.assertEqual(
                mail.body_html.count("View Invoice"),
                other.body_html.count("View Invoice"),
            )
        customer_mail = mails.filtered(lambda m: m.recipient_ids == self.customer)
        self.assertIn(f"access_token={batched.access_token}", customer_mail.body_html)
        self.assertIn(batched.name, customer_mail.body_html)
        # Followers: the author to get the replies, never the customer.
        author = message.author_id
        self.assertIn(author, batched.message_partner_ids)
        self.assertNotIn(self.customer, batched.message_partner_ids)
        self.assertNotIn(self.customer_2, posted.message_partner_ids)

    def test_recipients_read_for_the_batch_are_the_mail_modules(self):
        """The recipients of each reminder, read for the whole batch, are what the
        mail module reads for that one message: internal followers of the
        message's subtype (inbox and email), a follower of another subtype
        left out, the addressee following the invoice or not, an addressee
        following another subtype counted as a follower."""
        subtype = self.env.ref("mail.mt_comment")
        note = self.env.ref("mail.mt_note")
        first = self._invoice("2026-03-10", 100.0)
        second = self._invoice("2026-03-10", 80.0, partner=self.customer_2)
        third = self._invoice("2026-03-10", 60.0, partner=self.customer_2)
        first.message_subscribe(partner_ids=self.clerk.partner_id.ids)
        first.message_subscribe(
            partner_ids=self.manager.partner_id.ids, subtype_ids=note.ids
        )
        second.message_subscribe(partner_ids=(self.manager | self.clerk).partner_id.ids)
        second.message_subscribe(partner_ids=self.customer_2.ids)
        third.message_subscribe(partner_ids=self.customer_2.ids, subtype_ids=note.ids)
        moves = first | second | third
        addressees = {
            first: self.customer,
            second: self.customer_2,
            third: self.customer_2 | self.customer,
        }
        msg_vals_list = [
            {
                "message_type": "comment",
                "subtype_id": subtype.id,
                "res_id": move.id,
                "partner_ids": addressees[move].ids,
            }
            for move in moves
        ]
        batch = self.Move._dunning_recipient_data(moves, msg_vals_list)
        Followers = self.env["mail.followers"]
        for move in moves:
            own = Followers._get_recipient_data(
                move, "comment", subtype.id, addressees[move].ids
            )[move.id]
            key = (move.id, "comment", subtype.id, tuple(sorted(addressees[move].ids)))
            with self.subTest(invoice=move.name):
                self.assertEqual(batch[key], own)
        # Checked by hand: who each message reaches.
        self.assertEqual(
            sorted(batch[(first.id, "comment", subtype.id, (self.customer.id,))]),
            sorted([self.customer.id, self.clerk.partner_id.id]),
        )
        third_key = tuple(sorted((self.customer_2 | self.customer).ids))
        self.assertTrue(
            batch[(third.id, "comment", subtype.id, third_key)][self.customer_2.id][
                "is_follower"
            ]
        )

    def test_queries_grow_by_a_few_per_customer(self):
        """Two customers reminded, then eight more in the same batch size: each
        extra customer costs a few queries (2.5 here; posting each reminder with
        message_post cost about 18)."""
        first = _customers(self.env, 2, "First")
        more = _customers(self.env, 8, "More")
        for customer in first:
            self._invoice("2026-03-10", 100.0, partner=customer)
            self._invoice("2026-03-09", 50.0, partner=customer)
        for customer in more:
            self._invoice("2026-03-11", 100.0, partner=customer)
            self._invoice("2026-03-11", 50.0, partner=customer)
        # Warm the caches (templates, views, parameters) outside of the counts.
        self._invoice("2026-03-05", 10.0, partner=self.customer)
        self._run("2026-03-08")
        counts = []
        for day, customers in (("2026-03-13", first), ("2026-03-14", more)):
            before = self.env.cr.sql_log_count
            self._run(day)
            counts.append(self.env.cr.sql_log_count - before)
            events = self._events(
                self.Move.search([("partner_id", "in", customers.ids)]), "email"
            )
            self.assertEqual(len(events), 2 * len(customers))
            self.assertEqual(len(events.mail_message_id), len(customers))
        per_customer = (counts[1] - counts[0]) / (len(more) - len(first))
        self.assertLessEqual(per_customer, 5, f"queries per run: {counts}")

    def test_policy_user_writes_and_follows(self):
        """The policy's user writes the reminders of a run started by the
        scheduler (as OdooBot), and follows each invoice written to, once."""
        self.policy.user_id = self.manager
        invoices = self._invoice("2026-03-10") | self._invoice(
            "2026-03-10", partner=self.customer_2
        )
        with freeze_time("2026-03-13"):
            self.Move.with_user(self.env.ref("base.user_root"))._cron_dunning_run()
        for invoice in invoices:
            message = self._events(invoice, "email").mail_message_id
            self.assertEqual(message.author_id, self.manager.partner_id)
            self.assertIn(self.manager.partner_id, invoice.message_partner_ids)
        self.assertEqual(
            self.env["mail.followers"].search_count(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", invoices.ids),
                    ("partner_id", "=", self.manager.partner_id.id),
                ]
            ),
            2,
        )

    def test_signup_links_prepared_once_per_batch(self):
        """Customers invited to sign up on the portal: each mail's button carries
        a signup token, and the customers of a run are prepared in one write, not
        one per mail; a later run writes nothing when nothing changes."""
        self.env["ir.config_parameter"].set_param("auth_signup.invitation_scope", "b2c")
        customers = self.customer | self.customer_2
        invoices = self._invoice("2026-03-10") | self._invoice(
            "2026-03-10", partner=self.customer_2
        )
        Partner = type(self.env["res.partner"])
        original = Partner.write
        signup_writes = []

        def recording(partners, vals):
            if "signup_type" in vals:
                signup_writes.append(sorted(partners.ids))
            return original(partners, vals)

        with patch.object(Partner, "write", recording):
            self._run("2026-03-13")
            self.assertEqual(signup_writes, [sorted(customers.ids)])
            self._run("2026-03-17")  # the firm reminder
            self.assertEqual(len(signup_writes), 1, "nothing to write again")
        for invoice in invoices:
            mails = self._mails_of(self._events(invoice, "email"))
            self.assertEqual(len(mails), 2)
            for mail in mails:
                self.assertIn("auth_signup_token=", mail.body_html)
        self.assertEqual(customers.sudo().mapped("signup_type"), ["signup", "signup"])
