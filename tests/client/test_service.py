"""Services registered by a client (cf. t1000)."""

from __future__ import annotations

import errno
import multiprocessing
import os
import sys
from typing import Any

import pytest

from .conftest import client_path, flux

C = flux.constants
Message = flux.message.Message


def test_register_twice_is_eexist(h: Any) -> None:
    assert h.service_register("foo").get() is None
    with pytest.raises(OSError) as info:
        h.service_register("foo").get()
    assert info.value.errno == errno.EEXIST
    assert h.service_unregister("foo").get() is None
    with pytest.raises(OSError) as info:
        h.service_unregister("foo").get()
    assert info.value.errno == errno.ENOENT


def _send(h: Any, topic: str, payload: Any, user: bool = False) -> None:
    m = Message()
    m.topic = topic
    m.payload = payload
    if user:
        m.pimpl.set_rolemask(C.FLUX_ROLE_USER)
        m.pimpl.set_userid(os.getuid() + 1)
    assert h.send(m) == 0


def test_service_rpc_roles_and_errors(h: Any) -> None:
    h.service_register("foo").get()
    h.service_register("owner").get()
    echo = h.msg_watcher_create(
        lambda f, t, msg, arg: f.respond(msg, msg.payload_str), C.FLUX_MSGTYPE_REQUEST, "foo.echo",
        rolemask=C.FLUX_ROLE_ALL,
    ).start()
    owner = h.msg_watcher_create(
        lambda f, t, msg, arg: f.respond(msg, msg.payload_str), C.FLUX_MSGTYPE_REQUEST, "owner.echo"
    ).start()
    error = h.msg_watcher_create(
        lambda f, t, msg, arg: f.respond_error(msg, errno.EINVAL, "Test error response"),
        C.FLUX_MSGTYPE_REQUEST, "foo.error",
    ).start()

    results: Any = []

    def resp_cb(f: Any, t: Any, msg: Any, arg: Any) -> None:
        try:
            msg.decode()
        except OSError as exc:
            results.append(("err", exc.errno))
        else:
            results.append(("ok", msg.payload))
        f.reactor_stop()

    for topic, user, expect in [
        ("foo.echo", False, ("ok", {"test": "foo"})),
        ("foo.echo", True, ("ok", {"test": "foo"})),
        ("owner.echo", True, ("err", errno.EPERM)),
    ]:
        results.clear()
        w = h.msg_watcher_create(resp_cb, C.FLUX_MSGTYPE_RESPONSE, topic).start()
        _send(h, topic, {"test": "foo"}, user=user)
        assert h.reactor_run() >= 0
        w.destroy()
        assert results[-1] == expect, topic

    errs: Any = []

    def then_cb(future: Any) -> None:
        with pytest.raises(OSError) as info:
            future.get()
        errs.append((info.value.errno, info.value.strerror))
        future.get_flux().reactor_stop()

    h.rpc("foo.error").then(then_cb)
    assert h.reactor_run() >= 0
    assert errs == [(errno.EINVAL, "Test error response")]

    for w in (echo, owner, error):
        w.destroy()
    h.service_unregister("foo").get()
    h.service_unregister("owner").get()
    with pytest.raises(OSError) as info:
        h.rpc("foo.echo").get()
    assert info.value.errno == errno.ENOSYS


def test_unhandled_request_gets_enosys_from_the_service(h: Any, open_handle: Any) -> None:
    h.service_register("lazy").get()
    other = h.msg_watcher_create(lambda *a: None, C.FLUX_MSGTYPE_REQUEST, "lazy.other").start()
    client = open_handle(0)
    fut = client.rpc("lazy.method", {})
    h.reactor_run(flags=C.FLUX_REACTOR_ONCE)
    other.destroy()
    with pytest.raises(OSError) as info:
        fut.get()
    assert info.value.args == (errno.ENOSYS, "Unknown service method 'lazy.method'")


def _register_and_exit(uri: str) -> None:
    sys.path.insert(0, client_path())
    import flux as child_flux  # type: ignore[import-not-found]

    child_flux.Flux(uri).service_register("baz").get()
    sys.exit(0)


def test_service_removed_when_its_process_exits(h: Any, uri: str) -> None:
    p = multiprocessing.get_context("fork").Process(target=_register_and_exit, args=(uri,))
    p.start()
    p.join()
    assert p.exitcode == 0
    with pytest.raises(OSError) as info:
        h.rpc("baz.echo").get()
    assert info.value.errno == errno.ENOSYS


def test_service_add_remove_without_payload_is_eproto(h: Any) -> None:
    for topic in ("service.add", "service.remove"):
        with pytest.raises(OSError) as info:
            h.rpc(topic).get()
        assert info.value.errno == errno.EPROTO
