"""Load benchmark: agent apps (Locust) against the loopback production topology.

    ./dev bench load [--users 16] [--seconds 60] [--nodes 1,2] [--markdown FILE] [--chart FILE]
    ./dev bench load --faults [--seconds 60]

Starts what the topology tests start (two Odoo nodes in prefork mode behind
Debian's nginx, a PostgreSQL of its own, an authenticating Mosquitto; see
tests/e2e/topology.py), then for each node count points nginx at that many nodes
and runs Locust headless with the scenarios of locustfile_agents.py. Prints, per
endpoint, requests, failures, requests per second and p50/p95/p99 in ms, the
error rate, and the scaling factor between node counts. Asserts nothing.

``--faults`` runs the fault tests of tests/e2e/test_topology_faults.py with a long
load (``--seconds``) instead, and prints their FAULT lines.
"""

import argparse
import csv
import html
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests" / "e2e"), str(REPO / "tools")]

from topology import AGENT_PASSWORD, start_topology, stop_topology  # noqa: E402

LOCUSTFILE = HERE / "locustfile_agents.py"
PERCENTILES = ("50%", "95%", "99%")


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=16, help="concurrent apps (default 16)")
    parser.add_argument("--seconds", type=int, default=60, help="load duration per node count (default 60)")
    parser.add_argument("--nodes", default="1,2", help="node counts to measure (default 1,2)")
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers per node (default 2)")
    parser.add_argument("--agents", type=int, default=20, help="agent accounts to create (default 20)")
    parser.add_argument("--markdown", help="also write the result tables (Markdown) to this file")
    parser.add_argument("--chart", help="also write an SVG chart of p50/p95 and requests/s to this file")
    parser.add_argument("--faults", action="store_true", help="run the fault scenarios with a long load")
    return parser.parse_args()


def locust_binary():
    path = os.environ.get("ABS_LOCUST")
    if not path or not Path(path).exists():
        sys.exit("Locust not found: run this benchmark through ./dev bench load")
    return path


def run_locust(base_url, setup_file, users, seconds, prefix):
    cmd = [
        locust_binary(),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "-u",
        str(users),
        "-r",
        str(max(1, users // 2)),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        base_url,
        "--csv",
        str(prefix),
    ]
    log = Path(f"{prefix}.log")
    with log.open("w") as handle:
        subprocess.run(
            cmd, env={**os.environ, "ABS_LOAD_SETUP": str(setup_file)}, stdout=handle, stderr=handle
        )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def as_row(stat):
    requests_count = int(stat["Request Count"])
    failures = int(stat["Failure Count"])
    return {
        "endpoint": stat["Name"] if stat["Name"] != "Aggregated" else "all endpoints",
        "requests": requests_count,
        "failures": failures,
        "error_rate": failures / requests_count if requests_count else 0.0,
        "rps": float(stat["Requests/s"]),
        **{p: float(stat[p] or 0) for p in PERCENTILES},
    }


def print_table(nodes, rows):
    print(f"\n{nodes} node(s) behind nginx:")
    print(
        f"  {'endpoint':<34} {'requests':>8} {'errors':>7} {'req/s':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    for row in rows:
        print(
            f"  {row['endpoint']:<34} {row['requests']:>8} {row['error_rate']:>6.1%} {row['rps']:>7.1f} "
            f"{row['50%']:>8.0f} {row['95%']:>8.0f} {row['99%']:>8.0f}",
            flush=True,
        )


def markdown(results, args):
    lines = [
        f"{args.users} concurrent apps, {args.seconds} s per node count, "
        f"{args.workers} HTTP workers per node.",
        "",
        "| nodes | endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for nodes, rows in results.items():
        for row in rows:
            lines.append(
                f"| {nodes} | {html.escape(row['endpoint'])} | {row['requests']} | {row['error_rate']:.1%} | "
                f"{row['rps']:.1f} | {row['50%']:.0f} | {row['95%']:.0f} | {row['99%']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def svg_chart(results):
    """Grouped bars: p50 and p95 per endpoint for each node count, requests/s in the legend."""
    endpoints = [row["endpoint"] for row in next(iter(results.values()))]
    colors = {"1": ("#9fa8da", "#3949ab"), "2": ("#a5d6a7", "#2e7d32")}
    top = max(row["95%"] for rows in results.values() for row in rows) or 1
    width, height, left, bottom = 900, 60 + 34 * len(endpoints) * len(results), 250, 40
    scale = (width - left - 40) / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="{left}" y="20" font-weight="bold">'
        "Latency per endpoint (ms): p50 (light) and p95 (dark)</text>",
    ]
    y = 40
    for endpoint in endpoints:
        for nodes, rows in results.items():
            row = next(r for r in rows if r["endpoint"] == endpoint)
            light, dark = colors.get(str(nodes), ("#ccc", "#666"))
            label = html.escape(f"{endpoint} · {nodes} node(s)")
            parts.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{label}</text>')
            parts.append(
                f'<rect x="{left}" y="{y}" width="{row["95%"] * scale:.1f}" height="14" fill="{dark}"/>'
            )
            parts.append(
                f'<rect x="{left}" y="{y}" width="{row["50%"] * scale:.1f}" height="14" fill="{light}"/>'
            )
            parts.append(
                f'<text x="{left + row["95%"] * scale + 4:.1f}" y="{y + 12}">{row["95%"]:.0f}</text>'
            )
            y += 17
        y += 14
    legend = ", ".join(
        f"{nodes} node(s): {next(r for r in rows if r['endpoint'] == 'all endpoints')['rps']:.1f} req/s"
        for nodes, rows in results.items()
    )
    parts.append(f'<text x="{left}" y="{y + 14}">Throughput, all endpoints — {legend}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def run_faults(args):
    env = {**os.environ, "ABS_FAULT_LOAD_SECONDS": str(args.seconds)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(REPO / "tests" / "e2e" / "test_topology_faults.py"),
        "-q",
        "-s",
    ]
    cmd += ["-p", "no:cacheprovider", "-p", "no:odoo"]
    return subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode


def main():
    args = parse_args()
    if args.faults:
        return run_faults(args)
    node_counts = [int(n) for n in args.nodes.split(",")]
    started = time.monotonic()
    topology = start_topology(agents=args.agents, nodes=max(node_counts), workers=args.workers)
    print(
        f"topology up in {time.monotonic() - started:.0f}s: {topology.base_url}, database {topology.db}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="abs-load-"))
    setup_file = workdir / "setup.json"
    setup_file.write_text(
        json.dumps(
            {
                "sa": topology.sa,
                "agents": topology.agents,
                "manager_login": topology.manager_login,
                "password": AGENT_PASSWORD,
            }
        )
    )
    results = {}
    try:
        for nodes in node_counts:
            topology.cluster.nginx.reload(topology.cluster.nodes[:nodes])
            stats = run_locust(
                topology.base_url, setup_file, args.users, args.seconds, workdir / f"nodes{nodes}"
            )
            rows = [as_row(stat) for stat in stats]
            rows.sort(key=lambda row: (row["endpoint"] == "all endpoints", row["endpoint"]))
            results[nodes] = rows
            print_table(nodes, rows)
    finally:
        stop_topology(topology)
    totals = {nodes: rows[-1]["rps"] for nodes, rows in results.items()}
    if len(totals) > 1:
        first, last = min(totals), max(totals)
        print(f"\nscaling: {totals[last] / totals[first]:.2f}x requests/s from {first} to {last} node(s)")
    if args.markdown:
        Path(args.markdown).write_text(markdown(results, args))
    if args.chart:
        Path(args.chart).write_text(svg_chart(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
