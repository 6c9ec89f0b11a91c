"""Every test here runs in a temporary directory of its own: the commands it
runs submit jobs with that cwd, so what a job writes there (``flux batch``'s
``flux-{{id}}.out``, output files) lands in it and never in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _job_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
