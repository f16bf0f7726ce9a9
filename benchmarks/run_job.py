"""Runs one measured job in a database made by generate.py, in this process alone
(so that the peak memory is the job's), and writes what it measured as JSON.

    python benchmarks/run_job.py ours -c CONF -d DB --date 2025-11-20 --result FILE
    python benchmarks/run_job.py peer -c CONF -d DB --date 2025-11-20 --result FILE
    [--profile FILE.prof] [--fees] [--deliver]

ours: the nightly dunning job as the scheduler runs it (``_cron_dunning_run`` with
the cron in the context, so that it locks and commits per batch of customers), on
--date. Its methods are timed from the outside, by wrappers set on the registry's
classes in this process only: decision (``dunning.run._decide``), statement (the
invoices each mail lists, ``dunning.channel._statements_for``), render (the mail
template, ``mail.template._generate_template``), queue (the chatter messages,
their queued mails and notifications: ``_dunning_queue_mails`` for the reminders,
``message_post`` for anything else), fees (``_dunning_charge_many``), handoff
(``_dunning_handoff``: cases and case files); what remains
(finding the work, events, levels, commits) is "other".

peer: account_credit_control on the same data, per company: a run on --date with
the policy of the same levels (compute lines), its lines marked ready, then its
communications generated and their mails queued.

Mails stay queued (``mail_notify_force_send`` off) during the job. With --deliver,
Odoo's mail queue then sends them all to an SMTP sink in this process, timed apart.
"""

import contextlib
import cProfile
import datetime
import gc
import importlib
import io
import logging
import os
import pstats
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from unittest.mock import patch

from aiosmtpd.controller import Controller
from benchlib import Meter
from benchlib import current_rss_mb
from benchlib import environment
from benchlib import parse_args
from benchlib import peak_rss_mb
from benchlib import reset_peak_rss
from benchlib import sql_count
from benchlib import write_result

import odoo
from odoo.tools import config


def add_arguments(parser):
    parser.add_argument("job", choices=["ours", "peer"])
    parser.add_argument("--date", type=datetime.date.fromisoformat, required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--profile")
    parser.add_argument(
        "--fees", action="store_true", help="the last level charges a late fee"
    )
    parser.add_argument(
        "--mix",
        action="store_true",
        help="ours: an SMS with the firm reminder, a letter at the final notice for "
        "one customer in ten, the agency at 30 days with the EU compensation and "
        "interest",
    )
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="then send the queued mails to a local SMTP sink, timed",
    )
    parser.add_argument(
        "--stock-template",
        action="store_true",
        help="peer: its mail template as shipped, with its PDF summary per mail",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="ours: the run's batches as queue_job jobs (dunning_escalation_queue "
        "installed), done by an Odoo server with this many worker processes",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=1,
        help="ours: then run the job on each following day up to this many days, "
        "each measured",
    )


def open_invoices(env):
    return env["account.move"].search_count(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "=", "not_paid"),
            ("dunning_origin_id", "=", False),
        ]
    )


def queued_mails(env):
    return env["mail.mail"].search_count([("state", "=", "outgoing")])


def set_up_mix(env):
    """The realistic mix on top of the three emails, in each company: an SMS with
    the firm reminder (every customer a mobile number), the final notice also as
    a letter for one customer in ten (a copy of the policy with letters, theirs),
    and the collection agency at 30 days with the EU recovery compensation and
    interest (legal profile eu_b2b): a case, its case file and a charge invoice
    per invoice handed over."""
    sms = env.ref("dunning_escalation.sms_template_dunning_level_2")
    env.cr.execute(
        "UPDATE res_partner SET phone = '+32470' || lpad((id % 1000000)::text, 6, '0')"
        " WHERE name LIKE 'Customer %'"
    )
    env.invalidate_all()
    Move = env["account.move"]
    for company in env["res.company"].search([]):
        policy = company.dunning_policy_id
        handoff = policy.with_context(active_test=False).level_ids.filtered("handoff")
        handoff.write(
            {"active": True, "charge_compensation": True, "apply_interest": True}
        )
        policy.legal_profile = "eu_b2b"
        reminders = policy._ordered_levels().filtered(lambda level: not level.handoff)
        reminders[1].sms_template_id = sms
        lettered = policy.copy({"name": f"{policy.name} (letters)"})
        lettered._ordered_levels().filtered(lambda level: not level.handoff)[
            -1
        ].send_letter = True
        partners = [
            partner
            for [partner] in Move._read_group(
                [("company_id", "=", company.id), ("move_type", "=", "out_invoice")],
                ["commercial_partner_id"],
            )
        ]
        env["res.partner"].union(*partners[::10]).with_company(
            company
        ).dunning_policy_id = lettered
    env.flush_all()


def run_ours(env, meter, date, fees):
    Move = env.registry["account.move"]
    meter.wrap(env.registry["dunning.run"], "_decide", "decision")
    for channel in env["dunning.channel"]._channels():
        meter.wrap(type(channel), "_statements_for", "statement")
    meter.wrap(env.registry["mail.template"], "_generate_template", "render")
    meter.wrap(Move, "_dunning_queue_mails", "queue")
    meter.wrap(Move, "message_post", "queue")
    meter.wrap(Move, "_dunning_charge_many", "fees")
    meter.wrap(Move, "_dunning_handoff", "handoff")
    # Each customer's payment behaviour and the policy its rules choose.
    meter.wrap(env.registry["dunning.behaviour"], "_refresh", "behaviour")
    if fees:
        for policy in env["dunning.policy"].search([]):
            policy._ordered_levels()[-1:].fee_fixed = 5.0
    cron = env.ref("dunning_escalation.ir_cron_dunning_run")
    env.cr.commit()

    def job():
        env["account.move"].with_context(
            dunning_date=date, cron_id=cron.id, mail_notify_force_send=False
        )._cron_dunning_run()
        env.flush_all()
        env.cr.commit()

    def outcome():
        levels = env["account.move"]._read_group(
            [("move_type", "=", "out_invoice"), ("dunning_level_id", "!=", False)],
            ["dunning_level_id"],
            ["__count"],
        )
        by_level = {}
        for level, count in levels:
            by_level[level.name] = by_level.get(level.name, 0) + count
        return {
            "invoices_by_level": by_level,
            "mails_queued": queued_mails(env),
            "customers_mailed": len(
                env["dunning.event"]._read_group(
                    [("kind", "=", "email")], ["partner_id"]
                )
            ),
            "fee_invoices": env["account.move"].search_count(
                [("dunning_origin_id", "!=", False)]
            ),
            "steps_done": dict(
                env["dunning.event"]._read_group(
                    [("state", "=", "done")], ["kind"], ["__count"]
                )
            ),
        }

    return job, outcome


@contextlib.contextmanager
def http_server(database, workers=0):
    """An Odoo HTTP server on the database's base URL, as a deployment has: the
    peer's stock PDF summaries load their styles from it (wkhtmltopdf fails on a
    report whose assets it cannot fetch). With ``workers``, Odoo's multi-process
    server with that many worker processes and queue_job's job runner running
    that many of our jobs at once; yields the server's process id."""
    url = env_base_url(database)
    port = urllib.parse.urlsplit(url).port or 80
    odoo_bin = os.path.join(os.path.dirname(next(iter(odoo.__path__))), "odoo-bin")
    extra, environ = [], dict(os.environ)
    if workers:
        extra = [f"--workers={workers}", "--load=base,web,queue_job"]
        environ["ODOO_QUEUE_JOB_CHANNELS"] = f"root:{workers},root.dunning:{workers}"
    server = subprocess.Popen(
        [
            sys.executable,
            odoo_bin,
            "-c",
            config["config"],
            "-d",
            database,
            f"--db-filter=^{database}$",
            f"--http-port={port}",
            "--max-cron-threads=0",
            "--log-level=warn",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environ,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/web/login", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"no Odoo server answered on {url}") from None
                time.sleep(1)
        yield server.pid
    finally:
        server.terminate()
        server.wait(30)


def worker_peaks(server_pid, peaks):
    """Record in ``peaks`` ({pid: MB}) the peak resident memory of each process the
    server ``server_pid`` forked (its workers), as far as seen now."""
    try:
        with open(f"/proc/{server_pid}/task/{server_pid}/children") as children:
            pids = children.read().split()
    except OSError:
        return
    for pid in pids:
        try:
            peaks[pid] = max(peaks.get(pid, 0), peak_rss_mb(pid))
        except OSError:  # the worker ended meanwhile
            continue


def run_in_jobs(env, server_pid, start_job, peaks, timeout=7200):
    """``start_job`` (the scheduled run, posting a job per batch of customers),
    then wait until the server's workers have done every job. Returns how many
    jobs ran."""
    before = env["queue.job"].search_count([])
    start_job()
    deadline = time.monotonic() + timeout
    while True:
        worker_peaks(server_pid, peaks)
        env.cr.execute(
            "SELECT state, count(*) FROM queue_job"
            " WHERE method_name = '_dunning_escalate_job' GROUP BY state"
        )
        states = dict(env.cr.fetchall())
        env.cr.rollback()
        if set(states) <= {"done", "failed"}:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs not done after {timeout} s: {states}")
        time.sleep(0.2)
    if states.get("failed"):
        raise RuntimeError(f"{states['failed']} dunning jobs failed")
    return env["queue.job"].search_count([]) - before


def env_base_url(database):
    with environment(database) as env:
        return env["ir.config_parameter"].sudo().get_param("web.base.url")


def run_peer(env, meter, date, stock_template=False):
    Communication = env.registry["credit.control.communication"]
    meter.wrap(Communication, "message_post", "queue")
    if stock_template:
        # As shipped: each mail has the customer's summary attached, as a PDF.
        template = env.ref("account_credit_control.email_template_credit_control_base")
        template.report_template_ids = env.ref(
            "account_credit_control.credit_control_summary"
        )
    companies = env["res.company"].search([], order="id")
    env.cr.commit()

    def job():
        for company in companies:
            Run = (
                env["credit.control.run"]
                .with_company(company)
                .with_context(
                    allowed_company_ids=company.ids, mail_notify_force_send=False
                )
            )
            run = Run.create(
                {
                    "date": date,
                    "company_id": company.id,
                    "policy_ids": [(6, 0, company.credit_policy_id.ids)],
                }
            )
            with meter.phase("compute lines"):
                run.generate_credit_lines()
            with meter.phase("mark ready"):
                run.set_to_ready_lines()
            with meter.phase("communications"):
                run.run_channel_action()
            env.flush_all()
            env.cr.commit()

    def outcome():
        levels = env["credit.control.line"]._read_group(
            [], ["level", "state"], ["__count"]
        )
        return {
            "lines_by_level_state": {
                f"level {level} {state}": count for level, state, count in levels
            },
            "communications": env["credit.control.communication"].search_count([]),
            "mails_queued": queued_mails(env),
        }

    return job, outcome


def next_days(env, date, days, invoices, run=None):
    """The job on each day after ``date`` up to ``days`` days in all, as the
    scheduler runs it, each measured: what a day brings once the backlog is
    taken (the invoices reaching their next level that day). ``run`` runs the
    day's job (given as a function) to its end: by default, in this process."""
    run = run or (lambda job: job())
    cron = env.ref("dunning_escalation.ir_cron_dunning_run")
    measured = []
    for offset in range(1, days):
        day = date + datetime.timedelta(days=offset)
        before = env["dunning.event"].search_count([("state", "=", "done")])
        gc.collect()
        reset_peak_rss()
        queries = sql_count()
        start = time.perf_counter()

        def job(day=day):
            env["account.move"].with_context(
                dunning_date=day, cron_id=cron.id, mail_notify_force_send=False
            )._cron_dunning_run()
            env.flush_all()
            env.cr.commit()

        run(job)
        seconds = time.perf_counter() - start
        measured.append(
            {
                "date": day.isoformat(),
                "seconds": round(seconds, 2),
                "ms_per_invoice": round(1000 * seconds / invoices, 3),
                "queries": sql_count() - queries,
                "steps_done": env["dunning.event"].search_count(
                    [("state", "=", "done")]
                )
                - before,
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    return measured


class CountingSink:
    """An SMTP server's message handler that counts what it is given."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 Message accepted"


def drain(env, queue, send):
    """Call ``send`` (a queue's scheduled job) until no record of the model of
    ``queue`` is outgoing, or a call sent none, committing after each call, as the
    scheduler does; returns how many are left outgoing."""
    outgoing = [("state", "=", "outgoing")]
    left = queue.search_count(outgoing)
    while left:
        send()
        env.cr.commit()
        env.invalidate_all()
        before, left = left, queue.search_count(outgoing)
        if left >= before:
            break  # nothing more goes out
    return left


def deliver(env):
    """Odoo's mail queue sending every queued mail to a local SMTP sink (in this
    process, counting only), as its scheduled job does, in batches of 1,000 each
    committed: (seconds, queries, mails the sink received, mails still queued)."""
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = CountingSink()
    # The sink's own log of each SMTP command would be written, and timed, too.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    config["smtp_server"] = "127.0.0.1"
    config["smtp_port"] = port
    config["smtp_ssl"] = False
    Mail = env["mail.mail"]
    env.cr.commit()
    queries = sql_count()
    start = time.perf_counter()
    try:
        drain(env, Mail, Mail.process_email_queue)
    finally:
        controller.stop()
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 2),
        "queries": sql_count() - queries,
        "delivered": sink.count,
        "still_queued": queued_mails(env),
        "ms_per_mail": round(1000 * seconds / sink.count, 3) if sink.count else None,
    }


def deliver_sms(env):
    """Odoo's SMS queue sending every queued SMS, the gateway answering success
    for each (nothing leaves the machine): (seconds, SMS sent, still queued)."""

    def accepted(api, messages, delivery_reports_url=False):
        return [
            {"uuid": number["uuid"], "state": "success", "credit": 1}
            for message in messages
            for number in message["numbers"]
        ]

    # The sms addon is importable once Odoo knows its addons path.
    sms_api = importlib.import_module("odoo.addons.sms.tools.sms_api")
    Sms = env["sms.sms"].sudo()
    queued = Sms.search_count([("state", "=", "outgoing")])
    start = time.perf_counter()
    with patch.object(sms_api.SmsApi, "_send_sms_batch", accepted):
        # By company: Odoo's queue fails on a batch of several (the addon's
        # sms.sms._send splits it).
        left = drain(env, Sms, Sms._process_queue)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "sent": queued - left, "still_queued": left}


def main():
    args = parse_args(__doc__, add_arguments)
    meter = Meter()
    server = (
        http_server(args.database, args.workers)
        if args.stock_template or args.workers
        else contextlib.nullcontext()
    )
    worker_rss = {}
    with server as server_pid, environment(args.database) as env:
        run = None
        if args.workers:

            def run(job):
                return run_in_jobs(env, server_pid, job, worker_rss)

        invoices = open_invoices(env)
        mails_before = queued_mails(env)
        if args.job == "ours":
            if args.mix:
                set_up_mix(env)
            job, outcome = run_ours(env, meter, args.date, args.fees)
        else:
            job, outcome = run_peer(env, meter, args.date, args.stock_template)
        gc.collect()
        reset_peak_rss()
        rss_before = current_rss_mb()
        profile = cProfile.Profile() if args.profile else None
        queries = sql_count()
        jobs = 0
        start = time.perf_counter()
        with meter.phase("other" if args.job == "ours" else "run"):
            if profile:
                profile.runcall(job)
            elif run:
                jobs = run(job)
            else:
                job()
        seconds = time.perf_counter() - start
        queries = sql_count() - queries
        peak = peak_rss_mb()
        result = {
            "job": args.job,
            "database": args.database,
            "date": args.date,
            "invoices": invoices,
            "seconds": round(seconds, 2),
            "ms_per_invoice": round(1000 * seconds / invoices, 3),
            "queries": queries,
            "queries_per_invoice": round(queries / invoices, 3),
            "rss_before_mb": round(rss_before, 1),
            "peak_rss_mb": round(peak, 1),
            "phases": meter.as_dict(),
            "mails_queued_before": mails_before,
            **(
                {
                    "workers": args.workers,
                    "jobs": jobs,
                    "worker_peak_rss_mb": round(max(worker_rss.values(), default=0), 1),
                }
                if run
                else {}
            ),
            **outcome(),
        }
        result["phases_per_invoice"] = {
            name: {
                "ms": round(1000 * value["seconds"] / invoices, 3),
                "queries": round(value["queries"] / invoices, 4),
            }
            for name, value in result["phases"].items()
        }
        env.cr.commit()
        if args.deliver:
            result["delivery"] = deliver(env)
            if args.mix:
                result["sms_delivery"] = deliver_sms(env)
        if args.job == "ours" and args.days > 1:
            result["next_days"] = next_days(env, args.date, args.days, invoices, run)
    if profile:
        profile.dump_stats(args.profile)
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(60)
        with open(args.profile.removesuffix(".prof") + ".txt", "w") as out:
            out.write(text.getvalue())
        result["profile"] = args.profile
    write_result(args.result, result)


if __name__ == "__main__":
    main()
