"""``Rv1Pool``: an Rv1 resource set that a Python scheduler allocates from.

Pool state lives in the per-rank entries inherited from Rv1Set: besides
``hostname``, ``cores`` and ``gpus`` each has ``up`` (may be scheduled),
``allocated_cores`` and ``allocated_gpus``. ``_job_state`` maps a job id to
``(end_time, allocation)``. Placement is worst-fit (the ranks with the most
free cores, then GPUs, first; the lowest free ids on each rank); constraints
are RFC 31 expressions matched by Rv1Set. Those names, and the hooks
``_from_state``/``_init_from_state``, ``_sort_candidates``, ``_select_resources``
and ``_check_feasibility``, are what subclasses (TreePool) and flux-core's
tests build on.
"""

from __future__ import annotations

import json
import syslog
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple

from ..idset import IDset
from .ResourceCount import ResourceCount
from .ResourcePoolImplementation import InfeasibleRequest, InsufficientResources, ResourcePoolImplementation
from .Rv1Set import Rv1Set

__all__ = ["MAX_RESOURCE_DEPTH", "ResourceRequest", "Rv1Pool"]

#: Deepest resource nesting accepted in a jobspec (far above any real one).
MAX_RESOURCE_DEPTH = 100

RankEntry = Dict[str, Any]
#: what alloc hands to _select_resources: (rank, its entry, free cores, free gpus)
Candidate = Tuple[int, RankEntry, Set[int], Set[int]]
#: what _select_resources picks: (rank, cores, gpus)
Selection = Tuple[int, FrozenSet[int], FrozenSet[int]]


def _f58(jobid: int) -> str:
    from ..job import JobID

    return str(JobID(jobid).f58)


# -- reading a jobspec -------------------------------------------------------------------------------


def _vertices(
    vertices: List[Dict[str, Any]], nodefactor: int = 1, depth: int = 0
) -> Iterator[Tuple[Dict[str, Any], ResourceCount, int]]:
    """Every resource vertex, parents before children, with its count and the product of the
    counts of the non-node vertices above it (how many times a node vertex is repeated)."""
    if depth > MAX_RESOURCE_DEPTH:
        raise ValueError(f"jobspec resource nesting exceeds maximum depth {MAX_RESOURCE_DEPTH}")
    for vertex in vertices:
        count = ResourceCount.from_count_spec(vertex.get("count", 1))
        yield vertex, count, nodefactor
        below = vertex.get("with", [])
        if below:
            inner = nodefactor if vertex.get("type", "") == "node" else nodefactor * count.min
            yield from _vertices(below, inner, depth + 1)


@dataclass
class JobspecShape:
    """What the resource vertices of a jobspec say, any nesting; a later vertex of a type
    overrides an earlier one (as libjj reads them)."""

    nodes: Optional[ResourceCount] = None
    nodefactor: int = 1
    slots: Optional[ResourceCount] = None
    slot_size: Optional[int] = None
    gpu_per_slot: int = 0
    exclusive: bool = False
    slot_above_node: bool = False  # a slot vertex seen before the node vertex
    container_level: Optional[str] = None  # an exclusive leaf of another type (TreePool)
    system: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def scan(cls, jobspec: Dict[str, Any]) -> JobspecShape:
        """ValueError for a jobspec without resources or slots, or a version 1 one without
        ``attributes.system.duration`` (with libjj's texts)."""
        resources = jobspec.get("resources", [])
        if not resources:
            raise ValueError("jobspec has no resources")
        shape = cls()
        for vertex, count, nodefactor in _vertices(resources):
            kind = vertex.get("type", "")
            if kind in ("node", "slot") and vertex.get("exclusive", False):
                shape.exclusive = True
            if kind == "node":
                shape.nodes, shape.nodefactor = count, nodefactor
                shape.slot_above_node = shape.slot_above_node or shape.slots is not None
            elif kind == "slot":
                shape.slots = count
            elif kind == "core":
                shape.slot_size = count.min
            elif kind == "gpu":
                shape.gpu_per_slot = count.min
            elif vertex.get("exclusive", False) and not vertex.get("with"):
                shape.container_level = kind
        system = jobspec.get("attributes", {}).get("system")
        if jobspec.get("version") == 1:
            for missing, absent in (("system", system is None), ("duration", (system or {}).get("duration") is None)):
                if absent:
                    raise ValueError(f"getting duration: Object item not found: {missing}")
        if shape.slots is None:
            raise ValueError("Unable to determine slot count")
        shape.system = system or {}
        return shape

    @property
    def duration(self) -> float:
        return float(self.system.get("duration") or 0.0)

    @property
    def constraint(self) -> Any:
        return self.system.get("constraints") or None


@dataclass(eq=False)  # requests compare (and hash) by identity
class ResourceRequest:
    """What a jobspec asks for.

    ``node_count`` (ResourceCount; None when only slots are given; for an
    exclusive slot-only request, the slot count), ``slot_count`` (per node,
    or in total without nodes), ``slot_size`` (cores per slot),
    ``gpu_per_slot``, ``duration`` (0: unlimited), ``constraint`` (RFC 31),
    ``exclusive``, and the ``jobspec`` itself.
    """

    node_count: Optional[ResourceCount]
    slot_count: ResourceCount
    slot_size: int
    gpu_per_slot: int
    duration: float
    constraint: Any
    exclusive: bool
    jobspec: Optional[dict] = None

    def _per_node(self, pick: Callable[[ResourceCount], Optional[int]], without_nodes: Optional[int]) -> Any:
        return without_nodes if self.node_count is None else pick(self.node_count)

    @property
    def nnodes(self) -> int:
        """Fewest nodes (0 when only slots are asked for)."""
        return int(self._per_node(lambda nodes: nodes.min, 0))

    @property
    def nnodes_max(self) -> Optional[int]:
        """Most nodes (0 for slots only, None when unbounded)."""
        return self._per_node(lambda nodes: nodes.max, 0)

    @property
    def nslots(self) -> int:
        """Fewest slots in total."""
        return self.slot_count.min * (1 if self.node_count is None else self.node_count.min)

    @property
    def nslots_max(self) -> Optional[int]:
        """Most slots in total (None when unbounded)."""
        per_node = self.slot_count.max
        if self.node_count is None:
            return per_node
        nodes = self.node_count.max
        return None if per_node is None or nodes is None else per_node * nodes

    @property
    def ncores(self) -> int:
        return self.slot_size * self.nslots

    @property
    def ngpus(self) -> int:
        return self.gpu_per_slot * self.nslots

    @classmethod
    def from_jobspec(cls, jobspec: Dict[str, Any]) -> ResourceRequest:
        """The request of a jobspec; ValueError (see JobspecShape.scan), and for no core vertex."""
        shape = JobspecShape.scan(jobspec)
        if shape.slot_size is None:
            raise ValueError("Unable to determine slot size")
        assert shape.slots is not None
        nodes = None if shape.nodes is None else shape.nodes.scaled(shape.nodefactor)
        slots = shape.slots
        if shape.exclusive and nodes is None:  # each exclusive slot is a whole node
            nodes, slots = slots, ResourceCount(1, 1)
        return cls(
            nodes,
            slots,
            shape.slot_size,
            shape.gpu_per_slot,
            shape.duration,
            shape.constraint,
            shape.exclusive,
            jobspec,
        )


def _reject_discrete_counts(request: ResourceRequest) -> None:
    for name, count in (("node", request.node_count), ("slot", request.slot_count)):
        if count is not None and count._values is not None:
            raise InfeasibleRequest(
                f"{name} count specifies discrete valid values that this scheduler "
                "does not support; use a simple min-max range instead"
            )


def _request_constraint(request: Any) -> Any:
    """The request's constraint as a mapping (it may come as JSON text)."""
    value = request.constraint
    return json.loads(value) if isinstance(value, str) else value


# -- per-rank entries ----------------------------------------------------------------------------------


def _entry(info: RankEntry, cores: Any = None, gpus: Any = None) -> RankEntry:
    """A plain (Rv1Set) entry for ``info``'s host: its own ids unless others are given."""
    return {
        "hostname": info["hostname"],
        "cores": info["cores"] if cores is None else cores,
        "gpus": info["gpus"] if gpus is None else gpus,
    }


def _pool_entry(plain: RankEntry, up: bool, allocated: Tuple[Iterable[int], Iterable[int]]) -> RankEntry:
    used_cores, used_gpus = allocated
    return {**plain, "up": up, "allocated_cores": set(used_cores), "allocated_gpus": set(used_gpus)}


def _properties_within(
    properties: Dict[str, Set[int]], ranks: Set[int], keep: Callable[[str], bool]
) -> Dict[str, Set[int]]:
    narrowed = {name: holders & ranks for name, holders in properties.items() if keep(name)}
    return {name: holders for name, holders in narrowed.items() if holders}


def _any(_name: str) -> bool:
    return True


def _free(info: RankEntry) -> Tuple[Set[int], Set[int]]:
    return info["cores"] - info["allocated_cores"], info["gpus"] - info["allocated_gpus"]


def _lowest(ids: Iterable[int], n: int) -> FrozenSet[int]:
    return frozenset(sorted(ids)[:n])


class Rv1Pool(Rv1Set, ResourcePoolImplementation):
    """An Rv1 pool: resource set plus up/down state, allocations and job end times."""

    version = 1
    #: Pool options this implementation understands (schedulers warn about others).
    known_options: frozenset = frozenset()

    def __init__(self, R: Any, log: Optional[Callable[[int, str], Any]] = None, **kwargs: Any) -> None:  # noqa: N803
        if log is not None:
            self.log = log  # type: ignore[method-assign,assignment]
        if not (R is None or isinstance(R, (str, Mapping))):
            raise TypeError(f"Rv1Pool: expected str or Mapping, got {type(R)!r}")
        Rv1Set.__init__(self, R, keep_scheduling=True)
        self._ranks = {rank: _pool_entry(info, True, ((), ())) for rank, info in self._ranks.items()}
        self._job_state: Dict[int, Tuple[float, Rv1Pool]] = {}

    # -- construction without R ------------------------------------------------------------------------
    @classmethod
    def _from_state(
        cls,
        expiration: float,
        starttime: float,
        has_nodelist: bool,
        properties: Dict[str, Set[int]],
        ranks: Dict[int, RankEntry],
        scheduling: Any,
        job_state: Dict[int, Tuple[float, Any]],
        log: Any,
        generation: int = 0,
        source: Any = None,
    ) -> Rv1Pool:
        """A pool from explicit state, not R; subclasses take their own extra state from
        ``source`` in :meth:`_init_from_state`."""
        pool = object.__new__(cls)
        vars(pool).update(
            _expiration=expiration,
            _starttime=starttime,
            _has_nodelist=has_nodelist,
            _properties=properties,
            _ranks=ranks,
            _job_state=job_state,
            generation=generation,
        )
        pool.scheduling = scheduling
        if log is not None:
            pool.log = log  # type: ignore[method-assign]
        if source is not None:
            pool._init_from_state(source)
        return pool

    def _init_from_state(self, source: Rv1Pool) -> None:
        """Hook for subclasses: take extra attributes from the pool being copied."""

    def _derived_pool(self, ranks: Dict[int, RankEntry], properties: Dict[str, Set[int]], **state: Any) -> Rv1Pool:
        """A pool of this class sharing this one's scheduling data; ``state`` overrides the rest."""
        settings: Dict[str, Any] = {
            "expiration": self._expiration,
            "starttime": self._starttime,
            "has_nodelist": self._has_nodelist,
            "job_state": {},
            "log": self.log,
        }
        settings.update(state)
        return type(self)._from_state(
            properties=properties, ranks=ranks, scheduling=self.scheduling, source=self, **settings
        )

    def _copy_from_ranks(self, rank_set: Set[int]) -> Rv1Pool:
        """A pool of ``rank_set`` (up/down kept, nothing allocated)."""
        ranks = {
            rank: _pool_entry(_entry(self._ranks[rank]), self._ranks[rank]["up"], ((), ()))
            for rank in rank_set
            if rank in self._ranks
        }
        return self._derived_pool(ranks, _properties_within(self._properties, rank_set, _any))

    # -- availability ------------------------------------------------------------------------------------
    def _mark(self, ids: str, up: bool) -> None:
        chosen = self._ranks.keys() if ids == "all" else [rank for rank in IDset(ids) if rank in self._ranks]
        for rank in chosen:
            self._ranks[rank]["up"] = up
        self._bump()

    def mark_up(self, ids: str) -> None:
        """Make ranks (an idset, or "all") schedulable."""
        self._mark(ids, True)

    def mark_down(self, ids: str) -> None:
        """Make ranks (an idset, or "all") unschedulable."""
        self._mark(ids, False)

    def remove_ranks(self, ranks: Any) -> None:  # type: ignore[override]
        """Drop ranks from the pool (instance shrink)."""
        gone = set(ranks if isinstance(ranks, IDset) else IDset(ranks))
        for rank in gone:
            self._ranks.pop(rank, None)
        for holders in self._properties.values():
            holders -= gone
        self._bump()

    # -- jobs ---------------------------------------------------------------------------------------------
    def _account(self, allocation: Rv1Pool, taking: bool) -> None:
        """Add (``taking``) or return an allocation's ids to the ranks' allocated sets."""
        for rank, info in allocation._ranks.items():
            mine = self._ranks.get(rank)
            if mine is None:
                continue
            for kind in ("cores", "gpus"):
                used = mine["allocated_" + kind]
                if taking:
                    used |= info[kind]
                else:
                    used -= info[kind]

    def _set_allocated(self, other: Rv1Pool) -> None:
        self._account(other, True)

    def _release(self, allocation: Rv1Pool) -> None:
        self._account(allocation, False)

    def register_alloc(self, jobid: int, R: Rv1Pool) -> None:  # noqa: N803 - flux-core's name
        """Record an allocation made before a scheduler restart; ValueError for unknown ranks."""
        unknown = R._ranks.keys() - self._ranks.keys()
        if unknown:
            raise ValueError(f"allocation contains ranks not in resource pool: {sorted(unknown)}")
        self._set_allocated(R)
        self._job_state[jobid] = (R.get_expiration(), R)
        self._bump()
        self.log(syslog.LOG_INFO, f"hello: {_f58(jobid)}: {R.dumps()}")

    def _check_free(self, jobid: int, R: Rv1Pool, tracked: Rv1Pool, final: bool) -> None:  # noqa: N803
        extra = set(R._ranks) - set(tracked._ranks)
        if extra:
            raise ValueError(f"free: {_f58(jobid)}: R contains ranks not in job allocation: {extra}")
        if not final:
            return
        same = R._ranks.keys() == tracked._ranks.keys() and all(
            (info["cores"], info["gpus"]) == (tracked._ranks[rank]["cores"], tracked._ranks[rank]["gpus"])
            for rank, info in R._ranks.items()
        )
        if not same:
            raise ValueError(f"free: {_f58(jobid)}: final R mismatch: got {R.dumps()}, expected {tracked.dumps()}")

    def free(self, jobid: int, R: Any = None, final: bool = False) -> None:  # noqa: N803
        """Return resources of ``jobid``: ``R`` (part of them), or all with ``final`` or without ``R``.

        ValueError if ``R`` has ranks outside the job's allocation, or (with
        ``final``) differs from what remains of it.
        """
        entry = self._job_state.get(jobid)
        if R is not None and entry is not None:
            self._check_free(jobid, R, entry[1], final)
        if final or R is None:
            if entry is None:
                return
            del self._job_state[jobid]
            returned = entry[1]
        else:
            returned = R
            if entry is not None:  # the job keeps what it did not return
                end_time, held = entry
                self._job_state[jobid] = (end_time, held._copy_from_ranks(set(held._ranks) - set(R._ranks)))
        self._release(returned)
        note = " (final)" if final else ""
        self.log(syslog.LOG_DEBUG, f"free: {_f58(jobid)}: {returned.dumps()}{note}")
        self._bump()

    def update_expiration(self, jobid: int, expiration: float) -> None:
        """Change the end time of a tracked job."""
        entry = self._job_state.get(jobid)
        if entry is not None:
            self._job_state[jobid] = (expiration, entry[1])
            self._bump()

    def job_end_times(self) -> List[Tuple[int, float]]:
        return [(jobid, entry[0]) for jobid, entry in self._job_state.items()]

    # -- scheduling --------------------------------------------------------------------------------------
    def parse_resource_request(self, jobspec: dict) -> ResourceRequest:
        return ResourceRequest.from_jobspec(jobspec)

    def check_feasibility(self, request: Any) -> None:
        """InfeasibleRequest if the pool's total capacity can never satisfy ``request``."""
        _reject_discrete_counts(request)
        self._check_feasibility(request)

    @staticmethod
    def _constraint(request: Any) -> Any:
        return _request_constraint(request)

    def _candidates(self, request: Any) -> List[Candidate]:
        """Up ranks with room for one slot (a whole node when exclusive) that match the constraint."""
        constraint = self._constraint(request)
        found: List[Candidate] = []
        for rank, info in self._ranks.items():
            if not info["up"]:
                continue
            cores, gpus = _free(info)
            needed = len(info["cores"]) if request.exclusive else request.slot_size
            if len(cores) < needed or len(gpus) < request.gpu_per_slot:
                continue
            found.append((rank, info, cores, gpus))
        if constraint is None:
            return found
        return [c for c in found if self._matches_constraint(c[0], c[1], constraint)]

    def _end_time(self, request: Any) -> float:
        if request.duration > 0.0:
            return time.time() + request.duration
        return max(self._expiration, 0.0)  # the pool's own end, if it has one

    def alloc(self, jobid: int, request: Any) -> Rv1Pool:
        """Allocate for ``jobid``: the allocated pool; InsufficientResources or InfeasibleRequest."""
        _reject_discrete_counts(request)
        picked, nslots = self._select_resources(self._sort_candidates(self._candidates(request)), request)
        ranks = {
            rank: _pool_entry(_entry(self._ranks[rank], cores, gpus), True, (cores, gpus))
            for rank, cores, gpus in picked
        }
        # instance-local properties (a leading '+') stay out of the job's R
        properties = _properties_within(self._properties, set(ranks), lambda name: not name.startswith("+"))
        allocation = self._derived_pool(ranks, properties, expiration=0.0, starttime=0.0, has_nodelist=True)
        allocation._nslots = nslots
        self._set_allocated(allocation)
        self._job_state[jobid] = (self._end_time(request), allocation)
        self._bump()
        self.log(syslog.LOG_DEBUG, f"alloc: {_f58(jobid)}: {allocation.dumps()}")
        return allocation

    # -- copies -------------------------------------------------------------------------------------------
    def copy(self) -> Rv1Pool:
        """An independent copy with allocations and job state (its log stays silent:
        copies are for forecasts, whose allocations must not be logged)."""
        ranks = {
            rank: dict(info, allocated_cores=set(info["allocated_cores"]), allocated_gpus=set(info["allocated_gpus"]))
            for rank, info in self._ranks.items()
        }
        properties = {name: set(holders) for name, holders in self._properties.items()}
        return self._derived_pool(
            ranks, properties, job_state=dict(self._job_state), log=None, generation=self.generation
        )

    def _plain_set(self, ranks: Dict[int, RankEntry], properties: Dict[str, Set[int]], nodelist: bool) -> Rv1Set:
        plain = Rv1Set()
        plain._ranks, plain._properties, plain._has_nodelist = ranks, properties, nodelist
        plain._expiration, plain._starttime = self._expiration, self._starttime
        return plain

    def copy_allocated(self) -> Rv1Set:
        """An Rv1Set of what is allocated (properties kept for those ranks)."""
        ranks = {
            rank: _entry(info, frozenset(info["allocated_cores"]), frozenset(info["allocated_gpus"]))
            for rank, info in self._ranks.items()
            if info["allocated_cores"] or info["allocated_gpus"]
        }
        return self._plain_set(ranks, _properties_within(self._properties, set(ranks), _any), False)

    def copy_down(self) -> Rv1Set:
        """An Rv1Set of the down ranks (no properties)."""
        return self._plain_set({rank: _entry(info) for rank, info in self._ranks.items() if not info["up"]}, {}, False)

    def to_set(self) -> Rv1Set:
        """An Rv1Set of all ranks and properties, without pool state."""
        properties = {name: set(holders) for name, holders in self._properties.items()}
        ranks = {rank: _entry(info) for rank, info in self._ranks.items()}
        return self._plain_set(ranks, properties, self._has_nodelist)

    # -- placement policy (subclasses may override) -------------------------------------------------------
    def _sort_candidates(self, candidates: List[Candidate]) -> List[Candidate]:
        """Worst fit: most free cores first, then most free GPUs."""
        return sorted(candidates, key=lambda c: (len(c[2]), len(c[3])), reverse=True)

    def _short(self, request: Any) -> InsufficientResources:
        """The error for a request not met now: InfeasibleRequest (raised) if it never can be."""
        self._check_feasibility(request)
        return InsufficientResources("insufficient resources")

    def _select_resources(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        """Pick (rank, cores, gpus) from sorted candidates; the selection and its slot count.

        The candidates' entries are live pool state: read them only. A request
        that cannot be met raises InfeasibleRequest or InsufficientResources.
        """
        if request.nnodes > 0:
            return self._select_nodes(candidates, request)
        return self._select_slots(candidates, request)

    def _select_nodes(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        per_node = request.nslots // request.nnodes
        cores_wanted, gpus_wanted = per_node * request.slot_size, per_node * request.gpu_per_slot
        limit = request.nnodes_max
        picked: List[Selection] = []
        for rank, info, cores, gpus in candidates:
            if limit is not None and len(picked) >= limit:
                break
            if request.exclusive:
                if len(cores) == len(info["cores"]):  # only wholly idle nodes
                    picked.append((rank, frozenset(cores), frozenset(gpus)))
            elif len(cores) >= cores_wanted and len(gpus) >= gpus_wanted:
                picked.append((rank, _lowest(cores, cores_wanted), _lowest(gpus, gpus_wanted)))
        if len(picked) < request.nnodes:
            raise self._short(request)
        return picked, per_node * len(picked)

    def _select_slots(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        size, gpus_each, limit = request.slot_size, request.gpu_per_slot, request.nslots_max
        picked: List[Selection] = []
        total = 0
        for rank, _info, cores, gpus in candidates:
            room = len(cores) // size
            if gpus_each > 0:
                room = min(room, len(gpus) // gpus_each)
            if limit is not None:
                room = min(room, limit - total)
            if room > 0:
                picked.append((rank, _lowest(cores, room * size), _lowest(gpus, room * gpus_each)))
                total += room
            if limit is not None and total >= limit:
                break
        if total < request.nslots:
            raise self._short(request)
        return picked, total

    def _check_feasibility(self, request: Any) -> None:
        """InfeasibleRequest if no state of the pool could ever satisfy ``request`` (size and constraint)."""
        constraint = self._constraint(request)
        eligible = [
            info
            for rank, info in self._ranks.items()
            if constraint is None or self._matches_constraint(rank, info, constraint)
        ]
        nnodes, nslots, size, gpus_each = request.nnodes, request.nslots, request.slot_size, request.gpu_per_slot

        def holding(cores: int, gpus: int) -> int:
            return sum(1 for info in eligible if len(info["cores"]) >= cores and len(info["gpus"]) >= gpus)

        if request.exclusive:
            wanted = max(nnodes, 1)
            fit = holding(size, gpus_each)
            if fit < wanted:
                raise InfeasibleRequest(f"unsatisfiable request: need {wanted} exclusive node(s), only {fit} eligible")
        elif nnodes > 0:
            per_node = nslots // nnodes
            cores, gpus = per_node * size, per_node * gpus_each
            fit = holding(cores, gpus)
            if fit < nnodes:
                gpu_note = f" and {gpus} GPUs" if gpus else ""
                raise InfeasibleRequest(
                    f"unsatisfiable request: need {nnodes} node(s) with {cores} cores{gpu_note} each, "
                    f"only {fit} eligible"
                )
        else:
            self._check_slot_capacity(eligible, nslots, size, gpus_each)

    @staticmethod
    def _check_slot_capacity(eligible: List[RankEntry], nslots: int, size: int, gpus_each: int) -> None:
        """A slot must fit on one rank: count the whole slots each rank can ever hold."""
        core_slots = [len(info["cores"]) // size for info in eligible]
        if sum(core_slots) < nslots:
            raise InfeasibleRequest(
                f"unsatisfiable request: need {nslots} slot(s) of {size} core(s), "
                f"only {sum(core_slots)} such slot(s) available "
                f"(total cores: {sum(len(info['cores']) for info in eligible)})"
            )
        if gpus_each <= 0:
            return
        gpu_slots = sum(min(n, len(info["gpus"]) // gpus_each) for n, info in zip(core_slots, eligible))
        if gpu_slots < nslots:
            raise InfeasibleRequest(
                f"unsatisfiable request: need {nslots} slot(s) with {gpus_each} GPU(s) each, "
                f"only {gpu_slots} available (total GPUs: {sum(len(info['gpus']) for info in eligible)})"
            )
