"""Services provided by clients: ``service.add``/``service.remove`` as
connector-local answers them, forwarding to the provider and back, and the
``<svc>.disconnect`` notices (``router.c``, ``servhash.c``, ``disconnect.c``)."""

from __future__ import annotations

import errno
import time
from typing import Any, Callable, Dict, Optional

import pytest

from fakeflux.wire import Message, string_payload
from fakeflux.wire import constants as C
from tests.broker.golden import (
    LOCAL_ROLES,
    OWNER,
    REMOTE_ROLES,
    assert_error,
    assert_response,
    assert_router_answer,
    golden,
    golden_errno,
    golden_value,
)
from tests.rawclient import RawClient

Connect = Callable[..., RawClient]


def register(client: RawClient, name: str, errnum: int = 0) -> None:
    assert_router_answer(client.rpc("service.add", {"service": name}), "service.add", errnum)


def unregister(client: RawClient, name: str, errnum: int = 0) -> None:
    assert_router_answer(client.rpc("service.remove", {"service": name}), "service.remove", errnum)


def broker_ids(connect: Connect) -> Dict[int, str]:
    return {r: connect(r).rpc_json("attr.get", {"name": "broker.uuid"})["value"] for r in range(4)}


def respond(provider: RawClient, req: Message, payload: Optional[bytes] = None, errnum: int = 0) -> None:
    """What ``flux_respond`` sends: the request's routes, flags and matchtag,
    credentials left for the connector to stamp."""
    provider.send(req.derive_response(payload, errnum))


def recv_request(provider: RawClient) -> Message:
    msg = provider.recv(timeout=5.0)
    assert msg.type == C.MSGTYPE_REQUEST, msg
    return msg


def service_saw(case: str) -> Dict[str, Any]:
    return dict(golden_value(case)["service_saw"])


def assert_saw(req: Message, saw: Dict[str, Any], routes: int) -> None:
    assert req.topic == saw["topic"]
    assert req.userid == OWNER
    assert req.rolemask == saw["rolemask"]
    assert req.nodeid == saw["nodeid"]
    assert req.matchtag == saw["matchtag"]
    want_flags = 0
    for name in saw["flags"]:
        want_flags |= getattr(C, f"FLAG_{name}")
    assert req.flags == want_flags
    assert req.routes is not None and len(req.routes) == saw["route_count"] == routes
    if saw["has_payload"]:
        assert req.payload == bytes.fromhex(saw["payload_raw_hex"])
        assert len(req.payload) == saw["payload_size"]
    else:
        assert req.payload is None


# -- registration -------------------------------------------------------------------------


def test_register_and_duplicates(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    assert golden_value("svc.service_register('mysvc')") is None
    register(svc, "mysvc")
    for case, client in (
        ("cli.service_register('mysvc') dup (other handle)", cli),
        ("svc.service_register('mysvc') dup (same handle)", svc),
    ):
        assert golden_errno(case) == errno.EEXIST
        register(client, "mysvc", errno.EEXIST)


@pytest.mark.parametrize(
    ("case", "name"),
    [
        ("cli.service_register('broker') builtin", "broker"),
        ("cli.service_register('attr') builtin", "attr"),
        ("cli.service_register('kvs') module svc", "kvs"),
        ("cli.service_register('a.b') dotted", "a.b"),
    ],
)
def test_register_refused(case: str, name: str, connect: Connect) -> None:
    register(connect(0), name, golden_errno(case))


def test_builtins_are_taken_on_every_rank(connect: Connect) -> None:
    for rank in range(4):
        for name in ("broker", "attr", "log", "event", "config", "kvs"):
            register(connect(rank), name, errno.EEXIST)


def test_unregister_rules(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    assert golden_errno("cli.service_unregister('never') ") == errno.ENOENT
    unregister(cli, "never", errno.ENOENT)
    register(svc, "mysvc")
    unregister(cli, "mysvc", errno.ENOENT)  # not the client that registered it
    assert golden_value("svc.service_unregister('mysvc')") is None
    unregister(svc, "mysvc")
    unregister(svc, "mysvc", errno.ENOENT)
    register(cli, "mysvc")  # free again


def test_same_name_on_another_rank(connect: Connect) -> None:
    """Service names are per broker: rank 2 may have its own ``mysvc``."""
    svc0, svc2 = connect(0), connect(2)
    register(svc0, "mysvc")
    register(svc2, "mysvc")
    connect(2).request("mysvc.where", {})
    assert recv_request(svc2).topic == "mysvc.where"
    assert svc0.recv_nothing(0.02)


# -- forwarding ---------------------------------------------------------------------------


def test_request_from_the_same_rank(connect: Connect) -> None:
    ids = broker_ids(connect)
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    sent = cli.request("mysvc.hello", b'{"a": 1}\x00')
    req = recv_request(svc)
    assert_saw(req, service_saw("rpc mysvc.hello {'a':1} from 2nd handle"), routes=3)
    assert req.matchtag == sent.matchtag
    # Most recent hop first: rank 0's broker, connector-local, the requester.
    assert req.routes is not None and req.routes[0] == ids[0]
    assert all(len(r) == 36 for r in req.routes)
    body = b'{"hello": "world", "got": "{\\"a\\": 1}"}\x00'
    respond(svc, req, body)
    resp = cli.recv(timeout=5.0)
    assert_response(resp, "mysvc.hello")
    assert resp.payload == body and resp.matchtag == sent.matchtag
    assert golden_value("rpc mysvc.hello {'a':1} from 2nd handle")["client_get_str"] == body[:-1].decode()
    assert svc.recv_nothing(0.02)


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("rpc mysvc.echo payload=dict", b'{"a": 1, "b": [1, 2]}\x00'),
        ("rpc mysvc.echo payload=str '{\"s\":1}'", b'{"s": 1}\x00'),
        ("rpc mysvc.echo payload=str 'plain'", b"plain\x00"),
        ("rpc mysvc.echo payload=bytes b'{\"b\":2}'", b'{"b":2}\x00'),
        ("rpc mysvc.echo payload=None", None),
        ("rpc mysvc.echo payload=list [1,2]", b"[1, 2]\x00"),
        ("rpc mysvc.echo payload=int 5", b"5\x00"),
    ],
)
def test_payload_passes_unchanged(case: str, payload: Optional[bytes], connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    cli.request("mysvc.echo", payload)
    req = recv_request(svc)
    assert_saw(req, service_saw(case), routes=3)
    respond(svc, req, req.payload)
    resp = cli.recv(timeout=5.0)
    assert_response(resp, "mysvc.echo")
    assert resp.payload == payload


@pytest.mark.parametrize(
    ("case", "errnum", "text"),
    [
        ("rpc mysvc.err -> respond_error(EPERM,'custom error text')", errno.EPERM, "custom error text"),
        ("rpc mysvc.errnomsg -> respond_error(EINVAL,NULL)", errno.EINVAL, None),
    ],
)
def test_error_responses(case: str, errnum: int, text: Optional[str], connect: Connect) -> None:
    exc = golden_value(case)["client_exc"]
    assert exc["errno"] == errnum
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    topic = case.split()[1]
    cli.request(topic, {})
    req = recv_request(svc)
    assert_saw(req, service_saw(case), routes=3)
    respond(svc, req, None if text is None else string_payload(text), errnum)
    assert_error(cli.recv(timeout=5.0), topic, errnum, text)


@pytest.mark.parametrize(
    ("case", "nodeid"),
    [("rpc mysvc.hello from rank2 handle", C.NODEID_ANY), ("rpc mysvc.hello nodeid=0 from rank2 handle", 0)],
)
def test_request_from_rank2(case: str, nodeid: int, connect: Connect) -> None:
    ids = broker_ids(connect)
    svc, cli = connect(0), connect(2)
    register(svc, "mysvc")
    cli.request("mysvc.hello", b'{"r": 2}\x00', nodeid=nodeid)
    req = recv_request(svc)
    assert_saw(req, service_saw(case), routes=4)
    assert req.routes is not None and req.routes[:2] == [ids[0], ids[2]]
    body = b'{"hello": "world"}\x00'
    respond(svc, req, body)
    resp = cli.recv(timeout=5.0)
    # Came back over the overlay, so only OWNER is left.
    assert_response(resp, "mysvc.hello", rolemask=REMOTE_ROLES)
    assert resp.payload == body


def test_not_found_on_rank2(connect: Connect) -> None:
    case = "rpc mysvc.hello nodeid=2 (svc only on rank0)"
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    resp = cli.rpc("mysvc.hello", {}, nodeid=2)
    text = golden_value(case)["str"].split("] ", 1)[1]
    assert_error(resp, "mysvc.hello", golden_errno(case), text, rolemask=REMOTE_ROLES)
    assert svc.recv_nothing(0.02)


def test_exact_service_name_is_enosys_without_text(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    assert_error(cli.rpc("mysvc", {}), "mysvc", errno.ENOSYS)
    assert svc.recv_nothing(0.02)


def test_after_unregister_and_after_disconnect(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    unregister(svc, "mysvc")
    case = "rpc mysvc.hello after unregister"
    text = golden_value(case)["str"].split("] ", 1)[1]
    assert_error(cli.rpc("mysvc.hello", {}), "mysvc.hello", golden_errno(case), text)

    tmp = connect(0)
    register(tmp, "tmpsvc")
    tmp.close()
    case = "rpc to service whose registering handle disconnected"
    text = golden_value(case)["str"].split("] ", 1)[1]
    time.sleep(0.05)  # the close reaches the broker on another socket: let it land first
    resp = cli.rpc("tmpsvc.x", {})
    assert_error(resp, "tmpsvc.x", golden_errno(case), text)
    register(cli, "tmpsvc")  # and the name is free again


def test_pending_request_of_a_departed_provider_gets_no_answer(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    cli.request("mysvc.slow", {})
    recv_request(svc)
    svc.close()
    assert cli.recv_nothing(0.1)


def test_response_for_a_departed_requester_is_dropped(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    cli.request("mysvc.x", {}, flags=0)
    req = recv_request(svc)
    cli.close()
    notice = recv_request(svc)  # mysvc.disconnect
    assert notice.topic == "mysvc.disconnect"
    respond(svc, req, b"{}\x00")
    assert svc.recv_nothing(0.05)
    assert_response(svc.rpc("broker.ping", {}), "broker.ping")  # the provider is still served


# -- disconnect notices ---------------------------------------------------------------------------


def test_disconnect_notice(connect: Connect) -> None:
    golden("rpc to service whose registering handle disconnected")
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    sent = cli.request("mysvc.hello", {})
    req = recv_request(svc)
    respond(svc, req, b"{}\x00")
    cli.recv(timeout=5.0)
    cli.close()
    notice = recv_request(svc)
    assert notice.topic == "mysvc.disconnect"
    assert notice.flags == C.FLAG_TOPIC | C.FLAG_NORESPONSE | C.FLAG_ROUTE  # 0x0d
    assert notice.payload is None
    assert notice.routes == req.routes
    assert notice.matchtag == sent.matchtag
    assert notice.nodeid == C.NODEID_ANY
    assert (notice.userid, notice.rolemask) == (OWNER, LOCAL_ROLES)
    assert svc.recv_nothing(0.05)


def test_one_notice_per_topic_nodeid_and_upstream(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    cli.request("mysvc.a", {})  # armed: mysvc.disconnect, ANY
    cli.request("mysvc.b", {})  # same key: no second notice
    cli.request("mysvc.c", {}, nodeid=0)  # another nodeid: its own notice
    cli.request("mysvc.d", {}, flags=C.FLAG_NORESPONSE)  # not armed
    for _ in range(4):
        recv_request(svc)
    cli.close()
    notices = [recv_request(svc), recv_request(svc)]
    assert sorted(n.nodeid for n in notices) == [0, C.NODEID_ANY]
    assert {n.topic for n in notices} == {"mysvc.disconnect"}
    assert {n.matchtag for n in notices} == {1, 3}
    assert svc.recv_nothing(0.05)


def test_notice_from_a_requester_on_rank2(connect: Connect) -> None:
    svc, cli = connect(0), connect(2)
    register(svc, "mysvc")
    cli.request("mysvc.hello", {})
    req = recv_request(svc)
    cli.close()
    notice = recv_request(svc)
    assert notice.topic == "mysvc.disconnect"
    assert notice.routes == req.routes and len(req.routes or []) == 4
    assert notice.rolemask == REMOTE_ROLES


def test_nested_topic_disconnect(connect: Connect) -> None:
    svc, cli = connect(0), connect(0)
    register(svc, "mysvc")
    cli.request("mysvc.sub.method", {})
    recv_request(svc)
    cli.close()
    assert recv_request(svc).topic == "mysvc.sub.disconnect"


def test_service_add_needs_a_name(connect: Connect) -> None:
    h = connect(0)
    assert_router_answer(h.rpc("service.add", {}), "service.add", errno.EPROTO)
    assert_router_answer(h.rpc("service.remove"), "service.remove", errno.EPROTO)


@pytest.mark.parametrize("flags", [C.FLAG_STREAMING, C.FLAG_USER1])
def test_router_answer_keeps_no_request_flags(flags: int, connect: Connect) -> None:
    h = connect(0)
    h.request("service.add", {"service": "flagsvc"}, flags=flags)
    assert_router_answer(h.recv(timeout=5.0), "service.add")
    h.request("service.add", {"service": "flagsvc"}, flags=flags)
    assert_router_answer(h.recv(timeout=5.0), "service.add", errno.EEXIST)
    h.request("service.remove", {"service": "flagsvc"}, flags=flags)
    assert_router_answer(h.recv(timeout=5.0), "service.remove")


def test_noresponse_registration(connect: Connect) -> None:
    """The router answers its own refusals even to NORESPONSE requests, but
    what the broker answers never comes back (the broker sends nothing)."""
    svc, cli = connect(0), connect(0)
    svc.request("service.add", {"service": "quiet"}, flags=C.FLAG_NORESPONSE)
    assert svc.recv_nothing(0.05)
    cli.request("quiet.x", {})
    assert recv_request(svc).topic == "quiet.x"
    svc.request("service.add", {"service": "quiet"}, flags=C.FLAG_NORESPONSE, matchtag=9)
    answer = svc.recv(timeout=5.0)
    assert_router_answer(answer, "service.add", errno.EEXIST)
    assert answer.matchtag == 9
    svc.request("service.remove", {"service": "never"}, flags=C.FLAG_NORESPONSE)
    assert_router_answer(svc.recv(timeout=5.0), "service.remove", errno.ENOENT)
