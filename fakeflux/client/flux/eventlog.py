"""RFC 18 eventlog entries and their display (flux-core's ``flux.eventlog``).

``EventLogFormatter`` renders entries as ``flux job eventlog`` and
``flux resource eventlog`` print them: text or JSON, raw/ISO/offset/human
timestamps, optional ANSI colour.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from typing import Any, Dict, Optional, Union

__all__ = ["EventLogEvent", "EventLogFormatter"]


class EventLogEvent(dict):
    """One eventlog entry, from its JSON text or a dict: ``{"timestamp", "name", "context"}``.

    ``context`` defaults to ``{}``; ``str()`` gives ``"<timestamp>: <name> <context>"``.
    """

    def __init__(self, event: Union[str, Dict[str, Any]]) -> None:
        data: Dict[str, Any] = json.loads(event) if isinstance(event, str) else event
        super().__init__(data)
        if "context" not in self:
            self["context"] = {}

    def __str__(self) -> str:
        return f"{self.timestamp:<0.5f}: {self.name} {self.context}"

    @property
    def name(self) -> str:
        return str(self["name"])

    @property
    def timestamp(self) -> Any:
        return self["timestamp"]

    @property
    def context(self) -> Dict[str, Any]:
        ctx = self["context"]
        assert isinstance(ctx, dict)
        return ctx

    @property
    def context_string(self) -> str:
        """The context as compact JSON with sorted keys ("" when empty)."""
        if not self.context:
            return ""
        return json.dumps(self.context, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class EventLogFormatter:
    """Formats eventlog entries for display.

    ``format``: "text" or "json"; ``timestamp_format``: "raw", "iso",
    "offset" (from the first entry), "human" (alias "reltime": the time at
    each new minute, then offsets from it); ``color``: "always", "never" or
    "auto" (stdout is a terminal).  ValueError for any other value.
    """

    BOLD = "\033[1m"
    YELLOW = "\033[33m"
    GREEN = "\033[32m"
    BLUE = "\033[34m"
    MAGENTA = "\033[35m"
    GRAY = "\033[37m"
    RED = "\033[31m"

    eventlog_colors = {
        "name": YELLOW,
        "time": GREEN,
        "timebreak": BOLD + GREEN,
        "key": BLUE,
        "value": MAGENTA,
        "number": GRAY,
        "exception": BOLD + RED,
    }

    def __init__(self, format: str = "text", timestamp_format: str = "raw", color: str = "auto") -> None:  # noqa: A002
        self.t0: Optional[float] = None
        self.last_dt: Optional[datetime] = None
        self.last_ts: Optional[float] = None
        if format not in ("text", "json"):
            raise ValueError(f"Invalid entry_fmt: {format}")
        self.entry_format = format
        if timestamp_format not in ("raw", "human", "reltime", "iso", "offset"):
            raise ValueError(f"Invalid timestamp_fmt: {timestamp_format}")
        self.timestamp_format = "human" if timestamp_format == "reltime" else timestamp_format
        if color not in ("always", "never", "auto"):
            raise ValueError(f"Invalid color: {color}")
        self.color = sys.stdout.isatty() if color == "auto" else color == "always"

    def _color(self, name: str) -> str:
        return self.eventlog_colors[name] if self.color else ""

    def _reset(self) -> str:
        return "\033[0m" if self.color else ""

    def _paint(self, name: str, text: str) -> str:
        return self._color(name) + text + self._reset()

    def _timestamp_human(self, ts: float) -> str:
        dt = datetime.fromtimestamp(ts)
        if self.last_dt is not None and dt - self.last_dt < timedelta(minutes=1):
            return self._paint("time", f"[{(dt - self.last_dt).total_seconds():>+11.6f}]")
        # a new minute: show the time and measure from here
        self.last_ts = ts
        self.last_dt = dt
        return self._paint("timebreak", f"[{dt.astimezone().strftime('%b%d %H:%M')}]")

    def _timestamp(self, ts: float) -> str:
        if self.t0 is None:
            self.t0 = ts
        if self.timestamp_format == "human":
            return self._timestamp_human(ts)
        if self.timestamp_format == "raw":
            text = f"{ts:11.6f}"
        elif self.timestamp_format == "iso":
            dt = datetime.fromtimestamp(ts).astimezone()
            zone = dt.strftime("%z").replace("+0000", "Z")
            micros = int((ts - int(ts)) * 1e6)
            text = dt.strftime("%Y-%m-%dT%T.") + f"{micros:06d}" + zone
        else:
            text = f"{ts - self.t0:15.6f}"
        return self._paint("time", text)

    def _format_text(self, entry: EventLogEvent) -> str:
        stamp = self._timestamp(entry.timestamp)
        name = self._paint("exception" if entry.name == "exception" else "name", entry.name)
        context = ""
        for key, val in entry.context.items():
            kind = "number" if type(val) in (int, float) else "value"
            text = json.dumps(val, separators=(",", ":"), ensure_ascii=False)
            context += f" {self._paint('key', key)}={self._paint(kind, text)}"
        return f"{stamp} {name}{context}"

    @staticmethod
    def _format_json(entry: Dict[str, Any]) -> str:
        if "context" in entry and not entry["context"]:
            entry = {k: v for k, v in entry.items() if k != "context"}
        return json.dumps(entry, separators=(",", ":"), ensure_ascii=False)

    def format(self, entry: Union[str, Dict[str, Any]]) -> str:
        """One entry (an RFC 18 dict, JSON text or EventLogEvent) as a line of text."""
        event = entry if isinstance(entry, EventLogEvent) else EventLogEvent(entry)
        if self.entry_format == "json":
            return self._format_json(event)
        return self._format_text(event)
