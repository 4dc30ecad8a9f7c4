"""How fast does the relay drain a backlog of events to a real broker?

    python benchmarks/bench_relay.py                      # 10,000 events: 2,000 customers x 5
    python benchmarks/bench_relay.py --events 50000 --per-subject 1

Creates its own database from the dependency template (``abs_tmpl_deps``
unless --template), installs abs_connector, starts a Mosquitto on a free
loopback port and a subscriber that counts what arrives. Then, inside one
``odoo-bin shell``, it writes the backlog (valid envelopes, several events per
customer so the per-customer ordering rule is exercised) and times the relay
draining it: rounds of ``abs_event_batch_size`` events locked with
``FOR UPDATE SKIP LOCKED``, published at QoS 1, marked sent once acknowledged.
It prints seconds and events/s; it asserts nothing. Run with the project's
virtualenv python; database settings as for tests/e2e (ABS_DB_*).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import odoo_cli  # found through the sys.path entry above
from services import MqttSubscriber, start_mosquitto

# Runs inside `odoo-bin shell`.
DRAIN = """
import time, uuid
from odoo import fields
from odoo.addons.abs_connector.governance import events

ICP = env["ir.config_parameter"].sudo()
for key, value in {settings!r}.items():
    ICP.set_param("abs_connector." + key, value)

subjects, per_subject = {subjects}, {per_subject}
now = fields.Datetime.now()
columns = {{name: [] for name in ("uuid", "sid", "payload")}}
for seq in range(per_subject):
    for subject in range(subjects):
        envelope = events.build_envelope("customer.updated", 1, "res.partner", 1_000_000 + subject,
                                         data={{"changed": {{"ref": f"{{subject}}:{{seq}}"}}}})
        columns["uuid"].append(envelope["id"])
        columns["sid"].append(1_000_000 + subject)
        columns["payload"].append(events.encode(envelope).decode())
env.cr.execute(
    "INSERT INTO abs_event_outbox (event_uuid, event_type, sa_ref, subject_model, subject_id, occurred_at,"
    " payload, state, attempts, create_date, write_date)"
    " SELECT u, 'customer.updated', 1, 'res.partner', s, %s, p, 'pending', 0, %s, %s"
    " FROM unnest(%s::varchar[], %s::int[], %s::text[]) AS t(u, s, p)",
    [now, now, now, columns["uuid"], columns["sid"], columns["payload"]])
env.cr.commit()
print(f"BENCH backlog    {{subjects * per_subject:>9}} events "
      f"({{subjects}} customers x {{per_subject}})", flush=True)

start = time.perf_counter()
published = env["abs.mqtt.relay"]._drain(time_budget=3600)
seconds = time.perf_counter() - start
env.cr.rollback()  # end the shell's snapshot: the relay committed in its own transactions
env.cr.execute("SELECT count(*) FROM abs_event_outbox WHERE state = 'sent'")
sent = env.cr.fetchone()[0]
print(f"BENCH drain      {{seconds:9.2f}} s  {{published:>9}} acked  "
      f"{{published / seconds:>9,.0f}} events/s  ({{sent}} rows marked sent)", flush=True)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--per-subject", type=int, default=5, help="events per customer (ordering chains)")
    parser.add_argument("--batch-size", type=int, default=500, help="abs_event_batch_size")
    parser.add_argument("--template", default=odoo_cli.TEMPLATE_DB)
    parser.add_argument("--db", default="abs_bench_relay")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    subjects = max(1, args.events // args.per_subject)

    print(f"creating {args.db} from {args.template} and installing abs_connector ...", flush=True)
    odoo_cli.create_database(args.db, template=args.template)
    broker = start_mosquitto()
    try:
        odoo_cli.install(args.db)
        prefix = f"abs/{args.db}"
        settings = {
            "mqtt_host": "127.0.0.1",
            "mqtt_port": str(broker.port),
            "mqtt_topic_prefix": prefix,
            "event_batch_size": str(args.batch_size),
            "mqtt_ack_timeout": "30",
        }
        with MqttSubscriber(broker.port, f"{prefix}/#") as subscriber:
            started = time.perf_counter()
            output = odoo_cli.shell(
                args.db,
                DRAIN.format(settings=settings, subjects=subjects, per_subject=args.per_subject),
                label="bench-relay",
            )
            received = subscriber.wait_for(subjects * args.per_subject, timeout=60)
            total = time.perf_counter() - started
        for line in output.splitlines():
            if line.startswith("BENCH"):
                print(line)
        print(f"BENCH subscriber {len(received):>9} events received (QoS 1), {total:.1f} s including setup")
        print(f"      batch size {args.batch_size}, broker mosquitto on 127.0.0.1:{broker.port}")
    finally:
        broker.cleanup()
        if not args.keep_db:
            odoo_cli.drop_database(args.db)


if __name__ == "__main__":
    main()
