"""Message handlers and their dispatch: libflux's ``msg_handler.c`` for this package.

A :class:`Core` is one ``flux_t``: a :class:`~._connection.Connection`, a
reactor and a :class:`Dispatcher`.  A clone (used while a future is waited on
synchronously) shares the connection, has its own reactor and dispatcher, and
puts back every message it did not handle, in order, when it is done.
"""

from __future__ import annotations

import errno
from fnmatch import fnmatchcase
from typing import Callable, Dict, List, Optional

from fakeflux.wire import Message as WireMessage
from fakeflux.wire import constants as W
from fakeflux.wire import string_payload

from ._connection import Connection
from ._reactor import FLUX_POLLIN, IOWatcher, Reactor

MsgFn = Callable[[WireMessage], None]


def _is_glob(pattern: Optional[str]) -> bool:
    return pattern is not None and any(c in pattern for c in "*?[")


class MsgHandler:
    """One ``flux_msg_handler_t``: a match (type mask, matchtag, topic glob),
    allowed roles (owner only by default) and a callback taking the wire message."""

    __slots__ = ("d", "typemask", "matchtag", "glob", "rolemask", "fn", "running", "kind", "__weakref__")

    def __init__(
        self,
        d: Dispatcher,
        typemask: int,
        matchtag: int,
        glob: Optional[str],
        fn: MsgFn,
    ) -> None:
        self.d = d
        self.typemask = typemask
        self.matchtag = matchtag
        self.glob = None if glob in (None, "*") else glob
        self.rolemask = W.ROLE_OWNER
        self.fn: Optional[MsgFn] = fn
        self.running = False
        if typemask == W.MSGTYPE_RESPONSE and matchtag != W.MATCHTAG_NONE:
            self.kind = "rpc"
            if matchtag in d.rpc:
                raise OSError(errno.EEXIST, "matchtag already has a handler")
            d.rpc[matchtag] = self
        elif typemask == W.MSGTYPE_REQUEST and glob is not None and not _is_glob(glob):
            self.kind = "method"
            d.methods.setdefault(glob, []).append(self)
        else:
            self.kind = "list"
            d.handlers.insert(0, self)

    def matches(self, msg: WireMessage) -> bool:
        if not (msg.type & self.typemask):
            return False
        if self.matchtag != W.MATCHTAG_NONE and (
            msg.type not in (W.MSGTYPE_REQUEST, W.MSGTYPE_RESPONSE) or msg.aux2 != self.matchtag
        ):
            return False
        if self.glob is not None:
            return msg.topic is not None and fnmatchcase(msg.topic, self.glob)
        return True

    def start(self) -> None:
        if not self.running:
            self.running = True
            self.d.running_changed(+1)

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.d.running_changed(-1)

    def destroy(self) -> None:
        self.stop()
        d = self.d
        if self.kind == "rpc":
            if d.rpc.get(self.matchtag) is self:
                del d.rpc[self.matchtag]
        elif self.kind == "method":
            stack = d.methods.get(self.glob or "")
            if stack is not None and self in stack:
                stack.remove(self)
                if not stack:
                    del d.methods[self.glob or ""]
        elif self in d.handlers:
            d.handlers.remove(self)
        self.fn = None


class Core:
    """A ``flux_t``: connection, reactor and dispatcher.  Not thread-safe."""

    def __init__(self, conn: Connection, reactor: Optional[Reactor] = None, clone: bool = False) -> None:
        self.conn = conn
        self._reactor = reactor
        self.clone = clone
        self._dispatcher: Optional[Dispatcher] = None
        self.refs = 1
        self.reactor_errnum = 0

    @property
    def reactor(self) -> Reactor:
        r = self._reactor
        if r is None:
            r = self._reactor = Reactor()
        return r

    @property
    def dispatcher(self) -> Dispatcher:
        d = self._dispatcher
        if d is None:
            d = self._dispatcher = Dispatcher(self)
        return d

    def make_clone(self, reactor: Reactor) -> Core:
        return Core(self.conn, reactor, clone=True)

    def incref(self) -> None:
        self.refs += 1

    def decref(self) -> None:
        self.refs -= 1
        if self.refs == 0 and not self.clone:
            self.conn.close()

    @property
    def closed(self) -> bool:
        return self.conn.sock is None

    def send(self, msg: WireMessage) -> None:
        self.conn.send(msg)

    def respond_error(self, req: WireMessage, errnum: int, errstr: Optional[str]) -> None:
        """flux_respond_error: no response to NORESPONSE requests; errnum 0 becomes EINVAL."""
        if req.flags & W.FLAG_NORESPONSE:
            return
        resp = req.derive_response(
            string_payload(errstr) if errstr else None,
            errnum or errno.EINVAL,
        )
        self.conn.send(resp)


class Dispatcher:
    """Routes received messages to the handlers of one :class:`Core`."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.rpc: Dict[int, MsgHandler] = {}
        self.methods: Dict[str, List[MsgHandler]] = {}
        self.handlers: List[MsgHandler] = []
        self.running_count = 0
        self.unmatched: List[WireMessage] = []
        conn = core.conn
        inbox = conn.inbox
        self.hw = IOWatcher(core.reactor, conn.fd, FLUX_POLLIN, self._ready, pending=lambda: bool(inbox))

    def running_changed(self, delta: int) -> None:
        self.running_count += delta
        if self.running_count > 0:
            if not self.hw.active and not self.core.closed:
                self.hw.start()
        elif self.hw.active:
            self.hw.stop()

    def _ready(self, _revents: int) -> None:
        core = self.core
        conn = core.conn
        conn.read_available()
        inbox = conn.inbox
        reactor = core.reactor
        while inbox:
            msg = inbox.popleft()
            if not self.dispatch(msg):
                self.unmatched_msg(msg)
            if reactor.stopping:
                return
        if conn.error:
            core.reactor_errnum = conn.error
            self.hw.stop()
            reactor.stop_error()

    def dispatch(self, msg: WireMessage) -> bool:
        mtype = msg.type
        if mtype == W.MSGTYPE_RESPONSE:
            tag = msg.aux2
            if tag and not msg.routes:
                mh = self.rpc.get(tag)
                if mh is not None and mh.running:
                    self._call(mh, msg)
                    return True
        elif mtype == W.MSGTYPE_REQUEST and self.methods:
            stack = self.methods.get(msg.topic or "")
            if stack:
                mh = stack[-1]
                if mh.running:
                    self._call(mh, msg)
                    return True
        for mh in list(self.handlers):
            if mh.running and mh.matches(msg):
                self._call(mh, msg)
                if mtype != W.MSGTYPE_EVENT:
                    return True
        return False

    def _call(self, mh: MsgHandler, msg: WireMessage) -> None:
        if not (msg.rolemask & mh.rolemask):
            if msg.type == W.MSGTYPE_REQUEST and not (msg.flags & W.FLAG_NORESPONSE):
                if mh.rolemask in (0, W.ROLE_OWNER):
                    text = "Request requires owner credentials"
                else:
                    text = "Request rejected due to insufficient privilege"
                self.core.respond_error(msg, errno.EPERM, text)
            return
        fn = mh.fn
        if fn is not None:
            fn(msg)

    def unmatched_msg(self, msg: WireMessage) -> None:
        core = self.core
        if core.clone:
            self.unmatched.append(msg)
            return
        mtype = msg.type
        if mtype == W.MSGTYPE_REQUEST:
            core.respond_error(msg, errno.ENOSYS, f"Unknown service method '{msg.topic}'")
        elif mtype == W.MSGTYPE_RESPONSE:
            tag = msg.aux2
            if msg.routes or tag == W.MATCHTAG_NONE:
                return
            if msg.flags & W.FLAG_STREAMING and msg.aux1 == 0:
                return
            core.conn.tag_free(tag)

    def requeue(self) -> None:
        """Give back, at the head of the shared queue, what a clone did not handle."""
        if self.unmatched:
            self.core.conn.inbox.extendleft(reversed(self.unmatched))
            self.unmatched = []
