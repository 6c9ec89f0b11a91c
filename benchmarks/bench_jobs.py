"""Jobs through fakeflux's ``flux.job``: jobs of ``true`` submitted and waited
per second.

With real execution (the default: each job's task is a process), next to
plain ``subprocess.run(["true"])`` measured in the same run, since spawning
is what a job of ``true`` cannot avoid (flux-core's own broker manages about
55 such jobs/s on this kind of machine):

* ``submit+wait``: ``flux.job.submit(waitable=True)`` then ``flux.job.wait``, one job at a time;
* ``pipelined x50``: 50 ``submit_async`` then their ids, then 50 ``wait_async``.

The spawn baseline and the two job rates are measured in alternating rounds
(each figure the best of its rounds), so that load from other work on the
machine, which comes and goes, weighs on both sides of each ratio alike.

With simulated execution (``exec="simulated"``: flux-core's test executor,
no process), next to ``broker.ping`` round trips through the same handle:
the same two, plus ``FluxExecutor x50`` (50 futures of one executor, until
every result is in).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Callable, Dict, List, Tuple

from benchmarks import Result, rate
from fakeflux import Instance
from fakeflux.cli import client_path

BATCH = 50
ROUNDS = 3


def _import_flux() -> Any:
    if client_path() not in sys.path:
        sys.path.insert(0, client_path())
    import flux  # type: ignore[import-not-found]
    import flux.job  # type: ignore[import-not-found]

    return flux


def _job_calls(flux: Any, h: Any, spec: str) -> Tuple[Callable[[], None], Callable[[], None]]:
    """One job submitted and waited; a batch of BATCH, pipelined."""
    job = flux.job

    def submit_wait() -> None:
        job.wait(h, job.submit(h, spec, waitable=True))

    def pipelined() -> None:
        ids = [f.get_id() for f in [job.submit_async(h, spec, waitable=True) for _ in range(BATCH)]]
        for f in [job.wait_async(h, i) for i in ids]:
            f.get_status()

    return submit_wait, pipelined


def _rounds(measures: Dict[str, Callable[[], float]]) -> Dict[str, float]:
    """Each measure ROUNDS times, in turn; the best of each."""
    best: Dict[str, float] = {}
    for _ in range(ROUNDS):
        for name, measure in measures.items():
            best[name] = max(best.get(name, 0.0), measure())
    return best


def _job_rates(flux: Any, h: Any, spec: str, label: str, base_name: str, base: float) -> List[Result]:
    submit_wait, pipelined = _job_calls(flux, h, spec)
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
    # The broker in a process of its own (as flux start runs it), so that the
    # tasks it spawns and the client here do not share one interpreter.
    with Instance(size=4, runner="process") as inst:
        with flux.Flux(inst.uri(0)) as h:
            submit_wait, pipelined = _job_calls(flux, h, spec)
            best = _rounds({
                "spawn": lambda: rate(lambda: subprocess.run(["true"], check=True), repeat=1, target_seconds=0.2),
                "sync": lambda: rate(submit_wait, repeat=1, target_seconds=0.2),
                "pipelined": lambda: rate(pipelined, ops_per_call=BATCH, repeat=1),
            })
    results += [
        Result("flux.job submit+wait sync (real execution)", best["sync"], spawn_name, best["spawn"], "job/s"),
        Result(f"flux.job submit+wait pipelined x{BATCH} (real execution)", best["pipelined"], spawn_name,
               best["spawn"], "job/s"),
    ]

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
