"""The pytest plugin: a function-scoped 4-rank ``flux_instance``, set up and
torn down for each of 1,000 tests.

Two figures: the median set-up plus teardown per test, against creating and
removing four listening Unix sockets in a temporary folder (the least any
instance needs); and the wall time of the 1,000 tests, against the same
1,000 tests without the fixture.  Reference: ``flux start --test-size=4
true`` takes 2.4 s.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import List

from benchmarks import Result

TESTS = 1000

_CONFTEST = """
import json, os, time, pytest

TIMES = []

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    start = time.perf_counter()
    yield
    item._bench_setup = time.perf_counter() - start

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    start = time.perf_counter()
    yield
    TIMES.append(item._bench_setup + time.perf_counter() - start)

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as f:
        json.dump(TIMES, f)
"""

_WITH = f"""
import pytest

@pytest.mark.parametrize("n", range({TESTS}))
def test_with_instance(flux_instance, n):
    assert flux_instance.size == 4
"""

_WITHOUT = f"""
import pytest

@pytest.mark.parametrize("n", range({TESTS}))
def test_without(n):
    assert n >= 0
"""


def _run(folder: str, body: str) -> tuple[List[float], float]:
    with open(os.path.join(folder, "test_bench.py"), "w") as f:
        f.write(body)
    out = os.path.join(folder, "times.json")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", folder],
        check=True,
        capture_output=True,
        env={**os.environ, "BENCH_OUT": out},
        cwd=folder,
    )
    wall = time.perf_counter() - start
    with open(out) as f:
        return json.load(f), wall


def _four_sockets() -> float:
    folder = tempfile.mkdtemp(prefix="bench-")
    start = time.perf_counter()
    socks = []
    for rank in range(4):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(os.path.join(folder, f"local-{rank}"))
        s.listen(128)
        socks.append(s)
    for rank, s in enumerate(socks):
        s.close()
        os.unlink(os.path.join(folder, f"local-{rank}"))
    os.rmdir(folder)
    return time.perf_counter() - start


def run() -> List[Result]:
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "conftest.py"), "w") as f:
            f.write(_CONFTEST)
        with_times, with_wall = _run(folder, _WITH)
        _, without_wall = _run(folder, _WITHOUT)
    baseline = statistics.median(_four_sockets() for _ in range(TESTS))
    median = statistics.median(with_times)
    return [
        Result(
            f"flux_instance set-up+teardown, median of {TESTS} (ms {median * 1e3:.2f})",
            1 / median,
            f"4 unix sockets made+removed (ms {baseline * 1e3:.3f})",
            1 / baseline,
            "test/s",
        ),
        Result(
            f"{TESTS} tests with flux_instance, wall (s {with_wall:.2f})",
            TESTS / with_wall,
            f"{TESTS} tests without it (s {without_wall:.2f})",
            TESTS / without_wall,
            "test/s",
        ),
    ]
