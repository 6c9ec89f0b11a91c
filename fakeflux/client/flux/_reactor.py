"""A small libev-like event loop on ``select.poll``: the ``flux_reactor_t`` of this package.

Watchers (io, timer, signal, prepare, check, idle) are started and stopped
explicitly; referenced active watchers keep :meth:`Reactor.run` going.  Like
libev, ``run`` returns 0 when nothing is left to watch, the number of active
referenced watchers after :meth:`Reactor.stop`, and -1 after
:meth:`Reactor.stop_error`.  A reactor belongs to one thread.
"""

from __future__ import annotations

import errno
import heapq
import os
import select
import signal
import time
from collections import deque
from types import FrameType
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from ._errors import c_error

FLUX_POLLIN = 1
FLUX_POLLOUT = 2
FLUX_POLLERR = 4
REACTOR_NOWAIT = 1
REACTOR_ONCE = 2

_TO_POLL = {FLUX_POLLIN: select.POLLIN, FLUX_POLLOUT: select.POLLOUT, FLUX_POLLERR: select.POLLERR}

Callback = Callable[[int], None]


def _poll_mask(events: int) -> int:
    mask = 0
    for bit, pbit in _TO_POLL.items():
        if events & bit:
            mask |= pbit
    return mask


def _flux_revents(pev: int) -> int:
    rev = 0
    if pev & (select.POLLIN | select.POLLHUP | select.POLLPRI):
        rev |= FLUX_POLLIN
    if pev & select.POLLOUT:
        rev |= FLUX_POLLOUT
    if pev & (select.POLLERR | select.POLLNVAL):
        rev |= FLUX_POLLERR | FLUX_POLLIN
    return rev


class RWatcher:
    """Base of the reactor's watchers: ``cb(revents)`` runs when it fires."""

    __slots__ = ("reactor", "cb", "active", "referenced", "__weakref__")

    def __init__(self, reactor: Reactor, cb: Optional[Callback]) -> None:
        self.reactor = reactor
        self.cb = cb
        self.active = False
        self.referenced = True

    def start(self) -> None:
        if not self.active:
            self.active = True
            if self.referenced:
                self.reactor.active_refs += 1
            self._on_start()

    def stop(self) -> None:
        if self.active:
            self.active = False
            if self.referenced:
                self.reactor.active_refs -= 1
            self._on_stop()

    def ref(self) -> None:
        if not self.referenced:
            self.referenced = True
            if self.active:
                self.reactor.active_refs += 1

    def unref(self) -> None:
        if self.referenced:
            self.referenced = False
            if self.active:
                self.reactor.active_refs -= 1

    def destroy(self) -> None:
        self.stop()
        self.cb = None

    def _on_start(self) -> None:
        pass

    def _on_stop(self) -> None:
        pass

    def fire(self, revents: int) -> None:
        cb = self.cb
        if cb is not None:
            cb(revents)


class IOWatcher(RWatcher):
    """Fires with FLUX_POLL* revents when ``fd`` is ready for ``events``.

    ``pending`` (optional) reports work that is ready without the fd being
    readable, e.g. messages already queued for a handle.
    """

    __slots__ = ("fd", "events", "pending")

    def __init__(
        self,
        reactor: Reactor,
        fd: int,
        events: int,
        cb: Optional[Callback],
        pending: Optional[Callable[[], bool]] = None,
    ) -> None:
        super().__init__(reactor, cb)
        self.fd = fd
        self.events = events
        self.pending = pending

    def _on_start(self) -> None:
        self.reactor._io_add(self)

    def _on_stop(self) -> None:
        self.reactor._io_remove(self)


class TimerWatcher(RWatcher):
    """Fires once ``after`` seconds from start, then every ``repeat`` seconds if non-zero."""

    __slots__ = ("after", "repeat", "_gen", "deadline")

    def __init__(self, reactor: Reactor, after: float, repeat: float, cb: Optional[Callback]) -> None:
        if after < 0 or repeat < 0:
            raise c_error(errno.EINVAL)
        super().__init__(reactor, cb)
        self.after = after
        self.repeat = repeat
        self._gen = 0
        self.deadline = 0.0

    def set(self, after: float, repeat: float) -> None:
        if after < 0 or repeat < 0:
            raise c_error(errno.EINVAL)
        self.after = after
        self.repeat = repeat

    def again(self) -> None:
        """libev's ev_timer_again: restart with ``repeat`` (stop if it is zero)."""
        self.stop()
        if self.repeat > 0:
            self.after = self.repeat
            self.start()

    def _on_start(self) -> None:
        self._gen += 1
        self.deadline = time.monotonic() + self.after
        self.reactor._timer_add(self)

    def _on_stop(self) -> None:
        self._gen += 1


class SignalWatcher(RWatcher):
    """Fires (revents 0) in the reactor after ``signum`` is delivered to the process."""

    __slots__ = ("signum",)

    def __init__(self, reactor: Reactor, signum: int, cb: Optional[Callback]) -> None:
        super().__init__(reactor, cb)
        self.signum = signum

    def _on_start(self) -> None:
        _signal_add(self)

    def _on_stop(self) -> None:
        _signal_remove(self)


class PrepareWatcher(RWatcher):
    """Fires once per loop iteration, before the loop blocks."""

    __slots__ = ()

    def _on_start(self) -> None:
        self.reactor._prepare.append(self)

    def _on_stop(self) -> None:
        self.reactor._prepare.remove(self)


class CheckWatcher(RWatcher):
    """Fires once per loop iteration, right after the loop wakes up."""

    __slots__ = ()

    def _on_start(self) -> None:
        self.reactor._check.append(self)

    def _on_stop(self) -> None:
        self.reactor._check.remove(self)


class IdleWatcher(RWatcher):
    """While active the loop does not block; fires every iteration."""

    __slots__ = ()

    def _on_start(self) -> None:
        self.reactor._idle.append(self)

    def _on_stop(self) -> None:
        self.reactor._idle.remove(self)


class Soon:
    """A one-shot call scheduled on a reactor (``flux_future_then`` continuations).

    While armed it keeps the loop alive and stops it from blocking.
    """

    __slots__ = ("reactor", "fn", "armed")

    def __init__(self, reactor: Reactor, fn: Callable[[], None]) -> None:
        self.reactor = reactor
        self.fn = fn
        self.armed = False

    def arm(self) -> None:
        if not self.armed:
            self.armed = True
            self.reactor.active_refs += 1
            self.reactor._soon.append(self)

    def disarm(self) -> None:
        if self.armed:
            self.armed = False
            self.reactor.active_refs -= 1


class Reactor:
    """The event loop.  ``active_refs`` counts active, referenced watchers."""

    def __init__(self) -> None:
        self.active_refs = 0
        self._poll = select.poll()
        self._fds: Dict[int, List[IOWatcher]] = {}
        self._pending_io: List[IOWatcher] = []
        self._timers: List[Tuple[float, int, int, TimerWatcher]] = []
        self._timer_seq = 0
        self._prepare: List[RWatcher] = []
        self._check: List[RWatcher] = []
        self._idle: List[RWatcher] = []
        self._soon: Deque[Soon] = deque()
        self._sig_pending: Deque[SignalWatcher] = deque()
        self._wake_r = -1
        self._wake_w = -1
        self._stop = 0  # 1: stop, 2: stop with error
        self.depth = 0

    # -- registration -------------------------------------------------------------
    def _io_add(self, w: IOWatcher) -> None:
        lst = self._fds.setdefault(w.fd, [])
        lst.append(w)
        if w.pending is not None:
            self._pending_io.append(w)
        self._io_update(w.fd)

    def _io_remove(self, w: IOWatcher) -> None:
        lst = self._fds.get(w.fd)
        if lst is not None and w in lst:
            lst.remove(w)
            if w.pending is not None:
                self._pending_io.remove(w)
            self._io_update(w.fd)

    def _io_update(self, fd: int) -> None:
        lst = self._fds.get(fd)
        mask = 0
        if lst:
            for w in lst:
                mask |= _poll_mask(w.events)
        if lst:
            try:
                self._poll.modify(fd, mask)
            except (FileNotFoundError, OSError):
                self._poll.register(fd, mask)
        else:
            self._fds.pop(fd, None)
            try:
                self._poll.unregister(fd)
            except (KeyError, ValueError, OSError):
                pass

    def _timer_add(self, w: TimerWatcher) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (w.deadline, self._timer_seq, w._gen, w))

    def wakeup_fd(self) -> int:
        """The write end of this reactor's self-pipe (created on first use)."""
        if self._wake_w < 0:
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
            self._poll.register(self._wake_r, select.POLLIN)
        return self._wake_w

    def _signal_fired(self, w: SignalWatcher) -> None:
        self._sig_pending.append(w)
        fd = self.wakeup_fd()
        try:
            os.write(fd, b"\x00")
        except OSError:
            pass

    # -- running ------------------------------------------------------------------
    def stop(self) -> None:
        if not self._stop:
            self._stop = 1

    def stop_error(self) -> None:
        self._stop = 2

    @property
    def stopping(self) -> bool:
        return self._stop != 0

    def run(self, flags: int = 0) -> int:
        self._stop = 0
        self.depth += 1
        try:
            while not self._stop:
                if self.active_refs <= 0 and not (flags & (REACTOR_NOWAIT | REACTOR_ONCE)):
                    return 0
                self._iterate(flags)
                if flags & (REACTOR_NOWAIT | REACTOR_ONCE):
                    break
            if self._stop == 2:
                return -1
            return self.active_refs
        finally:
            self.depth -= 1
            self._stop = 0

    def _timeout(self, flags: int) -> Optional[int]:
        if flags & REACTOR_NOWAIT or self._soon or self._idle or self._sig_pending or self.active_refs <= 0:
            return 0
        for w in self._pending_io:
            if w.pending is not None and w.pending():
                return 0
        if self._timers:
            left = self._timers[0][0] - time.monotonic()
            return 0 if left <= 0 else int(left * 1000) + 1
        return None

    def _iterate(self, flags: int) -> None:
        if self._prepare:
            for w in list(self._prepare):
                if w.active:
                    w.fire(0)
            if self._stop:
                return
        events = self._poll.poll(self._timeout(flags))
        if self._check:
            for w in list(self._check):
                if w.active:
                    w.fire(0)
                    if self._stop:
                        return
        fired: Any = ()
        if events:
            fired = set()
            for fd, pev in events:
                if fd == self._wake_r:
                    try:
                        os.read(fd, 512)
                    except OSError:
                        pass
                    continue
                lst = self._fds.get(fd)
                if not lst:
                    continue
                rev = _flux_revents(pev)
                for w in list(lst):
                    if w.active and (rev & (w.events | FLUX_POLLERR)):
                        fired.add(w)
                        w.fire(rev & (w.events | FLUX_POLLERR))
                        if self._stop:
                            return
        if self._pending_io:
            for w in list(self._pending_io):
                if w.active and w not in fired and w.pending is not None and w.pending():
                    w.fire(FLUX_POLLIN)
                    if self._stop:
                        return
        if self._timers:
            now = time.monotonic()
            timers = self._timers
            while timers and timers[0][0] <= now:
                _deadline, _seq, gen, w = heapq.heappop(timers)
                if gen != w._gen or not w.active:
                    continue
                if w.repeat > 0:
                    w._gen += 1
                    w.deadline = now + w.repeat
                    self._timer_add(w)
                else:
                    w.stop()
                w.fire(0)
                if self._stop:
                    return
        while self._sig_pending:
            sw = self._sig_pending.popleft()
            if sw.active:
                sw.fire(0)
                if self._stop:
                    return
        if self._soon:
            batch = self._soon
            self._soon = deque()
            while batch:
                s = batch.popleft()
                if s.armed:
                    s.disarm()
                    s.fn()
                    if self._stop:
                        # keep the rest for the next run
                        self._soon.extendleft(reversed(batch))
                        return
        if self._idle:
            for w in list(self._idle):
                if w.active:
                    w.fire(0)
                    if self._stop:
                        return

    def close(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wake_r = self._wake_w = -1

    def __del__(self) -> None:
        self.close()


# -- process-wide signal plumbing ---------------------------------------------------
_sig_watchers: Dict[int, List[SignalWatcher]] = {}
_sig_saved: Dict[int, Any] = {}


def _on_signal(signum: int, _frame: Optional[FrameType]) -> None:
    for w in list(_sig_watchers.get(signum, ())):
        w.reactor._signal_fired(w)


def _signal_add(w: SignalWatcher) -> None:
    lst = _sig_watchers.get(w.signum)
    if not lst:
        w.reactor.wakeup_fd()
        _sig_saved[w.signum] = signal.signal(w.signum, _on_signal)
        lst = _sig_watchers[w.signum] = []
    else:
        w.reactor.wakeup_fd()
    lst.append(w)


def _signal_remove(w: SignalWatcher) -> None:
    lst = _sig_watchers.get(w.signum)
    if lst and w in lst:
        lst.remove(w)
        if not lst:
            del _sig_watchers[w.signum]
            prev = _sig_saved.pop(w.signum, signal.SIG_DFL)
            try:
                signal.signal(w.signum, prev if prev is not None else signal.SIG_DFL)
            except (ValueError, TypeError):
                pass
