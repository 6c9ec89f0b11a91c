"""Replay the captured real-Flux conversations against a fake instance.

Every capture in ``tests/conformance/captures`` was taken between the real
Python bindings and a real ``flux start --test-size=4`` broker.  Here each
one is replayed: one :class:`RawClient` per captured connection, the
client-to-server messages sent in captured order (connections interleaved as
captured), and every message fakeflux sends back compared field by field
with the captured one.

Only values that differ legitimately from run to run are compared by shape:
route ids (36-character uuids; within one capture the same captured id must
map to the same fakeflux id), the ``route`` string of ``broker.ping``
answers (its ``!``-separated 8-hex-digit parts, mapped the same way), and
event sequence numbers (the real instance had published startup events:
positive and increasing is all that can match).
"""

from __future__ import annotations

import json
import os
import re
from typing import Dict, Iterator, List, Optional

import pytest

import fakeflux
from fakeflux.wire import Message, decode, encode
from fakeflux.wire import constants as C
from tests.rawclient import RawClient
from tests.wire.captures import C2S, S2C, Capture, CapturedMessage, capture_names, load_capture

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HOP = re.compile(r"^[0-9a-f]{8}$")

# Captures whose client sends something that must get no answer at all.
SILENT = {
    "norespond": "broker.ping with NORESPONSE",
    "log": "log.append with matchtag 0",
}


class IdMap:
    """Captured route ids -> the ids fakeflux used in the same places.

    A captured id seen twice must map to the same fakeflux id both times,
    and two different captured ids to two different fakeflux ids; an 8-char
    hop of a ping ``route`` string must agree with the full ids too.
    """

    def __init__(self) -> None:
        self.full: Dict[str, str] = {}
        self.hops: Dict[str, str] = {}

    def _bind(self, table: Dict[str, str], captured: str, ours: str) -> None:
        if captured in table:
            assert table[captured] == ours, f"captured id {captured} was {table[captured]}, now {ours}"
        else:
            assert ours not in table.values(), f"{ours} stands for two captured ids"
            table[captured] = ours

    def bind_route(self, captured: str, ours: str) -> None:
        assert _UUID.match(ours), f"route id {ours!r} is not a 36-character uuid"
        self._bind(self.full, captured, ours)
        self._bind(self.hops, captured[:8], ours[:8])

    def bind_hop(self, captured: str, ours: str) -> None:
        assert _HOP.match(ours), f"ping route part {ours!r} is not 8 hex digits"
        self._bind(self.hops, captured, ours)

    def ours(self, captured: str) -> str:
        return self.full[captured]


def expected_userid(captured: int) -> int:
    """The capture's broker ran as root: its uid 0 is the broker owner."""
    return os.getuid() if captured == 0 else captured


def compare_ping_payload(ours: Optional[bytes], captured: Optional[bytes], ids: IdMap) -> None:
    """Payload bytes equal once the run-specific ``route`` value is set aside."""
    assert ours is not None and captured is not None
    assert ours.endswith(b"\x00") and captured.endswith(b"\x00")
    ours_obj = json.loads(ours[:-1])
    cap_obj = json.loads(captured[:-1])
    ours_hops = ours_obj["route"].split("!")
    cap_hops = cap_obj["route"].split("!")
    assert len(ours_hops) == len(cap_hops), (ours_obj["route"], cap_obj["route"])
    for cap_hop, our_hop in zip(cap_hops, ours_hops):
        ids.bind_hop(cap_hop, our_hop)
    # With the route string swapped back, every other byte (key order,
    # separators, the userid/rolemask/rank values, the NUL) must match.
    patched = ours.replace(ours_obj["route"].encode(), cap_obj["route"].encode(), 1)
    assert patched == captured


def compare(ours: Message, cap: CapturedMessage, ids: IdMap, last_seq: List[int]) -> None:
    want = cap.message
    where = f"{cap.capture}: {cap.decoded.get('topic')} ({cap.dir} conn {cap.conn})"
    assert ours.type == want.type, where
    assert ours.flags == want.flags, (where, C.flags_str(ours.flags), C.flags_str(want.flags))
    assert ours.userid == expected_userid(want.userid), where
    assert ours.rolemask == want.rolemask, where
    assert ours.topic == want.topic, where
    if want.type == C.MSGTYPE_EVENT:
        # The real instance had published events while starting up.
        assert ours.seq > 0, where
        assert not last_seq or ours.seq > last_seq[-1], where
        last_seq.append(ours.seq)
    else:
        assert ours.aux1 == want.aux1, (where, "errnum/nodeid", ours.aux1, want.aux1)
    assert ours.aux2 == want.aux2, (where, "matchtag/aux2")
    assert (ours.routes is None) == (want.routes is None), where
    assert len(ours.routes or []) == len(want.routes or []), (where, ours.routes, want.routes)
    for cap_id, our_id in zip(want.routes or [], ours.routes or []):
        ids.bind_route(cap_id, our_id)
    if want.topic == "broker.ping" and want.errnum == 0 and want.payload is not None:
        compare_ping_payload(ours.payload, want.payload, ids)
    else:
        assert ours.payload == want.payload, where


def outbound(cap: CapturedMessage, ids: IdMap) -> bytes:
    """What to send for a captured client message: its exact bytes, except
    that a response from a service provider carries the routes fakeflux
    delivered with the request (the provider copies them)."""
    msg = cap.message
    if not msg.routes:
        return cap.raw
    copy = decode(cap.raw)
    copy.routes = [ids.ours(r) for r in msg.routes]
    return encode(copy)


@pytest.fixture
def fresh_instance() -> Iterator[fakeflux.Instance]:
    with fakeflux.Instance(size=4) as inst:
        yield inst


@pytest.mark.parametrize("name", capture_names())
def test_replay(name: str, fresh_instance: fakeflux.Instance) -> None:
    cap: Capture = load_capture(name)
    clients: Dict[int, RawClient] = {}
    try:
        ids = IdMap()
        seqs: List[int] = []
        # Connections open in the order their handshakes were captured.
        for entry in cap.decoded:
            if "handshake_byte" in entry:
                conn = int(entry["conn"])
                clients[conn] = RawClient(fresh_instance.uri(0))
                assert clients[conn].handshake == bytes((cap.handshakes[conn],))
        for m in cap.messages:
            client = clients[m.conn]
            if m.dir == C2S:
                client.send_bytes(outbound(m, ids))
            else:
                assert m.dir == S2C
                compare(client.recv(timeout=5.0), m, ids, seqs)
        # Nothing beyond what the real broker sent: in particular no answer
        # to NORESPONSE requests or to log.append with matchtag 0.
        for conn, client in clients.items():
            assert client.recv_nothing(0.1 if name in SILENT else 0.02), f"{name}: extra message on conn {conn}"
    finally:
        for client in clients.values():
            client.close()


def test_every_capture_is_replayed() -> None:
    names = capture_names()
    assert len(names) >= 18
    assert set(SILENT) <= set(names)


@pytest.mark.parametrize("name", sorted(SILENT))
def test_silent_captures_really_ask_for_silence(name: str) -> None:
    """The captures named in SILENT hold a request the broker must not answer."""
    cap = load_capture(name)
    quiet = [
        m
        for m in cap.messages_of(0, C2S)
        if m.message.flags & C.FLAG_NORESPONSE or m.message.matchtag == C.MATCHTAG_NONE
    ]
    assert quiet, SILENT[name]
    assert len(cap.messages_of(0, S2C)) < len(cap.messages_of(0, C2S))
