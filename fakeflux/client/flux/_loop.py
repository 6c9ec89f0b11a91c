"""The ``loop://`` connector: an in-process loopback handle, as libflux's.

What the handle sends is queued and received by the same handle: a request
comes back as a request (a message watcher of the handle may answer it, and
the answer comes back as the response), an event as an event.  Messages sent
without credentials get the connector's, by default the process's user id and
the owner role.  Attributes ``rank`` (0) and ``size`` (1) are answered from
the handle's cache; any other lookup is a request to itself that nobody
answers, so it waits forever, as with flux-core.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from fnmatch import fnmatchcase
from typing import Optional

from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as W

from ._connection import Connection
from ._errors import c_error

__all__ = ["LoopConnection"]


class LoopConnection(Connection):
    """A :class:`Connection` whose outgoing messages land in its own inbox.

    The socket is one end of a socket pair that never carries data: it only
    gives the reactor a descriptor to watch (the inbox itself is what makes
    the handle ready).
    """

    def __init__(self) -> None:
        ours, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._peer: Optional[socket.socket] = peer
        ours.setblocking(False)
        super().__init__(ours, "loop://")
        self.testing_userid = os.getuid()
        self.testing_rolemask = W.ROLE_OWNER
        self.attr_cache["rank"] = "0"
        self.attr_cache["size"] = "1"
        # flux_opt_set(h, "flux::attr_redirect", NULL, 0): attr.* requests are answered
        # by the connector from the handle's attribute cache instead of being queued.
        self.attr_redirect = False

    def send(self, msg: Message) -> None:
        if self.error:
            raise c_error(self.error)
        if self.attr_redirect and msg.type == W.MSGTYPE_REQUEST and fnmatchcase(msg.topic or "", "attr.*"):
            self._redirect_attr(msg)
            return
        copy = msg.copy()
        if copy.userid == W.USERID_UNKNOWN:
            copy.userid = self.testing_userid
        if copy.rolemask == W.ROLE_NONE:
            copy.rolemask = self.testing_rolemask
        self.inbox.append(copy)

    def _redirect_attr(self, msg: Message) -> None:
        """connector_loop.c's redirect_attr_request: get ENOENT, set/rm on the cache."""
        if msg.topic == "attr.get":
            self.inbox.append(msg.derive_response(None, errno.ENOENT))
            return
        if msg.topic not in ("attr.set", "attr.rm"):
            raise c_error(errno.ENOSYS)
        try:
            req = payload_json(msg.payload)
        except ProtocolError:
            raise c_error(errno.EPROTO) from None
        name = req.get("name")
        value = req.get("value")
        if not isinstance(name, str) or (msg.topic == "attr.set" and not isinstance(value, str)):
            raise c_error(errno.EPROTO)
        self.attr_temp.pop(name, None)
        if isinstance(value, str):  # attr.set
            self.attr_cache[name] = value
        else:
            self.attr_cache.pop(name, None)
        if not msg.flags & W.FLAG_NORESPONSE:
            self.inbox.append(msg.derive_response(None))

    def flush(self) -> None:
        return None

    def read_available(self) -> bool:
        return self.sock is not None and not self.error

    def wait_readable(self, timeout: Optional[float]) -> bool:
        if self.inbox:
            return True
        self._idle_wait(None if timeout is None else time.monotonic() + timeout)
        return bool(self.inbox)

    def wait_response(self, tag: int, deadline: Optional[float]) -> Optional[Message]:
        msg = self.take_response(tag)
        if msg is not None:
            return msg
        if self.sock is None or self.error:
            raise c_error(self.error or errno.ECONNRESET)
        # Nothing else can add to the inbox while this thread waits: like libflux,
        # wait until the deadline (forever without one).
        self._idle_wait(deadline)
        return None

    def _idle_wait(self, deadline: Optional[float]) -> None:
        if deadline is None:
            select.select([], [], [])
            return
        left = deadline - time.monotonic()
        if left > 0:
            time.sleep(left)

    def close(self) -> None:
        super().close()
        peer, self._peer = self._peer, None
        if peer is not None:
            peer.close()

    def __del__(self) -> None:
        super().__del__()
        try:
            if self._peer is not None:
                self._peer.close()
        except Exception:
            pass
