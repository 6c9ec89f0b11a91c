"""The interface of scheduler resource pools (flux-core's ``ResourcePoolImplementation``).

A pool is a resource set that also tracks which resources are up and which
are allocated to which job, for schedulers written in Python.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, List, Tuple

from .ResourceSetImplementation import ResourceSetImplementation

__all__ = ["InsufficientResources", "InfeasibleRequest", "ResourcePoolImplementation"]


class InsufficientResources(OSError):
    """Not enough resources free now: try again when some are freed."""


class InfeasibleRequest(OSError):
    """The request can never be satisfied by this pool."""


class ResourcePoolImplementation(ResourceSetImplementation):
    """A resource set with availability, allocations and per-job state.

    ``generation`` counts mutations (:meth:`_bump`), so a copy can tell
    whether it is stale; ``log(level, msg)`` does nothing unless a logger
    was given.
    """

    generation: int = 0

    def log(self, level: int, msg: str) -> None:
        """Log at syslog priority ``level`` (replaced by the logger given to the pool)."""

    def _bump(self) -> None:
        self.generation += 1

    @property
    def name(self) -> str:
        """The implementation's name (the class name by default)."""
        return type(self).__name__

    @property
    def expiration(self) -> float:
        return self.get_expiration()

    @expiration.setter
    def expiration(self, value: float) -> None:
        self.set_expiration(value)

    @abstractmethod
    def mark_up(self, ids: str) -> None:
        """Mark the resources of an idset (or "all") up."""

    @abstractmethod
    def mark_down(self, ids: str) -> None:
        """Mark the resources of an idset (or "all") down."""

    @abstractmethod
    def copy_down(self) -> Any:
        """A resource set of the down resources."""

    @abstractmethod
    def register_alloc(self, jobid: int, R: Any) -> None:  # noqa: N803 - flux-core's name
        """Record an existing allocation (scheduler reconnect)."""

    @abstractmethod
    def free(self, jobid: int, R: Any = None, final: bool = False) -> None:  # noqa: N803
        """Return (some of) a job's resources."""

    @abstractmethod
    def update_expiration(self, jobid: int, expiration: float) -> None:
        """Change a running job's end time."""

    @abstractmethod
    def job_end_times(self) -> List[Tuple[int, float]]:
        """(jobid, end time) of every tracked job."""

    @abstractmethod
    def parse_resource_request(self, jobspec: dict) -> Any:
        """A pool-specific request from a jobspec."""

    @abstractmethod
    def alloc(self, jobid: int, request: Any) -> Any:
        """Allocate for ``jobid``; the allocated set."""

    @abstractmethod
    def check_feasibility(self, request: Any) -> None:
        """InfeasibleRequest if ``request`` can never be satisfied."""

    @abstractmethod
    def copy_allocated(self) -> Any:
        """A resource set of the allocated resources."""

    @abstractmethod
    def to_set(self) -> Any:
        """The resources and their state, without allocations."""
