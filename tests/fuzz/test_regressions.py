"""The broker bugs the fuzzers found, one test each, replayed by hand."""

from __future__ import annotations

import errno
from typing import Callable, Iterator

import pytest

import fakeflux
from fakeflux.wire import Message, json_payload, payload_string
from fakeflux.wire import constants as C
from tests.fuzz.peer import Peer

Connect = Callable[[int], Peer]


@pytest.fixture
def tree() -> Iterator[fakeflux.Instance]:
    """4 ranks as kary:2: 0 -> 1, 2; 1 -> 3."""
    with fakeflux.Instance(size=4, attrs={"tbon.topo": "kary:2"}) as inst:
        yield inst
        assert [line for r in range(4) for line in inst.dmesg(r) if "internal error" in line] == []


@pytest.fixture
def connect(tree: fakeflux.Instance) -> Iterator[Connect]:
    peers = []

    def make(rank: int) -> Peer:
        peer = Peer(tree.uri(rank)[len("local://") :], f"rank{rank}")
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


def test_upstream_request_climbs_instead_of_bouncing(connect: Connect) -> None:
    # Rank 1 has no such service: the request used to go back down to rank 3
    # (its nodeid), which sent it up again, until the broker's stack overflowed.
    peer = connect(3)
    req = Message.request("nosuch.x", None, nodeid=3, matchtag=5, flags=C.FLAG_UPSTREAM)
    reply = peer.rpc(req)
    assert reply.errnum == errno.ENOSYS
    assert payload_string(reply.payload) == "No service matching nosuch.x is registered"
    pong = peer.rpc(Message.request("broker.ping", json_payload({}), nodeid=3, matchtag=6, flags=C.FLAG_UPSTREAM))
    assert b'"rank": 1' in (pong.payload or b"")


@pytest.mark.parametrize(
    "payload",
    [b'{"name":"test.\xff","value":"x"}\x00', b'{"name":"test.\\udc80","value":"x"}\x00', b'{"\xed\xa0\x80":1}\x00'],
)
def test_json_that_is_not_utf8_is_refused_not_stored(connect: Connect, payload: bytes) -> None:
    # Accepted once, such a value could not be encoded again: the answer was
    # lost, and a stored attribute broke attr.list for everyone after.
    peer = connect(0)
    for tag, topic in enumerate(["attr.set", "broker.ping", "config.load", "broker.setenv", "event.subscribe"], 1):
        assert peer.rpc(Message.request(topic, payload, matchtag=tag)).errnum == errno.EPROTO, topic
    assert peer.rpc(Message.request("attr.list", None, matchtag=10)).errnum == 0
    assert peer.rpc(Message.request("config.get", None, matchtag=11)).errnum == 0


def test_json_deeper_than_janssons_limit_is_refused(connect: Connect) -> None:
    peer = connect(0)
    deep = b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"\x00"
    assert peer.rpc(Message.request("broker.ping", deep, matchtag=1)).errnum == errno.EPROTO
    ok = b'{"a":' * 50 + b"1" + b"}" * 50 + b"\x00"
    assert peer.rpc(Message.request("broker.ping", ok, matchtag=2)).errnum == 0


def test_log_line_naming_a_topic_that_is_not_utf8(tree: fakeflux.Instance, connect: Connect) -> None:
    peer = connect(0)
    peer.send(Message(C.MSGTYPE_RESPONSE, routes=["nobody"], topic="svc.\udcff", aux2=1))
    peer.barrier()
    assert any("dropping response svc." in line for line in tree.dmesg(0))


def tracked(tree: fakeflux.Instance, rank: int) -> int:
    assert tree.server is not None and tree.core is not None
    core = tree.core
    return tree.server.call(lambda: sum(len(held) for held in core.rank(rank).tracked.values()))


def test_requests_without_matchtag_are_not_tracked(tree: fakeflux.Instance, connect: Connect) -> None:
    # log.append with matchtag 0 is never answered: tracking it leaked one
    # entry per request and later "failed" it with EHOSTUNREACH.
    peer = connect(0)
    for _ in range(3):
        peer.send(Message.request("log.append", b"<14>1 - 3 app 1 - - hello", nodeid=3, matchtag=0))
    peer.barrier()
    assert tracked(tree, 0) == 0 and tracked(tree, 1) == 0
    tree.rank_down(1)
    assert peer.barrier() == []


def test_a_departed_requesters_calls_are_forgotten(tree: fakeflux.Instance, connect: Connect) -> None:
    provider = connect(2)
    assert provider.rpc(Message.request("service.add", json_payload({"service": "slow"}), matchtag=1)).errnum == 0
    requester = connect(0)
    requester.send(Message.request("slow.work", json_payload({}), nodeid=2, matchtag=3))
    requester.barrier()
    assert provider.recv().topic == "slow.work"  # held, never answered
    assert tracked(tree, 0) == 1
    requester.close()
    notice = provider.recv()  # the disconnect notice passes the tracker and clears it
    assert notice.topic == "slow.disconnect" and notice.flags & C.FLAG_NORESPONSE
    assert tracked(tree, 0) == 0


def test_a_lost_rank_sends_no_disconnect_notices(tree: fakeflux.Instance, connect: Connect) -> None:
    # The clients of a broker that dies vanish with it; their notices used to
    # travel up from the dead rank to the providers they had used.
    provider = connect(0)
    assert provider.rpc(Message.request("service.add", json_payload({"service": "svc"}), matchtag=1)).errnum == 0
    requester = connect(2)
    requester.send(Message.request("svc.work", None, matchtag=4))
    requester.barrier()
    assert provider.recv().topic == "svc.work"
    tree.rank_down(2)
    assert requester.closed_by_broker()
    assert provider.barrier() == []
