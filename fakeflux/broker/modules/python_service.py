"""A service written as a Python callable and hosted inside the broker, for
tests: ``name.*`` requests go to it; it returns a payload, raises to answer
an error, or yields to stream responses (ending with ENODATA)."""

from __future__ import annotations

import errno
import json
import types
from typing import TYPE_CHECKING, Any, Callable, Optional

from fakeflux.broker.errors import ServiceError
from fakeflux.wire import Message, json_payload, string_payload
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class ServiceRequest:
    """What a hosted service's callable receives."""

    def __init__(self, msg: Message, rank: int) -> None:
        self.topic = msg.topic or ""
        self.raw = msg.payload
        self.userid = msg.userid
        self.rolemask = msg.rolemask
        self.nodeid = msg.nodeid
        self.matchtag = msg.matchtag
        self.streaming = bool(msg.flags & C.FLAG_STREAMING)
        self.rank = rank

    @property
    def payload(self) -> Any:
        """The JSON payload decoded; a string payload as str; None for none."""
        raw = self.raw
        if raw is None:
            return None
        text = (raw[:-1] if raw.endswith(b"\x00") else raw).decode("utf-8", "replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.topic} from userid {self.userid} on rank {self.rank}>"


def to_payload(value: Any) -> Optional[bytes]:
    """None: no payload; bytes as given; str NUL-terminated; anything else JSON."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return string_payload(value)
    return json_payload(value)


class PythonService:
    def __init__(self, broker: BrokerRank, name: str, handler: Callable[[ServiceRequest], Any]) -> None:
        self.broker = broker
        self.name = name
        self.handler = handler

    def handle(self, msg: Message) -> None:
        if (msg.topic or "").endswith(".disconnect") and msg.flags & C.FLAG_NORESPONSE:
            return  # notices that a client went away: nothing to clean up here
        request = ServiceRequest(msg, self.broker.rank)
        try:
            result = self.handler(request)
            if isinstance(result, types.GeneratorType):
                if not request.streaming:
                    result.close()
                    raise ServiceError(errno.EPROTO)
                for item in result:
                    self.broker.respond(msg, to_payload(item))
                raise ServiceError(errno.ENODATA)
            self.broker.respond(msg, to_payload(result))
        except ServiceError as exc:
            self.broker.respond_error(msg, exc.errnum, exc.text)
        except OSError as exc:
            self.broker.respond_error(msg, exc.errno or errno.EINVAL, exc.strerror or str(exc) or None)
        except Exception as exc:
            # A bug in the test's service: answer, and say so in the log.
            text = f"{type(exc).__name__}: {exc}"
            self.broker.log.log(3, "fakeflux", f"service {self.name}: {text}")
            self.broker.respond_error(msg, errno.EINVAL, text[:200])
