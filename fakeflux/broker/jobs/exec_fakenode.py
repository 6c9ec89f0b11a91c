"""The exec back end for jobs placed on ``[fake-resources]`` nodes that no
broker runs (ranks at or above the instance size) and that did not ask for
flux-core's test executor: real job-exec cannot reach a job shell there, so
the job fails as it does on real Flux: a fatal ``exec`` exception
``node failure on (null) (rank N)``, then ``finish`` with status 15, with no
``start``.  Jobs meant for fake nodes set ``attributes.system.exec.test``
(flux-config-fake-resources(5)) and run simulated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from fakeflux.broker.jobs.model import RUN, SIGTERM, Job

if TYPE_CHECKING:
    from fakeflux.broker.jobs.manager import JobSystem


class FakeNodeExec:
    """See :class:`fakeflux.broker.jobs.exec.ExecBackend`."""

    def __init__(self, system: JobSystem) -> None:
        self.system = system

    def start(self, job: Job) -> None:
        fake = self.system.sched.fake_ranks(job.alloc)
        rank = fake[0] if fake else 0
        self.system.after(job, 0, lambda: self._fail(job, rank))

    def _fail(self, job: Job, rank: int) -> None:
        system = self.system
        if job.state != RUN:
            return
        # job-exec writes userid before note here (the scheduler's deny is the other way round)
        context: Dict[str, Any] = {"type": "exec", "severity": 0, "userid": system.core.owner,
                                   "note": f"node failure on (null) (rank {rank})"}
        if job.exception is None:
            job.exception = context
        job.exception_occurred = True
        system.post(job, "exception", context)
        job.wait_status = SIGTERM
        system.post(job, "finish", {"status": SIGTERM})
        system.exec_done(job, SIGTERM)

    def kill(self, job: Job, signum: int) -> None:
        pass  # no task ever started

    def terminate(self, job: Job, signum: int) -> None:
        system = self.system
        system.cancel_timers(job)
        if job.state == RUN:
            system.exec_done(job, None)

    def shutdown(self) -> None:
        pass
