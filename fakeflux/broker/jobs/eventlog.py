"""RFC 18 eventlog lines encoded byte for byte as flux-core writes them
(jansson's compact JSON, reals printed with ``%.17g``)."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional


def jansson_real(x: float) -> str:
    """A real as jansson prints it (``%.17g``, always with a '.' or exponent)."""
    text = f"{x:.17g}"
    if "." not in text and "e" not in text and "n" not in text:
        text += ".0"
    return text


def dumps(value: Any) -> str:
    """Compact JSON, reals as jansson prints them, key order kept."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return jansson_real(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def eventlog_entry(timestamp: float, name: str, context: Optional[Dict[str, Any]] = None) -> str:
    """eventlog_entry_encode: one RFC 18 line, newline included."""
    entry: Dict[str, Any] = {"timestamp": float(timestamp), "name": name}
    if context is not None:
        entry["context"] = context
    return dumps(entry) + "\n"
