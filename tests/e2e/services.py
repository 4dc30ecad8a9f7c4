"""Reusable MQTT and SMTP services for end-to-end tests and benchmarks.

The broker and subscriber live in the addon (``abs_connector/tests/mqtt_broker.py``)
so the Odoo suites use the same code; it is plain Python (paho, stdlib) and is
loaded here by path, without importing Odoo.

    broker = start_mosquitto()                 # real Mosquitto on a free loopback port
    with MqttSubscriber(broker.port, "abs/#") as sub:
        ...
        sub.wait_for(5)
    broker.cleanup()

and a real SMTP server that keeps the mails Odoo sends (``SmtpSink``).
"""

import email
import email.policy
import importlib.util
from pathlib import Path

from aiosmtpd.controller import Controller

_HELPER = Path(__file__).resolve().parents[2] / "abs_connector" / "tests" / "mqtt_broker.py"
_spec = importlib.util.spec_from_file_location("abs_mqtt_broker", _HELPER)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

MosquittoBroker = _module.MosquittoBroker
MqttSubscriber = _module.MqttSubscriber
free_port = _module.free_port


def start_mosquitto(port=None, deny_publish=()):
    """Start a Mosquitto with a generated config in a temp dir; call ``.cleanup()`` when done.

    ``deny_publish``: topic patterns the broker refuses (ACL), for failure scenarios.
    """
    return MosquittoBroker(port=port, deny_publish=deny_publish).start()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every mail it receives.

    Odoo's e2e servers send through it, so a test reads the mail a customer would get.

        sink = SmtpSink().start()
        ... sink.messages_to("marie@client.com") ...
        sink.stop()
    """

    def __init__(self, port=None):
        self.port = port or free_port()
        self.received = []  # (recipients, email.message.EmailMessage)
        self._controller = None

    async def handle_DATA(self, _server, _session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def messages_to(self, address):
        return [message for recipients, message in self.received if address in recipients]
