"""Job eventlogs (``job-info.eventlog-watch``): event_watch, event_wait, JobException."""

from __future__ import annotations

import errno
from typing import Any, Iterator, Optional

from .._errors import c_error
from .._futurecore import FutureCore
from .._rpcjson import rpc_get_str, rpc_get_unpack, rpc_pack
from ..constants import FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE, FLUX_RPC_STREAMING
from ..eventlog import EventLogEvent
from ..kvs import WatchImplementation
from ._null import is_null
from .kill import _jobid

__all__ = [
    "MAIN_EVENTS",
    "JobEventWatchFuture",
    "event_watch_async",
    "event_watch",
    "JobException",
    "event_wait",
    "EventLogEvent",
]

#: The events of the main eventlog that FluxExecutorFuture reports.
MAIN_EVENTS = frozenset(
    {
        "submit",
        "depend",
        "priority",
        "flux-restart",
        "urgency",
        "alloc",
        "free",
        "start",
        "release",
        "finish",
        "clean",
        "debug",
        "exception",
    }
)

_VALID_WATCH_FLAGS = 1 | 2  # FLUX_JOB_EVENT_WATCH_WAITCREATE | _INITIAL_SENTINEL


def event_watch_send(flux_handle: Any, jobid: Any, path: str, flags: int = 0) -> FutureCore:
    """``flux_job_event_watch``: the streaming request, sent now."""
    if is_null(flux_handle) or path is None or (flags & ~_VALID_WATCH_FLAGS):
        raise c_error(errno.EINVAL)
    payload = {"id": _jobid(jobid), "path": path, "flags": flags}
    return rpc_pack(flux_handle, "job-info.eventlog-watch", payload, FLUX_NODEID_ANY, FLUX_RPC_STREAMING)


def event_watch_get(fc: FutureCore) -> Optional[str]:
    """The current entry's JSON text (None for an empty sentinel response)."""
    try:
        event = rpc_get_unpack(fc).get("event")
    except OSError as err:
        if err.errno == errno.EPROTO and rpc_get_str(fc) is None:
            return None
        raise
    if not isinstance(event, str):
        raise c_error(errno.EPROTO)
    return event


def event_watch_cancel(fc: FutureCore) -> None:
    core = fc.core
    if core is None:
        raise c_error(errno.EINVAL)
    payload = {"matchtag": fc.get_matchtag()}
    rpc_pack(core, "job-info.eventlog-watch-cancel", payload, FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE).destroy()


class JobEventWatchFuture(WatchImplementation):
    """The future of :func:`event_watch_async`; :meth:`get_event` returns each entry in turn."""

    def watch_get(self, future: FutureCore) -> Any:
        text = event_watch_get(future)
        if text is None:
            raise c_error(errno.EPROTO)
        return EventLogEvent(text)

    def watch_cancel(self, future: FutureCore) -> None:
        event_watch_cancel(future)

    def get_event(self, autoreset: bool = True) -> Optional[EventLogEvent]:
        """The next event, or None once the eventlog has ended (main eventlog: after ``clean``)."""
        entry: Optional[EventLogEvent] = self.get(autoreset)
        return entry


def event_watch_async(flux_handle: Any, jobid: Any, eventlog: str = "eventlog") -> JobEventWatchFuture:
    """Watch a job eventlog (``eventlog``, ``guest.exec.eventlog``...)."""
    return JobEventWatchFuture(event_watch_send(flux_handle, int(jobid), eventlog, 0))


def event_watch(flux_handle: Any, jobid: Any, eventlog: str = "eventlog") -> Iterator[EventLogEvent]:
    """Yield each event of a job eventlog as it happens, until the log ends.

    The watch starts when iteration does (this is a generator).
    """
    future = event_watch_async(flux_handle, jobid, eventlog)
    yield from iter(future.get_event, None)


class JobException(Exception):
    """An ``exception`` event of a job: ``type``, ``note``, ``severity``, ``timestamp``."""

    def __init__(self, event: EventLogEvent) -> None:
        details = event.context
        self.timestamp: float = event.timestamp
        self.type, self.note, self.severity = (details[key] for key in ("type", "note", "severity"))
        Exception.__init__(self)

    def __str__(self) -> str:
        kind, note = self.type, self.note
        return f"job.exception: type={kind}: {note}"


def _is_fatal_exception(entry: EventLogEvent) -> bool:
    """An exception event of severity 0, the one that ends the job."""
    return entry.name == "exception" and entry.context["severity"] == 0


def event_wait(
    flux_handle: Any,
    jobid: Any,
    name: str,
    eventlog: str = "eventlog",
    raiseJobException: bool = True,  # noqa: N803
) -> EventLogEvent:
    """Wait for the event ``name``; JobException on a fatal exception first, OSError(ENODATA) if it never comes."""
    for entry in event_watch(flux_handle, jobid, eventlog):
        if entry.name == name:
            return entry
        if raiseJobException and _is_fatal_exception(entry):
            raise JobException(entry)
    raise OSError(errno.ENODATA, f"eventlog ended before event='{name}'")
