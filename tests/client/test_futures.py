"""Futures and RPC futures (cf. t0012): then, wait_for, streaming, FutureExt, WaitAllFuture."""

from __future__ import annotations

import errno
import gc
import time
from typing import Any, Dict, List

import pytest

from .conftest import flux

C = flux.constants
Future = flux.future.Future
FutureExt = flux.future.FutureExt
WaitAllFuture = flux.future.WaitAllFuture
PING = {"seq": 1, "pad": "stuff"}


def test_get_and_get_flux(h: Any) -> None:
    fut = h.rpc("broker.ping", PING)
    assert isinstance(fut.get_flux(), flux.core.handle.Flux)
    gc.collect(2)
    assert fut.get()["pad"] == "stuff"


def test_wait_for_returns_self(h: Any) -> None:
    fut = h.rpc("broker.ping", PING)
    assert fut.wait_for(5) is fut
    assert fut.is_ready() and fut.get()["seq"] == 1


def test_wait_for_timeout_is_timeout_error(h: Any) -> None:
    h.service_register("tmo").get()  # h's own reactor would answer; it does not run
    fut = h.rpc("tmo.never", {})
    start = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        fut.wait_for(0.1)
    assert 0.09 < time.monotonic() - start < 2
    assert info.value.args == (errno.ETIMEDOUT, "ETIMEDOUT: Connection timed out")
    with pytest.raises(TimeoutError):
        fut.wait_for(0)


def test_then_runs_from_reactor_without_a_reference(h: Any) -> None:
    ran: List[Any] = []

    def then_cb(future: Any, arg: Any) -> None:
        ran.append(future.get())
        future.get_flux().reactor_stop(future.get_reactor())

    h.rpc(b"broker.ping", PING).then(then_cb, arg=PING)
    gc.collect(2)
    assert h.reactor_run() >= 0
    assert ran and ran[0]["pad"] == "stuff"


def test_then_args_and_kwargs(h: Any) -> None:
    got: Dict[str, Any] = {}

    def cb(future: Any, one: Any, two: Any, val3: str = "default", **kw: Any) -> None:
        got.update(one=one, two=two, val3=val3, **kw)

    h.rpc("broker.ping", {}).then(cb, "one", "two", extra=True)
    assert h.reactor_run() == 0  # nothing left to watch
    assert got == {"one": "one", "two": "two", "val3": "default", "extra": True}


def test_then_exception_is_reraised_by_reactor_run(h: Any) -> None:
    def cb(future: Any) -> None:
        raise RuntimeError("this is a test")

    h.rpc("broker.ping", PING).then(cb)
    with pytest.raises(RuntimeError, match="this is a test"):
        h.reactor_run()


def test_double_then_is_eexist(h: Any) -> None:
    rpc = h.rpc("broker.ping")
    rpc.then(lambda x: None)
    with pytest.raises(OSError) as info:
        rpc.then(lambda x: None)
    assert info.value.errno == errno.EEXIST
    with pytest.raises(ValueError):
        h.rpc("broker.ping").then(None)


def test_then_timeout_fulfils_with_etimedout(h: Any, open_handle: Any) -> None:
    silent = open_handle(0)  # registers the service but never answers
    silent.service_register("slow").get()
    errs: List[int] = []

    def cb(future: Any) -> None:
        try:
            future.get()
        except OSError as exc:
            errs.append(exc.errno or 0)
        future.get_flux().reactor_stop()

    h.rpc("slow.op", {}).then(cb, timeout=0.05)
    h.reactor_run()
    assert errs == [errno.ETIMEDOUT]


def test_error_string(h: Any) -> None:
    fut = h.rpc("broker.nosuch")
    with pytest.raises(OSError) as info:
        fut.get()
    assert info.value.strerror == fut.error_string() == "Unknown service method 'broker.nosuch'"


def test_streaming_rpc_then_and_reset(h: Any) -> None:
    def service_cb(fh: Any, t: Any, msg: Any, arg: Any) -> None:
        for x in range(msg.payload["count"]):
            fh.respond(msg, {"seq": x})
        fh.respond_error(msg, errno.ENODATA, None)

    h.service_register("rpctest").get()
    watcher = h.msg_watcher_create(service_cb, C.FLUX_MSGTYPE_REQUEST, "rpctest.multi").start()
    seqs: List[int] = []

    def cont(future: Any) -> None:
        try:
            seqs.append(future.get()["seq"])
        except OSError as exc:
            assert exc.errno == errno.ENODATA
            future.get_flux().reactor_stop()
            return
        future.reset()

    h.rpc("rpctest.multi", {"count": 3}, flags=C.FLUX_RPC_STREAMING).then(cont)
    h.reactor_run()
    assert seqs == [0, 1, 2]
    watcher.destroy()


def test_streaming_rpc_blocking_get_and_reset(h: Any) -> None:
    h.log(6, "one")
    h.log(6, "two")
    fut = h.rpc("log.dmesg", {"follow": False}, flags=C.FLUX_RPC_STREAMING)
    n = 0
    with pytest.raises(OSError) as info:
        while True:
            assert isinstance(fut.get_str(), str)
            assert fut.get_str() is not None  # same response until reset
            fut.reset()
            n += 1
    assert info.value.errno == errno.ENODATA and n >= 2


def test_noresponse_future_is_ready_at_once(h: Any) -> None:
    fut = h.rpc("broker.ping", {}, flags=C.FLUX_RPC_NORESPONSE)
    assert fut.is_ready()


def test_future_from_future(h: Any) -> None:
    orig = h.rpc("broker.ping", payload=PING)
    new = Future(orig)
    del orig
    new.get()
    assert new.is_ready()
    orig = h.rpc("foo.bar")
    new = Future(orig)
    del orig
    with pytest.raises(OSError):
        new.get()


def test_blocking_methods_on_a_bare_future(h: Any) -> None:
    future = Future(h.future_create(None, None))
    assert not future.is_ready()
    with pytest.raises(OSError) as info:
        future.wait_for(timeout=0)
    assert info.value.errno == errno.ETIMEDOUT
    with pytest.raises(OSError) as info:
        future.get()  # nothing could ever fulfil it
    assert info.value.errno == errno.EDEADLOCK
    future.pimpl.fulfill(None)
    assert future.is_ready()
    assert future.wait_for(0) is future


def test_future_ext(h: Any) -> None:
    ran = [False]

    def init_cb(future: Any) -> None:
        ran[0] = True
        future.fulfill("foo")

    future = FutureExt(init_cb)
    assert not ran[0]
    assert future.get() == "foo" and ran[0]
    future.reset()
    future.fulfill({"key": "value"})
    assert future.get() == {"key": "value"}
    future.reset()
    future.fulfill()
    assert future.get() is None
    future.reset()
    future.fulfill_error(errno.EINVAL, "test error")
    with pytest.raises(OSError) as info:
        future.get()
    assert info.value.args == (errno.EINVAL, "test error")


class Ping5(FutureExt):  # type: ignore[misc,valid-type]
    """A future fulfilled after five chained pings (t0012's complex FutureExt)."""

    def __init__(self, flux_handle: Any) -> None:
        super().__init__(init_cb=self.init_cb, flux_handle=flux_handle)

    def ping_cb(self, future: Any, original: Any) -> None:
        seq = future.get()["seq"]
        if seq == 5:
            original.fulfill(future.get())
            return
        future.get_flux().rpc("broker.ping", {"seq": seq + 1}).then(self.ping_cb, original)

    def init_cb(self, future: Any) -> None:
        future.get_flux().rpc("broker.ping", {"seq": 1}).then(self.ping_cb, future)


def test_future_ext_chained_blocking(h: Any) -> None:
    assert Ping5(h).get()["seq"] == 5


def test_future_ext_chained_async(h: Any) -> None:
    ran = [False]

    def done(future: Any, a: Any, b: Any = None) -> None:
        assert (future.get()["seq"], a, b) == (5, "foo", "bar")
        ran[0] = True

    Ping5(h).then(done, "foo", b="bar")
    h.reactor_run()
    assert ran[0]


def test_blocking_get_runs_no_other_callbacks(h: Any) -> None:
    calls: List[str] = []
    h.rpc("broker.ping", {}).then(lambda f: calls.append("then"))
    timer = h.timer_watcher_create(0.0, lambda *a: calls.append("timer")).start()
    assert h.rpc("broker.ping", {"x": 1}).get()["x"] == 1
    assert calls == []
    h.reactor_run()
    assert sorted(calls) == ["then", "timer"]
    timer.destroy()


def test_wait_all_future(h: Any) -> None:
    waf = WaitAllFuture()
    kids = [h.rpc("broker.ping", {"n": n}) for n in range(3)]
    for n, kid in enumerate(kids):
        waf.push(kid, name=f"k{n}")
    assert waf.get() is None
    assert all(k.is_ready() for k in kids)
    assert [k.get()["n"] for k in kids] == [0, 1, 2]

    done: List[bool] = []
    waf2 = WaitAllFuture([h.rpc("broker.ping", {}), h.rpc("broker.ping", {})])
    waf2.then(lambda f: done.append(f.is_ready()))
    h.reactor_run()
    assert done == [True]
