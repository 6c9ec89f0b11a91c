"""``resource_status``: ``flux resource status`` data from the resource module and scheduler."""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional

from ..idset import IDset
from ..rpc import RPC
from .list import resource_list
from .ResourceSet import ResourceSet

__all__ = ["DrainInfo", "ResourceStatus", "ResourceStatusRPC", "resource_status"]


class DrainInfo(NamedTuple):
    """Ranks drained together: their ``ranks``, drain ``timestamp`` and ``reason``."""

    ranks: IDset
    timestamp: float
    reason: str


class ResourceStatus:
    """Rank sets by state: ``all``, ``avail``, ``offline``, ``online``, ``exclude``, ``torpid``,
    ``housekeeping``, ``allocated``, ``drained`` (drained and idle), ``draining`` (drained and
    allocated), plus ``drain_info`` and the ``nodelist``.
    """

    def __init__(
        self,
        rstatus: Optional[Dict[str, Any]] = None,
        allocated_ranks: Optional[IDset] = None,
        housekeeping_ranks: Optional[IDset] = None,
    ) -> None:
        if rstatus is None:  # an empty status
            rstatus = {
                "R": None,
                "offline": "",
                "online": "",
                "exclude": "",
                "torpid": "",
                "housekeeping": "",
                "drain": {},
            }
        self.rstatus = rstatus
        self.rset = ResourceSet(rstatus["R"])
        self.nodelist = self.rset.nodelist
        self.allocated_ranks = allocated_ranks if allocated_ranks is not None else IDset()
        self.housekeeping_ranks = housekeeping_ranks if housekeeping_ranks is not None else IDset()
        self._recalculate()

    def filter(self, include: Any) -> None:
        """Keep only the given ranks or hosts."""
        include_ranks: Any
        try:
            include_ranks = IDset(include)
        except ValueError:
            include_ranks = self.nodelist.index(include, ignore_nomatch=True)
        self._recalculate(include_ranks)

    def _recalculate(self, include_ranks: Any = None) -> None:
        self.all = self.rset.ranks
        self.offline = IDset(self.rstatus["offline"])
        self.online = IDset(self.rstatus["online"])
        self.exclude = IDset(self.rstatus["exclude"])
        self.torpid = IDset(self.rstatus["torpid"]) if "torpid" in self.rstatus else IDset()
        self.allocated = self.allocated_ranks
        self.housekeeping = self.housekeeping_ranks
        if include_ranks is not None:
            for name in ("all", "offline", "online", "exclude", "allocated", "torpid"):
                setattr(self, name, getattr(self, name).intersect(include_ranks))
        self.drained = IDset()
        self.drain_info: List[DrainInfo] = []
        self._drain_lookup: Dict[int, DrainInfo] = {}
        for drain_ranks, entry in self.rstatus["drain"].items():
            ranks = IDset(drain_ranks)
            if include_ranks is not None:
                ranks = ranks.intersect(include_ranks)
            self.drained += ranks
            info = DrainInfo(ranks, entry["timestamp"], entry["reason"])
            self.drain_info.append(info)
            for rank in ranks:
                self._drain_lookup[rank] = info
        self.draining = self.drained & self.allocated
        self.drained -= self.draining
        self.avail = self.all - self.get_idset("exclude", "drained", "draining", "torpid")

    def __getitem__(self, state: str) -> Any:
        return getattr(self, state)

    def get_idset(self, *args: str) -> IDset:
        """The union of the rank sets of the named states."""
        ids = IDset()
        for state in args:
            ids.add(self[state])
        return ids

    def get_drain_info(self, rank: int) -> Optional[DrainInfo]:
        """The DrainInfo of ``rank`` (None if not drained); ValueError for an unknown rank."""
        if rank not in self.all:
            raise ValueError("invalid rank {rank}")  # sic: flux-core's text has no f-string
        return self._drain_lookup.get(rank)


class ResourceStatusRPC:
    """``resource.status``, the scheduler's list and ``job-manager.stats-get``, combined on ``get()``."""

    def __init__(self, handle: Any) -> None:
        self.rpcs = [
            RPC(handle, "resource.status", nodeid=0, flags=0),
            resource_list(handle),
            RPC(handle, "job-manager.stats-get", nodeid=0, flags=0),
        ]
        self.rlist: Any = None
        self.rstatus: Any = None
        self.allocated_ranks: Optional[IDset] = None
        self.housekeeping_ranks: Optional[IDset] = None

    def get_status(self) -> Any:
        if self.rstatus is None:
            self.rstatus = self.rpcs[0].get()
        return self.rstatus

    def get_allocated_ranks(self) -> IDset:
        if self.allocated_ranks is None:
            try:
                self.rlist = self.rpcs[1].get()
                self.allocated_ranks = self.rlist.allocated.ranks
            except OSError:
                self.allocated_ranks = IDset()
        return self.allocated_ranks

    def get_housekeeping_ranks(self) -> IDset:
        if self.housekeeping_ranks is None:
            self.housekeeping_ranks = IDset()
            try:
                stats = self.rpcs[2].get()
                for info in stats["housekeeping"]["running"].values():
                    self.housekeeping_ranks.add(info["allocated"])
            except OSError:
                pass  # no housekeeping information: none running
        return self.housekeeping_ranks

    def get(self) -> ResourceStatus:
        """The ResourceStatus (blocks until all three answers arrived)."""
        return ResourceStatus(self.get_status(), self.get_allocated_ranks(), self.get_housekeeping_ranks())


def resource_status(flux_handle: Any) -> ResourceStatusRPC:
    """Start the queries behind ``flux resource status``; ``.get()`` gives a ResourceStatus."""
    return ResourceStatusRPC(flux_handle)
