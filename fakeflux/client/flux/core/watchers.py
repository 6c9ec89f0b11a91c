"""Reactor watchers with flux-core's Python API (``flux.core.watchers``).

Callback signatures, as in flux-core:

* timer, prepare, check, idle: ``cb(flux_handle, watcher, revents, args)``
* fd: ``cb(flux_handle, watcher, fd, revents, args)``
* signal: ``cb(flux_handle, watcher, signum, args)``

An exception raised by a callback is stored for the thread
(``Flux.set_exception``) and stops the reactor with an error;
``reactor_run`` then re-raises it.  Watchers are created stopped; as context
managers they start on entry and stop on exit.
"""

from __future__ import annotations

import errno
import signal
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import _reactor as R
from .. import _state

if TYPE_CHECKING:
    from .handle import Flux

__all__ = [
    "Watcher",
    "TimerWatcher",
    "FDWatcher",
    "SignalWatcher",
    "PrepareWatcher",
    "CheckWatcher",
    "IdleWatcher",
]


class Watcher:
    """Base class: keeps itself referenced by its handle until destroyed."""

    def __init__(self, flux_handle: Flux, handle: Optional[R.RWatcher] = None) -> None:
        self.flux_handle = flux_handle
        self.flux_handle.add_watcher(self)
        self.handle = handle

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def __del__(self) -> None:
        try:
            self.destroy()
        except Exception:
            pass

    def start(self) -> Watcher:
        if self.handle is not None:
            self.handle.start()
        return self

    def stop(self) -> Watcher:
        if self.handle is not None:
            self.handle.stop()
        return self

    def ref(self) -> Watcher:
        if self.handle is not None:
            self.handle.ref()
        return self

    def unref(self) -> Watcher:
        if self.handle is not None:
            self.handle.unref()
        return self

    def destroy(self) -> None:
        try:
            self.flux_handle.del_watcher(self)
        except AttributeError:
            pass
        handle = getattr(self, "handle", None)
        if handle is not None:
            handle.destroy()
            self.handle = None

    def _failed(self, exc: Exception) -> None:
        _state.set_exception(exc)
        self.flux_handle.reactor_stop_error()


class TimerWatcher(Watcher):
    def __init__(
        self,
        flux_handle: Flux,
        after: float,
        callback: Callable[..., Any],
        repeat: float = 0,
        args: Any = None,
    ) -> None:
        self.after = after
        self.repeat = repeat
        self.callback = callback
        self.args = args
        self.handle = None
        reactor = flux_handle.get_reactor()
        super().__init__(flux_handle, R.TimerWatcher(reactor, float(after), float(repeat), self._fire))

    def _fire(self, revents: int) -> None:
        try:
            self.callback(self.flux_handle, self, revents, self.args)
        except Exception as exc:
            self._failed(exc)

    def reset(self, after: Optional[float] = None, repeat: Optional[float] = None) -> None:
        """Re-arm the timer from now (values default to those given at creation) and start it."""
        if after is None:
            after = self.after
        if repeat is None:
            repeat = self.repeat
        if self.handle is not None:
            assert isinstance(self.handle, R.TimerWatcher)
            self.handle.stop()
            self.handle.set(float(after), float(repeat))
        self.start()


class FDWatcher(Watcher):
    def __init__(
        self,
        flux_handle: Flux,
        fd_int: int,
        events: int,
        callback: Callable[..., Any],
        args: Any = None,
    ) -> None:
        self.fd_int = fd_int
        self.events = events
        self.callback = callback
        self.args = args
        self.handle = None
        reactor = flux_handle.get_reactor()
        super().__init__(flux_handle, R.IOWatcher(reactor, fd_int, events, self._fire))

    def _fire(self, revents: int) -> None:
        try:
            self.callback(self.flux_handle, self, self.fd_int, revents, self.args)
        except Exception as exc:
            self._failed(exc)


class SignalWatcher(Watcher):
    def __init__(
        self,
        flux_handle: Flux,
        signal_int: int,
        callback: Callable[..., Any],
        args: Any = None,
    ) -> None:
        self.signal_int = signal_int
        self.callback = callback
        self.args = args
        self.handle = None
        reactor = flux_handle.get_reactor()
        super().__init__(flux_handle, R.SignalWatcher(reactor, signal_int, self._fire))
        if signal_int < 1 or signal_int >= signal.NSIG:
            raise OSError(errno.EINVAL, "invalid signal number")

    def _fire(self, _revents: int) -> None:
        try:
            self.callback(self.flux_handle, self, self.signal_int, self.args)
        except Exception as exc:
            self._failed(exc)


class _SimpleWatcher(Watcher):
    _kind: Any = None

    def __init__(self, flux_handle: Flux, callback: Optional[Callable[..., Any]], args: Any = None) -> None:
        self.callback = callback
        self.args = args
        self.handle = None
        reactor = flux_handle.get_reactor()
        cb = self._fire if callback is not None else None
        super().__init__(flux_handle, self._kind(reactor, cb))

    def _fire(self, revents: int) -> None:
        callback = self.callback
        if callback is None:
            return
        try:
            callback(self.flux_handle, self, revents, self.args)
        except Exception as exc:
            self._failed(exc)


class PrepareWatcher(_SimpleWatcher):
    """Fires once per reactor iteration, before the loop blocks."""

    _kind = R.PrepareWatcher


class CheckWatcher(_SimpleWatcher):
    """Fires once per reactor iteration, after the loop wakes up."""

    _kind = R.CheckWatcher


class IdleWatcher(_SimpleWatcher):
    """While active the loop does not block; the callback is optional."""

    _kind = R.IdleWatcher

    def __init__(self, flux_handle: Flux, callback: Optional[Callable[..., Any]] = None, args: Any = None) -> None:
        super().__init__(flux_handle, callback, args)
