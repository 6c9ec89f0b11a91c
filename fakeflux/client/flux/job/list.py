"""Listing jobs (``job-list.list`` / ``job-list.list-id``): flux-core's ``flux.job.list``."""

from __future__ import annotations

import errno
import os
import pwd
from collections import abc
from typing import Any, Dict, Iterator, List, Optional, Sequence

from .. import constants
from ..future import WaitAllFuture
from ..rpc import RPC
from .info import JobInfo
from .JobID import JobID

__all__ = [
    "JobListRPC",
    "job_list",
    "job_list_inactive",
    "JobListIdRPC",
    "job_list_id",
    "get_job",
    "JobListIdsFuture",
    "JobList",
]


def _ends_stream(exc: OSError) -> bool:
    return exc.errno == errno.ENODATA


class JobListRPC(RPC):
    """A ``job-list.list`` request (always streaming); :meth:`get_jobs` gathers every job."""

    def __init__(
        self, flux_handle: Any, topic: Any, payload: Any = None, nodeid: int = constants.FLUX_NODEID_ANY, flags: int = 0
    ) -> None:
        # the server streams one response per batch of jobs
        RPC.__init__(self, flux_handle, topic, payload, nodeid, flags | constants.FLUX_RPC_STREAMING)

    def _pages(self) -> Iterator[Dict[str, Any]]:
        """Each response of the stream.  ENODATA ends it; a server whose first
        response has no version (0) sends only that one."""
        streaming: Optional[bool] = None
        while True:
            try:
                page = self.get()
            except OSError as exc:
                if _ends_stream(exc):
                    return
                raise
            yield page
            if streaming is None:
                streaming = page.get("version", 0) != 0
            if not streaming:
                return
            self.reset()

    def get_jobs(self) -> List[Dict[str, Any]]:
        """Every job of the answer, in the order the server sent them."""
        return [job for page in self._pages() for job in page["jobs"]]

    def get_jobinfos(self) -> Iterator[JobInfo]:
        yield from map(JobInfo, self.get_jobs())


def _queue_clause(queue: Any) -> Dict[str, List[Any]]:
    names = [queue] if isinstance(queue, str) else queue
    if not isinstance(names, abc.Iterable):
        raise ValueError("queue parameter must be a string or iterable")
    return {"queue": list(names)}


def _state_clauses(states: int, results: int) -> List[Dict[str, Any]]:
    """A job matches in one of the states, or with one of the results (either mask 0: not asked)."""
    asked = [{key: [mask]} for key, mask in (("states", states), ("results", results)) if mask]
    return [{"or": asked}] if len(asked) == 2 else asked


def job_list(
    flux_handle: Any,
    max_entries: int = 1000,
    attrs: Sequence[str] = ["all"],  # noqa: B006 - flux-core's default
    userid: int = os.getuid(),
    states: int = 0,
    results: int = 0,
    since: float = 0.0,
    name: Optional[str] = None,
    queue: Any = None,
    constraint: Optional[Dict[str, Any]] = None,
) -> JobListRPC:
    """List jobs: the RFC 31 constraint ANDs ``constraint``, the user, name, queue and state/result masks."""
    clauses: List[Any] = [constraint] if constraint is not None else []
    if userid != constants.FLUX_USERID_UNKNOWN:
        clauses.append({"userid": [userid]})
    if name:
        clauses.append({"name": [name]})
    if queue:
        clauses.append(_queue_clause(queue))
    clauses += _state_clauses(states, results)
    request = {"max_entries": int(max_entries), "attrs": attrs, "since": since, "constraint": {"and": clauses}}
    return JobListRPC(flux_handle, "job-list.list", request)


def job_list_inactive(
    flux_handle: Any,
    since: float = 0.0,
    max_entries: int = 1000,
    attrs: Sequence[str] = ["all"],  # noqa: B006
    name: Optional[str] = None,
    queue: Any = None,
    constraint: Optional[Dict[str, Any]] = None,
) -> JobListRPC:
    """Inactive jobs of every user."""
    everyone, inactive = constants.FLUX_USERID_UNKNOWN, constants.FLUX_JOB_STATE_INACTIVE
    return job_list(flux_handle, max_entries, attrs, everyone, inactive, 0, since, name, queue, constraint)


class JobListIdRPC(RPC):
    """A ``job-list.list-id`` request: :meth:`get_job` (dict) or :meth:`get_jobinfo`."""

    # the id as the caller gave it (``job_list_id`` sets it), for error messages
    jobid: Any = None

    def get_job(self) -> Dict[str, Any]:
        record = self.get()["job"]
        assert isinstance(record, dict)
        return record

    def get_jobinfo(self) -> JobInfo:
        record = self.get_job()
        return JobInfo(record)


def _list_id_request(flux_handle: Any, jobid: Any, attrs: Sequence[str]) -> JobListIdRPC:
    return JobListIdRPC(flux_handle, "job-list.list-id", {"id": int(jobid), "attrs": attrs})


def job_list_id(flux_handle: Any, jobid: Any, attrs: Sequence[str] = ["all"]) -> JobListIdRPC:  # noqa: B006
    """Ask for one job's record (FileNotFoundError from ``get_job()`` if unknown)."""
    rpc = _list_id_request(flux_handle, jobid, attrs)
    rpc.jobid = jobid
    return rpc


def get_job(flux_handle: Any, jobid: Any) -> Optional[Dict[str, Any]]:
    """One job's record as an unfiltered dict, or None if the job is unknown."""
    try:
        found = _list_id_request(flux_handle, jobid, ["all"]).get_jobinfo()
    except FileNotFoundError:
        return None
    return found.to_dict(filtered=False)


def _lookup_failure(rpc: JobListIdRPC, err: OSError) -> str:
    """How a failed ``list-id`` is reported: unknown ids by name, anything else by its error."""
    if err.errno == errno.ENOENT:
        return f"JobID {rpc.jobid.orig} unknown"
    return f"rpc: {err.strerror}"


class JobListIdsFuture(WaitAllFuture):
    """Several ``list-id`` requests at once; errors are collected in :attr:`errors`."""

    errors: List[str]

    def __init__(self) -> None:
        WaitAllFuture.__init__(self)
        self.errors = []

    def get_jobs(self) -> List[Dict[str, Any]]:
        """The records found, in request order; each failure adds a line to :attr:`errors`."""
        self.wait_for()
        found: List[Dict[str, Any]] = []
        for rpc in self.children:
            assert isinstance(rpc, JobListIdRPC)
            try:
                found.append(rpc.get_job())
            except OSError as err:
                self.errors.append(_lookup_failure(rpc, err))
        return found

    def get_jobinfos(self) -> List[JobInfo]:
        return list(map(JobInfo, self.get_jobs()))


def _userid_of(user: Any) -> int:
    """The uid ``JobList`` filters on: yours (None), everyone ("all"), a user name, or a uid."""
    if user is None:
        return os.getuid()
    if user == "all":
        return constants.FLUX_USERID_UNKNOWN
    try:
        return pwd.getpwnam(user).pw_uid
    except (KeyError, TypeError):
        pass  # not a user name: maybe a number
    try:
        return int(user)
    except ValueError:
        raise ValueError(f"Invalid user {user} specified") from None


class JobList:
    """Query jobs with filters: ``JobList(h, attrs, filters, ids, user, max_entries, since, name, queue, constraint)``.

    ``filters`` are state names (depend, priority, sched, run, cleanup,
    inactive, pending, running, active) or results (completed, failed,
    canceled, timeout); ``user`` a name, a uid or "all" (default: you);
    with ``ids`` only those jobs are fetched, one request each.
    """

    STATES = {
        "depend": constants.FLUX_JOB_STATE_DEPEND,
        "priority": constants.FLUX_JOB_STATE_PRIORITY,
        "sched": constants.FLUX_JOB_STATE_SCHED,
        "run": constants.FLUX_JOB_STATE_RUN,
        "cleanup": constants.FLUX_JOB_STATE_CLEANUP,
        "inactive": constants.FLUX_JOB_STATE_INACTIVE,
        "pending": constants.FLUX_JOB_STATE_PENDING,
        "running": constants.FLUX_JOB_STATE_RUNNING,
        "active": constants.FLUX_JOB_STATE_ACTIVE,
    }
    RESULTS = {
        "completed": constants.FLUX_JOB_RESULT_COMPLETED,
        "failed": constants.FLUX_JOB_RESULT_FAILED,
        "canceled": constants.FLUX_JOB_RESULT_CANCELED,
        "timeout": constants.FLUX_JOB_RESULT_TIMEOUT,
    }

    def __init__(
        self,
        flux_handle: Any,
        attrs: Sequence[str] = ["all"],  # noqa: B006
        filters: Sequence[str] = [],  # noqa: B006
        ids: Sequence[Any] = [],  # noqa: B006
        user: Any = None,
        max_entries: int = 1000,
        since: float = 0.0,
        name: Optional[str] = None,
        queue: Any = None,
        constraint: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.handle: Any = flux_handle
        self.attrs = list(attrs)
        self.states = self.results = 0
        self.max_entries: int = max_entries
        self.since, self.name, self.queue = since, name, queue
        self.ids = list(map(JobID, ids)) if ids else None
        self.errors: List[str] = []
        for word in (part for spec in filters for part in spec.split(",")):
            self.add_filter(word)
        self.set_user(user)
        self.constraint: Optional[Dict[str, Any]] = constraint

    def set_user(self, user: Any) -> None:
        """Only list jobs of ``user`` (a name, a uid, or "all")."""
        self.userid = _userid_of(user)

    def add_filter(self, fname: str) -> None:
        """Add a state or result name to the masks asked for (case does not matter)."""
        key = fname.lower()
        for table, mask_name in ((self.STATES, "states"), (self.RESULTS, "results")):
            if key in table:
                setattr(self, mask_name, getattr(self, mask_name) | table[key])
                return
        raise ValueError(f"Invalid filter specified: {key}")

    def fetch_jobs(self) -> Any:
        """Send the query; a JobListRPC, or a JobListIdsFuture with ``ids``."""
        if not self.ids:
            filters = (self.userid, self.states, self.results, self.since, self.name, self.queue, self.constraint)
            return job_list(self.handle, self.max_entries, self.attrs, *filters)
        batch = JobListIdsFuture()
        for jobid in self.ids:
            batch.push(job_list_id(self.handle, jobid, self.attrs))
        return batch

    def jobs(self) -> List[JobInfo]:
        """The jobs as JobInfo objects (blocking); per-id errors go to :attr:`errors`."""
        pending = self.fetch_jobs()
        records = pending.get_jobs()
        self.errors = getattr(pending, "errors", self.errors)
        return [JobInfo(record) for record in records]
