"""The interface of scheduler resource pools (flux-core's ``ResourcePoolImplementation``).

A pool is a resource set that also tracks which resources are up and which
are allocated to which job, for schedulers written in Python.
"""

from __future__ import annotations

import abc
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

    def log(self, level: int, msg: str) -> None:  # noqa: B027 - does nothing unless replaced
        """Log at syslog priority ``level`` (replaced by the logger given to the pool)."""

    def _bump(self) -> None:
        self.generation += 1

    @property
    def name(self) -> str:
        """The implementation's name (the class name by default)."""
        return self.__class__.__name__

    def _get_expiration(self) -> float:
        return self.get_expiration()

    def _set_expiration(self, value: float) -> None:
        self.set_expiration(value)

    #: the end of the resource set's validity, as a property
    expiration = property(_get_expiration, _set_expiration)

    @abc.abstractmethod
    def mark_up(self, ids: str) -> None:
        """Mark the resources of an idset (or "all") up."""

    @abc.abstractmethod
    def mark_down(self, ids: str) -> None:
        """Mark the resources of an idset (or "all") down."""

    @abc.abstractmethod
    def copy_down(self) -> Any:
        """A resource set of the down resources."""

    @abc.abstractmethod
    def register_alloc(self, jobid: int, R: Any) -> None:  # noqa: N803 - flux-core's name
        """Record an existing allocation (scheduler reconnect)."""

    @abc.abstractmethod
    def free(self, jobid: int, R: Any = None, final: bool = False) -> None:  # noqa: N803
        """Return (some of) a job's resources."""

    @abc.abstractmethod
    def update_expiration(self, jobid: int, expiration: float) -> None:
        """Change a running job's end time."""

    @abc.abstractmethod
    def job_end_times(self) -> List[Tuple[int, float]]:
        """(jobid, end time) of every tracked job."""

    @abc.abstractmethod
    def parse_resource_request(self, jobspec: dict) -> Any:
        """A pool-specific request from a jobspec."""

    @abc.abstractmethod
    def alloc(self, jobid: int, request: Any) -> Any:
        """Allocate for ``jobid``; the allocated set."""

    @abc.abstractmethod
    def check_feasibility(self, request: Any) -> None:
        """InfeasibleRequest if ``request`` can never be satisfied."""

    @abc.abstractmethod
    def copy_allocated(self) -> Any:
        """A resource set of the allocated resources."""

    @abc.abstractmethod
    def to_set(self) -> Any:
        """The resources and their state, without allocations."""
