"""Start-up cost of ``import flux, flux.job`` with fakeflux's package.

Whole processes: the median wall time of ``python -c "import flux, flux.job"``
with fakeflux's package on ``PYTHONPATH``, against ``python -c pass`` timed in
the same run, runs interleaved so that load on the machine hits both alike.
The figure that matters is the difference (the import itself), which the
result's name reports in milliseconds.

Set ``BENCH_FLUX_CORE_PYTHONPATH`` (and optionally ``BENCH_FLUX_CORE_PYTHON``,
default ``python3``) to time flux-core's own bindings the same way, next to
fakeflux's package under that same interpreter (a virtualenv's interpreter
starts slower: its site-packages hooks run first).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Sequence

from benchmarks import Result
from fakeflux.cli import pythonpath_entries

RUNS = 15
IMPORT = "import flux, flux.job"


def _env(pythonpath: Sequence[str]) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    return env


def _once(python: str, code: str, env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _medians(cases: Sequence[tuple[str, str, Dict[str, str]]]) -> List[float]:
    times: List[List[float]] = [[] for _ in cases]
    for python, code, env in cases:
        _once(python, code, env)  # warm the page cache and .pyc files first
    for _ in range(RUNS):
        for case, (python, code, env) in enumerate(cases):
            times[case].append(_once(python, code, env))
    return [statistics.median(t) for t in times]


def run() -> List[Result]:
    fake_env = _env(pythonpath_entries())
    bare_env = _env(())
    cases = [(sys.executable, "pass", bare_env), (sys.executable, IMPORT, fake_env)]
    core_path = os.environ.get("BENCH_FLUX_CORE_PYTHONPATH")
    core_python = os.environ.get("BENCH_FLUX_CORE_PYTHON", "python3")
    if core_path:
        cases += [
            (core_python, "pass", bare_env),
            (core_python, IMPORT, _env([core_path])),
            (core_python, IMPORT, fake_env),
        ]
    medians = _medians(cases)
    bare, fake = medians[0], medians[1]
    results = [
        Result(
            f"import flux, flux.job: fakeflux (+{(fake - bare) * 1e3:.0f} ms over bare)",
            1 / fake,
            f"python -c pass ({bare * 1e3:.0f} ms)",
            1 / bare,
            unit="proc/s",
        )
    ]
    if core_path:
        core_bare = medians[2]
        for label, elapsed in (("flux-core", medians[3]), ("fakeflux", medians[4])):
            results.append(
                Result(
                    f"import flux, flux.job: {label}, {os.path.basename(core_python)} "
                    f"(+{(elapsed - core_bare) * 1e3:.0f} ms over bare)",
                    1 / elapsed,
                    f"{os.path.basename(core_python)} -c pass ({core_bare * 1e3:.0f} ms)",
                    1 / core_bare,
                    unit="proc/s",
                )
            )
    return results
