"""RFC 5424 log lines, the format of ``log.append`` payloads and of the
broker's ring buffer (flux-core ``libutil/stdlog.c``)."""

from __future__ import annotations

import datetime
import re
from typing import NamedTuple, Optional

SEVERITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

# stdlog_decode: the structured data must be followed by a space (the
# message may be empty); any version number is accepted.
# RFC 3339 as flux_log writes it ("%Y-%m-%dT%H:%M:%S.%fZ").
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,6})Z$")
_LINE = re.compile(rb"^<(\d{1,3})>\d+ (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$", re.S)


class LogEntry(NamedTuple):
    pri: int
    timestamp: str
    hostname: str
    appname: str
    procid: str
    message: str

    @property
    def severity(self) -> int:
        # flux's STDLOG_SEVERITY is PRI >> 3 (the facility in the low bits),
        # so LOG_INFO from flux_log arrives as <48>.
        return self.pri >> 3


def decode(line: bytes) -> Optional[LogEntry]:
    """The parts of a log line, or None where flux-core's decoder would fail."""
    m = _LINE.match(line)
    if m is None:
        return None
    text = [g.decode("utf-8", "replace") if g is not None else "" for g in m.groups()]
    return LogEntry(int(text[0]), text[1], text[2], text[3], text[4], text[7])


def timestamp(when: Optional[float] = None) -> str:
    moment = (
        datetime.datetime.now(datetime.timezone.utc)
        if when is None
        else datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode(severity: int, hostname: str, appname: str, procid: int, message: str) -> bytes:
    """A line as ``flux_log`` writes it: PRI is STDLOG_PRI(severity, 0).  Bytes
    of a client's topic that are not UTF-8 (kept as surrogates) go back as they came."""
    line = f"<{severity << 3}>1 {timestamp()} {hostname} {appname} {procid} - - {message}"
    return line.encode("utf-8", "surrogateescape")


def human(entry: LogEntry) -> str:
    """The line as ``flux dmesg`` prints it: ``TIME app.sev[rank]: message``."""
    return f"{entry.timestamp} {_tail(entry)}"


def stderr_line(entry: LogEntry) -> str:
    """The line as the broker prints it on stderr (log.c ``log_timestamp``):
    ``Nov 22 22:39:17.904370 UTC 2026 app.err[0]: message``, in local time."""
    # Parsed by hand: strptime imports a module on first use, and this line
    # may be the one saying that the process is out of file descriptors.
    m = _TIMESTAMP.match(entry.timestamp)
    try:
        if m is None:
            raise ValueError(entry.timestamp)
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        micro = int(m.group(7).ljust(6, "0"))
        moment = datetime.datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return f"{entry.timestamp} {_tail(entry)}"
    local = moment.replace(tzinfo=datetime.timezone.utc).astimezone()
    stamp = f"{local.strftime('%b %d %H:%M:%S')}.{local.microsecond:06d} {local.strftime('%Z %Y')}"
    return f"{stamp} {_tail(entry)}"


def _tail(entry: LogEntry) -> str:
    sev = entry.severity
    name = SEVERITY_NAMES[sev] if sev < len(SEVERITY_NAMES) else str(sev)
    return f"{entry.appname}.{name}[{entry.hostname}]: {entry.message}"
