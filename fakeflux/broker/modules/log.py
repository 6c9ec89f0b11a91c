"""``log``: the broker's log ring buffer (flux-core ``src/broker/log.c``)."""

from __future__ import annotations

import errno
import os
import re
from collections import deque
from typing import TYPE_CHECKING, Deque, List, Optional

from fakeflux.broker import stdlog
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule, string_field
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class LogModule(BrokerModule):
    name = "log"
    default_methods = {}  # built into the broker: no ping (ENOSYS, as real)
    methods = {
        "append": ("append", 0),
        "dmesg": ("dmesg", 0),
        "clear": ("clear", 0),
        "cancel": ("cancel", 0),
        "disconnect": ("disconnect", 0),
        "stats-get": ("stats_get", 0),
        "setattr": ("setattr", 0),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        size = int(broker.attrs.value("log-ring-size") or 1024)
        self.ring: Deque[bytes] = deque(maxlen=max(size, 1))
        self.followers: List[Message] = []
        self.count = 0
        initial = _strtol(broker.attrs.value("log-stderr-level") or "3")
        self.stderr_level = 3 if initial is None else initial  # LOG_ERR, log.c's default
        self.local = 0
        self.remote = 0

    # -- the ring -------------------------------------------------------------
    def add(self, line: bytes) -> None:
        """Take one log line as logbuf_append does: kept here only when it
        names this rank as its host; lines of other ranks are counted only."""
        entry = stdlog.decode(line)
        rank = host_rank(entry.hostname) if entry is not None else C.NODEID_ANY
        severity = entry.severity if entry is not None else 6
        if rank == self.broker.rank:
            level = int(self.broker.attrs.value("log-level") or 7)
            if severity <= level:
                self.ring.append(line)
                self.count += 1
                for msg in self.followers:
                    self.respond(msg, line + b"\x00")
            self.local += 1
        else:
            self.remote += 1
        if self.broker.rank != 0:
            forward = int(self.broker.attrs.value("log-forward-level") or 3)
            if severity <= forward:
                self.broker.core.forward_log(self.broker.rank, line)
        self.broker.core.log_to_stderr(self.broker.rank, line)

    def log(self, severity: int, appname: str, message: str) -> None:
        """A line of the broker's own (e.g. why a client was disconnected)."""
        self.add(stdlog.encode(severity, str(self.broker.rank), appname, os.getpid(), message))

    # -- methods ----------------------------------------------------------------
    def append(self, msg: Message) -> None:
        # One request is one entry, line breaks and all: splitting a message
        # into lines is the client's business (flux_log), not the broker's.
        self.add(msg.payload or b"")
        if msg.matchtag != C.MATCHTAG_NONE:
            self.respond(msg)

    def dmesg(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        follow = req.get("follow")
        if not isinstance(follow, bool):
            raise ProtocolError("'follow' must be a boolean")
        if not msg.flags & C.FLAG_STREAMING:
            raise ServiceError(errno.EPROTO)
        if not req.get("nobacklog", False):
            for line in self.ring:
                self.respond(msg, line + b"\x00")
        if follow:
            self.followers.append(msg)
        else:
            raise ServiceError(errno.ENODATA)

    def clear(self, msg: Message) -> None:
        self.ring.clear()
        self.respond(msg)

    def cancel(self, msg: Message) -> None:
        matchtag = payload_json(msg.payload).get("matchtag")
        if not isinstance(matchtag, int):
            raise ProtocolError("'matchtag' must be an integer")
        sender = msg.sender
        for req in [f for f in self.followers if f.sender == sender and f.matchtag == matchtag]:
            self.followers.remove(req)
            self.respond_error(req, errno.ENODATA)
        # cancel itself gets no answer, as in flux-core

    def disconnect(self, msg: Message) -> None:
        sender = msg.sender
        self.followers = [f for f in self.followers if f.sender != sender]

    def setattr(self, msg: Message) -> None:
        """Where ``attr.set log-stderr-level`` is redirected (log.c)."""
        req = payload_json(msg.payload)
        name = string_field(req, "name")
        value = string_field(req, "value")
        if name != "log-stderr-level":
            raise ServiceError(errno.EINVAL, "unknown log attribute")
        level = _strtol(value)
        # parse_level: strtol overflow or a level above LOG_DEBUG; anything
        # else strtol makes a number of, even "" (0) or "-1", is accepted.
        if level is None or level > 7:
            raise ServiceError(errno.EINVAL, "invalid level")
        self.stderr_level = level
        self.respond(msg)

    def stats_get(self, msg: Message) -> None:
        self.respond_json(
            msg, {"ring-used": len(self.ring), "count": self.count, "local": self.local, "remote": self.remote}
        )


_LEADING_INT = re.compile(r"\s*([+-]?)(\d+)")


def _strtol(text: str) -> Optional[int]:
    """C ``strtol(text, &end, 10)`` as log.c uses it (the end is not checked):
    leading digits or 0; None where it would overflow (ERANGE)."""
    m = _LEADING_INT.match(text)
    if m is None:
        return 0
    value = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    return value if -(2**63) <= value < 2**63 else None


def host_rank(hostname: str) -> int:
    """The rank in a log line's HOST field, as log.c reads it with
    ``strtoul`` into a uint32_t: leading digits, else 0; "-N" wraps."""
    m = _LEADING_INT.match(hostname)
    if m is None:
        return 0
    value = min(int(m.group(2)), 2**64 - 1)
    if m.group(1) == "-":
        value = -value % 2**64
    return value & 0xFFFFFFFF
