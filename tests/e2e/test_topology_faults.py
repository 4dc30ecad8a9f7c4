"""Faults under load on the loopback production topology; nothing lost, nothing twice.

Each test runs agent apps through nginx for a few seconds, breaks one component in
the middle (the broker, one Odoo node, PostgreSQL, a graceful stop), repairs it and
then reads the database and the consumer's messages. Each prints its figures on a
line starting with ``FAULT``. The long versions are ``./dev bench load --faults``.
"""

import collections
import datetime
import os
import signal
import threading
import time
import uuid

import requests
from services import MqttSubscriber
from topology import report, run_agents, summarize

AGENT_APPS = 8
# Seconds of load per fault; ./dev bench load --faults runs the long version.
LOAD_SECONDS = int(os.environ.get("ABS_FAULT_LOAD_SECONDS", "12"))


def durable_subscriber(topology, name):
    return MqttSubscriber(
        topology.broker.port,
        topology.topic_filter(),
        durable=True,
        client_id=f"abs-durable-{name}-{os.getpid()}",
        **topology.consumer_auth,
    )


def new_outbox(topology, before):
    return [row for row in topology.wait_outbox_sent(seconds=150) if row[0] not in before]


def outbox_ids(topology):
    return {row[0] for row in topology.query("SELECT id FROM abs_event_outbox")}


def delivery(subscriber, outbox):
    """(missing, duplicated, max delay in s) of the outbox rows at the consumer."""
    wanted = {row[1] for row in outbox}
    messages = subscriber.settle(quiet=1.5, timeout=90)
    counts = collections.Counter(payload["id"] for _topic, payload in messages if payload["id"] in wanted)
    delays = []
    for (_topic, payload), received in zip(messages, list(subscriber.received_at), strict=False):
        if payload["id"] in wanted:
            occurred = datetime.datetime.fromisoformat(payload["occurred_at"].replace("Z", "+00:00"))
            delays.append(received - occurred.timestamp())
    missing = wanted - set(counts)
    duplicated = sum(n - 1 for n in counts.values())
    return missing, duplicated, max(delays, default=0.0)


def assert_creates_complete(topology, apps):
    """Every name an app tried exists at most once; every 201 is in the DB, assigned."""
    attempted = [name for app in apps for name in app.attempted]
    rows = topology.query(
        "SELECT p.name, count(*), count(a.id) FROM res_partner p "
        "LEFT JOIN ov_sa_customer_assignment a ON a.partner_id = p.id AND a.state = 'active' "
        "WHERE p.name = ANY(%s) GROUP BY p.name",
        [attempted],
    )
    twice = [name for name, count, _assigned in rows if count > 1]
    unassigned = [name for name, _count, assigned in rows if assigned == 0]
    assert not twice, f"created twice: {twice}"
    assert not unassigned, f"customers without an active assignment (partial writes): {unassigned}"
    created = {name for app in apps for name, _id in app.created}
    assert created <= {name for name, _count, _assigned in rows}
    return len(rows)


def test_broker_restart_during_load_delays_events_and_loses_none(topology, capsys):
    before = outbox_ids(topology)
    down = {}

    def restart_broker(elapsed):
        time.sleep(2)
        topology.broker.stop()
        down["at"] = elapsed()
        time.sleep(3)
        topology.broker.start()
        down["for"] = elapsed() - down["at"]

    with durable_subscriber(topology, "broker") as subscriber:
        apps, elapsed = run_agents(topology, AGENT_APPS, LOAD_SECONDS, during=restart_broker)
        outbox = new_outbox(topology, before)
        missing, duplicated, max_delay = delivery(subscriber, outbox)
    figures = summarize(apps, elapsed)
    report(
        capsys,
        f"FAULT broker restart: down {down['for']:.1f}s during {elapsed:.0f}s of load {figures}; "
        f"{len(outbox)} events, {len(missing)} lost, {duplicated} duplicates (QoS 1, de-duplicated by id), "
        f"max delay {max_delay:.1f}s",
    )
    assert set(figures["statuses"]) <= {200, 201}, figures["statuses"]
    assert outbox and not missing


def test_kill_9_of_one_node_mid_load_reroutes_and_creates_nothing_twice(topology, capsys):
    before = outbox_ids(topology)
    victim = topology.cluster.nodes[0]
    token = topology.sign_in(topology.agents[0]["login"])
    key = str(uuid.uuid4())
    create = {
        "json": {"name": f"Created on the victim {key[:8]}"},
        "headers": {"Authorization": f"Bearer {token}", "X-SA-ID": str(topology.sa), "Idempotency-Key": key},
    }
    killed = {}

    def kill_node(elapsed):
        # A create the victim answered just before dying; its client retries it below.
        killed["first"] = requests.post(f"{victim.base_url}/api/contacts", timeout=60, **create)
        time.sleep(max(0.0, 3 - elapsed()))
        victim.kill()
        killed["at"] = elapsed()

    try:
        with durable_subscriber(topology, "kill") as subscriber:
            apps, elapsed = run_agents(
                topology, AGENT_APPS, LOAD_SECONDS, retry_with_key=True, during=kill_node
            )
            outbox = new_outbox(topology, before)
            missing, duplicated, _delay = delivery(subscriber, outbox)
        retried = requests.post(
            topology.url("/api/contacts"), timeout=60, **create
        )  # answered by the survivor
        figures = summarize(apps, elapsed)
        customers = assert_creates_complete(topology, apps)
        late = [status for app in apps for _m, _r, status in app.answers[-3:]]
        same_name = topology.query(
            "SELECT count(*) FROM res_partner WHERE name = %s", [create["json"]["name"]]
        )
        report(
            capsys,
            f"FAULT kill -9 of {victim.name} at {killed['at']:.1f}s of {elapsed:.0f}s: {figures}; "
            f"{customers} customers, none twice; the victim's last create retried through the survivor: "
            f"{retried.status_code} replayed={retried.headers.get('Idempotent-Replayed')}; "
            f"{len(outbox)} events, {len(missing)} lost, {duplicated} duplicates",
        )
        assert killed["first"].status_code == 201, killed["first"].text
        assert retried.status_code == 201 and retried.headers.get("Idempotent-Replayed") == "true"
        assert retried.json()["id"] == killed["first"].json()["id"]
        assert same_name == [(1,)]
        assert not missing
        assert set(late) <= {200, 201}, f"the surviving node did not take over: {late}"
        assert not {status for status in figures["statuses"] if status not in (0, 200, 201, 502)}
    finally:
        victim.start()


def test_postgres_restart_answers_503_with_retry_after_never_404_then_recovers(topology, capsys):
    before = outbox_ids(topology)
    token = topology.sign_in(topology.agents[0]["login"])
    headers = {"Authorization": f"Bearer {token}", "X-SA-ID": str(topology.sa)}
    known = requests.post(
        topology.url("/api/contacts"), json={"name": "PG probe"}, headers=headers, timeout=60
    )
    assert known.status_code == 201, known.text
    probe_url = topology.url(f"/api/contacts/{known.json()['id']}")
    probes, stop_probing = [], threading.Event()

    def probe():
        while not stop_probing.is_set():
            try:
                response = requests.get(probe_url, headers=headers, timeout=30)
            except requests.RequestException as exc:
                probes.append((0, None, repr(exc)))
            else:
                code = response.json().get("error", {}).get("code") if response.status_code != 200 else None
                probes.append((response.status_code, response.headers.get("Retry-After"), code))
            time.sleep(0.05)

    outage = {}

    def restart_postgres(elapsed):
        time.sleep(3)
        outage["at"] = elapsed()
        topology.postgres.restart(down_seconds=3)
        outage["for"] = elapsed() - outage["at"]

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        apps, elapsed = run_agents(
            topology, AGENT_APPS, LOAD_SECONDS, retry_with_key=True, during=restart_postgres
        )
    finally:
        stop_probing.set()
        prober.join(timeout=60)
    outbox = new_outbox(topology, before)
    figures = summarize(apps, elapsed)
    customers = assert_creates_complete(topology, apps)
    statuses = collections.Counter(status for status, _retry, _code in probes)
    report(
        capsys,
        f"FAULT PostgreSQL restart ({outage['for']:.1f}s down) during {elapsed:.0f}s of load: "
        f"agents {figures}; probe GET answers {dict(statuses)}; {customers} customers complete; "
        f"{len(outbox)} events sent after",
    )
    unavailable = [(retry, code) for status, retry, code in probes if status == 503]
    assert unavailable, "the probe never saw the outage"
    assert set(statuses) <= {200, 503}, statuses
    assert all(retry and int(retry) > 0 and code == "database_unavailable" for retry, code in unavailable)
    assert probes[-1][0] == 200
    assert set(figures["statuses"]) <= {200, 201, 503}, figures["statuses"]
    assert all(row[4] == "sent" for row in outbox)


def test_sigterm_finishes_in_flight_requests_and_a_stuck_relay_holds_nothing_up(topology, capsys):
    node = topology.cluster.nodes[1]
    token = topology.sign_in(topology.agents[1]["login"])
    headers = {"Authorization": f"Bearer {token}", "X-SA-ID": str(topology.sa)}
    results = []

    def create(index):
        response = requests.post(
            f"{node.base_url}/api/contacts", json={"name": f"In flight {index}"}, headers=headers, timeout=120
        )
        results.append((response.status_code, time.monotonic()))

    # A broker that accepts connections and never answers: every relay thread now
    # waits abs_mqtt_connect_timeout (120 s, beyond limit_time_real) for a CONNACK.
    # The retry cron is paused: a cron job is waited for by design, a thread must not be.
    topology.set_relay_cron_active(False)
    os.kill(topology.broker.process.pid, signal.SIGSTOP)
    try:
        warm = requests.post(
            f"{node.base_url}/api/contacts", json={"name": "Relay wakes"}, headers=headers, timeout=60
        )
        assert warm.status_code == 201
        clients = [threading.Thread(target=create, args=(index,)) for index in range(node.workers)]
        for client in clients:
            client.start()
        time.sleep(0.05)
        sent_at = time.monotonic()
        stop_seconds = node.terminate(timeout=60)
        for client in clients:
            client.join(timeout=60)
    finally:
        os.kill(topology.broker.process.pid, signal.SIGCONT)
        topology.set_relay_cron_active(True)
        node.start()
    finished_after = [round(done - sent_at, 2) for _status, done in results]
    report(
        capsys,
        f"FAULT SIGTERM of {node.name} with {len(clients)} requests in flight and its relay stuck: "
        f"stopped in {stop_seconds:.1f}s; answers {[status for status, _done in results]}, "
        f"finished {finished_after}s after the signal",
    )
    assert [status for status, _done in results] == [201] * len(clients)
    # A relay that held the stop up would keep the node until limit_time_real (60 s).
    assert stop_seconds < 45, "the node waited for its relay thread instead of stopping"
