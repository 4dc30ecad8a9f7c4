"""Draw the governance benchmark's figures: latency against customers, and the relay's rate.

    python benchmarks/chart_governance.py --out docs/assets/performance-governance.png \
        /tmp/bench-10k.json /tmp/bench-100k.json /tmp/bench-1m-one-sa.json /tmp/bench-1m.json

Each argument is a ``--json`` file of bench_governance.py. The left panel plots the median
latency of the list pages against the number of customers (log scale), one line per request
and layout: the governed list (agent, staff, assigned_only) next to Odoo's own list page and the
native-rule baseline. The right panel shows the relay's events per second, from the runs that
measured it. It needs matplotlib (benchmarks/requirements-chart.txt), nothing from Odoo.
"""

import argparse
import json
import re
import sys
from pathlib import Path

# The requests drawn, by their name in the benchmark's figures, with their line style.
SERIES = {
    "governed list, agent": {"color": "tab:blue", "marker": "o"},
    "governed list, staff (sa_wide)": {"color": "tab:orange", "marker": "s"},
    "governed list, assigned_only": {"color": "tab:green", "marker": "^"},
    "Odoo's own list page (web_search_read)": {"color": "black", "marker": "D"},
    "native rule list": {"color": "tab:gray", "marker": "v"},
}
LAYOUT_STYLE = {"spread": "-", "one-sa": "--"}
RELAY_RATE = re.compile(r"([\d,.]+)\s*(?:events|ev)/s")


def load(paths):
    runs = []
    for path in paths:
        results = json.loads(Path(path).read_text())
        data = results["data"]
        runs.append(
            {
                "customers": int(data["customers"]),
                "layout": data.get("layout", "spread"),
                "medians": {row["name"]: row["median_ms"] for row in results["requests"]},
                "relay": relay_rate(results.get("relay") or []),
            }
        )
    return sorted(runs, key=lambda run: (run["layout"], run["customers"]))


def relay_rate(lines):
    """The highest events/s the relay benchmark printed, or None."""
    rates = [float(match.group(1).replace(",", "")) for line in lines for match in RELAY_RATE.finditer(line)]
    return max(rates) if rates else None


def draw(runs, out, extra_relay=()):
    import matplotlib  # only this script needs it: imported when drawing

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, relay) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 1]})
    for layout, style in LAYOUT_STYLE.items():
        of_layout = [run for run in runs if run["layout"] == layout]
        for name, look in SERIES.items():
            points = [(run["customers"], run["medians"][name]) for run in of_layout if name in run["medians"]]
            if points:
                xs, ys = zip(*points, strict=True)
                latency.plot(xs, ys, linestyle=style, label=f"{name} [{layout}]", **look)
    latency.set_xscale("log")
    latency.set_xlabel("customers (log scale)")
    latency.set_ylabel("median latency, ms (GET over HTTP, 50 rows)")
    latency.set_title("List page latency against customers")
    latency.set_ylim(bottom=0)
    latency.grid(True, which="both", alpha=0.3)
    latency.legend(fontsize=7)

    measured = [(f"{run['customers']:,}\n{run['layout']}", run["relay"]) for run in runs if run["relay"]]
    measured += list(extra_relay)
    if measured:
        labels, rates = zip(*measured, strict=True)
        relay.bar(labels, rates, color="tab:purple")
    else:
        relay.text(
            0.5, 0.5, "not measured\nin these runs", ha="center", va="center", transform=relay.transAxes
        )
    relay.axhline(10_000, color="tab:red", linestyle=":", label="target 10,000/s")
    relay.set_title("Outbox relay to Mosquitto (QoS 1)")
    relay.set_ylabel("events per second")
    relay.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    print(f"CHART written to {out}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", nargs="+", type=Path, help="--json files of bench_governance.py")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument(
        "--relay-log",
        type=Path,
        action="append",
        default=[],
        help="output of a separate benchmarks/bench_relay.py run to draw as well (repeatable)",
    )
    args = parser.parse_args(argv)
    extra = []
    for path in args.relay_log:
        rate = relay_rate(path.read_text().splitlines())
        if rate:
            extra.append((path.stem, rate))
    draw(load(args.results), args.out, extra)


if __name__ == "__main__":
    sys.exit(main())
