"""RFC 18 eventlog entries and their display (flux-core's ``flux.eventlog``).

``EventLogFormatter`` renders entries as ``flux job eventlog`` and
``flux resource eventlog`` print them: text or JSON, raw/ISO/offset/human
timestamps, optional ANSI colour.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from typing import Any, Dict, Optional, Tuple, Union

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


def _checked(value: str, allowed: Tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"Invalid {what}: {value}")
    return value


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# color="auto" asks the terminal; the others are fixed
_COLOR_CHOICES = {"always": True, "never": False}


class EventLogFormatter:
    """Formats eventlog entries for display.

    ``format``: "text" or "json"; ``timestamp_format``: "raw", "iso",
    "offset" (from the first entry), "human" (alias "reltime": the time at
    each new minute, then offsets from it); ``color``: "always", "never" or
    "auto" (stdout is a terminal). ValueError for any other value.
    """

    BOLD = "\033[1m"
    YELLOW = "\033[33m"
    GREEN = "\033[32m"
    BLUE = "\033[34m"
    MAGENTA = "\033[35m"
    GRAY = "\033[37m"
    RED = "\033[31m"
    _RESET = "\033[0m"

    # what each part of a line is painted with
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
        self.entry_format = _checked(format, ("text", "json"), "entry_fmt")
        stamp = _checked(timestamp_format, ("raw", "human", "reltime", "iso", "offset"), "timestamp_fmt")
        self.timestamp_format = {"reltime": "human"}.get(stamp, stamp)
        _checked(color, ("always", "never", "auto"), "color")
        self.color = _COLOR_CHOICES[color] if color in _COLOR_CHOICES else sys.stdout.isatty()
        # t0: the first entry's time (for offsets); last_dt/last_ts: the last minute shown (human)
        self.t0: Optional[float] = None
        self.last_dt: Optional[datetime] = None
        self.last_ts: Optional[float] = None

    def _color(self, name: str) -> str:
        return self.eventlog_colors[name] if self.color else ""

    def _reset(self) -> str:
        return self._RESET if self.color else ""

    def _paint(self, name: str, text: str) -> str:
        return f"{self._color(name)}{text}{self._reset()}"

    def _timestamp_human(self, ts: float) -> str:
        when = datetime.fromtimestamp(ts)
        since = None if self.last_dt is None else when - self.last_dt
        if since is not None and since < timedelta(minutes=1):
            return self._paint("time", f"[{since.total_seconds():>+11.6f}]")
        # a new minute: show the time of day, and measure the next entries from here
        self.last_dt, self.last_ts = when, ts
        return self._paint("timebreak", "[" + when.astimezone().strftime("%b%d %H:%M") + "]")

    @staticmethod
    def _iso(ts: float) -> str:
        local = datetime.fromtimestamp(ts).astimezone()
        micros = int((ts - int(ts)) * 1e6)
        return local.strftime("%Y-%m-%dT%T.") + f"{micros:06d}" + local.strftime("%z").replace("+0000", "Z")

    def _timestamp(self, ts: float) -> str:
        if self.t0 is None:
            self.t0 = ts
        if self.timestamp_format == "human":
            return self._timestamp_human(ts)
        plain = {
            "raw": lambda: f"{ts:11.6f}",
            "iso": lambda: self._iso(ts),
            "offset": lambda: f"{ts - (self.t0 or 0.0):15.6f}",
        }
        return self._paint("time", plain[self.timestamp_format]())

    def _format_text(self, entry: EventLogEvent) -> str:
        words = [
            self._timestamp(entry.timestamp),
            " ",
            self._paint("exception" if entry.name == "exception" else "name", entry.name),
        ]
        for key, value in entry.context.items():
            kind = "number" if type(value) in (int, float) else "value"
            words.append(f" {self._paint('key', key)}={self._paint(kind, _compact(value))}")
        return "".join(words)

    @staticmethod
    def _format_json(entry: Dict[str, Any]) -> str:
        # an empty context is left out
        return _compact({key: value for key, value in entry.items() if key != "context" or value})

    def format(self, entry: Union[str, Dict[str, Any]]) -> str:
        """One entry (an RFC 18 dict, JSON text or EventLogEvent) as a line of text."""
        event = entry if isinstance(entry, EventLogEvent) else EventLogEvent(entry)
        render = self._format_json if self.entry_format == "json" else self._format_text
        return render(event)
