"""A client connection as the broker core sees it: credentials, what it
subscribed to, which services it provides, which disconnect notices it armed.
The IO layer creates one per accepted socket and supplies ``send``."""

from __future__ import annotations

import uuid as uuidlib
from typing import Callable, Dict, Optional, Set, Tuple

from fakeflux.wire import Message
from fakeflux.wire import constants as C

# (disconnect topic, nodeid, UPSTREAM flag set) -> first request seen with it
DisconnectKey = Tuple[str, int, bool]


class Client:
    __slots__ = (
        "uuid",
        "rank",
        "userid",
        "rolemask",
        "send",
        "subscriptions",
        "services",
        "disconnects",
        "closed",
        "pid",
    )

    def __init__(
        self,
        rank: int,
        userid: int,
        rolemask: int,
        send: Callable[[Message], None],
        pid: Optional[int] = None,
    ) -> None:
        self.uuid = str(uuidlib.uuid4())
        self.rank = rank
        self.userid = userid
        self.rolemask = rolemask
        self.send = send
        self.pid = pid
        self.subscriptions: Dict[str, int] = {}  # topic prefix -> reference count
        self.services: Set[str] = set()
        self.disconnects: Dict[DisconnectKey, Message] = {}
        self.closed = False

    @property
    def is_owner(self) -> bool:
        return bool(self.rolemask & C.ROLE_OWNER)

    def stamp(self, msg: Message) -> None:
        """Credentials on an inbound message (librouter ``auth_init_message``).

        A guest's are always overwritten; the owner's only where unset, which
        lets the owner act as another user for testing.
        """
        if not self.is_owner:
            msg.userid = self.userid
            msg.rolemask = self.rolemask
            return
        if msg.userid == C.USERID_UNKNOWN:
            msg.userid = self.userid
        if msg.rolemask == C.ROLE_NONE:
            msg.rolemask = self.rolemask

    def wants_event(self, event: Message) -> bool:
        """Subscribed by prefix, and allowed to see it if it is private."""
        topic = event.topic or ""
        for prefix in self.subscriptions:
            if topic.startswith(prefix):
                break
        else:
            return False
        if event.flags & C.FLAG_PRIVATE and not self.is_owner:
            return event.userid == self.userid
        return True
