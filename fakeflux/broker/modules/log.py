"""``log``: the broker's log ring buffer (flux-core ``src/broker/log.c``)."""

from __future__ import annotations

import errno
import os
from collections import deque
from typing import TYPE_CHECKING, Deque, List

from fakeflux.broker import stdlog
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class LogModule(BrokerModule):
    name = "log"
    methods = {
        "append": ("append", 0),
        "dmesg": ("dmesg", 0),
        "clear": ("clear", 0),
        "cancel": ("cancel", 0),
        "disconnect": ("disconnect", 0),
        "stats-get": ("stats_get", 0),
    }

    def __init__(self, broker: "BrokerRank") -> None:
        super().__init__(broker)
        size = int(broker.attrs.value("log-ring-size") or 1024)
        self.ring: Deque[bytes] = deque(maxlen=max(size, 1))
        self.followers: List[Message] = []
        self.count = 0
        self.local = 0
        self.remote = 0

    # -- the ring -------------------------------------------------------------
    def add(self, line: bytes) -> None:
        """Take one log line as logbuf_append does: kept here only when it
        names this rank as its host; lines of other ranks are counted only."""
        entry = stdlog.decode(line)
        rank = entry.hostname if entry is not None else None
        severity = entry.severity if entry is not None else 6
        if rank == str(self.broker.rank):
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
        if msg.payload is not None:
            for line in msg.payload.split(b"\n"):
                if line:
                    self.add(line)
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

    def stats_get(self, msg: Message) -> None:
        self.respond_json(
            msg, {"ring-used": len(self.ring), "count": self.count, "local": self.local, "remote": self.remote}
        )
