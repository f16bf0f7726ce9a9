"""Prints what a benchmark run measured, and its row of the README's table.

python benchmarks/report.py GENERATE.json [OURS.json|""] [PEER.json|""]
"""

import json
import sys


def load(path):
    if not path:
        return None
    with open(path) as result:
        return json.load(result)


def main():
    generated, ours, peer = (load(p) for p in [*sys.argv[1:4], "", ""][:3])
    invoices = generated["invoices"]
    print(
        f"\nData: {invoices} invoices of {generated['customers']} customers, "
        f"generated in {generated['seconds']} s ({generated['timings']})"
    )
    for result in (ours, peer):
        if not result:
            continue
        print(
            f"{result['job']:>4}: {result['seconds']} s, "
            f"{result['ms_per_invoice']} ms and {result['queries_per_invoice']} "
            f"queries per invoice, peak {result['peak_rss_mb']} MB "
            f"(before the job {result['rss_before_mb']} MB), "
            f"{result['mails_queued']} mails queued"
        )
        for name, phase in result["phases"].items():
            per = result["phases_per_invoice"][name]
            print(
                f"      {name:<15} {phase['seconds']:>9.2f} s {per['ms']:>8.3f} ms/inv "
                f"{phase['queries']:>8} queries {per['queries']:>7.3f}/inv"
            )
        for day in result.get("next_days", []):
            print(
                f"      then {day['date']}: {day['seconds']} s "
                f"({day['ms_per_invoice']} ms per open invoice), "
                f"{day['queries']} queries, {day['steps_done']} steps done, "
                f"peak {day['peak_rss_mb']} MB"
            )
        delivery = result.get("delivery")
        if delivery:
            print(
                f"      delivery: {delivery['delivered']} mails to the SMTP sink in "
                f"{delivery['seconds']} s ({delivery['ms_per_mail']} ms and "
                f"{delivery['queries']} queries in all), "
                f"{delivery['still_queued']} left queued"
            )
    ratio = "n/a"
    if ours and peer:
        ratio = f"{peer['ms_per_invoice'] / ours['ms_per_invoice']:.1f}x"
        print(f"Peer time per invoice / ours: {ratio}")
    decision = (
        ours["phases_per_invoice"].get("decision", {}).get("queries", 0)
        if ours
        else "n/a"
    )
    cells = [
        f"{invoices:,}",
        f"{ours['seconds']:.1f} s" if ours else "n/a",
        f"{peer['seconds']:.1f} s" if peer else "n/a",
        ratio,
        (f"{ours['queries_per_invoice']:.2f} ({decision:.3f})" if ours else "n/a"),
        f"{ours['peak_rss_mb']:.0f} MB" if ours else "n/a",
        f"{peer['queries_per_invoice']:.1f}" if peer else "n/a",
        f"{peer['peak_rss_mb']:.0f} MB" if peer else "n/a",
    ]
    print("README row: | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
