"""Parsing option values as flux-core's commands do (optparse_get_int, durations, sizes)."""

from __future__ import annotations

import math
import re

from .common import die

_FSD = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(ms|s|m|h|d)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def fsd_seconds(text: str) -> float:
    """RFC 23 Flux Standard Duration to seconds; ValueError when it is not one."""
    if text in ("inf", "infinity", "INF", "INFINITY"):
        return math.inf
    m = _FSD.match(text.strip())
    if m is None:
        raise ValueError(f"invalid Flux standard duration '{text}'")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_duration(fullname: str, option: str, text: str) -> float:
    """optparse_get_duration: a bad value is fatal.  Its message is prefixed twice,
    with the parser's full name and its program name (``flux-kvs get: get: ...``)."""
    try:
        return fsd_seconds(text)
    except ValueError:
        die(fullname, f"{fullname.split()[-1]}: Invalid argument for option '{option}': '{text}'")


def parse_int(fullname: str, option: str, text: str) -> int:
    """optparse_get_int: a bad value is fatal (prefixed as :func:`parse_duration`)."""
    try:
        value = int(text, 10)
        if text.strip() != text or not -(2**31) <= value < 2**31:
            raise ValueError(text)
        return value
    except ValueError:
        die(fullname, f"{fullname.split()[-1]}: Option '{option}' requires an integer argument")
