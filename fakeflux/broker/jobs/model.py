"""What a job is: its states (RFC 21), results, submit flags, what its jobspec
asks of the scheduler (:class:`Request`) and the record the services share
(:class:`Job`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from fakeflux.broker.jobs.exec import ExecBackend
    from fakeflux.broker.jobs.exec_sim import JobScript

# job states (RFC 21) and results
NEW, DEPEND, PRIORITY, SCHED, RUN, CLEANUP, INACTIVE = 1, 2, 4, 8, 16, 32, 64
STATE_NAMES = {NEW: "NEW", DEPEND: "DEPEND", PRIORITY: "PRIORITY", SCHED: "SCHED", RUN: "RUN",
               CLEANUP: "CLEANUP", INACTIVE: "INACTIVE"}
COMPLETED, FAILED, CANCELED, TIMEOUT = 1, 2, 4, 8
# submit flags (libjob job.h)
FLAG_DEBUG, FLAG_WAITABLE, FLAG_NOVALIDATE = 2, 4, 8  # libjob/job.h
VALID_SUBMIT_FLAGS = FLAG_DEBUG | FLAG_WAITABLE | FLAG_NOVALIDATE  # job-ingest's valid_flags()
URGENCY_MIN, URGENCY_HOLD, URGENCY_DEFAULT, URGENCY_MAX, URGENCY_EXPEDITE = 0, 0, 16, 31, 31
PRIORITY_MAX = 4294967295
JOBID_ANY = 0xFFFFFFFFFFFFFFFF

SIGALRM, SIGTERM = 14, 15


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
        exec_attrs = system.get("exec")
        test = exec_attrs.get("test", {}) if isinstance(exec_attrs, dict) else {}
        self.test: Dict[str, Any] = test if isinstance(test, dict) else {}
        # attributes.system.exec.test, even empty, selects flux-core's test executor
        self.testexec = isinstance(exec_attrs, dict) and "test" in exec_attrs
        self.script: Optional[JobScript] = None
        self.alloc: List[Tuple[int, List[int], List[int]]] = []  # (rank, cores, gpus)
        self.R: Optional[Dict[str, Any]] = None
        self.expiration = -1.0
        self.wait_status = -1
        self.exception: Optional[Dict[str, Any]] = None  # first fatal one
        self.exception_occurred = False
        self.annotations: Optional[Dict[str, Any]] = None
        # outstanding dependency descriptions, once one was added (job-list's "dependencies")
        self.dependencies: Optional[List[str]] = None
        self.eventlog: List[str] = []
        self.end_event: Optional[str] = None
        self.waiter: Any = None
        self.started = False
        self.sched_ready = False
        self.timers: List[List[bool]] = []
        self.backend: Optional[ExecBackend] = None  # who runs it, once allocated

    @property
    def result(self) -> int:
        if self.exception is not None:
            kind = self.exception["type"]
            return CANCELED if kind == "cancel" else TIMEOUT if kind == "timeout" else FAILED
        return COMPLETED if self.wait_status == 0 else FAILED

    @property
    def success(self) -> bool:
        return self.exception is None and self.wait_status == 0


