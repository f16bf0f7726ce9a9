"""A warning before a half year starts without its statutory rates: the run
leaves one to-do on each policy that charges interest under a profile with no
rate for that half year, and marks it done once the rates exist."""

import datetime

from odoo import api, models
from odoo.tools import format_date

from ..tools import legal
from .account_move import OPEN_STATES

# How long before a half year starts its missing rates are reported.
WARN_DAYS = 30


class DunningPolicy(models.Model):
    _inherit = "dunning.policy"

    def _dunning_profiles_in_use(self):
        """The legal profiles under which self charges interest: its own profile
        and those of the customers of its open invoices (a customer's country, or
        the profile set on the customer)."""
        self.ensure_one()
        if not self.level_ids.filtered("apply_interest"):
            return set()
        profiles = set()
        if self.legal_profile and self.legal_profile != "by_customer":
            profiles.add(self.legal_profile)
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("dunning_policy_id", "=", self.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", OPEN_STATES),
                ],
                ["commercial_partner_id"],
            )
        )
        for (partner,) in groups:
            profiles.add(self._legal_profile_for(partner))
        return {profile for profile in profiles if profile}

    @api.model
    def _dunning_missing_rates(self, profiles, today, also=()):
        """[(first day of a half year, [profiles])]: of ``profiles``, those with
        no statutory rate of their own for the half year of ``today`` or, from
        WARN_DAYS before it starts, for the next one. A decreed rate holds until
        changed: missing only while the profile has none yet. ``also``: more
        half years to check (those of warnings still open)."""
        halves = {legal.half_year_start(today), *also}
        upcoming = legal.next_half_year(today)
        if (upcoming - today).days <= WARN_DAYS:
            halves.add(upcoming)
        halves = sorted(halves)
        # One read for every profile and half year (and every decreed rate).
        end = legal.next_half_year(halves[-1])
        rates = (
            self.env["dunning.interest.rate"]
            .sudo()
            .search_fetch(
                [
                    "|",
                    ("legal_profile", "in", list(legal.DECREED)),
                    "&",
                    ("date_from", ">=", halves[0]),
                    ("date_from", "<", end),
                ],
                ["legal_profile", "date_from"],
            )
        )

        def known(profile, half):
            if profile in legal.DECREED:  # in force from its day until changed
                return any(
                    rate.legal_profile == profile
                    and rate.date_from < legal.next_half_year(half)
                    for rate in rates
                )
            return any(
                rate.legal_profile == profile and rate.date_from == half
                for rate in rates
            )

        result = []
        for half in halves:
            missing = sorted(
                profile for profile in profiles if not known(profile, half)
            )
            if missing:
                result.append((half, missing))
        return result

    def _dunning_rate_admin(self):
        """Who is told of missing rates: the policy's responsible user if they are
        an accounting administrator of its company, else the first of those."""
        self.ensure_one()
        return self.company_id._dunning_person(
            (self.user_id,), "account.group_account_manager"
        )

    @api.model
    def _dunning_warn_missing_rates(self, company, today):
        """Leave, on each active policy of ``company``, one to-do per half year
        whose statutory rates its profiles miss, and mark done those whose rates
        exist now. Decreed rates have no half year to warn before: a profile
        without any fails its interest step with the reason instead."""
        Activity = self.env["mail.activity"].sudo()
        # Most days every profile has its rates: no policy's customers to read.
        lacking = self._dunning_missing_rates(set(legal.DERIVED), today)
        open_warnings = Activity.search(
            [
                ("res_model", "=", "dunning.policy"),
                ("dunning_rates_from", "!=", False),
            ]
        )
        if not lacking and not open_warnings:
            return
        todo = self.env.ref("mail.mail_activity_data_todo")
        policies = self.search([("company_id", "=", company.id)])
        # Every warning ever left, done or not: a person who marked one done is
        # not told again about the same half year.
        ever_warned = {
            (activity.res_id, activity.dunning_rates_from)
            for activity in Activity.with_context(active_test=False).search(
                [
                    ("res_model", "=", "dunning.policy"),
                    ("res_id", "in", policies.ids),
                    ("dunning_rates_from", "!=", False),
                ]
            )
        }
        for policy in policies:
            warnings = open_warnings.filtered(lambda a, p=policy: a.res_id == p.id)
            missing = dict(
                self._dunning_missing_rates(
                    policy._dunning_profiles_in_use() & set(legal.DERIVED),
                    today,
                    also=warnings.mapped("dunning_rates_from"),
                )
            )
            for warning in warnings:
                if warning.dunning_rates_from not in missing:
                    warning.action_feedback(
                        feedback=self.env._("The statutory rates exist now.")
                    )
            user = policy._dunning_rate_admin()
            for half, profiles in missing.items():
                if (policy.id, half) in ever_warned or not user:
                    continue
                policy.sudo().activity_schedule(
                    activity_type_id=todo.id,
                    date_deadline=max(today, half - datetime.timedelta(days=1)),
                    summary=self.env._(
                        "Statutory rates missing from %s",
                        format_date(self.env, half),
                    ),
                    note=policy._dunning_missing_rates_note(half, profiles),
                    user_id=user.id,
                    dunning_rates_from=half,
                )

    def _dunning_missing_rates_note(self, half, profiles):
        return self.env._(
            "No statutory interest rate from %(date)s for %(profiles)s. Interest for "
            "days from that date waits until the rate exists: a settings "
            "administrator enters the central bank's rate in force then under "
            "Reference Interest Rates (the statutory rates follow from it), or "
            "turns on reading them from the central banks in the settings. This "
            "to-do is marked done by itself once the rates exist.",
            date=format_date(self.env, half),
            profiles=", ".join(profiles),
        )
