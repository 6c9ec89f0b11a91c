"""Simulated execution: flux-core's test executor (job-exec ``testexec.c``)
plus outcomes scripted by tests.

A job "runs" for its jobspec ``attributes.system.duration`` (or zero) and
exits 0, honouring ``attributes.system.exec.test`` keys ``run_duration``,
``wait_status`` and ``mock_exception`` ("init" or "run").  Tests script other
outcomes with :class:`JobScript` (``JobSystem.script``).  Every delay here is
simulated time (see ``JobSystem.after``).
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from fakeflux.broker.jobs.eventlog import eventlog_entry
from fakeflux.broker.jobs.model import Job
from fakeflux.broker.jobs.util import guest_namespace, parse_fsd

if TYPE_CHECKING:
    from fakeflux.broker.jobs.manager import JobSystem


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



class SimulatedExec:
    """The exec back end for simulated jobs (see :class:`fakeflux.broker.jobs.exec.ExecBackend`)."""

    def __init__(self, system: JobSystem) -> None:
        self.system = system

    def start(self, job: Job) -> None:
        system = self.system
        system.exec_init(job)
        if system.scripted_exception(job, "init"):
            return  # raise_exception has ended the job (release, free, clean)
        system.exec_starting(job)
        self._write_output(job)
        if system.scripted_exception(job, "run"):
            return
        runtime = job.duration
        if job.script is not None and job.script.runtime is not None:
            runtime = job.script.runtime
        run_duration = job.test.get("run_duration")
        if isinstance(run_duration, str):
            try:
                runtime = parse_fsd(run_duration)
            except ValueError:
                pass
        if job.duration > 0 and runtime > job.duration:
            system.after(job, job.duration, lambda: system.expired(job))
        else:
            system.after(job, runtime, lambda: system.tasks_complete(job, self._exit_status(job)))

    def kill(self, job: Job, signum: int) -> None:
        """testexec_kill: the tasks "exit" on the signal at once."""
        self.system.cancel_timers(job)
        self.system.after(job, 0, lambda: self.system.tasks_complete(job, signum))

    def terminate(self, job: Job, signum: int) -> None:
        """A fatal exception while running: the tasks end on ``signum``."""
        self.kill(job, signum)

    def shutdown(self) -> None:
        pass

    @staticmethod
    def _exit_status(job: Job) -> int:
        if job.script is not None:
            return job.script.wait_status
        status = job.test.get("wait_status")
        return status if isinstance(status, int) else 0

    def _write_output(self, job: Job) -> None:
        js = job.script
        if js is None or not (js.output or js.stderr):
            return
        ns = guest_namespace(job.id)
        now = self.system.now()
        lines = [eventlog_entry(now, "header", {"version": 1, "encoding": {"stdout": "UTF-8", "stderr": "UTF-8"},
                                                "count": {"stdout": 1, "stderr": 1}, "options": {}})]
        for stream, data in (("stdout", js.output), ("stderr", js.stderr)):
            for line in data:
                text = line if line.endswith("\n") else line + "\n"
                lines.append(eventlog_entry(now, "data", {"stream": stream, "rank": "0", "data": text}))
        for stream in ("stdout", "stderr"):
            lines.append(eventlog_entry(now, "data", {"stream": stream, "rank": "0", "eof": True}))
        self.system.kvs_write(ns, "output", "".join(lines).encode())
