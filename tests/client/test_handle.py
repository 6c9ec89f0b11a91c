"""Handles: opening, RPCs, attributes, configuration, logging, name fallbacks (cf. t0001, t0006)."""

from __future__ import annotations

import errno
import os
import syslog
import threading
from typing import Any, Callable, List

import pytest

import fakeflux

from .conftest import flux


def test_flux_is_a_factory_for_the_handle_class(uri: str) -> None:
    h = flux.Flux(uri)
    assert type(h) is flux.core.handle.Flux
    assert not isinstance(flux.Flux, type)


def test_uri_from_environment(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_URI", uri)
    assert flux.Flux().attr_get("local-uri") == uri


def test_no_uri_means_the_system_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without FLUX_URI, flux-core connects to the system instance (checked on flux-core 0.88)."""
    monkeypatch.delenv("FLUX_URI", raising=False)
    monkeypatch.setenv("FLUX_LOCAL_CONNECTOR_RETRY_COUNT", "0")
    if os.path.exists("/run/flux/local"):  # a machine running a system instance
        assert flux.Flux().get_rank() >= 0
        return
    expected = r"Unable to connect to Flux: broker socket /run/flux/local was not found"
    with pytest.raises(FileNotFoundError, match=expected):
        flux.Flux()


def test_path_like_uris(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``.``/``..``/``/`` resolve through instance-level and parent-uri (here: the root itself)."""
    monkeypatch.setenv("FLUX_URI", uri)
    for path in (".", "/", "..", "../..", "./.", ".//.."):
        assert flux.Flux(path).attr_get("local-uri") == uri
    with pytest.raises(OSError, match=r"Unable to connect to Flux: /x: invalid URI$") as info:
        flux.Flux("/x")
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError, match=r"\./foo: invalid URI path element 'foo'") as info:
        flux.Flux("./foo")
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError, match=r"Unable to connect to Flux: Invalid argument") as info:
        flux.Flux("ssh://")
    assert info.value.errno == errno.EINVAL


def test_retry_count_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_LOCAL_CONNECTOR_RETRY_COUNT", "0")
    with pytest.raises(FileNotFoundError):
        flux.Flux("local:///nonexistent/sock")
    monkeypatch.setenv("FLUX_LOCAL_CONNECTOR_RETRY_COUNT", "x")
    with pytest.raises(OSError) as info:
        flux.Flux("local:///nonexistent/sock")
    assert info.value.errno == errno.EINVAL


def test_invalid_open_flags(uri: str) -> None:
    with pytest.raises(OSError) as info:
        flux.Flux(uri, flags=1024)
    assert info.value.args == (errno.EINVAL, "Unable to connect to Flux: invalid flags specified")


def test_rpc_ping(h: Any) -> None:
    r = h.rpc(b"broker.ping", {"seq": 1, "pad": "stuff"}).get()
    assert (r["seq"], r["pad"]) == (1, "stuff")


def test_anonymous_handle_rpc(uri: str) -> None:
    assert flux.Flux(uri).rpc("broker.ping", {"seq": 1}).get()["seq"] == 1


def test_rpc_unicode(h: Any) -> None:
    r = h.rpc("broker.ping", {"\xa3": "value", "key": "\u32db \u263a \u32e1"}).get()
    assert (r["\xa3"], r["key"]) == ("value", "\u32db \u263a \u32e1")


def test_rpc_as_context_manager(h: Any) -> None:
    with h.rpc("broker.ping", {"seq": 1}) as r:
        assert r.get()["seq"] == 1


def test_rpc_null_response_payload(h: Any) -> None:
    assert h.rpc("attr.set", {"name": "test.attr-that-doesnt-exist", "value": "foo"}).get() is None


def test_rpc_bad_flags(h: Any) -> None:
    with pytest.raises(OSError) as info:
        h.rpc("broker.ping", {}, flags=4)
    assert info.value.args == (errno.EINVAL, "EINVAL: Invalid argument")


def test_matchtags_start_at_one_and_lowest_free_is_reused(h: Any) -> None:
    a = h.rpc("broker.ping", {})
    b = h.rpc("broker.ping", {})
    c = h.rpc("broker.ping", {})
    assert [f.pimpl.get_matchtag() for f in (a, b, c)] == [1, 2, 3]
    b.get()
    del b
    assert h.rpc("broker.ping", {}).pimpl.get_matchtag() == 2
    assert h.rpc("broker.ping", {}, flags=flux.constants.FLUX_RPC_NORESPONSE).pimpl.get_matchtag() == 0


def test_upstream_from_rank_0_is_unreachable_and_rank_is_cached(h: Any) -> None:
    for _ in range(2):
        with pytest.raises(OSError) as info:
            h.rpc("broker.ping", {}, nodeid=flux.constants.FLUX_NODEID_UPSTREAM).get()
        assert info.value.errno == errno.EHOSTUNREACH
    assert h.handle.conn.attr_cache["rank"] == "0"


def test_attr_get_caches_immutable_values_only(h: Any) -> None:
    assert h.attr_get("rank") == "0"
    assert h.attr_get("rundir")
    cache = h.handle.conn.attr_cache
    assert "rank" in cache and "rundir" not in cache


def test_attr_set_get_remove(h: Any) -> None:
    h.attr_set("test.foo", "bar")
    assert h.attr_get("test.foo") == "bar"
    h.attr_set("test.utf8-test", "ƒ Φ Ψ Ω Ö")
    assert h.attr_get("test.utf8-test") == "ƒ Φ Ψ Ω Ö"
    h.attr_remove("test.foo")
    with pytest.raises(FileNotFoundError):
        h.attr_get("test.foo")
    with pytest.raises(OSError):
        h.attr_set("local-uri", "foo")
    with pytest.raises(PermissionError):
        h.attr_remove("local-uri")
    with pytest.raises(ValueError):
        h.attr_remove(1)


def test_attr_values_are_str_not_bytes(h: Any) -> None:
    value = h.attr_get("local-uri")
    assert isinstance(value, str) and value.startswith("local:")
    assert int(h.attr_get("rank")) == h.get_rank()


def test_conf_get_is_cached_until_update() -> None:
    with fakeflux.Instance(size=1) as inst, flux.Flux(inst.uri(0)) as h:
        assert h.conf_get() == {}
        testconf = {"a": {"b": {"c": 42}, "foo": "bar"}}
        h.rpc("config.load", testconf).get()
        assert h.conf_get() == {}
        assert h.conf_get(update=True) == testconf
        assert h.conf_get("a.b.c") == 42
        assert h.conf_get("a.foo") == "bar"
        assert h.conf_get("a.baz") is None
        assert h.conf_get("a.baz", default=42) == 42
        with flux.Flux(inst.uri(0)) as other:
            assert other.conf_get("a.b") == {"c": 42}


def test_log_accepts_str_and_bytes(h: Any) -> None:
    assert h.log(syslog.LOG_INFO, "hello") is None
    assert h.log(syslog.LOG_INFO, b"world") is None
    assert h.log(syslog.LOG_INFO, "100%% done\nsecond line") is None
    fut = h.rpc("log.dmesg", {"follow": False}, flags=flux.constants.FLUX_RPC_STREAMING)
    lines: List[str] = []
    while True:
        try:
            lines.append(fut.get_str())
        except OSError:
            break
        fut.reset()
    tails = [line.split(" - - ", 1)[1] for line in lines if " - - " in line]
    assert tails[-4:] == ["hello", "world", "100% done", "second line"]
    assert all(line.split(" ")[4] == str(os.getpid()) for line in lines[-4:])


def test_close_is_refused_but_context_exit_closes(uri: str) -> None:
    h = flux.Flux(uri)
    with pytest.raises(RuntimeError):
        h.close()
    with h:
        assert h.get_rank() == 0
    with pytest.raises(ValueError):
        h.rpc("broker.ping", {})


def test_name_fallbacks(h: Any) -> None:
    assert h.flux_event_subscribe("fallback.") == 0
    assert h.event_unsubscribe("fallback.") == 0
    assert h.flux_event_subscribe("fallback.") == 0
    assert h.flux_event_unsubscribe("fallback.") == 0
    assert h.get_reactor() is h.flux_get_reactor()
    # libflux's flux_get_rank/flux_get_size take an out-parameter: without one,
    # flux-core's wrapper refuses the call (checked on flux-core 0.88)
    with pytest.raises(flux.wrapper.WrongNumArguments):
        h.flux_get_rank()
    with pytest.raises(flux.wrapper.WrongNumArguments):
        h.get_size()
    with pytest.raises(flux.wrapper.MissingFunctionError):
        h.no_such_function(1)


def test_handles_in_threads(uri: str) -> None:
    results: List[Any] = []

    def work(n: int) -> None:
        with flux.Flux(uri) as th:
            results.append(sum(th.rpc("broker.ping", {"n": n}).get()["n"] for _ in range(20)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 20, 40, 60]


def test_many_handles(open_handle: Callable[..., Any]) -> None:
    handles = [open_handle(rank % 4) for rank in range(12)]
    assert [x.get_rank() for x in handles] == [r % 4 for r in range(12)]
