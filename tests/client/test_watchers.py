"""Reactor and watchers (cf. t0007): timers, signals, fds, prepare/check/idle, stop semantics."""

from __future__ import annotations

import errno
import gc
import os
import signal
import threading
from typing import Any, List

import pytest

from .conftest import flux


def test_negative_timer_is_einval(h: Any) -> None:
    with pytest.raises(OSError) as info:
        h.timer_watcher_create(-500, lambda *a: None)
    assert info.value.errno == errno.EINVAL


def test_timer_context_manager_and_destroy(h: Any) -> None:
    with h.timer_watcher_create(10000, lambda *a: pytest.fail("timer should not run")) as tid:
        assert tid is not None
    to = h.timer_watcher_create(10000, lambda *a: None)
    to.stop()
    to.destroy()
    assert h.reactor_run() == 0  # nothing active: returns at once


def test_timer_with_reactor(h: Any) -> None:
    ran: List[Any] = []

    def cb(handle: Any, watcher: Any, revents: int, args: Any) -> None:
        ran.append((watcher, args))
        handle.reactor_stop()

    with h.timer_watcher_create(0.05, cb, args="a") as timer:
        assert h.reactor_run() == 0
    assert ran == [(timer, "a")]


def test_timer_callback_exception(h: Any) -> None:
    def cb(*args: Any) -> None:
        raise RuntimeError("this is a test")

    with h.timer_watcher_create(0.01, cb):
        with pytest.raises(RuntimeError):
            h.reactor_run()
    assert flux.core.handle.Flux.tls.exception is None


def test_repeating_timer_without_reference_survives_gc(h: Any) -> None:
    count = [0]

    def cb(handle: Any, watcher: Any, revents: int, _args: Any) -> None:
        count[0] += 1
        if count[0] == 1:
            gc.collect()
        elif count[0] == 5:
            handle.reactor_stop()

    def abort(*args: Any) -> None:
        raise RuntimeError("abort should not be called")

    h.timer_watcher_create(0.0, cb, repeat=0.01).start()
    guard = h.timer_watcher_create(5.0, abort).start()
    h.reactor_run()
    guard.destroy()
    assert count[0] == 5


def test_timer_reset(h: Any) -> None:
    fired: List[float] = []

    def cb(fh: Any, *args: Any) -> None:
        fired.append(1.0)
        fh.reactor_stop()

    t = h.timer_watcher_create(100.0, cb)
    t.reset(after=0.01)
    h.reactor_run()
    assert fired == [1.0]


def test_stop_error_makes_run_return_minus_one(h: Any) -> None:
    with h.timer_watcher_create(0.0, lambda fh, *a: fh.reactor_stop_error()):
        assert h.reactor_run() == -1


def test_unreferenced_watcher_does_not_keep_the_loop_alive(h: Any) -> None:
    w = h.timer_watcher_create(10.0, lambda *a: None).start()
    w.unref()
    assert h.reactor_run() == 0
    w.ref()
    w.destroy()


def test_reactor_running_inside_callbacks(h: Any) -> None:
    seen: List[bool] = []
    assert not h.reactor_running()
    with h.timer_watcher_create(0.0, lambda fh, *a: seen.append(fh.reactor_running())):
        h.reactor_run()
    assert seen == [True] and not flux.core.handle.Flux.reactor_running()


def test_invalid_signals(h: Any) -> None:
    for signum in (-500, 0, 500):
        with pytest.raises(OSError):
            h.signal_watcher_create(signum, lambda *a: None)


def test_signal_watcher(h: Any) -> None:
    got: List[int] = []

    def cb(handle: Any, watcher: Any, signum: int, args: Any) -> None:
        got.append(signum)
        handle.reactor_stop()

    with h.signal_watcher_create(signal.SIGUSR1, cb):
        h.timer_watcher_create(0.02, lambda *a: os.kill(os.getpid(), signal.SIGUSR1)).start()
        guard = h.timer_watcher_create(5.0, lambda fh, *a: fh.reactor_stop()).start()
        assert h.reactor_run() >= 0
        guard.destroy()
    assert got == [signal.SIGUSR1]


def test_signal_watcher_exception(uri: str) -> None:
    def cb(*args: Any) -> None:
        raise RuntimeError("got signal")

    h = flux.Flux(uri)
    with h.signal_watcher_create(signal.SIGUSR2, cb):
        h.timer_watcher_create(0.02, lambda *a: os.kill(os.getpid(), signal.SIGUSR2)).start()
        with pytest.raises(RuntimeError):
            h.reactor_run()


def test_sigint_raises_keyboard_interrupt(h: Any) -> None:
    h.timer_watcher_create(0.02, lambda *a: os.kill(os.getpid(), signal.SIGINT)).start()
    guard = h.timer_watcher_create(5.0, lambda fh, *a: fh.reactor_stop()).start()
    with pytest.raises(KeyboardInterrupt):
        h.reactor_run()
    guard.destroy()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fd_watcher(h: Any) -> None:
    got: List[Any] = []

    def fd_cb(handle: Any, watcher: Any, fd: int, revents: int, _args: Any) -> None:
        got.append((fd, revents, os.read(fd, 10)))
        handle.reactor_stop()

    fdr, fdw = os.pipe()
    try:
        with h.fd_watcher_create(fdr, fd_cb, events=flux.constants.FLUX_POLLIN):
            os.write(fdw, b"a")
            assert h.reactor_run() >= 0
    finally:
        os.close(fdr)
        os.close(fdw)
    assert got == [(fdr, flux.constants.FLUX_POLLIN, b"a")]


def test_fd_watcher_exception(h: Any) -> None:
    def fd_cb(*args: Any) -> None:
        raise RuntimeError

    fdr, fdw = os.pipe()
    try:
        with h.fd_watcher_create(fdr, fd_cb):
            os.write(fdw, b"a")
            with pytest.raises(RuntimeError):
                h.reactor_run()
    finally:
        os.close(fdr)
        os.close(fdw)


def test_prepare_check_idle_pattern(h: Any) -> None:
    order: List[str] = []
    idle = h.idle_watcher_create()

    def prep(fh: Any, w: Any, revents: int, args: Any) -> None:
        order.append("prepare")
        idle.start()

    def check(fh: Any, w: Any, revents: int, args: Any) -> None:
        order.append("check")
        idle.stop()
        if len(order) >= 6:
            fh.reactor_stop()

    p = h.prepare_watcher_create(prep).start()
    c = h.check_watcher_create(check).start()
    h.reactor_run()
    p.destroy()
    c.destroy()
    idle.destroy()
    assert order[:6] == ["prepare", "check"] * 3


def test_idle_watcher_callback(h: Any) -> None:
    n = [0]

    def cb(fh: Any, w: Any, revents: int, args: Any) -> None:
        n[0] += 1
        if n[0] == 3:
            w.stop()

    h.idle_watcher_create(cb).start()
    assert h.reactor_run() == 0
    assert n[0] == 3


def test_exceptions_are_per_thread() -> None:
    flux.core.handle.Flux.set_exception(None)
    err = ValueError("x")
    assert flux.core.handle.Flux.set_exception(err) is None
    seen: List[Any] = []
    t = threading.Thread(target=lambda: seen.append(flux.core.handle.Flux.tls.exception))
    t.start()
    t.join()
    assert seen == [None]
    with pytest.raises(ValueError):
        flux.core.handle.Flux.raise_if_exception()
    flux.core.handle.Flux.raise_if_exception()  # cleared


def test_reactor_in_a_thread(uri: str) -> None:
    out: List[Any] = []

    def work() -> None:
        with flux.Flux(uri) as th:
            th.rpc("broker.ping", {"t": 1}).then(lambda f: out.append(f.get()["t"]))
            out.append(th.reactor_run())

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert out == [1, 0]
