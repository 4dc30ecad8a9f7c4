"""The repository's own promises: compose file, odoo.conf, manifest, requirements."""

import ast
import configparser
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMMUNITY_ADDONS = {
    "base",
    "mail",
    "contacts",
    "portal",
    "auth_signup",
    "sale",
    "crm",
    "account",
    "hr",
    "sale_management",
    "web",
    "bus",
    "web_hierarchy",
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_postgres_odoo_and_mosquitto_with_health_checks(compose):
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert "build" in services["odoo"]
    for name in ("db", "mosquitto", "odoo"):
        assert services[name]["healthcheck"]["test"], f"{name} has no health check"


def test_compose_odoo_image_builds_from_odoo_18_with_our_requirements(compose):
    dockerfile = REPO / compose["services"]["odoo"]["build"]["dockerfile"]
    text = dockerfile.read_text()
    assert re.search(r"^FROM odoo:18\.0$", text, re.M)
    assert "requirements.txt" in text


def test_compose_mounts_exist_in_the_repository(compose):
    named = set(compose["volumes"])
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{source} is mounted but missing"
            else:
                assert source in named, f"volume {source} is not declared"
    mounts = {v.split(":")[1] for v in compose["services"]["odoo"]["volumes"]}
    assert {"/etc/odoo/odoo.conf", "/mnt/extra-addons/abs_connector", "/mnt/migrations"} <= mounts


def _odoo_conf():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "odoo.conf")
    return parser["options"]


def _keys_read_by_the_addon():
    """Keys read with config.get(...) / config[...], plus the event relay's settings table."""
    from governance.events import SETTING_KEYS

    pattern = re.compile(r"""config(?:\.get)?[\(\[]\s*["'](abs_[a-z0-9_]+)["']""")
    keys = {key for key, _default, _meaning in SETTING_KEYS}
    for path in (REPO / "abs_connector").rglob("*.py"):
        keys |= set(pattern.findall(path.read_text()))
    return keys


def test_odoo_conf_documents_every_abs_key_the_addon_reads():
    documented = {key for key in _odoo_conf() if key.startswith("abs_")}
    assert _keys_read_by_the_addon() <= documented


def test_odoo_conf_holds_no_secret():
    options = _odoo_conf()
    assert options["abs_jwt_secret"] == ""
    assert options["abs_mqtt_password"] == ""
    assert options["admin_passwd"] == ""


def test_odoo_conf_ships_no_demo_data_and_no_working_master_password():
    options = _odoo_conf()
    assert options["without_demo"] == "all"
    # Odoo refuses every master-password operation while admin_passwd is empty
    assert options["admin_passwd"] == ""
    assert options["list_db"] == "False"


def test_odoo_conf_points_upgrade_path_at_the_mounted_migrations():
    assert _odoo_conf()["upgrade_path"] == "/mnt/migrations"
    assert (REPO / "migrations" / "abs_connector").is_dir()


def test_manifest_is_odoo_18_lgpl_and_depends_on_community_addons_only():
    manifest = ast.literal_eval((REPO / "abs_connector" / "__manifest__.py").read_text())
    assert manifest["version"] == "18.0.1.4.0"
    assert manifest["license"] == "LGPL-3"
    assert set(manifest["depends"]) <= COMMUNITY_ADDONS


def test_requirements_pin_what_the_addon_imports():
    pins = dict(
        line.split("==")
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    names = {name.split("[")[0].lower(): version for name, version in pins.items()}
    assert {"pyjwt", "paho-mqtt", "passlib", "psycopg2"} <= set(names)
    assert names["paho-mqtt"].startswith("2.")


def test_governance_package_imports_no_odoo_at_module_level():
    for path in (REPO / "abs_connector" / "governance").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "odoo" or n.startswith("odoo.") for n in names), f"{path} imports odoo"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "./dev test" in readme
    assert re.search(r"^exec \./dev test$", ci, re.M)


@pytest.fixture(scope="module")
def production():
    return yaml.safe_load((REPO / "docker-compose.prod.yml").read_text())


def test_production_compose_puts_nginx_before_two_prefork_odoo_nodes(production):
    services = production["services"]
    assert {"nginx", "odoo-1", "odoo-2", "db", "mosquitto"} <= set(services)
    for name, service in services.items():
        if name != "odoo-init":  # runs once and exits
            assert service["healthcheck"]["test"], f"{name} has no health check"
    for name in ("odoo-1", "odoo-2"):
        command = " ".join(services[name]["command"])
        workers = int(re.search(r"--workers=(\d+)", command).group(1))
        assert workers >= 2, f"{name} is not in prefork mode"
        assert "--max-cron-threads=" in command and "--gevent-port=8072" in command
        assert int(services[name]["stop_grace_period"].rstrip("s")) > 60  # > limit_time_real
    nginx = (REPO / "docker" / "nginx.conf").read_text()
    assert "server odoo-1:8069" in nginx and "server odoo-2:8069" in nginx
    assert re.search(r"location /websocket \{\s*proxy_pass http://odoo_websocket;", nginx)
    assert "proxy_next_upstream error timeout;" in nginx


def test_production_odoo_conf_runs_behind_the_proxy_and_loads_the_addon_server_wide():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "docker" / "odoo.prod.conf")
    options = parser["options"]
    assert options.getboolean("proxy_mode")
    assert "abs_connector" in options["server_wide_modules"].split(",")
    assert int(options["limit_time_real"]) == 60
    assert options["admin_passwd"] == ""
    for key in ("abs_jwt_secret", "abs_mqtt_password"):
        assert options[key].startswith(
            "CHANGE-ME"
        ), f"{key} holds a value: secrets never go in the repository"


def test_servers_name_their_database_without_a_dbfilter_that_would_cost_a_connection_per_api_call():
    # With a dbfilter Odoo lists the databases, over a new PostgreSQL connection, on every
    # request without a session: every API call (docs/performance.md#delta-overhead).
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "docker" / "odoo.prod.conf")
    assert parser["options"]["db_name"] == "abs"
    assert "dbfilter" not in parser["options"]
    for path in (
        "docker-compose.yml",
        "tests/e2e/odoo_server.py",
        "tools/devctl/cluster.py",
        "tools/devctl/cli.py",
    ):
        assert "--db-filter" not in (REPO / path).read_text(), path


def test_production_broker_requires_credentials_and_keeps_sessions(production):
    mounts = production["services"]["mosquitto"]["volumes"]
    assert "./docker/mosquitto:/mosquitto/config" in mounts
    conf = (REPO / "docker" / "mosquitto" / "mosquitto.conf").read_text()
    assert "listener 1883 0.0.0.0\nallow_anonymous false\npassword_file" in conf
    assert "persistence true" in conf


def test_loopback_cluster_proxies_like_the_production_nginx():
    from devctl.cluster import NGINX_CONF

    production = (REPO / "docker" / "nginx.conf").read_text()
    for directive in (
        "proxy_next_upstream error timeout;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Host $http_host;",
        "proxy_http_version 1.1;",
    ):
        assert directive in production and directive in NGINX_CONF, directive
