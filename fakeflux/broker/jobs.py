"""The instance's jobs: job-ingest, job-manager, a FIFO scheduler and a mock
job-exec in one object (``core.jobs``), writing each job's eventlog into the
KVS at ``job.<dothex>.eventlog`` as flux-core does.

Execution is simulated, never real: a job "runs" for its jobspec
``attributes.system.duration`` (or zero) and exits 0, as flux-core's own test
executor (job-exec ``testexec.c``) does, and honours its
``attributes.system.exec.test`` keys ``run_duration``, ``wait_status`` and
``mock_exception`` ("init" or "run").  Tests script other outcomes with
:meth:`JobSystem.script`.

Time: every delay is simulated seconds, run on the IO loop through
``core.call_later`` after multiplying by ``time_scale`` (real seconds per
simulated second; 0 runs a one-hour job at once).  The default comes from the
configuration ``[fakeflux] time-scale``, else 1.0.  Eventlog timestamps
follow a simulated clock that jumps forward when a scaled timer fires early,
so a one-hour job still shows one hour between ``start`` and ``finish``.

Resources: ``size`` ranks with ``[fakeflux] cores-per-rank`` cores each
(default: this machine's CPU count, as each rank of ``flux start
--test-size`` sees the whole host) and ``[fakeflux] gpus-per-rank`` GPUs
(default 0).
"""

from __future__ import annotations

import base64
import binascii
import errno
import fnmatch
import json
import math
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError

if TYPE_CHECKING:
    from fakeflux.broker.instance import InstanceCore

# job states (RFC 21) and results
NEW, DEPEND, PRIORITY, SCHED, RUN, CLEANUP, INACTIVE = 1, 2, 4, 8, 16, 32, 64
STATE_NAMES = {NEW: "NEW", DEPEND: "DEPEND", PRIORITY: "PRIORITY", SCHED: "SCHED", RUN: "RUN",
               CLEANUP: "CLEANUP", INACTIVE: "INACTIVE"}
COMPLETED, FAILED, CANCELED, TIMEOUT = 1, 2, 4, 8
# submit flags (libjob job.h)
FLAG_DEBUG, FLAG_WAITABLE, FLAG_NOVALIDATE = 1, 4, 8
VALID_SUBMIT_FLAGS = 1 | 2 | 4 | 8 | 16
URGENCY_MIN, URGENCY_HOLD, URGENCY_DEFAULT, URGENCY_MAX, URGENCY_EXPEDITE = 0, 0, 16, 31, 31
PRIORITY_MAX = 4294967295
JOBID_ANY = 0xFFFFFFFFFFFFFFFF

SIGALRM, SIGTERM = 14, 15


# -- encodings ---------------------------------------------------------------------------
def jansson_real(x: float) -> str:
    """A real as jansson prints it (``%.17g``, always with a '.' or exponent)."""
    text = f"{x:.17g}"
    if "." not in text and "e" not in text and "n" not in text:
        text += ".0"
    return text


def _dumps(value: Any) -> str:
    """Compact JSON, reals as jansson prints them, key order kept."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return jansson_real(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def eventlog_entry(timestamp: float, name: str, context: Optional[Dict[str, Any]] = None) -> str:
    """eventlog_entry_encode: one RFC 18 line, newline included."""
    entry: Dict[str, Any] = {"timestamp": float(timestamp), "name": name}
    if context is not None:
        entry["context"] = context
    return _dumps(entry) + "\n"


def dothex(jobid: int) -> str:
    return ".".join(f"{(jobid >> shift) & 0xFFFF:04x}" for shift in (48, 32, 16, 0))


def kvs_key(jobid: int, name: Optional[str] = None) -> str:
    """flux_job_kvs_key: ``job.<dothex>[.name]``."""
    base = f"job.{dothex(jobid)}"
    return base if not name else f"{base}.{name}"


def guest_namespace(jobid: int) -> str:
    return f"job-{jobid}"


def sign_none_unwrap(J: str) -> Tuple[bytes, int]:
    """sign_none.c: ``base64(header).base64(payload).none`` -> (payload, userid);
    ValueError for anything else."""
    parts = J.split(".")
    if len(parts) != 3 or parts[2] != "none":
        raise ValueError("not a none-signed string")
    try:
        header = base64.b64decode(parts[0], validate=True)
        payload = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("invalid base64") from None
    fields = header.split(b"\x00")
    if fields and fields[-1] == b"":
        fields.pop()
    if len(fields) % 2:
        raise ValueError("odd header")
    kv = dict(zip(fields[::2], fields[1::2]))
    if set(kv) - {b"version", b"userid", b"mechanism"}:
        raise ValueError("unknown header key")
    uid = kv.get(b"userid", b"")
    if kv.get(b"version") != b"i1" or kv.get(b"mechanism") != b"snone" or len(uid) < 2 or not uid[1:].isdigit():
        raise ValueError("bad header")
    return payload, int(uid[1:])


def sign_none_wrap(payload: bytes, userid: int) -> str:
    header = f"version\0i1\0userid\0i{userid}\0mechanism\0snone\0".encode()
    return f"{base64.b64encode(header).decode()}.{base64.b64encode(payload).decode()}.none"


def idset_encode(ids: List[int], brackets: bool = False) -> str:
    ids = sorted(set(ids))
    out: List[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    text = ",".join(out)
    if brackets and (len(ids) > 1):
        text = f"[{text}]"
    return text


# -- jobspec (RFC 14/25), as flux-core's job-validator "jobspec" plugin checks it ----------
def _missing_extraneous(expected: List[str], given: List[str], optional: bool = False,
                        additional: bool = False) -> None:
    if not optional:
        for key in sorted(set(expected) - set(given)):
            raise ValueError(f"Missing key ({key})")
    if not additional:
        for key in sorted(set(given) - set(expected)):
            raise ValueError(f"Extraneous key ({key})")


def _walk_resources(resources: Any) -> List[Any]:
    out: List[Any] = []
    for res in resources if isinstance(resources, list) else []:
        out.append(res)
        if isinstance(res, dict) and isinstance(res.get("with"), list):
            out.extend(_walk_resources(res["with"]))
    return out


def validate_jobspec(js: Any) -> None:
    """flux.job.validate_jobspec for version 1; ValueError/TypeError text as the
    validator returns it."""
    if not isinstance(js, dict):
        raise ValueError("jobspec must be a JSON object")
    _missing_extraneous(["resources", "tasks", "version", "attributes"], list(js))
    resources, tasks, attributes, version = js["resources"], js["tasks"], js["attributes"], js["version"]
    if version != 1:
        if not isinstance(version, int) or isinstance(version, bool):
            raise TypeError("version must be an integer")
        if version < 1:
            raise ValueError("version must be >= 1")
        raise ValueError("version must be 1")
    if not isinstance(resources, list):
        raise TypeError("resources must be a sequence")
    if not isinstance(tasks, list):
        raise TypeError("tasks must be a sequence")
    if not isinstance(attributes, dict):
        raise TypeError("attributes must be a mapping")
    for res in _walk_resources(resources):
        if not isinstance(res, dict):
            raise TypeError("resource must be a mapping")
        if "type" not in res:
            raise ValueError("type is a required key for resources")
        if not isinstance(res["type"], str):
            raise TypeError("type must be a string")
        if "count" not in res:
            raise ValueError("count is a required key for resources")
        count = res["count"]
        if isinstance(count, dict):
            if "min" not in count:
                raise ValueError("min must be in range")
        elif isinstance(count, str):
            pass
        elif not isinstance(count, int) or isinstance(count, bool):
            raise TypeError("count must be an int or mapping")
        else:
            if res["type"] in ("node", "slot", "core") and count < 1:
                raise ValueError("node, slot, or core count must be > 0")
            if count < 0:
                raise ValueError("count must be >= 0")
        for key in ("id", "unit", "label"):
            if key in res and not isinstance(res[key], str):
                raise TypeError(f"{key} must be a string")
        if "exclusive" in res and res["exclusive"] not in (True, False):
            raise TypeError("exclusive must be a boolean")
        if res["type"] == "slot" and "label" not in res:
            raise ValueError("slots must have labels")
    for task in tasks:
        if not isinstance(task, dict):
            raise TypeError("task must be a mapping")
        _missing_extraneous(["command", "slot", "count"], list(task), additional=True)
        if not isinstance(task["count"], dict):
            raise TypeError("count must be a mapping")
        count = task["count"]
        if len(count) != 1:
            raise ValueError("count must have exactly one key set")
        if not set(count) & {"per_slot", "per_resource", "total"}:
            raise ValueError("count per_slot, per_resource, or total must be set")
        for key in ("total", "per_slot"):
            if key in count:
                if not isinstance(count[key], int) or isinstance(count[key], bool):
                    raise TypeError(f"count {key} must be an int")
                if count[key] <= 0:
                    raise ValueError(f"count {key} must be > 0")
        if not isinstance(task["slot"], str):
            raise TypeError("slot must be a string")
        if "attributes" in task and not isinstance(task["attributes"], dict):
            raise TypeError("attributes must be a mapping")
        command = task["command"]
        if isinstance(command, (list, str)) and len(command) == 0:
            raise TypeError("command array cannot have length of zero")
        if not isinstance(command, list) or not all(isinstance(x, str) for x in command):
            raise TypeError("command must be a list of strings")
    _missing_extraneous(["system", "user"], list(attributes), optional=True)
    system = attributes.get("system")
    if isinstance(system, dict) and "dependencies" in system and not isinstance(system["dependencies"], list):
        raise TypeError("attributes.system.dependencies must be a list")
    if "system" not in attributes:
        raise ValueError("attributes.system is a required key")
    if not isinstance(system, dict):
        raise ValueError("attributes.system must be a mapping")
    if "duration" not in system:
        raise ValueError("attributes.system.duration is a required key")
    if not isinstance(system["duration"], (int, float)) or isinstance(system["duration"], bool):
        raise ValueError("attributes.system.duration must be a number")
    for task in tasks:
        if not set(task["count"]) & {"per_slot", "total"}:
            raise ValueError("count per_slot or total must be set")
    for res in _walk_resources(resources):
        if not isinstance(res["count"], int):
            raise ValueError(
                f"resource count must be an integer for type '{res['type']}' (got '{type(res['count']).__name__}')"
            )


def parse_fsd(text: str) -> float:
    """Flux Standard Duration: N[smhd]."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "ms": 0.001}
    for suffix in ("ms", "s", "m", "h", "d"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * units[suffix]
    return float(text)


class Request:
    """What a V1 jobspec asks of the scheduler."""

    def __init__(self, js: Dict[str, Any]) -> None:
        self.nnodes = 0
        self.nslots = 1
        self.slot_cores = 1
        self.slot_gpus = 0
        self.exclusive = False
        top: Dict[str, Any] = js["resources"][0] if js["resources"] else {"type": "slot", "count": 1, "with": []}
        slot: Dict[str, Any] = top
        if top["type"] == "node":
            self.nnodes = int(top["count"])
            self.exclusive = bool(top.get("exclusive", False))
            slot = next((r for r in top.get("with", []) if r["type"] == "slot"), {"count": 1, "with": []})
            self.nslots = self.nnodes * int(slot["count"])
        else:
            self.nslots = int(slot["count"])
        self.slot_cores = sum(int(r["count"]) for r in slot.get("with", []) if r["type"] == "core") or 1
        self.slot_gpus = sum(int(r["count"]) for r in slot.get("with", []) if r["type"] == "gpu")
        task = js["tasks"][0] if js["tasks"] else {"count": {"per_slot": 1}}
        count = task["count"]
        self.ntasks = int(count["total"]) if "total" in count else self.nslots * int(count.get("per_slot", 1))


# -- per-job outcomes scripted by tests ------------------------------------------------------
class JobScript:
    """How matching jobs turn out (see :meth:`JobSystem.script`)."""

    def __init__(
        self,
        match: Any = "*",
        *,
        exit_code: Optional[int] = None,
        wait_status: Optional[int] = None,
        exception: Optional[Tuple[str, str]] = None,
        exception_at: str = "run",
        output: Optional[List[str]] = None,
        stderr: Optional[List[str]] = None,
        runtime: Optional[float] = None,
        delays: Optional[Dict[str, float]] = None,
        count: Optional[int] = None,
    ) -> None:
        if exception_at not in ("depend", "sched", "init", "run", "cleanup"):
            raise ValueError("exception_at must be one of depend, sched, init, run, cleanup")
        for state in delays or {}:
            if state not in ("depend", "priority", "sched", "cleanup"):
                raise ValueError(f"no delay for state {state!r}: use depend, priority, sched, cleanup")
        self.match = match
        self.wait_status = wait_status if wait_status is not None else (exit_code or 0) << 8
        self.exception = exception
        self.exception_at = exception_at
        self.output = list(output or [])
        self.stderr = list(stderr or [])
        self.runtime = runtime
        self.delays = dict(delays or {})
        self.count = count

    def matches(self, job: Job) -> bool:
        if isinstance(self.match, int) and not isinstance(self.match, bool):
            return job.id == self.match
        return fnmatch.fnmatchcase(job.name or "", str(self.match))


class Job:
    def __init__(self, jobid: int, userid: int, rolemask: int, urgency: int, flags: int, t_submit: float,
                 jobspec: Dict[str, Any]) -> None:
        self.id = jobid
        self.userid = userid
        self.rolemask = rolemask
        self.urgency = urgency
        self.flags = flags
        self.t_submit = t_submit
        self.jobspec = jobspec
        self.state = NEW
        self.states_mask = 0
        self.times: Dict[int, float] = {}
        self.priority = 0
        system = jobspec.get("attributes", {}).get("system", {})
        self.duration = float(system.get("duration", 0.0))
        self.queue: Optional[str] = system.get("queue")
        self.cwd: Optional[str] = system.get("cwd")
        job_attrs = system.get("job", {})
        name = job_attrs.get("name") if isinstance(job_attrs, dict) else None
        if not isinstance(name, str):
            try:
                name = os.path.basename(jobspec["tasks"][0]["command"][0])
            except (KeyError, IndexError, TypeError):
                name = None
        self.name: Optional[str] = name
        self.request = Request(jobspec)
        test = system.get("exec", {}).get("test", {}) if isinstance(system.get("exec"), dict) else {}
        self.test: Dict[str, Any] = test if isinstance(test, dict) else {}
        self.script: Optional[JobScript] = None
        self.alloc: List[Tuple[int, List[int], List[int]]] = []  # (rank, cores, gpus)
        self.R: Optional[Dict[str, Any]] = None
        self.expiration = -1.0
        self.wait_status = -1
        self.exception: Optional[Dict[str, Any]] = None  # first fatal one
        self.exception_occurred = False
        self.annotations: Optional[Dict[str, Any]] = None
        self.eventlog: List[str] = []
        self.end_event: Optional[str] = None
        self.waiter: Any = None
        self.started = False
        self.sched_ready = False
        self.timers: List[List[bool]] = []

    @property
    def result(self) -> int:
        if self.exception is not None:
            kind = self.exception["type"]
            return CANCELED if kind == "cancel" else TIMEOUT if kind == "timeout" else FAILED
        return COMPLETED if self.wait_status == 0 else FAILED

    @property
    def success(self) -> bool:
        return self.exception is None and self.wait_status == 0


Listener = Callable[["Job", str, Dict[str, Any]], None]


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
        self._free: Optional[Dict[int, Tuple[List[int], List[int]]]] = None
        self.zombies: Dict[int, Job] = {}  # waitable, inactive, not yet waited for
        self.wait_any: List[Any] = []  # wait requests for any job, with their module
        self.waitables = 0

    # -- configuration --------------------------------------------------------------------
    def _fakeflux_conf(self) -> Dict[str, Any]:
        conf = self.core.config.data.get("fakeflux", {})
        return conf if isinstance(conf, dict) else {}

    @property
    def time_scale(self) -> float:
        if self._time_scale is not None:
            return self._time_scale
        value = self._fakeflux_conf().get("time-scale", 1.0)
        return float(value) if isinstance(value, (int, float)) and value >= 0 else 1.0

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        if not value >= 0 or math.isinf(value):
            raise ValueError("time_scale must be a finite number >= 0")
        self._time_scale = float(value)

    def cores_per_rank(self) -> int:
        value = self._fakeflux_conf().get("cores-per-rank")
        return value if isinstance(value, int) and value > 0 else (os.cpu_count() or 1)

    def gpus_per_rank(self) -> int:
        value = self._fakeflux_conf().get("gpus-per-rank")
        return value if isinstance(value, int) and value >= 0 else 0

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
        job = Job(self.new_id(), userid, rolemask, urgency, flags, self.now(), jobspec)
        job.script = self._script_for(job)
        self.jobs[job.id] = job
        stored = json.loads(json.dumps(jobspec))
        stored.get("attributes", {}).get("system", {}).pop("environment", None)
        store = self.core.kvs
        store.put_many(K.PRIMARY, [(kvs_key(job.id, "J"), J.encode(), 0),
                                   (kvs_key(job.id, "jobspec"), _dumps(stored).encode(), 0)])
        if flags & FLAG_WAITABLE:
            self.waitables += 1
        self.post(job, "submit", {"userid": userid, "urgency": urgency, "flags": flags, "version": 1},
                  timestamp=job.t_submit)
        self.post(job, "validate")
        self._state(job, DEPEND)
        self._then(job, "depend", lambda: self._depend(job))
        return job

    def _then(self, job: Job, state: str, fn: Callable[[], None]) -> None:
        """As job-manager does, with no dependency and the default priority
        plugin: DEPEND and PRIORITY are passed synchronously (all of submit ..
        priority are posted before the submit response), unless a script
        delays them."""
        delay = self._delay(job, state)
        if delay:
            self.after(job, delay, fn)
        else:
            fn()

    def _delay(self, job: Job, state: str) -> float:
        return job.script.delays.get(state, 0.0) if job.script is not None else 0.0

    def _scripted_exception(self, job: Job, where: str) -> bool:
        js = job.script
        if js is not None and js.exception is not None and js.exception_at == where:
            self.raise_exception(job, js.exception[0], 0, js.exception[1], userid=self.core.owner)
            return True
        if where in ("init", "run") and self.test_setting(job, "mock_exception") == where:
            note = "mock initialization exception generated" if where == "init" else "mock run exception generated"
            self.raise_exception(job, "exec", 0, note, userid=self.core.owner)
            return True
        return False

    def test_setting(self, job: Job, key: str) -> Any:
        return job.test.get(key)

    # -- the state machine --------------------------------------------------------------------------------
    def _depend(self, job: Job) -> None:
        if job.state != DEPEND or self._scripted_exception(job, "depend"):
            return
        self.post(job, "depend")
        self._state(job, PRIORITY)
        self._then(job, "priority", lambda: self._prioritize(job))

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
        if job.state != SCHED or self._scripted_exception(job, "sched"):
            return
        job.sched_ready = True
        self.schedule()

    def free_cores(self) -> Dict[int, Tuple[List[int], List[int]]]:
        if self._free is None:
            ncores, ngpus = self.cores_per_rank(), self.gpus_per_rank()
            self._free = {r: (list(range(ncores)), list(range(ngpus))) for r in range(self.core.size)}
        return self._free

    def schedule(self) -> None:
        """sched-fifo: allocate in priority order, stop at the first job that
        does not fit now; deny a job that can never fit."""
        queue = [j for j in self.jobs.values()
                 if j.state == SCHED and j.sched_ready and j.priority > 0]
        queue.sort(key=lambda j: (-j.priority, j.t_submit, j.id))
        for job in queue:
            try:
                alloc = self._try_alloc(job)
            except ValueError as exc:
                self.raise_exception(job, "alloc", 0, str(exc), userid=self.core.owner)
                continue
            if alloc is None:
                break
            self._allocated(job, alloc)

    def _try_alloc(self, job: Job) -> Optional[List[Tuple[int, List[int], List[int]]]]:
        req = job.request
        free = self.free_cores()
        ranks = [r for r in sorted(free) if r not in self.core.down]
        ncores, ngpus = self.cores_per_rank(), self.gpus_per_rank()
        if req.nnodes:
            per_node_cores = (req.nslots // req.nnodes) * req.slot_cores
            per_node_gpus = (req.nslots // req.nnodes) * req.slot_gpus
            eligible_total = [r for r in range(self.core.size) if ncores >= per_node_cores and ngpus >= per_node_gpus]
            if len(eligible_total) < req.nnodes:
                gpu_text = f" and {per_node_gpus} GPUs" if per_node_gpus else ""
                raise ValueError(f"unsatisfiable request: need {req.nnodes} node(s) with {per_node_cores} cores"
                                 f"{gpu_text} each, only {len(eligible_total)} eligible")
            chosen: List[Tuple[int, List[int], List[int]]] = []
            for r in ranks:
                cores, gpus = free[r]
                whole = len(cores) == ncores and len(gpus) == ngpus
                if (req.exclusive and whole) or (not req.exclusive and len(cores) >= per_node_cores
                                                 and len(gpus) >= per_node_gpus):
                    take_c = cores if req.exclusive else cores[:per_node_cores]
                    take_g = gpus if req.exclusive else gpus[:per_node_gpus]
                    chosen.append((r, list(take_c), list(take_g)))
                    if len(chosen) == req.nnodes:
                        break
            if len(chosen) < req.nnodes:
                return None
        else:
            total_slots = (ncores // req.slot_cores) * self.core.size if req.slot_cores <= ncores else 0
            if total_slots < req.nslots:
                raise ValueError(f"unsatisfiable request: need {req.nslots} slot(s) of {req.slot_cores} core(s), "
                                 f"only {total_slots} such slot(s) available (total cores: {ncores * self.core.size})")
            need = req.nslots
            picks: Dict[int, Tuple[List[int], List[int]]] = {}
            for r in ranks:
                cores, gpus = free[r]
                taken_c = len(picks.get(r, ([], []))[0])
                while need and len(cores) - taken_c >= req.slot_cores and \
                        len(gpus) - len(picks.get(r, ([], []))[1]) >= req.slot_gpus:
                    pc, pg = picks.setdefault(r, ([], []))
                    pc.extend(cores[taken_c: taken_c + req.slot_cores])
                    pg.extend(gpus[len(pg): len(pg) + req.slot_gpus])
                    taken_c += req.slot_cores
                    need -= 1
                if not need:
                    break
            if need:
                return None
            chosen = [(r, c, g) for r, (c, g) in sorted(picks.items())]
        for r, c, g in chosen:
            fc, fg = free[r]
            free[r] = ([x for x in fc if x not in c], [x for x in fg if x not in g])
        return chosen

    def _release(self, job: Job) -> None:
        free = self.free_cores()
        for r, c, g in job.alloc:
            fc, fg = free[r]
            free[r] = (sorted(fc + c), sorted(fg + g))
        job.alloc = []

    def R_of(self, alloc: List[Tuple[int, List[int], List[int]]], starttime: float,
             expiration: float) -> Dict[str, Any]:
        lite: List[Dict[str, Any]] = []
        for r, c, g in alloc:
            children: Dict[str, str] = {"core": idset_encode(c)}
            if g:
                children["gpu"] = idset_encode(g)
            if lite and lite[-1]["children"] == children and lite[-1]["_last"] == r - 1:
                lite[-1]["_ranks"].append(r)
                lite[-1]["_last"] = r
            else:
                lite.append({"_ranks": [r], "_last": r, "children": children})
        r_lite = [{"rank": idset_encode(e["_ranks"]), "children": e["children"]} for e in lite]
        hosts = [self.core.hostname for _ in alloc]
        return {"version": 1, "execution": {"R_lite": r_lite, "starttime": starttime, "expiration": expiration,
                                             "nodelist": [",".join(hosts)] if hosts else []}}

    def resource_summary(self, alloc: List[Tuple[int, List[int], List[int]]]) -> str:
        parts = []
        for r, c, g in alloc:
            text = f"rank{r}/core{idset_encode(c, brackets=True)}"
            if g:
                text += f",gpu{idset_encode(g, brackets=True)}"
            parts.append(text)
        return " ".join(parts)

    def _allocated(self, job: Job, alloc: List[Tuple[int, List[int], List[int]]]) -> None:
        job.alloc = alloc
        now = self.now()
        expiration = now + job.duration if job.duration > 0 else 0.0
        job.expiration = expiration
        job.R = self.R_of(alloc, now, expiration)
        self.core.kvs.put(K.PRIMARY, kvs_key(job.id, "R"), _dumps(job.R).encode())
        job.annotations = {"sched": {"resource_summary": self.resource_summary(alloc)}}
        self.post(job, "alloc", {"annotations": job.annotations})
        self._state(job, RUN)
        self._exec_start(job)

    # -- mock execution (job-exec testexec) -------------------------------------------------------
    def _exec_start(self, job: Job) -> None:
        ns = guest_namespace(job.id)
        store = self.core.kvs
        if ns not in store.namespaces:
            store.namespace_create(ns, store.empty_root, job.userid, 0)
        now = self.now()
        store.put(ns, "exec.eventlog", eventlog_entry(now, "init").encode())
        if self._scripted_exception(job, "init"):
            return  # raise_exception has ended the job (release, free, clean)
        store.put(ns, "exec.eventlog", eventlog_entry(now, "starting").encode(), append=True)
        job.started = True
        self.post(job, "start")
        self._write_output(job)
        if self._scripted_exception(job, "run"):
            return
        runtime = job.duration
        if job.script is not None and job.script.runtime is not None:
            runtime = job.script.runtime
        run_duration = self.test_setting(job, "run_duration")
        if isinstance(run_duration, str):
            try:
                runtime = parse_fsd(run_duration)
            except ValueError:
                pass
        if job.duration > 0 and runtime > job.duration:
            self.after(job, job.duration, lambda: self._timeout(job))
        else:
            self.after(job, runtime, lambda: self._tasks_complete(job, self._exit_status(job)))

    def _exit_status(self, job: Job) -> int:
        if job.script is not None:
            return job.script.wait_status
        status = self.test_setting(job, "wait_status")
        return status if isinstance(status, int) else 0

    def _write_output(self, job: Job) -> None:
        js = job.script
        if js is None or not (js.output or js.stderr):
            return
        ns = guest_namespace(job.id)
        now = self.now()
        lines = [eventlog_entry(now, "header", {"version": 1, "encoding": {"stdout": "UTF-8", "stderr": "UTF-8"},
                                                "count": {"stdout": 1, "stderr": 1}, "options": {}})]
        for stream, data in (("stdout", js.output), ("stderr", js.stderr)):
            for line in data:
                text = line if line.endswith("\n") else line + "\n"
                lines.append(eventlog_entry(now, "data", {"stream": stream, "rank": "0", "data": text}))
        for stream in ("stdout", "stderr"):
            lines.append(eventlog_entry(now, "data", {"stream": stream, "rank": "0", "eof": True}))
        self.core.kvs.put(ns, "output", "".join(lines).encode())

    def _timeout(self, job: Job) -> None:
        if job.state != RUN:
            return
        self.raise_exception(job, "timeout", 0, "resource allocation expired", userid=self.core.owner,
                             kill_signal=SIGALRM)

    def _tasks_complete(self, job: Job, status: int) -> None:
        if job.state not in (RUN, CLEANUP) or not job.started or job.wait_status >= 0:
            return
        self.cancel_timers(job)
        job.wait_status = status
        store = self.core.kvs
        ns = guest_namespace(job.id)
        if ns in store.namespaces:
            store.put(ns, "exec.eventlog", eventlog_entry(self.now(), "complete", {"status": status}).encode(),
                      append=True)
        self.post(job, "finish", {"status": status})
        self._exec_done(job, status)

    def _exec_done(self, job: Job, status: Optional[int]) -> None:
        store = self.core.kvs
        ns = guest_namespace(job.id)
        if ns in store.namespaces:
            store.put(ns, "exec.eventlog", eventlog_entry(self.now(), "done").encode(), append=True)
        if job.state == RUN:
            self._state(job, CLEANUP)
        self.post(job, "release", {"ranks": "all", "final": True})
        self._release(job)
        self.post(job, "free")
        self.after(job, self._delay(job, "cleanup"), lambda: self._clean(job))
        self.schedule()

    def _clean(self, job: Job) -> None:
        if job.state != CLEANUP:
            return
        if self._scripted_exception(job, "cleanup"):
            pass
        store = self.core.kvs
        ns = guest_namespace(job.id)
        if ns in store.namespaces:
            # job-exec moves the guest namespace into the job's directory
            ops = []
            for key in ("exec.eventlog", "output"):
                data = store.get(ns, key)
                if data is not None:
                    ops.append((kvs_key(job.id, f"guest.{key}"), data, 0))
            if ops:
                store.put_many(K.PRIMARY, ops)
            store.namespace_remove(ns)
        self.post(job, "clean")
        self._state(job, INACTIVE)

    # -- events ---------------------------------------------------------------------------------------
    def post(self, job: Job, name: str, context: Optional[Dict[str, Any]] = None,
             timestamp: Optional[float] = None) -> None:
        ts = self.now() if timestamp is None else timestamp
        line = eventlog_entry(ts, name, context)
        job.eventlog.append(line)
        self.core.kvs.put(K.PRIMARY, kvs_key(job.id, "eventlog"), line.encode(), append=True)
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

    # -- exceptions, kill, urgency ---------------------------------------------------------------------
    def raise_exception(self, job: Job, kind: str, severity: int, note: Optional[str], *,
                        userid: Optional[int] = None, kill_signal: int = SIGTERM) -> None:
        context: Dict[str, Any] = {"type": kind, "severity": severity, "note": note or ""}
        if userid is not None:
            context["userid"] = userid
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
            self.schedule()
        elif job.state == RUN:
            if job.started:
                self.cancel_timers(job)
                self.after(job, 0, lambda: self._tasks_complete(job, kill_signal))
            else:
                self._exec_done(job, None)

    def kill(self, job: Job, signum: int) -> None:
        """testexec_kill: the tasks "exit" on the signal at once."""
        if job.state == RUN and job.started:
            self.cancel_timers(job)
            self.after(job, 0, lambda: self._tasks_complete(job, signum))

    def set_urgency(self, job: Job, urgency: int, userid: int) -> int:
        old = job.urgency
        job.urgency = urgency
        self.post(job, "urgency", {"userid": userid, "urgency": urgency})
        if job.state in (SCHED,):
            priority = self._priority_of(job)
            if priority != job.priority:
                job.priority = priority
                self.post(job, "priority", {"priority": priority})
            self.schedule()
        return old

    def get(self, jobid: int) -> Job:
        job = self.jobs.get(jobid)
        if job is None:
            raise ServiceError(errno.ENOENT)
        return job
