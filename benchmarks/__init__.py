"""Micro-benchmarks, run with ``python -m benchmarks`` (``make bench``).

Each ``benchmarks/bench_*.py`` module defines ``run() -> list[Result]``; the
harness in ``__main__`` finds them all and prints one table.  A result is a
rate (operations per second) next to a baseline rate measured in the same
run on the same machine, so the ratio means something even where absolute
rates do not.  Adding a benchmark is adding a module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["Result", "rate"]


@dataclass(frozen=True)
class Result:
    name: str
    rate: float  # operations per second
    baseline: str
    baseline_rate: float
    unit: str = "op/s"
    baseline_unit: str = "op/s"

    @property
    def ratio(self) -> float:
        """This rate as a fraction of the baseline's (1.0 = as fast)."""
        return self.rate / self.baseline_rate if self.baseline_rate else float("nan")


def rate(
    fn: Callable[[], object],
    *,
    ops_per_call: int = 1,
    repeat: int = 5,
    target_seconds: float = 0.05,
) -> float:
    """Operations per second of ``fn``: the best of ``repeat`` timed runs.

    ``fn`` does ``ops_per_call`` operations per call.  Each run calls it as
    many times as fit in about ``target_seconds`` (calibrated first), so a
    whole measurement takes roughly ``(repeat + 1) * target_seconds``.
    """
    calls = 1
    while True:  # calibrate: double until one run takes a fifth of the target
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target_seconds / 5 or calls >= 1 << 24:
            break
        calls *= 2
    calls = max(1, int(calls * target_seconds / max(elapsed, 1e-9)))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, time.perf_counter() - start)
    return calls * ops_per_call / max(best, 1e-12)
