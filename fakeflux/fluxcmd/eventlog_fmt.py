"""RFC 18 eventlog entries as flux-core's eventlog formatter prints them
(``flux kvs eventlog get``, ``flux job eventlog``, ``wait-event``): raw,
offset, ISO 8601 or human timestamps, then the name and ``key=value`` context."""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, Optional

from .jsonfmt import dumps

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class EventlogFormatter:
    def __init__(self, time_format: str = "raw", unformatted: bool = False) -> None:
        if time_format not in ("raw", "offset", "iso", "human"):
            raise ValueError(f"invalid time format: {time_format}")
        self.time_format = time_format
        self.unformatted = unformatted
        self.t0: Optional[float] = None
        self.last_ts = 0.0
        self.last_minute: Optional[tuple] = None

    def update_t0(self, timestamp: float) -> None:
        if self.t0 is None:
            self.t0 = timestamp

    def _timestamp(self, ts: float) -> str:
        if self.time_format == "raw":
            return f"{ts:f}"
        if self.time_format == "offset":
            self.update_t0(ts)
            return f"{ts - (self.t0 or 0.0):f}"
        local = datetime.datetime.fromtimestamp(ts).astimezone()
        if self.time_format == "iso":
            usec = int((ts - int(ts)) * 1e6)
            offset = local.strftime("%z")
            tz = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
            return f"{local.strftime('%Y-%m-%dT%H:%M:%S')}.{usec:06d}{tz}"
        minute = (local.year, local.month, local.day, local.hour, local.minute)
        if minute == self.last_minute:
            return f"[{ts - self.last_ts:+11.6f}]"
        self.last_ts = ts
        self.last_minute = minute
        return f"[{_MONTHS[local.month - 1]}{local.day:02d} {local.hour:02d}:{local.minute:02d}]"

    def format(self, entry: Dict[str, Any]) -> str:
        """One entry, without the newline."""
        if self.unformatted:
            return dumps(entry)
        parts = [self._timestamp(float(entry["timestamp"])), str(entry["name"])]
        context = entry.get("context")
        if isinstance(context, dict):
            parts.extend(f"{key}={dumps(value)}" for key, value in context.items())
        return " ".join(parts)


def decode(text: str) -> list:
    """An eventlog's entries (one JSON object per line); ValueError when malformed."""
    entries = []
    for line in text.splitlines():
        if not line:
            continue
        entry = json.loads(line)
        if not isinstance(entry, dict) or "timestamp" not in entry or "name" not in entry:
            raise ValueError("invalid eventlog entry")
        entries.append(entry)
    return entries
