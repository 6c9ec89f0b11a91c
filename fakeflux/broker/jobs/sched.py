"""The scheduler (sched-simple's part in flux-core): which pending jobs get
which ranks, cores and GPUs, and the R each allocation is written as.

The job manager talks to it through three calls only: :meth:`schedule` when
something may have changed (a job became ready, resources were freed),
:meth:`release` when a job's resources come back, and :meth:`R_of` /
:meth:`resource_summary` to describe an allocation.  It answers through
``system.allocated(job, alloc)`` and ``system.raise_exception(job, "alloc", ...)``.

Resources: ``size`` ranks with ``[fakeflux] cores-per-rank`` cores each
(default: this machine's CPU count, as each rank of ``flux start
--test-size`` sees the whole host) and ``[fakeflux] gpus-per-rank`` GPUs
(default 0).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from fakeflux.broker.jobs.model import SCHED, Job
from fakeflux.broker.jobs.util import idset_encode

if TYPE_CHECKING:
    from fakeflux.broker.jobs.manager import JobSystem

# One allocation: (rank, cores, gpus) per rank used.
Alloc = List[Tuple[int, List[int], List[int]]]


class SimpleScheduler:
    def __init__(self, system: JobSystem) -> None:
        self.system = system
        self.core = system.core
        self._free: Optional[Dict[int, Tuple[List[int], List[int]]]] = None

    # -- the resource set ---------------------------------------------------------------
    def cores_per_rank(self) -> int:
        value = self.system.fakeflux_conf().get("cores-per-rank")
        return value if isinstance(value, int) and value > 0 else (os.cpu_count() or 1)

    def gpus_per_rank(self) -> int:
        value = self.system.fakeflux_conf().get("gpus-per-rank")
        return value if isinstance(value, int) and value >= 0 else 0

    def free_cores(self) -> Dict[int, Tuple[List[int], List[int]]]:
        if self._free is None:
            ncores, ngpus = self.cores_per_rank(), self.gpus_per_rank()
            self._free = {r: (list(range(ncores)), list(range(ngpus))) for r in range(self.core.size)}
        return self._free

    # -- allocation ---------------------------------------------------------------------
    def schedule(self) -> None:
        """sched-fifo: allocate in priority order, stop at the first job that
        does not fit now; deny a job that can never fit."""
        queue = [j for j in self.system.jobs.values()
                 if j.state == SCHED and j.sched_ready and j.priority > 0]
        queue.sort(key=lambda j: (-j.priority, j.t_submit, j.id))
        for job in queue:
            try:
                alloc = self._try_alloc(job)
            except ValueError as exc:
                self.system.raise_exception(job, "alloc", 0, str(exc), userid=self.core.owner)
                continue
            if alloc is None:
                break
            self.system.allocated(job, alloc)

    def _try_alloc(self, job: Job) -> Optional[List[Tuple[int, List[int], List[int]]]]:
        req = job.request
        free = self.free_cores()
        ranks = [r for r in sorted(free) if r not in self.core.down]
        ncores, ngpus = self.cores_per_rank(), self.gpus_per_rank()
        if req.nnodes:
            per_node_cores = (req.nslots // req.nnodes) * req.slot_cores
            per_node_gpus = (req.nslots // req.nnodes) * req.slot_gpus
            eligible_total = [r for r in range(self.core.size) if ncores >= per_node_cores and ngpus >= per_node_gpus]
            if len(eligible_total) < req.nnodes:
                gpu_text = f" and {per_node_gpus} GPUs" if per_node_gpus else ""
                raise ValueError(f"unsatisfiable request: need {req.nnodes} node(s) with {per_node_cores} cores"
                                 f"{gpu_text} each, only {len(eligible_total)} eligible")
            chosen: List[Tuple[int, List[int], List[int]]] = []
            for r in ranks:
                cores, gpus = free[r]
                whole = len(cores) == ncores and len(gpus) == ngpus
                if (req.exclusive and whole) or (not req.exclusive and len(cores) >= per_node_cores
                                                 and len(gpus) >= per_node_gpus):
                    take_c = cores if req.exclusive else cores[:per_node_cores]
                    take_g = gpus if req.exclusive else gpus[:per_node_gpus]
                    chosen.append((r, list(take_c), list(take_g)))
                    if len(chosen) == req.nnodes:
                        break
            if len(chosen) < req.nnodes:
                return None
        else:
            total_slots = (ncores // req.slot_cores) * self.core.size if req.slot_cores <= ncores else 0
            if total_slots < req.nslots:
                raise ValueError(f"unsatisfiable request: need {req.nslots} slot(s) of {req.slot_cores} core(s), "
                                 f"only {total_slots} such slot(s) available (total cores: {ncores * self.core.size})")
            need = req.nslots
            picks: Dict[int, Tuple[List[int], List[int]]] = {}
            for r in ranks:
                cores, gpus = free[r]
                taken_c = len(picks.get(r, ([], []))[0])
                while need and len(cores) - taken_c >= req.slot_cores and \
                        len(gpus) - len(picks.get(r, ([], []))[1]) >= req.slot_gpus:
                    pc, pg = picks.setdefault(r, ([], []))
                    pc.extend(cores[taken_c: taken_c + req.slot_cores])
                    pg.extend(gpus[len(pg): len(pg) + req.slot_gpus])
                    taken_c += req.slot_cores
                    need -= 1
                if not need:
                    break
            if need:
                return None
            chosen = [(r, c, g) for r, (c, g) in sorted(picks.items())]
        for r, c, g in chosen:
            fc, fg = free[r]
            free[r] = ([x for x in fc if x not in c], [x for x in fg if x not in g])
        return chosen

    def release(self, job: Job) -> None:
        free = self.free_cores()
        for r, c, g in job.alloc:
            fc, fg = free[r]
            free[r] = (sorted(fc + c), sorted(fg + g))
        job.alloc = []

    def R_of(self, alloc: List[Tuple[int, List[int], List[int]]], starttime: float,
             expiration: float) -> Dict[str, Any]:
        lite: List[Dict[str, Any]] = []
        for r, c, g in alloc:
            children: Dict[str, str] = {"core": idset_encode(c)}
            if g:
                children["gpu"] = idset_encode(g)
            if lite and lite[-1]["children"] == children and lite[-1]["_last"] == r - 1:
                lite[-1]["_ranks"].append(r)
                lite[-1]["_last"] = r
            else:
                lite.append({"_ranks": [r], "_last": r, "children": children})
        r_lite = [{"rank": idset_encode(e["_ranks"]), "children": e["children"]} for e in lite]
        hosts = [self.core.hostname for _ in alloc]
        return {"version": 1, "execution": {"R_lite": r_lite, "starttime": starttime, "expiration": expiration,
                                             "nodelist": [",".join(hosts)] if hosts else []}}

    def resource_summary(self, alloc: List[Tuple[int, List[int], List[int]]]) -> str:
        parts = []
        for r, c, g in alloc:
            text = f"rank{r}/core{idset_encode(c, brackets=True)}"
            if g:
                text += f",gpu{idset_encode(g, brackets=True)}"
            parts.append(text)
        return " ".join(parts)

