"""Jobs through fakeflux's ``flux.job``: jobs of ``true`` submitted and waited
per second.

With real execution (the default: each job's task is a process), next to
plain ``subprocess.run(["true"])`` measured in the same run, since spawning
is what a job of ``true`` cannot avoid (flux-core's own broker manages about
55 such jobs/s on this kind of machine):

* ``submit+wait``: ``flux.job.submit(waitable=True)`` then ``flux.job.wait``, one job at a time;
* ``pipelined x50``: 50 ``submit_async`` then their ids, then 50 ``wait_async``.

With simulated execution (``exec="simulated"``: flux-core's test executor,
no process), next to ``broker.ping`` round trips through the same handle:
the same two, plus ``FluxExecutor x50`` (50 futures of one executor, until
every result is in).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, List

from benchmarks import Result, rate
from fakeflux import Instance
from fakeflux.cli import client_path

BATCH = 50


def _import_flux() -> Any:
    if client_path() not in sys.path:
        sys.path.insert(0, client_path())
    import flux  # type: ignore[import-not-found]
    import flux.job  # type: ignore[import-not-found]

    return flux


def _job_rates(flux: Any, h: Any, spec: str, label: str, base_name: str, base: float) -> List[Result]:
    job = flux.job

    def submit_wait() -> None:
        job.wait(h, job.submit(h, spec, waitable=True))

    def pipelined() -> None:
        ids = [f.get_id() for f in [job.submit_async(h, spec, waitable=True) for _ in range(BATCH)]]
        for f in [job.wait_async(h, i) for i in ids]:
            f.get_status()

    return [
        Result(f"flux.job submit+wait sync ({label})", rate(submit_wait, repeat=3, target_seconds=0.2),
               base_name, base, "job/s"),
        Result(f"flux.job submit+wait pipelined x{BATCH} ({label})",
               rate(pipelined, ops_per_call=BATCH, repeat=3), base_name, base, "job/s"),
    ]


def run() -> List[Result]:
    flux = _import_flux()
    job = flux.job
    results: List[Result] = []
    spec = job.JobspecV1.from_command(["true"], environment={"PATH": os.environ.get("PATH", "/bin:/usr/bin")}).dumps()

    spawn_name = 'subprocess.run(["true"])'
    spawn = rate(lambda: subprocess.run(["true"], check=True), repeat=3, target_seconds=0.2)
    # The broker in a process of its own (as flux start runs it), so that the
    # tasks it spawns and the client here do not share one interpreter.
    with Instance(size=4, runner="process") as inst:
        with flux.Flux(inst.uri(0)) as h:
            results += _job_rates(flux, h, spec, "real execution", spawn_name, spawn)

    with Instance(size=4, exec="simulated") as inst:
        h = flux.Flux(inst.uri(0))

        def ping() -> None:
            h.rpc("broker.ping", {}).get()

        base = rate(ping)
        base_name = "broker.ping rank 0 (same handle)"
        results += _job_rates(flux, h, spec, "simulated", base_name, base)

        with job.FluxExecutor(handle_args=(inst.uri(0),)) as executor:

            def executor_batch() -> None:
                for fut in [executor.submit(spec) for _ in range(BATCH)]:
                    fut.result()

            results.append(
                Result(
                    f"FluxExecutor x{BATCH} to result (simulated)",
                    rate(executor_batch, ops_per_call=BATCH, repeat=3),
                    base_name,
                    base,
                    "job/s",
                )
            )
        h.__exit__(None, None, None)
    return results


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.rate:.1f} {r.unit} (baseline {r.baseline}: {r.baseline_rate:.1f}, ratio {r.ratio:.3f})")
