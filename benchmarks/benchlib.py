"""What the benchmark scripts share: an Odoo environment on a database, and the
meters (wall time, SQL queries, peak memory) they read per phase.

Run by the venv's Python (the Odoo source is on its path), never imported by Odoo.
"""

import argparse
import contextlib
import functools
import json
import resource
import threading
import time

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import config


def parse_args(description, add_arguments=None):
    """The options of a benchmark script: -c CONF -d DB, then its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()
    config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn", "--no-http"],
        setup_logging=True,
    )
    return args


@contextlib.contextmanager
def environment(database, context=None):
    """A superuser environment on ``database``; committed when the block ends
    without an error, rolled back otherwise."""
    threading.current_thread().dbname = database
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env = env(context={**env["res.users"].context_get(), **(context or {})})
        yield env
        env.flush_all()


def sql_count():
    """SQL queries run by this process so far (every cursor)."""
    return odoo.sql_db.sql_counter


def peak_rss_mb(pid="self"):
    """Peak resident memory of this process (or of process ``pid``) since it
    started or since the last ``reset_peak_rss()``, in MB (Linux's VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss():
    """Start the peak resident memory afresh (from the current one), so that what
    a job peaks at is its own, not what the set-up before it read."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def current_rss_mb():
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class Meter:
    """Wall time and SQL queries per phase, exclusive: the time of a phase that runs
    inside another is counted for the inner one only."""

    def __init__(self):
        self.seconds = {}
        self.queries = {}
        self.calls = {}
        self.grown = {}  # MB the process's resident memory grew by in each phase
        self.raised = {}  # MB the process's peak memory was raised by in each phase
        self._stack = []

    @contextlib.contextmanager
    def phase(self, name):
        start, queries = time.perf_counter(), sql_count()
        rss, peak = current_rss_mb(), peak_rss_mb()
        # Inner phases add their totals here, to be taken off the outer one.
        self._stack.append([0.0, 0, 0.0, 0.0])
        try:
            yield
        finally:
            inner_seconds, inner_queries, inner_grown, inner_raised = self._stack.pop()
            seconds = time.perf_counter() - start
            count = sql_count() - queries
            grown = current_rss_mb() - rss
            self.grown[name] = self.grown.get(name, 0.0) + grown - inner_grown
            raised = peak_rss_mb() - peak
            self.raised[name] = self.raised.get(name, 0.0) + raised - inner_raised
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds - inner_seconds
            self.queries[name] = self.queries.get(name, 0) + count - inner_queries
            self.calls[name] = self.calls.get(name, 0) + 1
            if self._stack:
                self._stack[-1][0] += seconds
                self._stack[-1][1] += count
                self._stack[-1][2] += grown
                self._stack[-1][3] += raised

    def wrap(self, model_class, method, name):
        """Count every call of ``method`` of the registry class ``model_class``
        under phase ``name``; the class itself is changed, for this process only."""
        original = getattr(model_class, method)
        meter = self

        @functools.wraps(original)
        def measured(*args, **kwargs):
            with meter.phase(name):
                return original(*args, **kwargs)

        setattr(model_class, method, measured)

    def as_dict(self):
        return {
            name: {
                "seconds": round(self.seconds[name], 3),
                "queries": self.queries[name],
                "calls": self.calls[name],
                "rss_grown_mb": round(self.grown[name], 1),
                "peak_raised_mb": round(self.raised[name], 1),
            }
            for name in self.seconds
        }


def write_result(path, result):
    with open(path, "w") as out:
        json.dump(result, out, indent=2, default=str)
    print(json.dumps(result, indent=2, default=str))
