"""job-ingest, job-manager, job-info, job-list and resource over real
sockets, at the protocol level, with simulated execution ([fakeflux] exec = "simulated")."""

from __future__ import annotations

import base64
import errno
import json
import os
from typing import Any, Callable, Dict, Iterator, List, Sequence

import pytest

import fakeflux
from fakeflux.broker.jobs import dothex, sign_none_wrap
from fakeflux.wire import constants as C
from fakeflux.wire import payload_string
from tests.rawclient import RawClient, error_text

WAITABLE = 4


def jobspec(
    command: Sequence[str] = ("true",), duration: float = 0.0, ntasks: int = 1, **system: Any
) -> Dict[str, Any]:
    sysattrs = {"duration": duration, **system}
    return {
        "version": 1,
        "resources": [{"type": "slot", "count": ntasks, "label": "task", "with": [{"type": "core", "count": 1}]}],
        "tasks": [{"command": list(command), "slot": "task", "count": {"per_slot": 1}}],
        "attributes": {"system": sysattrs},
    }


def signed(js: Any) -> str:
    return sign_none_wrap(json.dumps(js).encode(), os.getuid())


@pytest.fixture
def inst() -> Iterator[fakeflux.Instance]:
    with fakeflux.Instance(size=2, config={"fakeflux": {"cores-per-rank": 2, "exec": "simulated"}}) as i:
        i.set_time_scale(0)
        yield i


@pytest.fixture
def client(inst: fakeflux.Instance) -> Iterator[RawClient]:
    c = RawClient(inst.uri(0))
    yield c
    c.close()


def submit(c: RawClient, js: Any, flags: int = 0, urgency: int = 16) -> int:
    return c.rpc_json("job-ingest.submit", {"J": signed(js), "urgency": urgency, "flags": flags})["id"]


def events(c: RawClient, jobid: int, path: str = "eventlog") -> List[Dict[str, Any]]:
    """The whole main eventlog through job-info.eventlog-watch (ends after clean)."""
    req = c.request("job-info.eventlog-watch", {"id": jobid, "path": path, "flags": 0}, flags=C.FLAG_STREAMING)
    out: List[Dict[str, Any]] = []
    while True:
        msg = c.recv(timeout=5)
        assert msg.matchtag == req.matchtag
        if msg.errnum:
            assert msg.errnum == errno.ENODATA
            return out
        line = body(msg)["event"]
        assert line.endswith("\n")
        out.append(json.loads(line))


def body(msg: Any) -> Any:
    """The JSON payload of a message."""
    return json.loads(payload_string(msg.payload) or "null")


def names(evs: List[Dict[str, Any]]) -> List[str]:
    return [e["name"] for e in evs]


def test_submit_runs_to_completion_with_real_eventlog(client: RawClient) -> None:
    jobid = submit(client, jobspec(duration=3600.0))
    assert jobid > 0 and jobid >> 24 >= 0
    evs = events(client, jobid)
    assert names(evs) == ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release",
                          "free", "clean"]
    assert evs[0]["context"] == {"userid": os.getuid(), "urgency": 16, "flags": 0, "version": 1}
    assert evs[3]["context"] == {"priority": 16}
    assert evs[4]["context"] == {"annotations": {"sched": {"resource_summary": "rank0/core0"}}}
    assert evs[6]["context"] == {"status": 0}
    assert evs[7]["context"] == {"ranks": "all", "final": True}
    assert "context" not in evs[1]
    # a one-hour job, finished at once, still shows its hour
    assert evs[6]["timestamp"] - evs[5]["timestamp"] == pytest.approx(3600.0, abs=1.0)
    # the eventlog is in the KVS where `flux job eventlog` reads it
    key = f"job.{dothex(jobid)}.eventlog"
    got = client.rpc_json("kvs.lookup", {"key": key, "namespace": "primary", "flags": 0})
    text = base64.b64decode(got["val"]["data"]).decode()
    assert [json.loads(line)["name"] for line in text.splitlines()] == names(evs)


def test_jobids_increase_and_jobspec_stored(client: RawClient) -> None:
    ids = [submit(client, jobspec()) for _ in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    out = client.rpc_json("job-info.lookup", {"id": ids[0], "keys": ["jobspec", "R"], "flags": 1})
    events(client, ids[0])
    out = client.rpc_json("job-info.lookup", {"id": ids[0], "keys": ["jobspec", "R"], "flags": 1})
    assert out["jobspec"]["tasks"][0]["command"] == ["true"]
    assert out["R"]["execution"]["R_lite"] == [{"rank": "0", "children": {"core": "0"}}]
    raw = client.rpc_json("job-info.lookup", {"id": ids[0], "keys": ["jobspec"], "flags": 0})
    assert isinstance(raw["jobspec"], str)


@pytest.mark.parametrize(
    "mutate, text",
    [
        (lambda js: js.pop("tasks"), "Missing key (tasks)"),
        (lambda js: js.update(version=2), "version must be 1"),
        (lambda js: js["attributes"]["system"].pop("duration"), "attributes.system.duration is a required key"),
        (lambda js: js["resources"][0].pop("label"), "slots must have labels"),
        (lambda js: js["tasks"][0].update(command=[]), "command array cannot have length of zero"),
    ],
)
def test_invalid_jobspec_is_rejected(client: RawClient, mutate: Callable[[Any], Any], text: str) -> None:
    js = jobspec()
    mutate(js)
    resp = client.rpc("job-ingest.submit", {"J": signed(js), "urgency": 16, "flags": 0})
    assert resp.errnum == errno.EPERM  # the validator's rejection, as real v0.88 answers it (issue 15 item 7)
    assert error_text(resp) == text


def test_submit_request_errors(client: RawClient) -> None:
    bad_urgency = client.rpc("job-ingest.submit", {"J": signed(jobspec()), "urgency": 32, "flags": 0})
    assert bad_urgency.errnum == errno.EINVAL and error_text(bad_urgency) == "urgency range is [0:31]"
    bad_sig = client.rpc("job-ingest.submit", {"J": "garbage", "urgency": 16, "flags": 0})
    assert bad_sig.errnum == errno.EINVAL and str(error_text(bad_sig)).startswith("could not unwrap jobspec")
    other = sign_none_wrap(json.dumps(jobspec()).encode(), os.getuid() + 1)
    spoof = client.rpc("job-ingest.submit", {"J": other, "urgency": 16, "flags": 0})
    assert spoof.errnum == errno.EPERM
    assert client.rpc("job-ingest.submit", {"urgency": 16, "flags": 0}).errnum == errno.EPROTO


def test_wait_for_waitable_job_and_exit_code(inst: fakeflux.Instance, client: RawClient) -> None:
    inst.script_jobs("failing", exit_code=3)
    jobid = submit(client, jobspec(["failing"]), flags=WAITABLE)
    out = client.rpc_json("job-manager.wait", {"id": jobid})
    assert out == {"id": jobid, "success": False, "errstr": "task(s) exited with exit code 3"}
    again = client.rpc("job-manager.wait", {"id": jobid})
    assert again.errnum == errno.ECHILD
    ok = submit(client, jobspec(), flags=WAITABLE)
    assert client.rpc_json("job-manager.wait", {"id": 0xFFFFFFFFFFFFFFFF}) == {"id": ok, "success": True, "errstr": ""}
    plain = submit(client, jobspec())
    resp = client.rpc("job-manager.wait", {"id": plain})
    assert resp.errnum == errno.ECHILD


def test_cancel_pending_job(inst: fakeflux.Instance, client: RawClient) -> None:
    held = submit(client, jobspec(), urgency=0)  # priority 0: held in SCHED
    resp = client.rpc("job-manager.raise", {"id": held, "type": "cancel", "severity": 0, "note": "bye"})
    assert resp.errnum == 0 and resp.payload is None
    evs = events(client, held)
    assert names(evs) == ["submit", "validate", "depend", "priority", "exception", "clean"]
    assert evs[4]["context"] == {"type": "cancel", "severity": 0, "note": "bye", "userid": os.getuid()}
    gone = client.rpc("job-manager.raise", {"id": held, "type": "cancel", "severity": 0})
    assert gone.errnum == errno.ENOENT and error_text(gone) == "job is inactive"
    unknown = client.rpc("job-manager.raise", {"id": 12345, "type": "cancel", "severity": 0})
    assert unknown.errnum == errno.ENOENT and error_text(unknown) == "unknown job id"
    bad = client.rpc("job-manager.raise", {"id": held, "type": "has space", "severity": 0})
    assert bad.errnum == errno.EPROTO and error_text(bad) == "invalid exception type"


def test_cancel_and_kill_running_job(inst: fakeflux.Instance, client: RawClient) -> None:
    inst.set_time_scale(1)
    jobid = submit(client, jobspec(duration=100.0))
    req = client.request("job-info.eventlog-watch", {"id": jobid, "path": "eventlog", "flags": 0},
                         flags=C.FLAG_STREAMING)
    seen = []
    while "start" not in seen:
        seen.append(json.loads(body(client.recv())["event"])["name"])
    not_running = client.rpc("job-manager.kill", {"id": jobid, "signum": 0})
    assert not_running.errnum == errno.EINVAL and error_text(not_running) == "Invalid signal number"
    assert client.rpc("job-manager.kill", {"id": jobid, "signum": 9}).errnum == 0
    rest = []
    while True:
        msg = client.recv()
        assert msg.matchtag == req.matchtag
        if msg.errnum:
            break
        rest.append(json.loads(body(msg)["event"]))
    assert names(rest) == ["finish", "release", "free", "clean"]
    assert rest[0]["context"] == {"status": 9}
    listed = client.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["result", "waitstatus", "success"]})
    assert listed == {"job": {"id": jobid, "waitstatus": 9, "success": False, "result": 2}}


def test_cancel_running_job_is_sigterm(inst: fakeflux.Instance, client: RawClient) -> None:
    inst.set_time_scale(1)
    inst.script_jobs(runtime=1000)
    jobid = submit(client, jobspec())
    # wait until running, through job-list
    client.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["state"], "state": 16})
    client.rpc_json("job-manager.raise", {"id": jobid, "type": "cancel", "severity": 0})
    evs = names(events(client, jobid))
    assert evs[-6:] == ["start", "exception", "finish", "release", "free", "clean"]
    job = client.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["all"]})["job"]
    assert job["result"] == 4 and job["waitstatus"] == 15 and job["exception_type"] == "cancel"
    assert job["state"] == 64 and job["t_run"] <= job["t_inactive"]


def test_exec_test_attributes(client: RawClient) -> None:
    failing = submit(client, jobspec(exec={"test": {"wait_status": 256}}))
    evs = events(client, failing)
    assert evs[names(evs).index("finish")]["context"] == {"status": 256}
    mocked = submit(client, jobspec(exec={"test": {"mock_exception": "init"}}))
    evs = events(client, mocked)
    assert names(evs) == ["submit", "validate", "depend", "priority", "alloc", "exception", "release", "free",
                          "clean"]
    assert evs[5]["context"]["note"] == "mock initialization exception generated"
    timeout = submit(client, jobspec(duration=10.0, exec={"test": {"run_duration": "20s"}}))
    evs = events(client, timeout)
    exc = evs[names(evs).index("exception")]
    assert exc["context"]["type"] == "timeout" and exc["context"]["note"] == "resource allocation expired"
    assert evs[names(evs).index("finish")]["context"] == {"status": 14}


def test_scripted_output_on_guest_output(inst: fakeflux.Instance, client: RawClient) -> None:
    inst.script_jobs("talker", output=["hello", "world"])
    jobid = submit(client, jobspec(["talker"]))
    events(client, jobid)
    out = events(client, jobid, "guest.output")  # after the job: read from job.<id>.guest.output
    data = [e["context"]["data"] for e in out if e["name"] == "data" and "data" in e["context"]]
    assert data == ["hello\n", "world\n"]
    assert out[0]["name"] == "header"


def test_job_list_and_urgency(inst: fakeflux.Instance, client: RawClient) -> None:
    held = submit(client, jobspec(["held"]), urgency=0)
    done = submit(client, jobspec(["done"]))
    events(client, done)
    old = client.rpc_json("job-manager.urgency", {"id": held, "urgency": 0})
    assert old == {"old_urgency": 0}
    req = client.request("job-list.list", {"max_entries": 10, "attrs": ["name", "state"]}, flags=C.FLAG_STREAMING)
    first, second, end = client.recv(), client.recv(), client.recv()
    assert body(first) == {"jobs": [{"id": held, "name": "held", "state": 8}], "version": 1}
    assert body(second) == {"jobs": [{"id": done, "name": "done", "state": 64}]}
    assert end.errnum == errno.ENODATA and end.matchtag == req.matchtag
    flat = client.rpc_json("job-list.list", {"max_entries": 0, "attrs": [],
                                             "constraint": {"states": [64]}})
    assert flat == {"jobs": [{"id": done}]}
    bad = client.rpc("job-list.list", {"max_entries": 0, "attrs": ["nosuch"]})
    assert bad.errnum == errno.EINVAL and error_text(bad) == "nosuch is not a valid attribute"
    assert client.rpc("job-list.list-id", {"id": 1, "attrs": []}).errnum == errno.ENOENT


def test_resources_and_scheduling_order(inst: fakeflux.Instance, client: RawClient) -> None:
    status = client.rpc_json("resource.status", {}, nodeid=0)
    assert status["online"] == "0-1" and status["offline"] == ""
    assert status["R"]["execution"]["R_lite"] == [{"rank": "0-1", "children": {"core": "0-1"}}]
    inst.set_time_scale(1)
    big = submit(client, jobspec(duration=60.0, ntasks=4))  # the whole instance
    client.rpc_json("job-list.list-id", {"id": big, "attrs": [], "state": 16})
    sched = client.rpc_json("resource.sched-status", {}, nodeid=0)
    assert sched["allocated"]["execution"]["R_lite"] == [{"rank": "0-1", "children": {"core": "0-1"}}]
    waiting = submit(client, jobspec())
    state = client.rpc_json("job-list.list-id", {"id": waiting, "attrs": ["state"], "state": 8})
    assert state["job"]["state"] == 8  # no free core: stays in SCHED
    too_big = submit(client, jobspec(ntasks=5))
    client.rpc_json("job-manager.raise", {"id": big, "type": "cancel", "severity": 0})
    evs = events(client, too_big)
    exc = evs[names(evs).index("exception")]["context"]
    assert exc["type"] == "alloc"
    assert exc["note"] == ("unsatisfiable request: need 5 slot(s) of 1 core(s), only 4 such slot(s) "
                           "available (total cores: 4)")
    assert "alloc" in names(events(client, waiting))


def test_events_journal(client: RawClient) -> None:
    done = submit(client, jobspec())
    events(client, done)
    req = client.request("job-manager.events-journal", {"full": True}, flags=C.FLAG_STREAMING)
    backlog = []
    while True:
        msg = body(client.recv())
        if msg["id"] == -1:
            assert msg == {"id": -1, "events": []}
            break
        backlog.append(msg)
    # as flux-core's journal.c: one backlog response per job, holding all its events
    assert [e["name"] for e in backlog[0]["events"]][:2] == ["submit", "validate"]
    assert "jobspec" in backlog[0] and all(m["id"] == done for m in backlog)
    client.request("job-manager.events-journal-cancel", {"matchtag": req.matchtag}, flags=C.FLAG_NORESPONSE)
    end = client.recv()
    assert end.matchtag == req.matchtag and end.errnum == errno.ENODATA


def test_eventlog_watch_errors(client: RawClient) -> None:
    unknown = client.rpc("job-info.eventlog-watch", {"id": 42, "path": "eventlog", "flags": 0},
                         flags=C.FLAG_STREAMING)
    assert unknown.errnum == errno.ENOENT
    flat = client.rpc("job-info.eventlog-watch", {"id": 42, "path": "eventlog", "flags": 0})
    assert flat.errnum == errno.EPROTO
    assert error_text(flat) == "eventlog-watch request rejected without streaming RPC flag"


def test_drain_waits_for_active_jobs(inst: fakeflux.Instance, client: RawClient) -> None:
    inst.set_time_scale(1)
    inst.script_jobs(runtime=0.2)
    jobid = submit(client, jobspec())
    req = client.request("job-manager.drain", {}, nodeid=0)
    msg = client.recv(timeout=5)
    assert msg.matchtag == req.matchtag and msg.errnum == 0
    state = client.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["state"]})
    assert state["job"]["state"] == 64  # answered only once the job was inactive
