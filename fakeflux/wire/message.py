"""The Flux message model: one PROTO header, an optional route stack, topic and payload.

Which of the TOPIC, PAYLOAD and ROUTE flags are set is not stored: it follows
from whether ``topic``, ``payload`` and ``routes`` are ``None``, so a message
can never claim a frame it does not have.
"""

from __future__ import annotations

from typing import Any, List, Optional

from fakeflux.wire import constants as C


class Message:
    """A decoded Flux message.

    ``routes`` lists route ids in wire order: ``routes[0]`` is the most recent
    hop, ``routes[-1]`` the original sender.  ``None`` means no ROUTE flag;
    ``[]`` means the flag with an empty stack (just the delimiter frame), which
    is what clients send and what they require on responses.
    """

    __slots__ = ("type", "_flags", "userid", "rolemask", "aux1", "aux2", "routes", "topic", "payload")

    def __init__(
        self,
        type: int,
        *,
        flags: int = 0,
        userid: int = C.USERID_UNKNOWN,
        rolemask: int = C.ROLE_NONE,
        aux1: int = 0,
        aux2: int = 0,
        routes: Optional[List[str]] = None,
        topic: Optional[str] = None,
        payload: Optional[bytes] = None,
    ) -> None:
        self.type = type
        self._flags = flags & ~C.FRAME_FLAGS
        self.userid = userid
        self.rolemask = rolemask
        self.aux1 = aux1
        self.aux2 = aux2
        self.routes = routes
        self.topic = topic
        self.payload = payload

    # -- constructors -------------------------------------------------------
    @classmethod
    def request(
        cls,
        topic: str,
        payload: Optional[bytes] = None,
        *,
        nodeid: int = C.NODEID_ANY,
        matchtag: int = C.MATCHTAG_NONE,
        flags: int = 0,
        routes: Optional[List[str]] = None,
        userid: int = C.USERID_UNKNOWN,
        rolemask: int = C.ROLE_NONE,
    ) -> Message:
        """A request as a client sends it: ROUTE with an empty stack by default."""
        return cls(
            C.MSGTYPE_REQUEST,
            flags=flags,
            userid=userid,
            rolemask=rolemask,
            aux1=nodeid,
            aux2=matchtag,
            routes=[] if routes is None else routes,
            topic=topic,
            payload=payload,
        )

    @classmethod
    def event(
        cls,
        topic: str,
        payload: Optional[bytes] = None,
        *,
        seq: int = 0,
        flags: int = 0,
        routes: Optional[List[str]] = None,
        userid: int = C.USERID_UNKNOWN,
        rolemask: int = C.ROLE_NONE,
    ) -> Message:
        return cls(
            C.MSGTYPE_EVENT,
            flags=flags,
            userid=userid,
            rolemask=rolemask,
            aux1=seq,
            routes=routes,
            topic=topic,
            payload=payload,
        )

    def derive_response(self, payload: Optional[bytes] = None, errnum: int = 0) -> Message:
        """A response as ``flux_response_derive`` makes one from this request.

        Flags, topic, route stack and matchtag carry over; credentials are
        cleared for the sender's connector to stamp; NORESPONSE is dropped
        (it never appears on a response).
        """
        return Message(
            C.MSGTYPE_RESPONSE,
            flags=self._flags & ~C.FLAG_NORESPONSE,
            aux1=errnum,
            aux2=self.aux2,
            routes=None if self.routes is None else list(self.routes),
            topic=self.topic,
            payload=payload,
        )

    def copy(self) -> Message:
        return Message(
            self.type,
            flags=self._flags,
            userid=self.userid,
            rolemask=self.rolemask,
            aux1=self.aux1,
            aux2=self.aux2,
            routes=None if self.routes is None else list(self.routes),
            topic=self.topic,
            payload=self.payload,
        )

    # -- flags ----------------------------------------------------------------
    @property
    def flags(self) -> int:
        f = self._flags
        if self.topic is not None:
            f |= C.FLAG_TOPIC
        if self.payload is not None:
            f |= C.FLAG_PAYLOAD
        if self.routes is not None:
            f |= C.FLAG_ROUTE
        return f

    @flags.setter
    def flags(self, value: int) -> None:
        self._flags = value & ~C.FRAME_FLAGS

    def has_flag(self, flag: int) -> bool:
        return bool(self.flags & flag)

    def set_flag(self, flag: int, on: bool = True) -> None:
        if flag & C.FRAME_FLAGS:
            raise ValueError("TOPIC, PAYLOAD and ROUTE follow from the message's frames")
        if on:
            # NORESPONSE and STREAMING exclude each other, as in flux_msg_set_flag.
            if flag & C.FLAG_NORESPONSE:
                self._flags &= ~C.FLAG_STREAMING
            if flag & C.FLAG_STREAMING:
                self._flags &= ~C.FLAG_NORESPONSE
            self._flags |= flag
        else:
            self._flags &= ~flag

    # -- type-dependent aux fields --------------------------------------------
    @property
    def nodeid(self) -> int:
        return self.aux1

    @nodeid.setter
    def nodeid(self, value: int) -> None:
        self.aux1 = value

    @property
    def errnum(self) -> int:
        return self.aux1

    @errnum.setter
    def errnum(self, value: int) -> None:
        self.aux1 = value

    @property
    def seq(self) -> int:
        return self.aux1

    @seq.setter
    def seq(self, value: int) -> None:
        self.aux1 = value

    @property
    def control_type(self) -> int:
        return self.aux1

    @property
    def control_status(self) -> int:
        return self.aux2

    @property
    def matchtag(self) -> int:
        return self.aux2

    @matchtag.setter
    def matchtag(self, value: int) -> None:
        self.aux2 = value

    # -- routes ---------------------------------------------------------------
    def push_route(self, route_id: str) -> None:
        """Add a hop, as ``flux_msg_route_push`` does: it becomes ``routes[0]``."""
        if self.routes is None:
            self.routes = []
        self.routes.insert(0, route_id)

    def pop_route(self) -> Optional[str]:
        """Remove and return the most recent hop, or None for an empty stack."""
        if not self.routes:
            return None
        return self.routes.pop(0)

    @property
    def sender(self) -> Optional[str]:
        """The original sender: the last route on the wire."""
        return self.routes[-1] if self.routes else None

    # -- comparison and display -------------------------------------------------
    def _key(self) -> tuple:
        return (
            self.type,
            self._flags,
            self.userid,
            self.rolemask,
            self.aux1,
            self.aux2,
            None if self.routes is None else tuple(self.routes),
            self.topic,
            self.payload,
        )

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def type_name(self) -> str:
        return C.MSGTYPE_NAMES.get(self.type, f"type-{self.type}")

    def __repr__(self) -> str:
        return (
            f"Message({self.type_name}, topic={self.topic!r}, flags={C.flags_str(self.flags)}, "
            f"userid={self.userid:#x}, rolemask={self.rolemask}, aux1={self.aux1:#x}, "
            f"aux2={self.aux2}, routes={self.routes!r}, payload={self.payload!r})"
        )
