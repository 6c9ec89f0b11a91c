"""A job's KVS directory: ``job.<dothex>`` (and its ``guest`` sub-directory)."""

from __future__ import annotations

from typing import Any

from .. import kvs as _kvs
from .JobID import JobID
from .kill import _jobid

__all__ = ["job_kvs", "job_kvs_guest"]


def _dir_key(jobid: Any, sub: str) -> str:
    # libjob's flux_job_kvs_key(..., "") (flux_jobid_t: cffi's range errors),
    # so the path ends in "." as flux-core's does
    return f"{JobID(_jobid(jobid) & 0xFFFFFFFFFFFFFFFF).kvs}.{sub}"


def job_kvs(flux_handle: Any, jobid: Any) -> _kvs.KVSDir:
    """The KVS directory of a job (path ``job.<dothex>.``)."""
    return _kvs.get_dir(flux_handle, _dir_key(jobid, ""))


def job_kvs_guest(flux_handle: Any, jobid: Any) -> _kvs.KVSDir:
    """The guest KVS directory of a job (path ``job.<dothex>.guest.``)."""
    return _kvs.get_dir(flux_handle, _dir_key(jobid, "guest."))
