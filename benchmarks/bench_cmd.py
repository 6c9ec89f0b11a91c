"""Start-up cost of fakeflux's ``flux`` command: ``flux getattr size`` through the
front end (``fakeflux/fluxcmd/bin/flux``: /bin/sh, then Python, the ``flux``
package, one RPC) against ``python -c pass`` timed in the same run, runs
interleaved so that load on the machine hits both alike.  The name reports the
difference in milliseconds: what a shell script pays per ``flux`` call.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import List, Sequence

from benchmarks import Result
from fakeflux import Instance
from fakeflux.cli import pythonpath_entries
from fakeflux.fluxcmd import bin_dir, path_settings

RUNS = 15


def _once(cmd: Sequence[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run() -> List[Result]:
    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with Instance(size=4) as inst:
        env = dict(
            bare_env,
            FLUX_URI=inst.uri(0),
            FAKEFLUX_PYTHON=sys.executable,
            PYTHONPATH=os.pathsep.join(pythonpath_entries()),
        )
        env.update(path_settings(env))
        cases = [
            ([sys.executable, "-c", "pass"], bare_env),
            ([os.path.join(bin_dir(), "flux"), "getattr", "size"], env),
        ]
        for cmd, case_env in cases:
            _once(cmd, case_env)  # warm the page cache and .pyc files first
        times: List[List[float]] = [[], []]
        for _ in range(RUNS):
            for i, (cmd, case_env) in enumerate(cases):
                times[i].append(_once(cmd, case_env))
    bare, flux = (statistics.median(t) for t in times)
    return [
        Result(
            f"`flux getattr size` via fakeflux's front end (+{(flux - bare) * 1e3:.0f} ms over bare)",
            1.0 / flux,
            "python -c pass",
            1.0 / bare,
            unit="cmd/s",
            baseline_unit="proc/s",
        )
    ]
