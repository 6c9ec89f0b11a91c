"""Events on the wire: subscriptions kept by connector-local (``router.c``,
``subhash.c``), raw events and ``event.publish`` (``broker.c``), delivery
on every rank, the instance-wide sequence."""

from __future__ import annotations

import base64
import errno
from typing import Any, Callable, List, Optional

import pytest

from fakeflux.wire import Message, json_payload
from fakeflux.wire import constants as C
from tests.broker.golden import (
    LOCAL_ROLES,
    OWNER,
    assert_error,
    assert_response,
    assert_router_answer,
    golden,
    golden_errno,
    golden_value,
    response_json,
)
from tests.rawclient import RawClient

Connect = Callable[..., RawClient]


def subscribe(client: RawClient, topic: str) -> None:
    assert_router_answer(client.rpc("event.subscribe", {"topic": topic}), "event.subscribe")


def unsubscribe(client: RawClient, topic: str, errnum: int = 0) -> None:
    assert_router_answer(client.rpc("event.unsubscribe", {"topic": topic}), "event.unsubscribe", errnum)


def send_event(client: RawClient, topic: str, payload: Optional[bytes] = None) -> None:
    """``h.event_send``: a raw event message, ROUTE with an empty stack, seq 0."""
    client.send(Message.event(topic, payload, routes=[]))


def publish(client: RawClient, topic: str, payload: Optional[bytes] = None, flags: int = 0, **kw: Any) -> Message:
    """``flux_event_publish``: the event.publish RPC, addressed to rank 0."""
    req: dict = {"topic": topic, "flags": flags}
    if payload is not None:
        req["payload"] = base64.b64encode(payload).decode()
    kw.setdefault("nodeid", 0)
    return client.rpc("event.publish", req, **kw)


def recv_event(client: RawClient) -> Message:
    msg = client.recv(timeout=5.0)
    assert msg.type == C.MSGTYPE_EVENT, msg
    return msg


def broker_id(client: RawClient) -> str:
    return str(client.rpc_json("attr.get", {"name": "broker.uuid"})["value"])


# -- the golden round trip ------------------------------------------------------------------


def test_golden_event_roundtrip(connect: Connect) -> None:
    row = golden_value("event_subscribe+event_send+event_recv")
    h = connect(0)
    subscribe(h, "golden.ev")
    send_event(h, "golden.ev.one", b'{"k": 1}\x00')
    one = recv_event(h)
    want = row["recv"]
    assert (one.topic, one.userid, one.rolemask) == (want["topic"], OWNER, want["rolemask"])
    assert one.payload == want["payload_str"].encode() + b"\x00"
    assert one.flags == C.FLAG_TOPIC | C.FLAG_PAYLOAD | C.FLAG_ROUTE
    assert one.aux2 == 0
    # Two route frames: rank 0's broker and the connector the event came in by.
    assert one.routes is not None and len(one.routes) == 2
    assert one.routes[0] == broker_id(h)
    assert all(len(r) == 36 for r in one.routes)

    send_event(h, "golden.ev.two")
    two = recv_event(h)
    assert two.topic == row["recv2_nopayload"]["topic"] and two.payload is None
    assert two.flags == C.FLAG_TOPIC | C.FLAG_ROUTE
    send_event(h, "golden.ev.three", b"a string\x00")
    three = recv_event(h)
    assert three.payload == row["recv3_strpayload"]["payload_str"].encode() + b"\x00"

    # An event nobody subscribed to still takes a sequence number.
    send_event(h, "other.topic")
    send_event(h, "golden.ev.four", b'{"k": 4}\x00')
    four = recv_event(h)
    assert four.topic == row["recv4_after_unsubscribed_send"]["topic"]

    # The golden seqs 5, 6, 7, (8), 9 follow four startup events; fakeflux
    # starts its one counter at 1, so the differences must be the same.
    golden_seqs = [want["seq"], row["recv2_nopayload"]["seq"], row["recv3_strpayload"]["seq"]]
    golden_seqs.append(row["recv4_after_unsubscribed_send"]["seq"])
    ours = [one.seq, two.seq, three.seq, four.seq]
    assert ours[0] == 1
    assert [s - ours[0] for s in ours] == [s - golden_seqs[0] for s in golden_seqs]

    # A subscriber on rank 2 sees an event published from rank 0, same seq space.
    h2 = connect(2)
    subscribe(h2, "golden.r2")
    send_event(h, "golden.r2.x", b'{"from": 0}\x00')
    r2 = recv_event(h2)
    assert r2.topic == row["rank2_handle_receives_event_from_rank0"]["topic"]
    assert r2.seq == four.seq + 1
    assert r2.rolemask & C.ROLE_OWNER
    unsubscribe(h, "golden.ev")
    assert row["unsubscribe_ret"] == 0
    assert h.recv_nothing(0.02)


def test_subscribe_everything(connect: Connect) -> None:
    assert golden_value("event_subscribe('')") == 0
    h = connect(0)
    subscribe(h, "")
    send_event(h, "anything.at.all")
    assert recv_event(h).topic == "anything.at.all"


def test_prefix_match_is_plain_string_prefix(connect: Connect) -> None:
    h = connect(0)
    subscribe(h, "foo")
    for topic in ("foo", "foo.bar", "foobar", "fo", "bar.foo"):
        send_event(h, topic)
    got = [recv_event(h).topic for _ in range(3)]
    assert got == ["foo", "foo.bar", "foobar"]
    assert h.recv_nothing(0.05)


def test_unsubscribe_never_subscribed(connect: Connect) -> None:
    assert golden_errno("event_unsubscribe('never.subscribed')") == errno.ENOENT
    unsubscribe(connect(0), "never.subscribed", errno.ENOENT)


def test_subscriptions_are_reference_counted(connect: Connect) -> None:
    h = connect(0)
    subscribe(h, "rc")
    subscribe(h, "rc")
    unsubscribe(h, "rc")
    send_event(h, "rc.1")
    assert recv_event(h).topic == "rc.1"
    unsubscribe(h, "rc")
    send_event(h, "rc.2")
    assert h.recv_nothing(0.05)
    unsubscribe(h, "rc", errno.ENOENT)


def test_each_client_gets_an_event_once(connect: Connect) -> None:
    h = connect(0)
    for prefix in ("", "a", "a.b", "a.b.c"):
        subscribe(h, prefix)
    send_event(h, "a.b.c")
    assert recv_event(h).topic == "a.b.c"
    assert h.recv_nothing(0.05)


def test_subscribe_needs_a_topic(connect: Connect) -> None:
    h = connect(0)
    assert_router_answer(h.rpc("event.subscribe", {}), "event.subscribe", errno.EPROTO)
    assert_router_answer(h.rpc("event.unsubscribe"), "event.unsubscribe", errno.EPROTO)


def test_events_reach_every_rank_once(connect: Connect) -> None:
    golden("flux event pub via cli + sub")
    subs = [connect(rank) for rank in range(4)]
    extra = connect(2)  # a second subscriber on one rank
    for client in [*subs, extra]:
        subscribe(client, "all.")
    publisher = connect(3)
    send_event(publisher, "all.raw", b"x\x00")
    resp = publish(publisher, "all.rpc", b'{"a":1}\x00')
    assert_response(resp, "event.publish", rolemask=C.ROLE_OWNER)  # rank 0 answered over the overlay
    seq = response_json(resp)["seq"]
    for client in [*subs, extra]:
        raw, rpc = recv_event(client), recv_event(client)
        assert (raw.topic, rpc.topic) == ("all.raw", "all.rpc")
        assert (raw.seq, rpc.seq) == (seq - 1, seq)
        assert rpc.payload == b'{"a":1}\x00'
        assert raw.userid == rpc.userid == OWNER
        assert raw.rolemask & C.ROLE_OWNER and rpc.rolemask & C.ROLE_OWNER
        assert client.recv_nothing(0.01)


# -- event.publish ---------------------------------------------------------------------------


def test_publish_base64_payload_and_seq(connect: Connect) -> None:
    h = connect(0)
    subscribe(h, "pub")
    # {"a": 1} plus its NUL encodes as eyJhIjogMX0A (PROTOCOL.md 2.5).
    assert base64.b64encode(b'{"a": 1}\x00') == b"eyJhIjogMX0A"
    req = {"topic": "pub.one", "flags": 0, "payload": "eyJhIjogMX0A"}
    h.request("event.publish", req, nodeid=0)
    # The subscriber sees the event before the publisher sees the answer.
    event = h.recv(timeout=5.0)
    assert event.type == C.MSGTYPE_EVENT, event
    resp = h.recv(timeout=5.0)
    assert_response(resp, "event.publish")
    assert resp.payload == b'{"seq":%d}\x00' % event.seq
    assert event.payload == b'{"a": 1}\x00'
    assert event.flags == C.FLAG_TOPIC | C.FLAG_PAYLOAD | C.FLAG_ROUTE
    assert (event.userid, event.rolemask) == (OWNER, LOCAL_ROLES)
    # Made by the broker, not a connector: only the broker's own route.
    assert event.routes == [broker_id(h)]
    resp = publish(h, "pub.two")
    two = recv_event(h)
    assert two.payload is None and two.seq == event.seq + 1
    assert response_json(resp) == {"seq": two.seq}


def test_sequence_is_one_counter_from_one(connect: Connect) -> None:
    h = connect(1)
    seqs: List[int] = []
    for i in range(3):
        seqs.append(response_json(publish(h, f"nobody.{i}"))["seq"])
        send_event(h, "nobody.raw")
    seqs.append(response_json(publish(h, "nobody.last"))["seq"])
    assert seqs == [1, 3, 5, 7]


def test_publish_private(connect: Connect) -> None:
    h = connect(0)
    subscribe(h, "priv")
    resp = publish(h, "priv.x", b"{}\x00", flags=C.FLAG_PRIVATE)
    event = recv_event(h)
    assert event.flags == C.FLAG_TOPIC | C.FLAG_PAYLOAD | C.FLAG_ROUTE | C.FLAG_PRIVATE
    assert response_json(resp) == {"seq": event.seq}


@pytest.mark.parametrize("flags", [C.FLAG_NORESPONSE, C.FLAG_STREAMING, C.FLAG_PRIVATE | 0x80, 0x100, -1])
def test_publish_other_flags_are_eproto(flags: int, connect: Connect) -> None:
    h = connect(0)
    subscribe(h, "bad")
    assert_error(publish(h, "bad.flags", flags=flags), "event.publish", errno.EPROTO)
    assert h.recv_nothing(0.02)


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"topic": "t"}, {"flags": 0}, {"topic": 1, "flags": 0}, {"topic": "t", "flags": "0"}],
)
def test_publish_bad_request_is_eproto(payload: Any, connect: Connect) -> None:
    raw = None if payload is None else json_payload(payload)
    assert_error(connect(0).rpc("event.publish", raw, nodeid=0), "event.publish", errno.EPROTO)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_publish_only_on_rank0(rank: int, connect: Connect) -> None:
    h = connect(rank)
    resp = publish(h, "x.y", nodeid=rank)
    assert_error(resp, "event.publish", errno.EPROTO, "this service is only available on rank 0")
    # nodeid ANY from a rank other than 0 is answered by that rank too.
    resp = publish(h, "x.y", nodeid=C.NODEID_ANY)
    assert_error(resp, "event.publish", errno.EPROTO, "this service is only available on rank 0")


def test_disconnect_drops_subscriptions(connect: Connect) -> None:
    a, b = connect(0), connect(0)
    subscribe(a, "gone")
    subscribe(b, "gone")
    a.close()
    assert_router_answer(b.rpc("event.unsubscribe", {"topic": "gone"}), "event.unsubscribe")
    subscribe(b, "")
    send_event(b, "gone.x")
    assert recv_event(b).topic == "gone.x"


def test_publish_checks_the_request_before_the_rank(connect: Connect) -> None:
    """event_publish_cb unpacks first: a bad request is plain EPROTO on rank 2."""
    resp = connect(2).rpc("event.publish", {"topic": "t"}, nodeid=2)
    assert_error(resp, "event.publish", errno.EPROTO)


def test_publish_flags_must_be_an_integer(connect: Connect) -> None:
    """jansson's "i" takes no booleans."""
    resp = connect(0).rpc("event.publish", {"topic": "t", "flags": False}, nodeid=0)
    assert_error(resp, "event.publish", errno.EPROTO)


@pytest.mark.parametrize("encoded", [None, ""])
def test_publish_null_or_empty_payload_is_no_payload(encoded: Optional[str], connect: Connect) -> None:
    h = connect(0)
    subscribe(h, "empty")
    resp = h.rpc("event.publish", {"topic": "empty.x", "flags": 0, "payload": encoded}, nodeid=0)
    event = recv_event(h)
    assert event.payload is None and event.flags == C.FLAG_TOPIC | C.FLAG_ROUTE
    assert response_json(resp) == {"seq": event.seq}


def test_publish_bad_base64_is_eproto(connect: Connect) -> None:
    resp = connect(0).rpc("event.publish", {"topic": "t", "flags": 0, "payload": "not base64!"}, nodeid=0)
    assert_error(resp, "event.publish", errno.EPROTO)


@pytest.mark.parametrize("flags", [C.FLAG_STREAMING, C.FLAG_USER1, C.FLAG_UPSTREAM, C.FLAG_NORESPONSE])
def test_router_answer_is_a_fresh_message(flags: int, connect: Connect) -> None:
    """router_entry_respond encodes a new response: none of the request's
    flags carry over, and it is sent even for NORESPONSE requests."""
    h = connect(0)
    h.request("event.subscribe", {"topic": "fresh"}, flags=flags, matchtag=5)
    assert_router_answer(h.recv(timeout=5.0), "event.subscribe")
    h.request("event.unsubscribe", {"topic": "nope"}, flags=flags, matchtag=6)
    answer = h.recv(timeout=5.0)
    assert_router_answer(answer, "event.unsubscribe", errno.ENOENT)
    assert answer.matchtag == 6
