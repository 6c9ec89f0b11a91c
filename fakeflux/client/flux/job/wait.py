"""Waiting for jobs: ``job-manager.wait`` (wait) and the eventlog-based ``result``."""

from __future__ import annotations

import errno
import json
import weakref
from typing import Any, Dict, NamedTuple, Optional

from .._errors import c_error
from .._futurecore import FutureCore
from .._rpcjson import future_error, rpc_get_unpack, rpc_pack
from ..constants import (
    FLUX_JOB_RESULT_CANCELED,
    FLUX_JOB_RESULT_COMPLETED,
    FLUX_JOB_RESULT_FAILED,
    FLUX_JOB_RESULT_TIMEOUT,
    FLUX_JOBID_ANY,
)
from ..future import Future
from ._null import is_null
from .event import event_watch_cancel, event_watch_get, event_watch_send
from .JobID import JobID
from .kill import _jobid

__all__ = [
    "JobWaitFuture",
    "JobWaitResult",
    "wait_async",
    "wait_get_status",
    "wait",
    "JobResultFuture",
    "result_async",
    "result",
]


class JobWaitResult(NamedTuple):
    """What :func:`wait` returns; ``errstr`` is bytes, as flux-core returns it."""

    jobid: int
    success: bool
    errstr: bytes


class JobWaitFuture(Future):
    """The future of :func:`wait_async`; :meth:`get_status` gives the JobWaitResult."""

    def get_status(self) -> JobWaitResult:
        return wait_get_status(self)


def wait_async(flux_handle: Any, jobid: Any = FLUX_JOBID_ANY) -> JobWaitFuture:
    """Ask for the result of a waitable job (any waitable job by default), without blocking."""
    if is_null(flux_handle):
        raise c_error(errno.EINVAL)
    return JobWaitFuture(rpc_pack(flux_handle, "job-manager.wait", {"id": _jobid(jobid)}))


def wait_get_status(future: Any) -> JobWaitResult:
    """Wait for a :class:`JobWaitFuture`: ``(jobid, success, errstr)``; OSError (ECHILD...) on failure."""
    if is_null(future):
        raise OSError(errno.EINVAL, "future must not be None/NULL")
    future.wait_for()
    fc = future.pimpl
    try:
        rsp = rpc_get_unpack(fc)
        jobid, success, errstr = rsp["id"], rsp["success"], rsp["errstr"]
        if not isinstance(jobid, int) or not isinstance(success, bool) or not isinstance(errstr, str):
            raise c_error(errno.EPROTO)
    except KeyError:
        raise c_error(errno.EPROTO) from None
    except OSError as err:
        future.raise_if_handle_exception()
        raise future_error(fc, err) from None
    return JobWaitResult(jobid & 0xFFFFFFFFFFFFFFFF, success, errstr.encode("utf-8"))


def wait(flux_handle: Any, jobid: Any = FLUX_JOBID_ANY) -> JobWaitResult:
    """Wait for a waitable job to finish (and consume its result)."""
    return wait_async(flux_handle, jobid).get_status()


# -- result: the main eventlog folded into one dict ----------------------------------------
def _result_code(res: Dict[str, Any]) -> int:
    if not isinstance(res.get("exception_occurred"), bool):
        return FLUX_JOB_RESULT_FAILED
    t_run = res.get("t_run", -1.0)
    status = res.get("waitstatus", -1)
    if isinstance(t_run, (int, float)) and t_run > 0.0 and status == 0:
        return FLUX_JOB_RESULT_COMPLETED
    if res["exception_occurred"]:
        kind = res.get("exception_type")
        if kind == "cancel":
            return FLUX_JOB_RESULT_CANCELED
        if kind == "timeout":
            return FLUX_JOB_RESULT_TIMEOUT
    return FLUX_JOB_RESULT_FAILED


def _fold_event(res: Dict[str, Any], text: str) -> None:
    """Add one eventlog entry to the result; OSError(EPROTO) if it is malformed."""
    try:
        entry = json.loads(text)
        name = entry["name"]
        timestamp = entry["timestamp"]
        context = entry.get("context", {})
        if not isinstance(name, str) or not isinstance(context, dict):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise c_error(errno.EPROTO) from None
    if name == "submit":
        res["t_submit"] = timestamp
    elif name == "alloc":
        res["t_run"] = timestamp
    elif name == "finish":
        res["t_cleanup"] = timestamp
        if "status" not in context:
            raise c_error(errno.EPROTO)
        res["waitstatus"] = context["status"]
    elif name == "exception":
        if not all(k in context for k in ("type", "severity", "note")):
            raise c_error(errno.EPROTO)
        if res.get("exception_occurred") is True:
            prev = res.get("exception_severity", -1)
            prev = prev if isinstance(prev, int) else -1
            # a later exception only replaces an earlier one that is not less severe
            if 0 < prev < context["severity"]:
                return
        res["exception_occurred"] = True
        res["exception_type"] = context["type"]
        res["exception_note"] = context["note"]
        res["exception_severity"] = context["severity"]


class _ResultChain:
    """Feeds the eventlog watch into the result future (flux_job_result's and_then/or_then)."""

    def __init__(self, watch: FutureCore, jobid: int) -> None:
        self.watch = watch
        self.res: Dict[str, Any] = {"id": jobid, "exception_occurred": False}

    def init(self, fc: FutureCore) -> None:
        ref = weakref.ref(fc)
        self.watch.set_flux(fc.get_flux())

        def on_event(watch: FutureCore) -> None:
            target = ref()
            if target is None or target.is_ready():
                return
            try:
                text = event_watch_get(watch)
            except OSError as err:
                if err.errno != errno.ENODATA:
                    target.fulfill_error(err.errno or errno.EPROTO, None)
                else:
                    self.res["result"] = _result_code(self.res)
                    target.fulfill(json.dumps(self.res, separators=(",", ":"), ensure_ascii=False))
                watch.destroy()  # the stream is over: its matchtag may be reused
                return
            try:
                if text is not None:
                    _fold_event(self.res, text)
            except OSError as err:
                target.fulfill_error(err.errno or errno.EPROTO, None)
                try:
                    event_watch_cancel(watch)
                except OSError:
                    pass
                return
            watch.reset()

        self.watch.then_set(-1.0, on_event)


class JobResultFuture(Future):
    """The future of :func:`result_async`: :meth:`get_dict` or :meth:`get_info` once the job is inactive."""

    def get_dict(self) -> Optional[Dict[str, Any]]:
        """The result dict: id, t_submit, t_run, t_cleanup, waitstatus, exception_*, result."""
        fc = self.pimpl
        try:
            value = fc.get()
        except OSError:
            self.raise_if_handle_exception()
            raise
        if value is None:
            return None
        obj = json.loads(value)
        assert isinstance(obj, dict)
        return obj

    def get_info(self) -> Any:
        """The result as a (partial) :class:`flux.job.JobInfo`."""
        from .info import JobInfo

        return JobInfo(self.get_dict() or {})


def result_async(flux_handle: Any, jobid: Any, flags: int = 0) -> JobResultFuture:
    """Wait for a job to become inactive by reading its eventlog; works for any job, any number of times."""
    jobid = JobID(jobid)
    watch = event_watch_send(flux_handle, jobid, "eventlog", 0)
    chain = _ResultChain(watch, int(jobid))
    fc = FutureCore(init=chain.init, core=watch.core)
    fut = JobResultFuture(fc)
    fut._chain = chain  # type: ignore[attr-defined]  # keeps the watch alive with the future
    return fut


def result(flux_handle: Any, jobid: Any, flags: int = 0) -> Any:
    """Block until the job is inactive; a :class:`flux.job.JobInfo` with its result."""
    return result_async(flux_handle, JobID(jobid), flags).get_info()
