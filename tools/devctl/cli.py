"""``./dev run`` starts abs_connector with demo data; ``./dev test`` runs every test layer."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import layers, mosquitto, odoo, postgres, processes, system, venv, wheel
from .errors import DevError
from .paths import REPO, STATE, VENV_PYTHON, odoo_path, odoo_tree_problem
from .results import LayerResult, summary
from .shell import is_root, say

ALL_LAYERS = ("lint", "unit", "odoo", "e2e")


def prepare_machine():
    if is_root():
        system.ensure_packages()
    elif missing := system.missing_packages():
        raise DevError(f"missing Debian packages: {' '.join(missing)}; install them with apt-get as root")
    system.warn_missing_optional()
    # wkhtmltopdf (Debian's build, on system Qt) never needs a display: without this a caller's
    # desktop session (QT_QPA_PLATFORM=xcb or wayland) would be inherited by every Odoo started here.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


def cmd_test(args):
    layers_wanted = args.only.split(",") if args.only else list(ALL_LAYERS)
    unknown = set(layers_wanted) - set(ALL_LAYERS)
    if unknown:
        raise DevError(f"unknown layer(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL_LAYERS)}")
    prepare_machine()
    tree = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
    problem = odoo_tree_problem(tree)
    venv.ensure(None if problem else tree)
    results, started = [], None
    try:
        if "lint" in layers_wanted:
            results.append(layers.lint())
        if "unit" in layers_wanted:
            results.append(layers.unit(args.pytest_k))
        odoo_layers = [name for name in ("odoo", "e2e") if name in layers_wanted]
        if odoo_layers and problem:
            results += [LayerResult(name, skip_reason=f"{problem} (set ODOO_PATH)") for name in odoo_layers]
        elif odoo_layers:
            started = postgres.ensure_running()
            config = odoo.write_config(tree, "test", http_port=odoo.free_port())
            template = odoo.ensure_template(tree, config)
            if "odoo" in layers_wanted:
                results.append(
                    layers.odoo_suites(tree, config, template, keep=args.keep, test_tags=args.test_tags)
                )
            if "e2e" in layers_wanted:
                results.append(layers.e2e(tree, template, args.pytest_k))
    finally:
        postgres.stop(started)
    print("", flush=True)
    for result in results:
        print(result.line())
    skipped = [r.name for r in results if r.skip_reason]
    if skipped:
        print(f"WARNING: LAYERS NOT RUN: {', '.join(skipped).upper()} — SEE THE REASONS ABOVE")
    for result in results:
        for note in result.skip_notes:
            print(f"WARNING: {result.name.upper()} TESTS SKIPPED — {note.upper()}")
    print(summary(results), flush=True)
    return 0 if all(r.ok for r in results) else 1


def cmd_run(args):
    prepare_machine()
    tree = odoo_path()
    venv.ensure(tree)
    odoo.require_port(args.port)
    database, broker, server = None, None, None
    # Ctrl-C, SIGTERM (a supervisor) and SIGHUP (a closed terminal) all end up
    # in the same finally: what was started here is stopped here.
    with processes.stop_signals_interrupt():
        try:
            database = postgres.ensure_running()
            broker = mosquitto.start(args.mqtt_port)
            config = odoo.write_run_config(tree, http_port=args.port, mqtt_port=args.mqtt_port)
            ensure_demo_database(tree, config, args.db)
            print_welcome(tree, config, args)
            server = processes.start(odoo.odoo_cmd(tree, config, "-d", args.db))
            return server.wait()
        except KeyboardInterrupt as interruption:
            say(f"stopping ({interruption or 'Ctrl-C'})")
            return 0
        finally:
            processes.ignore_stop_signals()
            processes.stop(server)
            processes.stop(broker, timeout=5)
            postgres.stop(database)


def cmd_bench(args):
    """Prepare what the benchmarks need, then run one with its own arguments."""
    script = REPO / "benchmarks" / f"bench_{args.name}.py"
    if not script.is_file():
        raise DevError(
            f"no benchmark {args.name!r}; choose from governance, backfill, relay, delta, load, seat_rules"
        )
    prepare_machine()
    tree = odoo_path()
    venv.ensure(tree)
    postgres.ensure_running()
    config = odoo.write_config(tree, "bench", http_port=odoo.free_port())
    template = odoo.ensure_template(tree, config)
    env = {**os.environ, "ODOO_PATH": str(tree), "ABS_TEMPLATE_DB": template, **layers.postgres_env()}
    if args.name == "load":
        env["ABS_LOCUST"] = str(venv.ensure_locust())
    return subprocess.run(
        [str(VENV_PYTHON), str(script), *args.bench_args], cwd=REPO, env=env, check=False
    ).returncode


def cmd_pot(_args):
    """Regenerate abs_connector/i18n/abs_connector.pot (run it after adding or changing a string)."""
    prepare_machine()
    tree = odoo_path()
    venv.ensure(tree)
    started = postgres.ensure_running()
    try:
        config = odoo.write_config(tree, "pot", http_port=odoo.free_port())
        template = odoo.ensure_template(tree, config)
        say(f"wrote {odoo.export_pot(tree, config, template).relative_to(REPO)}")
    finally:
        postgres.stop(started)
    return 0


def cmd_wheel(args):
    """Build odoo-addon-abs_connector (sdist and wheel) with the upgrade scripts inside."""
    venv.ensure(odoo_path(required=False))
    built = wheel.build(Path(args.dist).resolve())
    say(f"built {built}")
    say(f"install it with: pip install {built}   (then odoo -u abs_connector needs no upgrade_path)")
    return 0


def ensure_demo_database(tree, config, db):
    if postgres.database_exists(db) and odoo.module_state(db) == "installed":
        say(f"reusing database {db}")
        return
    say(f"creating database {db} with abs_connector and demo data (first time: several minutes)")
    postgres.drop_database(db)
    odoo.install_addon(tree, config, db, STATE / f"install-{db}.log", demo=True)


def api_key(tree, config, db):
    """The demo database's system API key, created once and kept in the state directory."""
    path = STATE / "secrets" / f"api-key-{db}"
    if not path.exists():
        key = odoo.run_cli(tree, config, db, "abs_api_key", "create", "--name", "dev-run")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key)
        path.chmod(0o600)
    return path.read_text().strip()


def print_welcome(tree, config, args):
    base = f"http://127.0.0.1:{args.port}"
    key = api_key(tree, config, args.db)
    print(WELCOME.format(base=base, db=args.db, key=key, mqtt=args.mqtt_port), flush=True)


WELCOME = """
abs_connector is starting on {base}  (database {db})
  Back office:  {base}/odoo        login admin / password admin
  API reference: {base}/api/docs  (OpenAPI document: {base}/api/openapi.json)
  Event contract: {base}/api/asyncapi.json  (AsyncAPI 3.0)
  System key:   {key}    (X-API-KEY, for /api/service-accounts and /api/migration/*)
  MQTT events:  mosquitto_sub -h 127.0.0.1 -p {mqtt} -t 'abs/{db}/#' -v

  An agent token (demo agent jean@example.com, password demo-agent-password):
    curl -s {base}/api/auth/token -H 'Content-Type: application/json' \\
         -d '{{"login": "jean@example.com", "password": "demo-agent-password"}}'
  Then list the customers the agent may see in its Service Account:
    curl -s {base}/api/me/service-accounts -H "Authorization: Bearer $TOKEN"
    curl -s {base}/api/contacts -H "Authorization: Bearer $TOKEN" -H "X-SA-ID: <sa id>"
Stop with Ctrl-C (or SIGTERM / SIGHUP): everything started here stops with it.
"""


def parser():
    main = argparse.ArgumentParser(prog="./dev", description=__doc__)
    sub = main.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start PostgreSQL, Mosquitto and Odoo with abs_connector and demo data")
    run.add_argument("--db", default="abs_demo", help="database name (default abs_demo)")
    run.add_argument("--port", type=int, default=8069, help="HTTP port on 127.0.0.1 (default 8069)")
    run.add_argument("--mqtt-port", type=int, default=1883, help="MQTT broker port (default 1883)")
    run.set_defaults(func=cmd_run)
    test = sub.add_parser("test", help="run every test layer and print one summary line per layer")
    test.add_argument("--only", help=f"comma-separated layers among {','.join(ALL_LAYERS)}")
    test.add_argument("--keep", action="store_true", help="keep the Odoo test database afterwards")
    test.add_argument(
        "--test-tags",
        default="/abs_connector",
        help="Odoo --test-tags for the odoo layer (default /abs_connector), e.g. /abs_connector:TestApiAuth",
    )
    test.add_argument("-k", dest="pytest_k", help="pytest -k expression for the unit and e2e layers")
    test.set_defaults(func=cmd_test)
    bench = sub.add_parser(
        "bench",
        help="run a benchmark (governance, backfill, relay, delta, load, seat_rules); it prints figures",
    )
    bench.add_argument("name", nargs="?", default="governance", help="which benchmark (default governance)")
    bench.add_argument(
        "bench_args", nargs=argparse.REMAINDER, help="passed to the benchmark, e.g. --customers 1000000"
    )
    bench.set_defaults(func=cmd_bench)
    pot = sub.add_parser("pot", help="regenerate abs_connector/i18n/abs_connector.pot with Odoo's export")
    pot.set_defaults(func=cmd_pot)
    build = sub.add_parser(
        "wheel", help="build odoo-addon-abs_connector (sdist and wheel, upgrade scripts included) into dist/"
    )
    build.add_argument("--dist", default=str(REPO / "dist"), help="output directory (default dist/)")
    build.set_defaults(func=cmd_wheel)
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except DevError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 2
