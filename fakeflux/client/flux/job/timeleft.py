"""Time left to the current job or instance (flux-core's ``flux.job.timeleft``, libjob's ``flux_job_timeleft``)."""

from __future__ import annotations

import errno
import math
import os
import time
from typing import Any, Optional

from ..rpc import RPC
from .JobID import id_parse

# flux_job_state_t bits (RFC 21)
_PENDING = 0x02 | 0x04 | 0x08  # DEPEND, PRIORITY, SCHED
_RUN = 0x10
_NOT_STARTED = -1.0


def _job_expiration(flux_handle: Any, text: str) -> float:
    try:
        jobid = id_parse(text)
    except (OSError, ValueError, TypeError):
        raise OSError(errno.EINVAL, f"failed to parse jobid {text}") from None
    try:
        job = RPC(flux_handle, "job-list.list-id", {"id": jobid, "attrs": ["expiration", "state"]}).get()["job"]
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise OSError(exc.errno, f"{text}: no such jobid") from None
        raise OSError(exc.errno, f"flux_job_list_id: {text}: {exc.strerror}") from None
    state = job["state"]
    if state & _PENDING:
        # libjob fails here ("job ID has not started") without setting
        # errno, and flux-core's binding raises only for a nonzero errno: its
        # timeleft() returns the untouched result, 0.0.
        return _NOT_STARTED
    if state != _RUN:
        return 1.0  # past: no time left (0.0 would mean unlimited)
    return float(job.get("expiration", 0.0))


def _instance_expiration(flux_handle: Any) -> float:
    try:
        status = RPC(flux_handle, "resource.status").get()
        return float(status["R"]["execution"].get("expiration", 0.0))
    except (OSError, KeyError, TypeError) as exc:
        errnum = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EPROTO
        raise OSError(errnum, "failed to get instance expiration") from None


def timeleft(flux_handle: Optional[Any] = None) -> float:
    """Seconds left to this process's job (``FLUX_JOB_ID``) or, outside a job, to the instance.

    ``inf`` when unlimited, 0.0 once expired; OSError when it cannot be told.
    """
    if flux_handle is None:
        from ..core.handle import Flux

        flux_handle = Flux()
    text = os.environ.get("FLUX_JOB_ID")
    expiration = _job_expiration(flux_handle, text) if text else _instance_expiration(flux_handle)
    if expiration == _NOT_STARTED:
        return 0.0
    if expiration == 0.0:
        return math.inf
    return max(expiration - time.time(), 0.0)
