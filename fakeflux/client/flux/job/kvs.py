"""A job's KVS directory: ``job.<dothex>`` (and its ``guest`` sub-directory)."""

from __future__ import annotations

from typing import Any

from .. import kvs as _kvs
from .JobID import JobID

__all__ = ["job_kvs", "job_kvs_guest"]


def job_kvs(flux_handle: Any, jobid: Any) -> _kvs.KVSDir:
    """The KVS directory of a job."""
    return _kvs.get_dir(flux_handle, JobID(int(jobid)).kvs)


def job_kvs_guest(flux_handle: Any, jobid: Any) -> _kvs.KVSDir:
    """The guest KVS directory of a job."""
    return _kvs.get_dir(flux_handle, JobID(int(jobid)).kvs + ".guest")
