"""Job dependencies (after*, begin-time, singleton) against a real fakeflux
broker over real sockets.  Every expected text, event and description was
recorded on real flux-core (v0.88.0-59, ``flux start --test-size=4`` with
``flux submit --dependency=...``): the eventlogs below are real ones with the
timestamps left out and the job ids as the test makes them."""

from __future__ import annotations

import errno
import json
import os
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import fakeflux
from fakeflux.broker.jobs import sign_none_wrap
from fakeflux.broker.jobs.depend import parse_jobid
from fakeflux.broker.jobs.shell import f58
from fakeflux.wire import constants as C
from fakeflux.wire import payload_string
from tests.rawclient import RawClient, error_text

HOLD = 0


def jobspec(run: str = "0s", name: Optional[str] = None, wait_status: int = 0,
            dependencies: Any = None) -> Dict[str, Any]:
    """flux-core's test executor: runs ``run``, ends with ``wait_status``."""
    system: Dict[str, Any] = {"duration": 0.0, "exec": {"test": {"run_duration": run}}}
    if wait_status:
        system["exec"]["test"]["wait_status"] = wait_status
    if name is not None:
        system["job"] = {"name": name}
    if dependencies is not None:
        system["dependencies"] = dependencies
    return {"version": 1,
            "resources": [{"type": "slot", "count": 1, "label": "task", "with": [{"type": "core", "count": 1}]}],
            "tasks": [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}],
            "attributes": {"system": system}}


def dep(scheme: str, value: str) -> List[Dict[str, str]]:
    return [{"scheme": scheme, "value": value}]


@pytest.fixture
def inst() -> Iterator[fakeflux.Instance]:
    with fakeflux.Instance(size=4, config={"fakeflux": {"cores-per-rank": 2, "exec": "simulated"}}) as i:
        yield i


@pytest.fixture
def client(inst: fakeflux.Instance) -> Iterator[RawClient]:
    with RawClient(inst.uri(0)) as c:
        yield c


def submit(c: RawClient, js: Any, urgency: int = 16) -> int:
    J = sign_none_wrap(json.dumps(js).encode(), os.getuid())
    return c.rpc_json("job-ingest.submit", {"J": J, "urgency": urgency, "flags": 0})["id"]


def rejected(c: RawClient, js: Any) -> Tuple[int, Optional[str]]:
    J = sign_none_wrap(json.dumps(js).encode(), os.getuid())
    msg = c.rpc("job-ingest.submit", {"J": J, "urgency": 16, "flags": 0})
    return msg.errnum, error_text(msg)


def eventlog(c: RawClient, jobid: int, until: str = "clean") -> List[str]:
    """The job's events up to ``until``, as `flux job eventlog` prints them
    without the timestamp."""
    req = c.request("job-info.eventlog-watch", {"id": jobid, "path": "eventlog", "flags": 0},
                    flags=C.FLAG_STREAMING)
    out: List[str] = []
    while True:
        msg = c.recv(timeout=10)
        assert msg.matchtag == req.matchtag and not msg.errnum, error_text(msg)
        event = json.loads(json.loads(payload_string(msg.payload) or "{}")["event"])
        context = " ".join(f"{k}={json.dumps(v, separators=(',', ':'), ensure_ascii=False)}"
                           for k, v in event.get("context", {}).items())
        out.append(f"{event['name']} {context}".rstrip())
        if event["name"] == until:
            c.request("job-info.eventlog-watch-cancel", {"matchtag": req.matchtag})
            while True:  # the watch ends with ENODATA (the cancel has no answer of its own)
                msg = c.recv(timeout=10)
                if msg.matchtag == req.matchtag and msg.errnum:
                    return out


def list_id(c: RawClient, jobid: int, *attrs: str) -> Dict[str, Any]:
    return c.rpc_json("job-list.list-id", {"id": jobid, "attrs": list(attrs)})["job"]


def cancel(c: RawClient, jobid: int) -> None:
    c.rpc_json("job-manager.raise", {"id": jobid, "severity": 0, "type": "cancel", "note": ""})


SUBMIT = "submit userid={uid} urgency=16 flags=0 version=1"
RUN = ["depend", "priority priority=16", 'alloc annotations={"sched":{"resource_summary":"rank0/core0"}}',
       "start", "finish status=0", 'release ranks="all" final=true', "free", "clean"]


def started(c: RawClient, jobid: int) -> None:
    eventlog(c, jobid, until="start")


def test_afterok_waits_in_depend_and_fails_when_the_target_is_canceled(client: RawClient) -> None:
    uid = os.getuid()
    a = submit(client, jobspec(run="1000s"))
    started(client, a)
    desc = f"after-success={f58(a)}"
    b = submit(client, jobspec(dependencies=dep("afterok", f58(a))))
    assert eventlog(client, b, until="validate") == [SUBMIT.format(uid=uid), f'dependency-add description="{desc}"',
                                                     "validate"]
    assert list_id(client, b, "state", "dependencies") == {"id": b, "state": 2, "dependencies": [desc]}
    cancel(client, a)
    assert eventlog(client, b) == [
        SUBMIT.format(uid=uid), f'dependency-add description="{desc}"', "validate",
        f'exception type="dependency" severity=0 note="dependency {desc} can never be satisfied" userid={uid}',
        "clean"]
    # a dependency on a job that failed is refused at submit
    assert rejected(client, jobspec(dependencies=dep("afterok", f58(a)))) == (
        errno.EINVAL, f"dependency: afterok: job {f58(a)} failed or was canceled")


def test_afterok_is_released_when_the_target_succeeds(client: RawClient) -> None:
    uid = os.getuid()
    a = submit(client, jobspec(), urgency=HOLD)  # held until its urgency is raised
    b = submit(client, jobspec(dependencies=dep("afterok", str(a))))
    client.rpc_json("job-manager.urgency", {"id": a, "urgency": 16})
    log = eventlog(client, b)
    assert log[:4] == [SUBMIT.format(uid=uid), f'dependency-add description="after-success={a}"', "validate",
                       f'dependency-remove description="after-success={a}"']
    assert log[4:] == RUN
    assert list_id(client, b, "dependencies") == {"id": b, "dependencies": []}


def test_dependencies_on_an_inactive_job_resolve_at_submit(client: RawClient) -> None:
    uid = os.getuid()
    failed = submit(client, jobspec(wait_status=256))
    eventlog(client, failed)
    name = f58(failed)
    for scheme, desc in (("afternotok", "after-failure"), ("afterany", "after-finish"),
                         ("afterstart", "after-start")):
        job = submit(client, jobspec(dependencies=dep(scheme, name)))
        assert eventlog(client, job) == [SUBMIT.format(uid=uid), f'dependency-add description="{desc}={name}"',
                                         f'dependency-remove description="{desc}={name}"', "validate", *RUN]
    # 'after' still works, with a warning exception first (flux submit prints its note)
    job = submit(client, jobspec(dependencies=dep("after", name)))
    assert eventlog(client, job)[:5] == [
        SUBMIT.format(uid=uid),
        f"exception type=\"dependency\" severity=3 note=\"dependency scheme 'after' is deprecated, use "
        f"'afterstart'\" userid={uid}",
        f'dependency-add description="after-start={name}"', f'dependency-remove description="after-start={name}"',
        "validate"]
    assert rejected(client, jobspec(dependencies=dep("afterok", name))) == (
        errno.EINVAL, f"dependency: afterok: job {name} failed or was canceled")
    assert rejected(client, jobspec(dependencies=dep("afterexcept", name))) == (
        errno.EINVAL, f"dependency: afterexcept: job {name}: no exception")
    ok = submit(client, jobspec())
    eventlog(client, ok)
    assert rejected(client, jobspec(dependencies=dep("afternotok", f58(ok)))) == (
        errno.EINVAL, f"dependency: afternotok: job {f58(ok)} succeeded")


def test_a_target_that_never_ran_releases_only_afterany(client: RawClient) -> None:
    uid = os.getuid()
    held = submit(client, jobspec(), urgency=HOLD)
    name = f58(held)
    jobs = {scheme: submit(client, jobspec(dependencies=dep(scheme, name)))
            for scheme in ("afterstart", "afterexcept", "afterany")}
    cancel(client, held)
    for scheme, desc in (("afterstart", "after-start"), ("afterexcept", "after-except")):
        assert eventlog(client, jobs[scheme]) == [
            SUBMIT.format(uid=uid), f'dependency-add description="{desc}={name}"', "validate",
            f'exception type="dependency" severity=0 note="dependency {desc}={name} job never started" '
            f"userid={uid}", "clean"]
    assert eventlog(client, jobs["afterany"]) == [
        SUBMIT.format(uid=uid), f'dependency-add description="after-finish={name}"', "validate",
        f'dependency-remove description="after-finish={name}"', *RUN]
    # a job that never started, once inactive, is refused for all but afterany
    assert rejected(client, jobspec(dependencies=dep("afterstart", name))) == (
        errno.EINVAL, f"dependency: after: {name} never started")


def test_afterexcept_is_released_by_an_exception(client: RawClient) -> None:
    uid = os.getuid()
    a = submit(client, jobspec(run="1000s"))
    started(client, a)
    b = submit(client, jobspec(dependencies=dep("afterexcept", f58(a))))
    client.rpc_json("job-manager.raise", {"id": a, "severity": 0, "type": "test", "note": "oops"})
    assert eventlog(client, b)[3:5] == [f'dependency-remove description="after-except={f58(a)}"', "depend"]
    assert eventlog(client, b)[0] == SUBMIT.format(uid=uid)


@pytest.mark.parametrize("deps, text", [
    (dep("foo", "1"), 'dependency scheme "foo" not supported'),
    (dep("afterok", "xyz"), 'dependency: afterok: "xyz" is not a valid jobid'),
    (dep("afterok", "123"), "dependency: afterok: id 123: job not found"),
    (dep("afterok", "0x1"), "dependency: afterok: id 0x1: job not found"),
    (dep("begin-time", "abc"), "Invalid begin-time=abc"),
    (dep("begin-time", "-1"), "Invalid begin-time=-1"),
    (dep("begin-time", "nan"), "Invalid begin-time=nan"),
    (dep("singleton", "1"), "singleton jobs require a job name"),
])
def test_submit_time_rejections(client: RawClient, deps: Any, text: str) -> None:
    assert rejected(client, jobspec(dependencies=deps)) == (errno.EINVAL, text)


@pytest.mark.parametrize("deps, text", [
    ([{"value": "1"}], "Missing key (scheme)"),
    ([{"scheme": 3}], "Missing key (value)"),
    ([{"scheme": "afterok"}], "Missing key (value)"),
    (dep("afterok", 5), "dependency value must be a string"),  # type: ignore[arg-type]
])
def test_the_validator_checks_each_dependency(client: RawClient, deps: Any, text: str) -> None:
    assert rejected(client, jobspec(dependencies=deps)) == (errno.EPERM, text)


def test_begin_time(client: RawClient) -> None:
    uid = os.getuid()
    begin = time.time() + 0.5
    job = submit(client, jobspec(dependencies=dep("begin-time", repr(begin))))
    desc = f"begin-time={begin:.3f}"
    assert list_id(client, job, "state", "dependencies") == {"id": job, "state": 2, "dependencies": [desc]}
    assert eventlog(client, job) == [SUBMIT.format(uid=uid), f'dependency-add description="{desc}"', "validate",
                                     f'dependency-remove description="{desc}"', *RUN]


def test_singleton_jobs_run_one_at_a_time(client: RawClient) -> None:
    uid = os.getuid()
    first = submit(client, jobspec(run="1000s", name="one"))
    started(client, first)
    s1 = submit(client, jobspec(name="one", dependencies=dep("singleton", "1")))
    s2 = submit(client, jobspec(name="one", dependencies=dep("singleton", "1")))
    other = submit(client, jobspec(name="two", dependencies=dep("singleton", "1")))  # alone: not held
    for job in (s1, s2):
        assert list_id(client, job, "state", "dependencies") == {"id": job, "state": 2,
                                                                 "dependencies": ["singleton"]}
    assert "dependency-add" not in " ".join(eventlog(client, other))
    cancel(client, first)
    held = [SUBMIT.format(uid=uid), 'dependency-add description="singleton"', "validate",
            'dependency-remove description="singleton"', *RUN]
    assert eventlog(client, s1) == held
    assert eventlog(client, s2) == held


def test_parse_jobid_forms() -> None:
    assert [parse_jobid(t) for t in ("123", " 123 ", "0x7b", "ƒ38", "f38", "0000.0000.0000.007b",
                                     "job.0000.0000.0000.007b")] == [123] * 7
    assert [parse_jobid(t) for t in ("xyz", "", "ƒ", "12a", "0x", "ƒ0")] == [None] * 6
