"""Issue 15 items 7, 8 and 10: job submission errors, unparseable resources and
guest access as real flux-core v0.88 answers them.

Every expectation was recorded from a real ``flux start --test-size=1``
instance with flux-core's Python bindings sending the same request (the
guest: a forked child that drops to uid 65534, with
``access.allow-guest-user``); tests/jobs/test_fidelity.py holds the first cases."""

from __future__ import annotations

import errno
import json
import os
from typing import Any, Callable, Dict, Iterator, Optional

import pytest

import fakeflux
from fakeflux.broker.jobs import sign_none_wrap
from fakeflux.wire import constants as C
from fakeflux.wire import payload_string
from tests.broker.test_credentials import GUEST, needs_root, run_as_guest
from tests.jobs.test_jobs import events, jobspec, names, submit
from tests.rawclient import RawClient, error_text


@pytest.fixture
def client() -> Iterator[RawClient]:
    with fakeflux.Instance(size=1, config={"fakeflux": {"cores-per-rank": 2}}, exec="simulated") as inst:
        c = RawClient(inst.uri(0))
        yield c
        c.close()


def _raw(text: str) -> Dict[str, Any]:
    """A submit request whose jobspec is ``text``, signed by this user."""
    return {"J": sign_none_wrap(text.encode(), os.getuid()), "urgency": 16, "flags": 0}


def _with(mutate: Callable[[Dict[str, Any]], Any]) -> Dict[str, Any]:
    js = jobspec()
    mutate(js)
    return _raw(json.dumps(js))


def _duration(literal: str) -> Dict[str, Any]:
    return _raw(json.dumps(jobspec()).replace('"duration": 0.0', f'"duration": {literal}'))


def _slot_count(value: Any) -> Callable[[Dict[str, Any]], Any]:
    return lambda js: js["resources"][0].update(count=value)


SUBMIT_ERRORS = [
    # job-ingest's own request checks
    ({**_raw(json.dumps(jobspec())), "flags": 0x100}, errno.EPROTO, "invalid job flags"),
    ({**_raw(json.dumps(jobspec())), "flags": 1}, errno.EPROTO, "invalid job flags"),
    ({**_raw(json.dumps(jobspec())), "urgency": -1}, errno.EINVAL, "urgency range is [0:31]"),
    ({"J": "a.b.none", "urgency": 16, "flags": 0}, errno.EINVAL, "could not unwrap jobspec: Invalid argument"),
    ({**_raw(json.dumps(jobspec())), "urgency": "16"}, errno.EPROTO, "error decoding job request: Protocol error"),
    # jansson's reading of the jobspec: EINVAL, jansson's text
    (_raw("5"), errno.EINVAL, "jobspec: invalid JSON: '[' or '{' expected near '5'"),
    (_raw(""), errno.EINVAL, "jobspec: invalid JSON: '[' or '{' expected near end of file"),
    (_duration("NaN"), errno.EINVAL, "jobspec: invalid JSON: invalid token near 'NaN'"),
    (_duration("Infinity"), errno.EINVAL, "jobspec: invalid JSON: invalid token near 'Infinity'"),
    (_duration("-Infinity"), errno.EINVAL, "jobspec: invalid JSON: invalid token near '-'"),
    (_duration("1e400"), errno.EINVAL, "jobspec: invalid JSON: real number overflow near '1e400'"),
    (_with(_slot_count(2**63)), errno.EINVAL, "jobspec: invalid JSON: too big integer near '9223372036854775808'"),
    (_with(_slot_count(2**64)), errno.EINVAL, "jobspec: invalid JSON: too big integer near '18446744073709551616'"),
    (_with(_slot_count({"min": 2**70})), errno.EINVAL, "jobspec: invalid JSON: too big integer"),
    (_with(_slot_count(-(2**70))), errno.EINVAL, "jobspec: invalid JSON: too big negative integer"),
    (_raw("true"), errno.EINVAL, "jobspec: invalid JSON: '[' or '{' expected near 'true'"),
    (_raw('"abc"'), errno.EINVAL, "jobspec: invalid JSON: '[' or '{' expected near '\"abc\"'"),
    (_raw(json.dumps(jobspec()) + " x"), errno.EINVAL, "jobspec: invalid JSON: end of file expected near 'x'"),
    (_raw(json.dumps(jobspec()) + "{}"), errno.EINVAL, "jobspec: invalid JSON: end of file expected near '{'"),
    (_raw(json.dumps(jobspec())[:-1]), errno.EINVAL, "jobspec: invalid JSON: '}' expected near end of file"),
    (_raw("{'a': 1}"), errno.EINVAL, "jobspec: invalid JSON: string or '}' expected near '''"),
    (_raw('{"a" 1}'), errno.EINVAL, "jobspec: invalid JSON: ':' expected near '1'"),
    (_raw('{"a": 1,}'), errno.EINVAL, "jobspec: invalid JSON: string or '}' expected near '}'"),
    (_raw('{"a": "\\x"}'), errno.EINVAL, "jobspec: invalid JSON: invalid escape near '\"\\x'"),
    (_raw('{"a": "\x01"}'), errno.EINVAL, "jobspec: invalid JSON: control character 0x1 near '\"'"),
    (_raw('{"a": 01}'), errno.EINVAL, "jobspec: invalid JSON: invalid token near '0'"),
    (_raw("{nope"), errno.EINVAL, "jobspec: invalid JSON: string or '}' expected near 'nope'"),
    (_raw("[" * 2049 + "]" * 2049), errno.EINVAL, "jobspec: invalid JSON: maximum parsing depth reached near '['"),
    (_raw('{"a":' * 2049 + "1" + "}" * 2049), errno.EINVAL,
     "jobspec: invalid JSON: maximum parsing depth reached near '{'"),
    # the validator plugin (Python) dies on a top-level array, and on nesting jansson takes but Python does not
    (_raw("[]"), errno.EPROTO, "Unrecoverable error: worker unexpectedly exited"),
    (_raw("[" * 2048 + "]" * 2048), errno.EPROTO, "Unrecoverable error: worker unexpectedly exited"),
    # without the validator (owner only), job-ingest refuses a top-level array itself
    ({"J": sign_none_wrap(b"[]", os.getuid()), "urgency": 16, "flags": 8}, errno.EINVAL, None),
    # the validator's rejections: EPERM, its text
    (_with(lambda js: js.update(version="1")), errno.EPERM, "version must be 1"),
    (_with(lambda js: js.update(version=0)), errno.EPERM, "version must be 1"),
    (_with(_slot_count(0)), errno.EPERM, "node, slot, or core count must be > 0"),
    (_with(_slot_count(1.5)), errno.EPERM, "count must be an int or mapping"),
    (_with(_slot_count(None)), errno.EPERM, "count must be an int or mapping"),
    (_with(_slot_count("2")), errno.EPERM, "resource count must be an integer for type 'slot' (got 'str')"),
    (_with(_slot_count({"min": 2, "max": 1})), errno.EPERM, "max must be >= min"),
    (_with(_slot_count({"min": 0})), errno.EPERM, "min must be > 0"),
    (_with(_slot_count({"min": -1})), errno.EPERM, "min must be > 0"),
    (_with(_slot_count({"max": 2})), errno.EPERM, "min must be in range"),
    (_with(_slot_count({"min": 1})), errno.EPERM, "resource count must be an integer for type 'slot' (got 'dict')"),
    (_with(lambda js: js["resources"][0]["with"][0].update(count={"min": 1, "max": 4, "operator": "+", "operand": 1})),
     errno.EPERM, "resource count must be an integer for type 'core' (got 'dict')"),
    (_with(lambda js: js["tasks"][0].update(count={"per_resource": {"type": "core", "count": 1}})),
     errno.EPERM, "count per_slot or total must be set"),
    (_with(lambda js: js["tasks"][0].update(count={"total": 0})), errno.EPERM, "count total must be > 0"),
    (_with(lambda js: js.update(foo=1)), errno.EPERM, "Extraneous key (foo)"),
    (_with(lambda js: js.update(version=1.0)), errno.EPERM, "version must be an integer"),
    (_with(_slot_count(False)), errno.EPERM, "node, slot, or core count must be > 0"),
    (_with(_slot_count("3-1")), errno.EPERM, "max must be >= min"),
    (_with(_slot_count("x")), errno.EPERM, "count string must be a valid idset or range"),
    (_with(_slot_count("1-3")), errno.EPERM, "resource count must be an integer for type 'slot' (got 'str')"),
    (_with(_slot_count("1+:1:*")), errno.EPERM, "operand must be > 1 for '*' or '^' operator"),
    (_with(_slot_count({"min": 1, "foo": 1})), errno.EPERM, "Extraneous key (foo)"),
]


@pytest.mark.parametrize(("request_payload", "errnum", "text"), SUBMIT_ERRORS)
def test_submit_errors_as_real_flux(client: RawClient, request_payload: Dict[str, Any], errnum: int,
                                    text: Optional[str]) -> None:
    resp = client.rpc("job-ingest.submit", request_payload)
    assert (errno.errorcode.get(resp.errnum), error_text(resp)) == (errno.errorcode[errnum], text)


def test_bad_utf8_names_the_string_read_so_far(client: RawClient) -> None:
    payload = {"J": sign_none_wrap(b'{"version":1,"x":"\xff"}', os.getuid()), "urgency": 16, "flags": 0}
    resp = client.rpc("job-ingest.submit", payload)
    assert (resp.errnum, error_text(resp)) == (errno.EINVAL, "jobspec: invalid JSON: unable to decode byte 0xff "
                                                             "near '\"'")


@pytest.mark.parametrize("where", ["slot", "core", "task"])
def test_a_count_of_true_is_a_count_of_one(client: RawClient, where: str) -> None:
    """Python's validator and sched-simple both take JSON true for 1: the job runs."""
    js = jobspec()
    if where == "task":
        js["tasks"][0]["count"] = {"total": True}
    else:
        vertex = js["resources"][0] if where == "slot" else js["resources"][0]["with"][0]
        vertex["count"] = True
    evs = events(client, submit(client, js))
    assert names(evs) == ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release",
                          "free", "clean"]


@pytest.mark.parametrize(("resources", "note"), [
    ([{"type": "core", "count": 1}], "cannot parse jobspec: Unable to determine slot count"),
    ([{"type": "slot", "count": 1, "label": "task",
       "with": [{"type": "core", "count": 1}, {"type": "gpu", "count": 1}]}],
     "unsatisfiable request: need 1 slot(s) with 1 GPU(s) each, only 0 available (total GPUs: 0)"),
])
def test_resources_the_scheduler_cannot_use_get_the_alloc_exception(client: RawClient, resources: Any,
                                                                    note: str) -> None:
    js = jobspec()
    js["resources"] = resources
    evs = events(client, submit(client, js))
    assert names(evs) == ["submit", "validate", "depend", "priority", "exception", "clean"]
    assert evs[4]["context"] == {"type": "alloc", "severity": 0, "note": note, "userid": os.getuid()}


def test_unknown_vertices_around_the_slot_are_ignored(client: RawClient) -> None:
    """An unknown type above the slot, or below a core, does not stop the job."""
    js = jobspec()
    js["resources"] = [{"type": "foo", "count": 1, "with": js["resources"]}]
    js["resources"][0]["with"][0]["with"][0]["with"] = [{"type": "bar", "count": 1}]
    assert names(events(client, submit(client, js)))[4] == "alloc"


def _answer(msg: Any) -> Dict[str, Any]:
    text: Optional[str] = payload_string(msg.payload)
    if msg.errnum:
        return {"errnum": msg.errnum, "text": text}
    return {"errnum": 0, "body": json.loads(text or "null")}


@needs_root
def test_guest_reads_the_owners_job_in_job_list_but_not_its_eventlog() -> None:
    config = {"access": {"allow-guest-user": True}, "fakeflux": {"cores-per-rank": 2}}
    with fakeflux.Instance(size=1, config=config, exec="simulated") as inst, RawClient(inst.uri(0)) as owner:
        os.chmod(inst.rundir, 0o711)
        jobid = submit(owner, jobspec())
        events(owner, jobid)

        def script(c: RawClient) -> Dict[str, Any]:
            def watch(path: str) -> Dict[str, Any]:
                return _answer(c.rpc("job-info.eventlog-watch", {"id": jobid, "path": path, "flags": 0},
                                     flags=C.FLAG_STREAMING))

            lookup = {key: _answer(c.rpc("job-info.lookup", {"id": jobid, "keys": [key], "flags": 0}))
                      for key in ("jobspec", "eventlog", "R", "J")}
            return {
                "list": _answer(c.rpc("job-list.list", {"max_entries": 10, "attrs": ["userid", "name", "state"]})),
                "list_id": _answer(c.rpc("job-list.list-id", {"id": jobid, "attrs": ["userid", "name"]})),
                "list_id_nosuch": _answer(c.rpc("job-list.list-id", {"id": 12345, "attrs": []})),
                "lookup": lookup,
                "lookup_nosuch": _answer(c.rpc("job-info.lookup", {"id": 12345, "keys": ["eventlog"], "flags": 0})),
                "watch": watch("eventlog"),
                "watch_guest": watch("guest.exec.eventlog"),
            }

        result = run_as_guest(inst.uri(0), script)
    uid = os.getuid()
    assert result["list"] == {"errnum": 0, "body": {"jobs": [{"id": jobid, "userid": uid, "name": "true",
                                                              "state": 64}]}}
    assert result["list_id"] == {"errnum": 0, "body": {"job": {"id": jobid, "userid": uid, "name": "true"}}}
    assert result["list_id_nosuch"] == {"errnum": errno.ENOENT, "text": None}
    refused = {"errnum": errno.EPERM, "text": "access is restricted to job/instance owner"}
    assert result["lookup"] == {"jobspec": refused, "eventlog": refused, "R": refused, "J": refused}
    assert result["lookup_nosuch"] == {"errnum": errno.ENOENT, "text": "invalid job id"}
    assert result["watch"] == {"errnum": errno.EPERM, "text": None}
    assert result["watch_guest"] == {"errnum": errno.EPERM, "text": None}
    assert GUEST != uid


@needs_root
def test_private_mode_hides_other_users_jobs_from_a_guest() -> None:
    """``[access] private-mode``: job-list shows a guest only its own jobs,
    another's is "no such job" (with an empty text) and job-stats is refused."""
    config = {"access": {"allow-guest-user": True, "private-mode": True}, "fakeflux": {"cores-per-rank": 2}}
    with fakeflux.Instance(size=1, config=config, exec="simulated") as inst, RawClient(inst.uri(0)) as owner:
        os.chmod(inst.rundir, 0o711)
        jobid = submit(owner, jobspec())
        events(owner, jobid)

        def script(c: RawClient) -> Dict[str, Any]:
            return {
                "list": _answer(c.rpc("job-list.list", {"max_entries": 10, "attrs": ["userid"]})),
                "list_id": _answer(c.rpc("job-list.list-id", {"id": jobid, "attrs": ["userid"]})),
                "stats": _answer(c.rpc("job-list.job-stats", {})),
            }

        result = run_as_guest(inst.uri(0), script)
        # the owner still sees everything
        assert owner.rpc_json("job-list.list", {"max_entries": 10, "attrs": []})["jobs"] == [{"id": jobid}]
    assert result["list"] == {"errnum": 0, "body": {"jobs": []}}
    assert result["list_id"] == {"errnum": errno.ENOENT, "text": ""}
    assert result["stats"] == {"errnum": errno.EPERM, "text": None}


@pytest.mark.parametrize("exec_mode", ["simulated", "local"])
def test_a_time_limit_beyond_select_range_leaves_the_broker_running(exec_mode: str) -> None:
    """A 3e6 s (35 day) time limit used to overflow select() in the IO loop, which then died and
    left every later request unanswered; real Flux accepts and runs such jobs (checked with
    durations of 3e6, 1.5e9 and 1e308 s)."""
    with fakeflux.Instance(size=1, exec=exec_mode) as inst:
        c = RawClient(inst.uri(0))
        try:
            jobids = [submit(c, jobspec(["sleep", "30"], duration=d)) for d in (3e6, 1e308)]
            assert c.rpc_json("broker.ping", {})["rank"] == 0
            for jobid in jobids:
                c.rpc_json("job-manager.raise", {"id": jobid, "severity": 0, "type": "cancel", "note": ""})
                assert "clean" in names(events(c, jobid))
            assert c.rpc_json("broker.ping", {})["rank"] == 0
        finally:
            c.close()
