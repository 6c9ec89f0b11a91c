"""The Flux handle (flux-core's ``flux.core.handle.Flux``).

A handle is one connection to a broker.  It is **not thread-safe**: use one
handle per thread.  Many handles may be open in one process.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
import time
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterator, Optional, Set, Union

from fakeflux.wire import Message as WireMessage
from fakeflux.wire import constants as W
from fakeflux.wire import json_payload

from .. import _state
from .._connection import ConnectError, Connection, connect_local, count_parents, local_uri, resolve_uri
from .._dispatch import Core
from .._errors import c_error
from .._futurecore import FutureCore
from .._reactor import Reactor
from ..constants import (
    FLUX_MATCHTAG_NONE,
    FLUX_MSGTYPE_ANY,
    FLUX_MSGTYPE_EVENT,
    FLUX_NODEID_ANY,
    FLUX_POLLERR,
    FLUX_POLLIN,
    FLUX_POLLOUT,
)
from ..future import Future
from ..message import Message, MessageWatcher
from ..rpc import RPC, attr_get, get_rank, send_request, sync_request
from ..util import encode_topic, get_treedict, payload_bytes
from ..wrapper import Wrapper
from .watchers import (
    CheckWatcher,
    FDWatcher,
    IdleWatcher,
    PrepareWatcher,
    SignalWatcher,
    TimerWatcher,
    Watcher,
)

_VALID_OPEN_FLAGS = 1 | 2 | 4 | 8 | 16 | 32 | 64
_CLOSED = "Attempting to call a cached, bound method that requires a handle with a NULL handle"


def open_core(url: Any, flags: int = 0) -> Core:
    """``flux_open``: a new handle core for ``url`` (str or bytes; None: ``$FLUX_URI``).

    Connectors: ``local://PATH`` (a broker's socket) and ``loop://`` (in-process
    loopback: what the handle sends comes back to it).
    """
    if flags & ~_VALID_OPEN_FLAGS:
        raise ConnectError(errno.EINVAL, "invalid flags specified")
    if isinstance(url, (bytes, bytearray)):
        url = bytes(url).decode("utf-8", "surrogateescape")
    elif url is not None and not isinstance(url, str):
        if type(url).__module__ == "_cffi_backend":
            from .inner import ffi

            url = None if url == ffi.NULL else ffi.string(url).decode("utf-8", "surrogateescape")
        else:
            # flux-core passes the URI to flux_open_ex() through its C wrapper, which refuses it
            from ..wrapper import InvalidArguments

            raise InvalidArguments(
                "flux_open_ex", "struct flux_handle *(*)(char *, int, struct flux_error *)", (url, flags)
            )
    if url is not None and url[:1] in (".", "/"):
        url = _resolve_path_uri(url)
    scheme, path = resolve_uri(url)
    if scheme == "local":
        sock = connect_local(path)
        return Core(Connection(sock, f"local://{path}"))
    if scheme == "loop":
        from .._loop import LoopConnection

        return Core(LoopConnection())
    if scheme == "ssh":
        if not path:  # connector-ssh's own check, as flux-core answers
            raise ConnectError(errno.EINVAL, os.strerror(errno.EINVAL))
        raise ConnectError(errno.ENOSYS, "the ssh connector is not available in fakeflux's flux package")
    raise ConnectError(errno.ENOENT, f"Unable to find connector name '{scheme}'")


def _resolve_path_uri(path: str) -> str:
    """handle.c's resolve_path_uri: ``.`` is this instance, ``..`` its parent (one per
    element), ``/`` the root, each found through the ``parent-uri`` attributes."""
    core = open_core(None)
    try:
        if path[0] == "/":
            if path != "/":
                raise ConnectError(errno.EINVAL, f"{path}: invalid URI")
            nparents = -1
        else:
            nparents = count_parents(path)
        return _ancestor_uri(core, nparents)
    finally:
        core.decref()


def _ancestor_uri(core: Core, n: int) -> str:
    try:
        level = int(attr_get(core, "instance-level"))
    except (OSError, ValueError) as exc:
        errnum = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EINVAL
        raise ConnectError(errnum, f"Failed to get instance-level attribute: {os.strerror(errnum)}") from None
    if n == 0 or level == 0:
        return local_uri()
    depth = max(level - n, 0) if n > 0 else 0
    core.incref()
    try:
        while True:
            uri = attr_get(core, "parent-uri")
            parent = open_core(uri)
            level -= 1
            core.decref()
            core = parent
            if level == depth:
                return uri
    finally:
        core.decref()


class Flux(Wrapper):
    """A connection to a Flux instance: ``Flux(url=None, flags=0, handle=None)``.

    ``url`` defaults to ``$FLUX_URI``; only ``local://PATH`` URIs are
    supported.  Handles are closed when the object is garbage collected, or
    on leaving a ``with`` block.  Not thread-safe.
    """

    #  Per-thread reactor depth and pending callback exception.
    tls = _state.tls

    #  As flux-core's: unknown names resolve to libflux functions (``flux.core.inner.lib``),
    #  the handle passed for a first ``flux_t *`` parameter; nothing is filtered out.
    match = "flux_t *"
    filter_match = False
    prefixes = ("flux_", "FLUX_")
    destructor = None

    def __init__(self, url: Any = None, flags: int = 0, handle: Any = None) -> None:
        self._core: Optional[Core] = None
        if handle is None:
            try:
                core = open_core(url, flags)
            except ConnectError as exc:
                raise OSError(exc.errno, f"Unable to connect to Flux: {exc.strerror}") from None
        else:
            core = handle._c() if isinstance(handle, Flux) else handle
            if not isinstance(core, Core):
                raise TypeError(f"Invalid handle {handle!r}")
            core.incref()
        self._core = core
        self.aux_txn: Any = None
        self._active_watchers: Set[Any] = set()
        self._cached_config: Any = None

    # -- the underlying flux_t ------------------------------------------------------
    def _c(self) -> Core:
        core = self._core
        if core is None:
            raise ValueError(_CLOSED)
        return core

    @property
    def handle(self) -> Optional[Core]:
        return self.__dict__.get("_core")

    @handle.setter
    def handle(self, core: Any) -> None:
        if core is not None and not isinstance(core, Core):
            from .inner import ffi, typeof_handle

            raise TypeError(
                f"Invalid handle {core} of type {typeof_handle(core)} assigned to wrapper with handle type "
                f"{ffi.typeof('flux_t *')}"
            )
        self._release()
        self._core = core

    @property
    def _handle(self) -> Optional[Core]:
        return self.__dict__.get("_core")

    def _release(self) -> None:
        core = self.__dict__.get("_core")
        if core is not None:
            self._core = None
            core.decref()

    def __enter__(self) -> Flux:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._release()

    def __del__(self) -> None:
        try:
            self._release()
        except Exception:
            pass

    def incref(self) -> None:
        self._c().incref()

    # -- per-thread reactor state ---------------------------------------------------
    @classmethod
    def reactor_running(cls) -> bool:
        """Return True if this thread is running the Flux reactor"""
        return bool(cls.tls.reactor_depth > 0)

    @classmethod
    def reactor_enter(cls) -> None:
        cls.tls.reactor_depth += 1

    @classmethod
    def reactor_exit(cls) -> None:
        cls.tls.reactor_depth -= 1

    @contextmanager
    def in_reactor(self) -> Iterator[None]:
        self.reactor_enter()
        try:
            yield
        finally:
            self.reactor_exit()

    @classmethod
    def set_exception(cls, exception: Optional[BaseException]) -> Optional[BaseException]:
        """Store a per-thread exception for reactor_run() to re-raise; returns the previous one."""
        return _state.set_exception(exception)

    @classmethod
    def raise_if_exception(cls) -> None:
        """Re-raise (and clear) the per-thread exception, if any."""
        _state.raise_if_exception()

    def close(self) -> None:
        """Always raises RuntimeError: handles close when collected or on leaving ``with``."""
        raise RuntimeError(
            "Unnecessary manual invocation of a Flux handle's close method via "
            "the python bindings.  Handles are automatically closed when the "
            "Python object is deconstructed."
        )

    # -- logging ----------------------------------------------------------------------
    def log(self, level: int, fstring: Union[str, bytes]) -> None:
        """Send ``fstring`` to the broker log (``log.append``) at syslog ``level``.

        As in flux-core the text is a printf format without arguments: use
        ``%%`` for a percent sign.
        """
        if isinstance(fstring, bytes):
            text = fstring.decode("utf-8", "surrogateescape")
        else:
            text = str(fstring)
        core = self._c()
        conn = core.conn
        if not conn.log_host:
            try:
                conn.log_host = str(get_rank(core))
            except OSError:
                pass
        text = text.replace("%%", "%")
        pri = (int(level) << 3) & 0xFFFFFFFF
        while True:
            text = text.rstrip("\r\n")
            cut = len(text)
            for i, ch in enumerate(text):
                if ch in "\r\n":
                    cut = i
                    break
            first, rest = text[:cut], text[cut:].lstrip("\r\n")
            now = time.time()  # RFC 5424 timestamp, microseconds, UTC (datetime costs an import)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"
            line = (
                f"<{pri}>1 {stamp} {conn.log_host[:255]} {conn.log_appname[:48]} "
                f"{conn.log_procid[:128]} - - {first}"
            )
            raw = line.encode("utf-8", "surrogateescape")
            conn.send(WireMessage.request("log.append", raw))
            if not rest:
                return
            text = rest

    # -- messages ---------------------------------------------------------------------
    def send(self, message: Union[Message, WireMessage], flags: int = 0) -> int:
        """Send a pre-constructed message; returns 0."""
        msg = message.handle if isinstance(message, Message) else message
        if not isinstance(msg, WireMessage):
            raise c_error(errno.EINVAL)
        conn = self._c().conn
        if conn.testing_userid != W.USERID_UNKNOWN or conn.testing_rolemask != W.ROLE_NONE:
            msg = msg.copy()
        conn.send(msg)
        return 0

    def recv(
        self,
        type_mask: int = FLUX_MSGTYPE_ANY,
        match_tag: int = FLUX_MATCHTAG_NONE,
        topic_glob: Optional[str] = None,
        flags: int = 0,
    ) -> Message:
        """Block until a matching message arrives and return it; others stay queued."""
        if isinstance(topic_glob, bytes):
            topic_glob = topic_glob.decode("utf-8", "surrogateescape")
        glob = None if topic_glob in (None, "*") else topic_glob
        conn = self._c().conn
        inbox = conn.inbox
        scanned = 0
        while True:
            n = len(inbox)
            for i in range(scanned, n):
                msg = inbox[i]
                if not (msg.type & type_mask):
                    continue
                if match_tag != FLUX_MATCHTAG_NONE and msg.aux2 != match_tag:
                    continue
                if glob is not None and (msg.topic is None or not fnmatchcase(msg.topic, glob)):
                    continue
                del inbox[i]
                return Message(handle=msg)
            scanned = n
            if conn.error:
                raise c_error(conn.error)
            if flags & 4:  # FLUX_O_NONBLOCK
                raise c_error(errno.EAGAIN)
            if conn.wait_readable(None):
                if not conn.read_available() and not len(inbox) > scanned:
                    raise c_error(conn.error or errno.ECONNRESET)

    def rpc(self, topic: Any, payload: Any = None, nodeid: int = FLUX_NODEID_ANY, flags: int = 0) -> RPC:
        """Send a request now and return its RPC future."""
        return RPC(self, topic, payload, nodeid, flags)

    def respond(self, message: Union[Message, WireMessage], payload: Any = None) -> int:
        """Respond to a request (nothing is sent if it has NORESPONSE); returns 0."""
        req = message.handle if isinstance(message, Message) else message
        if not isinstance(req, WireMessage) or req.type != W.MSGTYPE_REQUEST:
            raise c_error(errno.EINVAL)
        if req.flags & W.FLAG_NORESPONSE:
            return 0
        self._c().conn.send(req.derive_response(payload_bytes(payload)))
        return 0

    def _respond_error(
        self, message: Union[Message, WireMessage], errnum: int, errstr: Optional[Union[str, bytes]] = None
    ) -> int:
        req = message.handle if isinstance(message, Message) else message
        if not isinstance(req, WireMessage) or req.type != W.MSGTYPE_REQUEST:
            raise c_error(errno.EINVAL)
        if isinstance(errstr, bytes):
            errstr = errstr.decode("utf-8", "surrogateescape")
        self._c().respond_error(req, errnum, errstr or None)
        return 0

    # -- events -------------------------------------------------------------------------
    def event_create(self, topic: Any, payload: Any = None) -> Message:
        """Create a new event message (str payloads unchanged, others json.dumps'ed)."""
        return Message.from_event_encode(topic, payload)

    def event_send(self, topic: Any, payload: Any = None) -> int:
        """Create and send an event in one step; returns 0."""
        return self.send(self.event_create(topic, payload))

    def event_recv(self, topic: Optional[str] = None) -> Message:
        return self.recv(type_mask=FLUX_MSGTYPE_EVENT, topic_glob=topic)

    def event_subscribe(self, topic: Any) -> int:
        """Subscribe to events whose topic starts with ``topic``; returns 0.

        OSError(EINVAL) if the topic is None, TypeError if it is not str/bytes.
        """
        text = encode_topic(topic).decode("utf-8", "surrogateescape")
        sync_request(self._c(), "event.subscribe", json_payload({"topic": text}))
        return 0

    def _event_unsubscribe(self, topic: Any) -> int:
        if topic is None:
            raise c_error(errno.EINVAL)
        text = encode_topic(topic).decode("utf-8", "surrogateescape")
        sync_request(self._c(), "event.unsubscribe", json_payload({"topic": text}))
        return 0

    # -- watchers -------------------------------------------------------------------------
    def add_watcher(self, watcher: Any) -> Any:
        """Add a reference to a watcher so it avoids garbage collection"""
        self._active_watchers.add(watcher)
        return watcher

    def del_watcher(self, watcher: Any) -> None:
        """Remove ref to ``watcher`` so it is eligible for garbage collection"""
        self._active_watchers.discard(watcher)

    def msg_watcher_create(
        self,
        callback: Callable[..., Any],
        type_mask: int = FLUX_MSGTYPE_ANY,
        topic_glob: Any = "*",
        args: Any = None,
        match_tag: int = FLUX_MATCHTAG_NONE,
        rolemask: Optional[int] = None,
    ) -> MessageWatcher:
        return MessageWatcher(self, type_mask, callback, topic_glob, match_tag, rolemask, args)

    def timer_watcher_create(
        self, after: float, callback: Callable[..., Any], repeat: float = 0.0, args: Any = None
    ) -> TimerWatcher:
        return TimerWatcher(self, after, callback, repeat=repeat, args=args)

    def prepare_watcher_create(self, callback: Callable[..., Any], args: Any = None) -> PrepareWatcher:
        return PrepareWatcher(self, callback, args=args)

    def check_watcher_create(self, callback: Callable[..., Any], args: Any = None) -> CheckWatcher:
        return CheckWatcher(self, callback, args=args)

    def idle_watcher_create(self, callback: Optional[Callable[..., Any]] = None, args: Any = None) -> IdleWatcher:
        return IdleWatcher(self, callback, args=args)

    def signal_watcher_create(self, signum: int, callback: Callable[..., Any], args: Any = None) -> SignalWatcher:
        return SignalWatcher(self, signum, callback, args)

    def fd_watcher_create(
        self, fd_int: int, callback: Callable[..., Any], events: Optional[int] = None, args: Any = None
    ) -> FDWatcher:
        if events is None:
            events = FLUX_POLLIN | FLUX_POLLOUT | FLUX_POLLERR
        return FDWatcher(self, fd_int, events, callback, args=args)

    # -- attributes and configuration -----------------------------------------------------
    def get_rank(self) -> int:
        return get_rank(self._c())

    def attr_get(self, attr_name: Any) -> str:
        if attr_name is None:
            raise c_error(errno.EINVAL)
        if isinstance(attr_name, bytes):
            attr_name = attr_name.decode("utf-8", "surrogateescape")
        if not isinstance(attr_name, str):
            raise TypeError(f"initializer for ctype 'char *' must be a str or bytes, not {type(attr_name)}")
        return attr_get(self._c(), attr_name)

    def attr_set(self, attr: Any, value: Any) -> None:
        """Set a broker attribute; ValueError if either argument is not a str."""
        if not isinstance(attr, str):
            raise ValueError("Attribute name must be a string")
        if not isinstance(value, str):
            raise ValueError("Attribute value must be a string")
        sync_request(self._c(), "attr.set", json_payload({"name": attr, "value": value}))

    def attr_remove(self, attr: Any) -> None:
        """Remove a broker attribute; ValueError if ``attr`` is not a str."""
        if not isinstance(attr, str):
            raise ValueError("Attribute name must be a string")
        self.rpc("attr.rm", {"name": attr}).get()

    def conf_get(self, key: Optional[str] = None, default: Any = None, update: bool = False) -> Any:
        """The instance configuration (fetched once per handle object, or again with update=True)."""
        if update or self._cached_config is None:
            self._cached_config = self.rpc("config.get").get()
        if key is not None:
            return get_treedict(self._cached_config, key, default)
        return self._cached_config

    # -- reactor --------------------------------------------------------------------------
    def get_reactor(self) -> Reactor:
        return self._c().reactor

    def reactor_run(self, reactor: Optional[Reactor] = None, flags: int = 0) -> int:
        """Run the handle's reactor; re-raise a callback's exception, KeyboardInterrupt on SIGINT."""
        core = self._c()
        if reactor is None:
            reactor = core.reactor
        if threading.current_thread() is not threading.main_thread():
            with self.in_reactor():
                rc = reactor.run(flags)
            _state.raise_if_exception()
            self._check_comms(core, rc)
            return rc
        interrupted = False

        def on_sigint(handle: Flux, *_args: Any) -> None:
            nonlocal interrupted
            interrupted = True
            handle.reactor_stop(reactor)

        with self.signal_watcher_create(signal.SIGINT, on_sigint) as w:
            with self.in_reactor():
                w.unref()
                rc = reactor.run(flags)
            w.destroy()
        if interrupted:
            raise KeyboardInterrupt
        _state.raise_if_exception()
        self._check_comms(core, rc)
        return rc

    @staticmethod
    def _check_comms(core: Core, rc: int) -> None:
        if rc < 0 and core.reactor_errnum:
            errnum, core.reactor_errnum = core.reactor_errnum, 0
            raise c_error(errnum)

    def reactor_stop(self, reactor: Optional[Reactor] = None) -> None:
        (reactor or self._c().reactor).stop()

    def reactor_stop_error(self, reactor: Optional[Reactor] = None) -> None:
        (reactor or self._c().reactor).stop_error()

    # -- services ---------------------------------------------------------------------------
    def service_register(self, name: Any) -> Future:
        """Register service ``name`` (``service.add``); ``.get()`` returns None or raises."""
        return Future(self._service_rpc("service.add", name))

    def service_unregister(self, name: Any) -> Future:
        return Future(self._service_rpc("service.remove", name))

    def _service_rpc(self, topic: str, name: Any) -> FutureCore:
        if name is None:
            raise c_error(errno.EINVAL)
        if isinstance(name, bytes):
            name = name.decode("utf-8", "surrogateescape")
        return send_request(self._c(), topic, json_payload({"service": str(name)}), FLUX_NODEID_ANY, 0)

    # -- libflux functions reached by name --------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        """Unknown names resolve to ``flux.core.inner.lib`` functions (``flux_`` prefix optional).

        A name matching nothing returns a stub raising MissingFunctionError when called.
        """
        if name.startswith("_"):
            raise AttributeError(name)
        extra = _EXTRAS.get(name)
        if extra is not None:
            return extra.__get__(self, type(self))
        return Wrapper.__getattr__(self, name)


def _msg_handler_allow_rolemask(self: Flux, mh: Any, rolemask: int) -> None:
    target = getattr(mh, "mh", mh)
    target.rolemask |= rolemask


# Handle methods of this package that are no libflux function of the same shape.
_EXTRAS = {
    "msg_handler_allow_rolemask": _msg_handler_allow_rolemask,
    "flux_msg_handler_allow_rolemask": _msg_handler_allow_rolemask,
}

_ = Watcher
