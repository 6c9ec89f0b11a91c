"""The scheduler, resource set and queues against a real fakeflux broker over
real sockets.  Every expectation was recorded on real flux-core (v0.88.0-59,
sched-simple) with ``flux start --test-size=N`` on a host whose ranks have two
cores each, so these instances set ``[fakeflux] cores-per-rank = 2``.

Placement tests use flux-core's test executor (``attributes.system.exec.test``)
so nothing is spawned; one test runs real processes that queue because the
cores are busy.

Ordering without timing: a job's scheduling pass is asynchronous to its
submit, so "still pending" is checked behind a *barrier*: an unsatisfiable job
submitted with a higher urgency goes to the head of the queue, is denied
there, and the same pass then tries every job behind it.  Once its exception
is in its eventlog, the jobs submitted before it have had their chance.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

import fakeflux
from fakeflux.broker.jobs import FLAG_NOVALIDATE, sign_none_wrap
from fakeflux.wire import constants as C
from fakeflux.wire import payload_string
from tests.jobs.conftest import SIMULATED_CONF
from tests.rawclient import RawClient, error_text

HOST = socket.gethostname().split(".")[0]
CONF = SIMULATED_CONF
FAKE = {"fake-resources": {"nnodes": 4, "cores-per-node": 4, "gpus-per-node": 2, "host-prefix": "node"}}
WAITABLE = 4


# -- jobspecs as flux-core's JobspecV1.from_command builds them ---------------------------------------
def jobspec(ntasks: int = 1, nnodes: Optional[int] = None, cores: int = 1, gpus: int = 0, exclusive: bool = False,
            run: Optional[str] = "1000s", command: Sequence[str] = ("true",), queue: Optional[str] = None,
            duration: float = 0.0) -> Dict[str, Any]:
    slot_with: List[Dict[str, Any]] = [{"type": "core", "count": cores}]
    if gpus:
        slot_with.append({"type": "gpu", "count": gpus})
    if nnodes is None:
        resources = [{"type": "slot", "count": ntasks, "with": slot_with, "label": "task"}]
        count: Dict[str, int] = {"per_slot": 1}
    else:
        node: Dict[str, Any] = {"type": "node", "count": nnodes,
                                "with": [{"type": "slot", "count": ntasks // nnodes, "with": slot_with,
                                          "label": "task"}]}
        if exclusive:
            node["exclusive"] = True
        resources = [node]
        count = {"total": ntasks}
    system: Dict[str, Any] = {"duration": duration}
    if run is not None:
        system["exec"] = {"test": {"run_duration": run}}
    if queue is not None:
        system["queue"] = queue
    return {"version": 1, "resources": resources,
            "tasks": [{"command": list(command), "slot": "task", "count": count}],
            "attributes": {"system": system}}


def submit_msg(c: RawClient, js: Dict[str, Any], urgency: int = 16, flags: int = 0) -> Any:
    J = sign_none_wrap(json.dumps(js).encode(), os.getuid())
    return c.rpc("job-ingest.submit", {"J": J, "urgency": urgency, "flags": flags})


def submit(c: RawClient, js: Dict[str, Any], urgency: int = 16, flags: int = 0) -> int:
    msg = submit_msg(c, js, urgency, flags)
    assert msg.errnum == 0, error_text(msg)
    return int(json.loads(payload_string(msg.payload) or "null")["id"])


def eventlog(c: RawClient, jobid: int) -> List[Dict[str, Any]]:
    got = c.rpc_json("job-info.lookup", {"id": jobid, "keys": ["eventlog"], "flags": 0})
    return [json.loads(line) for line in got["eventlog"].splitlines()]


def wait_event(uri: str, jobid: int, wanted: Sequence[str]) -> Dict[str, Any]:
    """Block until the job's eventlog holds one of ``wanted``; that event."""
    with RawClient(uri) as w:
        req = w.request("job-info.eventlog-watch", {"id": jobid, "path": "eventlog", "flags": 0},
                        flags=C.FLAG_STREAMING)
        while True:
            msg = w.recv(timeout=10)
            assert msg.matchtag == req.matchtag and msg.errnum == 0, error_text(msg)
            event: Dict[str, Any] = json.loads(json.loads(payload_string(msg.payload) or "null")["event"])
            if event["name"] in wanted:
                return event


def summary(uri: str, jobid: int) -> Any:
    """The alloc's resource_summary, or the exception context."""
    event = wait_event(uri, jobid, ("alloc", "exception"))
    if event["name"] == "exception":
        return event["context"]
    return event["context"]["annotations"]["sched"]["resource_summary"]


def barrier(c: RawClient, uri: str) -> None:
    """Every job submitted so far has been offered to the scheduler."""
    probe = submit(c, jobspec(ntasks=100000), urgency=31)
    assert wait_event(uri, probe, ("exception",))["context"]["type"] == "alloc"


def pending(c: RawClient, jobid: int) -> bool:
    return not any(e["name"] in ("alloc", "exception") for e in eventlog(c, jobid))


def R(c: RawClient, jobid: int) -> Dict[str, Any]:
    got = c.rpc_json("job-info.lookup", {"id": jobid, "keys": ["R"], "flags": 0})
    return json.loads(got["R"])


def cancel(c: RawClient, jobid: int) -> None:
    c.rpc_json("job-manager.raise", {"id": jobid, "severity": 0, "type": "cancel", "note": ""})


# -- placement ----------------------------------------------------------------------------------
def test_worst_fit_placement_and_R(inst: fakeflux.Instance, client: RawClient) -> None:
    """Most free cores first, ties in rank order, lowest cores within a node;
    R as Rv1Set writes it (nslots, one hostlist)."""
    uri = inst.uri(0)
    n1 = submit(client, jobspec(1))
    assert summary(uri, n1) == "rank0/core0"
    n3 = submit(client, jobspec(3))
    assert summary(uri, n3) == "rank1/core[0-1] rank2/core0"
    r = R(client, n3)
    assert r["execution"]["R_lite"] == [{"rank": "1", "children": {"core": "0-1"}},
                                        {"rank": "2", "children": {"core": "0"}}]
    assert list(r["execution"]) == ["R_lite", "starttime", "expiration", "nslots", "nodelist"]
    assert r["execution"]["nslots"] == 3 and r["execution"]["expiration"] == 0.0
    assert r["execution"]["nodelist"] == [f"{HOST},{HOST}"]
    n2N2 = submit(client, jobspec(2, nnodes=2))
    assert summary(uri, n2N2) == "rank0/core1 rank3/core0"
    n1b = submit(client, jobspec(1))  # ranks 2 and 3 have one core free each: rank order decides
    assert summary(uri, n1b) == "rank2/core1"


def test_exclusive_nodes_cores_per_task_and_exclusive_slots(inst: fakeflux.Instance, client: RawClient) -> None:
    uri = inst.uri(0)
    x = submit(client, jobspec(2, nnodes=2, exclusive=True))
    assert summary(uri, x) == "rank[0-1]/core[0-1]"
    assert R(client, x)["execution"]["R_lite"] == [{"rank": "0-1", "children": {"core": "0-1"}}]
    assert R(client, x)["execution"]["nslots"] == 2
    c2 = submit(client, jobspec(1, cores=2))
    assert summary(uri, c2) == "rank2/core[0-1]"
    n1 = submit(client, jobspec(1))
    assert summary(uri, n1) == "rank3/core0"
    blocked = submit(client, jobspec(2, nnodes=1))  # two cores on one node: none has them now
    barrier(client, uri)
    assert pending(client, blocked)
    for job in (x, c2, n1, blocked):
        cancel(client, job)
    # an exclusive slot request without nodes: one whole node per slot
    one = submit(client, jobspec(1))
    assert summary(uri, one) == "rank0/core0"
    js = jobspec(2)
    js["resources"][0]["exclusive"] = True
    slots = submit(client, js)
    assert summary(uri, slots) == "rank[1-2]/core[0-1]"
    assert R(client, slots)["execution"]["nslots"] == 2


def test_head_of_queue_blocks_smaller_jobs(inst: fakeflux.Instance, client: RawClient) -> None:
    """sched-simple is strict FIFO: an exclusive node request that does not fit
    holds back a one-core job that would."""
    uri = inst.uri(0)
    for js in (jobspec(1), jobspec(3), jobspec(2, nnodes=2), jobspec(1)):
        summary(uri, submit(client, js))  # rank3 keeps one free core
    big = submit(client, jobspec(1, nnodes=1, exclusive=True))
    small = submit(client, jobspec(1, nnodes=1))
    barrier(client, uri)
    assert pending(client, big) and pending(client, small)


def test_priority_then_fifo_order(inst: fakeflux.Instance, client: RawClient) -> None:
    """Real Flux: with every core busy, a big job, a small job and a small job of
    higher urgency queue up; the urgent one runs first, then the big one (alone,
    on every core), then the small one."""
    inst.set_time_scale(0.01)
    uri = inst.uri(0)
    fillers = [submit(client, jobspec(2)) for _ in range(4)]  # hold every core until cancelled
    big = submit(client, jobspec(8, run="10s"))
    small = submit(client, jobspec(1, run="10s"))
    hi = submit(client, jobspec(1, run="10s"), urgency=20)
    barrier(client, uri)
    for job in fillers:
        cancel(client, job)
    for job in fillers + [big, small, hi]:
        wait_event(uri, job, ("clean",))
    allocs = {name: next(e for e in eventlog(client, j) if e["name"] == "alloc")
              for name, j in (("big", big), ("small", small), ("hi", hi))}
    order = sorted(allocs, key=lambda n: allocs[n]["timestamp"])
    assert order == ["hi", "big", "small"]
    assert allocs["big"]["context"] == {"annotations": {"sched": {"resource_summary": "rank[0-3]/core[0-1]"}}}
    assert [e["name"] for e in eventlog(client, big)] == [
        "submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]


# -- unsatisfiable requests ---------------------------------------------------------------------------
UNSATISFIABLE = [
    (jobspec(100), "unsatisfiable request: need 100 slot(s) of 1 core(s), only 8 such slot(s) available "
                   "(total cores: 8)"),
    (jobspec(9), "unsatisfiable request: need 9 slot(s) of 1 core(s), only 8 such slot(s) available "
                 "(total cores: 8)"),
    (jobspec(5, nnodes=5), "unsatisfiable request: need 5 node(s) with 1 cores each, only 4 eligible"),
    (jobspec(1, cores=3), "unsatisfiable request: need 1 slot(s) of 3 core(s), only 0 such slot(s) available "
                          "(total cores: 8)"),
    (jobspec(1, gpus=1), "unsatisfiable request: need 1 slot(s) with 1 GPU(s) each, only 0 available "
                         "(total GPUs: 0)"),
    (jobspec(5, nnodes=5, exclusive=True), "unsatisfiable request: need 5 exclusive node(s), only 4 eligible"),
    (jobspec(100, nnodes=100, exclusive=True),
     "unsatisfiable request: need 100 exclusive node(s), only 4 eligible"),  # flux run -N 100 true
    (jobspec(6, nnodes=2), "unsatisfiable request: need 2 node(s) with 3 cores each, only 0 eligible"),
]


@pytest.mark.parametrize(("js", "note"), UNSATISFIABLE)
def test_unsatisfiable_request(inst: fakeflux.Instance, client: RawClient, js: Dict[str, Any], note: str) -> None:
    jobid = submit(client, js, flags=WAITABLE)
    wait_event(inst.uri(0), jobid, ("clean",))
    evs = eventlog(client, jobid)
    assert [e["name"] for e in evs] == ["submit", "validate", "depend", "priority", "exception", "clean"]
    assert evs[4]["context"] == {"type": "alloc", "severity": 0, "note": note, "userid": os.getuid()}
    assert list(evs[4]["context"]) == ["type", "severity", "note", "userid"]
    got = client.rpc_json("job-manager.wait", {"id": jobid})
    assert got == {"id": jobid, "success": False, "errstr": f"Fatal exception type=alloc {note}"}


def test_every_core_busy_is_not_unsatisfiable(inst: fakeflux.Instance, client: RawClient) -> None:
    jobid = submit(client, jobspec(8, nnodes=4))
    assert summary(inst.uri(0), jobid) == "rank[0-3]/core[0-1]"


def test_drained_node_is_skipped_until_undrained(inst: fakeflux.Instance, client: RawClient) -> None:
    uri = inst.uri(0)
    client.rpc_json("resource.drain", {"targets": "0", "reason": "maintenance"})
    status = client.rpc_json("resource.status", {})
    assert status["drain"]["0"]["reason"] == "maintenance"
    assert status["drain"]["0"]["timestamp"] == int(status["drain"]["0"]["timestamp"])  # whole seconds
    assert summary(uri, submit(client, jobspec(1))) == "rank1/core0"
    four = submit(client, jobspec(4, nnodes=4))
    barrier(client, uri)
    assert pending(client, four)  # a drained node counts for feasibility, not for placement
    client.rpc_json("resource.undrain", {"targets": "0"})
    # worst fit: ranks 0, 2, 3 (two free cores), then rank 1 (one)
    assert summary(uri, four) == "rank[0,2-3]/core0 rank1/core1"


# -- [fake-resources] ---------------------------------------------------------------------------------
def test_fake_resources_status_and_placement() -> None:
    with fakeflux.Instance(size=1, config={**FAKE, "fakeflux": {"exec": "simulated"}}) as inst, \
            RawClient(inst.uri(0)) as c:
        R_all = {"version": 1, "execution": {"R_lite": [{"rank": "0-3", "children": {"gpu": "0-1", "core": "0-3"}}],
                                             "starttime": 0.0, "expiration": 0.0, "nodelist": ["node[0-3]"]}}
        empty = {"version": 1, "execution": {"R_lite": [], "starttime": 0.0, "expiration": 0.0, "nodelist": [""]}}
        status = c.rpc_json("resource.status", {})
        assert status == {"R": R_all, "drain": {}, "online": "0-3", "offline": "", "exclude": "", "torpid": ""}
        assert json.dumps(status["R"]) == json.dumps(R_all)  # gpu before core, as flux R encode writes it
        assert c.rpc_json("resource.sched-status", {}) == {"all": R_all, "down": empty, "allocated": empty}
        uri = inst.uri(0)
        n1 = submit(c, jobspec(1))
        assert summary(uri, n1) == "rank0/core0"
        assert R(c, n1)["execution"]["nodelist"] == ["node0"]
        x = submit(c, jobspec(2, nnodes=2, exclusive=True))
        assert summary(uri, x) == "rank[1-2]/core[0-3],gpu[0-1]"
        assert R(c, x)["execution"]["R_lite"] == [{"rank": "1-2", "children": {"core": "0-3", "gpu": "0-1"}}]
        assert R(c, x)["execution"]["nodelist"] == ["node[1-2]"]
        g = submit(c, jobspec(1, gpus=1))
        assert summary(uri, g) == "rank3/core0,gpu0"
        allocated = c.rpc_json("resource.sched-status", {})["allocated"]
        assert allocated["execution"]["R_lite"] == [
            {"rank": "0", "children": {"core": "0"}},
            {"rank": "1-2", "children": {"gpu": "0-1", "core": "0-3"}},
            {"rank": "3", "children": {"gpu": "0", "core": "0"}}]
        assert allocated["execution"]["nodelist"] == ["node[0-3]"]


def test_fake_resources_misnamed_ranks_are_drained() -> None:
    """Several real ranks on one host cannot carry the fake hostnames: flux-core
    drains every rank but 0."""
    with fakeflux.Instance(size=2, config=FAKE) as inst, RawClient(inst.uri(0)) as c:
        status = c.rpc_json("resource.status", {})
        if HOST == "node1":  # pragma: no cover - a host named like the fake node
            return
        assert status["drain"]["1"]["reason"] == f"rank 1 got hostname '{HOST}', expected 'node1'"
        assert list(status["drain"]) == ["1"] and status["online"] == "0-3"
        down = c.rpc_json("resource.sched-status", {})["down"]
        assert down["execution"]["R_lite"] == [{"rank": "1", "children": {"core": "0-3", "gpu": "0-1"}}]
        assert down["execution"]["nodelist"] == ["node1"]


def test_fake_nodes_need_the_test_executor() -> None:
    """A job on rank 0 (a real broker) runs; one that reaches fake ranks without
    attributes.system.exec.test fails as job-exec fails it on real Flux."""
    with fakeflux.Instance(size=1, config=FAKE) as inst, RawClient(inst.uri(0)) as c:
        uri = inst.uri(0)
        real = submit(c, jobspec(1, nnodes=1, run=None, command=("true",)), flags=WAITABLE)
        wait_event(uri, real, ("clean",))
        assert [e["name"] for e in eventlog(c, real)][4:] == ["alloc", "start", "finish", "release", "free", "clean"]
        fake = submit(c, jobspec(4, nnodes=4, run=None, command=("hostname",)), flags=WAITABLE)
        wait_event(uri, fake, ("clean",))
        evs = eventlog(c, fake)
        assert [e["name"] for e in evs][4:] == ["alloc", "exception", "finish", "release", "free", "clean"]
        assert evs[4]["context"]["annotations"]["sched"]["resource_summary"] == "rank[0-3]/core0"
        assert evs[5]["context"] == {"type": "exec", "severity": 0, "userid": os.getuid(),
                                     "note": "node failure on (null) (rank 1)"}
        assert list(evs[5]["context"]) == ["type", "severity", "userid", "note"]
        assert evs[6]["context"] == {"status": 15}
        assert c.rpc_json("job-manager.wait", {"id": fake})["errstr"] == (
            "Fatal exception type=exec node failure on (null) (rank 1)")
        sim = submit(c, jobspec(4, nnodes=4, run="0s"), flags=WAITABLE)
        assert c.rpc_json("job-manager.wait", {"id": sim})["success"] is True


def test_fake_resources_bad_table_is_named() -> None:
    with fakeflux.Instance(size=1, config={"fake-resources": {"cores-per-node": 4}}) as inst, \
            RawClient(inst.uri(0)) as c:
        msg = c.rpc("resource.status", {})
        assert msg.errnum == errno.EINVAL
        assert error_text(msg) == "[fake-resources] table requires the 'nnodes' key"
        jobid = submit(c, jobspec(1))
        event = wait_event(inst.uri(0), jobid, ("exception",))
        assert event["context"]["note"] == "fakeflux: [fake-resources] table requires the 'nnodes' key"


# -- queues -----------------------------------------------------------------------------------------
def _submit_error(c: RawClient, queue: Optional[str]) -> Any:
    msg = submit_msg(c, jobspec(1, queue=queue))
    return (msg.errnum, error_text(msg)) if msg.errnum else "ok"


def test_no_queues_configured() -> None:
    with fakeflux.Instance(size=2, config=CONF) as inst, RawClient(inst.uri(0)) as c:
        assert _submit_error(c, None) == "ok"
        assert _submit_error(c, "nope") == (errno.EINVAL, "'nope' is not a valid queue")
        assert c.rpc_json("job-manager.queue-list", {}) == {"queues": []}
        assert c.rpc_json("job-manager.queue-status", {}) == {"enable": True, "start": True}
        msg = c.rpc("job-manager.queue-status", {"name": "debug"})
        assert (msg.errnum, error_text(msg)) == (errno.EINVAL, "'debug' is not a valid queue")


def test_named_queues_without_default() -> None:
    config = {**CONF, "queues": {"debug": {}, "batch": {}}}
    with fakeflux.Instance(size=2, config=config) as inst, RawClient(inst.uri(0)) as c:
        assert _submit_error(c, None) == (errno.EPERM, "no queue specified")
        assert _submit_error(c, "nope") == (errno.EPERM, "Invalid queue 'nope' specified")
        assert c.rpc_json("job-manager.queue-list", {}) == {"queues": ["batch", "debug"]}
        msg = c.rpc("job-manager.queue-status", {})
        assert (msg.errnum, error_text(msg)) == (errno.EINVAL, "a named queue is required")
        assert c.rpc_json("job-manager.queue-status", {"name": "debug"}) == {"enable": True, "start": False}
        # named queues of a test instance start stopped: the job waits in SCHED
        jobid = submit(c, jobspec(1, queue="debug"))
        # the barrier, in a started queue: a stopped queue's jobs are not offered at all
        c.rpc_json("job-manager.queue-start", {"name": "batch", "start": True, "all": False})
        probe = submit(c, jobspec(100000, queue="batch"), urgency=31)
        assert wait_event(inst.uri(0), probe, ("exception",))["context"]["type"] == "alloc"
        listed = c.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["queue", "state"]})["job"]
        assert listed["queue"] == "debug" and listed["state"] == 8
        assert pending(c, jobid)
        msg = c.rpc("job-manager.queue-start", {"start": True, "all": False})
        assert (msg.errnum, error_text(msg)) == (errno.EINVAL, "Use --all to apply this command to all queues")
        c.rpc_json("job-manager.queue-start", {"name": "debug", "start": True, "all": False})
        assert c.rpc_json("job-manager.queue-status", {"name": "debug"}) == {"enable": True, "start": True}
        assert summary(inst.uri(0), jobid) == "rank0/core0"
        c.rpc_json("job-manager.queue-enable", {"name": "batch", "enable": False, "reason": "closed", "all": False})
        assert _submit_error(c, "batch") == (errno.EINVAL, "job submission to batch is disabled: closed")
        assert c.rpc_json("job-manager.queue-status", {"name": "batch"}) == {
            "enable": False, "start": True, "disable_reason": "closed"}


def test_default_queue_fills_the_jobspec() -> None:
    config = {**CONF, "queues": {"debug": {}, "batch": {}},
              "policy": {"jobspec": {"defaults": {"system": {"queue": "batch"}}}}}
    with fakeflux.Instance(size=2, config=config) as inst, RawClient(inst.uri(0)) as c:
        jobid = submit(c, jobspec(1))
        got = c.rpc_json("job-info.lookup", {"id": jobid, "keys": ["jobspec"], "flags": 0})
        assert json.loads(got["jobspec"])["attributes"]["system"]["queue"] == "batch"
        assert _submit_error(c, "nope") == (errno.EPERM, "Invalid queue 'nope' specified")
        assert _submit_error(c, "debug") == "ok"


# -- real execution ----------------------------------------------------------------------------------
def test_real_job_queues_while_the_cores_are_busy() -> None:
    """Local execution, one rank of one core: a second job waits in SCHED
    while the first runs, and runs once it is cancelled."""
    with fakeflux.Instance(size=1, config={"fakeflux": {"cores-per-rank": 1, "exec": "local"}}) as inst, \
            RawClient(inst.uri(0)) as c:
        uri = inst.uri(0)
        first = submit(c, jobspec(1, run=None, command=("sleep", "300")), flags=WAITABLE)
        wait_event(uri, first, ("start",))
        second = submit(c, jobspec(1, run=None, command=("true",)), flags=WAITABLE)
        barrier(c, uri)
        assert pending(c, second)
        cancel(c, first)
        assert c.rpc_json("job-manager.wait", {"id": second}) == {"id": second, "success": True, "errstr": ""}
        evs = eventlog(c, second)
        assert [e["name"] for e in evs][4:] == ["alloc", "start", "finish", "release", "free", "clean"]
        assert evs[4]["context"]["annotations"]["sched"]["resource_summary"] == "rank0/core0"
        assert c.rpc_json("job-manager.wait", {"id": first})["errstr"] == "Fatal exception type=cancel "


def test_anonymous_queue_stop_start_disable(inst: fakeflux.Instance, client: RawClient) -> None:
    c = client
    c.rpc_json("job-manager.queue-start", {"start": False, "all": False, "reason": "why"})
    assert c.rpc_json("job-manager.queue-status", {}) == {"enable": True, "start": False, "stop_reason": "why"}
    jobid = submit(c, jobspec(1))
    c.rpc_json("job-manager.queue-start", {"start": True, "all": False})
    assert summary(inst.uri(0), jobid) == "rank0/core0"  # a stopped queue's jobs wait; started, they run
    msg = c.rpc("job-manager.queue-enable", {"enable": False, "all": False})
    assert (msg.errnum, error_text(msg)) == (errno.EINVAL, "reason is required for disable")
    c.rpc_json("job-manager.queue-enable", {"enable": False, "all": False, "reason": "closed"})
    assert c.rpc_json("job-manager.queue-status", {}) == {"enable": False, "start": True, "disable_reason": "closed"}
    assert _submit_error(c, None) == (errno.EINVAL, "job submission is disabled: closed")
    c.rpc_json("job-manager.queue-enable", {"enable": True, "all": True})
    assert _submit_error(c, None) == "ok"
    msg = c.rpc("job-manager.queue-start", {"start": True})
    assert msg.errnum == errno.EPROTO
    msg = c.rpc("job-manager.queue-start", {"name": "x", "start": True, "all": False})
    assert (msg.errnum, error_text(msg)) == (errno.EINVAL, "'x' is not a valid queue")


def test_start_time_estimates(inst: fakeflux.Instance, client: RawClient) -> None:
    """Pending jobs get ``sched.t_estimate``: each one when enough running jobs
    have reached their expiration, never before the job ahead of it; after a
    job with no time limit there is no estimate (real Flux, same shape)."""
    c, uri = client, inst.uri(0)
    fillers = [submit(c, jobspec(2, duration=100.0)) for _ in range(4)]
    for job in fillers:
        wait_event(uri, job, ("alloc",))
    ends = sorted(R(c, job)["execution"]["expiration"] for job in fillers)
    waiting = [submit(c, jobspec(2, duration=50.0)) for _ in range(3)]
    unlimited = submit(c, jobspec(1))
    after = submit(c, jobspec(1, duration=10.0))
    barrier(c, uri)

    def annotations(jobid: int) -> Any:
        return c.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["annotations"]})["job"].get("annotations")

    assert [annotations(j) for j in waiting] == [{"sched": {"t_estimate": t}} for t in ends[:3]]
    assert annotations(unlimited) == {"sched": {"t_estimate": ends[3]}}
    assert annotations(after) is None


def test_job_manager_resource_status(inst: fakeflux.Instance, client: RawClient) -> None:
    c, uri = client, inst.uri(0)
    empty = {"version": 1, "execution": {"R_lite": [], "starttime": 0.0, "expiration": 0.0, "nodelist": [""]}}
    assert c.rpc_json("job-manager.resource-status", {}) == {"allocated": empty}
    summary(uri, submit(c, jobspec(3)))
    summary(uri, submit(c, jobspec(1, nnodes=1, exclusive=True)))
    assert c.rpc_json("job-manager.resource-status", {}) == {"allocated": {"version": 1, "execution": {
        "R_lite": [{"rank": "0,2", "children": {"core": "0-1"}}, {"rank": "1", "children": {"core": "0"}}],
        "starttime": 0.0, "expiration": 0.0, "nodelist": [f"{HOST},{HOST},{HOST}"]}}}


def _journal(c: RawClient, count: int) -> List[Any]:
    req = c.request("resource.journal", {}, flags=C.FLAG_STREAMING)
    out = []
    for _ in range(count):
        msg = c.recv(timeout=5)
        assert msg.matchtag == req.matchtag and msg.errnum == 0, error_text(msg)
        out.append(json.loads(payload_string(msg.payload) or "null"))
    return out


def _shape(batches: List[Any]) -> List[Any]:
    """The journal's batches without timestamps (R reduced to whether it is there)."""
    return [([(e["name"], e["context"]) for e in b["events"]], "R" in b) for b in batches]


def test_resource_journal() -> None:
    with fakeflux.Instance(size=2, config=CONF) as inst, RawClient(inst.uri(0)) as c:
        batches = _journal(c, 4)
        assert _shape(batches) == [
            ([("restart", {"ranks": "0-1", "online": "", "nodelist": f"{HOST},{HOST}"}),
              ("online", {"idset": "0"})], False),
            ([("resource-define", {"method": "dynamic-discovery"})], True),
            ([("online", {"idset": "1"})], False),
            ([], False)]
        assert batches[1]["R"] == c.rpc_json("resource.status", {})["R"]
        stamps = [e["timestamp"] for b in batches for e in b["events"]]
        assert stamps == sorted(set(stamps))
        with RawClient(inst.uri(0)) as admin:
            admin.rpc_json("resource.drain", {"targets": "1", "reason": "x"})
        assert _shape([json.loads(payload_string(c.recv(timeout=5).payload) or "null")]) == [
            ([("drain", {"idset": "1", "nodelist": HOST, "reason": "x", "overwrite": 0})], False)]
        msg = c.rpc("resource.journal", {})
        assert (msg.errnum, error_text(msg)) == (errno.EPROTO, "journal requires streaming RPC flag")
    with fakeflux.Instance(size=1, config=FAKE) as inst, RawClient(inst.uri(0)) as c:
        assert _shape(_journal(c, 3)) == [
            ([("restart", {"ranks": "0-3", "online": "0-3", "nodelist": HOST})], False),
            ([("resource-define", {"method": "kvs"})], True),
            ([], False)]


def test_journal_has_annotations_before_alloc(inst: fakeflux.Instance, client: RawClient) -> None:
    """job-manager posts an ``annotations`` event (journal only, not the
    eventlog) when the scheduler's alloc carries the resource summary."""
    with RawClient(inst.uri(0)) as journal:
        req = journal.request("job-manager.events-journal", {"full": False}, flags=C.FLAG_STREAMING)
        assert json.loads(payload_string(journal.recv(timeout=5).payload) or "null") == {"id": -1, "events": []}
        jobid = submit(client, jobspec(2))
        seen: List[Any] = []
        while not seen or seen[-1][0] != "alloc":
            msg = journal.recv(timeout=5)
            assert msg.matchtag == req.matchtag
            got = json.loads(payload_string(msg.payload) or "null")
            if got["id"] == jobid:
                seen.extend((e["name"], e.get("context")) for e in got["events"])
    assert seen[3:] == [("priority", {"priority": 16}),
                        ("annotations", {"annotations": {"sched": {"resource_summary": "rank0/core[0-1]"}}}),
                        ("alloc", {"annotations": {"sched": {"resource_summary": "rank0/core[0-1]"}}})]
    assert "annotations" not in [e["name"] for e in eventlog(client, jobid)]


LIMITS = {**CONF,
          "policy": {"limits": {"duration": "1h",
                                "job-size": {"max": {"nnodes": 2, "ncores": 4}, "min": {"ncores": 2}}},
                     "jobspec": {"defaults": {"system": {"queue": "batch"}}}},
          "queues": {"debug": {"policy": {"limits": {"duration": "90s", "job-size": {"max": {"ngpus": 0}}}}},
                     "batch": {}}}


@pytest.mark.parametrize(("queue", "js", "expected"), [
    ("batch", jobspec(2, duration=7200.0), "requested duration (2h) exceeds policy limit of 1h for queue batch"),
    ("batch", jobspec(2), "requested duration (unlimited) exceeds policy limit of 1h for queue batch"),
    ("debug", jobspec(2, duration=100.0), "requested duration (1.7m) exceeds policy limit of 1.5m for queue debug"),
    ("debug", jobspec(2, duration=61.5), None),
    ("batch", jobspec(3, nnodes=3), "requested nnodes (3) exceeds policy limit of 2 for queue batch"),
    ("batch", jobspec(5), "requested ncores (5) exceeds policy limit of 4 for queue batch"),
    ("batch", jobspec(1), "requested ncores (1) is under policy limit of 2 for queue batch"),
    ("batch", jobspec(2, duration=3599.9), None),
    ("batch", jobspec(2, duration=0.05), None),
])
def test_policy_limits(queue: str, js: Dict[str, Any], expected: Optional[str]) -> None:
    """job-manager's limit-job-size then limit-duration, general limits
    overridden per queue (texts as real Flux answers them, EINVAL)."""
    js["attributes"]["system"]["queue"] = queue
    with fakeflux.Instance(size=4, config=LIMITS) as inst, RawClient(inst.uri(0)) as c:
        msg = submit_msg(c, js)
        assert (msg.errnum, error_text(msg) if msg.errnum else None) == \
            ((errno.EINVAL, expected) if expected else (0, None))


def test_lost_rank_is_not_scheduled_until_it_returns(inst: fakeflux.Instance, client: RawClient) -> None:
    c, uri = client, inst.uri(0)
    journal = RawClient(uri)
    try:
        _journal(journal, 4)  # the backlog, up to the sentinel
        inst.rank_down(2)
        status = c.rpc_json("resource.status", {})
        assert (status["online"], status["offline"]) == ("0-1,3", "2")
        down = c.rpc_json("resource.sched-status", {})["down"]["execution"]["R_lite"]
        assert down == [{"rank": "2", "children": {"core": "0-1"}}]
        four = submit(c, jobspec(4, nnodes=4))
        barrier(c, uri)
        assert pending(c, four)  # down, not unsatisfiable
        inst.rank_up(2)
        assert summary(uri, four) == "rank[0-3]/core0"
        got = [json.loads(payload_string(journal.recv(timeout=5).payload) or "null") for _ in range(2)]
        assert _shape(got) == [([("offline", {"idset": "2"})], False), ([("online", {"idset": "2"})], False)]
    finally:
        journal.close()


def test_feasibility_check_and_sched_resource_status() -> None:
    """sched-simple's own services, on rank 0 only (size 2, two cores a rank)."""
    with fakeflux.Instance(size=2, config=CONF) as inst, RawClient(inst.uri(0)) as c, \
            RawClient(inst.uri(1)) as c1:
        assert c.rpc("feasibility.check", {"jobspec": jobspec(2)}).errnum == 0
        cases: List[Tuple[Optional[Dict[str, Any]], int, str]] = [
            (jobspec(200), errno.EOVERFLOW, "unsatisfiable request: need 200 slot(s) of 1 core(s), only 4 such "
                                            "slot(s) available (total cores: 4)"),
            (jobspec(5, nnodes=5), errno.EOVERFLOW, "unsatisfiable request: need 5 node(s) with 1 cores each, "
                                                    "only 2 eligible"),
            (None, errno.EINVAL, "jobspec has no resources"),
            ({"resources": []}, errno.EINVAL, "jobspec has no resources"),
        ]
        for js, errnum, text in cases:
            msg = c.rpc("feasibility.check", {} if js is None else {"jobspec": js})
            assert (msg.errnum, error_text(msg)) == (errnum, text)
        msg = c1.rpc("feasibility.check", {"jobspec": jobspec(2)}, nodeid=1)
        assert (msg.errnum, error_text(msg)) == (errno.ENOSYS, "No service matching feasibility.check is registered")
        empty = {"R_lite": [], "starttime": 0.0, "expiration": 0.0}
        assert c.rpc_json("sched.resource-status", {}) == {
            "all": {"version": 1, "execution": {"R_lite": [{"rank": "0-1", "children": {"core": "0-1"}}],
                                                "starttime": 0.0, "expiration": 0.0,
                                                "nodelist": [f"{HOST},{HOST}"]}},
            "allocated": {"version": 1, "execution": empty},
            "down": {"version": 1, "execution": empty}}


def _with_constraint(js: Dict[str, Any], constraint: Any) -> Dict[str, Any]:
    js["attributes"]["system"]["constraints"] = constraint
    return js


@pytest.mark.parametrize(("constraint", "expected"), [
    ({"ranks": ["1"]}, "rank1/core[0-1]"),
    ({"hostlist": [HOST]}, "rank0/core[0-1]"),
    ({"hostlist": ["nosuchhost[1-2]"]}, "unsatisfiable request: need 2 slot(s) of 1 core(s), only 0 such slot(s) "
                                        "available (total cores: 0)"),
    ({"properties": ["foo"]}, "unsatisfiable request: need 2 slot(s) of 1 core(s), only 0 such slot(s) "
                              "available (total cores: 0)"),
    ({"properties": ["^foo"]}, "rank0/core[0-1]"),
    ({"not": [{"properties": ["foo"]}]}, "rank0/core[0-1]"),
    ({"or": [{"ranks": ["1"]}, {"ranks": ["3"]}]}, "rank1/core[0-1]"),
    ({"not": [{"ranks": ["0"]}]}, "rank1/core[0-1]"),
])
def test_constraints(inst: fakeflux.Instance, client: RawClient, constraint: Any, expected: str) -> None:
    """RFC 31 constraints as ``flux submit --requires`` writes them (real Flux:
    rank:1, host:HOST, foo, ^foo, -foo, "rank:1 or rank:3", "not rank:0"), as the
    scheduler evaluates them: submitted without the validator (FLUX_JOB_NOVALIDATE,
    which the owner may use), since the validator refuses unknown hosts at submit
    (tests/cmd/test_requires_cmd.py)."""
    got = summary(inst.uri(0), submit(client, _with_constraint(jobspec(2), constraint), flags=FLAG_NOVALIDATE))
    assert (got if isinstance(got, str) else got["note"]) == expected


def test_queue_requires_become_constraints() -> None:
    config = {**CONF, "queues": {"debug": {"requires": ["debug"]}, "batch": {}}}
    with fakeflux.Instance(size=4, config=config) as inst, RawClient(inst.uri(0)) as c:
        c.rpc_json("job-manager.queue-start", {"start": True, "all": True})
        debug = submit(c, _with_constraint(jobspec(1, queue="debug"), {"ranks": ["1"]}))
        spec = json.loads(c.rpc_json("job-info.lookup", {"id": debug, "keys": ["jobspec"], "flags": 0})["jobspec"])
        assert spec["attributes"]["system"]["constraints"] == {"and": [{"ranks": ["1"]}, {"properties": ["debug"]}]}
        assert summary(inst.uri(0), debug)["note"] == ("unsatisfiable request: need 1 slot(s) of 1 core(s), only 0 "
                                                       "such slot(s) available (total cores: 0)")
        plain = submit(c, jobspec(1, queue="debug"))
        spec = json.loads(c.rpc_json("job-info.lookup", {"id": plain, "keys": ["jobspec"], "flags": 0})["jobspec"])
        assert spec["attributes"]["system"]["constraints"] == {"properties": ["debug"]}
        batch = submit(c, _with_constraint(jobspec(1, queue="batch"), {"ranks": ["1"]}))
        assert summary(inst.uri(0), batch) == "rank1/core0"


@pytest.mark.parametrize(("config", "text"), [
    ({"fake-resources": {"nnodes": 0}}, "[fake-resources] nnodes must be a positive integer, not 0"),
    ({"fake-resources": {"nnodes": 2, "gpus-per-node": -1}},
     "[fake-resources] gpus-per-node must be an integer >= 0, not -1"),
    ({"fake-resources": {"nnodes": 2, "host-prefix": ""}},
     "[fake-resources] host-prefix must be a non-empty string, not ''"),
    ({"fake-resources": {"nnodes": 2, "hwloc-xml-path": "/x.xml"}},
     "[fake-resources] hwloc-xml-path is not supported by fakeflux"),
    ({"fakeflux": {"cores-per-rank": "two"}}, "[fakeflux] cores-per-rank must be a positive integer, not 'two'"),
])
def test_bad_resource_configuration_is_named(config: Dict[str, Any], text: str) -> None:
    with fakeflux.Instance(size=1, config=config) as inst, RawClient(inst.uri(0)) as c:
        msg = c.rpc("resource.status", {})
        assert (msg.errnum, error_text(msg)) == (errno.EINVAL, text)


def test_virtual_queue_follows_its_parent() -> None:
    """RFC 33: a virtual queue is scheduled only while it and its parent are
    started (status as real Flux reports it)."""
    config = {**CONF, "queues": {"batch": {}, "debug": {"parent": "batch"}}}
    with fakeflux.Instance(size=2, config=config) as inst, RawClient(inst.uri(0)) as c:
        def status() -> Any:
            return c.rpc_json("job-manager.queue-status", {"name": "debug"})

        def start(name: str, on: bool, **kw: Any) -> None:
            c.rpc_json("job-manager.queue-start", {"name": name, "start": on, "all": False, **kw})

        assert status() == {"enable": True, "start": False, "parent": "batch"}
        start("debug", True)
        assert status() == {"enable": True, "start": False, "parent": "batch", "blocked": "parent",
                            "stop_reason": "parent queue 'batch' is stopped"}
        job = submit(c, jobspec(1, queue="debug"))
        start("batch", True)
        assert status() == {"enable": True, "start": True, "parent": "batch"}
        assert summary(inst.uri(0), job) == "rank0/core0"
        start("batch", False, reason="r")
        assert c.rpc_json("job-manager.queue-status", {"name": "batch"}) == {
            "enable": True, "start": False, "stop_reason": "r"}
        assert status()["stop_reason"] == "parent queue 'batch' is stopped"


def test_drain_modes_and_errors(inst: fakeflux.Instance, client: RawClient) -> None:
    """resource.drain/undrain as flux-core's drain.c answers (size 4)."""
    c = client

    def err(topic: str, payload: Dict[str, Any]) -> Any:
        msg = c.rpc(topic, payload)
        return (msg.errnum, error_text(msg)) if msg.errnum else None

    assert err("resource.drain", {"targets": "1-2", "reason": "x"}) is None
    assert err("resource.drain", {"targets": "3", "reason": "y"}) is None
    drain = c.rpc_json("resource.status", {})["drain"]
    assert {k: v["reason"] for k, v in drain.items()} == {"1-2": "x", "3": "y"}
    assert err("resource.drain", {"targets": "1", "reason": "z"}) == (errno.EEXIST, "rank 1 already drained")
    assert err("resource.drain", {"targets": "1-3", "reason": "z"}) == (errno.EEXIST, "ranks 1-3 already drained")
    assert err("resource.drain", {"targets": "9", "reason": "z"}) == (errno.EINVAL, "idset is out of range")
    assert err("resource.drain", {"targets": "1", "mode": "bogus"}) == (errno.EINVAL, "Invalid mode specified")
    assert err("resource.undrain", {"targets": "0"}) == (errno.EEXIST, "rank 0 not drained")
    assert err("resource.undrain", {"targets": "0", "mode": "x"}) == (
        errno.EINVAL, "invalid undrain mode 'x' specified")
    assert err("resource.drain", {"targets": "1", "reason": "z", "mode": "update"}) is None  # has a reason: kept
    assert c.rpc_json("resource.status", {})["drain"]["1-2"]["reason"] == "x"
    assert err("resource.drain", {"targets": "1", "reason": "z", "mode": "overwrite"}) is None
    drain = c.rpc_json("resource.status", {})["drain"]
    assert {k: v["reason"] for k, v in drain.items()} == {"1": "z", "2": "x", "3": "y"}
    assert err("resource.drain", {"targets": HOST, "reason": "all"}) == (errno.EEXIST, "ranks 1-3 already drained")
    assert err("resource.drain", {"targets": "nosuch", "reason": "all"}) == (
        errno.EINVAL, "invalid targets: invalid hosts: nosuch")
    assert err("resource.drain", {"targets": "", "reason": "all"}) == (errno.EINVAL, "idset is empty")


def test_fake_resources_journal_logs_the_hostname_drain() -> None:
    with fakeflux.Instance(size=2, config=FAKE) as inst, RawClient(inst.uri(0)) as c:
        if HOST == "node1":  # pragma: no cover
            return
        assert _shape(_journal(c, 4)) == [
            ([("restart", {"ranks": "0-3", "online": "0-3", "nodelist": f"{HOST},{HOST}"})], False),
            ([("resource-define", {"method": "kvs"})], True),
            ([("drain", {"idset": "1", "nodelist": HOST, "reason": f"rank 1 got hostname '{HOST}', expected 'node1'",
                         "overwrite": 0})], False),
            ([], False)]


@pytest.mark.parametrize(("names", "listed"), [
    (["debug", "batch"], ["batch", "debug"]),
    (["zeta", "alpha", "mid", "beta", "omega", "a2"], ["zeta", "a2", "alpha", "mid", "omega", "beta"]),
    ([f"q{i}" for i in range(14)] + ["batch", "debug", "gpu", "long", "short", "pdebug", "pbatch"],
     ["gpu", "q13", "q1", "q0", "q3", "q2", "q5", "q4", "q7", "q6", "q9", "q8", "short", "debug", "pbatch",
      "pdebug", "long", "batch", "q10", "q11", "q12"]),
])
def test_queue_list_order(names: List[str], listed: List[str]) -> None:
    """job-manager lists queues in its hash table's order (recorded from real
    Flux with [queues.NAME] tables in this order)."""
    with fakeflux.Instance(size=1, config={**CONF, "queues": {n: {} for n in names}}) as inst, \
            RawClient(inst.uri(0)) as c:
        assert c.rpc_json("job-manager.queue-list", {}) == {"queues": listed}
