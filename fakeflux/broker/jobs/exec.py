"""What the job manager needs of an exec back end (job-exec's part in
flux-core).  Two implement it: :class:`~fakeflux.broker.jobs.exec_sim.SimulatedExec`
(flux-core's test executor, simulated time) and the local one that runs real
processes through the IO layer.

A back end reports back through the job manager: ``exec_init``/``exec_starting``
as the job shell comes up, ``tasks_complete(job, wait_status)`` when every
task has exited, ``expired(job)`` when the time limit passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fakeflux.broker.jobs.model import Job


class ExecBackend(Protocol):
    def start(self, job: Job) -> None:
        """Resources are allocated: start the job's tasks."""

    def kill(self, job: Job, signum: int) -> None:
        """``flux job kill``: send ``signum`` to the running tasks."""

    def terminate(self, job: Job, signum: int) -> None:
        """A fatal exception hit the running job: end its tasks (``signum``
        first, escalating as job-exec does)."""

    def shutdown(self) -> None:
        """The instance stops: end every task and release what is held."""
