"""What the mail gateway keeps of an incoming email for the reading of a reply
to a reminder: the headers that tell an automatic reply (``Auto-Submitted`` and
its kin) and the Message-Ids it answers (In-Reply-To, References), which Odoo
parses away before the message is posted on the invoice."""

from odoo import models
from odoo.tools.mail import unfold_references

from ..tools.replies import HEADERS

# The context key the gateway's findings travel under, to account_move_reply.py:
# {"headers": {name: value}, "answers": [Message-Id, ...]}.
REPLY_CONTEXT_KEY = "dunning_reply"
# How many of the Message-Ids an email answers are looked up (the latest).
MAX_REFERENCES = 32


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        if any(route[0] == "account.move" for route in routes or ()):
            headers = {
                name: str(message.get(name)) for name in HEADERS if message.get(name)
            }
            answers = [
                ref.strip()
                for ref in unfold_references(message_dict.get("references") or "")
            ][-MAX_REFERENCES:]
            if message_dict.get("in_reply_to"):
                answers.append(message_dict["in_reply_to"].strip())
            self = self.with_context(
                **{REPLY_CONTEXT_KEY: {"headers": headers, "answers": answers}}
            )
        return super()._message_route_process(message, message_dict, routes)
