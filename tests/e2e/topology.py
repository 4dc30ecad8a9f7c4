"""The production topology on loopback, for the topology and fault tests.

Two Odoo nodes in prefork mode (2 HTTP workers, a cron worker and the gevent
process each) on one database, behind Debian's nginx, a Mosquitto that requires
credentials and keeps sessions across restarts, and a PostgreSQL server of the
test's own (the fault tests restart it; the machine's shared one is never touched).

Agents are created through the governance methods in ``odoo-bin shell``; agent apps
then speak only HTTP to nginx, as in production.
"""

import json
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import odoo_cli
import requests
from devctl import odoo as devodoo
from devctl.cluster import LoopbackCluster
from devctl.private_postgres import PrivatePostgres
from services import MosquittoBroker

RELAY_USER = "abs-relay"
CONSUMER_USER = "integration"
AGENT_PASSWORD = "topology-agent-password"

SETUP = """
import json
SA, Partner = env["ov.serviced_account"], env["res.partner"]
seed = SA._get_company_seed(env.company)
manager = Partner.create({{"name": "Topology Manager", "email": "topo.manager.{tag}@example.com"}})
branch = SA._abs_create_branch({{"name": "Topology Branch {tag}", "parent_id": seed.id}}, manager)
env["abs.employee"].search([("partner_id", "=", manager.id)])._abs_set_password({password!r})
agents = []
for index in range({agents}):
    email = f"topo.agent{{index}}.{tag}@example.com"
    person = Partner.create({{"name": f"Topology Agent {{index}}", "email": email}})
    env["ov.membership"]._abs_enroll(branch, person, "agent")
    employee = env["abs.employee"].search([("partner_id", "=", person.id)])
    employee._abs_set_password({password!r})
    agents.append({{"login": person.email, "employee_id": employee.id, "partner_id": person.id}})
env.cr.commit()
setup = {{"sa": branch.id, "manager": manager.id, "manager_login": manager.email, "agents": agents}}
print("ABS_SETUP=" + json.dumps(setup), flush=True)
"""


@dataclass
class Topology:
    db: str
    broker: MosquittoBroker
    postgres: PrivatePostgres
    config: Path
    cluster: LoopbackCluster
    sa: int = 0
    agents: list = field(default_factory=list)
    manager_login: str = ""
    consumer_auth: dict = field(default_factory=dict)
    _api_key: str = None

    @property
    def base_url(self):
        return self.cluster.base_url

    def url(self, path):
        return self.cluster.url(path)

    def connect(self):
        import psycopg2

        conn = psycopg2.connect(dbname=self.db, **self.postgres.params)
        conn.autocommit = True
        return conn

    def query(self, sql, params=()):
        with self.connect() as conn, conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def execute(self, sql, params=()):
        with self.connect() as conn, conn.cursor() as cr:
            cr.execute(sql, params)

    def set_relay_cron_active(self, active):
        self.execute(
            "UPDATE ir_cron SET active = %s WHERE id = (SELECT res_id FROM ir_model_data "
            "WHERE module = 'abs_connector' AND name = 'ir_cron_abs_event_relay')",
            [active],
        )

    def cli(self, *args):
        return devodoo.run_cli(odoo_cli.ODOO_PATH, self.config, self.db, *args)

    @property
    def api_key(self):
        if self._api_key is None:
            self._api_key = self.cli("abs_api_key", "create", "--name", f"topology-{uuid.uuid4().hex[:6]}")
        return self._api_key

    def topic_filter(self):
        return f"abs/{self.db}/#"

    def sign_in(self, login, base_url=None):
        response = requests.post(
            f"{base_url or self.base_url}/api/auth/token",
            json={"login": login, "password": AGENT_PASSWORD},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def wait_outbox_sent(self, seconds=120):
        """Wait until no event is pending; return the outbox rows (id, uuid, subject, state)."""
        deadline = time.monotonic() + seconds
        rows = []
        while time.monotonic() < deadline:
            rows = self.query(
                "SELECT id, event_uuid, subject_model, subject_id, state FROM abs_event_outbox ORDER BY id"
            )
            if rows and all(row[4] == "sent" for row in rows):
                return rows
            time.sleep(0.5)
        return rows


def _odoo_cmd(config, subcommand=None):
    subcommands = [subcommand] if subcommand else []
    return [sys.executable, str(odoo_cli.ODOO_PATH / "odoo-bin"), *subcommands, "-c", str(config)]


def _install(config, db):
    log = odoo_cli.LOG_DIR / f"{db}.install.log"
    with log.open("w") as handle:
        code = subprocess.run(
            [
                *_odoo_cmd(config),
                "-d",
                db,
                "-i",
                "abs_connector",
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    assert code == 0, f"installing abs_connector failed; log: {log}"


def _setup_agents(config, db, count):
    tag = uuid.uuid4().hex[:6]
    code = SETUP.format(tag=tag, agents=count, password=AGENT_PASSWORD)
    result = subprocess.run(
        [*_odoo_cmd(config, "shell"), "-d", db, "--no-http"],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"ABS_SETUP=(.*)", result.stdout)
    assert match, f"agent setup failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return json.loads(match.group(1))


def start_topology(agents=12, nodes=2, workers=2):
    db = f"abs_topo_{uuid.uuid4().hex[:6]}"
    relay_password, consumer_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    broker = MosquittoBroker(
        persistence=True, users={RELAY_USER: relay_password, CONSUMER_USER: consumer_password}
    ).start()
    postgres = PrivatePostgres().start()
    try:
        postgres.copy_database_from(odoo_cli.db_params(), odoo_cli.TEMPLATE_DB, db)
        params = postgres.params
        config = devodoo.write_config(
            odoo_cli.ODOO_PATH,
            f"topology-{db}",
            http_port=0,
            mqtt_port=broker.port,
            extra={
                "db_host": params["host"],
                "db_port": str(params["port"]),
                "db_user": params["user"],
                "db_password": params["password"],
                "abs_mqtt_topic_prefix": f"abs/{db}",
                "abs_mqtt_username": RELAY_USER,
                "abs_mqtt_password": relay_password,
                "abs_event_retry_base": "2",
                "abs_event_retry_max": "5",
                # A broker that accepts TCP but never answers (the graceful-stop test
                # freezes it) keeps a relay waiting this long: far beyond any stop.
                "abs_mqtt_connect_timeout": "120",
                "limit_time_real": "60",
                # As in docker/odoo.prod.conf. An idle cron worker sleeps 60-69 s between
                # rounds; under the default (limit_time_real) it is killed and respawned every
                # minute, and a SIGTERM that lands while a new worker is starting, before it
                # installs its handler, leaves that worker asleep past the graceful stop.
                "limit_time_real_cron": "300",
            },
        )
        _install(config, db)
        data = _setup_agents(config, db, agents)
        cluster = LoopbackCluster(_odoo_cmd(config), db, nodes=nodes, workers=workers).start()
    except BaseException:
        broker.cleanup()
        postgres.cleanup()
        raise
    return Topology(
        db=db,
        broker=broker,
        postgres=postgres,
        config=config,
        cluster=cluster,
        sa=data["sa"],
        agents=data["agents"],
        manager_login=data["manager_login"],
        consumer_auth={"username": CONSUMER_USER, "password": consumer_password},
    )


def stop_topology(topology):
    topology.cluster.stop()
    topology.broker.cleanup()
    topology.postgres.cleanup()


# ----------------------------------------------------------------------
# Agent apps
# ----------------------------------------------------------------------


class AgentApp(threading.Thread):
    """One field app: signs in once, then lists, searches, opens, creates and updates customers.

    Every answer is recorded as (method, route, status); creates keep their ids.
    ``retry_with_key``: creates carry an Idempotency-Key and are retried with the same key
    on a network error or a 502/503/504 (sign-in too), as a mobile app on a bad network does.
    """

    def __init__(self, topology, agent, stop_event, pause=0.0, retry_with_key=False):
        super().__init__(daemon=True)
        self.topology = topology
        self.agent = agent
        self.stop_event = stop_event
        self.pause = pause
        self.retry_with_key = retry_with_key
        self.session = requests.Session()
        self.answers = []
        self.attempted = []
        self.created = []
        self.retries = 0
        self.failure = None
        self.tag = uuid.uuid4().hex[:6]  # names stay unique across runs on one database

    def _call(self, method, path, route, **kwargs):
        """The response, or None after a network error (recorded as status 0) in resilient mode."""
        try:
            response = self.session.request(method, self.topology.url(path), timeout=60, **kwargs)
        except requests.RequestException:
            if not self.retry_with_key:
                raise
            self.answers.append((method, route, 0))
            return None
        self.answers.append((method, route, response.status_code))
        return response

    def run(self):
        try:
            token = self._sign_in()
            self.session.headers.update(
                {"Authorization": f"Bearer {token}", "X-SA-ID": str(self.topology.sa)}
            )
            step = 0
            while not self.stop_event.is_set():
                self._one_round(step)
                step += 1
                time.sleep(self.pause)
        except Exception as exc:  # reported by the test, never swallowed
            self.failure = exc

    def _sign_in(self):
        for _attempt in range(40):
            response = self._call(
                "POST",
                "/api/auth/token",
                "sign in",
                json={"login": self.agent["login"], "password": AGENT_PASSWORD},
            )
            if self.retry_with_key and (response is None or response.status_code in (502, 503, 504)):
                time.sleep(0.5)
                continue
            assert response.status_code == 200, response.text
            return response.json()["access_token"]
        raise AssertionError("could not sign in")

    def _one_round(self, step):
        contact_id = self._create(f"{self.agent['login']} {self.tag} customer {step}")
        self._call("GET", "/api/contacts?limit=20", "list")
        self._call("GET", "/api/contacts?search=customer&limit=10", "search")
        if contact_id:
            self._call("GET", f"/api/contacts/{contact_id}", "open")
            self._call("PUT", f"/api/contacts/{contact_id}", "update", json={"phone": f"+228 90 {step:06d}"})

    def _create(self, name):
        key = str(uuid.uuid4())
        self.attempted.append(name)
        headers = {"Idempotency-Key": key} if self.retry_with_key else {}
        for _attempt in range(20):
            response = self._call("POST", "/api/contacts", "create", json={"name": name}, headers=headers)
            if self.retry_with_key and (response is None or response.status_code in (502, 503, 504)):
                self.retries += 1
                time.sleep(0.5)
                continue
            if response.status_code == 201:
                self.created.append((name, response.json()["id"]))
                return response.json()["id"]
            return None
        return None


def run_agents(topology, count, seconds, retry_with_key=False, during=None):
    """Run ``count`` agent apps for ``seconds``; ``during(elapsed_fn)`` runs meanwhile."""
    stop_event = threading.Event()
    apps = [
        AgentApp(
            topology, topology.agents[index % len(topology.agents)], stop_event, retry_with_key=retry_with_key
        )
        for index in range(count)
    ]
    started = time.monotonic()
    for app in apps:
        app.start()
    try:
        if during is not None:
            during(lambda: time.monotonic() - started)
        remaining = seconds - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
    finally:
        stop_event.set()
        for app in apps:
            app.join(timeout=120)
    elapsed = time.monotonic() - started
    failures = [app.failure for app in apps if app.failure]
    assert not failures, f"agent apps failed: {failures[:3]}"
    return apps, elapsed


def report(capsys, line):
    """Print a figures line on the terminal even when the test passes."""
    with capsys.disabled():
        print(f"\n{line}", flush=True)


def summarize(apps, elapsed):
    answers = [answer for app in apps for answer in app.answers]
    statuses = {}
    for _method, _route, status in answers:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "requests": len(answers),
        "rps": round(len(answers) / elapsed, 1),
        "statuses": dict(sorted(statuses.items())),
        "creates": sum(len(app.created) for app in apps),
        "retries": sum(app.retries for app in apps),
    }
