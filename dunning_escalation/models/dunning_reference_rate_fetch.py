"""Reading the reference rates from the central banks' public data services
(tools.central_banks): a scheduled job, off until a settings administrator turns
it on. A value read is kept with the address it came from, and the statutory
rates follow from it; a failure changes nothing and leaves a to-do with the
reason."""

import datetime
import logging

import requests

from odoo import api, fields, models
from odoo.tools import float_compare

from ..tools import central_banks
from ..tools import legal

_logger = logging.getLogger(__name__)

# Seconds to wait for a central bank's answer.
TIMEOUT = 30
# How far before the last value kept a reading starts: the rate in force on the
# first day it needs is in it, and the values kept recently are compared with it.
LOOKBACK = datetime.timedelta(days=200)


class DunningReferenceRate(models.Model):
    _inherit = "dunning.reference.rate"

    @api.model
    def _cron_fetch(self):
        """The scheduled job: read every reference rate from its central bank."""
        today = fields.Date.context_today(self)
        for reference in legal.REFERENCES:
            self._fetch(reference, today)

    @api.model
    def _fetch(self, reference, today):
        """Read ``reference`` from its central bank and keep the values the
        statutory rates need that are newer than the last one kept. Returns the
        values created; on failure, nothing is changed and a to-do says why."""
        Rate = self.sudo()
        kept = Rate.search([("reference", "=", reference)], order="date_from desc")
        last = kept[:1]
        since = last.date_from or today - LOOKBACK
        start = since - LOOKBACK
        address = central_banks.url(reference, start)
        try:
            with self.env.cr.savepoint():
                observations = self._fetch_observations(reference, address)
                known = central_banks.known_until(reference, observations, today)
                values = central_banks.values_to_keep(
                    reference, observations, start - datetime.timedelta(days=1), known
                )
                new = self._fetch_check(observations, known, values, kept, since)
                created = Rate.create(
                    [
                        {
                            "reference": reference,
                            "date_from": day,
                            "percent": float(percent),
                            "source": address,
                        }
                        for day, percent in new
                    ]
                )
        except Exception as error:  # any failure is told in a to-do, never raised
            _logger.warning("dunning: reading %s failed: %s", reference, error)
            self._fetch_failed(reference, last, address, str(error))
            return Rate
        self._fetch_succeeded(reference)
        if created:
            _logger.info(
                "dunning: %s read from %s: %s",
                reference,
                address,
                ", ".join(f"{day} {percent}%" for day, percent in new),
            )
        return created

    @api.model
    def _fetch_observations(self, reference, address):
        """The observations of ``reference`` read from ``address``."""
        response = requests.get(
            address,
            timeout=TIMEOUT,
            headers={"Accept": "text/csv, application/json;q=0.9, */*;q=0.5"},
        )
        response.raise_for_status()
        return central_banks.READERS[reference](response.text)

    @api.model
    def _fetch_check(self, observations, known, values, kept, since):
        """The values to add, after ``since``. Raises ValueError when a value kept
        (typed in or read before) disagrees with what the bank says was in force
        that day, or when the first new value moves implausibly far from the last
        one kept."""
        _ = self.env._
        read = dict(values)
        first = observations[0][0] if observations else None
        for rate in kept:
            day = rate.date_from
            if first is None or not first <= day <= known:
                continue
            bank = read.get(day, central_banks.in_force(observations, day))
            if bank is not None and float_compare(
                rate.percent, float(bank), precision_digits=4
            ):
                raise ValueError(
                    _(
                        "the central bank gives %(read)s%% for %(date)s, where "
                        "%(kept)s%% is entered: check which is right; nothing was "
                        "changed",
                        read=bank,
                        date=day,
                        kept=rate.percent,
                    )
                )
        new = [(day, percent) for day, percent in values if day > since]
        last = kept[:1]
        if new and last:
            step = abs(float(new[0][1]) - last.percent)
            if step > float(central_banks.MAX_STEP):
                raise ValueError(
                    _(
                        "a move from %(kept)s%% to %(read)s%% is not plausible; "
                        "nothing was changed",
                        kept=last.percent,
                        read=new[0][1],
                    )
                )
        return new

    def _fetch_admin(self):
        """Who mends a failed reading: a settings administrator."""
        return (
            self.env.ref("base.group_system")
            .sudo()
            .all_user_ids.filtered(
                lambda user: user.active
                and user._is_internal()
                and not user._is_superuser()
            )
            .sorted("id")[:1]
        )

    def _fetch_open_failures(self, reference):
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("dunning_fetch_reference", "=", reference),
                ]
            )
        )

    @api.model
    def _fetch_failed(self, reference, last, address, reason):
        """One to-do per reference while its reading fails, on its last value,
        with the latest reason."""
        labels = dict(self._fields["reference"]._description_selection(self.env))
        note = self.env._(
            "Reading %(reference)s from %(address)s failed: %(reason)s. The "
            "reference rates and the statutory rates were not changed; enter the "
            "value by hand if the central bank has published it.",
            reference=labels[reference],
            address=address,
            reason=reason,
        )
        failures = self._fetch_open_failures(reference)
        if failures:
            failures.write({"note": note})
            return
        user = self._fetch_admin()
        if not last or not user:
            return
        last.sudo().activity_schedule(
            activity_type_id=self.env.ref("mail.mail_activity_data_todo").id,
            summary=self.env._("Reading %s failed", labels[reference]),
            note=note,
            user_id=user.id,
            dunning_fetch_reference=reference,
        )

    @api.model
    def _fetch_succeeded(self, reference):
        failures = self._fetch_open_failures(reference)
        if failures:
            failures.action_feedback(feedback=self.env._("Read again without error."))
