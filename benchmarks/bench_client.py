"""fakeflux's pure-Python ``flux`` package against the fake broker: the ping
and event benchmarks of bench_broker driven through ``flux.Flux()``, next to
a raw echo round trip measured the same way in the same run.

Reference, flux-core's own bindings against a real broker on a 2-core
machine: 2,935 pings/s to rank 0, 1,173/s to rank 3, 3,491 events/s.
"""

from __future__ import annotations

import sys
from typing import Any, List

from benchmarks import Result, rate
from benchmarks.bench_broker import _echo_rate
from fakeflux import Instance
from fakeflux.cli import client_path

PIPELINE = 100


def _import_flux() -> Any:
    if client_path() not in sys.path:
        sys.path.insert(0, client_path())
    import flux  # type: ignore[import-not-found]

    return flux


def _client_rates(runner: str) -> List[Result]:
    flux = _import_flux()
    base = _echo_rate(runner, 46)
    base_name = f"raw unix echo ({runner})"
    results: List[Result] = []
    with Instance(size=4, runner=runner) as inst:
        h = flux.Flux(inst.uri(0))
        for rank in (0, 3):

            def sync_ping(rank: int = rank) -> None:
                h.rpc("broker.ping", {}, nodeid=rank).get()

            results.append(
                Result(f"flux.Flux ping rank {rank} sync [{runner}]", rate(sync_ping), base_name, base, "rpc/s")
            )

            def pipelined(rank: int = rank) -> None:
                futures = [h.rpc("broker.ping", {}, nodeid=rank) for _ in range(PIPELINE)]
                for f in futures:
                    f.get()

            results.append(
                Result(
                    f"flux.Flux ping rank {rank} pipelined x{PIPELINE} [{runner}]",
                    rate(pipelined, ops_per_call=PIPELINE),
                    base_name,
                    base,
                    "rpc/s",
                )
            )
        h.event_subscribe("bench")

        def send_receive() -> None:
            h.event_send("bench.ev", {"n": 1})
            h.event_recv()

        results.append(
            Result(f"flux.Flux event send+recv [{runner}]", rate(send_receive), base_name, base, "event/s")
        )
    return results


def run() -> List[Result]:
    return _client_rates("thread") + _client_rates("process")
