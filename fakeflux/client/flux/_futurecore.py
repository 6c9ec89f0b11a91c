"""The ``flux_future_t`` of this package: results, the "now" and "then" contexts.

* A result is a value or an (errnum, text) error; results that arrive while
  one is pending queue up and :meth:`FutureCore.reset` moves to the next.
* **then**: the continuation runs from the handle's reactor, on the loop
  iteration after a result arrives (and again after each reset that finds a
  queued result).  An optional timeout fulfils the future with ETIMEDOUT.
* **now**: a blocking wait runs a private reactor on a clone of the handle,
  so no other message handler or continuation of the handle runs meanwhile;
  whatever the clone does not handle is put back for the handle.  RPCs take
  a shortcut with the same effect: read the socket until their own response
  arrives, leaving everything else queued.
"""

from __future__ import annotations

import errno
import time
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple

from fakeflux.wire import Message as WireMessage
from fakeflux.wire import constants as W

from ._dispatch import Core, MsgHandler
from ._errors import c_error, strerror
from ._reactor import Reactor, Soon, TimerWatcher

# (is_error, value, errnum, errstr)
Result = Tuple[bool, Any, int, Optional[str]]
InitFn = Callable[["FutureCore"], None]
Continuation = Callable[["FutureCore"], None]


class _Then:
    __slots__ = ("reactor", "soon", "timer", "timeout", "cb", "init_called")

    def __init__(self, reactor: Reactor, fc: FutureCore) -> None:
        self.reactor = reactor
        self.soon = Soon(reactor, fc._run_continuation)
        self.timer: Optional[TimerWatcher] = None
        self.timeout = -1.0
        self.cb: Optional[Continuation] = None
        self.init_called = False

    def set_timeout(self, timeout: float, fc: FutureCore) -> None:
        self.timeout = timeout
        if timeout < 0:
            if self.timer is not None:
                self.timer.stop()
            return
        if self.timer is None:
            self.timer = TimerWatcher(self.reactor, timeout, 0.0, fc._then_timeout)
        self.timer.stop()
        self.timer.set(timeout, 0.0)
        self.timer.start()


class _Now:
    __slots__ = ("reactor", "core", "running", "init_called", "timer", "timed_out")

    def __init__(self) -> None:
        self.reactor = Reactor()
        self.core: Optional[Core] = None
        self.running = False
        self.init_called = False
        self.timer: Optional[TimerWatcher] = None
        self.timed_out = False


class FutureCore:
    """A future's shared state; Python ``Future`` objects are views on it."""

    __slots__ = (
        "core",
        "init",
        "result_valid",
        "result",
        "queue",
        "fatal",
        "now",
        "then",
        "refs",
        "handlers",
        "tag",
        "streaming",
        "complete",
        "py_future",
        "__weakref__",
    )

    def __init__(self, init: Optional[InitFn] = None, core: Optional[Core] = None) -> None:
        # A future keeps its handle's connection open (libflux leaves that to the caller).
        if core is not None:
            core.incref()
        self.core = core
        self.init = init
        self.result_valid = False
        self.result: Result = (False, None, 0, None)
        self.queue: Optional[Deque[Result]] = None
        self.fatal: Optional[Tuple[int, Optional[str]]] = None
        self.now: Optional[_Now] = None
        self.then: Optional[_Then] = None
        self.refs = 1
        self.handlers: Optional[List[MsgHandler]] = None
        self.tag = 0  # RPC matchtag (0: none allocated)
        self.streaming = False
        self.complete = False  # RPC got its final response: the matchtag may be reused
        self.py_future: Any = None  # the Python Future running the continuation

    # -- results ----------------------------------------------------------------
    def is_ready(self) -> bool:
        return self.result_valid or self.fatal is not None

    def fulfill(self, value: Any) -> None:
        self._fulfill((False, value, 0, None))

    def fulfill_error(self, errnum: int = errno.ENOENT, errstr: Optional[str] = None) -> None:
        self._fulfill((True, None, errnum, errstr))

    def fatal_error(self, errnum: int, errstr: Optional[str] = None) -> None:
        if self.fatal is None:
            self.fatal = (errnum, errstr)
            self._post_fulfill()

    def _fulfill(self, res: Result) -> None:
        if self.fatal is not None:
            return
        if self.result_valid:
            if self.queue is None:
                self.queue = deque()
            self.queue.append(res)
        else:
            self.result = res
            self.result_valid = True
        self._post_fulfill()

    def _post_fulfill(self) -> None:
        now = self.now
        if now is not None:
            if now.timer is not None:
                now.timer.stop()
            if now.running:
                now.reactor.stop()
        then = self.then
        if then is not None:
            then.soon.arm()

    def reset(self) -> None:
        self.result = (False, None, 0, None)
        self.result_valid = False
        then = self.then
        if then is not None:
            then.soon.disarm()
            then.set_timeout(then.timeout, self)
        if self.queue:
            self.result = self.queue.popleft()
            self.result_valid = True
            self._post_fulfill()

    def error_string(self) -> Optional[str]:
        if self.fatal is not None:
            return self.fatal[1] or strerror(self.fatal[0])
        if self.result_valid and self.result[0]:
            return self.result[3] or strerror(self.result[2])
        return None

    # -- handles ------------------------------------------------------------------
    def get_flux(self) -> Optional[Core]:
        """The handle to use now: the clone while a blocking wait runs."""
        core = self.core
        if core is None:
            return None
        now = self.now
        if now is None or not now.running:
            return core
        if now.core is None:
            now.core = core.make_clone(now.reactor)
        return now.core

    def get_reactor(self) -> Optional[Reactor]:
        core = self.get_flux()
        return core.reactor if core is not None else None

    def set_flux(self, core: Optional[Core]) -> None:
        old = self.core
        if core is not None:
            core.incref()
        self.core = core
        if old is not None:
            old.decref()

    def add_handler(self, mh: MsgHandler) -> None:
        if self.handlers is None:
            self.handlers = []
        self.handlers.append(mh)

    # -- waiting ------------------------------------------------------------------
    def wait_for(self, timeout: float = -1.0) -> None:
        """Block until ready; raises the C-style OSError (ETIMEDOUT, EDEADLOCK…)."""
        if self.result_valid or self.fatal is not None:
            return
        if timeout == 0:
            raise c_error(errno.ETIMEDOUT)
        if self.tag:
            self._wait_rpc(timeout)
        else:
            self._wait_now(timeout)
        if not (self.result_valid or self.fatal is not None):
            raise c_error(errno.EDEADLOCK)

    def _wait_rpc(self, timeout: float) -> None:
        core = self.core
        assert core is not None
        deadline = None if timeout < 0 else time.monotonic() + timeout
        conn = core.conn
        while not (self.result_valid or self.fatal is not None):
            msg = conn.wait_response(self.tag, deadline)
            if msg is None:
                raise c_error(errno.ETIMEDOUT)
            self.rpc_response(msg)

    def _wait_now(self, timeout: float) -> None:
        now = self.now
        if now is None:
            now = self.now = _Now()
        reactor = now.reactor
        if timeout > 0:
            if now.timer is None:
                now.timer = TimerWatcher(reactor, timeout, 0.0, self._now_timeout)
            now.timer.stop()
            now.timer.set(timeout, 0.0)
            now.timer.start()
        now.running = True
        now.timed_out = False
        try:
            if self.init is not None and not now.init_called:
                now.init_called = True
                self.init(self)
            if not (self.result_valid or self.fatal is not None):
                rc = reactor.run()
                if rc < 0:
                    if now.timed_out:
                        raise c_error(errno.ETIMEDOUT)
                    clone = now.core
                    if clone is not None and clone.reactor_errnum:
                        raise c_error(clone.reactor_errnum)
                    raise c_error(errno.EDEADLOCK)
        finally:
            if now.timer is not None:
                now.timer.stop()
            if now.core is not None and now.core._dispatcher is not None:
                now.core._dispatcher.requeue()
            now.running = False

    def _now_timeout(self, _revents: int) -> None:
        now = self.now
        if now is not None:
            now.timed_out = True
            now.reactor.stop_error()

    def get(self) -> Any:
        """The value of the current result; raises the C-style OSError on error."""
        if not (self.result_valid or self.fatal is not None):
            self.wait_for(-1.0)
        if self.fatal is not None:
            raise c_error(self.fatal[0])
        is_error, value, errnum, _ = self.result
        if is_error:
            raise c_error(errnum)
        return value

    # -- continuations ------------------------------------------------------------
    def then_set(self, timeout: float, cb: Continuation) -> None:
        core = self.core
        if core is None:
            raise c_error(errno.EINVAL)
        then = self.then
        if then is None:
            then = self.then = _Then(core.reactor, self)
        if self.result_valid or self.fatal is not None:
            then.soon.arm()
        then.set_timeout(timeout, self)
        then.cb = cb
        if self.init is not None and not then.init_called:
            then.init_called = True
            self.init(self)

    def _run_continuation(self) -> None:
        then = self.then
        if then is None:
            return
        if then.timer is not None:
            then.timer.stop()
        cb = then.cb
        if cb is not None:
            cb(self)

    def _then_timeout(self, _revents: int) -> None:
        self.fulfill_error(errno.ETIMEDOUT, None)

    # -- RPC ----------------------------------------------------------------------
    def get_matchtag(self) -> int:
        return self.tag

    def rpc_init(self) -> None:
        """Initialisation of an RPC in a context: listen for responses to its matchtag."""
        core = self.get_flux()
        if core is None or not self.tag:
            return
        d = core.dispatcher
        old = d.rpc.get(self.tag)
        if old is not None:
            old.destroy()
        mh = MsgHandler(d, W.MSGTYPE_RESPONSE, self.tag, None, self._rpc_msg)
        mh.rolemask = W.ROLE_ALL
        self.add_handler(mh)
        if not self.complete:
            mh.start()

    def _rpc_msg(self, msg: WireMessage) -> None:
        self.rpc_response(msg)

    def rpc_response(self, msg: WireMessage) -> None:
        errnum = msg.aux1
        if errnum:
            payload = msg.payload
            text = None
            if payload:
                text = payload.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape") or None
            self.complete = True
            self._stop_handlers()
            self.fulfill_error(errnum, text)
            return
        if not self.streaming:
            self.complete = True
            self._stop_handlers()
        self.fulfill(msg)

    def _stop_handlers(self) -> None:
        if self.handlers:
            for mh in self.handlers:
                mh.stop()

    # -- lifetime -----------------------------------------------------------------
    def incref(self) -> None:
        self.refs += 1

    def decref(self) -> None:
        self.refs -= 1
        if self.refs == 0:
            self.destroy()

    def destroy(self) -> None:
        if self.handlers:
            for mh in self.handlers:
                mh.destroy()
            self.handlers = None
        then = self.then
        if then is not None:
            then.soon.disarm()
            if then.timer is not None:
                then.timer.stop()
            then.cb = None
            self.then = None
        now = self.now
        if now is not None:
            if now.timer is not None:
                now.timer.stop()
            now.reactor.close()
            self.now = None
        core = self.core
        if core is not None:
            if self.tag and self.complete:
                core.conn.tag_free(self.tag)
            self.core = None
            core.decref()
        self.tag = 0
        self.py_future = None
