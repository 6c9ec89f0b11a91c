"""Job data in the KVS through job-info (``job-info.lookup``): job_info_lookup, job_kvs_lookup."""

from __future__ import annotations

import base64
import errno
import json
from typing import Any, Dict, List, Optional, Sequence

from .. import constants
from ..rpc import RPC

__all__ = ["JobInfoLookupRPC", "job_info_lookup", "job_kvs_lookup", "unwrap_string"]


def _decode_special(data: Dict[str, Any]) -> None:
    for key in ("jobspec", "R"):
        if key in data:
            try:
                data[key] = json.loads(data[key])
            except (json.JSONDecodeError, TypeError):
                pass


def unwrap_string(signed: str) -> str:
    """The payload of a "none"-signed envelope ``header.payload.none`` (``flux_unwrap_string``)."""
    parts = signed.split(".")
    if len(parts) != 3 or parts[2] != "none":
        raise OSError(errno.EINVAL, "invalid signed string")
    return base64.b64decode(parts[1]).decode("utf-8")


class JobInfoLookupRPC(RPC):
    """A ``job-info.lookup``: ``get()`` the raw strings, ``get_decode()`` with jobspec and R decoded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.jobid: Any = None

    def get_decode(self) -> Dict[str, Any]:
        data = super().get()
        assert isinstance(data, dict)
        _decode_special(data)
        return data


def job_info_lookup(
    flux_handle: Any,
    jobid: Any,
    keys: Sequence[str] = ["jobspec"],
    flags: int = 0,  # noqa: B006
) -> JobInfoLookupRPC:
    """Look up keys of a job's KVS directory (``jobspec``, ``R``, ``eventlog``, ``J``...)."""
    rpc = JobInfoLookupRPC(flux_handle, "job-info.lookup", {"id": int(jobid), "keys": keys, "flags": flags})
    rpc.jobid = jobid
    return rpc


def job_kvs_lookup(
    flux_handle: Any,
    jobid: Any,
    keys: Sequence[str] = ["jobspec"],  # noqa: B006
    decode: bool = True,
    original: bool = False,
    base: bool = False,
) -> Optional[Dict[str, Any]]:
    """A job's KVS data (None if the job is unknown); ``original`` gives the jobspec as submitted."""
    lookup_keys: List[str] = list(keys)
    if "jobspec" in lookup_keys and original:
        lookup_keys.remove("jobspec")
        if "J" not in lookup_keys:
            lookup_keys.append("J")
    flags = 0 if base else constants.FLUX_JOB_LOOKUP_CURRENT
    payload = {"id": int(jobid), "keys": lookup_keys, "flags": flags}
    rpc = JobInfoLookupRPC(flux_handle, "job-info.lookup", payload)
    try:
        rsp = rpc.get_decode() if decode else rpc.get()
    except FileNotFoundError:
        return None
    if "jobspec" in keys and original:
        rsp["jobspec"] = unwrap_string(rsp["J"])
        if decode:
            _decode_special(rsp)
        if "J" not in keys:
            rsp.pop("J")
    return rsp
