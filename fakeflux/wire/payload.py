"""String and JSON payloads: libflux sends them with a trailing NUL and
refuses, with EPROTO, any it receives without one (PROTOCOL.md 1.7)."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from fakeflux.wire.errors import ProtocolError


def string_payload(text: str) -> bytes:
    """``text`` as flux_msg_set_string sends it."""
    return text.encode("utf-8", "surrogateescape") + b"\x00"


def payload_string(payload: Optional[bytes]) -> Optional[str]:
    """The string in a payload, as flux_msg_get_string reads it (None for none)."""
    if payload is None:
        return None
    if not payload or payload[-1] != 0:
        raise ProtocolError("string payload does not end with a NUL byte")
    return payload[:-1].decode("utf-8", "surrogateescape")


def json_payload(obj: Any, *, compact: bool = True) -> bytes:
    """``obj`` as a NUL-terminated JSON payload.

    flux-core's services differ in how they print JSON: ``compact`` gives
    jansson's JSON_COMPACT (``{"a":1}``, e.g. attr.get); without it the
    separators are ``", "`` and ``": "`` (e.g. broker.ping).
    """
    if compact:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(obj, ensure_ascii=False)
    return text.encode("utf-8") + b"\x00"


def payload_json(payload: Optional[bytes]) -> Dict[str, Any]:
    """The JSON object in a payload, as flux_msg_unpack reads it.

    Raises ProtocolError (flux-core answers EPROTO) when there is no payload,
    no trailing NUL, text that is not JSON, or JSON that is not an object.
    """
    if payload is None:
        raise ProtocolError("a JSON payload is required")
    text = payload_string(payload)
    assert text is not None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"payload is not JSON: {exc}") from None
    except RecursionError:
        # Python's parser gives up on deep nesting (jansson has a depth limit too).
        raise ProtocolError("payload JSON is nested too deeply") from None
    if not isinstance(obj, dict):
        raise ProtocolError("JSON payload is not an object")
    return obj
