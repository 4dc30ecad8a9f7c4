"""The production shape on loopback: two prefork Odoo nodes on one database behind nginx.

Many agent apps speak to nginx at once; the database, the broker and the node logs are
then read as an operator would, to prove that nothing was lost, duplicated or reordered,
that the login throttle and API-key revocation do not depend on the node answering, and that
every node's gevent process serves ``/websocket`` through nginx.
"""

import collections
import re
import uuid

import requests
import websocket
from services import MqttSubscriber
from topology import report, run_agents, summarize

AGENT_APPS = 12
LOAD_SECONDS = 12


def served_by_node(topology):
    """How many API requests each node's log shows (Odoo logs one line per request)."""
    pattern = re.compile(r'"(?:GET|POST|PUT|DELETE) /api/')
    return {name: len(pattern.findall(text)) for name, text in topology.cluster.logs().items()}


def assert_published_once_in_order(topology, received, outbox):
    """Every outbox event reached the consumer exactly once, in outbox order per subject."""
    ids = [payload["id"] for _topic, payload in received]
    counts = collections.Counter(ids)
    expected = [row[1] for row in outbox]
    assert all(row[4] == "sent" for row in outbox), collections.Counter(row[4] for row in outbox)
    missing = set(expected) - set(counts)
    assert not missing, f"{len(missing)} events never arrived"
    duplicated = {event: n for event, n in counts.items() if n > 1}
    assert not duplicated, f"published more than once: {duplicated}"
    position = {event: index for index, event in enumerate(ids)}
    by_subject = collections.defaultdict(list)
    for _row_id, event, model, subject_id, _state in outbox:
        by_subject[(model, subject_id)].append(position[event])
    out_of_order = {subject: p for subject, p in by_subject.items() if p != sorted(p)}
    assert not out_of_order, f"subjects whose events arrived out of order: {list(out_of_order)[:5]}"
    return len(by_subject)


def test_concurrent_agent_apps_through_nginx_lose_and_duplicate_nothing(topology, capsys):
    before = {row[0] for row in topology.query("SELECT id FROM abs_event_outbox")}
    with MqttSubscriber(
        topology.broker.port, topology.topic_filter(), durable=True, **topology.consumer_auth
    ) as subscriber:
        apps, elapsed = run_agents(topology, AGENT_APPS, LOAD_SECONDS)
        outbox = [row for row in topology.wait_outbox_sent() if row[0] not in before]
        received = [
            (topic, payload)
            for topic, payload in subscriber.settle(quiet=1.0, timeout=60)
            if payload["id"] in {row[1] for row in outbox}
        ]
    figures = summarize(apps, elapsed)
    per_node = served_by_node(topology)
    subjects = assert_published_once_in_order(topology, received, outbox)
    report(
        capsys,
        f"TOPOLOGY {AGENT_APPS} agent apps x {elapsed:.0f}s through nginx: {figures}; "
        f"requests per node {per_node}; {len(outbox)} events on {subjects} subjects, each received once",
    )
    assert not [status for status in figures["statuses"] if status >= 500], figures["statuses"]
    assert set(figures["statuses"]) <= {200, 201}, figures["statuses"]
    assert all(count > 0 for count in per_node.values()), f"a node served nothing: {per_node}"
    created = [contact_id for app in apps for _name, contact_id in app.created]
    assert created, "no customer was created"
    rows = topology.query(
        "SELECT p.id FROM res_partner p JOIN ov_sa_customer_assignment a "
        "ON a.partner_id = p.id AND a.state = 'active' AND a.account_id = %s WHERE p.id = ANY(%s)",
        [topology.sa, created],
    )
    assert len(rows) == len(created) == len(set(created)), (len(rows), len(created))


def test_login_throttle_counts_failures_made_on_every_node(topology, capsys):
    login = f"throttle.{uuid.uuid4().hex[:6]}@example.com"
    nodes = topology.cluster.nodes
    statuses = []
    for attempt in range(5):
        node = nodes[attempt % len(nodes)]
        response = requests.post(
            f"{node.base_url}/api/auth/token", json={"login": login, "password": "wrong"}, timeout=30
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5, statuses
    for node in nodes:
        refused = requests.post(
            f"{node.base_url}/api/auth/token", json={"login": login, "password": "wrong"}, timeout=30
        )
        assert refused.status_code == 429, (node.name, refused.status_code, refused.text)
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.json()["error"]["code"] == "too_many_requests"


def test_api_key_revoked_through_one_node_is_refused_by_every_node(topology, capsys):
    name = f"revoke-{uuid.uuid4().hex[:6]}"
    key = topology.cli("abs_api_key", "create", "--name", name)
    nodes = topology.cluster.nodes

    def dry_run_backfill(node):
        return requests.post(
            f"{node.base_url}/api/migration/backfill-customer-assignments",
            json={"dry_run": True},
            headers={"X-API-KEY": key},
            timeout=60,
        )

    for node in nodes:
        accepted = dry_run_backfill(node)
        assert accepted.status_code == 200, (node.name, accepted.text)
    topology.cli("abs_api_key", "revoke", "--name", name)
    for node in nodes:
        refused = dry_run_backfill(node)
        assert refused.status_code == 401, (node.name, refused.status_code, refused.text)
        assert refused.json()["error"]["code"] == "unauthorized"


def test_every_node_serves_websockets_and_nginx_upgrades_them(topology):
    """The gevent process of each node is up, and ``/websocket`` through nginx reaches one.

    Odoo's web client, live chat and notifications ride on it; a gevent process that dies
    at import is respawned forever while every HTTP check still passes.
    """
    for node in topology.cluster.nodes:
        health = requests.get(f"{node.websocket_url}/websocket/health", timeout=10)
        assert health.status_code == 200, (node.name, health.status_code)
        assert health.json() == {"status": "pass"}
    for _attempt in topology.cluster.nodes:  # nginx balances: one handshake per node, roughly
        connection = websocket.create_connection(
            topology.url("/websocket").replace("http://", "ws://", 1),
            header={"Origin": topology.cluster.base_url},
            timeout=10,
        )
        try:
            connection.ping("abs")
            pong = connection.recv_data_frame(control_frame=True)[1]
            assert (pong.opcode, pong.data) == (websocket.ABNF.OPCODE_PONG, b"abs")
        finally:
            connection.close()
