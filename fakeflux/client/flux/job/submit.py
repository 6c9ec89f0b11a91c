"""Job submission (``job-ingest.submit``): flux-core's ``flux.job.submit*``."""

from __future__ import annotations

import base64
import errno
import os
from typing import Any

from .. import constants
from .._errors import c_error
from .._rpcjson import future_error, rpc_get_unpack, rpc_pack
from ..future import Future
from ._null import is_null
from .JobID import JobID
from .Jobspec import _convert_jobspec_arg_to_string

__all__ = ["SubmitFuture", "submit_async", "submit_get_id", "submit", "sign_none_wrap"]


def sign_none_wrap(payload: bytes, userid: int) -> str:
    """The unsigned "none" mechanism envelope: ``base64(header).base64(payload).none``.

    The header is the NUL-separated key/value list ``version i1 userid i<uid>
    mechanism snone`` (each item NUL-terminated), as libjob and
    flux-security's "none" mechanism write it.
    """
    header = b"".join(
        item + b"\x00" for item in (b"version", b"i1", b"userid", b"i%d" % userid, b"mechanism", b"snone")
    )
    return f"{base64.b64encode(header).decode()}.{base64.b64encode(payload).decode()}.none"


class SubmitFuture(Future):
    """The future of a submission; :meth:`get_id` waits for the job id."""

    def get_id(self) -> JobID:
        return submit_get_id(self)


def submit_async(
    flux_handle: Any,
    jobspec: Any,
    urgency: int = constants.FLUX_JOB_URGENCY_DEFAULT,
    waitable: bool = False,
    debug: bool = False,
    pre_signed: bool = False,
    novalidate: bool = False,
) -> SubmitFuture:
    """Submit a job (a Jobspec, or its JSON as str or bytes) without waiting.

    ``waitable`` lets :func:`flux.job.wait` collect the result; ``urgency``
    goes from 0 (hold) to 31 (expedite), 16 by default.
    """
    data = _convert_jobspec_arg_to_string(jobspec)
    if is_null(flux_handle):
        raise c_error(errno.EINVAL)
    flags = 0
    if waitable:
        flags |= constants.FLUX_JOB_WAITABLE
    if debug:
        flags |= constants.FLUX_JOB_DEBUG
    if novalidate:
        flags |= constants.FLUX_JOB_NOVALIDATE
    text = data.split(b"\x00", 1)[0]
    if pre_signed:
        signed = text.decode("utf-8", "surrogateescape")
    else:
        signed = sign_none_wrap(text, os.getuid())
    fc = rpc_pack(flux_handle, "job-ingest.submit", {"J": signed, "urgency": int(urgency), "flags": flags})
    return SubmitFuture(fc)


def submit_get_id(future: Any) -> JobID:
    """Wait for a :class:`SubmitFuture` and return the job id (OSError with the service's text)."""
    if is_null(future):
        raise OSError(errno.EINVAL, "future must not be None/NULL")
    future.wait_for()
    fc = future.pimpl
    try:
        jobid = rpc_get_unpack(fc)["id"]
        if not isinstance(jobid, int):
            raise OSError(errno.EPROTO, os.strerror(errno.EPROTO))
    except KeyError:
        raise OSError(errno.EPROTO, os.strerror(errno.EPROTO)) from None
    except OSError as err:
        future.raise_if_handle_exception()
        raise future_error(fc, err) from None
    return JobID(jobid & 0xFFFFFFFFFFFFFFFF)


def submit(
    flux_handle: Any,
    jobspec: Any,
    urgency: int = constants.FLUX_JOB_URGENCY_DEFAULT,
    waitable: bool = False,
    debug: bool = False,
    pre_signed: bool = False,
) -> JobID:
    """Submit a job and wait for its id."""
    return submit_async(flux_handle, jobspec, urgency, waitable, debug, pre_signed).get_id()
