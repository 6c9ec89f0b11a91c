"""Task counts the job shell refuses before starting anything, as real flux-core v0.88's shell
(info.c, jobspec.c) refuses them. Recorded on a real ``flux start --test-size=1`` with jobs of one
slot of one core: the job finishes with status 256 and guest.output holds only these logs."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pytest

import fakeflux
from fakeflux.broker.jobs.local_run import MAX_TASKS
from tests.jobs.test_exec import guest, jobspec, run
from tests.rawclient import RawClient


@pytest.fixture
def client() -> Iterator[RawClient]:
    with fakeflux.Instance(size=1, config={"fakeflux": {"cores-per-rank": 1}}) as inst:
        c = RawClient(inst.uri(0), timeout=30)
        yield c
        c.close()
        assert inst.leaks() == []


def with_count(count: Dict[str, Any]) -> Dict[str, Any]:
    js = jobspec(["true"])
    js["tasks"][0]["count"] = count
    return js


def shell_logs(c: RawClient, jobid: int) -> List[Dict[str, Any]]:
    return [e["context"] for e in guest(c, jobid, "output") if e["name"] == "log"]


FATAL = {"rank": -1, "level": 0, "message": "failed to initialize shell info", "file": "shell.c", "line": 2094}
TASKMAP = [
    {"rank": -1, "level": 3, "message": "taskmap: failed to process rank=0: Invalid argument", "file": "info.c",
     "line": 218},
    {"rank": -1, "level": 3, "message": "error creating taskmap", "file": "info.c", "line": 316},
    FATAL,
]


@pytest.mark.parametrize(
    "count, logs",
    [
        # the shell runs one task per slot; more per slot is the per-resource option's job
        ({"per_slot": 2}, [{"rank": -1, "level": 3,
                            "message": "error parsing jobspec: per_slot count: expected 1 got 2",
                            "file": "info.c", "line": 184}, FATAL]),
        # read into a C int: 2**31 wraps negative
        ({"per_slot": 2**31}, [{"rank": -1, "level": 3,
                                "message": "error parsing jobspec: per_slot count: expected 1 got -2147483648",
                                "file": "info.c", "line": 184}, FATAL]),
        ({"total": 2**31}, TASKMAP),  # -2147483648 tasks
        ({"total": 2**32}, TASKMAP),  # 0 tasks
    ],
)
def test_counts_the_shell_refuses(client: RawClient, count: Dict[str, Any], logs: List[Dict[str, Any]]) -> None:
    jobid, evs = run(client, with_count(count))
    finish = [e for e in evs if e["name"] == "finish"]
    assert finish and finish[0]["context"]["status"] == 256
    assert shell_logs(client, jobid) == logs


def test_a_count_that_wraps_to_a_small_one_runs_that_many(client: RawClient) -> None:
    """2**32 + 1 reads as 1 task, as the shell's C int makes it."""
    jobid, evs = run(client, with_count({"total": 2**32 + 1}))
    assert [e["context"]["status"] for e in evs if e["name"] == "finish"] == [0]


def test_more_tasks_than_fakeflux_runs_fail_as_a_shell_error(client: RawClient) -> None:
    """Real Flux would fork them all; fakeflux refuses before spawning anything (documented)."""
    jobid, evs = run(client, with_count({"total": MAX_TASKS + 1}))
    assert [e["context"]["status"] for e in evs if e["name"] == "finish"] == [256]
    message = f"fakeflux runs at most {MAX_TASKS} tasks per job, not {MAX_TASKS + 1}"
    assert shell_logs(client, jobid)[0]["message"] == message
