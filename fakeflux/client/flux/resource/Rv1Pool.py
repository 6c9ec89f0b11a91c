"""``Rv1Pool``: an Rv1 resource set that schedules (flux-core's pure-Python scheduler pool).

Each ``_ranks`` entry gains ``up`` (schedulable), ``allocated_cores`` and
``allocated_gpus``; ``_job_state`` maps a job id to ``(end_time, allocation)``.
Allocation is worst-fit: ranks with the most free cores (then GPUs) first,
lowest-numbered free ids on each rank.  Constraints use Rv1Set's RFC 31
matching.
"""

from __future__ import annotations

import json
import syslog
import time
from collections.abc import Mapping
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from ..idset import IDset
from .ResourceCount import ResourceCount
from .ResourcePoolImplementation import InfeasibleRequest, InsufficientResources, ResourcePoolImplementation
from .Rv1Set import Rv1Set

__all__ = ["MAX_RESOURCE_DEPTH", "ResourceRequest", "Rv1Pool"]

#: Deepest resource nesting accepted in a jobspec (far above any real one).
MAX_RESOURCE_DEPTH = 100


def _f58(jobid: int) -> str:
    from ..job import JobID

    return str(JobID(jobid).f58)


class ResourceRequest:
    """What a jobspec asks for: node and slot counts, cores and GPUs per slot, and more.

    ``node_count`` (ResourceCount, or None when only slots are given; for an
    exclusive slot-only request, the slot count), ``slot_count`` (per node,
    or in total without nodes), ``slot_size`` (cores per slot),
    ``gpu_per_slot``, ``duration`` (0: unlimited), ``constraint`` (RFC 31),
    ``exclusive``, and the ``jobspec`` itself.
    """

    __slots__ = (
        "node_count",
        "slot_count",
        "slot_size",
        "gpu_per_slot",
        "duration",
        "constraint",
        "exclusive",
        "jobspec",
    )

    def __init__(
        self,
        node_count: Optional[ResourceCount],
        slot_count: ResourceCount,
        slot_size: int,
        gpu_per_slot: int,
        duration: float,
        constraint: Any,
        exclusive: bool,
        jobspec: Optional[dict] = None,
    ) -> None:
        self.node_count = node_count
        self.slot_count = slot_count
        self.slot_size = slot_size
        self.gpu_per_slot = gpu_per_slot
        self.duration = duration
        self.constraint = constraint
        self.exclusive = exclusive
        self.jobspec = jobspec

    @property
    def nnodes(self) -> int:
        """Fewest nodes (0 when only slots are asked for)."""
        return self.node_count.min if self.node_count is not None else 0

    @property
    def nnodes_max(self) -> Optional[int]:
        """Most nodes (0 for slots only, None when unbounded)."""
        return self.node_count.max if self.node_count is not None else 0

    @property
    def nslots(self) -> int:
        """Fewest slots in total."""
        if self.node_count is None:
            return self.slot_count.min
        return self.slot_count.min * self.node_count.min

    @property
    def nslots_max(self) -> Optional[int]:
        """Most slots in total (None when unbounded)."""
        if self.node_count is None:
            return self.slot_count.max
        if self.node_count.max is None or self.slot_count.max is None:
            return None
        return self.slot_count.max * self.node_count.max

    @property
    def ncores(self) -> int:
        return self.nslots * self.slot_size

    @property
    def ngpus(self) -> int:
        return self.nslots * self.gpu_per_slot

    @classmethod
    def from_jobspec(cls, jobspec: Dict[str, Any]) -> ResourceRequest:
        """Read a jobspec's resources (any nesting, as libjjc does; later vertices win).

        ValueError for a jobspec without resources, slots or cores, or a
        version 1 jobspec without ``attributes.system.duration``.
        """
        resources = jobspec.get("resources", [])
        if not resources:
            raise ValueError("jobspec has no resources")
        found: Dict[str, Any] = {"nnodes": None, "nslots": None, "slot_size": None, "gpu_per_slot": 0}
        flags = {"exclusive": False, "nodefactor": 1}

        def walk(vertices: List[Dict[str, Any]], nodefactor: int, depth: int) -> None:
            if depth > MAX_RESOURCE_DEPTH:
                raise ValueError(f"jobspec resource nesting exceeds maximum depth {MAX_RESOURCE_DEPTH}")
            for vertex in vertices:
                kind = vertex.get("type", "")
                count = ResourceCount.from_count_spec(vertex.get("count", 1))
                children = vertex.get("with", [])
                if kind == "node":
                    found["nnodes"] = count
                    flags["nodefactor"] = nodefactor
                    if vertex.get("exclusive", False):
                        flags["exclusive"] = True
                    if children:
                        walk(children, nodefactor, depth + 1)
                    continue
                if kind == "slot":
                    found["nslots"] = count
                    if vertex.get("exclusive", False):
                        flags["exclusive"] = True
                elif kind == "core":
                    found["slot_size"] = count.min
                elif kind == "gpu":
                    found["gpu_per_slot"] = count.min
                if children:  # other types only multiply what is below them
                    walk(children, nodefactor * count.min, depth + 1)

        walk(resources, 1, 0)
        system = jobspec.get("attributes", {}).get("system")
        if jobspec.get("version") == 1:  # the texts of libjj for a V1 jobspec
            if system is None:
                raise ValueError("getting duration: Object item not found: system")
            if system.get("duration") is None:
                raise ValueError("getting duration: Object item not found: duration")
        if found["nslots"] is None:
            raise ValueError("Unable to determine slot count")
        if found["slot_size"] is None:
            raise ValueError("Unable to determine slot size")
        slot_count: ResourceCount = found["nslots"]
        node_count = found["nnodes"].scaled(flags["nodefactor"]) if found["nnodes"] is not None else None
        exclusive = bool(flags["exclusive"])
        if exclusive and node_count is None:  # each slot takes a whole node
            node_count, slot_count = slot_count, ResourceCount(1, 1)
        attrs = system or {}
        return cls(
            node_count,
            slot_count,
            found["slot_size"],
            found["gpu_per_slot"],
            float(attrs.get("duration") or 0.0),
            attrs.get("constraints") or None,
            exclusive,
            jobspec,
        )


def _reject_discrete_counts(request: ResourceRequest) -> None:
    for name, count in (("node", request.node_count), ("slot", request.slot_count)):
        if count is not None and count._values is not None:
            raise InfeasibleRequest(
                f"{name} count specifies discrete valid values that this scheduler "
                "does not support; use a simple min-max range instead"
            )


Candidate = Tuple[int, Dict[str, Any], Set[int], Set[int]]
Selection = Tuple[int, FrozenSet[int], FrozenSet[int]]


class Rv1Pool(Rv1Set, ResourcePoolImplementation):
    """An Rv1 pool: resource set plus up/down state, allocations and job end times."""

    version = 1
    #: Pool options this implementation understands (schedulers warn about others).
    known_options: frozenset = frozenset()

    def __init__(self, R: Any, log: Optional[Callable[[int, str], Any]] = None, **kwargs: Any) -> None:  # noqa: N803
        if log is not None:
            self.log = log  # type: ignore[method-assign,assignment]
        if R is not None and not isinstance(R, (str, Mapping)):
            raise TypeError(f"Rv1Pool: expected str or Mapping, got {type(R)!r}")
        super().__init__(R, keep_scheduling=True)
        for info in self._ranks.values():
            info["up"] = True
            info["allocated_cores"] = set()
            info["allocated_gpus"] = set()
        self._job_state: Dict[int, Tuple[float, Rv1Pool]] = {}

    # -- construction without R --------------------------------------------------------------------
    @classmethod
    def _from_state(
        cls,
        expiration: float,
        starttime: float,
        has_nodelist: bool,
        properties: Dict[str, Set[int]],
        ranks: Dict[int, Dict[str, Any]],
        scheduling: Any,
        job_state: Dict[int, Tuple[float, Any]],
        log: Any,
        generation: int = 0,
        source: Any = None,
    ) -> Rv1Pool:
        """A pool from explicit state; subclasses copy their own from ``source`` in _init_from_state."""
        new = object.__new__(cls)
        new._expiration = expiration
        new._starttime = starttime
        new._has_nodelist = has_nodelist
        new._properties = properties
        new._ranks = ranks
        new.scheduling = scheduling
        new._job_state = job_state
        if log is not None:
            new.log = log  # type: ignore[method-assign]
        new.generation = generation
        if source is not None:
            new._init_from_state(source)
        return new

    def _init_from_state(self, source: Rv1Pool) -> None:
        """Hook for subclasses: take extra attributes from the pool being copied."""

    def _copy_from_ranks(self, rank_set: Set[int]) -> Rv1Pool:
        """A pool of ``rank_set`` (up state kept, allocations cleared)."""
        properties = {name: have & rank_set for name, have in self._properties.items() if have & rank_set}
        ranks = {
            rank: {
                "hostname": self._ranks[rank]["hostname"],
                "cores": self._ranks[rank]["cores"],
                "gpus": self._ranks[rank]["gpus"],
                "up": self._ranks[rank]["up"],
                "allocated_cores": set(),
                "allocated_gpus": set(),
            }
            for rank in rank_set
            if rank in self._ranks
        }
        return type(self)._from_state(
            expiration=self._expiration,
            starttime=self._starttime,
            has_nodelist=self._has_nodelist,
            properties=properties,
            ranks=ranks,
            scheduling=self.scheduling,
            job_state={},
            log=self.log,
            source=self,
        )

    # -- availability --------------------------------------------------------------------------------
    def _set_up(self, ids: str, up: bool) -> None:
        if ids == "all":
            for info in self._ranks.values():
                info["up"] = up
        else:
            for rank in IDset(ids):
                if rank in self._ranks:
                    self._ranks[rank]["up"] = up
        self._bump()

    def mark_up(self, ids: str) -> None:
        """Make ranks (an idset, or "all") schedulable."""
        self._set_up(ids, True)

    def mark_down(self, ids: str) -> None:
        """Make ranks (an idset, or "all") unschedulable."""
        self._set_up(ids, False)

    def remove_ranks(self, ranks: Any) -> None:  # type: ignore[override]
        """Drop ranks from the pool (instance shrink)."""
        for rank in ranks if isinstance(ranks, IDset) else IDset(ranks):
            self._ranks.pop(rank, None)
            for have in self._properties.values():
                have.discard(rank)
        self._bump()

    # -- jobs --------------------------------------------------------------------------------------------
    def _release(self, allocation: Rv1Pool) -> None:
        for rank, info in allocation._ranks.items():
            if rank in self._ranks:
                self._ranks[rank]["allocated_cores"] -= info["cores"]
                self._ranks[rank]["allocated_gpus"] -= info["gpus"]

    def register_alloc(self, jobid: int, R: Rv1Pool) -> None:  # noqa: N803 - flux-core's name
        """Record an allocation made before a scheduler restart; ValueError for unknown ranks."""
        missing = set(R._ranks) - set(self._ranks)
        if missing:
            raise ValueError(f"allocation contains ranks not in resource pool: {sorted(missing)}")
        self._set_allocated(R)
        self._job_state[jobid] = (R.get_expiration(), R)
        self._bump()
        self.log(syslog.LOG_INFO, f"hello: {_f58(jobid)}: {R.dumps()}")

    def free(self, jobid: int, R: Any = None, final: bool = False) -> None:  # noqa: N803
        """Return resources of ``jobid``: ``R`` (part of them), or all with ``final`` or without ``R``.

        ValueError if ``R`` has ranks outside the job's allocation, or (with
        ``final``) differs from what remains of it.
        """
        if R is not None and jobid in self._job_state:
            tracked = self._job_state[jobid][1]
            extra = set(R._ranks) - set(tracked._ranks)
            if extra:
                raise ValueError(f"free: {_f58(jobid)}: R contains ranks not in job allocation: {extra}")
            if final:
                missing = set(tracked._ranks) - set(R._ranks)
                mismatched = {
                    rank
                    for rank, info in R._ranks.items()
                    if info["cores"] != tracked._ranks[rank]["cores"] or info["gpus"] != tracked._ranks[rank]["gpus"]
                }
                if missing or mismatched:
                    raise ValueError(
                        f"free: {_f58(jobid)}: final R mismatch: got {R.dumps()}, expected {tracked.dumps()}"
                    )
        if final or R is None:
            allocation = self._job_state.pop(jobid, (0.0, None))[1]
            if allocation is None:
                return
            self._release(allocation)
            freed = allocation.dumps()
        else:
            self._release(R)
            freed = R.dumps()
            if jobid in self._job_state:
                end_time, tracked = self._job_state[jobid]
                remaining = set(tracked._ranks) - set(R._ranks)
                self._job_state[jobid] = (end_time, tracked._copy_from_ranks(remaining))
        self.log(syslog.LOG_DEBUG, f"free: {_f58(jobid)}: {freed}" + (" (final)" if final else ""))
        self._bump()

    def update_expiration(self, jobid: int, expiration: float) -> None:
        """Change the end time of a tracked job."""
        if jobid in self._job_state:
            self._job_state[jobid] = (expiration, self._job_state[jobid][1])
            self._bump()

    def job_end_times(self) -> List[Tuple[int, float]]:
        return [(jobid, end_time) for jobid, (end_time, _) in self._job_state.items()]

    # -- scheduling ------------------------------------------------------------------------------------
    def parse_resource_request(self, jobspec: dict) -> ResourceRequest:
        return ResourceRequest.from_jobspec(jobspec)

    def check_feasibility(self, request: Any) -> None:
        """InfeasibleRequest if the pool's total capacity can never satisfy ``request``."""
        _reject_discrete_counts(request)
        self._check_feasibility(request)

    @staticmethod
    def _constraint(request: Any) -> Any:
        constraint = request.constraint
        if constraint is not None and isinstance(constraint, str):
            constraint = json.loads(constraint)
        return constraint

    def alloc(self, jobid: int, request: Any) -> Rv1Pool:
        """Allocate for ``jobid``: the allocated pool; InsufficientResources or InfeasibleRequest."""
        _reject_discrete_counts(request)
        constraint = self._constraint(request)
        candidates: List[Candidate] = []
        for rank, info in self._ranks.items():
            if not info["up"]:
                continue
            free_cores = info["cores"] - info["allocated_cores"]
            free_gpus = info["gpus"] - info["allocated_gpus"]
            if len(free_cores) < (len(info["cores"]) if request.exclusive else request.slot_size):
                continue
            if request.gpu_per_slot > 0 and len(free_gpus) < request.gpu_per_slot:
                continue
            candidates.append((rank, info, free_cores, free_gpus))
        if constraint is not None:
            candidates = [c for c in candidates if self._matches_constraint(c[0], c[1], constraint)]
        selected, nslots = self._select_resources(self._sort_candidates(candidates), request)

        chosen = {rank for rank, _, _ in selected}
        # instance-local properties (a leading '+') stay out of the job's R
        properties = {
            name: have & chosen for name, have in self._properties.items() if have & chosen and not name.startswith("+")
        }
        ranks: Dict[int, Dict[str, Any]] = {}
        for rank, cores, gpus in selected:
            info = self._ranks[rank]
            ranks[rank] = {
                "hostname": info["hostname"],
                "cores": cores,
                "gpus": gpus,
                "allocated_cores": set(cores),
                "allocated_gpus": set(gpus),
                "up": True,
            }
            info["allocated_cores"] |= cores
            info["allocated_gpus"] |= gpus
        if request.duration > 0.0:
            end_time = time.time() + request.duration
        else:
            end_time = self._expiration if self._expiration > 0.0 else 0.0
        result = type(self)._from_state(
            expiration=0.0,
            starttime=0.0,
            has_nodelist=True,
            properties=properties,
            ranks=ranks,
            scheduling=self.scheduling,
            job_state={},
            log=self.log,
            source=self,
        )
        result._nslots = nslots
        self._job_state[jobid] = (end_time, result)
        self._bump()
        self.log(syslog.LOG_DEBUG, f"alloc: {_f58(jobid)}: {result.dumps()}")
        return result

    # -- copies ------------------------------------------------------------------------------------------
    def copy(self) -> Rv1Pool:
        """An independent copy with allocations and job state (its log stays silent)."""
        ranks = {}
        for rank, info in self._ranks.items():
            ranks[rank] = dict(info)
            ranks[rank]["allocated_cores"] = set(info["allocated_cores"])
            ranks[rank]["allocated_gpus"] = set(info["allocated_gpus"])
        return type(self)._from_state(
            expiration=self._expiration,
            starttime=self._starttime,
            has_nodelist=self._has_nodelist,
            properties={name: set(have) for name, have in self._properties.items()},
            ranks=ranks,
            scheduling=self.scheduling,
            job_state=dict(self._job_state),
            log=None,  # copies simulate (forecasts): their alloc/free must not log
            generation=self.generation,
            source=self,
        )

    def _plain_set(self, ranks: Dict[int, Dict[str, Any]], properties: Dict[str, Set[int]], nodelist: bool) -> Rv1Set:
        new = Rv1Set()
        new._expiration = self._expiration
        new._starttime = self._starttime
        new._has_nodelist = nodelist
        new._ranks = ranks
        new._properties = properties
        return new

    def copy_allocated(self) -> Rv1Set:
        """An Rv1Set of what is allocated (properties kept for those ranks)."""
        ranks = {
            rank: {
                "hostname": info["hostname"],
                "cores": frozenset(info["allocated_cores"]),
                "gpus": frozenset(info["allocated_gpus"]),
            }
            for rank, info in self._ranks.items()
            if info["allocated_cores"] or info["allocated_gpus"]
        }
        kept = set(ranks)
        return self._plain_set(
            ranks, {name: have & kept for name, have in self._properties.items() if have & kept}, False
        )

    def copy_down(self) -> Rv1Set:
        """An Rv1Set of the down ranks (no properties)."""
        ranks = {
            rank: {"hostname": info["hostname"], "cores": info["cores"], "gpus": info["gpus"]}
            for rank, info in self._ranks.items()
            if not info["up"]
        }
        return self._plain_set(ranks, {}, False)

    def to_set(self) -> Rv1Set:
        """An Rv1Set of all ranks and properties, without pool state."""
        ranks = {
            rank: {"hostname": info["hostname"], "cores": info["cores"], "gpus": info["gpus"]}
            for rank, info in self._ranks.items()
        }
        return self._plain_set(ranks, {name: set(have) for name, have in self._properties.items()}, self._has_nodelist)

    # -- selection policy (subclasses may override) -----------------------------------------------------
    def _set_allocated(self, other: Rv1Pool) -> None:
        for rank, info in other._ranks.items():
            if rank in self._ranks:
                self._ranks[rank]["allocated_cores"] |= info["cores"]
                self._ranks[rank]["allocated_gpus"] |= info["gpus"]

    def _sort_candidates(self, candidates: List[Candidate]) -> List[Candidate]:
        """Worst fit: most free cores first, then most free GPUs."""
        return sorted(candidates, key=lambda c: (len(c[2]), len(c[3])), reverse=True)

    def _select_resources(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        """Pick (rank, cores, gpus) from sorted candidates; the selection and its slot count.

        The candidates' info dicts are live pool state: read them only.  When
        the request cannot be met, _check_feasibility decides between
        InfeasibleRequest and InsufficientResources.
        """
        selected: List[Selection] = []
        slot_size, gpu_per_slot = request.slot_size, request.gpu_per_slot
        if request.nnodes > 0:
            target = request.nnodes_max
            per_node = request.nslots // request.nnodes
            for rank, info, free_cores, free_gpus in candidates:
                if target is not None and len(selected) >= target:
                    break
                if request.exclusive:
                    if len(free_cores) < len(info["cores"]):
                        continue
                    selected.append((rank, frozenset(free_cores), frozenset(free_gpus)))
                    continue
                need_cores, need_gpus = per_node * slot_size, per_node * gpu_per_slot
                if len(free_cores) < need_cores or len(free_gpus) < need_gpus:
                    continue
                selected.append(
                    (rank, frozenset(sorted(free_cores)[:need_cores]), frozenset(sorted(free_gpus)[:need_gpus]))
                )
            if len(selected) < request.nnodes:
                self._check_feasibility(request)
                raise InsufficientResources("insufficient resources")
            return selected, per_node * len(selected)
        target = request.nslots_max
        taken = 0
        for rank, _info, free_cores, free_gpus in candidates:
            if target is not None and taken >= target:
                break
            free_slots = len(free_cores) // slot_size
            if gpu_per_slot > 0:
                free_slots = min(free_slots, len(free_gpus) // gpu_per_slot)
            take = min(free_slots, target - taken) if target is not None else free_slots
            if take > 0:
                selected.append(
                    (
                        rank,
                        frozenset(sorted(free_cores)[: take * slot_size]),
                        frozenset(sorted(free_gpus)[: take * gpu_per_slot]),
                    )
                )
                taken += take
        if taken < request.nslots:
            self._check_feasibility(request)
            raise InsufficientResources("insufficient resources")
        return selected, taken

    def _check_feasibility(self, request: Any) -> None:
        """InfeasibleRequest if no state of the pool could ever satisfy ``request`` (size and constraint)."""
        nnodes, nslots, slot_size, gpu_per_slot = (
            request.nnodes,
            request.nslots,
            request.slot_size,
            request.gpu_per_slot,
        )
        constraint = self._constraint(request)
        eligible = list(self._ranks.items())
        if constraint is not None:
            eligible = [(r, i) for r, i in eligible if self._matches_constraint(r, i, constraint)]
        if request.exclusive:
            need = max(nnodes, 1)
            fit = [
                (r, i)
                for r, i in eligible
                if len(i["cores"]) >= slot_size and (gpu_per_slot == 0 or len(i["gpus"]) >= gpu_per_slot)
            ]
            if len(fit) < need:
                raise InfeasibleRequest(
                    f"unsatisfiable request: need {need} exclusive node(s), only {len(fit)} eligible"
                )
            return
        if nnodes > 0:
            per_node = nslots // nnodes
            cores, gpus = per_node * slot_size, per_node * gpu_per_slot
            fit = [(r, i) for r, i in eligible if len(i["cores"]) >= cores and len(i["gpus"]) >= gpus]
            if len(fit) < nnodes:
                raise InfeasibleRequest(
                    f"unsatisfiable request: need {nnodes} node(s) with {cores} cores"
                    + (f" and {gpus} GPUs" if gpus else "")
                    + f" each, only {len(fit)} eligible"
                )
            return
        # a slot must fit on one rank: count whole slots per rank
        slots = sum(len(i["cores"]) // slot_size for _, i in eligible)
        if slots < nslots:
            total = sum(len(i["cores"]) for _, i in eligible)
            raise InfeasibleRequest(
                f"unsatisfiable request: need {nslots} slot(s) of {slot_size} core(s), "
                f"only {slots} such slot(s) available (total cores: {total})"
            )
        if gpu_per_slot > 0:
            gpu_slots = sum(min(len(i["cores"]) // slot_size, len(i["gpus"]) // gpu_per_slot) for _, i in eligible)
            if gpu_slots < nslots:
                total = sum(len(i["gpus"]) for _, i in eligible)
                raise InfeasibleRequest(
                    f"unsatisfiable request: need {nslots} slot(s) with {gpu_per_slot} GPU(s) each, "
                    f"only {gpu_slots} available (total GPUs: {total})"
                )
