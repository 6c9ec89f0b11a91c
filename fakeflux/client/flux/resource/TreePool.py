"""``TreePool``: an Rv1Pool that places GPU and core slots by sub-node locality (flux-core's TreePool).

The layout of each node comes from ``R.scheduling.children``: a list of
``{"ranks": IDSET, "topo": TOPO}`` where TOPO nests named levels (``socket``,
``numa``, any name) as lists, down to leaves with ``cores`` and ``gpus``
idsets.  From it each node type gets its groups per level, finest first,
with the whole node as the coarsest.  Ranks of the same type share one
structure.

* GPU slots take cores and GPUs from the finest group that has both, then
  coarser ones;
* CPU-only slots go to the finest level with a group large enough, filling
  the fullest groups first (best fit), which keeps whole groups free for GPU
  jobs;
* an exclusive leaf vertex of another type (``numa{x}``) asks for whole
  containers of that level;
* nodes are tried partially-used first (best fit).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

from ..idset import IDset
from .ResourceCount import ResourceCount
from .ResourcePool import ResourcePool
from .ResourcePoolImplementation import InfeasibleRequest, InsufficientResources, ResourcePoolImplementation
from .Rv1Pool import MAX_RESOURCE_DEPTH, Candidate, ResourceRequest, Rv1Pool, Selection

__all__ = ["TreeResourceRequest", "TreePool", "pool_class", "amend"]

Group = Tuple[FrozenSet[int], FrozenSet[int]]


def _ids(node: Mapping, key: str) -> FrozenSet[int]:
    return frozenset(IDset(node[key])) if key in node else frozenset()


def _children(node: Mapping) -> List[Mapping]:
    """The dict items of every list value of a topology node, in order."""
    return [child for value in node.values() if isinstance(value, list) for child in value if isinstance(child, dict)]


def _all_resources(node: Mapping) -> Group:
    """All cores and GPUs under a topology node."""
    cores, gpus = _ids(node, "cores"), _ids(node, "gpus")
    for child in _children(node):
        more_cores, more_gpus = _all_resources(child)
        cores |= more_cores
        gpus |= more_gpus
    return cores, gpus


def _groups_for_container(topo: Optional[Mapping], name: str) -> List[Group]:
    """(cores, gpus) of every instance of container ``name`` in ``topo`` (all at the depth found)."""
    if not topo:
        return []
    if name in topo and isinstance(topo[name], list):
        return [_all_resources(item) for item in topo[name] if isinstance(item, dict)]
    found: List[Group] = []
    for child in _children(topo):
        found.extend(_groups_for_container(child, name))
    return found


def _extract_levels(node: Mapping) -> Tuple[List[List[Group]], FrozenSet[int], FrozenSet[int]]:
    """(groups per level finest first, all cores, all gpus) of a topology node.

    The node itself is the last level, unless it would repeat the level below.
    """
    if "cores" in node:
        cores, gpus = _ids(node, "cores"), _ids(node, "gpus")
        return [[(cores, gpus)]], cores, gpus
    levels: List[List[Group]] = []
    total_cores: FrozenSet[int] = frozenset()
    total_gpus: FrozenSet[int] = frozenset()
    for child in _children(node):
        child_levels, cores, gpus = _extract_levels(child)
        total_cores |= cores
        total_gpus |= gpus
        for depth, groups in enumerate(child_levels):
            if depth >= len(levels):
                levels.append([])
            levels[depth].extend(groups)
    if total_cores:
        whole = (total_cores, total_gpus)
        if not (levels and set(levels[-1]) == {whole}):
            levels.append([whole])
    return levels, total_cores, total_gpus


def _parse_children(children: Any) -> Dict[int, Tuple[List[List[Group]], Mapping]]:
    """{rank: (levels, topo)} from ``scheduling.children`` (entries without ranks or topo skipped)."""
    by_rank: Dict[int, Tuple[List[List[Group]], Mapping]] = {}
    for entry in children or []:
        ranks, topo = entry.get("ranks", ""), entry.get("topo")
        if not ranks or not topo:
            continue
        levels = _extract_levels(topo)[0]
        if levels:
            for rank in IDset(ranks):
                by_rank[rank] = (levels, topo)
    return by_rank


def _dedup_topology(
    by_rank: Dict[int, Tuple[List[List[Group]], Mapping]],
) -> Tuple[List[List[List[Group]]], List[Mapping], Dict[int, int]]:
    """One structure per node type: (levels per type, topo per type, {rank: type})."""
    index: Dict[Any, int] = {}
    type_levels: List[List[List[Group]]] = []
    type_topos: List[Mapping] = []
    rank_type: Dict[int, int] = {}
    for rank, (levels, topo) in by_rank.items():
        key = tuple(tuple(level) for level in levels)
        if key not in index:
            index[key] = len(type_levels)
            type_levels.append(levels)
            type_topos.append(topo)
        rank_type[rank] = index[key]
    return type_levels, type_topos, rank_type


class TreeResourceRequest(ResourceRequest):
    """A ResourceRequest that also understands RFC 14 canonical jobspecs.

    An exclusive leaf vertex of a type other than node/slot/core/gpu names a
    topology container (``container_level``, slot_size 0); an exclusive
    ``slot=N/node`` needs no core vertex (slot_size 0: whole nodes); a slot
    above the node level is divided back into a per-node count.
    """

    __slots__ = ("container_level",)

    def __init__(self, *args: Any, container_level: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.container_level = container_level

    @classmethod
    def from_jobspec(cls, jobspec: Dict[str, Any]) -> TreeResourceRequest:
        resources = jobspec.get("resources", [])
        if not resources:
            raise ValueError("jobspec has no resources")
        found: Dict[str, Any] = {
            "nnodes": None,
            "nslots": None,
            "slot_size": None,
            "gpu_per_slot": 0,
            "exclusive": False,
            "nodefactor": 1,
            "slot_above_node": False,
            "container_level": None,
        }

        def walk(vertices: List[Dict[str, Any]], nodefactor: int, depth: int) -> None:
            if depth > MAX_RESOURCE_DEPTH:
                raise ValueError(f"jobspec resource nesting exceeds maximum depth {MAX_RESOURCE_DEPTH}")
            for vertex in vertices:
                kind = vertex.get("type", "")
                count = ResourceCount.from_count_spec(vertex.get("count", 1))
                children = vertex.get("with", [])
                exclusive = vertex.get("exclusive", False)
                if kind == "node":
                    found["nnodes"] = count
                    found["nodefactor"] = nodefactor
                    if found["nslots"] is not None:
                        found["slot_above_node"] = True
                    if exclusive:
                        found["exclusive"] = True
                    if children:
                        walk(children, nodefactor, depth + 1)
                    continue
                if kind == "slot":
                    found["nslots"] = count
                    if exclusive:
                        found["exclusive"] = True
                elif kind == "core":
                    found["slot_size"] = count.min
                elif kind == "gpu":
                    found["gpu_per_slot"] = count.min
                elif exclusive and not children:
                    found["container_level"] = kind  # whole topology containers
                if children:
                    walk(children, nodefactor * count.min, depth + 1)

        walk(resources, 1, 0)
        system = jobspec.get("attributes", {}).get("system")
        if jobspec.get("version") == 1:
            if system is None:
                raise ValueError("getting duration: Object item not found: system")
            if system.get("duration") is None:
                raise ValueError("getting duration: Object item not found: duration")
        if found["nslots"] is None:
            raise ValueError("Unable to determine slot count")
        if found["slot_size"] is None and found["container_level"] is None and not found["exclusive"]:
            raise ValueError("Unable to determine slot size")
        factor: int = found["nodefactor"]
        slots: ResourceCount = found["nslots"]
        node_count: Optional[ResourceCount] = None
        slot_count = slots
        if found["nnodes"] is not None:
            node_count = found["nnodes"].scaled(factor)
            # a slot above the node level was multiplied into the node count: divide it out
            # (only when it divides evenly; otherwise the counts are taken as written)
            if found["slot_above_node"] and factor > 1 and slots.min % factor == 0:
                slot_count = ResourceCount(slots.min // factor, None if slots.max is None else slots.max // factor)
        exclusive = bool(found["exclusive"])
        container = found["container_level"]
        if exclusive and node_count is None and container is None:
            node_count, slot_count = slot_count, ResourceCount(1, 1)
        attrs = system or {}
        return cls(
            node_count,
            slot_count,
            found["slot_size"] if found["slot_size"] is not None else 0,
            found["gpu_per_slot"],
            float(attrs.get("duration") or 0.0),
            attrs.get("constraints") or None,
            exclusive,
            jobspec,
            container_level=container,
        )


class _TreePoolV1(Rv1Pool):
    """The Rv1 TreePool implementation."""

    name = "TreePool"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.scheduling is None:
            raise ValueError("TreePool requires R.scheduling")
        scheduling = dict(self.scheduling)
        children = scheduling.get("children")
        if not children:
            raise ValueError("TreePool requires scheduling.children")
        by_rank = _parse_children(children)
        if not by_rank:
            raise ValueError("TreePool: children contains no groups")
        # children may use the enclosing instance's ranks: map them in order onto 0..N-1
        original = sorted(by_rank)
        if len(original) != len(self._ranks):
            raise ValueError(
                f"TreePool: rank count mismatch: {len(original)} in children vs {len(self._ranks)} in pool"
            )
        remap = dict(zip(original, range(len(self._ranks))))
        if set(self._ranks) != set(remap.values()):
            raise ValueError(
                f"TreePool: pool ranks {sorted(self._ranks)} are not the "
                "zero-origin range required for topology remapping"
            )
        remapped = {remap[rank]: value for rank, value in by_rank.items()}
        self._type_levels, self._type_topo, self._rank_type = _dedup_topology(remapped)
        rewritten = []
        for entry in children:
            ranks = {remap[r] for r in IDset(entry.get("ranks", "")) if r in remap}
            if ranks:
                rewritten.append({**entry, "ranks": str(IDset(ranks))})
        scheduling["children"] = rewritten
        self.scheduling = scheduling

    def parse_resource_request(self, jobspec: dict) -> TreeResourceRequest:
        return TreeResourceRequest.from_jobspec(jobspec)

    def _init_from_state(self, source: Rv1Pool) -> None:
        # the topology is read-only after __init__: copies share it
        self._type_levels = source._type_levels  # type: ignore[attr-defined]
        self._type_topo = source._type_topo  # type: ignore[attr-defined]
        self._rank_type = source._rank_type  # type: ignore[attr-defined]

    def alloc(self, jobid: int, request: Any) -> Rv1Pool:
        """Allocate as Rv1Pool does; the allocation's ``scheduling.children`` keep only its ranks."""
        result = super().alloc(jobid, request)
        if result.scheduling:
            result.scheduling = dict(result.scheduling)
            if "children" in result.scheduling:
                allocated = set(result._ranks)
                kept_children = []
                for entry in result.scheduling["children"]:
                    kept = frozenset(IDset(entry.get("ranks", ""))) & allocated
                    if kept:
                        kept_children.append({**entry, "ranks": str(IDset(kept))})
                result.scheduling["children"] = kept_children
        return result

    def _rank_levels(self, rank: int) -> List[List[Group]]:
        return self._type_levels[self._rank_type[rank]] if self._type_levels else []

    def _rank_topo(self, rank: int) -> Mapping:
        return self._type_topo[self._rank_type[rank]] if self._type_topo else {}

    # -- feasibility ------------------------------------------------------------------------------------
    def _check_feasibility(self, request: Any) -> None:
        level = getattr(request, "container_level", None)
        if level is None:
            super()._check_feasibility(request)
            return
        nslots, nnodes = request.nslots, request.nnodes
        constraint = self._constraint(request)
        per_rank = [
            len(_groups_for_container(self._rank_topo(rank), level))
            for rank, info in self._ranks.items()
            if constraint is None or self._matches_constraint(rank, info, constraint)
        ]
        if nnodes > 0:
            per_node = nslots // nnodes
            eligible = sum(1 for n in per_rank if n >= per_node)
            if eligible < nnodes:
                raise InfeasibleRequest(
                    f"unsatisfiable request: need {nnodes} node(s) with {per_node} exclusive "
                    f"'{level}' container(s) each, only {eligible} eligible"
                )
            return
        total = sum(per_rank)
        if total < nslots:
            raise InfeasibleRequest(
                f"unsatisfiable request: need {nslots} exclusive '{level}' container(s), only {total} available"
            )

    # -- selection ----------------------------------------------------------------------------------------
    def _sort_candidates(self, candidates: List[Candidate]) -> List[Candidate]:
        """Best fit: fewest free cores (then GPUs) first, so partly used nodes fill up."""
        return sorted(candidates, key=lambda c: (len(c[2]), len(c[3])))

    def _select_resources(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        if not self._type_levels:
            return super()._select_resources(candidates, request)
        if getattr(request, "container_level", None) is not None:
            return self._container_exclusive_select(candidates, request)
        if request.gpu_per_slot == 0:
            return self._cpu_select(candidates, request)
        return self._gpu_select(candidates, request)

    def _container_take_from_rank(
        self, rank: int, free_cores: Set[int], free_gpus: Set[int], level: str, max_take: Optional[int]
    ) -> Tuple[FrozenSet[int], FrozenSet[int], int]:
        """Up to ``max_take`` (None: all) wholly free containers of ``level`` on ``rank``."""
        free = [
            (c, g) for c, g in _groups_for_container(self._rank_topo(rank), level) if c <= free_cores and g <= free_gpus
        ]
        if max_take is not None:
            free = free[:max_take]
        if not free:
            return frozenset(), frozenset(), 0
        return frozenset().union(*(c for c, _ in free)), frozenset().union(*(g for _, g in free)), len(free)

    def _container_exclusive_select(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        """Whole containers: ``nslots // nnodes`` per node when nodes are given, else packed."""
        level = request.container_level
        selected: List[Selection] = []
        if request.nnodes > 0:
            per_node = request.nslots // request.nnodes
            target = request.nnodes_max
            for rank, _info, free_cores, free_gpus in candidates:
                if target is not None and len(selected) >= target:
                    break
                cores, gpus, n = self._container_take_from_rank(rank, free_cores, free_gpus, level, per_node)
                if n >= per_node:
                    selected.append((rank, cores, gpus))
            return self._enough(request, selected, len(selected) >= request.nnodes, per_node * len(selected))
        target = request.nslots_max
        taken = 0
        for rank, _info, free_cores, free_gpus in candidates:
            if target is not None and taken >= target:
                break
            limit = target - taken if target is not None else None
            cores, gpus, n = self._container_take_from_rank(rank, free_cores, free_gpus, level, limit)
            if n > 0:
                selected.append((rank, cores, gpus))
                taken += n
        return self._enough(request, selected, taken >= request.nslots, taken)

    def _enough(
        self, request: Any, selected: List[Selection], satisfied: bool, nslots: int
    ) -> Tuple[List[Selection], int]:
        if not satisfied:
            self._check_feasibility(request)
            raise InsufficientResources("insufficient resources")
        return selected, nslots

    def _affinity_alloc_from_rank(
        self,
        rank: int,
        free_cores: Set[int],
        free_gpus: Set[int],
        request: Any,
        max_slots: Optional[int] = None,
        exclusive: bool = False,
    ) -> Tuple[FrozenSet[int], FrozenSet[int], int]:
        """GPU slots from one rank, finest level first; (cores, gpus, slots)."""
        slot_size, gpu_per_slot = request.slot_size, request.gpu_per_slot
        if slot_size == 0:  # whole node wanted: the caller takes everything
            return frozenset(), frozenset(), 1
        remaining_cores, remaining_gpus = set(free_cores), set(free_gpus)
        cores: Set[int] = set()
        gpus: Set[int] = set()
        nslots = 0
        for depth, groups in enumerate(self._rank_levels(rank)):
            for group_cores, group_gpus in groups:
                if exclusive and depth == 0:  # a free node's finest groups are disjoint and free
                    avail_cores, avail_gpus = set(group_cores), set(group_gpus)
                else:
                    avail_cores, avail_gpus = remaining_cores & group_cores, remaining_gpus & group_gpus
                while len(avail_cores) >= slot_size and len(avail_gpus) >= gpu_per_slot:
                    if max_slots is not None and nslots >= max_slots:
                        return frozenset(cores), frozenset(gpus), nslots
                    took_cores = frozenset(sorted(avail_cores)[:slot_size])
                    took_gpus = frozenset(sorted(avail_gpus)[:gpu_per_slot])
                    cores |= took_cores
                    gpus |= took_gpus
                    remaining_cores -= took_cores
                    remaining_gpus -= took_gpus
                    avail_cores -= took_cores
                    avail_gpus -= took_gpus
                    nslots += 1
        return frozenset(cores), frozenset(gpus), nslots

    def _cpu_alloc_from_rank(
        self, rank: int, free_cores: Set[int], request: Any, max_slots: Optional[int] = None, exclusive: bool = False
    ) -> Tuple[FrozenSet[int], int]:
        """CPU slots from one rank: the finest level that fits a slot, fullest groups first."""
        slot_size = request.slot_size
        if slot_size == 0:
            return frozenset(), 1
        remaining = set(free_cores)
        chosen: Optional[List[Group]] = None
        whole_groups = False
        for depth, groups in enumerate(self._rank_levels(rank)):
            if exclusive and depth == 0:
                if any(len(c) >= slot_size for c, _ in groups):
                    chosen, whole_groups = groups, True
                    break
            elif any(len(remaining & c) >= slot_size for c, _ in groups):
                chosen = groups
                break
        if chosen is None:
            return frozenset(), 0
        scored = sorted(
            ((len(c) if whole_groups else len(remaining & c), c) for c, _ in chosen), key=lambda item: item[0]
        )
        cores: Set[int] = set()
        nslots = 0
        for _free, group in scored:
            avail = set(group) if whole_groups else remaining & group
            while len(avail) >= slot_size:
                if max_slots is not None and nslots >= max_slots:
                    return frozenset(cores), nslots
                took = frozenset(sorted(avail)[:slot_size])
                cores |= took
                remaining -= took
                avail -= took
                nslots += 1
        return frozenset(cores), nslots

    def _cpu_select(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        def take(rank: int, free_cores: Set[int], free_gpus: Set[int], limit: Optional[int]) -> Tuple[Any, Any, int]:
            cores, n = self._cpu_alloc_from_rank(
                rank, free_cores, request, max_slots=limit, exclusive=request.exclusive
            )
            return cores, frozenset(), n

        return self._spread(candidates, request, take)

    def _gpu_select(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        def take(rank: int, free_cores: Set[int], free_gpus: Set[int], limit: Optional[int]) -> Tuple[Any, Any, int]:
            return self._affinity_alloc_from_rank(
                rank, free_cores, free_gpus, request, max_slots=limit, exclusive=request.exclusive
            )

        return self._spread(candidates, request, take)

    def _spread(self, candidates: List[Candidate], request: Any, take: Any) -> Tuple[List[Selection], int]:
        """Per node (``nslots // nnodes`` each; exclusive nodes taken whole) or packing slots."""
        selected: List[Selection] = []
        if request.nnodes > 0:
            per_node = request.nslots // request.nnodes
            target = request.nnodes_max
            for rank, _info, free_cores, free_gpus in candidates:
                if target is not None and len(selected) >= target:
                    break
                cores, gpus, n = take(rank, free_cores, free_gpus, per_node)
                if n < per_node:
                    continue
                if request.exclusive:
                    cores, gpus = frozenset(free_cores), frozenset(free_gpus)
                selected.append((rank, cores, gpus))
            return self._enough(request, selected, len(selected) >= request.nnodes, per_node * len(selected))
        target = request.nslots_max
        taken = 0
        for rank, _info, free_cores, free_gpus in candidates:
            if target is not None and taken >= target:
                break
            cores, gpus, n = take(rank, free_cores, free_gpus, target - taken if target is not None else None)
            if n > 0:
                selected.append((rank, cores, gpus))
                taken += n
        return self._enough(request, selected, taken >= request.nslots, taken)


class TreePool(ResourcePool):
    """A ResourcePool allocating by sub-node locality (``pool-class=TreePool``)."""

    _impl_map = {1: _TreePoolV1}

    def __init__(self, R: Any, log: Any = None, **kwargs: Any) -> None:  # noqa: N803 - flux-core's name
        if not isinstance(R, ResourcePoolImplementation):
            if isinstance(R, str):
                R = json.loads(R)
            version = R.get("version", 1) if isinstance(R, Mapping) else 1
            impl_class = self._impl_map.get(version)
            if impl_class is None:
                raise ValueError(f"R version {version} not supported by TreePool")
            R = impl_class(R, log=log, **kwargs)
        super().__init__(R)


pool_class = TreePool


def amend(R: Dict[str, Any], hwloc_xml: Optional[str] = None) -> Dict[str, Any]:  # noqa: N803
    """fake-resources amender: R unchanged without hwloc XML.

    flux-core derives the topology from the XML with libhwloc, which fakeflux
    does not have: given XML (and ranks), this raises RuntimeError.
    """
    if hwloc_xml is None:
        return R
    ranks = IDset()
    for entry in R.get("execution", {}).get("R_lite", []):
        ranks |= IDset(entry["rank"])
    if not ranks:
        return R
    raise RuntimeError("rhwloc_treepool_topo_to_json failed: hwloc XML topologies need flux-core's libhwloc")
