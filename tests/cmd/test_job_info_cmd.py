"""``flux job info`` as flux-core prints jobspec and R: the current value
(job-info.lookup with FLUX_JOB_LOOKUP_CURRENT, re-encoded by jansson with its
default ", "/": " separators and 17-digit reals), the stored one with
``--base`` (jobspec compact as job-ingest wrote it, R spaced as rlist_encode
wrote it) and the submitted one with ``--original``; recorded on flux-core
v0.88 for the same command (cwd replaced)."""

from __future__ import annotations

import os
import re
from typing import Any

from .fluxrun import flux

CURRENT = (
    '{"resources": [{"type": "slot", "count": 1, "with": [{"type": "core", "count": 1}], "label": "task"}], '
    '"tasks": [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}], '
    '"attributes": {"system": {"duration": 0.10000000000000001, "cwd": "CWD"}, '
    '"user": {"x": 0.10000000000000001, "u": "é/\\""}}, "version": 1}\n'
)
BASE = (
    '{"resources":[{"type":"slot","count":1,"with":[{"type":"core","count":1}],"label":"task"}],'
    '"tasks":[{"command":["true"],"slot":"task","count":{"per_slot":1}}],'
    '"attributes":{"system":{"duration":0.10000000000000001,"cwd":"CWD"},'
    '"user":{"x":0.10000000000000001,"u":"é/\\""}},"version":1}\n'
)
ORIGINAL = (
    '{"resources": [{"type": "slot", "count": 1, "with": [{"type": "core", "count": 1}], "label": "task"}], '
    '"tasks": [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}], '
    '"attributes": {"system": {"duration": 0.1, "environment": {}, "cwd": "CWD"}, '
    '"user": {"x": 0.1, "u": "é/\\""}}, "version": 1}\n'
)
R = (
    '{"version": 1, "execution": {"R_lite": [{"rank": "0", "children": {"core": "0"}}], '
    '"starttime": T, "expiration": T, "nslots": 1, "nodelist": ["HOST"]}}\n'
)


def test_info_jobspec_and_R_as_flux_core_prints_them(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    sub = flux(uri, "submit", "-t", "0.1s", "--env=-*", "--rlimit=-*", "--setattr=user.x=0.1",
               '--setattr=user.u=é/"', "true")
    jobid = sub.stdout.strip()
    assert flux(uri, "job", "wait-event", jobid, "clean").returncode == 0

    def info(*args: str) -> str:
        result = flux(uri, "job", "info", *args)
        assert result.returncode == 0, result.stderr
        text = result.stdout.replace(f'"{os.getcwd()}"', '"CWD"')
        text = re.sub(r'"nodelist": \["[^"]+"\]', '"nodelist": ["HOST"]', text)
        return re.sub(r"\b\d{10}\.\d+", "T", text)

    assert info(jobid, "jobspec") == CURRENT
    assert info("--base", jobid, "jobspec") == BASE
    assert info("-o", jobid, "jobspec") == ORIGINAL
    assert info(jobid, "R") == info("-b", jobid, "R") == info("-o", jobid, "R") == R
    bogus = flux(uri, "job", "info", jobid, "bogus")
    assert (bogus.returncode, bogus.stderr) == (1, "flux-job: bogus: key not found\n")
