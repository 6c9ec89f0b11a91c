"""Command-line options and ini keys, and how a setting is looked up:
marker argument first, then the command line, then the ini file, then the default."""

from __future__ import annotations

import importlib.util
import os
from typing import Optional

import pytest

from fakeflux.cli import client_path

PYTHON_CLIENTS = ("compat", "real", "auto")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakeflux", "fake Flux instances (fakeflux)")
    group.addoption("--flux-size", type=int, default=None, help="ranks in each flux_instance (default 4)")
    group.addoption(
        "--flux-trace-dir", default=None, help="also write the message trace of every failed test to this folder"
    )
    group.addoption(
        "--flux-python-client",
        choices=PYTHON_CLIENTS,
        default=None,
        help="the flux package tests and their subprocesses import: fakeflux's (compat), "
        "flux-core's (real), or flux-core's when installed (auto, the default)",
    )
    parser.addini("flux_size", "ranks in each flux_instance (default 4)", default="4")
    parser.addini("flux_trace_dir", "folder for the message traces of failed tests", default="")
    parser.addini("flux_python_client", "compat, real or auto (default auto)", default="auto")


def flux_size(config: pytest.Config) -> int:
    value = config.getoption("--flux-size")
    if value is None:
        raw = config.getini("flux_size")
        try:
            value = int(raw)
        except ValueError:
            raise pytest.UsageError(f"ini key flux_size: {raw!r} is not an integer") from None
    if value < 1:
        raise pytest.UsageError(f"flux size must be at least 1, not {value}")
    return int(value)


def trace_dir(config: pytest.Config) -> Optional[str]:
    value = config.getoption("--flux-trace-dir") or config.getini("flux_trace_dir")
    return str(value) if value else None


def real_flux_installed() -> bool:
    """flux-core's package is there when ``flux`` comes with its C bindings: ``_flux/_core``
    beside it (flux-core 0.88; older ones had ``flux/_core``)."""
    spec = importlib.util.find_spec("flux")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        if folder.startswith(client_path()):
            return False
        bindings = os.path.join(os.path.dirname(folder), "_flux")
        for where in (folder, bindings):
            if os.path.isdir(where) and any(name.startswith("_core") for name in os.listdir(where)):
                return True
    return False


def python_client(config: pytest.Config) -> str:
    """``compat`` or ``real``: what ``auto`` and the settings resolve to."""
    choice = config.getoption("--flux-python-client") or config.getini("flux_python_client")
    if choice not in PYTHON_CLIENTS:
        raise pytest.UsageError(f"flux_python_client must be one of {', '.join(PYTHON_CLIENTS)}, not {choice!r}")
    if choice == "auto":
        return "real" if real_flux_installed() else "compat"
    return str(choice)
