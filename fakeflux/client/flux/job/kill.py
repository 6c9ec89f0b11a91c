"""Signals and exceptions (``job-manager.kill`` / ``job-manager.raise``): kill, cancel, job_raise."""

from __future__ import annotations

import errno
import signal
from typing import Any, Dict, Optional, Union

from .._errors import c_error
from .._rpcjson import rpc_pack
from ..future import Future
from ._null import is_null
from .JobID import JobID

__all__ = ["kill_async", "kill", "cancel_async", "cancel", "job_raise_async", "job_raise"]

_JobIdArg = Union[JobID, int]


def _jobid(jobid: Any) -> int:
    """A job id as libjob packs it ("I": a signed 64-bit integer).

    flux-core passes ``int(jobid)`` to a ``flux_jobid_t`` (uint64_t)
    parameter, so cffi's errors for values out of its range are kept.
    """
    value = int(jobid)
    if value < 0:
        raise OverflowError("can't convert negative number to unsigned")
    if value >= 1 << 64:
        raise OverflowError("int too big to convert")
    return value - (1 << 64) if value >= (1 << 63) else value


def kill_async(flux_handle: Any, jobid: _JobIdArg, signum: Optional[int] = None) -> Future:
    """Send ``signum`` (default SIGTERM) to a running job; a Future fulfilled once delivered."""
    if not signum:
        signum = signal.SIGTERM
    if is_null(flux_handle) or int(signum) <= 0:
        raise c_error(errno.EINVAL)
    return Future(rpc_pack(flux_handle, "job-manager.kill", {"id": _jobid(jobid), "signum": int(signum)}))


def kill(flux_handle: Any, jobid: _JobIdArg, signum: Optional[int] = None) -> None:
    """Signal a running job and wait for the answer."""
    return kill_async(flux_handle, jobid, signum).get()


def job_raise_async(
    flux_handle: Any, jobid: _JobIdArg, exc_type: str, severity: int = 0, note: Optional[str] = None
) -> Future:
    """Raise an exception of type ``exc_type`` on a job (severity 0 ends it)."""
    if is_null(flux_handle):
        # flux-core reads flux_handle.handle first: None or NULL fail there
        getattr(flux_handle, "handle")  # noqa: B009
    if exc_type is None:
        raise c_error(errno.EINVAL)
    payload: Dict[str, Any] = {"id": _jobid(jobid), "type": exc_type, "severity": severity}
    if note:
        payload["note"] = note
    return Future(rpc_pack(flux_handle, "job-manager.raise", payload))


def job_raise(flux_handle: Any, jobid: _JobIdArg, exc_type: str, severity: int = 0, note: Optional[str] = None) -> None:
    return job_raise_async(flux_handle, jobid, exc_type, severity, note).get()


def cancel_async(flux_handle: Any, jobid: _JobIdArg, reason: Optional[str] = None) -> Future:
    """Cancel a pending or running job: a ``cancel`` exception of severity 0."""
    if is_null(flux_handle):
        raise c_error(errno.EINVAL)  # libjob's flux_job_cancel
    return job_raise_async(flux_handle, jobid, "cancel", 0, reason or None)


def cancel(flux_handle: Any, jobid: _JobIdArg, reason: Optional[str] = None) -> None:
    return cancel_async(flux_handle, jobid, reason).get()
