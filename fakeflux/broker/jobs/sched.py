"""The scheduler (flux-core's ``sched-simple``: a priority FIFO over an Rv1
pool): which pending jobs get which ranks, cores and GPUs.

The rules, as flux-core's sched-simple and its Rv1 pool apply them:

* pending jobs are served highest priority first, then lowest job id; the
  head of the queue blocks everything behind it until it fits (strict FIFO:
  a small job never overtakes a large one that waits);
* a request that could never fit the whole resource set (down and drained
  nodes included) is denied when it reaches the head, with the exact
  ``unsatisfiable request: ...`` note, raised as a fatal ``alloc`` exception;
* nodes are tried worst fit first: most free cores, then most free GPUs,
  ties in rank order; within a node the lowest free ids are taken;
* ``exclusive`` takes whole idle nodes; an exclusive request without nodes
  asks for one node per slot; a node count asks for that many nodes with
  ``slots / nodes`` slots each;
* jobs in a stopped queue are not offered to the scheduler at all.

The job manager calls :meth:`schedule` when something may have changed,
:meth:`release` when a job's resources come back and :meth:`R_of` /
:meth:`resource_summary` to describe an allocation; the scheduler answers
through ``system.allocated(job, alloc)`` and ``system.raise_exception``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple

from fakeflux.broker.jobs import resources as res
from fakeflux.broker.jobs.model import SCHED, Job
from fakeflux.broker.jobs.queues import Queues
from fakeflux.broker.jobs.resources import Alloc, Node

if TYPE_CHECKING:
    from fakeflux.broker.jobs.manager import JobSystem

__all__ = ["Alloc", "Infeasible", "SchedRequest", "SimpleScheduler"]

# sched-simple's default queue depth: job-manager offers the scheduler at most
# this many pending jobs (by priority), so only these get start time estimates.
QUEUE_DEPTH = 8

# cores and GPUs in use, per rank
Usage = Tuple[Dict[int, Set[int]], Dict[int, Set[int]]]


class Infeasible(Exception):
    """The request can never be satisfied; the text is the deny note."""


class SchedRequest:
    """What a jobspec asks of the scheduler, read the way flux-core's Rv1
    pool reads it: the resource graph walked depth first, the last node,
    slot, core and gpu vertex seen counting, counts above the node level
    multiplying the node count."""

    __slots__ = ("nnodes", "slots_per_node", "nslots", "slot_size", "gpu_per_slot", "exclusive", "constraint")

    def __init__(self, jobspec: Dict[str, Any]) -> None:
        resources = jobspec.get("resources") if isinstance(jobspec, dict) else None
        if not resources or not isinstance(resources, list):
            raise ValueError("jobspec has no resources")
        state: Dict[str, Any] = {"nnodes": None, "nslots": None, "slot_size": None, "gpus": 0,
                                 "exclusive": False, "nodefactor": 1}

        def count_of(vertex: Dict[str, Any]) -> int:
            count = vertex.get("count", 1)
            if isinstance(count, dict):
                count = count.get("min", 1)
            if not isinstance(count, int):  # sched-simple is Python: true counts as 1
                raise ValueError(f"invalid count for type '{vertex.get('type')}'")
            count = int(count)
            return count

        def walk(vertices: List[Any], factor: int, depth: int) -> None:
            if depth > 100:
                raise ValueError("jobspec resource nesting exceeds maximum depth 100")
            for vertex in vertices:
                if not isinstance(vertex, dict):
                    raise ValueError("resource must be a mapping")
                kind, count, children = vertex.get("type", ""), count_of(vertex), vertex.get("with", [])
                if kind == "node":
                    state["nnodes"], state["nodefactor"] = count, factor
                    state["exclusive"] = state["exclusive"] or bool(vertex.get("exclusive", False))
                    if children:
                        walk(children, factor, depth + 1)
                    continue
                if kind == "slot":
                    state["nslots"] = count
                    state["exclusive"] = state["exclusive"] or bool(vertex.get("exclusive", False))
                elif kind == "core":
                    state["slot_size"] = count
                elif kind == "gpu":
                    state["gpus"] = count
                if children:
                    walk(children, factor * count, depth + 1)

        walk(resources, 1, 0)
        if state["nslots"] is None:
            raise ValueError("Unable to determine slot count")
        if state["slot_size"] is None:
            raise ValueError("Unable to determine slot size")
        self.slot_size: int = state["slot_size"]
        self.gpu_per_slot: int = state["gpus"]
        self.exclusive: bool = state["exclusive"]
        if state["nnodes"] is not None:
            self.nnodes: int = state["nnodes"] * state["nodefactor"]
            self.slots_per_node: int = state["nslots"]
        elif self.exclusive:  # each slot takes a node of its own
            self.nnodes, self.slots_per_node = state["nslots"], 1
        else:
            self.nnodes, self.slots_per_node = 0, 0
        self.nslots: int = self.nnodes * self.slots_per_node if self.nnodes else state["nslots"]
        system = jobspec.get("attributes", {}).get("system", {})
        constraint = system.get("constraints") if isinstance(system, dict) else None
        if isinstance(constraint, str):
            constraint = json.loads(constraint)
        if constraint is not None and not isinstance(constraint, dict):
            raise ValueError("constraints must be an object")
        self.constraint: Optional[Dict[str, Any]] = constraint or None


_CONSTRAINT_OPS = ("properties", "hostlist", "ranks", "and", "or", "not")


def matches(node: Node, constraint: Dict[str, Any]) -> bool:
    """RFC 31, as flux-core's Rv1 pool evaluates it.  fakeflux's nodes have
    no properties, so ``properties: ["x"]`` matches none and ``["^x"]`` all."""
    if not any(op in constraint for op in _CONSTRAINT_OPS):
        raise ValueError(f"unknown constraint operator(s): {list(constraint)}")
    if "properties" in constraint:
        for prop in constraint["properties"]:
            if not isinstance(prop, str):
                raise ValueError(f"property constraint must be a string, got {type(prop).__name__}")
            if not prop.startswith("^"):
                return False
        return True
    if "hostlist" in constraint:
        return any(node.hostname in res.hostlist_decode(h) for h in constraint["hostlist"])
    if "ranks" in constraint:
        return any(node.rank in res.idset_decode(r) for r in constraint["ranks"])
    for op in ("and", "or"):
        if op in constraint:
            operands = constraint[op]
            if not isinstance(operands, list):
                raise ValueError(f"'{op}' operand must be a list, got {type(operands).__name__}")
            results = [matches(node, c) for c in operands]
            return all(results) if op == "and" else any(results)
    operands = constraint["not"]
    if not isinstance(operands, list) or len(operands) < 1:
        raise ValueError(f"'not' operand must be a non-empty list, got {operands!r}")
    return not matches(node, operands[0])


class SimpleScheduler:
    def __init__(self, system: JobSystem) -> None:
        self.system = system
        self.core = system.core
        self._nodes: Dict[int, Node] = {}
        self._fake_config = False
        self._shape: Optional[Tuple[Any, ...]] = None
        # what is taken, per rank
        self._used_cores: Dict[int, Set[int]] = {}
        self._used_gpus: Dict[int, Set[int]] = {}
        self.drained: Dict[int, Dict[str, Any]] = {}  # rank -> {"timestamp", "reason"} (resource module)
        self.queues = Queues(lambda: self.core.config.data)
        self.rank_observers: List[Callable[[List[int], bool], None]] = []
        self._scheduling = False
        self._again = False
        self._estimates: Dict[int, Optional[float]] = {}  # t_estimate last annotated, per pending job
        self._sim_last: List[res.Slice] = []
        # jobs in SCHED, kept from state changes so that a pass costs the queue, not the job history
        self._in_sched: Dict[int, Job] = {}
        self._holding: Dict[int, Job] = {}  # jobs with resources, for the forecast
        system.listeners.append(self._on_job)

    def _on_job(self, job: Job, what: str, entry: Dict[str, Any]) -> None:
        if what != "state":
            return
        if job.state == SCHED:
            self._in_sched[job.id] = job
        else:
            self._in_sched.pop(job.id, None)

    # -- the resource set -------------------------------------------------------------------------
    def nodes(self) -> Dict[int, Node]:
        """The nodes of the configured resource set (rebuilt when the
        configuration changes; what is allocated stays allocated)."""
        config = self.core.config.data
        shape = (repr(config.get("fake-resources")), repr(self.system.fakeflux_conf().get("cores-per-rank")),
                 repr(self.system.fakeflux_conf().get("gpus-per-rank")), self.core.size)
        if shape != self._shape:
            self._nodes, self._fake_config = res.layout(config, self.core.size, self.core.hostname)
            self._shape = shape
            if self._fake_config:
                self._drain_misnamed()
        return self._nodes

    def _drain_misnamed(self) -> None:
        """flux-core's resource module drains a rank (other than 0) whose
        broker's hostname is not the one R gives it: with ``[fake-resources]``
        in an instance of several ranks on one host, ranks 1.. are drained."""
        for rank in range(1, min(self.core.size, len(self._nodes))):
            expected = self._nodes[rank].hostname
            if expected != self.core.hostname:
                self.drained.setdefault(rank, {
                    "timestamp": float(int(self.system.now())),
                    "reason": f"rank {rank} got hostname '{self.core.hostname}', expected '{expected}'"})

    @property
    def fake_resources(self) -> bool:
        """Whether the resource set comes from ``[fake-resources]``."""
        self.nodes()
        return self._fake_config

    def hostnames(self) -> Dict[int, str]:
        return {r: n.hostname for r, n in self.nodes().items()}

    def cores_per_rank(self) -> int:
        nodes = self.nodes()
        return len(nodes[0].cores) if nodes else 0

    def gpus_per_rank(self) -> int:
        nodes = self.nodes()
        return len(nodes[0].gpus) if nodes else 0

    def is_up(self, rank: int) -> bool:
        """Schedulable: online (fake ranks are forced up) and not drained."""
        node = self.nodes().get(rank)
        if node is None or rank in self.drained:
            return False
        return node.fake or rank not in self.core.down

    def ranks_changed(self, ranks: List[int], online: bool) -> None:
        """Brokers went down or came back (``Instance.rank_down``/``rank_up``):
        tell the resource module (its eventlog), and offer what came back."""
        if not ranks:
            return
        for observer in list(self.rank_observers):
            observer(sorted(ranks), online)
        if online:
            self.schedule()

    def fake_ranks(self, alloc: List[res.Slice]) -> List[int]:
        """The ranks of ``alloc`` with no broker behind them."""
        nodes = self.nodes()
        return [r for r, _, _ in alloc if r in nodes and nodes[r].fake]

    # -- the queue ------------------------------------------------------------------------------------
    def pending(self) -> List[Job]:
        """Jobs offered to the scheduler, in the order it serves them."""
        queues = self.queues
        queue = [j for j in self._in_sched.values()
                 if j.state == SCHED and j.sched_ready and j.priority > 0 and queues.is_started(j.queue)]
        queue.sort(key=lambda j: (-j.priority, j.id))
        return queue

    def schedule(self) -> None:
        """Serve the head of the queue while it fits; deny a head that never can.
        Called again from within (a job that ends at once frees its
        resources), it only asks for one more pass."""
        if self._scheduling:
            self._again = True
            return
        self._scheduling = True
        try:
            self._again = True
            while self._again:
                self._again = False
                self._pass()
            self._forecast()
        finally:
            self._scheduling = False

    def _pass(self) -> None:
        for job in self.pending():
            try:
                self.nodes()
            except res.ResourceConfigError as exc:
                self.system.raise_exception(job, "alloc", 0, f"fakeflux: {exc}", userid=self.core.owner)
                continue
            if job.state != SCHED:  # an earlier allocation's listeners may have moved it on
                continue
            try:
                request = SchedRequest(job.jobspec)
            except (ValueError, TypeError, KeyError) as exc:
                self.system.raise_exception(job, "alloc", 0, f"cannot parse jobspec: {exc}", userid=self.core.owner)
                continue
            try:
                alloc = self.allocate(request)
            except (Infeasible, ValueError, TypeError) as exc:  # ValueError: a constraint it cannot read
                self.system.raise_exception(job, "alloc", 0, str(exc), userid=self.core.owner)
                continue
            if alloc is None:
                break  # the head waits, and everything behind it
            # job-manager replaces the job's annotations with the alloc's, and says so, before "alloc"
            self._estimates.pop(job.id, None)
            self._publish(job, {"sched": {"resource_summary": self.resource_summary(alloc)}})
            self._holding[job.id] = job
            self.system.allocated(job, alloc)

    # -- allocation ---------------------------------------------------------------------------------
    def allocate(self, req: SchedRequest, usage: Optional[Usage] = None) -> Optional[Alloc]:
        """Take what ``req`` asks for now (from ``usage``, by default what is
        really in use); None when it has to wait, Infeasible when it never fits."""
        used_c, used_g = usage if usage is not None else (self._used_cores, self._used_gpus)
        nodes = self.nodes()
        candidates: List[Tuple[int, int, int]] = []  # (rank, free cores, free gpus)
        down, drained = self.core.down, self.drained
        for rank, node in nodes.items():  # in rank order
            if rank in drained or (rank in down and not node.fake):  # is_up(), inline: this loop is hot
                continue
            free_c = len(node.cores) - len(used_c.get(rank, ()))
            free_g = len(node.gpus) - len(used_g.get(rank, ()))
            if free_c < (len(node.cores) if req.exclusive else req.slot_size):
                continue
            if req.gpu_per_slot > 0 and free_g < req.gpu_per_slot:
                continue
            if req.constraint is not None and not matches(node, req.constraint):
                continue
            candidates.append((rank, free_c, free_g))
        # worst fit; sort() is stable, so equal nodes stay in rank order
        candidates.sort(key=lambda c: (c[1], c[2]), reverse=True)
        picks: List[Tuple[int, int, int]] = []  # (rank, cores to take, gpus to take)
        if req.nnodes > 0:
            need_c, need_g = req.slots_per_node * req.slot_size, req.slots_per_node * req.gpu_per_slot
            for rank, free_c, free_g in candidates:
                if len(picks) >= req.nnodes:
                    break
                if req.exclusive:
                    picks.append((rank, free_c, free_g))  # the whole node (every core is free)
                elif free_c >= need_c and free_g >= need_g:
                    picks.append((rank, need_c, need_g))
            if len(picks) < req.nnodes:
                self.check_feasible(req)
                return None
            nslots = req.slots_per_node * len(picks)
        else:
            nslots = 0
            for rank, free_c, free_g in candidates:
                if nslots >= req.nslots:
                    break
                slots = free_c // req.slot_size
                if req.gpu_per_slot > 0:
                    slots = min(slots, free_g // req.gpu_per_slot)
                take = min(slots, req.nslots - nslots)
                if take > 0:
                    picks.append((rank, take * req.slot_size, take * req.gpu_per_slot))
                    nslots += take
            if nslots < req.nslots:
                self.check_feasible(req)
                return None
        chosen = Alloc()
        chosen.nslots = nslots
        for rank, ncores, ngpus in sorted(picks):
            taken_c, taken_g = used_c.setdefault(rank, set()), used_g.setdefault(rank, set())
            cores = [c for c in nodes[rank].cores if c not in taken_c][:ncores]  # lowest ids first
            gpus = [g for g in nodes[rank].gpus if g not in taken_g][:ngpus]
            taken_c.update(cores)
            taken_g.update(gpus)
            chosen.append((rank, cores, gpus))
        return chosen

    # -- start time estimates ---------------------------------------------------------------------------
    def _forecast(self) -> None:
        """sched-fifo's forecast: annotate the pending jobs the scheduler holds
        (the first QUEUE_DEPTH) with ``sched.t_estimate``, simulating running
        jobs ending at their expiration, each pending job starting no earlier
        than the one ahead of it.  Estimation stops at a job with no time
        limit; an unsatisfiable one is skipped."""
        queue = self.pending()[:QUEUE_DEPTH]
        held = {job.id for job in queue}
        for jobid in [j for j in self._estimates if j not in held]:
            del self._estimates[jobid]
        if not queue:
            return
        usage: Usage = ({r: set(c) for r, c in self._used_cores.items()},
                        {r: set(g) for r, g in self._used_gpus.items()})
        ends = [(j.expiration, j.alloc) for j in self._holding.values() if j.alloc and j.expiration > 0]
        t_prev, can_estimate = 0.0, True
        for job in queue:
            t: Optional[float] = None
            if can_estimate:
                try:
                    t = self._sim_alloc(SchedRequest(job.jobspec), usage, ends, t_prev)
                except (Infeasible, ValueError, TypeError, KeyError):
                    self._annotate(job, None)
                    continue
            self._annotate(job, max(t, self.system.now()) if t is not None else None)
            if not can_estimate or t is None:
                can_estimate = False
                continue
            if job.duration > 0:
                ends.append((t + job.duration, self._sim_last))
                t_prev = t
            else:
                can_estimate = False

    def _sim_alloc(self, req: SchedRequest, usage: Usage, ends: List[Tuple[float, List[res.Slice]]],
                   floor: float) -> Optional[float]:
        """When ``req`` could start in the simulation, advancing time from
        ``floor`` to each next expiration; None when nothing more ends."""
        t = floor
        while True:
            alloc = self.allocate(req, usage)
            if alloc is not None:
                self._sim_last = alloc
                return t
            later = [end for end, _ in ends if end > t]
            if not later:
                return None
            t = min(later)
            for entry in [e for e in ends if 0 < e[0] <= t]:
                ends.remove(entry)
                for rank, cores, gpus in entry[1]:
                    usage[0].get(rank, set()).difference_update(cores)
                    usage[1].get(rank, set()).difference_update(gpus)

    def _annotate(self, job: Job, t_estimate: Optional[float]) -> None:
        """Update ``sched.t_estimate`` (None removes it) when it changed, and
        tell the journal as job-manager does (an ``annotations`` event that
        is not written to the eventlog)."""
        if self._estimates.get(job.id) == t_estimate:
            return
        self._estimates[job.id] = t_estimate
        annotations = dict(job.annotations or {})
        sched = dict(annotations.get("sched") or {})
        if t_estimate is None:
            sched.pop("t_estimate", None)
        else:
            sched["t_estimate"] = t_estimate
        if sched:
            annotations["sched"] = sched
        else:
            annotations.pop("sched", None)
        self._publish(job, annotations or None)

    def _publish(self, job: Job, annotations: Optional[Dict[str, Any]]) -> None:
        """Set the job's annotations; job-manager's ``annotations`` event goes
        to the journal only (it is not written to the eventlog)."""
        job.annotations = annotations
        entry = {"timestamp": self.system.now(), "name": "annotations", "context": {"annotations": annotations}}
        for listener in list(self.system.listeners):
            listener(job, "event", entry)

    def check_feasible(self, req: SchedRequest) -> None:
        """Infeasible when ``req`` could not fit even with every node idle and up."""
        nodes = list(self.nodes().values())
        if req.constraint is not None:
            nodes = [n for n in nodes if matches(n, req.constraint)]
        if req.exclusive:
            need = max(req.nnodes, 1)
            eligible = sum(1 for n in nodes if len(n.cores) >= req.slot_size
                           and (req.gpu_per_slot == 0 or len(n.gpus) >= req.gpu_per_slot))
            if eligible < need:
                raise Infeasible(f"unsatisfiable request: need {need} exclusive node(s), only {eligible} eligible")
            return
        if req.nnodes > 0:
            cores, gpus = req.slots_per_node * req.slot_size, req.slots_per_node * req.gpu_per_slot
            eligible = sum(1 for n in nodes if len(n.cores) >= cores and len(n.gpus) >= gpus)
            if eligible < req.nnodes:
                gpu_text = f" and {gpus} GPUs" if gpus else ""
                raise Infeasible(f"unsatisfiable request: need {req.nnodes} node(s) with {cores} cores{gpu_text} "
                                 f"each, only {eligible} eligible")
            return
        # a slot must fit within one node
        slots = sum(len(n.cores) // req.slot_size for n in nodes)
        if slots < req.nslots:
            total = sum(len(n.cores) for n in nodes)
            raise Infeasible(f"unsatisfiable request: need {req.nslots} slot(s) of {req.slot_size} core(s), "
                             f"only {slots} such slot(s) available (total cores: {total})")
        if req.gpu_per_slot > 0:
            gpu_slots = sum(min(len(n.cores) // req.slot_size, len(n.gpus) // req.gpu_per_slot) for n in nodes)
            if gpu_slots < req.nslots:
                total = sum(len(n.gpus) for n in nodes)
                raise Infeasible(f"unsatisfiable request: need {req.nslots} slot(s) with {req.gpu_per_slot} GPU(s) "
                                 f"each, only {gpu_slots} available (total GPUs: {total})")

    def release(self, job: Job) -> None:
        self._holding.pop(job.id, None)
        for rank, cores, gpus in job.alloc:
            self._used_cores.get(rank, set()).difference_update(cores)
            self._used_gpus.get(rank, set()).difference_update(gpus)
        job.alloc = []

    def allocated(self) -> List[res.Slice]:
        """Everything held by jobs now, one entry per rank."""
        out: List[res.Slice] = []
        nodes = self.nodes()
        for rank in sorted((set(self._used_cores) | set(self._used_gpus)) & set(nodes)):
            cores, gpus = sorted(self._used_cores.get(rank, ())), sorted(self._used_gpus.get(rank, ()))
            if cores or gpus:
                out.append((rank, cores, gpus))
        return out

    # -- describing allocations --------------------------------------------------------------------
    def R_of(self, alloc: List[res.Slice], starttime: float, expiration: float) -> Dict[str, Any]:
        return res.encode_R(alloc, self.hostnames(), starttime, expiration, nslots=getattr(alloc, "nslots", 0))

    def resource_summary(self, alloc: List[res.Slice]) -> str:
        return res.summary(alloc)
