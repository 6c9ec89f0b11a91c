"""Flux messages and message watchers (flux-core's ``flux.message``)."""

from __future__ import annotations

import errno
import json
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple, Union

from fakeflux.wire import Message as WireMessage
from fakeflux.wire import constants as W

from . import _state
from ._dispatch import MsgHandler
from ._errors import c_error
from .constants import FLUX_MATCHTAG_NONE, FLUX_MSGTYPE_REQUEST
from .core.watchers import Watcher
from .util import encode_payload, encode_topic
from .wrapper import WrapperPimpl

if TYPE_CHECKING:
    from .core.handle import Flux

__all__ = ["Message", "MessageWatcher", "msg_typestr"]

_TYPE_NAMES = {1: "request", 2: "response", 4: "event", 8: "control"}


def msg_typestr(msg_type: int) -> str:
    """``flux_msg_typestr``: "request", "response", "event", "control" or "unknown"."""
    return _TYPE_NAMES.get(msg_type, "unknown")


def _c_string(payload: Optional[bytes]) -> Optional[str]:
    """A payload read as a C string (flux_msg_get_string): NUL required, text ends at the first NUL."""
    if payload is None:
        return None
    if not payload or payload[-1] != 0:
        raise c_error(errno.EPROTO)
    return payload.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


class _MsgOps:
    """The ``msg.pimpl`` of flux-core: direct getters/setters on the message."""

    __slots__ = ("_m",)

    def __init__(self, msg: WireMessage) -> None:
        self._m = msg

    @property
    def handle(self) -> WireMessage:
        return self._m

    def get_userid(self) -> int:
        return self._m.userid

    def set_userid(self, userid: int) -> None:
        self._m.userid = userid

    def get_rolemask(self) -> int:
        return self._m.rolemask

    def set_rolemask(self, rolemask: int) -> None:
        self._m.rolemask = rolemask

    def get_matchtag(self) -> int:
        return self._m.aux2

    def set_matchtag(self, tag: int) -> None:
        self._m.aux2 = tag

    def get_nodeid(self) -> int:
        return self._m.aux1

    def set_nodeid(self, nodeid: int) -> None:
        self._m.aux1 = nodeid

    def get_errnum(self) -> int:
        return self._m.aux1 if self._m.type == W.MSGTYPE_RESPONSE else 0

    def get_seq(self) -> int:
        return self._m.aux1

    def get_flags(self) -> int:
        return self._m.flags

    def set_flags(self, flags: int) -> None:
        self._m.flags = flags

    def has_payload(self) -> bool:
        return self._m.payload is not None

    def route_count(self) -> int:
        return len(self._m.routes) if self._m.routes is not None else -1

    def is_streaming(self) -> bool:
        return bool(self._m.flags & W.FLAG_STREAMING)

    def is_noresponse(self) -> bool:
        return bool(self._m.flags & W.FLAG_NORESPONSE)


class Message(WrapperPimpl):
    """A Flux message.  ``Message()`` is a new request; ``handle`` wraps an existing one."""

    def __init__(self, type_id: int = FLUX_MSGTYPE_REQUEST, handle: Optional[WireMessage] = None) -> None:
        if handle is None:
            if type_id not in _TYPE_NAMES:
                raise c_error(errno.EINVAL)
            handle = WireMessage(type_id, routes=[] if type_id != W.MSGTYPE_CONTROL else None)
            if type_id == W.MSGTYPE_REQUEST:
                handle.aux1 = W.NODEID_ANY
        self._msg = handle

    @property
    def handle(self) -> WireMessage:
        """The underlying :class:`fakeflux.wire.Message`."""
        return self._msg

    @handle.setter
    def handle(self, msg: WireMessage) -> None:
        if not isinstance(msg, WireMessage):
            raise TypeError(f"expected a string or cdata object, got '{type(msg).__name__}'")
        self._msg = msg

    @property
    def pimpl(self) -> _MsgOps:
        return _MsgOps(self._msg)

    @classmethod
    def from_event_encode(cls, topic: Any, payload: Any = None) -> Message:
        if topic is None:
            raise c_error(errno.EINVAL)
        text = encode_topic(topic).decode("utf-8", "surrogateescape")
        data = encode_payload(payload)
        if data is not None:
            data = data.split(b"\x00", 1)[0] + b"\x00"
        return cls(handle=WireMessage.event(text, data, routes=[]))

    @property
    def topic(self) -> str:
        topic = self._msg.topic
        if topic is None:
            raise c_error(errno.EPROTO)
        return topic

    @topic.setter
    def topic(self, value: Any) -> None:
        self._msg.topic = encode_topic(value).decode("utf-8", "surrogateescape")

    @property
    def payload_str(self) -> Optional[str]:
        return _c_string(self._msg.payload)

    @payload_str.setter
    def payload_str(self, value: Union[str, bytes, None]) -> None:
        if value is None:
            self._msg.payload = None
            return
        data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
        self._msg.payload = data.split(b"\x00", 1)[0] + b"\x00"

    @property
    def payload(self) -> Any:
        return json.loads(self.payload_str)  # type: ignore[arg-type]

    @payload.setter
    def payload(self, value: Any) -> None:
        self.payload_str = encode_payload(value)

    @property
    def type(self) -> int:
        return self._msg.type

    @type.setter
    def type(self, value: int) -> None:
        if value not in _TYPE_NAMES:
            raise c_error(errno.EINVAL)
        self._msg.type = value

    @property
    def type_str(self) -> str:
        return msg_typestr(self.type)

    @property
    def userid(self) -> int:
        return self._msg.userid

    @userid.setter
    def userid(self, userid: int) -> None:
        self._msg.userid = userid

    @property
    def rolemask(self) -> int:
        return self._msg.rolemask

    @rolemask.setter
    def rolemask(self, rolemask: int) -> None:
        self._msg.rolemask = rolemask

    def decode(self) -> Tuple[int, str, Optional[str]]:
        """(type, topic, payload string or None); OSError(errnum) for an error response."""
        msg = self._msg
        if msg.type == W.MSGTYPE_RESPONSE and msg.aux1:
            raise c_error(msg.aux1)
        return (msg.type, self.topic, self.payload_str)

    def __repr__(self) -> str:
        return f"<flux.message.Message {self.type_str} topic={self._msg.topic!r}>"


MsgCallback = Callable[["Flux", "MessageWatcher", Message, Any], Any]


class MessageWatcher(Watcher):
    """Calls ``callback(flux_handle, watcher, msg, args)`` for each matching message.

    Created stopped.  By default only messages from the instance owner are
    delivered; ``rolemask`` adds roles (e.g. FLUX_ROLE_USER for guests); a
    refused request is answered with EPERM.
    """

    def __init__(
        self,
        flux_handle: Flux,
        type_mask: int,
        callback: MsgCallback,
        topic_glob: Union[str, bytes, None] = "*",
        match_tag: int = FLUX_MATCHTAG_NONE,
        rolemask: Optional[int] = None,
        args: Any = None,
    ) -> None:
        self.callback = callback
        self.args = args
        if topic_glob is None:
            glob: Optional[str] = None
        elif isinstance(topic_glob, str):
            glob = topic_glob
        elif isinstance(topic_glob, bytes):
            glob = topic_glob.decode("utf-8", "surrogateescape")
        else:
            raise TypeError(errno.EINVAL, f"Topic must be a string, not {type(topic_glob)}")
        self.mh: Optional[MsgHandler] = None
        super().__init__(flux_handle)
        d = flux_handle._c().dispatcher
        mh = MsgHandler(d, type_mask, match_tag, glob, self._deliver)
        if rolemask:
            mh.rolemask |= rolemask
        self.mh = mh

    def _deliver(self, msg: WireMessage) -> None:
        handle = self.flux_handle
        try:
            self.callback(handle, self, Message(handle=msg), self.args)
        except Exception as exc:
            _state.set_exception(exc)
            handle.reactor_stop_error()

    def start(self) -> MessageWatcher:
        if self.mh is not None:
            self.mh.start()
        return self

    def stop(self) -> MessageWatcher:
        if self.mh is not None:
            self.mh.stop()
        return self

    def ref(self) -> MessageWatcher:
        return self

    def unref(self) -> MessageWatcher:
        return self

    def destroy(self) -> None:
        mh, self.mh = getattr(self, "mh", None), None
        if mh is not None:
            mh.destroy()
        super().destroy()

