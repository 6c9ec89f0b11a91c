"""The interface a resource set version implements (flux-core's ``ResourceSetImplementation``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ["ResourceSetImplementation"]


class ResourceSetImplementation(ABC):
    """What :class:`flux.resource.ResourceSet` delegates to for one R version."""

    version: int

    @abstractmethod
    def dumps(self) -> str:
        """A short human-readable form."""

    @abstractmethod
    def encode(self) -> str:
        """The R JSON text."""

    @abstractmethod
    def nodelist(self) -> Any:
        """The hosts, as a Hostlist in rank order."""

    @abstractmethod
    def ranks(self) -> Any:
        """The ranks, as an IDset."""

    @abstractmethod
    def get_properties(self) -> str:
        """The RFC 20 properties object as JSON text."""

    @abstractmethod
    def nnodes(self) -> int:
        """The number of nodes."""

    @abstractmethod
    def count(self, name: str) -> int:
        """The number of resources of type ``name``."""

    @abstractmethod
    def copy(self) -> ResourceSetImplementation:
        """An independent copy."""

    @abstractmethod
    def copy_ranks(self, ranks: Any) -> ResourceSetImplementation:
        """A copy with only ``ranks``."""

    @abstractmethod
    def union(self, rset: Any) -> ResourceSetImplementation:
        """A new set: this one and ``rset``."""

    @abstractmethod
    def intersect(self, rset: Any) -> ResourceSetImplementation:
        """A new set: what is in both."""

    @abstractmethod
    def diff(self, rset: Any) -> ResourceSetImplementation:
        """A new set: what is in this one and not in ``rset``."""

    @abstractmethod
    def append(self, rset: Any) -> None:
        """Add ``rset`` to this set."""

    @abstractmethod
    def add(self, rset: Any) -> None:
        """Add what of ``rset`` is not in this set yet."""

    @abstractmethod
    def remove_ranks(self, ranks: Any) -> Any:
        """Drop ``ranks`` from this set."""

    @abstractmethod
    def get_expiration(self) -> float:
        """Expiration time (0: none)."""

    @abstractmethod
    def set_expiration(self, expiration: float) -> None:
        """Set the expiration time."""

    @abstractmethod
    def get_starttime(self) -> float:
        """Start time (0: none)."""

    @abstractmethod
    def set_starttime(self, starttime: float) -> None:
        """Set the start time."""
