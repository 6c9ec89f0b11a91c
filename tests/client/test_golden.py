"""The golden.json behaviours of the real bindings that concern the Python API.

Each case runs against a real fakeflux instance (size 4, like the golden
run) through ``flux``; machine-specific values (pids, uuids, paths) are
compared by shape.
"""

from __future__ import annotations

import errno
import os
import re
import syslog
import time
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import fakeflux

from .conftest import flux
from .golden import GOLDEN, check, outcome

Shape = Optional[Callable[[Any], bool]]


def _digits(v: Any) -> bool:
    return isinstance(v, str) and v.isdigit()


ATTR_CASES: List[Tuple[str, str, Shape]] = [
    ("attr_get('rank')", "rank", None),
    ("attr_get('size')", "size", None),
    ("attr_get('broker.pid')", "broker.pid", _digits),
    ("attr_get('parent-uri')", "parent-uri", None),
    ("attr_get('instance-level')", "instance-level", None),
    ("attr_get('version')", "version", lambda v: bool(re.match(r"^\d+\.\d+\.\d+", v))),
    ("attr_get('rundir')", "rundir", lambda v: os.path.isdir(v)),
    ("attr_get('hostlist')", "hostlist", lambda v: len(v.split(",")) == 4),
    ("attr_get('broker.mapping')", "broker.mapping", None),
    ("attr_get('tbon.level')", "tbon.level", None),
    ("attr_get('tbon.maxlevel')", "tbon.maxlevel", None),
    ("attr_get('tbon.descendants')", "tbon.descendants", None),
    ("attr_get('tbon.endpoint')", "tbon.endpoint", lambda v: v.startswith("ipc://") and v.endswith("/tbon-0")),
    ("attr_get('tbon.parent-endpoint')", "tbon.parent-endpoint", None),
    ("attr_get('broker.uuid')", "broker.uuid", lambda v: bool(re.fullmatch(r"[0-9a-f-]{36}", v))),
    ("attr_get('broker.starttime')", "broker.starttime", lambda v: bool(re.fullmatch(r"\d+\.\d\d", v))),
    ("attr_get('hostname')", "hostname", lambda v: isinstance(v, str) and len(v) > 0),
    ("attr_get('security.owner')", "security.owner", lambda v: v == str(os.getuid())),
    ("attr_get('jobid')", "jobid", None),
    ("attr_get('statedir')", "statedir", lambda v: isinstance(v, str) and len(v) > 0),
    ("attr_get('broker.boot-method')", "broker.boot-method", None),
    ("attr_get('config.path')", "config.path", None),
    ("attr_get('no.such.attr')", "no.such.attr", None),
    ("attr_get('')", "", None),
]


@pytest.mark.parametrize("case,name,shape", ATTR_CASES, ids=[c[0] for c in ATTR_CASES])
def test_attr_get(h: Any, case: str, name: str, shape: Shape) -> None:
    check(case, lambda: h.attr_get(name), shape)


def test_local_uri_is_the_uri_connected_to(h: Any, uri: str) -> None:
    check("attr_get('local-uri')", lambda: h.attr_get("local-uri"), lambda v: v == uri)


def test_get_rank(h: Any) -> None:
    check("h.get_rank()", h.get_rank)
    check("type(h.get_rank())", lambda: type(h.get_rank()).__name__)


def test_repr_names_the_real_class(h: Any) -> None:
    check("repr(flux.Flux())", lambda: repr(h), lambda v: v.startswith("<flux.core.handle.Flux object at 0x"))


def test_rank2_handle(open_handle: Callable[..., Any]) -> None:
    h2 = open_handle(2)
    check("h2.get_rank() (rank2 handle)", h2.get_rank)
    check("h2.attr_get('rank')", lambda: h2.attr_get("rank"))
    check("h2.attr_get('parent-uri')", lambda: h2.attr_get("parent-uri"))
    check("h2.attr_get('tbon.level')", lambda: h2.attr_get("tbon.level"))
    check(
        "h2.attr_get('tbon.parent-endpoint')",
        lambda: h2.attr_get("tbon.parent-endpoint"),
        lambda v: v.startswith("ipc://") and v.endswith("/tbon-0"),
    )


def test_attr_set_and_remove_sequence(instance: fakeflux.Instance) -> None:
    """The golden attr_set/attr_remove cases, in the order they were recorded."""
    with flux.Flux(instance.uri(0)) as h:
        check("attr_set('test.newattr','v1')", lambda: h.attr_set("test.newattr", "v1"))
        check("attr_get('test.newattr') after set (same handle; cached?)", lambda: h.attr_get("test.newattr"))
        with flux.Flux(instance.uri(0)) as fresh:
            check("attr_get('test.newattr') from fresh handle", lambda: fresh.attr_get("test.newattr"))
        check("attr_set('test.newattr','v2') overwrite", lambda: h.attr_set("test.newattr", "v2"))
        check("attr_get('test.newattr') after overwrite (same handle)", lambda: h.attr_get("test.newattr"))
        with flux.Flux(instance.uri(0)) as fresh:
            check("attr_get('test.newattr') after overwrite (fresh handle)", lambda: fresh.attr_get("test.newattr"))
        check("attr_set('myattr','x') unregistered name", lambda: h.attr_set("myattr", "x"))
        check("attr_set('cap.attr','x') unregistered dotted name", lambda: h.attr_set("cap.attr", "x"))
        check(
            "rpc attr.set {name:myattr} raw (errmsg)",
            lambda: h.rpc("attr.set", {"name": "myattr", "value": "x"}).get(),
        )
        check("attr_set('test-nr.a','1') first set", lambda: h.attr_set("test-nr.a", "1"))
        check("attr_set('test-nr.a','2') second set (no RUNTIME)", lambda: h.attr_set("test-nr.a", "2"))
        check("attr_set('test-ro.a','1') READONLY", lambda: h.attr_set("test-ro.a", "1"))
        check("attr_set('test-im.a','1') IMMUTABLE", lambda: h.attr_set("test-im.a", "1"))
        check("attr_get('test-im.a')", lambda: h.attr_get("test-im.a"))
        check("attr_remove('test-im.a') IMMUTABLE", lambda: h.attr_remove("test-im.a"))
        check("attr_remove('local-uri') IMMUTABLE", lambda: h.attr_remove("local-uri"))
        check("rpc attr.rm {name:rank} raw (errmsg)", lambda: h.rpc("attr.rm", {"name": "rank"}).get())
        check("attr_set('rank','7')", lambda: h.attr_set("rank", "7"))
        check("attr_set('size','9')", lambda: h.attr_set("size", "9"))
        check("attr_set('version','x') readonly", lambda: h.attr_set("version", "x"))
        check("attr_set('local-uri','x') immutable-not-readonly", lambda: h.attr_set("local-uri", "x"))
        check("attr_set('broker.rc2_none','1') plain", lambda: h.attr_set("broker.rc2_none", "1"))
        check("attr_set('log-stderr-level','6') active attr", lambda: h.attr_set("log-stderr-level", "6"))
        check("attr_set(1,'x') non-str name", lambda: h.attr_set(1, "x"))
        check("attr_set('a',1) non-str value", lambda: h.attr_set("a", 1))
        check("attr_remove('test.newattr')", lambda: h.attr_remove("test.newattr"))
        check(
            "attr_get('test.newattr') after remove (same handle, cached)",
            lambda: h.attr_get("test.newattr"),
        )
        with flux.Flux(instance.uri(0)) as fresh:
            check("attr_get('test.newattr') after remove (fresh handle)", lambda: fresh.attr_get("test.newattr"))
        check("attr_remove('test.newattr') again", lambda: h.attr_remove("test.newattr"))
        check("attr_remove('no.such.attr')", lambda: h.attr_remove("no.such.attr"))
        check("attr_remove('rank')", lambda: h.attr_remove("rank"))
        check("attr_remove('version')", lambda: h.attr_remove("version"))


def test_raw_attr_rpcs(h: Any) -> None:
    check("rpc attr.get {name:rank} raw", lambda: h.rpc("attr.get", {"name": "rank"}).get())
    check("rpc attr.get {name:rank} nodeid=2 raw", lambda: h.rpc("attr.get", {"name": "rank"}, nodeid=2).get())
    check("rpc attr.get {name:no.such} raw", lambda: h.rpc("attr.get", {"name": "no.such"}).get())
    check("rpc attr.set {name:rank,value:7} raw", lambda: h.rpc("attr.set", {"name": "rank", "value": "7"}).get())
    names = check("rpc attr.list raw", lambda: h.rpc("attr.list").get(), lambda v: isinstance(v.get("names"), list))
    assert {"rank", "size", "local-uri", "broker.pid"} <= set(names["value"]["names"])


def test_conf_get(h: Any) -> None:
    check("conf_get()", h.conf_get)
    check("conf_get('nonexistent', default=5)", lambda: h.conf_get("nonexistent", default=5))
    check("conf_get('a.b.c')", lambda: h.conf_get("a.b.c"))
    check("rpc config.get raw", lambda: h.rpc("config.get").get())


def _route_shape(hops: int, userid: int, rolemask: int, rank: int) -> Callable[[Any], bool]:
    def shape(v: Any) -> bool:
        parts = v["route"].split("!")
        return (
            len(parts) == hops
            and all(re.fullmatch(r"[0-9a-f]{8}", p) for p in parts)
            and (v["userid"], v["rolemask"], v["rank"]) == (userid, rolemask, rank)
        )

    return shape


UID = os.getuid()


def _ping(h: Any, nodeid: int) -> Any:
    return h.rpc("broker.ping", {}, nodeid=nodeid).get()


def _respond_error(fh: Any, msg: Any, errnum: int, text: Optional[str]) -> None:
    fh.respond_error(msg, errnum, text)


def test_ping_routing_from_rank0(h: Any) -> None:
    any_ = flux.constants.FLUX_NODEID_ANY
    check("rpc('broker.ping', {}, nodeid=0).get()", lambda: h.rpc("broker.ping", {}, nodeid=0).get(),
          _route_shape(3, UID, 5, 0))
    for n in (1, 2, 3):
        check(f"rpc('broker.ping', {{}}, nodeid={n}).get()", partial(_ping, h, n), _route_shape(4, UID, 1, n))
    check("rpc('broker.ping', {}, nodeid=99).get()", lambda: h.rpc("broker.ping", {}, nodeid=99).get())
    check("rpc('broker.ping', {}) nodeid=ANY", lambda: h.rpc("broker.ping", {}, nodeid=any_).get(),
          _route_shape(3, UID, 5, 0))
    check("rpc('broker.ping', {}, nodeid=UPSTREAM) from rank0",
          lambda: h.rpc("broker.ping", {}, nodeid=flux.constants.FLUX_NODEID_UPSTREAM).get())


def test_ping_routing_from_other_ranks(open_handle: Callable[..., Any]) -> None:
    up = flux.constants.FLUX_NODEID_UPSTREAM
    h2 = open_handle(2)
    check("h2.rpc('broker.ping', {}, nodeid=UPSTREAM) from rank2", lambda: h2.rpc("broker.ping", {}, nodeid=up).get(),
          _route_shape(4, UID, 1, 0))
    check("h2.rpc('broker.ping', {}, nodeid=ANY) from rank2", lambda: h2.rpc("broker.ping", {}).get(),
          _route_shape(3, UID, 5, 2))
    check("h2.rpc('broker.ping', {}, nodeid=0) from rank2", lambda: h2.rpc("broker.ping", {}, nodeid=0).get(),
          _route_shape(4, UID, 1, 0))
    check("h2.rpc('broker.ping', {}, nodeid=3) from rank2", lambda: h2.rpc("broker.ping", {}, nodeid=3).get(),
          _route_shape(5, UID, 1, 3))
    for rank in (1, 3):
        hr = open_handle(rank)
        check(f"rank{rank} handle: rpc broker.ping nodeid=UPSTREAM", partial(_ping, hr, up), _route_shape(4, UID, 1, 0))
        check(
            f"rank{rank} attr_get('tbon.parent-endpoint')",
            partial(hr.attr_get, "tbon.parent-endpoint"),
            lambda v: v.endswith("/tbon-0"),
        )


RPC_ERROR_CASES: List[Tuple[str, Callable[[Any], Any]]] = [
    ("rpc('nosuch.method').get()", lambda h: h.rpc("nosuch.method").get()),
    ("rpc('nosuch.method', {}).get()", lambda h: h.rpc("nosuch.method", {}).get()),
    ("rpc('nosuch.method', nodeid=2).get()", lambda h: h.rpc("nosuch.method", nodeid=2).get()),
    ("rpc('broker.nosuchmethod').get()", lambda h: h.rpc("broker.nosuchmethod").get()),
    ("rpc('nosuch').get() (no dot)", lambda h: h.rpc("nosuch").get()),
    ("rpc('attr.get', {}) bad payload", lambda h: h.rpc("attr.get", {}).get()),
    ("rpc('attr.get', 'notjson') bad payload", lambda h: h.rpc("attr.get", "notjson").get()),
    ("rpc('nosuch.method').get_str()", lambda h: h.rpc("nosuch.method").get_str()),
    ("h.rpc('broker.ping', None).get()", lambda h: h.rpc("broker.ping", None).get()),
    ("h.rpc('broker.ping', 'str').get()", lambda h: h.rpc("broker.ping", "str").get()),
    ("h.rpc('broker.ping', [1]).get()", lambda h: h.rpc("broker.ping", [1]).get()),
    ("h.rpc(None)", lambda h: h.rpc(None)),
    ("h.rpc(5)", lambda h: h.rpc(5)),
    ("h.rpc('broker.ping', nodeid=-1)", lambda h: h.rpc("broker.ping", nodeid=-1)),
    ("h.rpc('broker.ping').get_str()", lambda h: h.rpc("broker.ping").get_str()),
]


@pytest.mark.parametrize("case,fn", RPC_ERROR_CASES, ids=[c[0] for c in RPC_ERROR_CASES])
def test_rpc_errors(h: Any, case: str, fn: Callable[[Any], Any]) -> None:
    check(case, lambda: fn(h))


PING_PAYLOADS = [
    ("h.rpc('broker.ping', '{\"x\":1}').get()", '{"x":1}'),
    ("h.rpc('broker.ping', b'{\"x\":1}').get()", b'{"x":1}'),
    ("h.rpc('broker.ping', {'x':1}).get()", {"x": 1}),
]


@pytest.mark.parametrize("case,payload", PING_PAYLOADS, ids=["str", "bytes", "dict"])
def test_ping_payload_variants(h: Any, case: str, payload: Any) -> None:
    check(case, lambda: h.rpc("broker.ping", payload).get(),
          lambda v: v["x"] == 1 and _route_shape(3, UID, 5, 0)(v))


def test_error_string_of_failed_rpc(h: Any) -> None:
    fut = h.rpc("nosuch.method")
    with pytest.raises(OSError) as info:
        fut.get()
    want = GOLDEN["nosuch.method future.error_string()"]["value"]
    assert info.value.errno == want["errno"]
    assert str(info.value) == want["str"]
    assert fut.error_string() == want["future.error_string()"]


def test_noresponse_rpc_returns_an_rpc_future(h: Any) -> None:
    got = outcome(lambda: {"future": repr(h.rpc("broker.ping", {}, flags=flux.constants.FLUX_RPC_NORESPONSE))})
    assert got["ok"] and got["value"]["future"].startswith("<flux.rpc.RPC object at 0x")
    assert GOLDEN["rpc broker.ping FLUX_RPC_NORESPONSE"]["value"]["future"].startswith("<flux.rpc.RPC object at 0x")


def test_constants() -> None:
    names = GOLDEN["constants"]["value"]
    check("constants", lambda: {name: getattr(flux.constants, name) for name in names})


def test_event_round_trip(instance: fakeflux.Instance) -> None:
    want = GOLDEN["event_subscribe+event_send+event_recv"]["value"]
    with flux.Flux(instance.uri(0)) as h, flux.Flux(instance.uri(2)) as h2:
        assert h.event_subscribe("golden.ev") == want["subscribe_ret"]
        assert h.event_send("golden.ev.one", {"k": 1}) == want["send_ret"]
        ev = h.event_recv()
        got = {
            "topic": ev.topic,
            "payload_str": ev.payload_str,
            "payload": ev.payload,
            "type": ev.type,
            "type_str": ev.type_str,
            "userid": ev.userid,
            "rolemask": ev.rolemask,
        }
        expect = {k: v for k, v in want["recv"].items() if k != "seq"}
        expect["userid"] = UID
        assert got == expect
        seq1 = ev.pimpl.get_seq()
        assert seq1 > 0
        h.event_send("golden.ev.two")
        ev2 = h.event_recv()
        assert (ev2.topic, ev2.payload_str) == (want["recv2_nopayload"]["topic"], None)
        h.event_send("golden.ev.three", "a string")
        ev3 = h.event_recv()
        assert (ev3.topic, ev3.payload_str) == (want["recv3_strpayload"]["topic"], "a string")
        assert (ev2.pimpl.get_seq(), ev3.pimpl.get_seq()) == (seq1 + 1, seq1 + 2)
        assert h.event_unsubscribe("golden.ev") == want["unsubscribe_ret"]
        h.event_send("golden.ev.nobody-listens")  # consumes a sequence number
        h.event_subscribe("golden.ev")
        h.event_send("golden.ev.four", {"k": 4})
        ev4 = h.event_recv()
        assert (ev4.topic, ev4.payload) == ("golden.ev.four", {"k": 4})
        assert ev4.pimpl.get_seq() == seq1 + 4
        h2.event_subscribe("golden.r2")
        h.event_send("golden.r2.x", {"from": 0})
        ev5 = h2.event_recv()
        assert (ev5.topic, ev5.payload, ev5.pimpl.get_seq()) == ("golden.r2.x", {"from": 0}, seq1 + 5)


def test_event_subscribe_errors(h: Any) -> None:
    check("event_subscribe('')", lambda: h.event_subscribe(""))
    check("event_subscribe(None)", lambda: h.event_subscribe(None))
    check("event_unsubscribe('never.subscribed')", lambda: h.event_unsubscribe("never.subscribed"))


def _serve_one(svc: Any, respond: Callable[[Any, Any], None]) -> Dict[str, Any]:
    """Run ``svc``'s reactor until one request was handled; return what it saw."""
    saw: Dict[str, Any] = {}

    def cb(fh: Any, w: Any, msg: Any, arg: Any) -> None:
        m = msg.pimpl
        saw.update(
            topic=msg.topic,
            payload_str=msg.payload_str,
            type=msg.type,
            userid=msg.userid,
            rolemask=msg.rolemask,
            nodeid=m.get_nodeid(),
            matchtag=m.get_matchtag(),
            route_count=m.route_count(),
            has_payload=m.has_payload(),
            is_local=bool(msg.rolemask & flux.constants.FLUX_ROLE_LOCAL),
            payload_raw=msg.handle.payload,
        )
        respond(fh, msg)
        fh.reactor_stop()

    w = svc.msg_watcher_create(cb, flux.constants.FLUX_MSGTYPE_REQUEST, "mysvc.*")
    w.start()
    timer = svc.timer_watcher_create(5.0, lambda fh, *a: fh.reactor_stop_error())
    timer.start()
    try:
        svc.reactor_run()
    finally:
        timer.stop()
        w.destroy()
    return saw


def _compare_saw(saw: Dict[str, Any], want: Dict[str, Any]) -> None:
    for key in ("topic", "payload_str", "type", "rolemask", "nodeid", "matchtag", "route_count", "has_payload",
                "is_local"):
        assert saw[key] == want[key], f"{key}: {saw[key]!r} != {want[key]!r}"
    assert saw["userid"] == UID
    if "payload_raw_hex" in want:
        assert saw["payload_raw"].hex() == want["payload_raw_hex"]


ECHO_CASES = [
    ("rpc mysvc.echo payload=dict", {"a": 1, "b": [1, 2]}),
    ("rpc mysvc.echo payload=str '{\"s\":1}'", '{"s": 1}'),
    ("rpc mysvc.echo payload=str 'plain'", "plain"),
    ("rpc mysvc.echo payload=bytes b'{\"b\":2}'", b'{"b":2}'),
    ("rpc mysvc.echo payload=None", None),
    ("rpc mysvc.echo payload=list [1,2]", [1, 2]),
    ("rpc mysvc.echo payload=int 5", 5),
]


def _echo_case(svc: Any, cli: Any, case: str, payload: Any) -> None:
    want = GOLDEN[case]["value"]
    fut = cli.rpc("mysvc.echo", payload)
    saw = _serve_one(svc, lambda fh, msg: fh.respond(msg, msg.payload_str))
    _compare_saw(saw, want["service_saw"])
    assert fut.get_str() == want["client_get_str"], case
    if "client_get" in want:
        assert fut.get() == want["client_get"], case
    else:
        with pytest.raises(ValueError) as info:
            fut.get()
        assert type(info.value).__name__ == want["client_exc"]["type"]
        assert str(info.value) == want["client_exc"]["str"]
        del info  # the traceback refers to this frame: free the future now, as the golden run did


def test_service_round_trips(instance: fakeflux.Instance) -> None:
    with flux.Flux(instance.uri(0)) as svc, flux.Flux(instance.uri(0)) as cli, flux.Flux(instance.uri(2)) as cli2:
        check("svc.service_register('mysvc')", lambda: svc.service_register("mysvc").get())

        want = GOLDEN["rpc mysvc.hello {'a':1} from 2nd handle"]["value"]
        fut = cli.rpc("mysvc.hello", {"a": 1})
        saw = _serve_one(svc, lambda fh, msg: fh.respond(msg, {"hello": "world", "got": msg.payload_str}))
        _compare_saw(saw, want["service_saw"])
        assert fut.get_str() == want["client_get_str"]
        assert fut.get() == want["client_get"]
        del fut  # the golden run destroyed each future before the next: matchtag 1 again

        for case, payload in ECHO_CASES:
            _echo_case(svc, cli, case, payload)

        for case, errnum, text in [
            ("rpc mysvc.err -> respond_error(EPERM,'custom error text')", errno.EPERM, "custom error text"),
            ("rpc mysvc.errnomsg -> respond_error(EINVAL,NULL)", errno.EINVAL, None),
        ]:
            want = GOLDEN[case]["value"]
            topic = want["service_saw"]["topic"]
            fut = cli.rpc(topic, {})
            saw = _serve_one(svc, partial(_respond_error, errnum=errnum, text=text))
            _compare_saw(saw, want["service_saw"])
            with pytest.raises(OSError) as info:
                fut.get()
            exc = want["client_exc"]
            got = (type(info.value).__name__, info.value.errno, str(info.value))
            assert got == (exc["type"], exc["errno"], exc["str"])
            del fut, info

        for case, nodeid in [("rpc mysvc.hello from rank2 handle", flux.constants.FLUX_NODEID_ANY),
                             ("rpc mysvc.hello nodeid=0 from rank2 handle", 0)]:
            want = GOLDEN[case]["value"]
            fut = cli2.rpc("mysvc.hello", {"r": 2}, nodeid=nodeid)
            saw = _serve_one(svc, lambda fh, msg: fh.respond(msg, {"hello": "world", "got": msg.payload_str}))
            _compare_saw(saw, want["service_saw"])
            assert fut.get() == want["client_get"]
            del fut

        want = GOLDEN["rpc mysvc.hello nodeid=2 (svc only on rank0)"]["value"]
        with pytest.raises(OSError) as info:
            cli.rpc("mysvc.hello", nodeid=2).get()
        assert (info.value.errno, str(info.value)) == (want["errno"], want["str"])

        check("cli.service_register('mysvc') dup (other handle)", lambda: cli.service_register("mysvc").get())
        check("svc.service_register('mysvc') dup (same handle)", lambda: svc.service_register("mysvc").get())
        check("cli.service_register('broker') builtin", lambda: cli.service_register("broker").get())
        check("cli.service_register('attr') builtin", lambda: cli.service_register("attr").get())
        check("cli.service_register('a.b') dotted", lambda: cli.service_register("a.b").get())
        check("cli.service_unregister('never') ", lambda: cli.service_unregister("never").get())
        check("svc.service_unregister('mysvc')", lambda: svc.service_unregister("mysvc").get())
        want = GOLDEN["rpc mysvc.hello after unregister"]["value"]
        with pytest.raises(OSError) as info:
            cli.rpc("mysvc.hello").get()
        assert (info.value.errno, str(info.value)) == (want["errno"], want["str"])

        tmp = flux.Flux(instance.uri(0))
        tmp.service_register("tmpsvc").get()
        tmp.__exit__(None, None, None)
        want = GOLDEN["rpc to service whose registering handle disconnected"]["value"]
        deadline = time.monotonic() + 5
        while True:
            try:
                cli.rpc("tmpsvc.x").get()
            except OSError as exc:
                if exc.errno == want["errno"] or time.monotonic() > deadline:
                    assert (exc.errno, str(exc)) == (want["errno"], want["str"])
                    break


def test_log(h: Any) -> None:
    check("h.log(LOG_INFO,'golden-log-line-x')", lambda: h.log(syslog.LOG_INFO, "golden-log-line-x"))
    check("h.log(LOG_ERR,'golden-log-err')", lambda: h.log(syslog.LOG_ERR, "golden-log-err"))
    lines: List[str] = []
    fut = h.rpc("log.dmesg", {"follow": False}, flags=flux.constants.FLUX_RPC_STREAMING)
    while True:
        try:
            lines.append(fut.get_str())
        except OSError as exc:
            assert exc.errno == errno.ENODATA
            break
        fut.reset()
    mine = [line for line in lines if "golden-log" in line]
    assert len(mine) == 2, lines
    assert mine[0].startswith("<48>1 ") and mine[0].endswith(" - - golden-log-line-x")
    assert mine[1].startswith("<24>1 ") and mine[1].endswith(" - - golden-log-err")
    fields = mine[0].split(" ")
    assert fields[2] == "0" and fields[4] == str(os.getpid())


def test_connect_errors() -> None:
    start = time.monotonic()
    check("flux.Flux('local:///nonexistent/sock')", lambda: flux.Flux("local:///nonexistent/sock"))
    assert 0.3 < time.monotonic() - start < 2.0  # five retries, back-off from 16 ms
    check("flux.Flux('bogus://x')", lambda: flux.Flux("bogus://x"))


def test_close_raises(h: Any) -> None:
    check("flux.Flux().close()", h.close)
