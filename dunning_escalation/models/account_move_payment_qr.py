"""Paying a reminder in one step: the bank-transfer QR code Odoo's QR modules
make for an invoice (the SEPA EPC QR of ``account_qr_code_sepa`` for EUR, the
Swiss QR, and any other ``res.partner.bank`` QR method installed), for the amount
due of the whole message, with the reference a bank statement matches; and the
short link a printed letter gives instead of the long tokenized portal address
(``dunning.pay.link``, followed by controllers/pay_link.py).

Templates call ``dunning_payment_qr()`` and ``dunning_short_pay_url()`` on the
invoice a reminder or letter is rendered for."""

import secrets

from odoo import api, fields, models
from odoo.tools import SQL

from .account_move import OPEN_STATES

# The EPC QR's remittance text holds 140 characters.
MAX_REFERENCE_CHARS = 140
# Short codes: 12 letters and digits a person reads off paper without doubt (no
# 0/O, 1/I/L), about 60 bits: not to be guessed.
SHORT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_LENGTH = 12


def short_code():
    """A new short code, in groups of four for the eye: K7QX-M3PD-R9TW."""
    code = "".join(secrets.choice(SHORT_ALPHABET) for _i in range(SHORT_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, SHORT_LENGTH, 4))


def normalized_code(text):
    """``text`` as a stored code, whatever the case and separators typed."""
    code = "".join(ch for ch in (text or "").upper() if ch in SHORT_ALPHABET)
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class DunningPayLink(models.Model):
    _name = "dunning.pay.link"
    _description = "Dunning Short Payment Link"

    code = fields.Char(required=True, readonly=True, default=lambda self: short_code())
    move_id = fields.Many2one(
        "account.move", required=True, readonly=True, ondelete="cascade", index=True
    )
    # A code opens the invoice's page: a user of another company never reads it.
    company_id = fields.Many2one(related="move_id.company_id", store=True)

    _code_unique = models.UniqueIndex("(code)", "A short link is unique.")
    _move_unique = models.UniqueIndex("(move_id)", "An invoice has one short link.")


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.private
    def dunning_payment_qr(self, inline=False):
        """The QR code that pays the message rendered for self by bank transfer,
        or False: {"src": the image (a data URI when ``inline``, for a PDF; else
        an absolute URL, for an email), "amount": the amount written out,
        "reference": the transfer's reference, "account": the account paid to}.

        The amount is the total due of the invoices the message lists; the
        reference is the invoice's payment reference (structured when the
        journal makes one) for a message of one invoice, else the references of
        all its invoices, which a bank statement line is matched by. None when
        the company shows no QR codes on invoices, the invoices have different
        currencies or bank accounts, or no installed QR method fits (a SEPA QR
        is EUR to an IBAN only)."""
        self.ensure_one()
        self.check_access("read")
        moves = self.dunning_statement_moves().filtered(
            lambda move: move.payment_state in OPEN_STATES and move.amount_residual > 0
        )
        currency = moves.currency_id
        bank = moves.partner_bank_id
        if (
            not moves
            or len(currency) != 1
            or len(bank) != 1
            or len(moves.partner_bank_id) != 1
            or not all(moves.mapped("display_qr_code"))
        ):
            return False
        amount = currency.round(sum(moves.mapped("amount_residual")))
        if len(moves) == 1:
            structured = moves.payment_reference or False
            free = moves.payment_reference or moves.name
        else:
            structured = False
            free = self._dunning_references(moves)
        vals = bank.sudo()._build_qr_code_vals(
            amount,
            free,
            structured,
            currency,
            self.partner_id,
            qr_method=self.qr_code_method or None,
            silent_errors=True,
        )
        if not vals:
            return False
        bank = bank.sudo()
        if inline:
            src = bank._get_qr_code_base64(**vals)
        else:
            url = bank._get_qr_code_url(**vals)
            src = url and self.get_base_url() + url
        if not src:
            return False
        return {
            "src": src,
            "amount": currency.format(amount),
            "reference": structured or free,
            "account": bank.display_name,
        }

    @api.model
    def _dunning_references(self, moves):
        """The payment references of ``moves`` (else their numbers) in one line
        for a transfer, as many as its 140 characters hold."""
        text = ""
        for move in moves.sorted(lambda m: (m.invoice_date_due, m.id)):
            reference = move.payment_reference or move.name
            candidate = f"{text} {reference}" if text else reference
            if len(candidate) > MAX_REFERENCE_CHARS:
                break
            text = candidate
        return text

    @api.private
    def dunning_short_pay_url(self):
        """The short address of self's portal page, for a letter: typed from
        paper, it leads to the same page as the reminder's link. Made once per
        invoice, also when two letters of it are rendered at once."""
        self.ensure_one()
        self.check_access("read")
        self.env["dunning.pay.link"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO dunning_pay_link (code, move_id, company_id,
                                              create_uid, create_date,
                                              write_uid, write_date)
                     VALUES (%(code)s, %(move)s, %(company)s,
                             %(uid)s, NOW() AT TIME ZONE 'UTC',
                             %(uid)s, NOW() AT TIME ZONE 'UTC')
                ON CONFLICT (move_id) DO NOTHING
                """,
                code=short_code(),
                move=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
            )
        )
        code = self.env.execute_query(
            SQL("SELECT code FROM dunning_pay_link WHERE move_id = %s", self.id)
        )[0][0]
        return f"{self.get_base_url()}/pay/{code}"
