"""Running fakeflux's ``flux`` command as a user would: a subprocess of the front end
(``fakeflux/fluxcmd/bin/flux``) with the environment fakeflux gives commands (its
folder first on PATH, fakeflux's ``flux`` package on PYTHONPATH, FLUX_URI)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Dict, List, Optional

from fakeflux.cli import pythonpath_entries
from fakeflux.fluxcmd import bin_dir, path_settings

FLUX = os.path.join(bin_dir(), "flux")


def flux_env(uri: Optional[str], extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("FLUX_URI", None)
    env.pop("FLUX_KVS_NAMESPACE", None)
    env["FAKEFLUX_PYTHON"] = sys.executable
    env.update(path_settings(env))
    env["PYTHONPATH"] = os.pathsep.join(pythonpath_entries())
    env["COLUMNS"] = "80"
    env["TZ"] = "UTC"
    if uri is not None:
        env["FLUX_URI"] = uri
    env.update(extra or {})
    return env


def flux(
    uri: Optional[str],
    *args: str,
    input: Optional[str] = None,
    extra_env: Optional[Dict[str, str]] = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``flux ARGS...`` against the instance at ``uri``; stdout, stderr and the exit status."""
    stdin = None if input is not None else subprocess.DEVNULL  # a job's stdin ends at once
    return subprocess.run(
        [FLUX, *args],
        env=flux_env(uri, extra_env),
        input=input,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def shell(
    script: str, size: int = 4, timeout: float = 120, cwd: Optional[str] = None
) -> subprocess.CompletedProcess[str]:
    """``fakeflux start --size SIZE -- bash -c SCRIPT``: the script runs `flux` from PATH."""
    cmd: List[str] = [
        sys.executable,
        "-m",
        "fakeflux",
        "start",
        "--size",
        str(size),
        "--python-client",
        "compat",
        "--",
        "bash",
        "-c",
        script,
    ]
    env = flux_env(None)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def scrub(text: str) -> str:
    """Output with what varies between runs replaced: rundirs, times, route uuids."""
    text = re.sub(r"local://\S+/local-(\d+)", r"local://RUNDIR/local-\1", text)
    text = re.sub(r"time=\d+\.\d+ ms \([0-9a-f!]+\)", "time=T ms (ROUTE)", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", "TIMESTAMP", text)
    text = re.sub(r"\b1\d{9}\.\d+\b", "EPOCH", text)
    return text
