"""Running ``fakeflux replay`` / ``record`` as real processes, with the compatible client."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import List

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = os.path.join(ROOT, "scenarios")
CLIENTS = os.path.join(SCENARIOS, "clients")
FAKEFLUX = [sys.executable, "-m", "fakeflux"]


def fakeflux(args: List[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(FAKEFLUX + args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def replay(scenario: str, client: str, *options: str) -> subprocess.CompletedProcess[str]:
    """``fakeflux replay SCENARIO -- python CLIENT`` (paths relative to the checkout)."""
    return fakeflux(
        ["replay", "--python-client", "compat", *options, scenario, "--", sys.executable, os.path.join(ROOT, client)]
    )


def client(name: str) -> str:
    return os.path.join("scenarios", "clients", name)
