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
from typing import AbstractSet, Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from ..idset import IDset
from .ResourceCount import ResourceCount
from .ResourcePool import ResourcePool
from .ResourcePoolImplementation import InfeasibleRequest, ResourcePoolImplementation
from .Rv1Pool import Candidate, JobspecShape, ResourceRequest, Rv1Pool, Selection

__all__ = ["TreeResourceRequest", "TreePool", "pool_class", "amend"]

#: (cores, gpus) of one topology container
Group = Tuple[FrozenSet[int], FrozenSet[int]]
#: a node type's groups, one list per level, finest first
Levels = List[List[Group]]
#: what a placement function takes from one rank: (cores, gpus, slots)
Taken = Tuple[FrozenSet[int], FrozenSet[int], int]


# -- topology ---------------------------------------------------------------------------------------------


def _ids(node: Mapping, key: str) -> FrozenSet[int]:
    return frozenset(IDset(node[key])) if key in node else frozenset()


def _children(node: Mapping) -> List[Mapping]:
    """The dict items of every list value of a topology node, in order."""
    return [child for value in node.values() if isinstance(value, list) for child in value if isinstance(child, dict)]


def _all_resources(node: Mapping) -> Group:
    """All cores and GPUs under a topology node."""
    cores, gpus = _ids(node, "cores"), _ids(node, "gpus")
    for child in _children(node):
        below_cores, below_gpus = _all_resources(child)
        cores, gpus = cores | below_cores, gpus | below_gpus
    return cores, gpus


def _groups_for_container(topo: Optional[Mapping], name: str) -> List[Group]:
    """(cores, gpus) of every instance of container ``name`` in ``topo`` (all at the depth found)."""
    if not topo:
        return []
    instances = topo.get(name)
    if isinstance(instances, list):
        return [_all_resources(instance) for instance in instances if isinstance(instance, dict)]
    return [group for child in _children(topo) for group in _groups_for_container(child, name)]


def _extract_levels(node: Mapping) -> Tuple[Levels, FrozenSet[int], FrozenSet[int]]:
    """(groups per level finest first, all cores, all gpus) of a topology node.

    The node itself is the last level, unless it would repeat the level below.
    """
    if "cores" in node:  # a leaf
        leaf = (_ids(node, "cores"), _ids(node, "gpus"))
        return [[leaf]], leaf[0], leaf[1]
    levels: Levels = []
    all_cores: FrozenSet[int] = frozenset()
    all_gpus: FrozenSet[int] = frozenset()
    for child in _children(node):
        below, cores, gpus = _extract_levels(child)
        all_cores, all_gpus = all_cores | cores, all_gpus | gpus
        levels.extend([] for _ in range(len(below) - len(levels)))
        for depth, groups in enumerate(below):
            levels[depth] += groups
    whole = (all_cores, all_gpus)
    if all_cores and not (levels and set(levels[-1]) == {whole}):
        levels.append([whole])
    return levels, all_cores, all_gpus


def _parse_children(children: Any) -> Dict[int, Tuple[Levels, Mapping]]:
    """{rank: (levels, topo)} from ``scheduling.children`` (entries without ranks or topo skipped)."""
    by_rank: Dict[int, Tuple[Levels, Mapping]] = {}
    for entry in children if children else ():
        ranks, topo = entry.get("ranks", ""), entry.get("topo")
        if not (ranks and topo):
            continue
        levels = _extract_levels(topo)[0]
        if levels:
            by_rank.update(dict.fromkeys(IDset(ranks), (levels, topo)))
    return by_rank


def _dedup_topology(
    by_rank: Dict[int, Tuple[Levels, Mapping]],
) -> Tuple[List[Levels], List[Mapping], Dict[int, int]]:
    """One structure per node type: (levels per type, topo per type, {rank: type})."""
    type_of_shape: Dict[Any, int] = {}
    levels_by_type: List[Levels] = []
    topo_by_type: List[Mapping] = []
    rank_type: Dict[int, int] = {}
    for rank, (levels, topo) in by_rank.items():
        shape = tuple(map(tuple, levels))
        if shape not in type_of_shape:
            type_of_shape[shape] = len(levels_by_type)
            levels_by_type.append(levels)
            topo_by_type.append(topo)
        rank_type[rank] = type_of_shape[shape]
    return levels_by_type, topo_by_type, rank_type


def _relabelled(children: List[Mapping], ranks_of: Callable[[IDset], AbstractSet[int]]) -> List[Dict[str, Any]]:
    """``children`` entries with their ranks mapped by ``ranks_of``; entries left without any dropped."""
    kept = []
    for entry in children:
        ranks = ranks_of(IDset(entry.get("ranks", "")))
        if ranks:
            kept.append({**entry, "ranks": str(IDset(ranks))})
    return kept


def _zero_origin(listed: List[int], pool_ranks: Set[int]) -> Dict[int, int]:
    """Ranks of ``children`` (perhaps the enclosing instance's) mapped in order onto 0..N-1."""
    if len(listed) != len(pool_ranks):
        raise ValueError(f"TreePool: rank count mismatch: {len(listed)} in children vs {len(pool_ranks)} in pool")
    mapping = {rank: index for index, rank in enumerate(listed)}
    if pool_ranks != set(mapping.values()):
        raise ValueError(
            f"TreePool: pool ranks {sorted(pool_ranks)} are not the zero-origin range required for topology remapping"
        )
    return mapping


# -- requests ------------------------------------------------------------------------------------------------


class TreeResourceRequest(ResourceRequest):
    """A ResourceRequest that also understands RFC 14 canonical jobspecs.

    An exclusive leaf vertex of a type other than node/slot/core/gpu names a
    topology container (``container_level``, slot_size 0); an exclusive
    ``slot=N/node`` needs no core vertex (slot_size 0: whole nodes); a slot
    above the node level is divided back into a per-node count.
    """

    __slots__ = ("container_level",)

    def __init__(self, *args: Any, container_level: Optional[str] = None, **kwargs: Any) -> None:
        ResourceRequest.__init__(self, *args, **kwargs)
        self.container_level = container_level

    @classmethod
    def from_jobspec(cls, jobspec: Dict[str, Any]) -> TreeResourceRequest:
        shape = JobspecShape.scan(jobspec)
        level = shape.container_level
        if shape.slot_size is None and level is None and not shape.exclusive:
            raise ValueError("Unable to determine slot size")
        assert shape.slots is not None
        slots = shape.slots
        nodes = None if shape.nodes is None else shape.nodes.scaled(shape.nodefactor)
        factor = shape.nodefactor
        # a slot above the node level was multiplied into the node count: divide it out
        # (only when it divides evenly; otherwise the counts are taken as written)
        if nodes is not None and shape.slot_above_node and factor > 1 and slots.min % factor == 0:
            slots = ResourceCount(slots.min // factor, None if slots.max is None else slots.max // factor)
        if shape.exclusive and nodes is None and level is None:  # each exclusive slot is a node
            nodes, slots = slots, ResourceCount(1, 1)
        return cls(
            nodes,
            slots,
            shape.slot_size or 0,
            shape.gpu_per_slot,
            shape.duration,
            shape.constraint,
            shape.exclusive,
            jobspec,
            container_level=level,
        )


# -- placement -------------------------------------------------------------------------------------------------


def _carve(
    cores: Set[int], gpus: Set[int], size: int, gpus_each: int, room: Optional[int]
) -> Iterator[Tuple[FrozenSet[int], FrozenSet[int]]]:
    """Slots of the lowest free ids, removed from ``cores`` and ``gpus`` as they are
    taken, while one fits and (unless ``room`` is None) fewer than ``room`` were taken."""
    count = 0
    while len(cores) >= size and len(gpus) >= gpus_each and (room is None or count < room):
        slot = frozenset(sorted(cores)[:size]), frozenset(sorted(gpus)[:gpus_each])
        cores -= slot[0]
        gpus -= slot[1]
        count += 1
        yield slot


def _room(limit: Optional[int], used: int) -> Optional[int]:
    return None if limit is None else limit - used


class _TreePoolV1(Rv1Pool):
    """The Rv1 TreePool implementation."""

    name = "TreePool"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        Rv1Pool.__init__(self, *args, **kwargs)
        if self.scheduling is None:
            raise ValueError("TreePool requires R.scheduling")
        scheduling = dict(self.scheduling)
        if not scheduling.get("children"):
            raise ValueError("TreePool requires scheduling.children")
        by_rank = _parse_children(scheduling["children"])
        if not by_rank:
            raise ValueError("TreePool: children contains no groups")
        remap = _zero_origin(sorted(by_rank), set(self._ranks))
        self._type_levels, self._type_topo, self._rank_type = _dedup_topology(
            {remap[rank]: layout for rank, layout in by_rank.items()}
        )
        scheduling["children"] = _relabelled(
            scheduling["children"], lambda ids: {remap[rank] for rank in ids if rank in remap}
        )
        self.scheduling = scheduling

    def parse_resource_request(self, jobspec: dict) -> TreeResourceRequest:
        return TreeResourceRequest.from_jobspec(jobspec)

    def _init_from_state(self, source: Rv1Pool) -> None:
        # the topology is read-only after __init__: copies share it
        for shared in ("_type_levels", "_type_topo", "_rank_type"):
            setattr(self, shared, getattr(source, shared))

    def alloc(self, jobid: int, request: Any) -> Rv1Pool:
        """Allocate as Rv1Pool does; the allocation's ``scheduling.children`` keep only its ranks."""
        allocation = Rv1Pool.alloc(self, jobid, request)
        if not allocation.scheduling:
            return allocation
        scheduling = dict(allocation.scheduling)  # (shared with this pool until now)
        if "children" in scheduling:
            mine = frozenset(allocation._ranks)
            scheduling["children"] = _relabelled(scheduling["children"], lambda ids: frozenset(ids) & mine)
        allocation.scheduling = scheduling
        return allocation

    def _rank_levels(self, rank: int) -> Levels:
        return self._type_levels[self._rank_type[rank]] if self._type_levels else []

    def _rank_topo(self, rank: int) -> Mapping:
        return self._type_topo[self._rank_type[rank]] if self._type_topo else {}

    # -- feasibility ----------------------------------------------------------------------------------------
    def _check_feasibility(self, request: Any) -> None:
        level = getattr(request, "container_level", None)
        if level is None:
            Rv1Pool._check_feasibility(self, request)
            return
        constraint = self._constraint(request)
        containers = [
            len(_groups_for_container(self._rank_topo(rank), level))
            for rank, entry in self._ranks.items()
            if constraint is None or self._matches_constraint(rank, entry, constraint)
        ]
        nslots, nnodes = request.nslots, request.nnodes
        if nnodes <= 0:
            if sum(containers) < nslots:
                raise InfeasibleRequest(
                    f"unsatisfiable request: need {nslots} exclusive '{level}' container(s), "
                    f"only {sum(containers)} available"
                )
            return
        per_node = nslots // nnodes
        holding = len([n for n in containers if n >= per_node])
        if holding < nnodes:
            raise InfeasibleRequest(
                f"unsatisfiable request: need {nnodes} node(s) with {per_node} exclusive "
                f"'{level}' container(s) each, only {holding} eligible"
            )

    # -- selection -------------------------------------------------------------------------------------------
    def _sort_candidates(self, candidates: List[Candidate]) -> List[Candidate]:
        """Best fit: fewest free cores (then GPUs) first, so partly used nodes fill up."""
        return sorted(candidates, key=lambda c: (len(c[2]), len(c[3])))

    def _select_resources(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        if not self._type_levels:  # no topology: as Rv1Pool places
            return Rv1Pool._select_resources(self, candidates, request)
        if getattr(request, "container_level", None) is not None:
            return self._container_exclusive_select(candidates, request)
        pick = self._cpu_select if request.gpu_per_slot == 0 else self._gpu_select
        return pick(candidates, request)

    def _container_take_from_rank(
        self, rank: int, free_cores: Set[int], free_gpus: Set[int], level: str, max_take: Optional[int]
    ) -> Taken:
        """Up to ``max_take`` (None: all) wholly free containers of ``level`` on ``rank``."""
        idle = [
            group
            for group in _groups_for_container(self._rank_topo(rank), level)
            if group[0] <= free_cores and group[1] <= free_gpus
        ]
        idle = idle if max_take is None else idle[:max_take]
        cores: FrozenSet[int] = frozenset().union(*(group[0] for group in idle))
        gpus: FrozenSet[int] = frozenset().union(*(group[1] for group in idle))
        return cores, gpus, len(idle)

    def _container_exclusive_select(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        """Whole containers: ``nslots // nnodes`` per node when nodes are given, else packed."""

        def take(rank: int, free_cores: Set[int], free_gpus: Set[int], limit: Optional[int]) -> Taken:
            return self._container_take_from_rank(rank, free_cores, free_gpus, request.container_level, limit)

        return self._spread(candidates, request, take, whole_nodes=False)

    def _enough(
        self, request: Any, selected: List[Selection], satisfied: bool, nslots: int
    ) -> Tuple[List[Selection], int]:
        if satisfied:
            return selected, nslots
        raise self._short(request)

    def _affinity_alloc_from_rank(
        self,
        rank: int,
        free_cores: Set[int],
        free_gpus: Set[int],
        request: Any,
        max_slots: Optional[int] = None,
        exclusive: bool = False,
    ) -> Taken:
        """GPU slots from one rank, finest level first; (cores, gpus, slots)."""
        if request.slot_size == 0:  # whole node wanted: the caller takes everything
            return frozenset(), frozenset(), 1
        left_cores, left_gpus = set(free_cores), set(free_gpus)
        got_cores: Set[int] = set()
        got_gpus: Set[int] = set()
        count = 0
        for depth, groups in enumerate(self._rank_levels(rank)):
            # on a node taken whole, the finest groups are disjoint and all free
            untouched = exclusive and depth == 0
            for group_cores, group_gpus in groups:
                cores = set(group_cores) if untouched else left_cores & group_cores
                gpus = set(group_gpus) if untouched else left_gpus & group_gpus
                for slot_cores, slot_gpus in _carve(
                    cores, gpus, request.slot_size, request.gpu_per_slot, _room(max_slots, count)
                ):
                    got_cores |= slot_cores
                    got_gpus |= slot_gpus
                    left_cores -= slot_cores
                    left_gpus -= slot_gpus
                    count += 1
        return frozenset(got_cores), frozenset(got_gpus), count

    def _cpu_level(self, rank: int, left: Set[int], size: int, exclusive: bool) -> Tuple[Optional[List[Group]], bool]:
        """The finest level with a group that can hold a slot, and whether its groups are
        taken whole (the finest level of a node taken whole)."""
        for depth, groups in enumerate(self._rank_levels(rank)):
            whole = exclusive and depth == 0
            if any(len(cores if whole else left & cores) >= size for cores, _ in groups):
                return groups, whole
            # (a node taken whole whose finest groups are too small: the next level, as usual)
        return None, False

    def _cpu_alloc_from_rank(
        self, rank: int, free_cores: Set[int], request: Any, max_slots: Optional[int] = None, exclusive: bool = False
    ) -> Tuple[FrozenSet[int], int]:
        """CPU slots from one rank: the finest level that fits a slot, fullest groups first."""
        size = request.slot_size
        if size == 0:
            return frozenset(), 1
        left = set(free_cores)
        groups, whole = self._cpu_level(rank, left, size, exclusive)
        if groups is None:
            return frozenset(), 0
        fullest_first = sorted(
            ((len(cores if whole else left & cores), cores) for cores, _ in groups), key=lambda item: item[0]
        )
        got: Set[int] = set()
        count = 0
        for _free, group in fullest_first:
            cores = set(group) if whole else left & group
            for slot_cores, _none in _carve(cores, set(), size, 0, _room(max_slots, count)):
                got |= slot_cores
                left -= slot_cores
                count += 1
        return frozenset(got), count

    def _cpu_select(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        def take(rank: int, free_cores: Set[int], free_gpus: Set[int], limit: Optional[int]) -> Taken:
            cores, count = self._cpu_alloc_from_rank(rank, free_cores, request, limit, request.exclusive)
            return cores, frozenset(), count

        return self._spread(candidates, request, take, whole_nodes=request.exclusive)

    def _gpu_select(self, candidates: List[Candidate], request: Any) -> Tuple[List[Selection], int]:
        def take(rank: int, free_cores: Set[int], free_gpus: Set[int], limit: Optional[int]) -> Taken:
            return self._affinity_alloc_from_rank(rank, free_cores, free_gpus, request, limit, request.exclusive)

        return self._spread(candidates, request, take, whole_nodes=request.exclusive)

    def _spread(
        self, candidates: List[Candidate], request: Any, take: Any, whole_nodes: bool = False
    ) -> Tuple[List[Selection], int]:
        """Per node (``nslots // nnodes`` each; with ``whole_nodes`` a node's free ids all go)
        when nodes are asked for, else slots packed onto the candidates in order."""
        picked: List[Selection] = []
        if request.nnodes > 0:
            per_node = request.nslots // request.nnodes
            most = request.nnodes_max
            for rank, _entry, free_cores, free_gpus in candidates:
                if most is not None and len(picked) >= most:
                    break
                cores, gpus, count = take(rank, free_cores, free_gpus, per_node)
                if count >= per_node:
                    whole = (frozenset(free_cores), frozenset(free_gpus))
                    picked.append((rank, *whole) if whole_nodes else (rank, cores, gpus))
            return self._enough(request, picked, len(picked) >= request.nnodes, per_node * len(picked))
        most = request.nslots_max
        total = 0
        for rank, _entry, free_cores, free_gpus in candidates:
            if most is not None and total >= most:
                break
            cores, gpus, count = take(rank, free_cores, free_gpus, _room(most, total))
            if count > 0:
                picked.append((rank, cores, gpus))
                total += count
        return self._enough(request, picked, total >= request.nslots, total)


class TreePool(ResourcePool):
    """A ResourcePool allocating by sub-node locality (``pool-class=TreePool``)."""

    _impl_map = {1: _TreePoolV1}

    def __init__(self, R: Any, log: Any = None, **kwargs: Any) -> None:  # noqa: N803 - flux-core's name
        impl = R if isinstance(R, ResourcePoolImplementation) else self._implementation(R, log, kwargs)
        ResourcePool.__init__(self, impl)

    @classmethod
    def _implementation(cls, R: Any, log: Any, options: Dict[str, Any]) -> Any:  # noqa: N803
        r = json.loads(R) if isinstance(R, str) else R
        version = r.get("version", 1) if isinstance(r, Mapping) else 1
        if version not in cls._impl_map:
            raise ValueError(f"R version {version} not supported by TreePool")
        return cls._impl_map[version](r, log=log, **options)


pool_class = TreePool


def amend(R: Dict[str, Any], hwloc_xml: Optional[str] = None) -> Dict[str, Any]:  # noqa: N803
    """fake-resources amender: R unchanged without hwloc XML.

    flux-core derives the topology from the XML with libhwloc, which fakeflux
    does not have: given XML (and ranks), this raises RuntimeError.
    """
    if hwloc_xml is None:
        return R
    nranks = sum(len(IDset(entry["rank"])) for entry in R.get("execution", {}).get("R_lite", []))
    if nranks == 0:
        return R
    raise RuntimeError("rhwloc_treepool_topo_to_json failed: hwloc XML topologies need flux-core's libhwloc")
