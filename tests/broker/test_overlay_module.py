"""``overlay.topology``, ``overlay.health`` and ``module.list``, as
``flux overlay status`` and ``flux module list`` use them."""

from __future__ import annotations

import fakeflux
from tests.rawclient import RawClient, error_text


def test_topology_and_health_follow_the_tree_and_lost_ranks() -> None:
    with fakeflux.Instance(size=4, attrs={"tbon.topo": "kary:2"}) as inst:
        with RawClient(inst.uri(0)) as client:
            topo = client.rpc_json("overlay.topology", {"rank": 0}, nodeid=0)
            assert topo == {
                "rank": 0,
                "size": 4,
                "children": [
                    {"rank": 1, "size": 2, "children": [{"rank": 3, "size": 1, "children": []}]},
                    {"rank": 2, "size": 1, "children": []},
                ],
            }
            wrong = client.rpc("overlay.topology", {"rank": 3}, nodeid=0)
            assert (wrong.errnum, error_text(wrong)) == (2, "requested rank is not this broker or its direct child")
            health = client.rpc_json("overlay.health", None, nodeid=0)
            assert (health["status"], [c["status"] for c in health["children"]]) == ("full", ["full", "full"])
            inst.rank_down(3)
            health = client.rpc_json("overlay.health", None, nodeid=0)
            assert health["status"] == "partial"
            assert [c["status"] for c in health["children"]] == ["partial", "full"]
            assert client.rpc_json("overlay.health", None, nodeid=1)["children"][0]["status"] == "lost"


def test_module_list_names_module_services_not_broker_ones() -> None:
    with fakeflux.Instance(size=1) as inst, RawClient(inst.uri(0)) as client:
        mods = client.rpc_json("module.list")["mods"]
        names = {m["name"] for m in mods}
        assert {"config", "overlay", "connector-local"} <= names
        assert not names & {"broker", "attr", "log", "event"}
        assert all(m["status"] == 1 for m in mods)
        # as a real instance: two modules register more services than their own name
        assert {m["name"]: m["services"] for m in mods if m["services"] != [m["name"]]} == {
            "content-sqlite": ["content-sqlite", "content-backing"],
            "sched-simple": ["sched-simple", "feasibility", "sched"]}
