"""flux.resource pools (Rv1Pool via ResourcePool, TreePool): one job sequence, as flux-core allocates it.

The expected lines were recorded from flux-core's bindings (v0.88.0-59) running the same sequence.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, List, Optional

import pytest

from .conftest import flux  # noqa: F401 - puts the package on sys.path

resource = importlib.import_module("flux.resource")
TreePool = importlib.import_module("flux.resource.TreePool").TreePool

R = {
    "version": 1,
    "execution": {
        "R_lite": [{"rank": "0-2", "children": {"core": "0-7", "gpu": "0-1"}}],
        "starttime": 0,
        "expiration": 0,
        "nodelist": ["n[0-2]"],
        "properties": {"big": "0"},
    },
    "scheduling": {
        "children": [
            {
                "ranks": "0-2",
                "topo": {
                    "socket": [{"numa": [{"cores": "0-3", "gpus": "0"}]}, {"numa": [{"cores": "4-7", "gpus": "1"}]}]
                },
            }
        ]
    },
}


def jobspec(
    nodes: int, slots: int, cores: int, gpus: int = 0, excl: bool = False, constraint: Optional[dict] = None
) -> Dict[str, Any]:
    slot = {
        "type": "slot",
        "count": slots,
        "label": "task",
        "with": [{"type": "core", "count": cores}] + ([{"type": "gpu", "count": gpus}] if gpus else []),
    }
    res = [{"type": "node", "count": nodes, "exclusive": excl, "with": [slot]}] if nodes else [slot]
    system: Dict[str, Any] = {"duration": 0}
    if constraint:
        system["constraints"] = constraint
    return {"version": 1, "resources": res, "attributes": {"system": system}, "tasks": []}


REQUESTS = [
    jobspec(0, 3, 2),
    jobspec(0, 1, 1, 1),
    jobspec(1, 1, 4, 1),
    jobspec(2, 1, 1, excl=True),
    jobspec(0, 40, 1),
    jobspec(0, 5, 9),
    jobspec(1, 1, 1, constraint={"properties": ["big"]}),
    jobspec(0, 2, 2),
]
INFEASIBLE_40 = (
    "InfeasibleRequest: unsatisfiable request: need 40 slot(s) of 1 core(s), "
    "only 24 such slot(s) available (total cores: 24)"
)
INFEASIBLE_9 = (
    "InfeasibleRequest: unsatisfiable request: need 5 slot(s) of 9 core(s), "
    "only 0 such slot(s) available (total cores: 24)"
)
EXPECTED = {
    "ResourcePool": [
        "rank0/core[0-5]",
        "rank1/core0,gpu0",
        "rank2/core[0-3],gpu0",
        "InsufficientResources: insufficient resources",
        INFEASIBLE_40,
        INFEASIBLE_9,
        "rank0/core6",
        "rank1/core[1-4]",
        "rank0/core6 rank1/core[0-4],gpu0 rank2/core[0-3],gpu0",
    ],
    "TreePool": [
        "rank0/core[0-5]",
        "rank0/core6,gpu1",
        "rank1/core[0-3],gpu0",
        "InsufficientResources: insufficient resources",
        INFEASIBLE_40,
        INFEASIBLE_9,
        "rank0/core7",
        "rank1/core[4-7]",
        "rank0/core[6-7],gpu1 rank1/core[0-7],gpu0",
    ],
}


@pytest.mark.parametrize("cls", [resource.ResourcePool, TreePool], ids=["ResourcePool", "TreePool"])
def test_job_sequence(cls: Any) -> None:
    pool = cls(R)
    lines: List[str] = []
    for jobid, spec in enumerate(REQUESTS, 1):
        try:
            lines.append(pool.alloc(jobid, pool.parse_resource_request(spec)).dumps())
        except (resource.InsufficientResources, resource.InfeasibleRequest) as exc:
            lines.append(f"{type(exc).__name__}: {exc}")
    pool.free(1, final=True)
    lines.append(pool.copy_allocated().dumps())
    assert lines == EXPECTED[cls.__name__]
    assert sorted(jobid for jobid, _ in pool.job_end_times()) == [2, 3, 7, 8]
    generation = pool.generation
    pool.mark_down("1")
    assert (pool.copy_down().dumps(), pool.generation) == ("rank1/core[0-7],gpu[0-1]", generation + 1)


def test_request_parsing_errors() -> None:
    pool = resource.ResourcePool(R)
    with pytest.raises(ValueError, match="^jobspec has no resources$"):
        pool.parse_resource_request({"version": 1, "resources": []})
    with pytest.raises(ValueError, match="^getting duration: Object item not found: system$"):
        pool.parse_resource_request({"version": 1, "resources": [{"type": "slot", "count": 1}]})
    with pytest.raises(ValueError, match="^Unable to determine slot size$"):
        pool.parse_resource_request(
            {"version": 1, "resources": [{"type": "slot", "count": 1}], "attributes": {"system": {"duration": 0}}}
        )
    with pytest.raises(TypeError, match="^ResourcePool cannot be instantiated from <class 'int'>$"):
        resource.ResourcePool(5)
    with pytest.raises(ValueError, match="^TreePool requires R.scheduling$"):
        TreePool({"version": 1, "execution": {"R_lite": [{"rank": "0", "children": {"core": "0"}}]}})
