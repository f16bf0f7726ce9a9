"""The steps of scripts/workers, each a command on one database (the venv's Python,
Odoo's source on its path):

    workers.py prepare -c CONF -d DB --customers N   customers and overdue invoices
    workers.py enqueue -c CONF -d DB --date D         the scheduler's run: its jobs
    workers.py wait    -c CONF -d DB [--kill-running-worker] [--timeout S]
    workers.py check   -c CONF -d DB                  every invoice once, no job lost

``wait`` polls queue_job until every job of the run is done (or failed), and with
--kill-running-worker kills the process running the first job seen running
(SIGKILL: a server dying mid-job); it prints the seconds from the first job started
to the last done.
"""

import argparse
import datetime
import os
import signal
import sys
import threading
import time

from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import config


def environment(database):
    threading.current_thread().dbname = database
    registry = Registry(database)
    cr = registry.cursor()
    return cr, api.Environment(cr, api.SUPERUSER_ID, {"tracking_disable": True})


def prepare(env, customers, due):
    partners = env["res.partner"].create(
        [
            {"name": f"Worker Customer {n:04d}", "email": f"ap{n}@workers.example"}
            for n in range(customers)
        ]
    )
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": due - datetime.timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    (0, 0, {"name": "Goods", "price_unit": 100.0 + n, "tax_ids": []})
                    for n in range(2)
                ],
            }
            for partner in partners
        ]
    )
    moves.action_post()
    # Batches of 25 customers: jobs enough for the workers to share.
    env["ir.config_parameter"].set_param("dunning_escalation.partner_batch", "25")
    print(f"{len(partners)} customers, {len(moves)} invoices due on {due}")


def enqueue(env, date):
    cron = env.ref("dunning_escalation.ir_cron_dunning_run")
    Job = env["queue.job"]
    before = Job.search_count([("method_name", "=", "_dunning_escalate_job")])
    env["account.move"].with_context(
        cron_id=cron.id, dunning_date=date, mail_notify_force_send=False
    )._cron_dunning_run()
    jobs = Job.search_count([("method_name", "=", "_dunning_escalate_job")]) - before
    print(f"{jobs} jobs posted")
    if not jobs:
        sys.exit("ERROR: the scheduled run posted no job")


def job_states(cr):
    cr.execute(
        "SELECT state, count(*), min(date_started), max(date_done) FROM queue_job"
        " WHERE method_name = '_dunning_escalate_job' GROUP BY state"
    )
    return {state: count for state, count, _started, _done in cr.fetchall()}


def wait(cr, kill, timeout):
    deadline = time.monotonic() + timeout
    killed = not kill
    print("watching the jobs", flush=True)
    while time.monotonic() < deadline:
        cr.rollback()
        states = job_states(cr)
        if not killed and "started" in states:
            cr.execute(
                "SELECT worker_pid, uuid FROM queue_job WHERE state = 'started'"
                " AND method_name = '_dunning_escalate_job' LIMIT 1"
            )
            row = cr.fetchone()
            if row and row[0]:
                os.kill(row[0], signal.SIGKILL)
                killed = True
                print(f"killed the server {row[0]} running job {row[1]}", flush=True)
        if set(states) <= {"done", "failed"}:
            cr.execute(
                "SELECT extract(epoch FROM max(date_done) - min(date_started))"
                " FROM queue_job WHERE method_name = '_dunning_escalate_job'"
            )
            print(f"all jobs ended: {states} in {float(cr.fetchone()[0]):.2f} s")
            if not killed:
                sys.exit("ERROR: the jobs ended before a worker could be killed")
            return
        time.sleep(0.02 if not killed else 0.5)
    sys.exit(f"ERROR: jobs not done after {timeout} s: {job_states(cr)}")


def check(env):
    failed = env["queue.job"].search(
        [("method_name", "=", "_dunning_escalate_job"), ("state", "!=", "done")]
    )
    if failed:
        sys.exit(f"ERROR: jobs not done: {failed.mapped('exc_info')}")
    moves = env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("partner_id.name", "like", "Worker %")]
    )
    env.cr.execute(
        "SELECT move_id, level_id, kind, count(*) FROM dunning_event"
        " WHERE state = 'done' AND level_id IS NOT NULL"
        " GROUP BY move_id, level_id, kind HAVING count(*) > 1"
    )
    twice = env.cr.fetchall()
    if twice:
        sys.exit(f"ERROR: steps taken twice: {twice[:10]}")
    emails = env["dunning.event"].search_count(
        [("move_id", "in", moves.ids), ("kind", "=", "email"), ("state", "=", "done")]
    )
    unleveled = moves.filtered(lambda move: not move.dunning_level_id)
    if unleveled or emails != len(moves):
        sys.exit(
            f"ERROR: {len(unleveled)} invoices without a level, {emails} reminder "
            f"steps for {len(moves)} invoices"
        )
    print(f"checked: {len(moves)} invoices, each reminded once, no step twice")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["prepare", "enqueue", "wait", "check"])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--date", type=datetime.date.fromisoformat)
    parser.add_argument("--kill-running-worker", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn", "--no-http"],
        setup_logging=True,
    )
    cr, env = environment(args.database)
    with cr:
        if args.step == "prepare":
            prepare(env, args.customers, args.date)
        elif args.step == "enqueue":
            enqueue(env, args.date)
        elif args.step == "wait":
            wait(cr, args.kill_running_worker, args.timeout)
        else:
            check(env)
        env.flush_all()
        cr.commit()


if __name__ == "__main__":
    main()
