"""Base class for the broker's builtin services, one module per service as in
flux-core.  A module declares its methods with the roles allowed to call
them; dispatch, the role check and the error texts follow flux-core's
``msg_handler.c``."""

from __future__ import annotations

import errno
import uuid as uuidlib
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence, Tuple

from fakeflux.broker.errors import ServiceError
from fakeflux.wire import Message, ProtocolError, json_payload, string_payload
from fakeflux.wire import constants as C
from fakeflux.wire.payload import json_value

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

Handler = Callable[[Message], None]


class BrokerModule:
    """A service (``name.*`` topics) hosted by one broker rank.

    Subclasses set ``name`` and ``methods``: method name -> (handler
    attribute, allowed roles).  As in flux-core the owner always passes the
    role check; ``0`` means owner only.
    """

    name = ""
    methods: Dict[str, Tuple[str, int]] = {}
    # Every flux-core module service answers the default methods (method.c);
    # the services built into the broker (attr, event, log, ...) have none.
    default_methods: Dict[str, Tuple[str, int]] = {"ping": ("_method_ping", C.ROLE_USER)}
    # A loaded module sits behind its broker: a request reaches it with the
    # broker's id pushed on its route (what a ping's route shows).
    behind_broker = True

    def __init__(self, broker: BrokerRank) -> None:
        self.broker = broker
        self._uuid: Optional[str] = None
        self._table: Dict[str, Tuple[Handler, int]] = {}
        for table in (self.default_methods, self.methods):
            for method, (attr, roles) in table.items():
                self._table[method] = (getattr(self, attr), roles | C.ROLE_OWNER)

    # -- dispatch ---------------------------------------------------------------
    def handle(self, msg: Message) -> None:
        topic = msg.topic or ""
        entry = self._table.get(topic[len(self.name) + 1 :]) if topic.startswith(self.name + ".") else None
        if entry is None:
            self.respond_error(msg, errno.ENOSYS, f"Unknown service method '{topic}'")
            return
        handler, roles = entry
        if not msg.rolemask & roles:
            if roles == C.ROLE_OWNER:
                text = "Request requires owner credentials"
            else:
                text = "Request rejected due to insufficient privilege"
            self.respond_error(msg, errno.EPERM, text)
            return
        try:
            handler(msg)
        except ServiceError as exc:
            self.respond_error(msg, exc.errnum, exc.text)
        except ProtocolError:
            self.respond_error(msg, errno.EPROTO)

    # -- responding -------------------------------------------------------------
    def respond(self, msg: Message, payload: Optional[bytes] = None) -> None:
        self.broker.respond(msg, payload)

    def respond_json(self, msg: Message, obj: Any, *, compact: bool = True) -> None:
        self.broker.respond(msg, json_payload(obj, compact=compact))

    def respond_error(self, msg: Message, errnum: int, text: Optional[str] = None) -> None:
        self.broker.respond_error(msg, errnum, text)

    def disconnect(self, msg: Message) -> None:
        """A client that sent requests here went away (``name.disconnect``)."""

    # -- default methods ----------------------------------------------------------
    @property
    def uuid(self) -> str:
        """The id of the handle serving this module (made when first needed:
        an instance of thousands of ranks has tens of thousands of modules)."""
        if self._uuid is None:
            self._uuid = str(uuidlib.uuid4()) if self.behind_broker else self.broker.uuid
        return self._uuid

    def _method_ping(self, msg: Message) -> None:
        # method.c keeps the id of the first handle that answered a ping in a
        # static variable, one per broker process: every later ping on that
        # rank, whichever service answers it, ends with that id (observed).
        broker = self.broker
        if broker.ping_uuid is None:
            broker.ping_uuid = self.uuid
        via = [broker.uuid] if self.behind_broker else []
        self.respond(msg, ping_payload(msg, broker.ping_uuid, broker.rank, via))


def route_string(msg: Message, own_uuid: str, via: Sequence[str] = ()) -> str:
    """The ``route`` of a ping answer: each hop's first 8 characters from the
    original sender on (``via``: hops after the message's own), then the
    answering process's id (method.c)."""
    hops = [r[:8] for r in reversed(msg.routes or [])]
    hops.extend(v[:8] for v in via)
    hops.append(own_uuid[:8])
    return "!".join(hops)


def ping_payload(msg: Message, own_uuid: str, rank: int, via: Sequence[str] = ()) -> bytes:
    """The request object with route, userid, rolemask and rank added.

    As in flux-core: no payload or text that is not JSON gives EPROTO; JSON
    that is not an object makes jansson's update fail, reported as ENOMEM;
    the answer is printed with jansson's default (non-compact) separators.
    """
    try:
        obj = json_value(msg.payload)
    except ProtocolError:
        raise ServiceError(errno.EPROTO) from None
    if isinstance(obj, list):
        raise ServiceError(errno.ENOMEM)  # jansson loads arrays, then cannot update them
    if not isinstance(obj, dict):
        raise ServiceError(errno.EPROTO)  # jansson refuses bare scalars
    userid = msg.userid if msg.userid < 0x80000000 else msg.userid - 0x100000000
    rolemask = msg.rolemask if msg.rolemask < 0x80000000 else msg.rolemask - 0x100000000
    obj.update(route=route_string(msg, own_uuid, via), userid=userid, rolemask=rolemask, rank=rank)
    return json_payload(obj, compact=False)


def string_field(obj: Dict[str, Any], key: str) -> str:
    """``obj[key]`` where flux-core unpacks it with ``s:s`` (EPROTO otherwise)."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} must be a string")
    return value


def error_text_payload(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else string_payload(text)
