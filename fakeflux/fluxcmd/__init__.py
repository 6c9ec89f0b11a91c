"""fakeflux's ``flux`` command line (``fakeflux/fluxcmd/bin/flux``).

Each subcommand is a module here, built on fakeflux's ``flux`` Python package
(``fakeflux/client/flux``) so that the command, the API and the broker stay one
implementation; option parsing (:mod:`.optparse`, flux-core's C parser, or
argparse as its Python commands use) and output formatting live in their own
modules.  Only ``flux start`` imports :mod:`fakeflux.io`: it starts an instance.

The front end's folder goes on PATH only where fakeflux's own ``flux`` package
is chosen (:func:`path_settings`), never by default, so it cannot shadow a real
Flux installation.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, Mapping


def bin_dir() -> str:
    """The folder holding the ``flux`` front end, for PATH."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin")


def path_settings(env: Mapping[str, str]) -> Dict[str, str]:
    """PATH with the front end's folder first, and FAKEFLUX_PYTHON naming the
    interpreter the front end runs with (this one: fakeflux is installed in it)."""
    _ensure_executable(os.path.join(bin_dir(), "flux"))
    parts = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != bin_dir()]
    return {
        "PATH": os.pathsep.join([bin_dir(), *parts]),
        "FAKEFLUX_PYTHON": env.get("FAKEFLUX_PYTHON") or sys.executable,
    }


def _ensure_executable(path: str) -> None:
    """Package data may be installed without its mode bits (some installers drop them);
    the front end must stay runnable from PATH."""
    try:
        mode = os.stat(path).st_mode
        if not mode & 0o111:
            os.chmod(path, mode | 0o755)
    except OSError:
        pass  # a read-only install keeps what it has; `python .../bin/flux` still works
