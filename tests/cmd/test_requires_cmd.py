"""``--requires`` constraints checked at submit as flux-core's job validator
checks them (its Jobspec class: hosts against the instance's hostlist,
operands, rank idsets); recorded on flux-core v0.88 (``flux start
--test-size=2``) for the same commands, with this machine's hostname."""

from __future__ import annotations

import re
import socket
from typing import Any

from .fluxrun import flux

HOST = socket.gethostname()

CASES = [
    (["submit", "--requires=host:badhost"], 1,
     "[Errno 1] host constraint contains invalid hosts: host 'badhost' not found\n"),
    (["submit", f"--requires=host:{HOST},badhost"], 1,
     "[Errno 1] host constraint contains invalid hosts: host 'badhost' not found\n"),
    (["submit", f"--requires=host:{HOST}[0-3]"], 1,
     f"[Errno 1] host constraint contains invalid hosts: hosts '{HOST}[0-3]' not found\n"),
    (["submit", "--requires=-host:badhost"], 1,
     "[Errno 1] host constraint contains invalid hosts: host 'badhost' not found\n"),
    (["submit", "--requires=host:bad["], 1, "[Errno 1] Invalid hostlist: 'bad['\n"),
    (["submit", "--requires=rank:x"], 1, "[Errno 1] IDset(): Invalid argument: x\n"),
    (["run", "--requires=host:badhost"], 1,
     "flux-run: ERROR: host constraint contains invalid hosts: host 'badhost' not found\n"),
    (["submit", f"--requires=host:{HOST}"], 0, ""),
    (["submit", "--requires=rank:9"], 0, ""),
    (["submit", "--requires=badprop"], 0, ""),
]


def test_requires_checked_at_submit(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    for args, status, err in CASES:
        result = flux(uri, *args, "true")
        assert (result.returncode, result.stderr) == (status, err), args
        assert status or re.fullmatch(r"ƒ\w+\n", result.stdout), args
        if status == 0:
            flux(uri, "cancel", result.stdout.strip())


SUBMIT = """
import flux
from flux.job import JobspecV1
h = flux.Flux()
js = JobspecV1.from_command(["true"])
js.setattr("system.constraints", {"hostlist": ["badhost"]})
try:
    flux.job.submit(h, js)
except OSError as e:
    print(e.errno, e.strerror)
"""


def test_the_broker_refuses_it(flux_instance: Any) -> None:
    # the job-ingest answer any client gets (flux-core's bindings included): EPERM and the text
    result = flux(flux_instance.uri(0), "python", "-c", SUBMIT)
    assert result.stdout == "1 host constraint contains invalid hosts: host 'badhost' not found\n"
