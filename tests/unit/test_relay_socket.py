"""The relay's broker connection as paho reads it: one large read serves many small packets (no Odoo).

The Odoo suites (test_events_relay*.py) publish through it to a real Mosquitto, over TLS too.
"""

import inspect
import socket

import paho.mqtt.client as mqtt
import pytest

from governance import relay

PUBACK = b"\x40\x02\x00\x01"  # type, remaining length, packet id: what paho reads in three calls


class CountingSocket:
    """A real socket that counts how often it is read."""

    def __init__(self, sock):
        self.sock = sock
        self.reads = 0

    def recv(self, size):
        self.reads += 1
        return self.sock.recv(size)


@pytest.fixture
def connection():
    """(the broker's end, the relay's end read through a _ReadBuffer, its read counter)."""
    broker_end, relay_end = socket.socketpair()
    relay_end.setblocking(False)  # as paho sets it
    counting = CountingSocket(relay_end)
    yield broker_end, relay._ReadBuffer(counting), counting
    broker_end.close()
    relay_end.close()


def test_paho_still_opens_its_socket_through_the_method_the_relay_overrides():
    # A paho release that stopped calling it would quietly read byte by byte again.
    assert "_create_socket" in vars(mqtt.Client)
    assert "self._sock = self._create_socket()" in inspect.getsource(mqtt.Client.reconnect)
    assert issubclass(relay._Client, mqtt.Client)
    assert relay._Client._create_socket is not mqtt.Client._create_socket


def test_a_thousand_pubacks_read_the_way_paho_reads_them_cost_one_read_of_the_socket(connection):
    broker_end, buffered, counting = connection
    broker_end.sendall(PUBACK * 1000)
    for _ in range(1000):
        assert (buffered.recv(1), buffered.recv(1), buffered.recv(2)) == (b"\x40", b"\x02", b"\x00\x01")
    assert counting.reads == 1


def test_a_read_larger_than_what_is_buffered_returns_what_is_there_and_the_next_reads_again(connection):
    broker_end, buffered, counting = connection
    broker_end.sendall(b"abc")
    assert buffered.recv(2) == b"ab"
    assert buffered.recv(5) == b"c"
    broker_end.sendall(b"de")
    assert buffered.recv(5) == b"de"
    assert counting.reads == 2


def test_nothing_to_read_raises_as_the_socket_does_and_loses_nothing_that_comes_later(connection):
    broker_end, buffered, _counting = connection
    with pytest.raises(BlockingIOError):
        buffered.recv(1)
    broker_end.sendall(PUBACK)
    assert buffered.recv(4) == PUBACK


def test_buffered_bytes_are_pending_so_the_loop_reads_them_without_waiting_for_the_socket(connection):
    broker_end, buffered, _counting = connection
    assert buffered.pending() == 0
    broker_end.sendall(PUBACK * 2)
    buffered.recv(1)
    assert buffered.pending() == 7
    buffered.recv(100)
    assert buffered.pending() == 0


def test_a_connection_the_broker_closed_reads_as_empty(connection):
    broker_end, buffered, _counting = connection
    broker_end.sendall(b"x")
    broker_end.close()
    assert buffered.recv(4) == b"x"
    assert buffered.recv(4) == b""
