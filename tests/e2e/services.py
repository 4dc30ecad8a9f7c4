"""Reusable MQTT services for end-to-end tests and benchmarks.

The broker and subscriber live in the addon (``abs_connector/tests/mqtt_broker.py``)
so the Odoo suites use the same code; it is plain Python (paho, stdlib) and is
loaded here by path, without importing Odoo.

    broker = start_mosquitto()                 # real Mosquitto on a free loopback port
    with MqttSubscriber(broker.port, "abs/#") as sub:
        ...
        sub.wait_for(5)
    broker.cleanup()
"""

import importlib.util
from pathlib import Path

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
