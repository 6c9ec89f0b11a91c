"""Jobs (flux-core's ``flux.job``): jobspecs, ids, submission, waiting, events, listing, executor.

``import flux.job`` is explicit, as in flux-core.  What each call sends is
what libjob sends (``job-ingest.submit``, ``job-manager.wait/raise/kill``,
``job-info.eventlog-watch``, ``job-info.lookup``, ``job-list.list/list-id``),
so the module works against fakeflux and against a real broker.
"""

from __future__ import annotations

from typing import Any

from ._utils import BatchConfig
from .event import (
    MAIN_EVENTS,
    EventLogEvent,
    JobEventWatchFuture,
    JobException,
    event_wait,
    event_watch,
    event_watch_async,
)
from .executor import FluxExecutor, FluxExecutorFuture
from .info import JobInfo, JobInfoFormat, job_fields_to_attrs
from .JobID import JobID, id_encode, id_parse
from .Jobspec import Jobspec, JobspecV1, validate_jobspec
from .journal import JournalConsumer
from .kill import cancel, cancel_async, job_raise, job_raise_async, kill, kill_async
from .kvs import job_kvs, job_kvs_guest
from .kvslookup import JobInfoLookupRPC, JobKVSLookup, job_info_lookup, job_kvs_lookup
from .list import JobList, get_job, job_list, job_list_id, job_list_inactive
from .output import (
    job_output,
    output_event_watch,
    output_event_watch_async,
    output_watch,
    output_watch_async,
    output_watch_lines,
    output_watch_lines_async,
)
from .submit import SubmitFuture, submit, submit_async, submit_get_id
from .timeleft import timeleft
from .wait import JobResultFuture, JobWaitFuture, JobWaitResult, result, result_async, wait, wait_async, wait_get_status
from .watcher import JobWatcher

__all__ = [
    "BatchConfig",
    "JournalConsumer",
    "Jobspec",
    "JobspecV1",
    "validate_jobspec",
    "id_parse",
    "id_encode",
    "JobID",
    "job_kvs",
    "job_kvs_guest",
    "kill_async",
    "kill",
    "cancel_async",
    "cancel",
    "job_raise_async",
    "job_raise",
    "submit_async",
    "submit",
    "submit_get_id",
    "SubmitFuture",
    "JobInfo",
    "JobInfoFormat",
    "job_fields_to_attrs",
    "job_list",
    "job_list_inactive",
    "job_list_id",
    "JobList",
    "get_job",
    "job_info_lookup",
    "job_kvs_lookup",
    "JobKVSLookup",
    "JobInfoLookupRPC",
    "wait_async",
    "wait",
    "wait_get_status",
    "JobWaitFuture",
    "JobWaitResult",
    "result_async",
    "result",
    "JobResultFuture",
    "event_watch_async",
    "event_watch",
    "event_wait",
    "JobEventWatchFuture",
    "EventLogEvent",
    "JobException",
    "MAIN_EVENTS",
    "FluxExecutor",
    "FluxExecutorFuture",
    "timeleft",
    "job_output",
    "output_event_watch",
    "output_event_watch_async",
    "output_watch",
    "output_watch_async",
    "output_watch_lines",
    "output_watch_lines_async",
    "JobWatcher",
]


def __getattr__(name: str) -> Any:
    # flux-core's flux.job re-exports the cffi ``ffi`` of flux.core.inner;
    # imported on first use so that ``import flux.job`` does not load cffi.
    if name == "ffi":
        import importlib

        return importlib.import_module("flux.core.inner").ffi
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
