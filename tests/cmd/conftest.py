"""Every test here runs in a temporary directory of its own: the commands it
runs submit jobs with that cwd, so what a job writes there (``flux batch``'s
``flux-{{id}}.out``, output files) lands in it and never in the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

import fakeflux

from .listing import submit_shapes


@pytest.fixture(autouse=True)
def _job_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def instance_uri() -> Iterator[str]:
    """A plain 4-rank instance for a whole module's cases that only read."""
    with fakeflux.Instance(size=4) as inst:
        yield inst.uri(0)


@pytest.fixture(scope="module")
def shaped() -> Iterator[Tuple[str, Dict[str, str]]]:
    """A 4-rank instance holding the job shapes (jobshapes.py), and their ids by name,
    for a whole module's cases that only read."""
    with fakeflux.Instance(size=4) as inst:
        uri = inst.uri(0)
        yield uri, submit_shapes(uri)
