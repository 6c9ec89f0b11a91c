"""``flux resource status`` data: rank sets by state, merged from three services.

The resource module's ``resource.status`` gives R and the online, offline,
excluded, torpid and drained ranks; the scheduler's resource list says which
ranks run jobs; the job manager's stats say which run housekeeping.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional

from ..idset import IDset
from ..rpc import RPC
from .list import resource_list
from .ResourceSet import ResourceSet

__all__ = ["DrainInfo", "ResourceStatus", "ResourceStatusRPC", "resource_status"]

# the status resource.status answers when there is none: no R, no ranks in any state
_EMPTY_STATUS: Dict[str, Any] = {
    "R": None,
    "offline": "",
    "online": "",
    "exclude": "",
    "torpid": "",
    "housekeeping": "",
    "drain": {},
}

# states a filter narrows (housekeeping is left whole, as in flux-core)
_FILTERED = ("all", "offline", "online", "exclude", "allocated", "torpid")

# states that keep a rank from counting as available
_UNAVAILABLE = ("exclude", "drained", "draining", "torpid")


class DrainInfo(NamedTuple):
    """Ranks drained together: their ``ranks``, drain ``timestamp`` and ``reason``."""

    ranks: IDset
    timestamp: float
    reason: str


class ResourceStatus:
    """Rank sets by state: ``all``, ``avail``, ``offline``, ``online``, ``exclude``, ``torpid``,
    ``housekeeping``, ``allocated``, ``drained`` (drained and idle), ``draining`` (drained and
    allocated), plus ``drain_info`` and the ``nodelist``. ``status[name]`` is ``status.name``.
    """

    all: IDset
    avail: IDset
    offline: IDset
    online: IDset
    exclude: IDset
    torpid: IDset
    housekeeping: IDset
    allocated: IDset
    drained: IDset
    draining: IDset
    drain_info: List[DrainInfo]

    def __init__(
        self,
        rstatus: Optional[Dict[str, Any]] = None,
        allocated_ranks: Optional[IDset] = None,
        housekeeping_ranks: Optional[IDset] = None,
    ) -> None:
        self.rstatus = dict(_EMPTY_STATUS) if rstatus is None else rstatus
        self.rset = ResourceSet(self.rstatus["R"])
        self.nodelist = self.rset.nodelist
        self.allocated_ranks = IDset() if allocated_ranks is None else allocated_ranks
        self.housekeeping_ranks = IDset() if housekeeping_ranks is None else housekeeping_ranks
        self._by_rank: Dict[int, DrainInfo] = {}
        self._recalculate()

    def filter(self, include: Any) -> None:
        """Narrow every state to ``include``: ranks (an idset) or else hostnames."""
        ranks: Any
        try:
            ranks = IDset(include)
        except ValueError:
            ranks = self.nodelist.index(include, ignore_nomatch=True)
        self._recalculate(ranks)

    def _recalculate(self, include_ranks: Any = None) -> None:
        def narrowed(ids: IDset) -> IDset:
            return ids if include_ranks is None else ids.intersect(include_ranks)

        status = self.rstatus
        whole = {
            "all": self.rset.ranks,
            "offline": IDset(status["offline"]),
            "online": IDset(status["online"]),
            "exclude": IDset(status["exclude"]),
            "torpid": IDset(status.get("torpid", "")),
            "allocated": self.allocated_ranks,
        }
        for state, ids in whole.items():
            setattr(self, state, narrowed(ids))
        self.housekeeping = self.housekeeping_ranks

        self.drain_info, self._by_rank = [], {}
        drained = IDset()
        for idset_text, entry in status["drain"].items():
            group = DrainInfo(narrowed(IDset(idset_text)), entry["timestamp"], entry["reason"])
            self.drain_info.append(group)
            drained += group.ranks
            self._by_rank.update(dict.fromkeys(group.ranks, group))
        self.draining = drained & self.allocated
        self.drained = drained - self.draining
        self.avail = self.all - self.get_idset(*_UNAVAILABLE)

    def __getitem__(self, state: str) -> Any:
        return getattr(self, state)

    def get_idset(self, *args: str) -> IDset:
        """The union of the rank sets of the named states."""
        union = IDset()
        for name in args:
            union.add(self[name])
        return union

    def get_drain_info(self, rank: int) -> Optional[DrainInfo]:
        """The DrainInfo of ``rank`` (None if not drained); ValueError for an unknown rank."""
        if rank not in self.all:
            raise ValueError("invalid rank {rank}")  # sic: flux-core's text is not an f-string
        return self._by_rank.get(rank)


def _allocated_from(rlist: Any) -> IDset:
    return rlist.allocated.ranks


def _housekeeping_from(stats: Dict[str, Any]) -> IDset:
    ranks = IDset()
    for job in stats["housekeeping"]["running"].values():
        ranks.add(job["allocated"])
    return ranks


class ResourceStatusRPC:
    """The three queries behind ``flux resource status``; ``get()`` waits for them and merges.

    A scheduler or job manager that cannot answer means no allocated (or
    housekeeping) ranks, not a failure; the resource module must answer.
    """

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

    def _cached(self, attribute: str, compute: Callable[[], Any]) -> Any:
        if getattr(self, attribute) is None:
            setattr(self, attribute, compute())
        return getattr(self, attribute)

    def _or_empty(self, index: int, extract: Callable[[Any], IDset]) -> IDset:
        try:
            answer = self.rpcs[index].get()
        except OSError:
            return IDset()
        if index == 1:
            self.rlist = answer
        return extract(answer)

    def get_status(self) -> Any:
        return self._cached("rstatus", self.rpcs[0].get)

    def get_allocated_ranks(self) -> IDset:
        return self._cached("allocated_ranks", lambda: self._or_empty(1, _allocated_from))

    def get_housekeeping_ranks(self) -> IDset:
        return self._cached("housekeeping_ranks", lambda: self._or_empty(2, _housekeeping_from))

    def get(self) -> ResourceStatus:
        """The merged ResourceStatus (blocks until all three answered)."""
        return ResourceStatus(self.get_status(), self.get_allocated_ranks(), self.get_housekeeping_ranks())


def resource_status(flux_handle: Any) -> ResourceStatusRPC:
    """Start the queries behind ``flux resource status``; ``.get()`` gives a ResourceStatus."""
    return ResourceStatusRPC(flux_handle)
