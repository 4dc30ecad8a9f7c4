# Installed ONLY into the throw-away database of benchmarks/bench_governance.py,
# which puts benchmarks/addons on the addons path. Never ship or install it
# anywhere else: its endpoints answer without authentication.
{
    "name": "ABS Connector — benchmark baselines",
    "summary": "Benchmark-only endpoints: the governed contact list's page without governance "
    "and with Odoo's native salesman rule, for benchmarks/bench_governance.py; Odoo's per-request "
    "floor for benchmarks/bench_delta.py",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "ABS Connector team",
    "license": "LGPL-3",
    "depends": ["abs_connector"],
    "data": [],
    "installable": True,
    "application": False,
}
