"""Queueing the reminders of a run: the chatter messages on the invoices, their
queued emails and their notifications, in a few batched creates instead of one
``message_post`` per customer.

What a reminder is stays what ``message_post`` makes of it: a comment on the
invoice from the policy's author, to the recipient, with the email in Odoo's
notification layout ("View Invoice" button with the customer's portal link), the
author following the invoice to get the replies. The expensive parts are done once
per batch: thread parents, reply-to addresses, companies and alias domains, the
creates of messages, mails and notifications, the followers added. What depends
on one message (its recipients, the layout in the recipient's language, the mail
references) still goes through the mail module's own hooks, so that what other
modules add to them applies to reminders too.

This is the one place of the addon that leans on the mail module's private API;
``tests/test_dunning_queue.py`` compares what it makes with ``message_post`` field
by field. After an Odoo upgrade, check these methods of ``mail.thread`` (and its
``mail``, ``portal`` and ``sms`` overrides) for a changed signature or meaning:
``_message_create``, ``_message_post_after_hook``, ``_message_subscribe``,
``_message_compute_real_author``, ``_mail_get_companies``,
``_mail_get_alias_domains``, ``_mail_get_partners``, ``_fallback_lang``,
``_notify_get_reply_to_batch``, ``_notify_get_recipients``,
``_notify_get_classified_recipients_iterator``,
``_notify_thread_with_out_of_office``, ``_notify_thread_by_inbox``,
``_notify_thread_by_web_push``, ``_notify_by_email_get_base_mail_values``,
``_notify_by_email_get_base_notification_values``,
``_notify_by_email_get_final_mail_values``, ``_notify_by_email_render_layout``;
and ``res.users._get_signup_invitation_scope``.
"""

from collections import defaultdict
from typing import NamedTuple

from markupsafe import escape

from odoo import api, models
from odoo.tools import SQL, clean_context, split_every

from .mail_followers import RECIPIENTS_KEY


def message_post_values(record, **values):
    """The values ``message_post`` gives a new message on ``record`` when it has no
    parent, subject, recipient or attachment (the signature added), with
    ``values`` over them."""
    return {
        "author_guest_id": False,
        "email_add_signature": True,
        "model": record._name,
        "res_id": record.id,
        "parent_id": False,
        "subject": False,
        "partner_ids": [],
        "incoming_email_to": False,
        "incoming_email_cc": False,
        "outgoing_email_to": False,
        "attachment_ids": [],
        **values,
    }


class QueuedMail(NamedTuple):
    """One reminder to queue: rendered, its author and sender chosen."""

    move: models.BaseModel
    partner: models.BaseModel
    subject: str
    body: str
    email_from: str
    author: models.BaseModel
    model_description: str


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _dunning_queue_mails(self, mails):
        """Post each of ``mails`` (QueuedMail) in its invoice's chatter and queue its
        email. Returns the messages, in the order of ``mails``."""
        if not mails:
            return self.env["mail.message"]
        moves = self.browse([mail.move.id for mail in mails])
        msg_vals_list = self._dunning_message_values(mails, moves)
        messages = self._message_create(msg_vals_list)
        self._dunning_subscribe_authors(mails)
        # What the notification reads of every message and recipient, in one query
        # each instead of one per message.
        messages.sudo().mapped("tracking_value_ids")
        addressees = (
            self.env["res.partner"].browse({mail.partner.id for mail in mails}).sudo()
        )
        # The portal link's signup token may write on the addressee, which reads
        # its contacts.
        addressees.mapped("user_ids")
        addressees.mapped("child_ids")
        self._dunning_prepare_signup(moves)
        chunk_size = (
            int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size"))
            or 50
        )
        recipients_context = {
            RECIPIENTS_KEY: self._dunning_recipient_data(moves, msg_vals_list)
        }
        pending = []
        for mail, message, msg_vals in zip(mails, messages, msg_vals_list, strict=True):
            # The language of the layout when the recipient has none: the user's.
            move = mail.move.with_context(**recipients_context)._fallback_lang()
            move._message_post_after_hook(message, msg_vals)
            recipients = move._notify_get_recipients(message, msg_vals)
            move._notify_thread_with_out_of_office(message, recipients, msg_vals)
            if any(r["notif"] == "inbox" for r in recipients):
                # Internal followers notified in Odoo: rare for a reminder.
                move._notify_thread_by_inbox(message, recipients, msg_vals=msg_vals)
            move._notify_thread_by_web_push(message, recipients, msg_vals=msg_vals)
            pending.extend(
                move._dunning_notification_mails(
                    message, msg_vals, recipients, mail.model_description, chunk_size
                )
            )
        self._dunning_create_notification_mails(pending)
        return messages

    @api.model
    def _dunning_recipient_data(self, moves, msg_vals_list):
        """What ``mail.followers._get_recipient_data`` answers for each message of
        ``msg_vals_list``, read for all of them in three queries: the invoices'
        followers of the message's subtype, the data of every addressee, and who
        follows which invoice whatever the subtype (an addressee who follows the
        invoice counts as a follower, as in the mail module's own query). Keyed
        as mail.followers reads it back; messages of an internal subtype are left
        to the mail module."""
        Followers = self.env["mail.followers"]
        data = {}
        by_kind = defaultdict(list)
        for vals in msg_vals_list:
            by_kind[(vals["message_type"], vals["subtype_id"])].append(
                (vals["res_id"], tuple(sorted(vals["partner_ids"])))
            )
        for (message_type, subtype_id), items in by_kind.items():
            subtype = self.env["mail.message.subtype"].browse(subtype_id)
            if message_type == "user_notification" or not subtype or subtype.internal:
                continue
            records = self.browse([move_id for move_id, _pids in items])
            followers = Followers._get_recipient_data(records, message_type, subtype_id)
            addressees = sorted({pid for _move_id, pids in items for pid in pids})
            partners = (
                Followers._get_recipient_data(
                    self.browse(), message_type, subtype_id, addressees
                )[0]
                if addressees
                else {}
            )
            follows = {
                (follower.res_id, follower.partner_id.id)
                for follower in Followers.sudo().search_fetch(
                    [
                        ("res_model", "=", self._name),
                        ("res_id", "in", records.ids),
                        ("partner_id", "in", addressees),
                    ],
                    ["res_id", "partner_id"],
                )
            }
            for move_id, pids in items:
                entries = dict(followers.get(move_id, {}))
                for pid in pids:
                    if pid not in entries and pid in partners:
                        entries[pid] = {
                            **partners[pid],
                            "is_follower": (move_id, pid) in follows,
                        }
                data[(move_id, message_type, subtype_id, pids)] = entries
        return data

    @api.model
    def _dunning_prepare_signup(self, moves):
        """When the database invites customers to sign up on the portal, the link
        in each mail carries a signup token, which the notification prepares per
        customer: done here for the customers of all ``moves`` in one write."""
        if self.env["res.users"].sudo()._get_signup_invitation_scope() != "b2c":
            return
        customers = self.env["res.partner"].union(
            *moves._mail_get_partners(introspect_fields=False).values()
        )
        customers.sudo().filtered(lambda partner: not partner.user_ids).signup_prepare()

    @api.model
    def _dunning_message_values(self, mails, moves):
        """The values of the messages of ``mails``, as ``message_post`` sets them,
        with the per-thread lookups done for all of them at once."""
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        companies = moves._mail_get_companies(default=self.env.company)
        alias_domains = moves.sudo()._mail_get_alias_domains(
            default_company=self.env.company
        )
        reply_tos = moves._notify_get_reply_to_batch(
            defaults={mail.move.id: mail.email_from for mail in mails},
            author_ids={mail.move.id: mail.author.id for mail in mails},
        )
        parents = moves._dunning_thread_parents()
        return [
            message_post_values(
                mail.move,
                author_id=mail.author.id,
                email_from=mail.email_from,
                body=escape(mail.body),
                message_type="comment",
                parent_id=parents.get(mail.move.id, False),
                subject=mail.subject or False,
                subtype_id=subtype_id,
                partner_ids=mail.partner.ids,
                record_alias_domain_id=alias_domains[mail.move.id].id,
                record_company_id=companies[mail.move.id].id,
                reply_to=reply_tos[mail.move.id],
            )
            for mail in mails
        ]

    def _dunning_thread_parents(self):
        """The message each new message of self's threads answers, as a flat thread
        does it: the latest comment or email, else the latest message."""
        if not self:
            return {}
        self.env["mail.message"].flush_model(
            ["model", "res_id", "message_type", "date"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (res_id) res_id, id
                  FROM mail_message
                 WHERE model = %(model)s
                   AND res_id = ANY(%(ids)s)
                   AND message_type != 'user_notification'
              ORDER BY res_id, message_type IN ('comment', 'email') DESC,
                       date DESC, id DESC
                """,
                model=self._name,
                ids=self.ids,
            )
        )
        return dict(rows)

    @api.model
    def _dunning_subscribe_authors(self, mails):
        """The author follows the invoices they write to, to get the customers'
        replies, as when posting by hand (internal users only)."""
        if self.env.context.get("mail_post_autofollow_author_skip"):
            return
        by_author = defaultdict(list)
        for mail in mails:
            author = self._message_compute_real_author(mail.author.id)
            if author and not author.partner_share:
                by_author[author.id].append(mail.move.id)
        for author_id, move_ids in by_author.items():
            self.browse(move_ids)._message_subscribe(partner_ids=[author_id])

    def _dunning_notification_mails(
        self, message, msg_vals, recipients, description, chunk_size
    ):
        """(mail values, notification values) of the emails that notify the email
        recipients of ``message``, its body in Odoo's notification layout, at most
        ``chunk_size`` recipients a mail."""
        self.ensure_one()
        partners_data = [r for r in recipients if r["notif"] == "email"]
        if not partners_data:
            return []
        base_values = self._notify_by_email_get_base_mail_values(
            message, partners_data, additional_values={"auto_delete": False}
        )
        notification_values = self._notify_by_email_get_base_notification_values(
            message
        )
        pending = []
        for (
            _lang,
            render_values,
            group,
        ) in self._notify_get_classified_recipients_iterator(
            message, partners_data, msg_vals=msg_vals, model_description=description
        ):
            body = self._notify_by_email_render_layout(
                message, group, msg_vals=msg_vals, render_values=render_values
            )
            for chunk in split_every(chunk_size, group["recipients_ids"]):
                mail_values = self._notify_by_email_get_final_mail_values(
                    list(chunk), base_values, additional_values={"body_html": body}
                )
                pending.append(
                    (
                        mail_values,
                        [
                            {"res_partner_id": pid, **notification_values}
                            for pid in chunk
                        ],
                    )
                )
        return pending

    @api.model
    def _dunning_create_notification_mails(self, pending):
        """Create the queued emails of ``pending`` and their notifications, each
        in one create."""
        if not pending:
            return
        context = clean_context(self.env.context)
        mails = (
            self.env["mail.mail"]
            .sudo()
            .with_context(context)
            .create([mail_values for mail_values, _notifications in pending])
        )
        self.env["mail.notification"].sudo().with_context(context).create(
            [
                {**values, "mail_mail_id": mail.id}
                for mail, (_mail_values, notifications) in zip(
                    mails, pending, strict=True
                )
                for values in notifications
            ]
        )
