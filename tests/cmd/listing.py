"""Shared by the tests of the listing commands (jobs, resource, queue, uptime/overlay/module,
pgrep): jobs of known shapes, and the normalization that lets the output of a fakeflux
instance be compared with what flux-core printed for the same requests.

The expectations were recorded from flux-core v0.88.0-59 (``flux start --test-size=4``
on a host named ``vm``, as ``root``, COLUMNS=80, TZ=UTC) running the same commands after
``jobshapes.py``.  What differs from run to run is replaced: job ids by ``<name>`` (with
the padding before them, as ids differ in length), durations by ``<T>``, dates by
``<DATE>``, epoch times by ``<EPOCH>``, clock and round-trip times likewise.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import fakeflux

from .fluxrun import flux, flux_env

RECORDED_HOST = "vm"
RECORDED_USER = "root"
JOBSHAPES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobshapes.py")


@dataclass
class Case:
    """One command and what flux-core printed for it (normalized)."""

    args: List[str]
    out: str
    err: str
    rc: int


def submit_shapes(uri: str, *options: str) -> Dict[str, str]:
    """Run jobshapes.py (with ``options``) against the instance; its job ids (f58) by shape name."""
    proc = subprocess.run(
        [sys.executable, JOBSHAPES, *options], env=flux_env(uri), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    ids = json.loads(proc.stdout)
    assert isinstance(ids, dict)
    return ids


def _local_names() -> Dict[str, str]:
    """This host's and user's names -> the recorded ones, where they differ."""
    names = {}
    host = socket.gethostname().split(".")[0]
    if host != RECORDED_HOST:
        names[host] = RECORDED_HOST
    user = getpass.getuser()
    if user != RECORDED_USER:
        names[user] = RECORDED_USER
    return names


def normalize(text: str, ids: Optional[Dict[str, str]] = None) -> str:
    """``text`` with run-specific values replaced (see the module doc)."""
    for name, jobid in sorted((ids or {}).items(), key=lambda item: -len(item[1])):
        text = re.sub(r" *" + re.escape(jobid), f" <{name}>", text)
        text = text.replace(jobid[1:], f"<{name}>")  # f58plain and JSON's \u0192 escape
    text = re.sub(r" *(?<![\[;])\b\d+(\.\d+)?(ms|s|m|h)\b", " <T>", text)  # not in "\033[01;32m"
    text = re.sub(r" *[A-Z][a-z]{2}\d\d \d\d:\d\d", " <DATE>", text)
    text = re.sub(r"\b1\d{9}(\.\d+)?\b", "<EPOCH>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "<ISO>", text)
    text = re.sub(r"\b\d\d:\d\d:\d\d run\b", "<CLOCK> run", text)
    text = re.sub(r" \(\d+\.\d+ ms\)", " (<MS>)", text)  # overlay status -vv round trips
    local = _local_names()
    if local:
        # another host or user name: compare words, not column widths
        for mine, recorded in local.items():
            text = re.sub(rf"\b{re.escape(mine)}\b", recorded, text)
        text = "\n".join(re.sub(r" +", " ", line).strip() for line in text.split("\n"))
    return text


def expected(case: Case) -> Case:
    """The recorded case, put through the same normalization as fakeflux's output."""
    return Case(case.args, normalize(case.out), normalize(case.err), case.rc)


def check(uri: str, case: Case, ids: Optional[Dict[str, str]] = None, env: Optional[Dict[str, str]] = None) -> None:
    """Run ``flux ARGS`` and compare stdout, stderr and exit status with the recording."""
    proc = flux(uri, *case.args, extra_env=env)
    got = Case(case.args, normalize(proc.stdout, ids), normalize(proc.stderr, ids), proc.returncode)
    assert got == expected(case)


def check_all(uri: str, cases: Sequence[Case], ids: Optional[Dict[str, str]] = None) -> None:
    """Run a sequence of commands (each may change the instance) and compare every one."""
    for case in cases:
        check(uri, case, ids)


def check_fresh(cases: Sequence[Case]) -> None:
    """``check_all`` on a new 4-rank instance of its own (for sequences that change it)."""
    with fakeflux.Instance(size=4) as inst:
        check_all(inst.uri(0), cases)


def case_id(case: Case) -> str:
    """A parametrized case's test id: its command line."""
    return " ".join(case.args)
