"""Listing jobs (``job-list.list`` / ``job-list.list-id``): flux-core's ``flux.job.list``."""

from __future__ import annotations

import errno
import os
import pwd
from collections.abc import Iterable
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


class JobListRPC(RPC):
    """A ``job-list.list`` request (always streaming); :meth:`get_jobs` gathers every job."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["flags"] = kwargs.get("flags", 0) | constants.FLUX_RPC_STREAMING
        super().__init__(*args, **kwargs)

    def get_jobs(self) -> List[Dict[str, Any]]:
        """Every job of the answer (one per response, until ENODATA; version 0 sends one response)."""
        jobs: List[Dict[str, Any]] = []
        first = True
        while True:
            try:
                resp = self.get()
            except OSError as exc:
                if exc.errno == errno.ENODATA:
                    break
                raise
            jobs.extend(resp["jobs"])
            if first:
                if resp.get("version", 0) == 0:
                    break
                first = False
            self.reset()
        return jobs

    def get_jobinfos(self) -> Iterator[JobInfo]:
        for job in self.get_jobs():
            yield JobInfo(job)


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
    clauses: List[Any] = [] if constraint is None else [constraint]
    if userid != constants.FLUX_USERID_UNKNOWN:
        clauses.append({"userid": [userid]})
    if name:
        clauses.append({"name": [name]})
    if queue:
        if isinstance(queue, str):
            queue = [queue]
        if not isinstance(queue, Iterable):
            raise ValueError("queue parameter must be a string or iterable")
        clauses.append({"queue": list(queue)})
    if states and results:
        clauses.append({"or": [{"states": [states]}, {"results": [results]}]})
    elif states:
        clauses.append({"states": [states]})
    elif results:
        clauses.append({"results": [results]})
    payload = {"max_entries": int(max_entries), "attrs": attrs, "since": since, "constraint": {"and": clauses}}
    return JobListRPC(flux_handle, "job-list.list", payload)


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
    return job_list(
        flux_handle,
        max_entries=max_entries,
        attrs=attrs,
        userid=constants.FLUX_USERID_UNKNOWN,
        states=constants.FLUX_JOB_STATE_INACTIVE,
        since=since,
        name=name,
        queue=queue,
        constraint=constraint,
    )


class JobListIdRPC(RPC):
    """A ``job-list.list-id`` request: :meth:`get_job` (dict) or :meth:`get_jobinfo`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.jobid: Any = None

    def get_job(self) -> Dict[str, Any]:
        job = self.get()["job"]
        assert isinstance(job, dict)
        return job

    def get_jobinfo(self) -> JobInfo:
        return JobInfo(self.get_job())


def job_list_id(flux_handle: Any, jobid: Any, attrs: Sequence[str] = ["all"]) -> JobListIdRPC:  # noqa: B006
    """Ask for one job's record (FileNotFoundError from ``get_job()`` if unknown)."""
    rpc = JobListIdRPC(flux_handle, "job-list.list-id", {"id": int(jobid), "attrs": attrs})
    rpc.jobid = jobid
    return rpc


def get_job(flux_handle: Any, jobid: Any) -> Optional[Dict[str, Any]]:
    """One job's record as an unfiltered dict, or None if the job is unknown."""
    rpc = JobListIdRPC(flux_handle, "job-list.list-id", {"id": int(jobid), "attrs": ["all"]})
    try:
        info = rpc.get_jobinfo()
    except FileNotFoundError:
        return None
    return info.to_dict(filtered=False)


class JobListIdsFuture(WaitAllFuture):
    """Several ``list-id`` requests at once; errors are collected in :attr:`errors`."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: List[str] = []

    def get_jobs(self) -> List[Dict[str, Any]]:
        self.wait_for()
        jobs: List[Dict[str, Any]] = []
        for child in self.children:
            assert isinstance(child, JobListIdRPC)
            try:
                jobs.append(child.get_job())
            except OSError as err:
                if err.errno == errno.ENOENT:
                    self.errors.append(f"JobID {child.jobid.orig} unknown")
                else:
                    self.errors.append(f"rpc: {err.strerror}")
        return jobs

    def get_jobinfos(self) -> List[JobInfo]:
        return [JobInfo(job) for job in self.get_jobs()]


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
        self.handle = flux_handle
        self.attrs = list(attrs)
        self.states = 0
        self.results = 0
        self.max_entries = max_entries
        self.since = since
        self.name = name
        self.queue = queue
        self.ids = [JobID(i) for i in ids] if ids else None
        self.errors: List[str] = []
        for fname in filters:
            for part in fname.split(","):
                self.add_filter(part)
        self.userid = os.getuid()
        self.set_user(user)
        self.constraint = constraint

    def set_user(self, user: Any) -> None:
        """Only list jobs of ``user`` (a name, a uid, or "all")."""
        if user is None:
            self.userid = os.getuid()
        elif user == "all":
            self.userid = constants.FLUX_USERID_UNKNOWN
        else:
            try:
                self.userid = pwd.getpwnam(user).pw_uid
            except (KeyError, TypeError):
                try:
                    self.userid = int(user)
                except ValueError:
                    raise ValueError(f"Invalid user {user} specified") from None

    def add_filter(self, fname: str) -> None:
        fname = fname.lower()
        if fname in self.STATES:
            self.states |= self.STATES[fname]
        elif fname in self.RESULTS:
            self.results |= self.RESULTS[fname]
        else:
            raise ValueError(f"Invalid filter specified: {fname}")

    def fetch_jobs(self) -> Any:
        """Send the query; a JobListRPC, or a JobListIdsFuture with ``ids``."""
        if self.ids:
            listids = JobListIdsFuture()
            for jobid in self.ids:
                listids.push(job_list_id(self.handle, jobid, self.attrs))
            return listids
        return job_list(
            self.handle,
            max_entries=self.max_entries,
            attrs=self.attrs,
            userid=self.userid,
            states=self.states,
            results=self.results,
            since=self.since,
            name=self.name,
            queue=self.queue,
            constraint=self.constraint,
        )

    def jobs(self) -> List[JobInfo]:
        """The jobs as JobInfo objects (blocking); per-id errors go to :attr:`errors`."""
        rpc = self.fetch_jobs()
        jobs = rpc.get_jobs()
        if hasattr(rpc, "errors"):
            self.errors = rpc.errors
        return [JobInfo(job) for job in jobs]
