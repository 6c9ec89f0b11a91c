"""The loop:// connector and URIs given as bytes.

Expectations recorded with flux-core 0.88's bindings: a loop handle has rank
0 and size 1 cached, messages sent come back with the process's user id and
the owner role, and a request answered by the handle itself completes its RPC.
"""

from __future__ import annotations

import errno
import os
from typing import Any, List

import pytest

from .conftest import flux


def test_loop_attributes() -> None:
    h = flux.Flux("loop://")
    assert (h.attr_get("rank"), h.attr_get("size"), h.get_rank()) == ("0", "1", 0)


def test_loop_event_comes_back_with_credentials() -> None:
    h = flux.Flux("loop://")
    assert h.event_send("foo.bar", {"a": 1}) == 0
    msg = h.recv()
    assert (msg.topic, msg.payload, msg.userid, msg.rolemask) == ("foo.bar", {"a": 1}, os.getuid(), 1)


def test_loop_request_answered_by_itself() -> None:
    h = flux.Flux("loop://")
    rpc = h.rpc("svc.x", {"q": 1})
    req = h.recv()
    assert (req.topic, req.payload, req.type) == ("svc.x", {"q": 1}, flux.constants.FLUX_MSGTYPE_REQUEST)
    h.respond(req, {"ok": 1})
    assert rpc.get() == {"ok": 1}
    rpc = h.rpc("svc.x", {"q": 2})
    h.respond_error(h.recv(), errno.EPERM, "nope")
    with pytest.raises(PermissionError, match="nope"):
        rpc.get()


def test_loop_service_with_a_message_watcher() -> None:
    h = flux.Flux("loop://")

    def service(fh: Any, _w: Any, msg: Any, _arg: Any) -> None:
        fh.respond(msg, {"echo": msg.payload["n"]})

    w = h.msg_watcher_create(service, flux.constants.FLUX_MSGTYPE_REQUEST, "echo.*")
    w.start()
    results = []

    def answered(f: Any) -> None:
        results.append(f.get())
        f.get_flux().reactor_stop()

    h.rpc("echo.this", {"n": 5}).then(answered)
    h.reactor_run()
    w.destroy()
    assert results == [{"echo": 5}]


def test_loop_unanswered_rpc_times_out() -> None:
    h = flux.Flux("loop://")
    with pytest.raises(TimeoutError) as info:
        h.rpc("nobody.home").wait_for(0.05)
    assert info.value.errno == errno.ETIMEDOUT


def test_loop_raw_attr_and_log() -> None:
    from flux.core.inner import raw  # type: ignore[import-not-found]

    h = flux.Flux("loop://")
    assert raw.flux_attr_get(h, "rank") == b"0"
    raw.flux_log(h, 0, "stuff")  # a log.append request, queued for the handle itself
    assert h.recv().topic == "log.append"


def test_loop_closed_handle_frees_its_descriptors() -> None:
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with flux.Flux("loop://") as h:
            h.get_rank()
    assert len(os.listdir("/proc/self/fd")) == before


def test_uri_as_bytes(uri: str) -> None:
    h = flux.Flux(uri.encode())
    assert h.get_rank() == 0
    assert flux.Flux(b"loop://").get_rank() == 0


def test_bad_uris() -> None:
    with pytest.raises(FileNotFoundError, match="Unable to connect to Flux: Unable to find connector name 'foo'"):
        flux.Flux("foo://x")
    with pytest.raises(OSError, match="invalid flags specified") as info:
        flux.Flux("loop://", flags=1 << 20)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(flux.wrapper.InvalidArguments, match="flux_open_ex"):
        flux.Flux(5)


def test_loop_options_and_attr_redirect() -> None:
    """Recorded on flux-core 0.88: the loop connector's getopt/setopt and attr redirect."""
    from flux.core.inner import ffi, raw

    h = flux.Flux("loop://")
    val = ffi.new("uint32_t *", 4242)
    assert raw.flux_opt_get(h, "flux::testing_userid", val, 4) == 0 and val[0] == os.getuid()
    assert raw.flux_opt_set(h, "flux::testing_userid", ffi.new("uint32_t *", 42), 4) == 0
    for bad in (("flux::testing_userid", val, 8), ("flux::nosuch", val, 4)):
        with pytest.raises(OSError) as info:
            raw.flux_opt_set(h, *bad)
        assert info.value.errno == errno.EINVAL
    h.event_send("a.b")
    msg = h.recv()
    assert (msg.userid, msg.rolemask) == (42, 1)
    preset = flux.message.Message(flux.constants.FLUX_MSGTYPE_EVENT)
    preset.topic = "c.d"
    preset.userid = 7
    h.send(preset)
    msg = h.recv()
    assert (msg.userid, msg.rolemask) == (7, 1)  # only missing credentials are filled in
    assert raw.flux_opt_set(h, "flux::attr_redirect", ffi.NULL, 0) == 0
    h.attr_set("foo", "bar")
    assert h.attr_get("foo") == "bar"
    h.attr_remove("foo")
    for name in ("foo", "local-uri"):
        with pytest.raises(FileNotFoundError):
            h.attr_get(name)


def test_local_options(uri: str) -> None:
    """connector-local: setopt of the testing credentials only, no getopt (flux-core 0.88)."""
    from flux.core.inner import ffi, raw

    h = flux.Flux(uri)
    val = ffi.new("uint32_t *")
    with pytest.raises(OSError) as info:
        raw.flux_opt_get(h, "flux::testing_userid", val, 4)
    assert info.value.errno == errno.EINVAL
    assert raw.flux_opt_set(h, "flux::testing_userid", ffi.new("uint32_t *", os.getuid()), 4) == 0
    assert raw.flux_opt_set(h, "flux::testing_rolemask", ffi.new("uint32_t *", 2), 4) == 0
    assert h.attr_get("size") == "4"
    assert raw.flux_opt_set(h, "flux::testing_userid", ffi.new("uint32_t *", 1000), 4) == 0
    ping = h.rpc("broker.ping", {}).get()
    assert (ping["userid"], ping["rolemask"]) == (1000, 2)  # as the owner's handle asked (flux-core 0.88)


def test_loop_unhandled_request_gets_enosys_and_events_reach_watchers() -> None:
    """flux-core 0.88: the handle's dispatcher answers a request no watcher takes."""
    h = flux.Flux("loop://")
    results: List[Any] = []

    def answered(f: Any) -> None:
        try:
            results.append(f.get())
        except OSError as exc:
            results.append((exc.errno, exc.strerror))
        f.get_flux().reactor_stop()

    h.rpc("foo.bar", {"a": 1}).then(answered)
    h.reactor_run()
    def on_event(fh: Any, _w: Any, msg: Any, _arg: Any) -> None:
        results.append(("event", msg.topic))
        fh.reactor_stop()

    w = h.msg_watcher_create(on_event, flux.constants.FLUX_MSGTYPE_EVENT, "*")
    w.start()
    h.event_send("x.y")
    h.reactor_run()
    w.destroy()
    assert results == [(errno.ENOSYS, "Unknown service method 'foo.bar'"), ("event", "x.y")]
