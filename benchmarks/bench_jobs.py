"""Jobs through fakeflux's ``flux.job``: submitted and completed per second with mock
execution (zero-length jobs), next to ``broker.ping`` round trips through the same
handle measured in the same run.

* ``submit+wait``: ``flux.job.submit(waitable=True)`` then ``flux.job.wait``, one job at a time;
* ``pipelined x50``: 50 ``submit_async`` then their ids, then 50 ``wait_async``;
* ``FluxExecutor x50``: 50 futures of one executor, until every result is in.
"""

from __future__ import annotations

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


def run() -> List[Result]:
    flux = _import_flux()
    job = flux.job
    results: List[Result] = []
    with Instance(size=4) as inst:
        h = flux.Flux(inst.uri(0))
        spec = job.JobspecV1.from_command(["true"], environment={}).dumps()

        def ping() -> None:
            h.rpc("broker.ping", {}).get()

        base = rate(ping)
        base_name = "broker.ping rank 0 (same handle)"

        def submit_wait() -> None:
            job.wait(h, job.submit(h, spec, waitable=True))

        results.append(Result("flux.job submit+wait sync", rate(submit_wait), base_name, base, "job/s"))

        def pipelined() -> None:
            ids = [f.get_id() for f in [job.submit_async(h, spec, waitable=True) for _ in range(BATCH)]]
            for f in [job.wait_async(h, i) for i in ids]:
                f.get_status()

        results.append(
            Result(
                f"flux.job submit+wait pipelined x{BATCH}",
                rate(pipelined, ops_per_call=BATCH, repeat=3),
                base_name,
                base,
                "job/s",
            )
        )

        with job.FluxExecutor(handle_args=(inst.uri(0),)) as executor:

            def executor_batch() -> None:
                for fut in [executor.submit(spec) for _ in range(BATCH)]:
                    fut.result()

            results.append(
                Result(
                    f"FluxExecutor x{BATCH} to result",
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
