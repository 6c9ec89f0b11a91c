"""RFC 18 eventlog lines encoded byte for byte as flux-core writes them
(jansson's compact JSON, reals printed with ``%.17g``)."""

from __future__ import annotations

import json
import json.encoder
from typing import Any, Callable, Dict, Optional


def jansson_real(x: float) -> str:
    """A real as jansson prints it (``%.17g``, always with a '.' or exponent)."""
    text = f"{x:.17g}"
    if "." not in text and "e" not in text and "n" not in text:
        text += ".0"
    return text


# json's own string encoder (C), without building an encoder per call
_encode_str: Callable[[str], str] = (getattr(json.encoder, "c_encode_basestring", None)
                                     or json.encoder.py_encode_basestring)


def dumps(value: Any) -> str:
    """Compact JSON, reals as jansson prints them, key order kept."""
    # exact types first: an eventlog context is mostly str and int values,
    # and this runs for every event of every job
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is dict:
        return "{" + ",".join([_encode_str(k) + ":" + (_encode_str(v) if type(v) is str else
                                                       int.__repr__(v) if type(v) is int else dumps(v))
                               for k, v in value.items()]) + "}"
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, str):
        return _encode_str(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return jansson_real(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_encode_str(k)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps_spaced(value: Any) -> str:
    """``json_dumps(value, 0)``: jansson's default separators (", " and ": "),
    as flux-core writes R (rlist_encode) and job-info answers a current
    jobspec or R."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_encode_str(k)}: {dumps_spaced(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps_spaced(v) for v in value) + "]"
    return dumps(value)


def eventlog_entry(timestamp: float, name: str, context: Optional[Dict[str, Any]] = None) -> str:
    """eventlog_entry_encode: one RFC 18 line, newline included."""
    # what dumps({"timestamp": ..., "name": ..., "context": ...}) gives, without the dict
    head = '{"timestamp":' + jansson_real(float(timestamp)) + ',"name":' + _encode_str(name)
    if context is None:
        return head + "}\n"
    return head + ',"context":' + dumps(context) + "}\n"
