"""JSON text as flux-core's C commands print it (jansson's json_dumps with JSON_COMPACT):
no spaces, UTF-8 as is, reals with 17 significant digits."""

from __future__ import annotations

import json
import math
from typing import Any


def _real(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError("jansson cannot encode a non-finite real")
    text = f"{value:.17g}"
    if "." not in text and "e" not in text:
        text += ".0"
    return text


def dumps(value: Any) -> str:
    """json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return _real(value)
    if isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
