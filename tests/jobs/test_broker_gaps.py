"""job-list and job-manager answers the `flux` command relies on, against a
real fakeflux broker over real sockets.  Expectations recorded on real
flux-core (v0.88.0-59, ``flux start --test-size=4``, two cores per rank):
``ranks`` bracketed, the ``ranks``/``hostlist`` constraints and their errors,
``job-manager.alloc-query``, per-queue ``job-list.job-stats`` and the module
list."""

from __future__ import annotations

import errno
import json
import os
import socket
from typing import Any, Dict, List, Optional

import pytest

import fakeflux
from fakeflux.broker.jobs import sign_none_wrap
from fakeflux.wire import constants as C
from fakeflux.wire import payload_string
from tests.jobs.conftest import SIMULATED_CONF
from tests.rawclient import RawClient, error_text

HOST = socket.gethostname().split(".")[0]
CONF = SIMULATED_CONF


def jobspec(nnodes: Optional[int] = None, ntasks: int = 1, run: str = "1000s",
            queue: Optional[str] = None) -> Dict[str, Any]:
    slot = {"type": "slot", "count": 1, "label": "task", "with": [{"type": "core", "count": 1}]}
    resources: List[Dict[str, Any]] = [slot] if nnodes is None else [
        {"type": "node", "count": nnodes, "with": [{**slot, "count": ntasks // nnodes}]}]
    system: Dict[str, Any] = {"duration": 0.0, "exec": {"test": {"run_duration": run}}}
    if queue is not None:
        system["queue"] = queue
    return {"version": 1, "resources": resources,
            "tasks": [{"command": ["sleep", "100"], "slot": "task", "count": {"total": ntasks}}],
            "attributes": {"system": system}}


def submit(c: RawClient, js: Any, urgency: int = 16) -> int:
    J = sign_none_wrap(json.dumps(js).encode(), os.getuid())
    return c.rpc_json("job-ingest.submit", {"J": J, "urgency": urgency, "flags": 0})["id"]


def wait_event(c: RawClient, jobid: int, name: str) -> None:
    req = c.request("job-info.eventlog-watch", {"id": jobid, "path": "eventlog", "flags": 0},
                    flags=C.FLAG_STREAMING)
    while True:
        msg = c.recv(timeout=10)
        assert msg.matchtag == req.matchtag and not msg.errnum, error_text(msg)
        if json.loads(json.loads(payload_string(msg.payload) or "{}")["event"])["name"] == name:
            c.request("job-info.eventlog-watch-cancel", {"matchtag": req.matchtag})
            while not (msg.matchtag == req.matchtag and msg.errnum):
                msg = c.recv(timeout=10)
            return


@pytest.fixture
def two_running(client: RawClient) -> Dict[str, int]:
    """-N2 then one task, on an idle size-4 instance: ranks [0-1] and 2."""
    jobs = {"n2": submit(client, jobspec(nnodes=2, ntasks=2)), "n1": submit(client, jobspec())}
    for jobid in jobs.values():
        wait_event(client, jobid, "start")
    return jobs


def listed(c: RawClient, constraint: Any = None, attrs: Optional[List[str]] = None) -> Any:
    req: Dict[str, Any] = {"max_entries": 10, "attrs": attrs or ["ranks"]}
    if constraint is not None:
        req["constraint"] = constraint
    msg = c.rpc("job-list.list", req)
    if msg.errnum:
        return msg.errnum, error_text(msg)
    return json.loads(payload_string(msg.payload) or "{}")["jobs"]


def test_ranks_bracketed_and_allocation_as_real(client: RawClient, two_running: Dict[str, int]) -> None:
    n2, n1 = two_running["n2"], two_running["n1"]
    assert listed(client, attrs=["ranks", "nodelist", "annotations", "state"]) == [
        {"id": n1, "ranks": "2", "nodelist": HOST, "annotations": {"sched": {"resource_summary": "rank2/core0"}},
         "state": 16},
        {"id": n2, "ranks": "[0-1]", "nodelist": f"{HOST},{HOST}",
         "annotations": {"sched": {"resource_summary": "rank[0-1]/core0"}}, "state": 16}]


@pytest.mark.parametrize("constraint, which", [
    ({"ranks": ["0"]}, ["n2"]),
    ({"ranks": ["1"]}, ["n2"]),
    ({"ranks": ["0-1"]}, ["n2"]),
    ({"ranks": ["[1-2]"]}, ["n1", "n2"]),
    ({"ranks": ["3"]}, []),
    ({"ranks": []}, []),
    ({"hostlist": [HOST]}, ["n1", "n2"]),
    ({"hostlist": ["nohost"]}, []),
    ({"t_depend": [">=1"]}, ["n1", "n2"]),
    ({"t_priority": [">=1"]}, ["n1", "n2"]),
    ({"t_sched": [">=1"]}, ["n1", "n2"]),
    ({"not": [{"ranks": ["2"]}]}, ["n2"]),
    ({"or": []}, ["n1", "n2"]),
    ({"states": []}, []),
    ({"states": ["R", "pd"]}, ["n1", "n2"]),
    ({"userid": [-1]}, ["n1", "n2"]),
    ({}, ["n1", "n2"]),
])
def test_constraints(client: RawClient, two_running: Dict[str, int], constraint: Any, which: List[str]) -> None:
    assert listed(client, constraint) == [{"id": two_running[w], **({"ranks": "2"} if w == "n1" else
                                                                     {"ranks": "[0-1]"})}
                                          for w in ("n1", "n2") if w in which]


@pytest.mark.parametrize("constraint, text", [
    ({"ranks": [0]}, "ranks value must be a string"),
    ({"ranks": ["x"]}, "ranks value 'x': error parsing range 'x'"),
    ({"ranks": ["3,1"]}, "ranks value '3,1': range '1' is out of order"),
    ({"ranks": ["[0"]}, "ranks value '[0': mismatched or nested brackets"),
    ({"hostlist": ["bad["]}, "host value not in valid Hostlist format"),
    ({"hostlist": [1]}, "host value must be a string"),
    ({"foo": []}, "unknown constraint operator: foo"),
    ({"t_run": [1]}, "t_run value must be a string"),
    ({"t_submit": ["foo"]}, "timestamp comparison operator not specified"),
    ({"t_submit": [">x"]}, "Invalid timestamp value specified"),
    ({"t_submit": ["<-1"]}, "timestamp value must be >= 0.0"),
    ({"t_submit": []}, "timestamp value not specified"),
    ({"states": ["bogus"]}, "invalid states value 'bogus' specified"),
    ({"states": [256]}, "invalid states value '100h' specified"),
    ({"results": [1.5]}, "results value invalid type"),
    ({"name": [1]}, "name value must be a string"),
    ({"userid": ["x"]}, "userid value must be an integer"),
    ({"name": "x"}, "operator name values not an array"),
    ({"a": [], "b": []}, "constraint must only contain 1 element"),
    ([], "constraint must be JSON object"),
])
def test_constraint_errors(client: RawClient, constraint: Any, text: str) -> None:
    assert listed(client, constraint) == (errno.EPROTO, f"invalid payload: constraint object invalid: {text}")


def test_alloc_query(client: RawClient) -> None:
    assert client.rpc_json("job-manager.alloc-query") == {"queue_length": 0, "alloc_pending": 0, "running": 0}
    whole = submit(client, jobspec(nnodes=4, ntasks=8))
    wait_event(client, whole, "start")
    submit(client, jobspec(nnodes=4, ntasks=8))
    submit(client, jobspec())
    submit(client, jobspec(), urgency=0)  # held: not offered to the scheduler
    # recorded: two requests with the scheduler, the held job in neither count
    assert client.rpc_json("job-manager.alloc-query", {"x": 1}) == {"queue_length": 0, "alloc_pending": 2,
                                                                     "running": 1}


def test_job_stats_per_queue() -> None:
    config = {**CONF, "queues": {"debug": {}, "batch": {}},
              "policy": {"jobspec": {"defaults": {"system": {"queue": "batch"}}}}}
    with fakeflux.Instance(size=4, config=config) as inst, RawClient(inst.uri(0)) as c:
        for queue in ("debug", "batch", "batch"):
            submit(c, jobspec(queue=queue))
        stats = c.rpc_json("job-list.job-stats")

    def entry(sched: int) -> Dict[str, Any]:
        return {"job_states": {"depend": 0, "priority": 0, "sched": sched, "run": 0, "cleanup": 0, "inactive": 0,
                               "total": sched},
                "successful": 0, "failed": 0, "canceled": 0, "timeout": 0, "inactive_purged": 0}

    # configured queues start stopped: every job waits in SCHED
    assert json.dumps(stats) == json.dumps({**entry(3), "queues": [{**entry(2), "name": "batch"},
                                                                    {**entry(1), "name": "debug"}]})


def test_job_stats_without_queues(client: RawClient) -> None:
    assert client.rpc_json("job-list.job-stats")["queues"] == []


def test_module_list_is_a_real_test_instance_s(client: RawClient) -> None:
    rank0 = ["config", "connector-local", "content", "content-sqlite", "cron", "groups", "heartbeat", "job-exec",
             "job-info", "job-ingest", "job-list", "job-manager", "kvs", "kvs-watch", "overlay", "resource",
             "rexec", "sched-simple"]
    mods = client.rpc_json("module.list")["mods"]
    assert [m["name"] for m in mods] == rank0
    builtin = {m["name"] for m in mods if m["path"] == "builtin"}
    assert builtin == {"config", "connector-local", "groups", "overlay", "rexec"}
    others = {m["name"] for m in client.rpc_json("module.list", nodeid=1)["mods"]}
    # recorded rank 1: also job-info, job-ingest and resource, which fakeflux serves on rank 0 only
    assert others <= {"config", "connector-local", "content", "groups", "heartbeat", "job-info", "job-ingest",
                      "kvs", "kvs-watch", "overlay", "resource", "rexec"}
    assert {"config", "content", "kvs", "kvs-watch", "overlay", "rexec", "heartbeat"} <= others
