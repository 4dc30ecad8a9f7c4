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
import select
import socket
import ssl
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

_logger = logging.getLogger(__name__)

# How many QoS 1 messages may wait for their PUBACK at once: the window that
# keeps the connection busy while acknowledgements travel back. An MQTT 5
# broker that announces a smaller "receive maximum" in its CONNACK gets that.
MAX_INFLIGHT = 1000
KEEPALIVE = 30
_client_numbers = itertools.count(1)
_LOOP_OK = (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN)
# Linux holds the writes of a corked TCP socket until it is uncorked, then sends
# them as full segments: one system call's worth of network stack for dozens of
# PUBLISH packets instead of one each. Elsewhere the option does not exist and
# every publish goes out on its own, as paho sends it.
_TCP_CORK = getattr(socket, "TCP_CORK", None)


class BrokerUnavailable(Exception):
    """The broker could not be reached or refused the connection: nothing was published."""


@dataclass(frozen=True)
class Message:
    key: object  # the caller's handle (outbox row id)
    topic: str
    payload: bytes


@dataclass
class _Batch:
    """Messages of one :meth:`MqttPublisher.send`: sent ones by mid, their PUBACKs, refusals."""

    sent: dict = field(default_factory=dict)  # mid -> key
    acks: dict = field(default_factory=dict)  # mid -> refusal reason, "" when accepted
    failed: dict = field(default_factory=dict)  # key -> reason


@dataclass
class PublishOutcome:
    acked: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)  # key -> reason


class _Client(mqtt.Client):
    """paho's client, reading its socket through a :class:`_ReadBuffer`."""

    def _create_socket(self):
        # paho's own seam for the transport: its websocket transport is such a
        # wrapper too. paho-mqtt is pinned (requirements.txt) and a unit test
        # fails if a new version no longer calls this method to open its socket.
        return _ReadBuffer(super()._create_socket())


class _ReadBuffer:
    """The broker connection as paho sees it, its reads served from large ``recv`` calls.

    paho reads a packet in three calls (its type, its length, the rest): three
    system calls for each 4-byte PUBACK. Reading 64 KiB at a time, a thousand
    PUBACKs cost one. Writes go straight to the socket.
    """

    CHUNK = 65536

    def __init__(self, sock):
        self.sock = sock
        self._data = b""
        self._offset = 0

    def recv(self, size):
        """Up to ``size`` bytes: the buffered ones, else one read of the socket.

        ``b""`` when the broker closed the connection; the socket's
        ``BlockingIOError`` (or TLS ``SSLWantReadError``) when nothing arrived.
        """
        if self._offset >= len(self._data):
            self._data, self._offset = self.sock.recv(self.CHUNK), 0
        start = self._offset
        self._offset = start + size
        return self._data[start : self._offset]

    def pending(self):
        """Bytes readable without waiting: buffered here, or decrypted by TLS already."""
        buffered = max(0, len(self._data) - self._offset)
        return buffered + (self.sock.pending() if isinstance(self.sock, ssl.SSLSocket) else 0)

    def send(self, data):
        return self.sock.send(data)

    def close(self):
        self.sock.close()

    def fileno(self):
        return self.sock.fileno()

    def setblocking(self, flag):
        self.sock.setblocking(flag)

    def setsockopt(self, *args):
        self.sock.setsockopt(*args)


def client_id_for(prefix):
    """A client id unique per process and connection: two relays with the same id
    would make the broker disconnect one of them."""
    return f"{prefix}-{os.getpid()}-{next(_client_numbers)}"


class MqttPublisher:
    """One broker connection; use as a context manager.

    ``with MqttPublisher(settings) as publisher: publisher.publish(messages)``
    raises :class:`BrokerUnavailable` on entry when the broker is unreachable.

    paho's network loop runs in the calling thread, not in a thread of its own:
    handing every message and every PUBACK over between two Python threads cost
    more than the publishing itself. This class drives it through paho's
    external-loop API (``socket``, ``loop_read``, ``loop_write``,
    ``loop_misc``): ``client.loop()`` also watches a wake-up socket pair, and
    then every ``publish()`` writes a byte to it, a system call per message for
    a wake-up a single-threaded publisher never needs.

    Messages go out in order, with up to ``MAX_INFLIGHT`` of them (or the
    broker's receive maximum) waiting for their PUBACK at once. When that
    window is full, publishing resumes once half of it is acknowledged, so the
    PUBACKs are read and the next messages written in bursts, not one at a time.
    """

    def __init__(self, settings):
        self.settings = settings
        self._batch_of = {}  # mid -> _Batch of every message waiting for its PUBACK
        self._window = MAX_INFLIGHT
        self._connack = None
        self._disconnected = False
        self._client = None
        self._poller = None
        self._polled_socket = None

    # -- connection ------------------------------------------------------

    def _build_client(self):
        settings = self.settings
        v5 = settings.protocol == "5"
        kwargs = {"client_id": client_id_for(settings.client_id)}
        if v5:
            kwargs["protocol"] = mqtt.MQTTv5
        else:
            kwargs.update(protocol=mqtt.MQTTv311, clean_session=True)
        client = _Client(CallbackAPIVersion.VERSION2, **kwargs)
        client.connect_timeout = settings.connect_timeout
        # The in-flight window is kept by send(): paho's own rescans every
        # unacknowledged message on each PUBACK, quadratic in the window.
        client.max_inflight_messages_set(0)
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
            self._client = None
            raise BrokerUnavailable(f"cannot connect to MQTT broker {settings.host}:{settings.port}: {exc}")
        self._run_loop_until(lambda: self._connack is not None, settings.connect_timeout)
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
        except (OSError, ssl.SSLError):
            _logger.debug("MQTT connection already gone when closing it", exc_info=True)

    def _run_loop_until(self, done, timeout):
        """Run paho's network loop (reads, writes, keepalive) until ``done()``, the
        connection is lost or ``timeout`` seconds passed."""
        deadline = time.monotonic() + timeout
        while not done() and not self._disconnected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._loop_once(min(remaining, 1.0))

    def _loop_once(self, timeout=0.0):
        """Wait at most ``timeout`` seconds for the socket, then let paho read,
        write and keep the connection alive, as ``client.loop()`` would."""
        client = self._client
        sock = client.socket()
        if sock is None:
            self._disconnected = True
            return
        readable, writable = self._wait_for_socket(sock, timeout)
        for ready, step in (
            (readable, client.loop_read),
            (writable, client.loop_write),
            (True, client.loop_misc),
        ):
            if ready and step() not in _LOOP_OK:
                # paho reports a lost connection through on_disconnect, except
                # before the CONNACK; either way this connection is done.
                self._disconnected = True
                return

    def _wait_for_socket(self, sock, timeout):
        """(readable, writable) once the socket is ready or ``timeout`` seconds passed.

        ``poll``, not ``select``: a server process can hold file descriptors
        above select's limit of 1024. Bytes already read (buffered, or
        decrypted by TLS) are no longer signalled by the socket: those are
        read at once.
        """
        if sock.pending():
            return True, False
        if self._polled_socket is not sock:
            self._poller, self._polled_socket = select.poll(), sock
            self._poller.register(sock, select.POLLIN)
        events = select.POLLIN | (select.POLLOUT if self._client.want_write() else 0)
        self._poller.modify(sock, events)
        ready = 0
        for _fd, event in self._poller.poll(timeout * 1000):
            ready |= event
        # An error or hang-up is for loop_read to find out and report.
        return bool(ready & (select.POLLIN | select.POLLERR | select.POLLHUP)), bool(ready & select.POLLOUT)

    def _cork(self, corked):
        """Hold (``True``) or flush (``False``) the writes of a burst of publishes; see ``_TCP_CORK``."""
        sock = self._client.socket() if self._client is not None else None
        if _TCP_CORK is None or sock is None:
            return
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, int(corked))
        except OSError:
            # A socket already closed: the lost connection is for the loop to find out and report.
            _logger.debug("could not set TCP_CORK on the MQTT socket", exc_info=True)

    # -- paho callbacks (run inside client.loop, in the calling thread) ------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self._connack = reason_code
        receive_maximum = getattr(properties, "ReceiveMaximum", None)
        if receive_maximum:
            self._window = min(MAX_INFLIGHT, receive_maximum)

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        batch = self._batch_of.pop(mid, None)
        if batch is not None:
            # Only the verdict is kept: paho's ReasonCode objects carry dozens of
            # containers each, and keeping thousands alive makes every garbage
            # collection sweep the whole process.
            batch.acks[mid] = str(reason_code) if reason_code.is_failure else ""

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._disconnected = True

    # -- publishing --------------------------------------------------------

    def publish(self, messages):
        """Publish ``messages`` in order at QoS 1; return a :class:`PublishOutcome`."""
        return self.settle(self.send(messages))

    def send(self, messages, batch=None):
        """Hand ``messages`` to the broker in order, at QoS 1, without waiting for
        their PUBACKs (beyond the in-flight window); :meth:`settle` waits.

        The broker receives them in list order over one connection, so events
        of one subject keep their order. Batches sent one after the other share
        the window: the next can go out while the PUBACKs of the previous one
        are still on their way. ``batch``: a batch this method returned, which
        the messages join (sending a batch in parts).
        """
        if self._client is None:
            raise RuntimeError("MqttPublisher.send() outside its 'with' block")
        self._cork(True)
        try:
            return self._send_corked(messages, batch if batch is not None else _Batch())
        finally:
            self._cork(False)

    def _send_corked(self, messages, batch):
        window_full = False
        for message in messages:
            if not window_full and len(self._batch_of) >= self._window:
                window_full = not self._wait_for_half_window()
            if window_full:
                # The broker stopped acknowledging: keep the rest for a later round.
                batch.failed[message.key] = (
                    f"no PUBACK within {self.settings.ack_timeout:g}s for earlier events"
                )
                continue
            if self._disconnected:
                batch.failed[message.key] = "connection to the broker lost before publishing"
                continue
            info = self._client.publish(message.topic, message.payload, qos=1)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                batch.failed[message.key] = f"publish refused by the client: {mqtt.error_string(info.rc)}"
                continue
            # PUBACKs are only read inside client.loop(), never during publish().
            batch.sent[info.mid] = message.key
            self._batch_of[info.mid] = batch
        return batch

    def _wait_for_half_window(self):
        """Flush what is written, read PUBACKs until half the window is free; False if
        the broker stopped acknowledging (nothing freed within ``ack_timeout``)."""
        self._cork(False)
        try:
            self._run_loop_until(lambda: len(self._batch_of) <= self._window // 2, self.settings.ack_timeout)
        finally:
            self._cork(True)
        return len(self._batch_of) < self._window

    def settle(self, batch):
        """Wait (at most ``ack_timeout``) for the PUBACKs of a batch :meth:`send` returned."""
        self._run_loop_until(lambda: len(batch.acks) >= len(batch.sent), self.settings.ack_timeout)
        for mid in batch.sent:
            self._batch_of.pop(mid, None)  # a PUBACK that comes later no longer counts
        outcome = PublishOutcome(failed=dict(batch.failed))
        for mid, key in batch.sent.items():
            self._record_ack(outcome, key, batch.acks.get(mid))
        return outcome

    def _record_ack(self, outcome, key, refusal):
        if refusal is None:
            outcome.failed[key] = (
                "connection to the broker lost before PUBACK"
                if self._disconnected
                else f"no PUBACK within {self.settings.ack_timeout:g}s"
            )
        elif refusal:
            outcome.failed[key] = f"broker refused the message: {refusal}"
        else:
            outcome.acked.append(key)

    def poll(self):
        """Read the PUBACKs that arrived and keep the connection alive, without waiting."""
        if self.connected:
            self._loop_once()

    @property
    def window(self):
        """How many messages may wait for their PUBACK at once on this connection."""
        return self._window

    @property
    def connected(self):
        return self._client is not None and not self._disconnected
