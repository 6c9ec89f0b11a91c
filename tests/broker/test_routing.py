"""Request routing on a 4-rank instance: ``broker.ping`` to every rank from
every rank, its payload rules, ENOSYS and its texts, ``config.get``
(flux-core ``broker.c``, ``method.c``, the overlay module)."""

from __future__ import annotations

import errno
import json
from typing import Any, Callable, Dict, List

import pytest

from fakeflux.wire import Message, json_payload
from fakeflux.wire import constants as C
from tests.broker.golden import (
    LOCAL_ROLES,
    OWNER,
    REMOTE_ROLES,
    assert_error,
    assert_response,
    golden,
    golden_errno,
    golden_future_text,
    golden_value,
    response_json,
)
from tests.rawclient import RawClient

Connect = Callable[..., RawClient]


def broker_ids(connect: Connect) -> Dict[int, str]:
    """Each rank's ``broker.uuid``, the id its overlay hop puts on routes."""
    ids = {}
    for rank in range(4):
        ids[rank] = connect(rank).rpc_json("attr.get", {"name": "broker.uuid"})["value"]
    return ids


def ping(client: RawClient, nodeid: int = C.NODEID_ANY, flags: int = 0) -> Message:
    return client.rpc("broker.ping", {}, nodeid=nodeid, flags=flags)


def route_parts(answer: Dict[str, Any]) -> List[str]:
    parts = str(answer["route"]).split("!")
    assert all(len(p) == 8 for p in parts), parts
    return parts


def assert_ping_like(answer: Dict[str, Any], golden_answer: Dict[str, Any]) -> None:
    """Same keys in the same order, same values but for the route ids."""
    assert list(answer) == list(golden_answer)
    assert len(route_parts(answer)) == len(route_parts(golden_answer))
    for key in ("userid", "rolemask", "rank"):
        assert answer[key] == golden_answer[key], key


# -- from rank 0 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "nodeid"),
    [
        ("rpc('broker.ping', {}, nodeid=0).get()", 0),
        ("rpc('broker.ping', {}) nodeid=ANY", C.NODEID_ANY),
        ("rpc('broker.ping', {}, nodeid=1).get()", 1),
        ("rpc('broker.ping', {}, nodeid=2).get()", 2),
        ("rpc('broker.ping', {}, nodeid=3).get()", 3),
    ],
)
def test_ping_from_rank0(case: str, nodeid: int, connect: Connect) -> None:
    ids = broker_ids(connect)
    client = connect(0)
    resp = ping(client, nodeid)
    want = golden_value(case)
    # The response is stamped like its payload: OWNER|LOCAL only when the
    # answering broker is the client's own.
    assert_response(resp, "broker.ping", rolemask=want["rolemask"])
    answer = response_json(resp)
    assert_ping_like(answer, want)
    assert answer["userid"] == OWNER
    parts = route_parts(answer)
    # client, connector-local, rank 0's broker, then the target's broker.
    assert parts[2] == ids[0][:8]
    if nodeid in (0, C.NODEID_ANY):
        assert len(parts) == 3
    else:
        assert parts[3] == ids[nodeid][:8]


@pytest.mark.parametrize(
    ("case", "nodeid", "flags"),
    [
        ("rpc('broker.ping', {}, nodeid=99).get()", 99, 0),
        ("rpc('broker.ping', {}, nodeid=UPSTREAM) from rank0", 0, C.FLAG_UPSTREAM),
    ],
)
def test_ping_unreachable(case: str, nodeid: int, flags: int, connect: Connect) -> None:
    assert golden_errno(case) == errno.EHOSTUNREACH
    assert golden_future_text(case) is None
    resp = ping(connect(0), nodeid, flags)
    # The response keeps the request's flags, UPSTREAM included (capture ping_upstream).
    assert_error(resp, "broker.ping", errno.EHOSTUNREACH, extra_flags=flags)


# -- from other ranks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "rank", "nodeid", "flags", "answered_by"),
    [
        ("h2.rpc('broker.ping', {}, nodeid=UPSTREAM) from rank2", 2, 2, C.FLAG_UPSTREAM, [2, 0]),
        ("h2.rpc('broker.ping', {}, nodeid=ANY) from rank2", 2, C.NODEID_ANY, 0, [2]),
        ("h2.rpc('broker.ping', {}, nodeid=0) from rank2", 2, 0, 0, [2, 0]),
        ("h2.rpc('broker.ping', {}, nodeid=3) from rank2", 2, 3, 0, [2, 0, 3]),
        ("rank1 handle: rpc broker.ping nodeid=UPSTREAM", 1, 1, C.FLAG_UPSTREAM, [1, 0]),
        ("rank3 handle: rpc broker.ping nodeid=UPSTREAM", 3, 3, C.FLAG_UPSTREAM, [3, 0]),
    ],
)
def test_ping_from_other_ranks(
    case: str, rank: int, nodeid: int, flags: int, answered_by: List[int], connect: Connect
) -> None:
    ids = broker_ids(connect)
    resp = ping(connect(rank), nodeid, flags)
    want = golden_value(case)
    assert_response(resp, "broker.ping", rolemask=want["rolemask"], extra_flags=flags)
    answer = response_json(resp)
    assert_ping_like(answer, want)
    # One hop per broker traversed: up to rank 0, then down.
    assert route_parts(answer)[2:] == [ids[r][:8] for r in answered_by]


def test_ping_from_each_rank_to_each_rank(connect: Connect) -> None:
    clients = {rank: connect(rank) for rank in range(4)}
    for src, client in clients.items():
        for dst in range(4):
            answer = client.rpc_json("broker.ping", {"dst": dst}, nodeid=dst)
            assert answer["rank"] == dst and answer["dst"] == dst
            hops = 1 if src == dst else (2 if 0 in (src, dst) else 3)
            assert len(route_parts(answer)) == 2 + hops
            assert answer["rolemask"] == (LOCAL_ROLES if src == dst else REMOTE_ROLES)


# -- the payload ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("h.rpc('broker.ping', None).get()", None),
        ("h.rpc('broker.ping').get_str()", None),
        ("h.rpc('broker.ping', 'str').get()", b"str\x00"),
        ("h.rpc('broker.ping', [1]).get()", b"[1]\x00"),
    ],
)
def test_ping_payload_errors(case: str, payload: Any, connect: Connect) -> None:
    resp = connect(0).rpc("broker.ping", payload)
    assert golden_future_text(case) is None
    assert_error(resp, "broker.ping", golden_errno(case))


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("h.rpc('broker.ping', '{\"x\":1}').get()", b'{"x":1}\x00'),
        ("h.rpc('broker.ping', b'{\"x\":1}').get()", b'{"x":1}\x00'),
        ("h.rpc('broker.ping', {'x':1}).get()", json_payload({"x": 1})),
    ],
)
def test_ping_echoes_the_request(case: str, payload: bytes, connect: Connect) -> None:
    resp = connect(0).rpc("broker.ping", payload)
    assert_response(resp, "broker.ping")
    answer = response_json(resp)
    assert_ping_like(answer, golden_value(case))
    assert answer["x"] == 1
    # jansson's default separators, keys in insertion order, then the NUL.
    text = json.dumps({"x": 1, "route": answer["route"], "userid": OWNER, "rolemask": 5, "rank": 0})
    assert resp.payload == text.encode() + b"\x00"


def test_ping_noresponse(connect: Connect) -> None:
    assert "future" in golden_value("rpc broker.ping FLUX_RPC_NORESPONSE")
    client = connect(0)
    client.request("broker.ping", {}, flags=C.FLAG_NORESPONSE)
    for nodeid in (2, 99):  # neither an answer from afar nor an error
        client.request("broker.ping", {}, nodeid=nodeid, flags=C.FLAG_NORESPONSE)
    assert client.recv_nothing(0.1)


def test_ping_keeps_streaming_and_user1_flags(connect: Connect) -> None:
    resp = connect(0).rpc("broker.ping", {}, flags=C.FLAG_STREAMING | C.FLAG_USER1)
    assert_response(resp, "broker.ping", extra_flags=C.FLAG_STREAMING | C.FLAG_USER1)


# -- ENOSYS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "topic", "payload", "nodeid"),
    [
        ("rpc('nosuch.method').get()", "nosuch.method", None, C.NODEID_ANY),
        ("rpc('nosuch.method', {}).get()", "nosuch.method", {}, C.NODEID_ANY),
        ("rpc('nosuch.method').get_str()", "nosuch.method", None, C.NODEID_ANY),
        ("rpc('nosuch.method', nodeid=2).get()", "nosuch.method", None, 2),
        ("rpc('nosuch').get() (no dot)", "nosuch", None, C.NODEID_ANY),
        ("rpc('broker.nosuchmethod').get()", "broker.nosuchmethod", None, C.NODEID_ANY),
    ],
)
def test_enosys(case: str, topic: str, payload: Any, nodeid: int, connect: Connect) -> None:
    assert golden_errno(case) == errno.ENOSYS
    resp = connect(0).rpc(topic, payload, nodeid=nodeid)
    rolemask = REMOTE_ROLES if nodeid == 2 else LOCAL_ROLES
    assert_error(resp, topic, errno.ENOSYS, golden_future_text(case), rolemask=rolemask)


def test_enosys_error_string() -> None:
    row = golden_value("nosuch.method future.error_string()")
    assert row["future.error_string()"] == golden_future_text("rpc('nosuch.method').get()")


def test_enosys_at_nodeid0_and_from_other_ranks(connect: Connect) -> None:
    text = "No service matching nosuch.method is registered"
    assert_error(connect(0).rpc("nosuch.method", nodeid=0), "nosuch.method", errno.ENOSYS, text)
    # From rank 2 the request goes up to rank 0, which has nowhere further to send it.
    resp = connect(2).rpc("nosuch.method")
    assert_error(resp, "nosuch.method", errno.ENOSYS, text, rolemask=REMOTE_ROLES)
    resp = connect(2).rpc("nosuch.method", nodeid=2)
    assert_error(resp, "nosuch.method", errno.ENOSYS, text)


@pytest.mark.parametrize("length", [40, 43, 44, 100, 200])
def test_enosys_text_is_cut_at_63_characters(length: int, connect: Connect) -> None:
    topic = "x" * (length - 7) + ".method"
    text = f"No service matching {topic} is registered"[:63]
    resp = connect(0).rpc(topic)
    assert_error(resp, topic, errno.ENOSYS, text)
    assert len(text) == min(63, len(f"No service matching {topic} is registered"))


def test_unknown_method_of_other_builtins(connect: Connect) -> None:
    client = connect(0)
    for topic in ("attr.nosuch", "log.nosuch", "event.nosuch", "config.nosuch"):
        assert_error(client.rpc(topic, {}), topic, errno.ENOSYS, f"Unknown service method '{topic}'")


# -- config --------------------------------------------------------------------------------------


def test_config_get(connect: Connect) -> None:
    assert golden_value("conf_get()") == {}
    assert golden_value("rpc config.get raw") == {}
    assert golden_value("flux config get (cli)")["stdout"] == "{}\n"
    # conf_get(key, default) walks the one config.get answer in the client.
    golden("conf_get('nonexistent', default=5)")
    golden("conf_get('a.b.c')")
    for rank in range(4):
        resp = connect(rank).rpc("config.get")
        assert_response(resp, "config.get")
        assert resp.payload == b"{}\x00"
