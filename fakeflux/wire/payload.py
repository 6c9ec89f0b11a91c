"""String and JSON payloads: libflux sends them with a trailing NUL and
refuses, with EPROTO, any it receives without one (PROTOCOL.md 1.7)."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, Dict, Optional

from fakeflux.wire.errors import ProtocolError

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# jansson refuses JSON nested deeper than this (JSON_PARSER_DEFAULT_DEPTH);
# checking it first also keeps Python's recursive parser off deep input
# whatever the interpreter's recursion limit is.
MAX_JSON_DEPTH = 2048
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _too_deep(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH


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


def json_value(payload: Optional[bytes]) -> Any:
    """The JSON value in a NUL-terminated payload, as jansson loads it.

    Raises ProtocolError (EPROTO) for no payload, no trailing NUL, bytes
    that are not UTF-8, text that is not JSON, a ``\\u`` escape of a lone
    surrogate, or nesting deeper than jansson's limit (or Python's recursion
    limit, which may be lower): jansson refuses each of them, and a value
    Python accepted but cannot encode again must never reach a service (its
    answer could not be sent).
    """
    if payload is None:
        raise ProtocolError("a JSON payload is required")
    if not payload or payload[-1] != 0:
        raise ProtocolError("string payload does not end with a NUL byte")
    try:
        text = payload[:-1].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("payload is not JSON: it is not UTF-8") from None
    if _too_deep(text):
        raise ProtocolError(f"payload JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"payload is not JSON: {exc}") from None
    except RecursionError:
        # Python's parser gives up on deep nesting (jansson has a depth limit too).
        raise ProtocolError("payload JSON is nested too deeply") from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError("payload JSON holds a lone surrogate") from None
    return obj


def payload_json(payload: Optional[bytes]) -> Dict[str, Any]:
    """The JSON object in a payload, as flux_msg_unpack reads it.

    Raises ProtocolError (flux-core answers EPROTO) when there is no payload,
    no trailing NUL, text that is not UTF-8 JSON, or JSON that is not an object.
    """
    obj = json_value(payload)
    if not isinstance(obj, dict):
        raise ProtocolError("JSON payload is not an object")
    return obj
