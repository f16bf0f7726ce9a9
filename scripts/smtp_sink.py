"""A local SMTP sink for the demo: every message Odoo sends is kept, not delivered.

Each message is written to the outbox directory twice: as ``<stamp>-<n>.eml`` (opens
in any mail client) and, when it has an HTML body, as ``<stamp>-<n>.html`` (opens in a
browser), and a line is added to ``index.txt`` with the sender, recipients and subject.

    python smtp_sink.py OUTBOX_DIR [PORT]
"""

import datetime
import email
import email.policy
import pathlib
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class OutboxHandler:
    def __init__(self, outbox):
        self.outbox = outbox
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = self.outbox / f"{stamp}-{number:04d}"
        base.with_suffix(".eml").write_bytes(envelope.original_content)
        message = email.message_from_bytes(
            envelope.original_content, policy=email.policy.default
        )
        body = message.get_body(preferencelist=("html",))
        if body is not None:
            base.with_suffix(".html").write_text(body.get_content(), encoding="utf-8")
        line = "{} | from {} | to {} | {}\n".format(
            base.name,
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
            message["subject"],
        )
        with open(self.outbox / "index.txt", "a", encoding="utf-8") as index:
            index.write(line)
        sys.stdout.write("mail kept: " + line)
        sys.stdout.flush()
        return "250 Message accepted for delivery"


def main():
    outbox = pathlib.Path(sys.argv[1])
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 2525
    outbox.mkdir(parents=True, exist_ok=True)
    controller = Controller(OutboxHandler(outbox), hostname="127.0.0.1", port=port)
    controller.start()
    sys.stdout.write(f"SMTP sink on 127.0.0.1:{port}, writing to {outbox}\n")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # A timed wait, so that the signal handlers get to run.
    while not stop.wait(timeout=0.5):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
