"""Job data in the KVS through job-info (``job-info.lookup``): job_info_lookup, job_kvs_lookup."""

from __future__ import annotations

import base64
import errno
import json
from typing import Any, Dict, List, Optional, Sequence

from .. import constants
from ..future import WaitAllFuture
from ..rpc import RPC
from .JobID import JobID

__all__ = [
    "JobInfoLookupRPC",
    "JobKVSLookup",
    "JobKVSLookupFuture",
    "decode_special_data",
    "job_info_lookup",
    "job_kvs_lookup",
    "unwrap_string",
]


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
    _setup_lookup_keys(lookup_keys, original)
    flags = 0 if base else constants.FLUX_JOB_LOOKUP_CURRENT
    payload = {"id": int(jobid), "keys": lookup_keys, "flags": flags}
    rpc = JobInfoLookupRPC(flux_handle, "job-info.lookup", payload)
    try:
        rsp = rpc.get_decode() if decode else rpc.get()
    except FileNotFoundError:
        return None
    _update_keys(rsp, decode, keys, original)
    return rsp


def decode_special_data(data: Dict[str, Any]) -> None:
    """Decode ``jobspec`` and ``R`` of a lookup answer from JSON in place (left alone if not JSON)."""
    _decode_special(data)


def _setup_lookup_keys(keys: List[str], original: bool) -> None:
    # the submitted jobspec is read from J (the signed request)
    if "jobspec" in keys and original:
        keys.remove("jobspec")
        if "J" not in keys:
            keys.append("J")


def _update_keys(job_data: Dict[str, Any], decode: bool, keys: Sequence[str], original: bool) -> None:
    if "jobspec" in keys and original:
        job_data["jobspec"] = unwrap_string(job_data["J"])
        if decode:
            _decode_special(job_data)
        if "J" not in keys:
            job_data.pop("J")


class JobKVSLookupFuture(WaitAllFuture):
    """The lookups of several jobs; ``get()``/``get_decode()`` give those that succeeded, ``errors`` the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: List[str] = []

    def _get(self, decode: bool = True) -> List[Dict[str, Any]]:
        jobs = []
        self.wait_for()
        for child in self.children:
            try:
                jobs.append(child.get_decode() if decode else child.get())  # type: ignore[attr-defined]
            except OSError as err:
                if err.errno == errno.ENOENT:
                    self.errors.append(f"JobID {child.jobid.orig} unknown")  # type: ignore[attr-defined]
                else:
                    self.errors.append(f"rpc: {err.strerror}")
        return jobs

    def get(self) -> List[Dict[str, Any]]:
        return self._get(False)

    def get_decode(self) -> List[Dict[str, Any]]:
        return self._get(True)


class JobKVSLookup:
    """KVS data of several jobs: ``JobKVSLookup(h, ids, keys, decode, original, base).data()``.

    Unknown jobs are left out of ``data()`` and named in ``errors``.
    ``original`` gives the jobspec as submitted; ``base`` skips the updates
    the eventlog records (``jobspec-update``, ``resource-update``).
    """

    def __init__(
        self,
        flux_handle: Any,
        ids: Sequence[Any] = [],  # noqa: B006 - flux-core's default
        keys: Sequence[str] = ["jobspec"],  # noqa: B006
        decode: bool = True,
        original: bool = False,
        base: bool = False,
    ) -> None:
        self.handle = flux_handle
        self.keys = list(keys)
        self.keyslookup = list(keys)
        self.ids = [JobID(x) for x in ids] if ids else []
        self.decode = decode
        self.original = original
        self.base = base
        self.errors: List[str] = []
        _setup_lookup_keys(self.keyslookup, self.original)

    def fetch_data(self) -> JobKVSLookupFuture:
        """Send the lookups; the future is fulfilled when all have answered."""
        flags = 0 if self.base else constants.FLUX_JOB_LOOKUP_CURRENT
        future = JobKVSLookupFuture()
        for jobid in self.ids:
            future.push(job_info_lookup(self.handle, jobid, self.keyslookup, flags))
        return future

    def data(self) -> List[Dict[str, Any]]:
        """The data of every known job (waiting for it)."""
        future = self.fetch_data()
        data = future.get_decode() if self.decode else future.get()
        self.errors = future.errors
        for job_data in data:
            _update_keys(job_data, self.decode, self.keys, self.original)
        return data
