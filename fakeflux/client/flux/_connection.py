"""One connection to a broker's local socket: the state libflux keeps per ``flux_t``.

Owns the Unix socket, the codec's stream decoder, an outgoing buffer, the
receive queue shared by a handle and its clones (``inbox``), the matchtag
pool and the attribute cache.  Everything here is synchronous and free of
callbacks; the reactor and the dispatcher build on it.
"""

from __future__ import annotations

import errno
import heapq
import os
import select
import socket
import time
from collections import deque
from typing import Deque, Dict, List, Optional, Tuple

from fakeflux.wire import Message, StreamDecoder, encode
from fakeflux.wire import constants as W

from ._errors import c_error

# usock.h USOCK_RETRY_DEFAULT: 5 retries, back-off 16 ms doubling, capped at 2 s.
RETRY_COUNT_DEFAULT = 5
RETRY_MIN_DELAY = 0.016
RETRY_MAX_DELAY = 2.0

_READ_SIZE = 262144
_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT
_POLLBAD = select.POLLERR | select.POLLHUP | select.POLLNVAL


class ConnectError(OSError):
    """Opening failed; ``strerror`` is the connector's text (without the prefix)."""


# flux_conf_builtin_get("rundir") of an installed flux-core: the system instance's socket
# is what flux_open(NULL) connects to when FLUX_URI is not set.
SYSTEM_URI = "local:///run/flux/local"


def local_uri() -> str:
    """handle.c's get_local_uri: ``$FLUX_URI``, else the system instance."""
    return os.environ.get("FLUX_URI") or SYSTEM_URI


def split_uri(url: str) -> Tuple[str, Optional[str]]:
    """Split a Flux URI into (scheme, path); a URI without ``://`` is all scheme."""
    if "://" in url:
        scheme, path = url.split("://", 1)
        return scheme, path.strip(" \t")
    return url, None


def resolve_uri(url: Optional[str]) -> Tuple[str, Optional[str]]:
    """(scheme, path) of ``url``, taking ``$FLUX_URI`` (or the system instance) when None."""
    return split_uri(local_uri() if url is None else url)


def count_parents(path: str) -> int:
    """Number of ``..`` elements of a path-like URI (``.`` elements are ignored)."""
    n = 0
    for element in path.split("/"):
        if element == "..":
            n += 1
        elif element not in ("", "."):
            raise ConnectError(errno.EINVAL, f"{path}: invalid URI path element '{element}'")
    return n


def retry_count() -> int:
    text = os.environ.get("FLUX_LOCAL_CONNECTOR_RETRY_COUNT")
    if text is None:
        return RETRY_COUNT_DEFAULT
    try:
        return int(text, 10)
    except ValueError:
        raise ConnectError(errno.EINVAL, os.strerror(errno.EINVAL)) from None


def connect_local(path: Optional[str]) -> socket.socket:
    """Connect and read the one-byte handshake, as libflux's local connector does."""
    if not path:
        raise ConnectError(errno.EINVAL, os.strerror(errno.EINVAL))
    retries = retry_count()
    if retries < 0 or len(path.encode()) >= 108:
        raise ConnectError(errno.EINVAL, os.strerror(errno.EINVAL))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    delay = RETRY_MIN_DELAY
    attempt = 0
    while True:
        try:
            sock.connect(path)
            break
        except OSError as exc:
            if attempt == retries:
                sock.close()
                if exc.errno == errno.ENOENT:
                    raise ConnectError(errno.ENOENT, f"broker socket {path} was not found") from None
                num = exc.errno or errno.ECONNREFUSED
                raise ConnectError(num, os.strerror(num)) from None
            attempt += 1
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_DELAY)
    try:
        byte = sock.recv(1)
    except OSError as exc:
        sock.close()
        num = exc.errno or errno.ECONNRESET
        raise ConnectError(num, os.strerror(num)) from None
    if not byte or byte[0] != 0:
        sock.close()
        num = byte[0] if byte else errno.ECONNRESET
        raise ConnectError(num, os.strerror(num))
    sock.setblocking(False)
    return sock


class Connection:
    """The socket and shared per-handle state.  Not thread-safe."""

    def __init__(self, sock: socket.socket, uri: str) -> None:
        self.sock: Optional[socket.socket] = sock
        self.fd = sock.fileno()
        self.uri = uri
        self.decoder = StreamDecoder()
        self.wbuf = bytearray()
        self.inbox: Deque[Message] = deque()
        self.error = 0  # errno once the connection failed
        self._poller = select.poll()
        self._poller.register(self.fd, _POLLIN)
        # matchtags: lowest free first
        self._tag_next = 1
        self._tag_free: List[int] = []
        self._tags_used = 0
        # attributes: immutable values forever, others until the next lookup
        self.attr_cache: Dict[str, str] = {}
        self.attr_temp: Dict[str, str] = {}
        self.log_host = ""
        self.log_appname = _program_name()
        self.log_procid = str(os.getpid())
        self.testing_userid = W.USERID_UNKNOWN
        self.testing_rolemask = W.ROLE_NONE
        userid = os.environ.get("FLUX_HANDLE_USERID")
        if userid is not None:
            self.testing_userid = _strtoul(userid, 10)
        rolemask = os.environ.get("FLUX_HANDLE_ROLEMASK")
        if rolemask is not None:
            self.testing_rolemask = _strtoul(rolemask, 0)

    # -- matchtags ------------------------------------------------------------
    def tag_alloc(self) -> int:
        self._tags_used += 1
        if self._tag_free:
            return heapq.heappop(self._tag_free)
        tag = self._tag_next
        self._tag_next += 1
        return tag

    def tag_free(self, tag: int) -> None:
        if 0 < tag < self._tag_next and tag not in self._tag_free:
            self._tags_used -= 1
            if tag == self._tag_next - 1:
                self._tag_next -= 1
                # trailing free tags fold back into the counter
                while self._tag_free and self._tag_next - 1 in self._tag_free:
                    self._tag_free.remove(self._tag_next - 1)
                    self._tag_next -= 1
                heapq.heapify(self._tag_free)
            else:
                heapq.heappush(self._tag_free, tag)

    @property
    def tags_in_use(self) -> int:
        return self._tags_used

    # -- sending --------------------------------------------------------------
    def check(self) -> None:
        if self.error:
            raise c_error(self.error)

    def send(self, msg: Message) -> None:
        """Queue ``msg`` and write as much as the socket takes; blocks only on a full socket."""
        if self.error:
            raise c_error(self.error)
        if self.testing_userid != W.USERID_UNKNOWN or self.testing_rolemask != W.ROLE_NONE:
            # connector-local's send_testing: both credentials replaced, whatever the message had
            msg.userid = self.testing_userid
            msg.rolemask = self.testing_rolemask
        data = encode(msg)
        if not self.wbuf:
            try:
                n = self.sock.send(data)  # type: ignore[union-attr]
            except BlockingIOError:
                n = 0
            except OSError as exc:
                self._fail(exc.errno or errno.ECONNRESET)
                raise c_error(self.error) from None
            if n == len(data):
                return
            self.wbuf += data[n:]
        else:
            self.wbuf += data
        self.flush()

    def flush(self) -> None:
        """Write the buffered output, reading whatever arrives meanwhile (no deadlock)."""
        poller = self._poller
        poller.modify(self.fd, _POLLIN | _POLLOUT)
        try:
            while self.wbuf:
                for _fd, ev in poller.poll():
                    if ev & _POLLOUT:
                        try:
                            n = self.sock.send(self.wbuf)  # type: ignore[union-attr]
                        except BlockingIOError:
                            n = 0
                        except OSError as exc:
                            self._fail(exc.errno or errno.ECONNRESET)
                            raise c_error(self.error) from None
                        del self.wbuf[:n]
                    if ev & (_POLLIN | _POLLBAD):
                        self.read_available()
                        if self.error:
                            raise c_error(self.error)
        finally:
            if self.sock is not None:
                poller.modify(self.fd, _POLLIN)

    # -- receiving ------------------------------------------------------------
    def read_available(self) -> bool:
        """Read all the socket has without blocking; queue the messages; False on failure."""
        sock = self.sock
        if sock is None or self.error:
            return False
        inbox = self.inbox
        while True:
            try:
                data = sock.recv(_READ_SIZE)
            except BlockingIOError:
                return True
            except InterruptedError:  # pragma: no cover - PEP 475 retries
                continue
            except OSError as exc:
                self._fail(exc.errno or errno.ECONNRESET)
                return False
            if not data:
                self._fail(errno.ECONNRESET)
                return False
            try:
                inbox.extend(self.decoder.feed(data))
            except ValueError:
                self._fail(errno.EPROTO)
                return False
            if len(data) < _READ_SIZE:
                return True

    def wait_readable(self, timeout: Optional[float]) -> bool:
        """Block until the socket is readable or ``timeout`` seconds pass (None: forever)."""
        if self.wbuf:
            self.flush()
        if self.sock is None:
            return False
        ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
        return bool(self._poller.poll(ms))

    def take_response(self, tag: int) -> Optional[Message]:
        """Remove and return the first queued response for ``tag`` (empty route stack)."""
        for i, msg in enumerate(self.inbox):
            if msg.type == W.MSGTYPE_RESPONSE and msg.aux2 == tag and not msg.routes:
                del self.inbox[i]
                return msg
        return None

    def wait_response(self, tag: int, deadline: Optional[float]) -> Optional[Message]:
        """Read until a response for ``tag`` arrives; others stay queued in order.

        Returns None at ``deadline``; raises the C-style OSError if the
        connection fails.
        """
        if self.inbox:
            msg = self.take_response(tag)
            if msg is not None:
                return msg
        if self.wbuf:
            self.flush()
        sock = self.sock
        if sock is None or self.error:
            raise c_error(self.error or errno.ECONNRESET)
        inbox = self.inbox
        while True:
            try:
                data = sock.recv(_READ_SIZE)
            except BlockingIOError:
                if deadline is None:
                    self._poller.poll()
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._poller.poll(int(left * 1000) + 1)
                continue
            except OSError as exc:
                self._fail(exc.errno or errno.ECONNRESET)
                raise c_error(self.error) from None
            if not data:
                self._fail(errno.ECONNRESET)
                raise c_error(self.error)
            try:
                msgs = self.decoder.feed(data)
            except ValueError:
                self._fail(errno.EPROTO)
                raise c_error(self.error) from None
            found = None
            for msg in msgs:
                if (
                    found is None
                    and msg.aux2 == tag
                    and msg.type == W.MSGTYPE_RESPONSE
                    and not msg.routes
                ):
                    found = msg
                else:
                    inbox.append(msg)
            if found is not None:
                return found

    # -- teardown ---------------------------------------------------------------
    def _fail(self, errnum: int) -> None:
        if not self.error:
            self.error = errnum

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            if self.wbuf:
                try:
                    sock.setblocking(True)
                    sock.sendall(self.wbuf)
                except OSError:
                    pass
            self.wbuf.clear()
            try:
                self._poller.unregister(self.fd)
            except (KeyError, ValueError):
                pass
            sock.close()
        if not self.error:
            self.error = errno.EINVAL
        self.inbox.clear()

    def __del__(self) -> None:
        try:
            if self.sock is not None:
                self.sock.close()
        except Exception:
            pass


def _strtoul(text: str, base: int) -> int:
    try:
        return int(text.strip(), base) & 0xFFFFFFFF
    except ValueError:
        return 0


def _program_name() -> str:
    """program_invocation_short_name: the basename of the process's argv[0]."""
    import sys

    argv0 = ""
    orig = getattr(sys, "orig_argv", None)
    if orig:
        argv0 = orig[0]
    else:
        try:
            with open("/proc/self/cmdline", "rb") as fh:
                argv0 = fh.read().split(b"\x00", 1)[0].decode("utf-8", "replace")
        except OSError:
            argv0 = sys.executable or "python3"
    return os.path.basename(argv0) or "python3"
