"""Reading the real-Flux golden records and comparing outcomes with them."""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Optional

GOLDEN_PATH = os.path.join(os.path.dirname(os.path.dirname(__file__)), "conformance", "golden.json")

with open(GOLDEN_PATH, encoding="utf-8") as _fh:
    GOLDEN: Dict[str, Dict[str, Any]] = {rec["case"]: rec for rec in json.load(_fh)}


def outcome(fn: Callable[[], Any]) -> Dict[str, Any]:
    """Run ``fn`` and describe the result the way golden.json does."""
    try:
        value = fn()
    except Exception as exc:
        return {
            "ok": False,
            "exc_type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "errno": getattr(exc, "errno", None) if isinstance(exc, OSError) else None,
            "strerror": getattr(exc, "strerror", None) if isinstance(exc, OSError) else None,
            "str": str(exc),
            "args": list(exc.args),
        }
    return {"ok": True, "value": value, "type": type(value).__name__}


def check(case: str, fn: Callable[[], Any], shape: Optional[Callable[[Any], bool]] = None) -> Dict[str, Any]:
    """Assert that ``fn()`` behaves as real Flux did in golden case ``case``.

    Errors must match exactly (type, errno, text, args).  Values must be
    equal, unless ``shape`` is given for a machine-specific value: then the
    type must match and ``shape(value)`` hold.
    """
    want = GOLDEN[case]
    got = outcome(fn)
    assert got["ok"] == want["ok"], f"{case}: expected {want}, got {got}"
    if not want["ok"]:
        for key in ("exc_type", "errno", "strerror", "str", "args"):
            assert got[key] == want[key], f"{case}: {key} {got[key]!r} != golden {want[key]!r}"
    elif shape is None:
        assert got["value"] == want["value"], f"{case}: {got['value']!r} != golden {want['value']!r}"
        assert got["type"] == want["type"]
    else:
        assert got["type"] == want["type"], f"{case}: type {got['type']} != {want['type']}"
        assert shape(got["value"]), f"{case}: {got['value']!r} does not have the shape of {want['value']!r}"
    return got
