"""Publishing outbox events to MQTT with paho-mqtt 2.x, QoS 1.

Plain Python: takes :class:`~.events.RelaySettings` and messages, returns which
ones the broker acknowledged. It knows nothing about the database; the Odoo
side (``models/abs_mqtt_relay.py``) decides which rows to send and what to
record afterwards.

A message counts as delivered only when its PUBACK arrived with a success
reason code. Everything else — a refused publish, a missing PUBACK, a lost
connection — is reported as a failure with a reason the back office can show.
"""

import itertools
import logging
import os
import ssl
import threading
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

_logger = logging.getLogger(__name__)

# How many QoS 1 messages may wait for their PUBACK at once. Large enough to
# keep the connection busy, small enough to stay under brokers' receive maximum.
MAX_INFLIGHT = 100
KEEPALIVE = 30
_client_numbers = itertools.count(1)


class BrokerUnavailable(Exception):
    """The broker could not be reached or refused the connection: nothing was published."""


@dataclass(frozen=True)
class Message:
    key: object  # the caller's handle (outbox row id)
    topic: str
    payload: bytes


@dataclass
class PublishOutcome:
    acked: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)  # key -> reason


def client_id_for(prefix):
    """A client id unique per process and connection: two relays with the same id
    would make the broker disconnect one of them."""
    return f"{prefix}-{os.getpid()}-{next(_client_numbers)}"


class MqttPublisher:
    """One broker connection; use as a context manager.

    ``with MqttPublisher(settings) as publisher: publisher.publish(messages)``
    raises :class:`BrokerUnavailable` on entry when the broker is unreachable.
    """

    def __init__(self, settings):
        self.settings = settings
        self._acks = {}
        self._connack = None
        self._disconnected = False
        self._state = threading.Condition()
        self._client = None

    # -- connection ------------------------------------------------------

    def _build_client(self):
        settings = self.settings
        v5 = settings.protocol == "5"
        kwargs = {"client_id": client_id_for(settings.client_id)}
        if v5:
            kwargs["protocol"] = mqtt.MQTTv5
        else:
            kwargs.update(protocol=mqtt.MQTTv311, clean_session=True)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, **kwargs)
        client.connect_timeout = settings.connect_timeout
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.max_queued_messages_set(0)
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        if settings.tls:
            client.tls_set(ca_certs=settings.tls_ca_certs or None, cert_reqs=ssl.CERT_REQUIRED)
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        client.on_disconnect = self._on_disconnect
        return client

    def __enter__(self):
        settings = self.settings
        self._client = self._build_client()
        try:
            if settings.protocol == "5":
                self._client.connect(settings.host, settings.port, KEEPALIVE, clean_start=True)
            else:
                self._client.connect(settings.host, settings.port, KEEPALIVE)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise BrokerUnavailable(f"cannot connect to MQTT broker {settings.host}:{settings.port}: {exc}")
        self._client.loop_start()
        with self._state:
            self._state.wait_for(
                lambda: self._connack is not None or self._disconnected, timeout=settings.connect_timeout
            )
            connack = self._connack
        if connack is None or connack.is_failure:
            self._close()
            reason = "no CONNACK in time" if connack is None else f"connection refused: {connack}"
            raise BrokerUnavailable(f"MQTT broker {settings.host}:{settings.port}: {reason}")
        return self

    def __exit__(self, *exc_info):
        self._close()
        return False

    def _close(self):
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.disconnect()
        finally:
            client.loop_stop()

    # -- paho callbacks (network thread) -----------------------------------
    # They only record what happened under our own condition; they never call
    # back into paho, so no lock order can deadlock with publish().

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self._state:
            self._connack = reason_code
            self._state.notify_all()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._state:
            self._acks[mid] = reason_code
            self._state.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self._state:
            self._disconnected = True
            self._state.notify_all()

    # -- publishing --------------------------------------------------------

    def publish(self, messages):
        """Publish ``messages`` in order at QoS 1; return a :class:`PublishOutcome`.

        The broker receives them in list order over one connection, so events
        of one subject keep their order.
        """
        if self._client is None:
            raise RuntimeError("MqttPublisher.publish() outside its 'with' block")
        outcome = PublishOutcome()
        with self._state:
            self._acks = {}
        pending = self._send(messages, outcome)  # mid -> key
        with self._state:
            self._state.wait_for(
                lambda: self._disconnected or all(mid in self._acks for mid in pending),
                timeout=self.settings.ack_timeout,
            )
            acks = dict(self._acks)
        for mid, key in pending.items():
            self._record_ack(outcome, key, acks.get(mid))
        return outcome

    def _send(self, messages, outcome):
        """Hand every message to paho in order; returns ``{mid: key}`` of those sent."""
        pending = {}
        for message in messages:
            if self._disconnected:
                outcome.failed[message.key] = "connection to the broker lost before publishing"
                continue
            info = self._client.publish(message.topic, message.payload, qos=1)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                outcome.failed[message.key] = f"publish refused by the client: {mqtt.error_string(info.rc)}"
                continue
            pending[info.mid] = message.key
        return pending

    def _record_ack(self, outcome, key, reason_code):
        if reason_code is None:
            outcome.failed[key] = (
                "connection to the broker lost before PUBACK"
                if self._disconnected
                else f"no PUBACK within {self.settings.ack_timeout:g}s"
            )
        elif reason_code.is_failure:
            outcome.failed[key] = f"broker refused the message: {reason_code}"
        else:
            outcome.acked.append(key)

    @property
    def connected(self):
        return self._client is not None and not self._disconnected
