"""How fast does the relay drain a backlog of events to a real broker, and in how much memory?

    python benchmarks/bench_relay.py                          # backlogs of 10,000 then 100,000 events
    python benchmarks/bench_relay.py --events 50000 --per-subject 1

Creates its own database from the dependency template (``abs_tmpl_deps``
unless --template), installs abs_connector, starts a Mosquitto on a free
loopback port (Mosquitto's default logging, no line per message; no cap on the
subscriber's queue) and a ``mosquitto_sub`` that records what arrives. Then, for each
backlog size, inside its own ``odoo-bin shell``, it writes the backlog (valid
envelopes, several events per customer so the per-customer ordering rule is
exercised; in blocks of 10,000 so the writing does not weigh on the memory
figure) and times the relay draining it: rounds of ``abs_event_batch_size``
events locked with ``FOR UPDATE SKIP LOCKED``, published at QoS 1 with up to
``MAX_INFLIGHT`` PUBACKs outstanding, marked sent once acknowledged. It prints
seconds, events/s and the shell process's resident memory before the drain
and at its peak during it (flat memory: the same peak for 10,000 and 100,000),
and checks per-customer order on the subscriber's side. It asserts nothing.
Run with the project's virtualenv python; database settings as for tests/e2e
(ABS_DB_*).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import odoo_cli  # found through the sys.path entry above
from services import MosquittoBroker

BLOCK = 10_000

# Runs inside `odoo-bin shell`.
DRAIN = """
import gc, resource, time
from odoo import fields
from odoo.addons.abs_connector.governance import events

def rss_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

ICP = env["ir.config_parameter"].sudo()
for key, value in {settings!r}.items():
    ICP.set_param("abs_connector." + key, value)

subjects, per_subject, first_subject = {subjects}, {per_subject}, {first_subject}
now = fields.Datetime.now()
rows = [(seq, subject) for seq in range(per_subject) for subject in range(subjects)]
for start in range(0, len(rows), {block}):
    columns = {{name: [] for name in ("uuid", "sid", "payload")}}
    for seq, subject in rows[start:start + {block}]:
        envelope = events.build_envelope("customer.updated", 1, "res.partner", first_subject + subject,
                                         data={{"changed": {{"ref": f"{{subject}}:{{seq}}"}}}})
        columns["uuid"].append(envelope["id"])
        columns["sid"].append(first_subject + subject)
        columns["payload"].append(events.encode(envelope).decode())
    env.cr.execute(
        "INSERT INTO abs_event_outbox (event_uuid, event_type, sa_ref, subject_model, subject_id,"
        " occurred_at, payload, state, attempts, create_date, write_date)"
        " SELECT u, 'customer.updated', 1, 'res.partner', s, %s, p, 'pending', 0, %s, %s"
        " FROM unnest(%s::varchar[], %s::int[], %s::text[]) AS t(u, s, p)",
        [now, now, now, columns["uuid"], columns["sid"], columns["payload"]])
    env.cr.commit()
del rows, columns
env.cr.execute("ANALYZE abs_event_outbox")
env.cr.commit()
gc.collect()
print(f"BENCH backlog    {{subjects * per_subject:>9}} events "
      f"({{subjects}} customers x {{per_subject}})", flush=True)

before = rss_kib("VmRSS")
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # reset the peak (VmHWM) to the current RSS
def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

start, cpu_start = time.perf_counter(), cpu_seconds()
published = env["abs.mqtt.relay"]._drain(time_budget=3600)
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
peak = rss_kib("VmHWM")
env.cr.rollback()  # end the shell's snapshot: the relay committed in its own transactions
env.cr.execute("SELECT count(*) FROM abs_event_outbox WHERE state = 'sent' AND subject_id >= %s",
               [first_subject])
sent = env.cr.fetchone()[0]
print(f"BENCH drain      {{seconds:9.2f}} s  {{published:>9}} acked  "
      f"{{published / seconds:>9,.0f}} events/s  ({{sent}} rows marked sent)", flush=True)
print(f"BENCH cpu        {{cpu:9.2f}} s of CPU in the relay's process ({{cpu / seconds:.0%}} of the drain)",
      flush=True)
print(f"BENCH memory     {{before / 1024:9.1f}} MiB resident before the drain, "
      f"{{peak / 1024:.1f}} MiB at its peak (+{{(peak - before) / 1024:.1f}} MiB)", flush=True)
"""

# The bench broker: loopback, anonymous, Mosquitto's default logging; no cap on
# the queue of the subscriber (should it fall behind the relay), so that what it
# counts is what the relay published, not what Mosquitto dropped for it.
BROKER_CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 1000
"""


class CommandLineSubscriber:
    """Mosquitto's own ``mosquitto_sub`` (C), subscribed at QoS 1, writing every message to a file.

    The subscriber shares the machine's two CPUs with the relay, PostgreSQL and
    Mosquitto. A Python (paho) subscriber spends about as much CPU per message
    as the relay itself, so it took most of a CPU away from what is measured;
    ``mosquitto_sub`` spends a small fraction of that. Consumers of a real
    deployment run elsewhere.
    """

    def __init__(self, port, prefix):
        self.port = port
        self.probe_topic = f"{prefix}/bench-probe"
        self.command = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1"]
        self.command += ["-t", f"{prefix}/#", "-F", "%t %p"]
        self.output = None
        self.process = None

    def __enter__(self):
        self.output = tempfile.NamedTemporaryFile(prefix="bench-relay-", suffix=".txt")
        self.process = subprocess.Popen(self.command, stdout=self.output, stderr=subprocess.DEVNULL)
        self._wait_until_subscribed()
        return self

    def __exit__(self, *exc_info):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.output.close()
        return False

    def _wait_until_subscribed(self, timeout=10.0):
        """Publish a probe until it comes back: only then is the subscription in place."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", "1"]
            subprocess.run([*probe, "-t", self.probe_topic, "-m", "probe"], check=True)
            time.sleep(0.2)
            if self._lines():
                return
        raise RuntimeError(f"mosquitto_sub did not subscribe on port {self.port} within {timeout:g} s")

    def _lines(self):
        self.output.flush()
        with open(self.output.name, "rb") as received:
            return received.read().splitlines()

    def wait_for(self, count, timeout):
        """The (topic, payload) of the events received once ``count`` arrived (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while True:
            events = [line.split(b" ", 1) for line in self._lines()]
            events = [event for event in events if event[0].decode() != self.probe_topic]
            if len(events) >= count or time.monotonic() > deadline:
                return events
            time.sleep(0.5)


def _out_of_order(messages):
    """How many events arrived before an earlier event of the same customer."""
    last = {}
    late = 0
    for _topic, payload in messages:
        envelope = json.loads(payload)
        subject, seq = envelope["data"]["changed"]["ref"].split(":")
        if last.get(subject, -1) > int(seq):
            late += 1
        last[subject] = int(seq)
    return late


def _sizes(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, not {text!r}")
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("each backlog needs at least one event")
    return sizes


def _settings(args, broker, prefix):
    settings = {
        "mqtt_host": "127.0.0.1",
        "mqtt_port": str(broker.port),
        "mqtt_topic_prefix": prefix,
        "mqtt_ack_timeout": "30",
    }
    if args.batch_size:
        settings["event_batch_size"] = str(args.batch_size)
    return settings


def _drain_backlog(args, broker, prefix, events, first_subject):
    subjects = max(1, events // args.per_subject)
    total_events = subjects * args.per_subject
    with CommandLineSubscriber(broker.port, prefix) as subscriber:
        started = time.perf_counter()
        output = odoo_cli.shell(
            args.db,
            DRAIN.format(
                settings=_settings(args, broker, prefix),
                subjects=subjects,
                per_subject=args.per_subject,
                first_subject=first_subject,
                block=BLOCK,
            ),
            label="bench-relay",
        )
        received = subscriber.wait_for(total_events, timeout=120)
        total = time.perf_counter() - started
    for line in output.splitlines():
        if line.startswith("BENCH"):
            print(line)
    print(
        f"BENCH subscriber {len(received):>9} events received (QoS 1), "
        f"{_out_of_order(received)} out of order per customer, {total:.1f} s including setup",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events",
        type=_sizes,
        default=[10_000, 100_000],
        help="backlog sizes, comma-separated (default 10000,100000), each drained on its own",
    )
    parser.add_argument("--per-subject", type=int, default=5, help="events per customer (ordering chains)")
    parser.add_argument(
        "--batch-size", type=int, help="abs_event_batch_size (default: the relay's own default)"
    )
    parser.add_argument("--template", default=odoo_cli.TEMPLATE_DB)
    parser.add_argument("--db", default="abs_bench_relay")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    print(f"creating {args.db} from {args.template} and installing abs_connector ...", flush=True)
    odoo_cli.create_database(args.db, template=args.template)
    broker = MosquittoBroker(config=BROKER_CONFIG, quiet=True).start()
    try:
        odoo_cli.install(args.db)
        prefix = f"abs/{args.db}"
        print(f"BENCH load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}", flush=True)
        first_subject = 1_000_000
        for events in args.events:
            _drain_backlog(args, broker, prefix, events, first_subject)
            first_subject += events
        batch = args.batch_size or "the default"
        print(f"      batch size {batch}, broker mosquitto on 127.0.0.1:{broker.port}")
        print(f"BENCH load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}", flush=True)
    finally:
        broker.cleanup()
        if not args.keep_db:
            odoo_cli.drop_database(args.db)


if __name__ == "__main__":
    main()
