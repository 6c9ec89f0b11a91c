"""Submit jobs of known shapes to the instance at FLUX_URI and print their ids as JSON.

Run as a script with a ``flux`` package on the path (fakeflux's, or flux-core's to
record what real Flux prints for the same jobs): five finished jobs (completed,
exit 1, SIGSEGV, command not found, timeout), two running ``sleep 300`` (2 nodes
and 1 task), one held, one 4-node job that completes, one canceled.  Each is
named after its shape; ``ALL`` below is their order of submission.

With ``--wide``: only one running ``sleep 300`` with a task on each of 4 nodes
(core 0 of every rank allocated, wherever a scheduler puts tasks).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Dict, List

ALL = ["ok", "bad", "segv", "nocmd", "tmo", "run2", "run1", "held", "big", "can"]


def main(argv: List[str]) -> int:
    import flux  # type: ignore[import-not-found]
    import flux.job  # type: ignore[import-not-found]

    h = flux.Flux()

    def wait(jobid: Any, event: str) -> None:
        try:
            flux.job.event_wait(h, jobid, event)
        except (OSError, flux.job.JobException):
            pass  # a job exception on the way: it has ended, as wanted

    def submit(name: str, cmd: List[str], urgency: int = 16, duration: float = 0.0, **shape: Any) -> Any:
        spec = flux.job.JobspecV1.from_command(cmd, **shape)
        spec.setattr("system.job.name", name)
        spec.cwd = "/tmp"
        if duration:
            spec.duration = duration
        return flux.job.submit(h, spec, urgency=urgency)

    ids: Dict[str, Any] = {}
    if "--wide" in argv:
        ids["wide"] = submit("wide", ["sleep", "300"], num_nodes=4, num_tasks=4)
        wait(ids["wide"], "start")
        json.dump({"wide": flux.job.JobID(ids["wide"]).f58}, sys.stdout)
        print()
        return 0
    for name, cmd, extra in (
        ("ok", ["true"], {"num_tasks": 1}),
        ("bad", ["false"], {"num_tasks": 2}),
        ("segv", ["sh", "-c", "kill -SEGV $$"], {"num_nodes": 1, "num_tasks": 1}),
        ("nocmd", ["/nonexistent/cmd"], {"num_tasks": 1}),
        ("tmo", ["sleep", "10"], {"num_tasks": 1, "duration": 0.5}),
    ):
        ids[name] = submit(name, cmd, **extra)
        wait(ids[name], "clean")
    ids["run2"] = submit("run2", ["sleep", "300"], num_nodes=2, num_tasks=2)
    ids["run1"] = submit("run1", ["sleep", "300"], num_tasks=1)
    wait(ids["run2"], "start")
    wait(ids["run1"], "start")
    ids["held"] = submit("held", ["true"], urgency=0, num_tasks=1)
    ids["big"] = submit("big", ["true"], num_nodes=4, num_tasks=4)
    wait(ids["big"], "clean")
    ids["can"] = submit("can", ["true"], urgency=0, num_tasks=1)
    flux.job.cancel(h, ids["can"], "no reason")
    wait(ids["can"], "clean")
    # the held job is listed once it reached SCHED
    wait(ids["held"], "priority")
    time.sleep(0.2)
    json.dump({name: flux.job.JobID(jobid).f58 for name, jobid in ids.items()}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
