"""Differences from real Flux found by the reliability audit (issue 15 items
7, 8, 10), each pinned with what real flux-core v0.88 answered on the same
request (recorded with its Python bindings in a ``flux start --test-size=1``
instance, the guest through ``setpriv --reuid=65534`` with
``access.allow-guest-user``)."""

from __future__ import annotations

import errno
import json
import os
from typing import Any, Dict, Iterator

import pytest

import fakeflux
from fakeflux.broker.jobs import sign_none_wrap
from tests.jobs.test_jobs import events, jobspec, names, signed, submit
from tests.rawclient import RawClient, error_text


@pytest.fixture
def client() -> Iterator[RawClient]:
    with fakeflux.Instance(size=1, config={"fakeflux": {"cores-per-rank": 2}}, exec="simulated") as inst:
        c = RawClient(inst.uri(0))
        yield c
        c.close()


@pytest.mark.parametrize("text", ["Missing key (tasks)", "version must be 1"])
def test_validation_errors_are_eperm(client: RawClient, text: str) -> None:
    js = jobspec()
    if "tasks" in text:
        del js["tasks"]
    else:
        js["version"] = 2
    resp = client.rpc("job-ingest.submit", {"J": signed(js), "urgency": 16, "flags": 0})
    assert (resp.errnum, error_text(resp)) == (errno.EPERM, text)


@pytest.mark.parametrize("where", ["slot", "core", "task total"])
def test_count_beyond_int64_is_refused_at_submit(client: RawClient, where: str) -> None:
    js = jobspec()
    if where == "slot":
        js["resources"][0]["count"] = 2**70
    elif where == "core":
        js["resources"][0]["with"][0]["count"] = 2**70
    else:
        js["tasks"][0]["count"] = {"total": 2**70}
    resp = client.rpc("job-ingest.submit", {"J": signed(js), "urgency": 16, "flags": 0})
    assert (resp.errnum, error_text(resp)) == (errno.EINVAL, "jobspec: invalid JSON: too big integer")


def test_large_negative_integer_is_refused_too(client: RawClient) -> None:
    js = jobspec()
    js["attributes"]["user"] = {"x": -(2**64)}
    resp = client.rpc("job-ingest.submit", {"J": signed(js), "urgency": 16, "flags": 0})
    assert (resp.errnum, error_text(resp)) == (errno.EINVAL, "jobspec: invalid JSON: too big negative integer")


@pytest.mark.parametrize("mutate, note", [
    (lambda js: js.update(resources=[]), "cannot parse jobspec: jobspec has no resources"),
    (lambda js: js["resources"][0]["with"][0].update(type="foo"),
     "cannot parse jobspec: Unable to determine slot size"),
    (lambda js: js["resources"][0].update(type="foo"), "cannot parse jobspec: Unable to determine slot count"),
])
def test_unparseable_resources_get_the_alloc_exception(client: RawClient, mutate: Any, note: str) -> None:
    js = jobspec()
    mutate(js)
    if js["resources"] and js["resources"][0]["type"] == "foo":
        js["resources"][0].pop("label", None)
    jobid = submit(client, js)  # accepted at submit, as real Flux does
    evs = events(client, jobid)
    assert names(evs) == ["submit", "validate", "depend", "priority", "exception", "clean"]
    assert evs[4]["context"] == {"type": "alloc", "severity": 0, "note": note, "userid": os.getuid()}


def test_guest_sees_the_owners_jobs_in_job_list() -> None:
    owner = os.getuid() + 1  # this process connects as a guest of that owner
    config: Dict[str, Any] = {"access": {"allow-guest-user": True}, "fakeflux": {"cores-per-rank": 2}}
    with fakeflux.Instance(size=1, config=config, owner=owner, exec="simulated") as inst:
        jobid = inst._on_loop(lambda: inst.core.jobs.submit(  # type: ignore[union-attr]
            owner, 0xF, jobspec(), 16, 0, sign_none_wrap(json.dumps(jobspec()).encode(), owner)).id)
        with RawClient(inst.uri(0)) as c:
            listed = c.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["userid", "name"]})
            assert listed == {"job": {"id": jobid, "userid": owner, "name": "true"}}
            jobs = c.rpc_json("job-list.list", {"max_entries": 10, "attrs": ["userid"]})["jobs"]
            assert jobs == [{"id": jobid, "userid": owner}]
