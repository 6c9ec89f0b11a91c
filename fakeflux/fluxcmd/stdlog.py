"""RFC 5424 log lines as ``flux dmesg`` prints them (flux-core's stdlog_decode and dmesg.c)."""

from __future__ import annotations

import datetime
import re
from typing import NamedTuple, Optional

SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
_LINE = re.compile(r"^<(\d{1,3})>\d+ (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$", re.S)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class Entry(NamedTuple):
    severity: int
    timestamp: str
    hostname: str
    appname: str
    message: str


def decode(line: str) -> Optional[Entry]:
    m = _LINE.match(line)
    if m is None:
        return None
    return Entry(int(m.group(1)) >> 3, m.group(2), m.group(3), m.group(4), m.group(8))


def severity_from_name(name: str) -> Optional[int]:
    """stdlog_string_to_severity: a name (any case) or a number 0-7."""
    if name.lower() in SEVERITIES:
        return SEVERITIES.index(name.lower())
    return int(name) if name.isdigit() and int(name) < len(SEVERITIES) else None


def _parse_time(stamp: str) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def iso_timestamp(stamp: str) -> str:
    """Local time with its offset, or the line's own (UTC) text where local time is UTC."""
    moment = _parse_time(stamp)
    if moment is None:
        return stamp
    local = moment.astimezone()
    offset = local.utcoffset()
    if not offset:
        return stamp
    text = local.strftime("%z")
    return f"{local.strftime('%Y-%m-%dT%H:%M:%S')}.{local.microsecond:06d}{text[:3]}:{text[3:]}"


class HumanClock:
    """--human: ``[Mon DD HH:MM]`` at each new minute, then ``[+SS.ssssss]`` offsets."""

    def __init__(self, delta: bool) -> None:
        self.delta = delta
        self.last: Optional[datetime.datetime] = None

    def stamp(self, stamp: str) -> str:
        moment = _parse_time(stamp)
        if moment is None:
            return f"[{stamp}]"
        local = moment.astimezone()
        last = self.last
        if last is not None and local.replace(second=0, microsecond=0) == last.replace(second=0, microsecond=0):
            out = f"[{(local - last).total_seconds():+11.6f}]"
            if self.delta:
                self.last = local
            return out
        self.last = local
        return f"[{_MONTHS[local.month - 1]}{local.day:02d} {local.hour:02d}:{local.minute:02d}]"


def format_line(line: str, stamp: str) -> str:
    entry = decode(line)
    if entry is None:
        return line
    try:
        rank = int(re.match(r"\d*", entry.hostname).group(0) or 0)  # type: ignore[union-attr]
    except ValueError:
        rank = 0
    sev = SEVERITIES[entry.severity] if entry.severity < len(SEVERITIES) else str(entry.severity)
    return f"{stamp} {entry.appname}.{sev}[{rank}]: {entry.message}"
