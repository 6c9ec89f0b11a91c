"""The event loop: one listening Unix socket per rank, every connection, in
one ``selectors`` loop on one thread.  Thread-safe entry points are
``request_stop`` and ``call_soon``; everything else runs on the loop thread.
"""

from __future__ import annotations

import errno
import heapq
import itertools
import os
import resource
import selectors
import socket
import threading
import time
import traceback
from collections import deque
from typing import Callable, Deque, Dict, Iterable, List, Optional, Set, Tuple, TypeVar

from fakeflux.broker.client import Client
from fakeflux.broker.connector import Connector
from fakeflux.broker.instance import InstanceCore
from fakeflux.io.connection import Connection, peer_credentials
from fakeflux.io.processes import LocalProcessHost
from fakeflux.wire import Message, ProtocolError, string_payload
from fakeflux.wire import constants as C

T = TypeVar("T")

# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107

LOG_ERR = 3
LOG_WARNING = 4


# The longest the loop sleeps in one select() while a timer is pending (seconds).
MAX_WAIT = 86400.0


class SocketPathTooLong(ValueError):
    pass


# File descriptors kept free for clients and everything else in the process.
FD_HEADROOM = 256


class TooManySockets(ValueError):
    pass


def ensure_fd_budget(sockets: int) -> None:
    """Raise the soft open-file limit as far as the hard one allows so that
    ``sockets`` listening sockets fit; say plainly when they cannot."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = sockets + FD_HEADROOM
    if needed <= soft:
        return
    if hard == resource.RLIM_INFINITY or needed <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return
    raise TooManySockets(
        f"{sockets} rank sockets need about {needed} open files but the limit is {hard}: "
        f"give only the ranks your clients use a socket (Instance(sockets=[...]), fakeflux start --sockets)"
    )


class ListenError(OSError):
    """A rank socket that cannot be set up (the path is taken by a folder, say)."""


def _remove(path: str) -> None:
    """remove(3): unlink a file, rmdir an empty folder, nothing if absent."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def socket_path(rundir: str, rank: int) -> str:
    return os.path.join(rundir, f"local-{rank}")


class BrokerServer:
    def __init__(
        self,
        core: InstanceCore,
        *,
        ranks: Optional[Iterable[int]] = None,
        max_message_size: int = C.DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.core = core
        self.max_message_size = max_message_size
        self.ranks = list(range(core.size) if ranks is None else ranks)
        self.selector = selectors.DefaultSelector()
        self.listeners: Dict[int, socket.socket] = {}
        self.connections: Dict[int, Connection] = {}
        self._calls: Deque[Callable[[], None]] = deque()
        self._timers: List[Tuple[float, int, Callable[[], None]]] = []
        self._timer_ids = itertools.count()
        self._to_close: List[Connection] = []
        self._paused: Set[int] = set()  # ranks whose listening socket waits for a free descriptor
        self._out_of_fds_noted = False
        self._stopping = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, self._on_wake)
        self.thread: Optional[threading.Thread] = None
        core.call_later = self.call_later
        # Jobs' tasks are real processes watched by this loop.
        self.processes = LocalProcessHost(self.selector, self.call_later)
        core.jobs.use_processes(self.processes)

    # -- setting up -------------------------------------------------------------------
    def bind(self, *, own_rundir: bool = True) -> None:
        """Create every rank's socket; clients can connect once this returns.
        ``own_rundir``: the rundir was made for this instance (a given one's
        mode is left alone, as real Flux leaves it)."""
        ensure_fd_budget(len(self.ranks))
        for rank in self.ranks:
            self.listen(rank)
        if own_rundir and self.core.config.lookup("access.allow-guest-user") is True:
            # Other users must be able to reach the sockets through the rundir.
            os.chmod(self.core.rundir, 0o711)

    def listen(self, rank: int) -> None:
        path = socket_path(self.core.rundir, rank)
        if len(os.fsencode(path)) > MAX_SOCKET_PATH:
            raise SocketPathTooLong(
                f"socket path {path!r} is {len(os.fsencode(path))} bytes; Unix sockets allow "
                f"{MAX_SOCKET_PATH} (use a shorter rundir)"
            )
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # Whatever is in the way goes, as remove(3) in flux-core's
            # usock_server_create: a socket left by a killed instance (the
            # usual case; a live one is not told apart there either), a file,
            # an empty folder.
            _remove(path)
            sock.bind(path)
            os.chmod(path, 0o777)  # as connector-local: access is decided by credentials
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise ListenError(f"{path}: cannot set up socket listener: {exc.strerror}") from None
        self.listeners[rank] = sock
        self._paused.discard(rank)
        self.selector.register(sock, selectors.EVENT_READ, lambda: self._on_accept(rank, sock))

    def unlisten(self, rank: int) -> None:
        """Close a rank's socket (the rank went down); its clients stay until closed."""
        sock = self.listeners.pop(rank, None)
        if sock is not None:
            if rank in self._paused:
                self._paused.discard(rank)
            else:
                self.selector.unregister(sock)
            sock.close()
            try:
                os.unlink(socket_path(self.core.rundir, rank))
            except FileNotFoundError:
                pass

    # -- running ------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        select = self.selector.select
        while not self._stopping:
            self._dispatch(select(self._timeout()))
            while self._calls:
                self._run_call(self._calls.popleft())
            if self._timers:
                self._run_due_timers()
            # jobs' KVS writes of this turn, committed before the next request is read
            self.core.jobs.end_turn()
        self._teardown()

    def _dispatch(self, ready: List[Tuple[selectors.SelectorKey, int]]) -> None:
        # A method of its own so that no local of the loop keeps the last
        # connection (closed, perhaps, with its buffers) alive while it waits.
        for key, mask in ready:
            callback = key.data
            try:
                if isinstance(callback, Connection):
                    if mask & selectors.EVENT_READ and not callback.closed:
                        callback.on_readable()
                    if mask & selectors.EVENT_WRITE and not callback.closed:
                        callback.on_writable()
                else:
                    callback()
            except Exception:
                # Whatever one connection's input does, the loop serves on;
                # the fault is fakeflux's, so it goes to the log.
                self._log_bug("serving a connection")
                if isinstance(callback, Connection):
                    self.close_connection(callback)
            if self._to_close:
                self._close_pending()

    def start_thread(self) -> None:
        self.thread = threading.Thread(target=self.serve_forever, name="fakeflux-broker", daemon=True)
        self.thread.start()

    def request_stop(self) -> None:
        """Ask the loop to finish; safe from any thread and from signal handlers."""
        self._stopping = True
        self._wake()

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread (the way other threads touch the core)."""
        self._calls.append(fn)
        self._wake()

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the loop thread and return its result (or raise its error)."""
        if self.thread is None or threading.current_thread() is self.thread:
            return fn()
        done = threading.Event()
        results: List[T] = []
        errors: List[BaseException] = []

        def run() -> None:
            try:
                results.append(fn())
            except BaseException as exc:  # handed back to the caller
                errors.append(exc)
            done.set()

        self.call_soon(run)
        if not done.wait(timeout):
            raise TimeoutError("the broker loop did not run the call in time")
        if errors:
            raise errors[0]
        return results[0]

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread after ``delay`` seconds (loop thread only)."""
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_ids), fn))

    def _timeout(self) -> Optional[float]:
        if self._calls:
            return 0
        if self._timers:
            # select() refuses timeouts beyond about 24.8 days (OverflowError): a job's time
            # limit may lie much further ahead (real Flux accepts 1e308 s), so wake up daily.
            return min(MAX_WAIT, max(0.0, self._timers[0][0] - time.monotonic()))
        return None

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            self._run_call(fn)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\x00")
        except (BlockingIOError, OSError):
            pass  # already awake, or shutting down

    def _on_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _run_call(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            self._log_bug("call from another thread")

    # -- connections -------------------------------------------------------------------------
    def _on_accept(self, rank: int, lsock: socket.socket) -> None:
        while True:
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                # Every waiting client is in: a shortage of descriptors, if
                # there was one, is over (the next one gets its log line).
                self._out_of_fds_noted = False
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._pause_accepting(rank, exc)
                else:
                    self.log(rank, LOG_ERR, f"accept failed: {exc.strerror}")
                return
            try:
                self._greet(rank, sock)
            except OSError:
                # The client left before its handshake (connect, then close
                # at once): nothing to serve, and nobody else is affected.
                self._discard(sock)
            except Exception:
                self._log_bug(f"accepting a client on rank {rank}")
                self._discard(sock)

    def _greet(self, rank: int, sock: socket.socket) -> None:
        """Check a new client's credentials and send the handshake byte."""
        pid, uid, _gid = peer_credentials(sock)
        roles = self.core.authenticate(uid)
        if roles is None:
            self.log(rank, LOG_WARNING, f"rejected connection from uid {uid} (pid {pid})")
            try:
                sock.send(bytes((errno.EPERM,)))
            finally:
                sock.close()
            return
        sock.setblocking(False)
        sock.send(b"\x00")  # the handshake: a fresh socket always takes one byte
        conn = Connection(self, sock, rank, uid, roles, pid)
        self.connections[conn.fd] = conn
        self.core.rank(rank).connector.attach(conn.client)
        self.selector.register(sock, selectors.EVENT_READ, conn)

    @staticmethod
    def _discard(sock: socket.socket) -> None:
        try:
            sock.close()
        except OSError:
            pass

    # Out of descriptors (EMFILE, ENFILE) or memory, a listening socket stays
    # readable while its clients wait, so polling it again would spin.  As the
    # real usock server does, it leaves the loop for a short pause (or until a
    # connection closes and frees a descriptor), and the log says so once.
    ACCEPT_PAUSE = 0.01

    def _pause_accepting(self, rank: int, exc: OSError) -> None:
        lsock = self.listeners.get(rank)
        if lsock is None or rank in self._paused:
            return
        self.selector.unregister(lsock)
        self._paused.add(rank)
        if not self._out_of_fds_noted:
            self._out_of_fds_noted = True
            self.log(rank, LOG_ERR, f"accept failed: {exc.strerror}; not accepting until a descriptor is free")
        self.call_later(self.ACCEPT_PAUSE, lambda: self._resume_accepting(rank))

    def _resume_accepting(self, rank: int) -> None:
        if rank not in self._paused:
            return
        self._paused.discard(rank)
        lsock = self.listeners.get(rank)
        if lsock is not None and not self._stopping:
            self.selector.register(lsock, selectors.EVENT_READ, lambda: self._on_accept(rank, lsock))

    def deliver(self, connector: Connector, client: Client, msg: Message) -> None:
        try:
            connector.receive(client, msg)
        except Exception as exc:
            # A fault of fakeflux's own must not take the whole instance down,
            # nor leave the client waiting: it gets an error answer saying so.
            self._log_bug(f"handling {msg.type_name} {msg.topic!r}")
            if msg.type == C.MSGTYPE_REQUEST and not msg._flags & C.FLAG_NORESPONSE:
                answer = Message(
                    C.MSGTYPE_RESPONSE,
                    flags=msg._flags & (C.FLAG_STREAMING | C.FLAG_UPSTREAM | C.FLAG_USER1),
                    userid=self.core.owner,
                    rolemask=C.ROLE_OWNER | C.ROLE_LOCAL,
                    aux1=errno.EPROTO,
                    aux2=msg.aux2,
                    routes=[],
                    topic=msg.topic,
                    payload=string_payload(f"fakeflux internal error: {type(exc).__name__}: {exc}"[:200]),
                )
                client.send(answer)

    def want_write(self, conn: Connection, on: bool) -> None:
        if conn.closed:
            return
        events = selectors.EVENT_READ | selectors.EVENT_WRITE if on else selectors.EVENT_READ
        self.selector.modify(conn.sock, events, conn)

    def close_later(self, conn: Connection) -> None:
        if conn not in self._to_close:
            self._to_close.append(conn)

    def _close_pending(self) -> None:
        pending, self._to_close = self._to_close, []
        for conn in pending:
            self.close_connection(conn)

    def close_connection(self, conn: Connection) -> None:
        if conn.closed:
            return
        self.selector.unregister(conn.sock)
        self.connections.pop(conn.fd, None)
        client = conn.client
        conn.shutdown()
        self.core.rank(client.rank).connector.detach(client)
        for rank in list(self._paused):
            self._resume_accepting(rank)  # a descriptor is free now

    def protocol_error(self, conn: Connection, exc: ProtocolError) -> None:
        self.log(conn.client.rank, LOG_ERR, f"disconnecting {conn.describe()}: {exc}")
        self.close_connection(conn)

    def disconnect_rank(self, rank: int) -> None:
        for conn in [c for c in self.connections.values() if c.client.rank == rank]:
            self.close_connection(conn)

    # -- logging -----------------------------------------------------------------------------
    def log(self, rank: int, severity: int, message: str) -> None:
        self.core.rank(rank).log.log(severity, "connector-local", message)

    def _log_bug(self, what: str) -> None:
        text = traceback.format_exc().strip().replace("\n", " | ")
        try:
            self.log(0, LOG_ERR, f"fakeflux internal error while {what}: {text}")
        except Exception:
            # The log itself failed (out of memory, descriptors...): stderr
            # is already open, and the loop must go on.
            try:
                os.write(2, f"fakeflux internal error while {what}: {text}\n".encode("utf-8", "replace"))
            except OSError:
                pass

    # -- tearing down ------------------------------------------------------------------------
    def _teardown(self) -> None:
        try:
            self.core.jobs.shutdown()  # kills and reaps every job's tasks, removes their tmpdirs
        except Exception:
            self._log_bug("stopping jobs")
            self.processes.shutdown()
        for conn in list(self.connections.values()):
            conn.shutdown()
        self.connections.clear()
        for rank in list(self.listeners):
            self.unlisten(rank)
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()
