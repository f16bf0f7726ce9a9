"""Builds dunning_escalation/static/description/index.html (the page Odoo's Apps
show) from the readme fragments of dunning_escalation/readme/ and the screenshots
next to it, with docutils (one of Odoo's own requirements).

    python scripts/readme.py           write the page
    python scripts/readme.py --check   fail when the page is not what the fragments make
"""

import ast
import html
import pathlib
import sys

from docutils.core import publish_parts

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDON = ROOT / "dunning_escalation"
PAGE = ADDON / "static" / "description" / "index.html"
SECTIONS = [
    ("DESCRIPTION", None),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("HISTORY", "Changelog"),
    ("CONTRIBUTORS", "Contributors"),
]
SCREENSHOTS = [
    ("dunning_invoice_list.png", "The invoice list: level badges, next step, filters"),
    ("dunning_invoice_tab.png", "An invoice's Dunning tab: level, dates, history"),
    ("dunning_policy_levels.png", "A policy and its ladder of levels"),
    ("dunning_reminder_mail.png", "A reminder as the customer receives it"),
    ("dunning_letter.png", "The final notice as a PDF letter"),
    ("dunning_reply_todo.png", "A customer's reply: its reading, pause and to-do"),
    ("dunning_payment_plan.png", "A payment plan: its instalments, paid and to pay"),
    ("dunning_customer_statement.png", "A customer's dunning statement"),
    ("dunning_segments.png", "Customers by payment segment, with why"),
    ("dunning_ab_test.png", "An A/B test of a reminder and its verdict"),
    ("dunning_collect.png", "Saved payment methods charged: paid, and refused"),
]


def fragment(name):
    source = (ADDON / "readme" / f"{name}.rst").read_text(encoding="utf-8")
    parts = publish_parts(
        source,
        writer_name="html5",
        settings_overrides={
            "initial_header_level": 3,
            "doctitle_xform": False,
            "report_level": 2,
            "halt_level": 2,
        },
    )
    return parts["body"].strip()


def page():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    body = [
        f"<h1>{html.escape(manifest['name'])}</h1>",
        f"<p><em>{html.escape(manifest['summary'])}</em></p>",
        f"<p>Version {html.escape(manifest['version'])}, "
        f"license {html.escape(manifest['license'])}.</p>",
    ]
    for name, title in SECTIONS:
        if title:
            body.append(f"<h2>{html.escape(title)}</h2>")
        body.append(fragment(name))
        if name == "DESCRIPTION":
            body.append("<h2>Screenshots</h2>")
            body += [
                f'<figure><img src="{image}" alt="{html.escape(caption)}" '
                f'style="max-width: 100%"/><figcaption>{html.escape(caption)}'
                "</figcaption></figure>"
                for image, caption in SCREENSHOTS
                if (PAGE.parent / image).exists()
            ]
    content = "\n".join(body)
    return (
        "<!DOCTYPE html>\n<!-- Made by scripts/readme.py from readme/: "
        "edit those, not this. -->\n"
        '<html><head><meta charset="utf-8"/>'
        f"<title>{html.escape(manifest['name'])}</title></head>\n"
        f'<body><section class="oe_container">\n{content}\n</section></body></html>\n'
    )


def main():
    made = page()
    if "--check" in sys.argv[1:]:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != made:
            sys.exit(
                f"{PAGE.relative_to(ROOT)} is not what readme/ makes: run "
                "scripts/readme.py and commit the page"
            )
        return
    PAGE.write_text(made, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
