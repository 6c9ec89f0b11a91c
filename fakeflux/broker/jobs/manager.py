"""The job manager (``core.jobs``): job-ingest's bookkeeping, the RFC 21 state
machine, each job's eventlog in the KVS at ``job.<dothex>.eventlog`` as
flux-core writes it, and the hand-offs to the scheduler (:mod:`.sched`) and an
exec back end (:mod:`.exec`).

Time: delays of simulated execution and scripted outcomes are simulated
seconds, run on the IO loop through ``core.call_later`` after multiplying by
``time_scale`` (real seconds per simulated second; 0 runs a one-hour job at
once).  The default comes from the configuration ``[fakeflux] time-scale``,
else 1.0.  Eventlog timestamps follow a simulated clock that jumps forward
when a scaled timer fires early, so a one-hour job still shows one hour
between ``start`` and ``finish``.
"""

from __future__ import annotations

import errno
import math
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs.depend import Dependencies, DependencyRejected
from fakeflux.broker.jobs.eventlog import dumps, dumps_spaced, eventlog_entry
from fakeflux.broker.jobs.exec import ExecBackend, ProcessHost
from fakeflux.broker.jobs.exec_fakenode import FakeNodeExec
from fakeflux.broker.jobs.exec_local import LocalExec
from fakeflux.broker.jobs.exec_sim import JobScript, SimulatedExec
from fakeflux.broker.jobs.model import (
    CLEANUP,
    DEPEND,
    FLAG_WAITABLE,
    INACTIVE,
    PRIORITY,
    PRIORITY_MAX,
    RUN,
    SCHED,
    SIGALRM,
    SIGTERM,
    URGENCY_EXPEDITE,
    URGENCY_HOLD,
    Job,
)
from fakeflux.broker.jobs.sched import Alloc, SimpleScheduler
from fakeflux.broker.jobs.util import guest_namespace, kvs_key

if TYPE_CHECKING:
    from fakeflux.broker.instance import InstanceCore

Listener = Callable[[Job, str, Dict[str, Any]], None]

EXEC_MODES = ("local", "simulated")


class JobSystem:
    def __init__(self, core: InstanceCore) -> None:
        self.core = core
        self.jobs: Dict[int, Job] = {}
        self.scripts: List[JobScript] = []
        self.listeners: List[Listener] = []
        self.skew = 0.0
        self._last_ts = -1
        self._seq = 0
        self._time_scale: Optional[float] = None
        self.sched = SimpleScheduler(self)
        self.simulated: ExecBackend = SimulatedExec(self)
        self.local: Optional[LocalExec] = None
        self.exec_choice: Optional[str] = None  # Instance(exec=...), fakeflux start --exec: beats the config
        self.fake_nodes: ExecBackend = FakeNodeExec(self)
        self.zombies: Dict[int, Job] = {}  # waitable, inactive, not yet waited for
        self._pending_kvs: List[Tuple[str, Dict[str, Any]]] = []  # (namespace, op) in order
        self.wait_any: List[Any] = []  # wait requests for any job, with their module
        self.waitables = 0
        self.deps = Dependencies(self)  # the dependency plugins (after*, begin-time, singleton)

    # -- configuration --------------------------------------------------------------------
    def fakeflux_conf(self) -> Dict[str, Any]:
        conf = self.core.config.data.get("fakeflux", {})
        return conf if isinstance(conf, dict) else {}

    @property
    def time_scale(self) -> float:
        if self._time_scale is not None:
            return self._time_scale
        value = self.fakeflux_conf().get("time-scale", 1.0)
        return float(value) if isinstance(value, (int, float)) and value >= 0 else 1.0

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        if not value >= 0 or math.isinf(value):
            raise ValueError("time_scale must be a finite number >= 0")
        self._time_scale = float(value)

    def cores_per_rank(self) -> int:
        return self.sched.cores_per_rank()

    def gpus_per_rank(self) -> int:
        return self.sched.gpus_per_rank()

    def R_of(self, alloc: Alloc, starttime: float, expiration: float) -> Dict[str, Any]:
        return self.sched.R_of(alloc, starttime, expiration)

    def use_processes(self, host: ProcessHost) -> None:
        """The IO layer can run processes: jobs run for real from now on
        (unless ``[fakeflux] exec = "simulated"``)."""
        self.local = LocalExec(self, host)

    def exec_mode(self) -> str:
        """``[fakeflux] exec``: "local" (default when processes can run) or "simulated"."""
        value = self.exec_choice or self.fakeflux_conf().get("exec", "local")
        if value not in EXEC_MODES:
            raise ValueError(f"[fakeflux] exec must be one of {', '.join(EXEC_MODES)}, not {value!r}")
        return str(value)

    def exec_for(self, job: Job) -> ExecBackend:
        """Simulated for jobs asking for flux-core's test executor
        (``attributes.system.exec.test``), jobs a test scripted, and
        instances configured so; real processes otherwise."""
        if job.testexec or job.script is not None or self.local is None:
            return self.simulated
        if self.exec_mode() == "simulated":
            return self.simulated
        # [fake-resources] nodes beyond the instance size have no broker to run a shell
        return self.fake_nodes if self.sched.fake_ranks(job.alloc) else self.local

    def shutdown(self) -> None:
        """The instance stops: end every task, remove what the jobs made."""
        if self.local is not None:
            self.local.shutdown()

    # -- KVS writes, one commit per namespace per loop turn ---------------------------------------
    def kvs_write(self, namespace: str, key: str, data: Optional[bytes] = None, *, append: bool = False,
                  dirent: Optional[Dict[str, Any]] = None) -> None:
        """Queue a write; all queued writes are committed together when the
        event loop ends its turn (before it reads the next request), as
        job-manager batches its eventlog commits and the job shell its output
        (a job costs a few commits instead of dozens)."""
        if dirent is None:
            data = data or b""
            op = {"key": key, "flags": K.APPEND if append else 0, "dirent": K.val(data), "raw": data}
        else:
            op = {"key": key, "flags": K.APPEND if append else 0, "dirent": dirent}
        self._pending_kvs.append((namespace, op))
        if self.core.call_later is None:  # no event loop: nothing would flush later
            self.flush_kvs()

    def end_turn(self) -> None:
        """The event loop finished a turn (it calls this before waiting again)."""
        if self._pending_kvs:
            self.flush_kvs()

    def flush_kvs(self) -> None:
        pending, self._pending_kvs = self._pending_kvs, []
        store = self.core.kvs
        by_namespace: Dict[str, List[Dict[str, Any]]] = {}
        for namespace, op in pending:
            by_namespace.setdefault(namespace, []).append(op)
        for namespace, ops in by_namespace.items():
            if namespace in store.namespaces:
                store.apply(namespace, ops)

    # -- clock and timers -------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.skew

    def after(self, job: Optional[Job], delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` ``delay`` simulated seconds from now (cancelled with the job)."""
        token = [False]
        target = self.now() + delay
        if job is not None:
            job.timers.append(token)

        def fire() -> None:
            if token[0]:
                return
            if job is not None and token in job.timers:
                job.timers.remove(token)
            behind = target - self.now()
            if behind > 0:
                self.skew += behind
            fn()

        call_later = self.core.call_later
        if call_later is None:
            fire()
        else:
            call_later(delay * self.time_scale, fire)

    @staticmethod
    def cancel_timers(job: Job) -> None:
        for token in job.timers:
            token[0] = True
        job.timers.clear()

    # -- scripting ---------------------------------------------------------------------------------
    def script(self, match: Any = "*", **outcome: Any) -> JobScript:
        """Script the outcome of jobs submitted from now on whose name matches
        the glob ``match`` (or whose id is ``match``).  Keywords: ``exit_code``
        or ``wait_status``; ``exception=(type, note)`` raised ``exception_at``
        "depend", "sched", "init", "run" (default) or "cleanup"; ``output`` and
        ``stderr`` lines (written to the job's ``guest.output``); ``runtime``
        (simulated seconds, instead of the jobspec duration); ``delays`` per
        state ({"depend"|"priority"|"sched"|"cleanup": seconds}); ``count``
        (how many jobs it applies to; default every one).  The most recent
        matching script wins."""
        js = JobScript(match, **outcome)
        self.scripts.insert(0, js)
        job = self.jobs.get(match) if isinstance(match, int) else None
        if job is not None and job.state < RUN:
            job.script = js
        return js

    def _script_for(self, job: Job) -> Optional[JobScript]:
        for js in self.scripts:
            if js.matches(job) and (js.count is None or js.count > 0):
                if js.count is not None:
                    js.count -= 1
                return js
        return None

    # -- ids -----------------------------------------------------------------------------------------
    def new_id(self) -> int:
        """FLUID (RFC 19): 40 bits of milliseconds since the instance started,
        14 bits of generator id (rank 0), 10 bits of sequence."""
        ts = max(int((time.time() - self.core.starttime) * 1000), 0)
        if ts <= self._last_ts:
            ts = self._last_ts
            self._seq += 1
            if self._seq >= 1024:
                ts += 1
                self._seq = 0
        else:
            self._seq = 0
        self._last_ts = ts
        return (ts << 24) | self._seq

    # -- ingest ----------------------------------------------------------------------------------------
    def submit(self, userid: int, rolemask: int, jobspec: Dict[str, Any], urgency: int, flags: int, J: str) -> Job:
        """Accept a job, or ServiceError (EINVAL) when a dependency refuses it."""
        job = Job(self.new_id(), userid, rolemask, urgency, flags, self.now(), jobspec)
        try:
            dependency_steps = self.deps.check(job)
        except DependencyRejected as exc:
            raise ServiceError(errno.EINVAL, str(exc)) from None
        job.script = self._script_for(job)
        self.jobs[job.id] = job
        stored = _without_environment(jobspec)
        store = self.core.kvs
        store.put_many(K.PRIMARY, [(kvs_key(job.id, "J"), J.encode(), 0),
                                   (kvs_key(job.id, "jobspec"), dumps(stored).encode(), 0)])
        if flags & FLAG_WAITABLE:
            self.waitables += 1
        self.post(job, "submit", {"userid": userid, "urgency": urgency, "flags": flags, "version": 1},
                  timestamp=job.t_submit)
        self.deps.accepted(job, dependency_steps)  # dependency-add (and -remove) come before validate
        self.post(job, "validate")
        self._state(job, DEPEND)
        self._then(job, "depend", lambda: self._depend(job))
        return job

    def _then(self, job: Job, state: str, fn: Callable[[], None]) -> None:
        """As job-manager does, with the default priority plugin: DEPEND (when
        no dependency is outstanding) and PRIORITY are passed synchronously
        (all of submit .. priority are posted before the submit response),
        unless a script delays them."""
        delay = self._delay(job, state)
        if delay:
            self.after(job, delay, fn)
        else:
            fn()

    def _delay(self, job: Job, state: str) -> float:
        return job.script.delays.get(state, 0.0) if job.script is not None else 0.0

    def scripted_exception(self, job: Job, where: str) -> bool:
        js = job.script
        if js is not None and js.exception is not None and js.exception_at == where:
            self.raise_exception(job, js.exception[0], 0, js.exception[1], userid=self.core.owner)
            return True
        if where in ("init", "run") and job.test.get("mock_exception") == where:
            note = "mock initialization exception generated" if where == "init" else "mock run exception generated"
            self.raise_exception(job, "exec", 0, note, userid=self.core.owner)
            return True
        return False

    # -- the state machine --------------------------------------------------------------------------------
    def _depend(self, job: Job) -> None:
        if job.state != DEPEND or self.deps.pending(job) or self.scripted_exception(job, "depend"):
            return
        self.post(job, "depend")
        self._state(job, PRIORITY)
        self._then(job, "priority", lambda: self._prioritize(job))

    def dependencies_met(self, job: Job) -> None:
        """The last outstanding dependency was removed: "depend" is posted."""
        self._depend(job)

    def _prioritize(self, job: Job) -> None:
        if job.state != PRIORITY:
            return
        self.post(job, "priority", {"priority": self._priority_of(job)})
        job.priority = self._priority_of(job)
        self._state(job, SCHED)
        self.after(job, self._delay(job, "sched"), lambda: self._ready(job))

    @staticmethod
    def _priority_of(job: Job) -> int:
        if job.urgency == URGENCY_HOLD:
            return 0
        if job.urgency == URGENCY_EXPEDITE:
            return PRIORITY_MAX
        return job.urgency

    def _ready(self, job: Job) -> None:
        if job.state != SCHED or self.scripted_exception(job, "sched"):
            return
        job.sched_ready = True
        self.sched.schedule()

    def allocated(self, job: Job, alloc: Alloc) -> None:
        """The scheduler gave ``job`` its resources: write R, start it."""
        job.alloc = alloc
        now = self.now()
        expiration = now + job.duration if job.duration > 0 else 0.0
        job.expiration = expiration
        job.R = self.sched.R_of(alloc, now, expiration)
        self.kvs_write(K.PRIMARY, kvs_key(job.id, "R"), dumps_spaced(job.R).encode())  # as rlist_encode
        job.annotations = {"sched": {"resource_summary": self.sched.resource_summary(alloc)}}
        self.post(job, "alloc", {"annotations": job.annotations})
        self._state(job, RUN)
        try:
            backend = self.exec_for(job)
        except ValueError as exc:
            self.raise_exception(job, "exec", 0, f"fakeflux: {exc}", userid=self.core.owner)
            return
        job.backend = backend
        try:
            backend.start(job)
        except Exception as exc:  # a fault of fakeflux's own must not leave the job running for ever
            self.raise_exception(job, "exec", 0, f"fakeflux internal error: {type(exc).__name__}: {exc}",
                                 userid=self.core.owner)
            if job.state == RUN and job.started:
                self.tasks_complete(job, 1 << 8)

    # -- what exec back ends report ------------------------------------------------------------
    def exec_init(self, job: Job) -> None:
        """job-exec creates the guest namespace and posts ``init``."""
        ns = guest_namespace(job.id)
        store = self.core.kvs
        if ns not in store.namespaces:
            store.namespace_create(ns, store.empty_root, job.userid, 0)
            # job-exec links it into the job's directory, so that job.<id>.guest.*
            # reads the running job's guest namespace
            link = {"ver": 1, "type": "symlink", "data": {"namespace": ns, "target": "."}}
            self.kvs_write(K.PRIMARY, kvs_key(job.id, "guest"), dirent=link)
        self.exec_event(job, "init", first=True)

    def exec_starting(self, job: Job) -> None:
        """``starting`` in guest.exec.eventlog, then ``start`` in the job's eventlog."""
        self.exec_event(job, "starting")
        job.started = True
        self.post(job, "start")

    def exec_event(self, job: Job, name: str, context: Optional[Dict[str, Any]] = None,
                   first: bool = False) -> None:
        ns = guest_namespace(job.id)
        store = self.core.kvs
        if ns in store.namespaces:
            self.kvs_write(ns, "exec.eventlog", eventlog_entry(self.now(), name, context).encode(), append=not first)

    def expired(self, job: Job) -> None:
        """The time limit passed while the job ran."""
        if job.state != RUN:
            return
        self.raise_exception(job, "timeout", 0, "resource allocation expired", userid=self.core.owner,
                             kill_signal=SIGALRM, userid_first=True)

    def tasks_complete(self, job: Job, status: int) -> None:
        if job.state not in (RUN, CLEANUP) or not job.started or job.wait_status >= 0:
            return
        self.cancel_timers(job)
        job.wait_status = status
        store = self.core.kvs
        ns = guest_namespace(job.id)
        if ns in store.namespaces:
            self.kvs_write(ns, "exec.eventlog", eventlog_entry(self.now(), "complete", {"status": status}).encode(),
                           append=True)
        self.post(job, "finish", {"status": status})
        self.exec_done(job, status)

    def exec_done(self, job: Job, status: Optional[int]) -> None:
        store = self.core.kvs
        ns = guest_namespace(job.id)
        if ns in store.namespaces:
            self.kvs_write(ns, "exec.eventlog", eventlog_entry(self.now(), "done").encode(), append=True)
        self._graft_guest(job)
        if job.state == RUN:
            self._state(job, CLEANUP)
        self.post(job, "release", {"ranks": "all", "final": True})
        self.sched.release(job)
        self.post(job, "free")
        self.after(job, self._delay(job, "cleanup"), lambda: self._clean(job))
        self.sched.schedule()

    def _graft_guest(self, job: Job) -> None:
        """job-exec's last step: the guest namespace's content replaces the
        link at job.<id>.guest, and the namespace goes away."""
        store = self.core.kvs
        ns = guest_namespace(job.id)
        space = store.namespaces.get(ns)
        if space is None:
            return
        self.flush_kvs()  # what the job wrote there goes with it
        store.apply(K.PRIMARY, [{"key": kvs_key(job.id, "guest"), "flags": 0, "dirent": K.dirref(space.rootref)}])
        store.namespace_remove(ns)

    def _clean(self, job: Job) -> None:
        if job.state != CLEANUP:
            return
        if self.scripted_exception(job, "cleanup"):
            pass
        self._graft_guest(job)  # a job whose exec never got to "done"
        self.post(job, "clean")
        self._state(job, INACTIVE)

    # -- events ---------------------------------------------------------------------------------------
    def post(self, job: Job, name: str, context: Optional[Dict[str, Any]] = None,
             timestamp: Optional[float] = None, commit: bool = True) -> None:
        """Append an event; ``commit=False`` (EVENT_NO_COMMIT): to the journal only."""
        ts = self.now() if timestamp is None else timestamp
        line = eventlog_entry(ts, name, context)
        if commit:
            job.eventlog.append(line)
            self.kvs_write(K.PRIMARY, _eventlog_key(job.id), line.encode(), append=True)
        entry: Dict[str, Any] = {"timestamp": ts, "name": name}
        if context is not None:
            entry["context"] = context
        fatal = name == "finish" or (name == "exception" and (context or {}).get("severity") == 0)
        if fatal and job.end_event is None:
            job.end_event = line
        for listener in list(self.listeners):
            listener(job, "event", entry)

    def _state(self, job: Job, state: int) -> None:
        job.state = state
        job.states_mask |= state
        job.times[state] = self.now()
        if state == INACTIVE:
            self._inactive(job)
        for listener in list(self.listeners):
            listener(job, "state", {"state": state})

    def _inactive(self, job: Job) -> None:
        if job.flags & FLAG_WAITABLE:
            if job.waiter is not None:
                module, msg = job.waiter
                job.waiter = None
                self.waitables -= 1
                module.wait_respond(msg, job)
            elif self.wait_any:
                module, msg = self.wait_any.pop(0)
                self.waitables -= 1
                module.wait_respond(msg, job)
            else:
                self.zombies[job.id] = job

    def memo(self, job: Job, memo: Dict[str, Any], volatile: bool) -> None:
        """RFC 21 ``memo``: merged into the job's ``user`` annotations (null
        deletes a key, emptied objects go), as job-manager's annotate.c."""
        annotations = dict(job.annotations or {})
        user = annotations.get("user")
        annotations["user"] = merged = dict(user) if isinstance(user, dict) else {}
        _merge_annotations(merged, memo)
        _drop_nulls(annotations)
        job.annotations = annotations or None
        self.post(job, "memo", memo, commit=not volatile)

    # -- exceptions, kill, urgency ---------------------------------------------------------------------
    def raise_exception(self, job: Job, kind: str, severity: int, note: Optional[str], *,
                        userid: Optional[int] = None, kill_signal: int = SIGTERM,
                        userid_first: bool = False, extra: Optional[Dict[str, Any]] = None) -> None:
        """Post an exception; a fatal one ends the job.  ``userid_first``: the
        context in job-exec's key order (type, severity, userid, note), as its
        own exceptions (the time limit) are written; job-manager's is
        (type, severity, note, userid)."""
        context: Dict[str, Any] = {"type": kind, "severity": severity}
        if userid is not None and userid_first:
            context["userid"] = userid
        context["note"] = note or ""
        if userid is not None and not userid_first:
            context["userid"] = userid
        context.update(extra or {})  # the shell's exit status exception adds "wait_status"
        if severity == 0 and job.exception is None:
            job.exception = context
        job.exception_occurred = job.exception_occurred or severity == 0
        self.post(job, "exception", context)
        if severity != 0:
            return
        if job.state in (DEPEND, PRIORITY, SCHED):
            self.cancel_timers(job)
            self._state(job, CLEANUP)
            self.after(job, 0, lambda: self._clean(job))
            self.sched.schedule()
        elif job.state == RUN:
            if job.started and job.backend is not None:
                job.backend.terminate(job, kill_signal)
            else:
                self.exec_done(job, None)

    def kill(self, job: Job, signum: int) -> None:
        """``flux job kill``: the signal goes to the running tasks."""
        if job.state == RUN and job.started and job.backend is not None:
            job.backend.kill(job, signum)

    def set_urgency(self, job: Job, urgency: int, userid: int) -> int:
        old = job.urgency
        job.urgency = urgency
        self.post(job, "urgency", {"userid": userid, "urgency": urgency})
        if job.state in (SCHED,):
            priority = self._priority_of(job)
            if priority != job.priority:
                job.priority = priority
                self.post(job, "priority", {"priority": priority})
            self.sched.schedule()
        return old

    def get(self, jobid: int) -> Job:
        job = self.jobs.get(jobid)
        if job is None:
            raise ServiceError(errno.ENOENT)
        return job


def _without_environment(jobspec: Dict[str, Any]) -> Dict[str, Any]:
    """The jobspec as job-ingest stores it: without attributes.system.environment.
    Only the objects on that path are copied (the rest is shared, to be encoded
    at once, never changed)."""
    attributes = jobspec.get("attributes")
    if not isinstance(attributes, dict):
        return jobspec
    system = attributes.get("system")
    if not isinstance(system, dict) or "environment" not in system:
        return jobspec
    system = {k: v for k, v in system.items() if k != "environment"}
    return {**jobspec, "attributes": {**attributes, "system": system}}


@lru_cache(maxsize=1024)  # every event of a job names its eventlog's key again
def _eventlog_key(jobid: int) -> str:
    return kvs_key(jobid, "eventlog")


def _merge_annotations(into: Dict[str, Any], update: Dict[str, Any]) -> None:
    """jpath's update_object_recursive: objects merged key by key, any other value replaces."""
    for key, value in update.items():
        if isinstance(value, dict):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            else:
                into[key] = dict(into[key])
            _merge_annotations(into[key], value)
        else:
            into[key] = value


def _drop_nulls(obj: Dict[str, Any]) -> None:
    """jpath_clear_null: null values and objects left empty are removed."""
    for key in list(obj):
        value = obj[key]
        if isinstance(value, dict):
            _drop_nulls(value)
            if not value:
                del obj[key]
        elif value is None:
            del obj[key]
