"""Screenshots of a running demo for the addon's description page.

Logs in over JSON-RPC, finds the records to show (an overdue invoice at a dunning
level, its customer, the company's policy, a reminder mail the SMTP sink kept), drives
a headless Chromium through the DevTools protocol at a fixed window size, and writes
one PNG per page; the dunning letter is rendered to PDF by Odoo and its first page
turned into a PNG with pdftoppm.

    python screenshots.py --url http://localhost:8069 --db dunning_demo \
        --outbox ~/.cache/dunning_escalation/outbox \
        --out dunning_escalation/static/description

Exits with a message, and without writing a half set, when the demo lacks something
to show.
"""

import argparse
import base64
import datetime
import email.parser
import email.policy
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import requests
import websocket

MAIL_HEADERS = ("From", "To", "Subject", "Date")
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Shown while the web client fetches or blocks the screen.
BUSY_SELECTOR = ".o_loading_indicator, .o_blockUI, body.o_ui_blocked"


class ScreenshotError(Exception):
    """Something the demo lacks, or a page that never became ready."""


class Odoo:
    """A logged-in JSON-RPC session on the demo."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.ids = itertools.count(1)
        try:
            self._post(
                "/web/session/authenticate",
                {"db": db, "login": login, "password": password},
            )
        except requests.ConnectionError as error:
            raise ScreenshotError(
                f"no Odoo answers on {self.url}: start the demo first (scripts/demo)"
            ) from error
        self.session_id = self.http.cookies.get("session_id")
        if not self.session_id:
            raise ScreenshotError(
                f"logging in to {self.url} as {login} gave no session"
            )

    def _post(self, path, params):
        response = self.http.post(
            self.url + path,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": next(self.ids),
                "params": params,
            },
            timeout=120,
        )
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise ScreenshotError(
                f"{path}: {data.get('message') or answer['error'].get('message')}"
            )
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def search_read(self, model, domain, fields, **kwargs):
        return self.call(model, "search_read", domain, fields, **kwargs)

    def download(self, path):
        response = self.http.get(self.url + path, timeout=300)
        response.raise_for_status()
        return response.content


class Chromium:
    """A headless Chromium driven over the DevTools protocol, one page."""

    def __init__(self, width, height):
        binary = next(filter(None, map(shutil.which, CHROME_NAMES)), None)
        if not binary:
            raise ScreenshotError(
                "no Chromium found: install it (scripts/setup.sh does, as the "
                "Debian package chromium)"
            )
        self.profile = tempfile.mkdtemp(prefix="dunning-shots-")
        args = [
            binary,
            "--headless",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        if os.geteuid() == 0:
            # Chromium's sandbox refuses to run as root.
            args.insert(1, "--no-sandbox")
        self.log = pathlib.Path(self.profile, "chromium.log")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=log)
        self.ws = websocket.create_connection(
            self._page_socket(), timeout=30, suppress_origin=True
        )
        self.ids = itertools.count(1)
        self.in_flight = set()
        self.last_network = time.monotonic()
        self.send("Page.enable")
        self.send("Network.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _page_socket(self):
        """The DevTools websocket of the first page, once Chromium has written its
        port to the profile."""
        port_file = pathlib.Path(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ScreenshotError(
                    f"Chromium stopped at start: {self.log.read_text()[-2000:]}"
                )
            if port_file.exists() and port_file.stat().st_size > 5:
                port = port_file.read_text().split()[0]
                targets = requests.get(
                    f"http://127.0.0.1:{port}/json/list", timeout=10
                ).json()
                pages = [t for t in targets if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.1)
        raise ScreenshotError("Chromium did not open its DevTools port in 30 s")

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    # The protocol: commands answered by id, events in between.

    def send(self, method, **params):
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = self._receive(timeout=60)
            if message is None:
                raise ScreenshotError(f"Chromium did not answer {method} in 60 s")
            if message.get("id") == message_id:
                if "error" in message:
                    raise ScreenshotError(f"{method}: {message['error']['message']}")
                return message.get("result", {})

    def _receive(self, timeout):
        self.ws.settimeout(timeout)
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        self._track(message)
        return message

    def _track(self, message):
        """Keeps the set of requests in flight, to know when the page is idle."""
        method = message.get("method")
        params = message.get("params", {})
        if method == "Network.requestWillBeSent":
            # The bus's shared worker loads without a loader of the page and never
            # reports the end of its load to the page.
            if params.get("loaderId"):
                self.in_flight.add(params["requestId"])
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            self.in_flight.discard(params["requestId"])
        else:
            return
        self.last_network = time.monotonic()

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            raise ScreenshotError(f"in the page: {text}")
        return result["result"].get("value")

    # Pages.

    def set_cookie(self, url, name, value):
        self.send("Network.setCookie", url=url, name=name, value=value)

    def open(self, url, ready, timeout=60):
        self.in_flight.clear()
        self.send("Page.navigate", url=url)
        self.wait(ready, timeout)

    def wait(self, ready, timeout=60):
        """Until ``ready`` (a CSS selector) is on the page, the web client shows
        nothing busy and no request has been in flight for half a second."""
        deadline = time.monotonic() + timeout
        check = (
            f"!!document.querySelector({json.dumps(ready)}) && "
            f"!document.querySelector({json.dumps(BUSY_SELECTOR)}) && "
            "document.readyState === 'complete'"
        )
        while time.monotonic() < deadline:
            while self._receive(timeout=0.05) is not None:
                pass
            quiet = time.monotonic() - self.last_network > 0.5
            if quiet and not self.in_flight and self.evaluate(check):
                # Fonts, images and transitions settle.
                self.evaluate("document.fonts.ready.then(() => true)")
                time.sleep(0.4)
                return
            time.sleep(0.1)
        url = self.evaluate("location.href")
        seen = pathlib.Path(tempfile.mkstemp(prefix="dunning-shots-", suffix=".png")[1])
        self.screenshot(seen)
        raise ScreenshotError(
            f"{url} did not show {ready} within {timeout} s; the page as it was: {seen}"
        )

    def click(self, selector, ready):
        found = self.evaluate(
            f"(el => el ? (el.click(), true) : false)"
            f"(document.querySelector({json.dumps(selector)}))"
        )
        if not found:
            raise ScreenshotError(f"nothing to click: {selector}")
        self.wait(ready)

    def do_action(self, action, ready, context=None):
        """Opens an action in the web client, as a menu would, with extra context
        (default search filters, say)."""
        options = {"clearBreadcrumbs": True, "additionalContext": context or {}}
        self.evaluate(
            "odoo.__WOWL_DEBUG__.root.env.services.action.doAction("
            f"{json.dumps(action)}, {json.dumps(options)}).then(() => true)"
        )
        self.wait(ready)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


def find_records(odoo, outbox):
    """What the screenshots show, found in the demo's data."""
    invoices = odoo.search_read(
        "account.move",
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ["not_paid", "partial"]),
            ("dunning_level_id", "!=", False),
            # The demo runs on this machine: its today is ours.
            ("invoice_date_due", "<", datetime.date.today().isoformat()),
            ("dunning_blocked_until", "=", False),
            ("dunning_handed_off", "=", False),
        ],
        [
            "name",
            "commercial_partner_id",
            "dunning_event_ids",
            "company_id",
            "currency_id",
        ],
    )
    if not invoices:
        raise ScreenshotError(
            "the demo has no open overdue invoice at a dunning level: load the demo "
            "data (scripts/demo creates it) or run the dunning job first"
        )
    # The invoice with the longest history shows the most on its Dunning tab; one
    # without a PDF attached (a letter, say), whose preview would take half the
    # form's width.
    previewed = {
        attachment["res_id"]
        for attachment in odoo.search_read(
            "ir.attachment",
            [
                ("res_model", "=", "account.move"),
                ("res_id", "in", [inv["id"] for inv in invoices]),
                ("mimetype", "=", "application/pdf"),
            ],
            ["res_id"],
        )
    }
    invoice = max(
        invoices,
        key=lambda inv: (
            inv["id"] not in previewed,
            # The demo's European customers: their reminders carry a QR code.
            inv["currency_id"][1] == "EUR",
            len(inv["dunning_event_ids"]),
        ),
    )
    company = odoo.search_read(
        "res.company", [("id", "=", invoice["company_id"][0])], ["dunning_policy_id"]
    )[0]
    if not company["dunning_policy_id"]:
        raise ScreenshotError(f"the company {invoice['company_id'][1]} has no policy")
    # The letter as the job stored it, the one a user prints.
    letters = odoo.search_read(
        "dunning.event",
        [
            ("kind", "=", "letter"),
            ("state", "=", "done"),
            ("attachment_id", "!=", False),
        ],
        ["attachment_id"],
        order="date desc, id desc",
        limit=1,
    )
    if not letters:
        raise ScreenshotError("the demo holds no letter: is its history built?")
    # A customer's reply to a reminder, waiting for a user to check its reading.
    replies = odoo.search_read(
        "dunning.event",
        [("kind", "=", "reply"), ("reply_status", "=", "to_check")],
        ["move_id"],
        order="date desc, id desc",
        limit=1,
    )
    if not replies:
        raise ScreenshotError("the demo holds no reply to check: is its history built?")
    plans = odoo.search_read(
        "dunning.plan", [("state", "=", "running")], ["id"], order="id", limit=1
    )
    if not plans:
        raise ScreenshotError("the demo holds no running payment plan")
    variants = odoo.search_read(
        "dunning.level.variant", [], ["level_id"], order="id", limit=1
    )
    if not variants:
        raise ScreenshotError("the demo holds no A/B test of a level")
    return {
        "ab_level_id": variants[0]["level_id"][0],
        "plan_id": plans[0]["id"],
        "reply_invoice_id": replies[0]["move_id"][0],
        "invoice": invoice,
        "customer_id": invoice["commercial_partner_id"][0],
        "policy_id": company["dunning_policy_id"][0],
        "letter_attachment_id": letters[0]["attachment_id"][0],
        "mail": find_reminder_mail(odoo, outbox, invoice["id"]),
    }


def find_reminder_mail(odoo, outbox, invoice_id):
    """(the .html the SMTP sink kept, its headers) of a dunning reminder, one with
    the payment QR code first: of ``invoice_id`` when there is one, else of the
    latest reminder sent. Several demos
    share the outbox: a mail is matched on the Message-Id of a mail the dunning
    history links, else on its subject (the same demo data sends the same mails)."""
    events = odoo.search_read(
        "dunning.event",
        [
            ("kind", "=", "email"),
            ("state", "=", "done"),
            ("mail_message_id", "!=", False),
        ],
        ["move_id", "mail_message_id"],
        order="date desc, id desc",
        limit=200,
    )
    messages = {
        message["id"]: message
        for message in odoo.search_read(
            "mail.message",
            [("id", "in", [e["mail_message_id"][0] for e in events])],
            ["message_id", "subject"],
        )
    }
    wanted = [
        messages[e["mail_message_id"][0]]
        for e in sorted(events, key=lambda e: e["move_id"][0] != invoice_id)
        if e["mail_message_id"][0] in messages
    ]
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    by_id, by_subject = {}, {}
    # Oldest first: a later mail of the same subject replaces an earlier one.
    for eml in sorted(pathlib.Path(outbox).glob("*.eml")):
        html = eml.with_suffix(".html")
        if not html.exists():
            continue
        with eml.open("rb") as handle:
            headers = parser.parse(handle)
        kept = (html, {name: str(headers.get(name, "")) for name in MAIL_HEADERS})
        by_id[str(headers.get("Message-Id", "")).strip()] = kept
        by_subject[str(headers.get("Subject", ""))] = kept
    found = [
        kept
        for kept in (
            *(by_id.get(message["message_id"]) for message in wanted),
            *(by_subject.get(message["subject"]) for message in wanted),
        )
        if kept
    ]
    # A reminder with the QR code that pays it, when the demo sent one (euros).
    with_code = [
        kept for kept in found if 'alt="QR code"' in kept[0].read_text(errors="ignore")
    ]
    if with_code or found:
        return (with_code or found)[0]
    raise ScreenshotError(
        f"no reminder mail of the dunning history in {outbox}: the demo's mail queue "
        "has not sent one yet (Settings > Technical > Emails)"
    )


def take(odoo, chrome, records, work):
    """Writes every PNG into ``work``; the caller moves them to ``out``."""
    base = odoo.url
    invoice = records["invoice"]
    chrome.set_cookie(base, "session_id", odoo.session_id)
    shots = []

    def shot(name):
        chrome.screenshot(work / name)
        shots.append(name)

    chrome.open(
        f"{base}/odoo/action-account.action_move_out_invoice_type", ".o_list_view"
    )
    chrome.do_action(
        "account.action_move_out_invoice_type",
        ".o_list_view .o_data_row td[name=dunning_level_id] .badge",
        context={"search_default_dunning_active": 1},
    )
    shot("dunning_invoice_list.png")

    chrome.open(
        f"{base}/odoo/action-account.action_move_out_invoice_type/{invoice['id']}",
        ".o_form_view .o_notebook a[name=dunning]",
    )
    chrome.click(
        ".o_form_view .o_notebook a[name=dunning]",
        ".o_field_widget[name=dunning_event_ids] .o_data_row",
    )
    # The tab below the invoice's header, as a user scrolls to it: its headers just
    # below the status bar, which stays on top.
    chrome.evaluate(
        """(() => {
            const tabs = document.querySelector(".o_form_view .o_notebook_headers");
            const bar = document.querySelector(".o_form_view .o_form_statusbar");
            tabs.style.scrollMarginTop = `${(bar ? bar.offsetHeight : 0) + 8}px`;
            tabs.scrollIntoView({block: "start"});
            return true;
        })()"""
    )
    chrome.wait(".o_field_widget[name=dunning_level_id]")
    shot("dunning_invoice_tab.png")

    # The to-do a customer's reply gives, in the invoice's chatter.
    chrome.open(
        f"{base}/odoo/action-account.action_move_out_invoice_type/"
        f"{records['reply_invoice_id']}",
        ".o-mail-Activity-note .o_dunning_reply",
    )
    chrome.evaluate(
        """(() => {
            const activity = document.querySelector(".o-mail-Activity");
            activity.scrollIntoView({block: "center"});
            return true;
        })()"""
    )
    shot("dunning_reply_todo.png")

    chrome.open(
        f"{base}/odoo/action-dunning_escalation.action_dunning_plan/"
        f"{records['plan_id']}",
        ".o_field_widget[name=instalment_ids] .o_data_row",
    )
    shot("dunning_payment_plan.png")

    # Customers by payment segment, with the figures behind each.
    chrome.do_action(
        {
            "type": "ir.actions.act_window",
            "res_model": "dunning.behaviour",
            "views": [[False, "list"]],
            "name": "Payment Behaviour",
        },
        ".o_list_view .o_data_row td[name=segment] .badge",
    )
    shot("dunning_segments.png")

    chrome.open(
        f"{base}/odoo/action-dunning_escalation.action_dunning_level/"
        f"{records['ab_level_id']}",
        ".o_field_widget[name=variant_ids] .o_data_row",
    )
    chrome.evaluate(
        """(() => {
            const verdict = document.querySelector(".o_field_widget[name=ab_verdict]");
            verdict.scrollIntoView({block: "center"});
            return true;
        })()"""
    )
    shot("dunning_ab_test.png")

    # The statutory rates of this year, each derived from its central bank's rate.
    chrome.do_action(
        {
            "type": "ir.actions.act_window",
            "res_model": "dunning.interest.rate",
            "views": [[False, "list"]],
            "name": "Statutory Interest Rates",
            "domain": [["date_from", ">=", "2026-01-01"]],
        },
        ".o_list_view .o_data_row td[name=reference_rate_id]",
    )
    shot("dunning_interest_rates.png")

    # The charges of saved payment methods: paid, and refused with the reason.
    chrome.do_action(
        {
            "type": "ir.actions.act_window",
            "res_model": "dunning.event",
            "views": [[False, "list"]],
            "name": "Dunning History",
            "domain": [
                ["kind", "in", ["collect", "email"]],
                [
                    "partner_id.name",
                    "in",
                    ["Bloemenhuis Jansen B.V.", "Fietsenmakerij De Spaak"],
                ],
            ],
        },
        ".o_list_view .o_data_row td[name=kind]",
    )
    shot("dunning_collect.png")

    chrome.open(
        f"{base}/odoo/action-dunning_escalation.action_dunning_policy/"
        f"{records['policy_id']}",
        ".o_field_widget[name=level_all_ids] .o_data_row",
    )
    shot("dunning_policy_levels.png")

    chrome.open(
        f"{base}/report/html/dunning_escalation.report_dunning_statement/"
        f"{records['customer_id']}",
        ".page",
    )
    shot("dunning_customer_statement.png")

    html, headers = records["mail"]
    chrome.open(html.resolve().as_uri(), "body")
    # What a mail client shows above the message.
    chrome.evaluate(
        f"""((headers) => {{
            const box = document.createElement("div");
            box.style.cssText = "font: 14px sans-serif; color: #444; padding: 8px; "
                + "margin-bottom: 16px; border-bottom: 1px solid #ccc;";
            for (const [name, value] of Object.entries(headers)) {{
                const line = box.appendChild(document.createElement("div"));
                line.appendChild(document.createElement("b")).textContent = name + ": ";
                line.appendChild(document.createTextNode(value));
            }}
            document.body.prepend(box);
            return true;
        }})({json.dumps(headers)})"""
    )
    shot("dunning_reminder_mail.png")

    pdf = work / "letter.pdf"
    pdf.write_bytes(
        odoo.download(f"/web/content/{records['letter_attachment_id']}?download=true")
    )
    if not pdf.read_bytes().startswith(b"%PDF"):
        raise ScreenshotError("the stored letter is no PDF")
    subprocess.run(
        [
            *("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"),
            str(pdf),
            str(work / "dunning_letter"),
        ],
        check=True,
    )
    shots.append("dunning_letter.png")
    return shots


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="dunning_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--outbox", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--size", default="1400x900", help="window size, WxH")
    args = parser.parse_args()
    width, height = map(int, args.size.lower().split("x"))
    if not shutil.which("pdftoppm"):
        sys.exit("ERROR: pdftoppm is missing: apt-get install poppler-utils")

    chrome = None
    try:
        odoo = Odoo(args.url, args.db, args.login, args.password)
        records = find_records(odoo, args.outbox)
        chrome = Chromium(width, height)
        with tempfile.TemporaryDirectory(prefix="dunning-shots-") as work:
            work = pathlib.Path(work)
            shots = take(odoo, chrome, records, work)
            args.out.mkdir(parents=True, exist_ok=True)
            for name in shots:
                shutil.move(work / name, args.out / name)
                print(args.out / name)
    except ScreenshotError as error:
        sys.exit(f"ERROR: {error}")
    finally:
        if chrome:
            chrome.close()


if __name__ == "__main__":
    main()
