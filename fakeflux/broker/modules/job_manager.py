"""``job-manager`` (flux-core ``modules/job-manager``), rank 0: ``wait``,
``raise``, ``raiseall``, ``memo``, ``kill``, ``killall``, ``urgency``, ``events-journal`` (+ ``-cancel``),
``getattr``, ``stats-get``, ``queue-status``, ``alloc-query``, ``drain``/``undrain``,
``idle``, ``purge``/``purge-id`` (:mod:`.job_manager_purge`)."""

from __future__ import annotations

import errno
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from fakeflux.broker import jobs as J
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.broker.modules.job_manager_purge import InactivePurge, parse_purge
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

NSIG = 65
USERID_UNKNOWN = 0xFFFFFFFF  # "all users" in raiseall/killall (owner only)


def _int(req: Dict[str, Any], key: str) -> int:
    value = req.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"{key!r} must be an integer")
    return value


_SLICE_INT = re.compile(r"\s*[+-]?\d+")


def _slice(text: str, length: int) -> Optional[List[int]]:
    """libutil slice_parse: "[start:stop:step]" (a ':' required, each part
    optional) as Python slices a list of ``length``; None when malformed."""
    if ":" not in text or len(text) < 2 or text[0] != "[" or text[-1] != "]":
        return None
    parts = text[1:-1].split(":")
    if len(parts) > 3:
        return None
    values: List[Optional[int]] = []
    for part in parts:
        if part == "":
            values.append(None)
        elif _SLICE_INT.fullmatch(part):
            values.append(int(part))
        else:
            return None
    values += [None] * (3 - len(values))
    if values[2] == 0:
        return None
    return list(range(length))[slice(values[0], values[1], values[2])]


class JobManagerModule(BrokerModule):
    name = "job-manager"
    methods = {
        "wait": ("wait", C.ROLE_USER),
        "raise": ("raise_", C.ROLE_USER),
        "memo": ("memo", C.ROLE_USER),
        "raiseall": ("raiseall", C.ROLE_USER),
        "killall": ("killall", C.ROLE_USER),
        "kill": ("kill", C.ROLE_USER),
        "urgency": ("urgency", C.ROLE_USER),
        "events-journal": ("journal", 0),  # owner only, as flux-core registers it (rolemask 0)
        "events-journal-cancel": ("journal_cancel", 0),
        "getattr": ("getattr", C.ROLE_USER),
        "stats-get": ("stats_get", C.ROLE_USER),
        "history.get": ("history_get", C.ROLE_USER),
        "queue-status": ("queue_status", C.ROLE_USER),
        "alloc-query": ("alloc_query", C.ROLE_USER),
        "queue-list": ("queue_list", C.ROLE_USER),
        "resource-status": ("resource_status", C.ROLE_USER),
        "queue-enable": ("queue_enable", 0),
        "queue-start": ("queue_start", 0),
        "drain": ("drain", 0),
        "undrain": ("undrain", 0),
        "idle": ("idle", 0),
        "purge": ("purge", 0),
        "purge-id": ("purge_id", 0),
        "disconnect": ("on_disconnect", C.ROLE_USER),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        self.journals: List[Message] = []
        # "allow"/"deny" of the journal requests that have them, by id() of the request
        self.journal_filters: Dict[int, Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]] = {}
        self.drain_waiters: List[Message] = []
        self.idle_waiters: List[Message] = []
        self.purged = InactivePurge(broker.core)
        self.accepting = True
        self.jobs.listeners.append(self._on_job_event)

    @property
    def jobs(self) -> J.JobSystem:
        return self.broker.core.jobs

    def _lookup(self, jobid: int, unknown: str, inactive: str, errnum: int) -> J.Job:
        job = self.jobs.jobs.get(jobid)
        if job is None:
            raise ServiceError(errnum, unknown)
        if job.state == J.INACTIVE:
            raise ServiceError(errnum, inactive)
        return job

    # -- wait ---------------------------------------------------------------------------------
    def wait(self, msg: Message) -> None:
        try:
            jobid = _int(payload_json(msg.payload), "id") & 0xFFFFFFFFFFFFFFFF
        except ProtocolError:
            raise ServiceError(errno.EPROTO, "malformed wait request") from None
        jobs = self.jobs
        if jobid == J.JOBID_ANY:
            if jobs.zombies:
                jobs.waitables -= 1  # a waitable job is waited for
                self.wait_respond(msg, jobs.zombies.pop(next(iter(jobs.zombies))))
                return
            jobs.wait_any.append((self, msg))
        else:
            zombie = jobs.zombies.pop(jobid, None)
            if zombie is not None:
                jobs.waitables -= 1
                self.wait_respond(msg, zombie)
                return
            found = jobs.jobs.get(jobid)
            if found is None or found.state == J.INACTIVE:
                raise ServiceError(errno.ECHILD, "invalid job id, or job may be inactive and not waitable")
            job = found
            if job.waiter is not None:
                raise ServiceError(errno.ECHILD, "job id already has a waiter")
            if not job.flags & J.FLAG_WAITABLE:
                raise ServiceError(errno.ECHILD, "job was not submitted with FLUX_JOB_WAITABLE")
            job.waiter = (self, msg)
        if not jobs.wait_any:
            return  # (counting the waiters walks every job: only when it can matter)
        waiters = sum(1 for j in jobs.jobs.values() if j.waiter is not None)
        if len(jobs.wait_any) + waiters > jobs.waitables:
            module, last = jobs.wait_any.pop()
            module.respond_error(last, errno.ECHILD, "there are no more waitable jobs")

    def wait_respond(self, msg: Message, job: J.Job) -> None:
        import json

        success = False
        errstr = ""
        end: Dict[str, Any] = json.loads(job.end_event) if job.end_event else {"name": "", "context": {}}
        ctx: Dict[str, Any] = end.get("context", {})
        if end["name"] == "exception":
            errstr = f"Fatal exception type={ctx['type']} {ctx['note']}"
        elif end["name"] == "finish":
            success, errstr = waitstatus_text(ctx["status"])
        self.respond_json(msg, {"id": job.id, "success": success, "errstr": errstr})

    # -- raise, kill, urgency -------------------------------------------------------------------
    def raise_(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid = _int(req, "id")
        severity = _int(req, "severity")
        kind = req.get("type")
        note = req.get("note")
        if not isinstance(kind, str) or (note is not None and not isinstance(note, str)):
            raise ProtocolError("bad raise request")
        if not 0 <= severity <= 7:
            raise ServiceError(errno.EPROTO, "invalid exception severity")
        if not kind or any(c.isspace() or c == "=" for c in kind):
            raise ServiceError(errno.EPROTO, "invalid exception type")
        job = self._lookup(jobid, "unknown job id", "job is inactive", errno.ENOENT)
        if not msg.rolemask & C.ROLE_OWNER and msg.userid != job.userid:
            raise ServiceError(errno.EPERM, "guests can only raise exceptions on their own jobs")
        self.jobs.raise_exception(job, kind, severity, note, userid=msg.userid)
        self.respond(msg)

    def _all_targets(self, msg: Message, userid: int, states: int, guest_error: str) -> List[J.Job]:
        """Active jobs of ``userid`` (any user: FLUX_USERID_UNKNOWN, the owner only) in ``states``."""
        if not msg.rolemask & C.ROLE_OWNER and msg.userid != userid:
            raise ServiceError(errno.EPERM, guest_error)
        return [job for job in self.jobs.jobs.values()
                if job.state != J.INACTIVE and job.state & states
                and (userid == USERID_UNKNOWN or job.userid == userid)]

    def raiseall(self, msg: Message) -> None:
        """raise.c's raiseall: matching jobs counted, an exception raised on each unless dry_run."""
        req = payload_json(msg.payload)
        dry_run, kind, note = req.get("dry_run"), req.get("type"), req.get("note")
        userid, states, severity = _int(req, "userid"), _int(req, "states"), _int(req, "severity")
        if not isinstance(dry_run, bool) or not isinstance(kind, str) or not isinstance(note, (str, type(None))):
            raise ProtocolError("bad raiseall request")
        targets = self._all_targets(msg, userid & 0xFFFFFFFF, states,
                                    "guests can only raise exceptions on their own jobs")
        if not 0 <= severity <= 7:
            raise ServiceError(errno.EPROTO, "invalid exception severity")
        if not kind or any(c.isspace() or c == "=" for c in kind):
            raise ServiceError(errno.EPROTO, "invalid exception type")
        if not dry_run:
            for job in targets:
                self.jobs.raise_exception(job, kind, severity, note, userid=msg.userid)
        self.respond_json(msg, {"count": len(targets), "errors": 0})

    def killall(self, msg: Message) -> None:
        """kill.c's killall: running jobs counted, each signalled unless dry_run."""
        req = payload_json(msg.payload)
        dry_run = req.get("dry_run")
        try:
            userid, signum = _int(req, "userid"), _int(req, "signum")
            if not isinstance(dry_run, bool):
                raise ProtocolError("dry_run")
        except ProtocolError:
            raise ServiceError(errno.EPROTO, "error decoding request") from None
        targets = self._all_targets(msg, userid & 0xFFFFFFFF, J.RUN | J.CLEANUP, "guests can only kill their own jobs")
        if not 0 < signum < NSIG:
            raise ServiceError(errno.EINVAL, "Invalid signal number")
        if not dry_run:
            for job in targets:
                self.jobs.kill(job, signum)
        self.respond_json(msg, {"count": len(targets), "errors": 0})

    def memo(self, msg: Message) -> None:
        """RFC 21 memo (annotate.c): the nested instance's broker posts its
        ``uri`` this way; ``volatile`` keeps it out of the KVS eventlog."""
        req = payload_json(msg.payload)
        jobid = _int(req, "id")
        volatile = req.get("volatile", False)
        if not isinstance(volatile, bool) or "memo" not in req:
            raise ProtocolError("bad memo request")
        job = self._lookup(jobid, "unknown job id", "job is inactive", errno.ENOENT)
        if not msg.rolemask & C.ROLE_OWNER and msg.userid != job.userid:
            raise ServiceError(errno.EPERM, "guests can only add a memo to their own jobs")
        memo = req["memo"]
        if not isinstance(memo, dict):  # annotations_update refuses it before anything is posted
            raise ServiceError(errno.EINVAL)
        self.jobs.memo(job, memo, volatile)
        self.respond(msg)

    def kill(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid = _int(req, "id")
        signum = _int(req, "signum")
        if not 0 < signum < NSIG:
            raise ServiceError(errno.EINVAL, "Invalid signal number")
        job = self._lookup(jobid, "unknown job id", "job is inactive", errno.EINVAL)
        if not msg.rolemask & C.ROLE_OWNER and msg.userid != job.userid:
            raise ServiceError(errno.EPERM, "guests may only send signals to their own jobs")
        if job.state not in (J.RUN, J.CLEANUP):
            raise ServiceError(errno.EINVAL, "job is not running")
        self.jobs.kill(job, signum)
        self.respond(msg)

    def urgency(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid = _int(req, "id")
        urgency = _int(req, "urgency")
        if not J.URGENCY_MIN <= urgency <= J.URGENCY_MAX:
            raise ServiceError(errno.EINVAL, "urgency value is out of range")
        job = self._lookup(jobid, "unknown job", "job is inactive", errno.EINVAL)
        owner = bool(msg.rolemask & C.ROLE_OWNER)
        if not owner and msg.userid != job.userid:
            raise ServiceError(errno.EPERM, "guests can only reprioritize their own jobs")
        if not owner and urgency > max(J.URGENCY_DEFAULT, job.urgency):
            raise ServiceError(errno.EPERM, "guests can only adjust urgency <= default")
        if job.alloc or job.state >= J.RUN:
            raise ServiceError(errno.EINVAL, "urgency cannot be changed once resources are allocated")
        old = self.jobs.set_urgency(job, urgency, msg.userid)
        self.respond_json(msg, {"old_urgency": old})

    # -- the journal ----------------------------------------------------------------------------
    def journal(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        full = req.get("full", False)
        if not isinstance(full, bool):
            raise ProtocolError("'full' must be a boolean")
        # flux-core's texts (they name the service by its old name)
        if not msg.flags & C.FLAG_STREAMING:
            raise ServiceError(errno.EPROTO, "job-manager.events requires streaming RPC flag")
        allow, deny = req.get("allow"), req.get("deny")
        if allow is not None and not isinstance(allow, dict):
            raise ServiceError(errno.EPROTO, "job-manager.events allow should be an object")
        if deny is not None and not isinstance(deny, dict):
            raise ServiceError(errno.EPROTO, "job-manager.events deny should be an object")
        if allow is not None or deny is not None:
            self.journal_filters[id(msg)] = (allow, deny)
        import json

        # As flux-core's journal.c: the backlog is one response per job
        # holding all its events so far (inactive jobs only when "full"),
        # with its redacted jobspec and R when it has them.
        for job in sorted(self.jobs.jobs.values(), key=lambda j: j.id):
            if not self._visible(msg, job) or (job.state == J.INACTIVE and not full):
                continue
            entries = [json.loads(line) for line in job.eventlog]
            backlog: Dict[str, Any] = {"id": job.id, "events": [e for e in entries if self._allowed(msg, e["name"])]}
            backlog["jobspec"] = _redacted_jobspec(job)
            if job.R is not None:
                backlog["R"] = job.R
            self.respond_json(msg, backlog)
        self.respond_json(msg, {"id": -1, "events": []})
        self.journals.append(msg)

    def _allowed(self, msg: Message, name: str) -> bool:
        """The request's "allow"/"deny" event-name filters (objects whose keys are names)."""
        allow, deny = self.journal_filters.get(id(msg), (None, None))
        if allow is not None and name not in allow:
            return False
        return deny is None or name not in deny

    def _drop_journals(self, gone: List[Message]) -> None:
        for req in gone:
            self.journals.remove(req)
            self.journal_filters.pop(id(req), None)

    @staticmethod
    def _visible(msg: Message, job: J.Job) -> bool:
        return bool(msg.rolemask & C.ROLE_OWNER) or msg.userid == job.userid

    def _journal_entry(self, job: J.Job, entry: Dict[str, Any], full: bool) -> Dict[str, Any]:
        out: Dict[str, Any] = {"id": job.id, "events": [entry]}
        if full and entry["name"] == "submit":
            out["jobspec"] = _redacted_jobspec(job)
        if full and entry["name"] == "alloc" and job.R is not None:
            out["R"] = job.R
        return out

    def _on_job_event(self, job: J.Job, what: str, entry: Dict[str, Any]) -> None:
        if what == "event":
            for msg in self.journals:
                if self._visible(msg, job) and self._allowed(msg, entry["name"]):
                    self.respond_json(msg, self._journal_entry(job, entry, True))
        elif job.state == J.INACTIVE and self.drain_waiters and all(
            j.state == J.INACTIVE for j in self.jobs.jobs.values()
        ):
            for msg in self.drain_waiters:
                self.respond(msg)
            self.drain_waiters.clear()
        if self.idle_waiters:
            self._check_idle()

    def journal_cancel(self, msg: Message) -> None:
        matchtag = payload_json(msg.payload).get("matchtag")
        if not isinstance(matchtag, int):
            raise ProtocolError("'matchtag' must be an integer")
        gone = [m for m in self.journals if m.sender == msg.sender and m.matchtag == matchtag]
        self._drop_journals(gone)
        for req in gone:
            self.respond_error(req, errno.ENODATA)

    def on_disconnect(self, msg: Message) -> None:
        sender = msg.sender
        self._drop_journals([m for m in self.journals if m.sender == sender])
        self.drain_waiters = [m for m in self.drain_waiters if m.sender != sender]
        self.idle_waiters = [m for m in self.idle_waiters if m.sender != sender]
        jobs = self.jobs
        jobs.wait_any = [(mod, m) for mod, m in jobs.wait_any if m.sender != sender]
        for job in jobs.jobs.values():
            if job.waiter is not None and job.waiter[1].sender == sender:
                job.waiter = None

    # -- the history jobtap plugin: the requester's jobs, newest first -------------------------------
    def history_get(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        text = req.get("slice")
        if not isinstance(text, str):
            raise ServiceError(errno.EPROTO)
        jobs = sorted((j for j in self.jobs.jobs.values() if j.userid == msg.userid),
                      key=lambda j: j.t_submit, reverse=True)
        chosen = _slice(text, len(jobs))
        if chosen is None:
            raise ServiceError(errno.EINVAL, "could not parse python-style slice expression")
        self.respond_json(msg, {"jobs": [jobs[i].id for i in chosen]})

    # -- misc --------------------------------------------------------------------------------------
    def getattr(self, msg: Message) -> None:
        # As flux-core's getattr.c: active and inactive jobs; the answer holds
        # exactly the attrs asked for (redacted jobspec, R, the eventlog as an
        # array of entries).
        import json

        req = payload_json(msg.payload)
        jobid = _int(req, "id")
        if "attrs" not in req:
            raise ProtocolError("'attrs' is required")
        attrs = req["attrs"]
        if not isinstance(attrs, list):
            attrs = []  # any JSON value is taken; only an array has members
        job = self.jobs.jobs.get(jobid)
        if job is None:
            raise ServiceError(errno.EINVAL, "unknown job")
        if not self._visible(msg, job):
            raise ServiceError(errno.EPERM, "guests can only access their own jobs")
        out: Dict[str, Any] = {}
        for name in attrs:
            if not isinstance(name, str):
                raise ServiceError(errno.EPROTO, "attribute list contains non-string")
            if name == "jobspec":
                out["jobspec"] = _redacted_jobspec(job)
            elif name == "R":
                if job.R is None:
                    raise ServiceError(errno.ENOENT, "R is NULL")
                out["R"] = job.R
            elif name == "eventlog":
                out["eventlog"] = [json.loads(line) for line in job.eventlog]
            else:
                raise ServiceError(errno.ENOENT, f"unknown attr {name}")
        self.respond_json(msg, out)

    def stats_get(self, msg: Message) -> None:
        counts = {name.lower(): 0 for name in J.STATE_NAMES.values()}
        for job in self.jobs.jobs.values():
            counts[J.STATE_NAMES[job.state].lower()] += 1
        active = sum(1 for j in self.jobs.jobs.values() if j.state != J.INACTIVE)
        self.respond_json(
            msg,
            {
                "journal": {"listeners": len(self.journals)},
                "active_jobs": active,
                "inactive_jobs": len(self.jobs.jobs) - active,
                "max_jobid": max(max(self.jobs.jobs, default=0), self.purged.max_id),
                "housekeeping": {"running": {}},
            },
        )

    def resource_status(self, msg: Message) -> None:
        """What the running jobs hold, as one R (resource.sched-status asks this)."""
        sched = self.jobs.sched
        R = J.resources.encode_R(sched.allocated(), sched.hostnames(), 0.0, 0.0)
        self.respond_json(msg, {"allocated": R})

    # -- queues (the state lives with the scheduler: fakeflux.broker.jobs.queues) ----------------
    def queue_list(self, msg: Message) -> None:
        self.respond_json(msg, {"queues": self.jobs.sched.queues.list()})

    def queue_status(self, msg: Message) -> None:
        name = payload_json(msg.payload).get("name")
        if name is not None and not isinstance(name, str):
            raise ProtocolError("'name' must be a string")
        status = self.jobs.sched.queues.lookup(name).status()
        if name is None and not self.accepting:
            status["enable"] = False
        self.respond_json(msg, status)

    def alloc_query(self, msg: Message) -> None:
        """alloc.c: requests waiting to be sent (none: sched-simple takes
        every one at once), requests the scheduler holds (jobs it could run
        now that their queue is started), jobs in RUN or CLEANUP.  The
        payload is not read, as flux-core does not."""
        jobs = self.jobs
        running = sum(1 for j in jobs.jobs.values() if j.state in (J.RUN, J.CLEANUP))
        self.respond_json(msg, {"queue_length": 0, "alloc_pending": len(jobs.sched.pending()),
                                "running": running})

    @staticmethod
    def _queue_request(msg: Message, flag: str) -> Tuple[Optional[str], bool, Optional[str], bool]:
        req = payload_json(msg.payload)
        name, on, reason, all_ = req.get("name"), req.get(flag), req.get("reason"), req.get("all")
        if (not isinstance(on, bool) or not isinstance(all_, bool) or not isinstance(name, (str, type(None)))
                or not isinstance(reason, (str, type(None)))):
            raise ProtocolError(f"queue request needs boolean '{flag}' and 'all'")
        return name, on, reason, all_

    def queue_enable(self, msg: Message) -> None:
        self.jobs.sched.queues.enable(*self._queue_request(msg, "enable"))
        self.respond(msg)

    def queue_start(self, msg: Message) -> None:
        self.jobs.sched.queues.start(*self._queue_request(msg, "start"))
        self.respond(msg)
        self.jobs.sched.schedule()  # jobs of a started queue are offered to the scheduler
        self._check_idle()  # a stopped queue's jobs are no longer waiting on the scheduler

    def drain(self, msg: Message) -> None:
        self.accepting = False
        if all(j.state == J.INACTIVE for j in self.jobs.jobs.values()):
            self.respond(msg)
        else:
            self.drain_waiters.append(msg)

    def undrain(self, msg: Message) -> None:
        self.accepting = True
        self.respond(msg)

    # -- purge (the inactive jobs: job-manager's purge.c) --------------------------------------------
    def purge(self, msg: Message) -> None:
        """The count of jobs the limits make eligible; with force, purged
        (at most one batch: the command asks again while batches come back full)."""
        req = parse_purge(payload_json(msg.payload))
        chosen = self.purged.eligible(req["age"], req["num"], req["batch"] if req["force"] else len(self.jobs.jobs))
        if req["force"]:
            self.purged.purge(chosen)
        self.respond_json(msg, {"count": len(chosen)})

    def purge_id(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid, force = req.get("id"), req.get("force")
        if not isinstance(jobid, int) or isinstance(jobid, bool) or not isinstance(force, int) or isinstance(
                force, bool) or not -(2**63) <= jobid < 2**63:  # jansson's "I" reads an int64, "i" no boolean
            raise ServiceError(errno.EPROTO)
        jobid &= 0xFFFFFFFFFFFFFFFF  # as flux_jobid_t: -1 is FLUX_JOBID_ANY
        if jobid == J.JOBID_ANY:
            raise ServiceError(errno.EINVAL)
        job = self.purged.candidate(jobid)
        if force:
            self.purged.purge([job])
        self.respond_json(msg, {"count": 1})

    def idle(self, msg: Message) -> None:
        """Answered once no job holds resources and none waits on the scheduler
        (drain.c's idle condition), with the count of active jobs left over
        ("pending": held, dependent, or in a stopped queue)."""
        self.idle_waiters.append(msg)
        self._check_idle()

    def _check_idle(self) -> None:
        if not self.idle_waiters:
            return
        jobs = self.jobs
        if jobs.sched.pending():
            return
        running = active = 0
        for job in jobs.jobs.values():
            if job.state != J.INACTIVE:
                active += 1
                running += job.state in (J.RUN, J.CLEANUP)
        if running:
            return
        waiters, self.idle_waiters = self.idle_waiters, []
        for waiter in waiters:
            self.respond_json(waiter, {"pending": active})


_SIGNAMES = {1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction", 6: "Aborted", 7: "Bus error",
             8: "Floating point exception", 9: "Killed", 10: "User defined signal 1", 11: "Segmentation fault",
             12: "User defined signal 2", 13: "Broken pipe", 14: "Alarm clock", 15: "Terminated"}


def strsignal(sig: int) -> str:
    return _SIGNAMES.get(sig, f"Unknown signal {sig}")


def _redacted_jobspec(job: J.Job) -> Dict[str, Any]:
    """The jobspec as the job manager keeps it: without the environment (job-ingest drops it)."""
    system = job.jobspec.get("attributes", {}).get("system", {})
    if "environment" not in system:
        return job.jobspec
    attributes = {**job.jobspec["attributes"], "system": {k: v for k, v in system.items() if k != "environment"}}
    return {**job.jobspec, "attributes": attributes}


def waitstatus_text(status: int) -> Tuple[bool, str]:
    """flux_job_waitstatus_to_exitcode: (success, error text)."""
    if status & 0x7F and (status & 0x7F) != 0x7F:  # WIFSIGNALED
        return False, f"job shell {strsignal(status & 0x7F)}"
    code = (status >> 8) & 0xFF
    if code > 128:
        return False, f"task(s) {strsignal(code - 128)}"
    if code > 0:
        return False, f"task(s) exited with exit code {code}"
    return True, ""


def optional_int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
