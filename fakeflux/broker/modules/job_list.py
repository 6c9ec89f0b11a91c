"""``job-list`` (flux-core ``modules/job-list``), rank 0: ``list`` (RFC 31
constraints: and/or/not, userid, name, queue, states, results, t_submit ...
comparisons), ``list-id`` and ``list-attrs``."""

from __future__ import annotations

import errno
from typing import Any, Callable, Dict, Iterable, List, Optional

from fakeflux.broker import jobs as J
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs.list_match import ConstraintError, JobView, compile_constraint
from fakeflux.broker.jobs.queues import zhashx_order
from fakeflux.broker.module import BrokerModule
from fakeflux.broker.modules.job_manager import JobManagerModule
from fakeflux.broker.modules.job_manager_purge import InactivePurge
from fakeflux.wire import Message, payload_json
from fakeflux.wire import constants as C

ATTRS = ["userid", "urgency", "priority", "t_submit", "t_depend", "t_priority", "t_sched", "t_run", "t_cleanup",
         "t_inactive", "state", "name", "cwd", "queue", "project", "bank", "ntasks", "ncores", "duration",
         "nnodes", "ranks", "nodelist", "expiration", "waitstatus", "success", "exception_occurred",
         "exception_severity", "exception_type", "exception_note", "result", "annotations", "dependencies"]
_T = {"t_depend": J.DEPEND, "t_priority": J.PRIORITY, "t_sched": J.SCHED, "t_run": J.RUN,
      "t_cleanup": J.CLEANUP, "t_inactive": J.INACTIVE}


def attr_value(job: J.Job, attr: str) -> Any:
    """store_attr in job_util.c: the value, or ``...`` when it is left out."""
    mask = job.states_mask
    if attr == "userid":
        return job.userid
    if attr == "urgency":
        return job.urgency
    if attr == "priority":
        return job.priority if mask & J.SCHED else ...
    if attr == "t_submit":
        return job.t_submit
    if attr in _T:
        state = _T[attr]
        if attr == "t_depend":
            return job.t_submit if mask & J.DEPEND else ...
        return job.times[state] if mask & state and state in job.times else ...
    if attr == "state":
        return job.state
    if attr == "name":
        return job.name if job.name is not None else ...
    if attr == "cwd":
        return job.cwd if isinstance(job.cwd, str) else ...
    if attr == "queue":
        return job.queue if isinstance(job.queue, str) else ...
    if attr == "dependencies":  # once one was added; empty when all were removed
        return list(job.dependencies) if job.dependencies is not None else ...
    if attr in ("project", "bank"):
        return ...
    if attr == "ntasks":
        return job.request.ntasks
    if attr == "ncores":
        if job.alloc or mask & J.RUN:
            return sum(len(c) for _, c, _ in _alloc_of(job))
        return job.request.nslots * job.request.slot_cores
    if attr == "duration":
        return job.duration
    if attr == "nnodes":
        if mask & J.RUN:
            return len(_alloc_of(job))
        return job.request.nnodes if job.request.nnodes else ...
    if attr == "ranks":
        # idset_encode with IDSET_FLAG_BRACKETS: "[0-1]", "[0,2]", but "2"
        return J.idset_encode([r for r, _, _ in _alloc_of(job)], brackets=True) if mask & J.RUN and job.R else ...
    if attr == "nodelist":
        return job.R["execution"]["nodelist"][0] if mask & J.RUN and job.R and job.R["execution"]["nodelist"] \
            else ...
    if attr == "expiration":
        return job.expiration if mask & J.RUN and job.expiration >= 0 else ...
    if attr == "waitstatus":
        return job.wait_status if job.wait_status >= 0 else ...
    inactive = bool(mask & J.INACTIVE)
    exc = job.exception
    if attr == "success":
        return job.success if inactive else ...
    if attr == "exception_occurred":
        return exc is not None if inactive else ...
    if attr == "exception_severity":
        return exc["severity"] if inactive and exc else ...
    if attr == "exception_type":
        return exc["type"] if inactive and exc else ...
    if attr == "exception_note":
        return exc["note"] if inactive and exc and exc.get("note") is not None else ...
    if attr == "result":
        return job.result if inactive else ...
    if attr == "annotations":
        # kept once inactive, as flux-core's job-list does (only "annotations" events change them)
        return job.annotations if job.annotations and job.state in (J.RUN, J.CLEANUP, J.SCHED, J.INACTIVE) else ...
    raise ServiceError(errno.EINVAL, f"{attr} is not a valid attribute")


def _alloc_of(job: J.Job) -> List[Any]:
    if job.R is None:
        return []
    out: List[Any] = []
    for entry in job.R["execution"]["R_lite"]:
        cores = _idset_decode(entry["children"].get("core", ""))
        for r in _idset_decode(entry["rank"]):
            out.append((r, cores, []))
    return out


def _idset_decode(text: str) -> List[int]:
    out: List[int] = []
    for part in text.strip("[]").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def job_to_json(job: J.Job, attrs: List[Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"id": job.id}
    for attr in attrs:
        if not isinstance(attr, str):
            raise ServiceError(errno.EINVAL, "attr has no string value")
        for name in ATTRS if attr == "all" else [attr]:
            value = attr_value(job, name)
            if value is not ...:
                out[name] = value
    return out


def _timestamp(job: J.Job, name: str) -> Optional[float]:
    value = attr_value(job, name)
    return None if value is ... else float(value)


def _ranks(job: J.Job) -> Optional[List[int]]:
    return [r for r, _, _ in _alloc_of(job)] if job.states_mask & J.RUN and job.R else None


def _nodelist(job: J.Job) -> Optional[str]:
    value = attr_value(job, "nodelist")
    return None if value is ... else str(value)


def _queue_parents(config: Dict[str, Any]) -> Dict[str, str]:
    """[queues.NAME] parent = "P": virtual queue NAME's jobs count as P's too."""
    table = config.get("queues")
    parents: Dict[str, str] = {}
    if isinstance(table, dict):
        for name, conf in table.items():
            if isinstance(conf, dict) and isinstance(conf.get("parent"), str):
                parents[name] = conf["parent"]
    return parents


def ordered_jobs(jobs: J.JobSystem) -> List[J.Job]:
    """Pending (priority, then submission), running (latest t_run first),
    inactive (latest t_inactive first), as job-list keeps its lists."""
    pending = [j for j in jobs.jobs.values() if j.state in (J.NEW, J.DEPEND, J.PRIORITY, J.SCHED)]
    running = [j for j in jobs.jobs.values() if j.state in (J.RUN, J.CLEANUP)]
    inactive = [j for j in jobs.jobs.values() if j.state == J.INACTIVE]
    pending.sort(key=lambda j: (-j.priority, j.t_submit, j.id))
    running.sort(key=lambda j: -j.times.get(J.RUN, 0.0))
    inactive.sort(key=lambda j: -j.times.get(J.INACTIVE, 0.0))
    return pending + running + inactive


def _owned_by(userid: int, match: Callable[[J.Job], bool]) -> Callable[[J.Job], bool]:
    """``match`` ANDed with the job belonging to ``userid`` (private mode)."""
    return lambda job: job.userid == userid and match(job)


class JobListModule(BrokerModule):
    name = "job-list"
    methods = {
        "list": ("list", C.ROLE_USER),
        "list-id": ("list_id", C.ROLE_USER),
        "list-attrs": ("list_attrs", C.ROLE_USER),
        "job-stats": ("job_stats", C.ROLE_USER),
    }

    def list(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        max_entries, attrs = req.get("max_entries"), req.get("attrs", ...)
        since = req.get("since", 0.0)
        if not isinstance(max_entries, int) or attrs is ... or not isinstance(since, (int, float)):
            raise ServiceError(errno.EPROTO, "invalid payload: '{s:i s:o s?F s?o}' unpack failed")
        if max_entries < 0:
            raise ServiceError(errno.EPROTO, "invalid payload: max_entries < 0 not allowed")
        if since < 0:
            raise ServiceError(errno.EPROTO, "invalid payload: since < 0.0 not allowed")
        if not isinstance(attrs, list):
            raise ServiceError(errno.EPROTO, "invalid payload: attrs must be an array")
        # Every user sees every job here, as in flux-core v0.88's job-list
        # (job-info guards eventlogs and jobspecs, job-list does not), unless
        # [access] private-mode limits a guest to its own.
        constraint = req.get("constraint")
        core = self.broker.core
        view = JobView(_nodelist, _ranks, _timestamp, _queue_parents(core.config.data), core.size)
        try:
            match = compile_constraint(constraint, view) if constraint is not None else (lambda j: True)
        except ConstraintError as exc:
            raise ServiceError(errno.EPROTO, f"invalid payload: constraint object invalid: {exc}") from None
        only = self._restricted_to(msg)
        if only is not None:
            match = _owned_by(only, match)
        out = []
        for job in ordered_jobs(self.broker.core.jobs):
            inactive_t = job.times.get(J.INACTIVE, 0.0) if job.state == J.INACTIVE else 0.0
            if inactive_t and inactive_t <= since:
                continue
            if match(job):
                out.append(job_to_json(job, attrs))
                if len(out) == max_entries:
                    break
        if msg.flags & C.FLAG_STREAMING:
            for i, job_obj in enumerate(out):
                self.respond_json(msg, {"jobs": [job_obj], "version": 1} if i == 0 else {"jobs": [job_obj]})
            self.respond_error(msg, errno.ENODATA)
        else:
            self.respond_json(msg, {"jobs": out})

    def list_id(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid, attrs, state = req.get("id"), req.get("attrs", ...), req.get("state", 0)
        if not isinstance(jobid, int) or attrs is ... or not isinstance(state, int):
            raise ServiceError(errno.EPROTO, "invalid payload: '{s:I s:o s?i}' unpack failed")
        if not isinstance(attrs, list):
            raise ServiceError(errno.EPROTO, "invalid payload: attrs must be an array")
        if state and state & ~127:
            raise ServiceError(errno.EPROTO, "invalid payload: invalid state specified")
        jobs = self.broker.core.jobs
        job = jobs.jobs.get(jobid)
        if job is None:
            raise ServiceError(errno.ENOENT)
        if self._restricted_to(msg) not in (None, job.userid):
            raise ServiceError(errno.ENOENT, "")  # as for no such job; real v0.88 sends an empty text
        if state and not job.states_mask & state:
            def later(j: J.Job, what: str, entry: Dict[str, Any]) -> None:
                if j is job and job.states_mask & state:
                    jobs.listeners.remove(later)
                    self.respond_json(msg, {"job": job_to_json(job, attrs)})

            jobs.listeners.append(later)
            return
        self.respond_json(msg, {"job": job_to_json(job, attrs)})

    def list_attrs(self, msg: Message) -> None:
        # flux-core's list.c appends the pseudo-attribute "all" to the list
        self.respond_json(msg, {"attrs": [*ATTRS, "all"]})

    def _restricted_to(self, msg: Message) -> Optional[int]:
        """auth.c: with ``[access] private-mode``, a requester who is neither
        owner nor admin sees only its own jobs; the userid to keep, or None."""
        access = self.broker.core.config.data.get("access")
        private = isinstance(access, dict) and access.get("private-mode") is True
        return msg.userid if private and not msg.rolemask & (C.ROLE_OWNER | C.ROLE_ADMIN) else None

    def job_stats(self, msg: Message) -> None:
        """stats.c: totals, then one entry per queue (the configured ones,
        listed as job-list's hash table iterates them)."""
        if self._restricted_to(msg) is not None:
            raise ServiceError(errno.EPERM)  # no aggregate statistics for guests in private mode
        jobs = list(self.broker.core.jobs.jobs.values())
        purged = self._purged()
        table = self.broker.core.config.data.get("queues")
        names = zhashx_order(list(table)) if isinstance(table, dict) else []
        names += sorted(({j.queue for j in jobs if isinstance(j.queue, str)} | set(purged.by_queue)) - set(names))
        queues = [{**_stats_of(j for j in jobs if j.queue == name), "inactive_purged": purged.by_queue.get(name, 0),
                   "name": name} for name in names]
        self.respond_json(msg, {**_stats_of(jobs), "inactive_purged": purged.count, "queues": queues})

    def _purged(self) -> InactivePurge:
        """job-manager's record of the purged jobs (job-list counts them from its purge events)."""
        manager = self.broker.modules.get("job-manager")
        return manager.purged if isinstance(manager, JobManagerModule) else InactivePurge(self.broker.core)


def _stats_of(jobs: Iterable[J.Job]) -> Dict[str, Any]:
    counts = {name.lower(): 0 for name in J.STATE_NAMES.values() if name != "NEW"}
    results = {J.COMPLETED: 0, J.FAILED: 0, J.CANCELED: 0, J.TIMEOUT: 0}
    total = 0
    for job in jobs:
        total += 1
        if job.state in J.STATE_NAMES and job.state != J.NEW:
            counts[J.STATE_NAMES[job.state].lower()] += 1
        if job.state == J.INACTIVE:
            results[job.result] += 1
    return {"job_states": {**counts, "total": total}, "successful": results[J.COMPLETED],
            "failed": results[J.FAILED], "canceled": results[J.CANCELED], "timeout": results[J.TIMEOUT],
            "inactive_purged": 0}
