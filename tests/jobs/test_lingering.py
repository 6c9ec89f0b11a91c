"""A task's background children: when the instance stops they are killed with the rest,
even when the task itself finished long before (its process group outlives it)."""

from __future__ import annotations

import time

import fakeflux
from tests.jobs.test_exec import guest, jobspec, run
from tests.rawclient import RawClient


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its new parent."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_background_child_of_a_finished_task_dies_with_the_instance() -> None:
    script = "sleep 300 </dev/null >/dev/null 2>&1 & echo $!"
    with fakeflux.Instance(size=1) as inst:
        c = RawClient(inst.uri(0), timeout=30)
        jobid, evs = run(c, jobspec(["sh", "-c", script]))
        assert [e["context"]["status"] for e in evs if e["name"] == "finish"] == [0]
        data = [e["context"].get("data", "") for e in guest(c, jobid, "output") if e["name"] == "data"]
        pid = int("".join(data))
        c.close()
        assert alive(pid)  # the job is over, its child still runs (as under real Flux)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(pid), f"background child {pid} outlived the instance"
    assert inst.leaks() == []
