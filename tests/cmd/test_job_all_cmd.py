"""``flux job raiseall`` and ``flux job killall`` (job-manager.raiseall and
.killall) as flux-core prints them, recorded on flux-core v0.88 (``flux start
--test-size=2``) for the same commands: two running jobs and a held one
(recorded with SIGUSR1 where SIGCONT is sent here, which leaves the jobs running;
the text is strsignal's either way)."""

from __future__ import annotations

import os
from typing import Any

from .fluxrun import flux

RAISEALL_USAGE = (
    "Usage: flux-job raiseall OPTIONS type [message ...]\n"
    "Raise an exception on multiple jobs.\n"
    "  -h, --help             Display this message.\n"
    "  -s, --severity=N       Set exception severity [0-7] (0 is fatal, default=7)\n"
    "  -u, --user=USER        Set target user or 'all' (instance owner only)\n"
    "  -S, --states=STATES    Set target job states (default=ACTIVE)\n"
    "  -f, --force            Confirm the command\n"
)
KILLALL_USAGE = (
    "Usage: flux-job killall [OPTIONS]\n"
    "Send signal to multiple running jobs\n"
    "  -h, --help             Display this message.\n"
    "  -s, --signal=SIG       Send signal SIG (default SIGTERM)\n"
    "  -u, --user=USER        Set target user or 'all' (instance owner only)\n"
    "  -f, --force            Confirm the command\n"
)

CASES = [
    (["raiseall"], 1, RAISEALL_USAGE),
    (["raiseall", "test"], 0, "flux-job: Command matched 3 jobs (-f to confirm)\n"),
    (["raiseall", "-S", "sched", "test"], 0, "flux-job: Command matched 1 jobs (-f to confirm)\n"),
    (["raiseall", "-S", "bogus", "test"], 1, "flux-job: error parsing --states: bogus is unknown\n"),
    (["raiseall", "-S", "inactive", "test"], 1, "flux-job: Exceptions cannot be raised on inactive jobs\n"),
    (["raiseall", "-u", "nosuchuser", "test"], 1, "flux-job: unknown user nosuchuser\n"),
    (["raiseall", "-s", "9", "-f", "test"], 1, "flux-job: raiseall: invalid exception severity\n"),
    (["raiseall", "-f", "bad type", "x"], 1, "flux-job: raiseall: invalid exception type\n"),
    (["raiseall", "-u", "all", "-S", "running", "-f", "test", "a", "note", "here"], 0,
     "flux-job: Raised exception on 2 jobs (0 errors)\n"),
    (["killall", "x"], 1, KILLALL_USAGE),
    (["killall", "-s", "BOGUS"], 1, "flux-job: killall: Invalid signal BOGUS\n"),
    (["killall"], 0, "flux-job: Command matched 2 jobs (-f to confirm)\n"),
    (["killall", "-f", "-s", "SIGCONT", "-u", "all"], 0, "flux-job: Continued 2 jobs (0 errors)\n"),
    (["killall", "-f"], 0, "flux-job: Terminated 2 jobs (0 errors)\n"),
]


def test_raiseall_killall(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    running = [flux(uri, "submit", "sleep", "60").stdout.strip() for _ in range(2)]
    for jobid in running:
        assert flux(uri, "job", "wait-event", jobid, "start").returncode == 0
    held = flux(uri, "submit", "--urgency=0", "true").stdout.strip()
    try:
        for args, status, err in CASES:
            result = flux(uri, "job", *args)
            assert (result.returncode, result.stdout, result.stderr) == (status, "", err), args
        exceptions = [line.split(" ", 1)[1] for line in flux(uri, "job", "eventlog", running[0]).stdout.splitlines()
                      if " exception " in line]
        assert exceptions == [f'exception type="test" severity=7 note="a note here" userid={os.getuid()}']
        for jobid in running:
            flux(uri, "job", "wait-event", jobid, "clean")
        last = flux(uri, "job", "killall")
        assert (last.returncode, last.stderr) == (0, "flux-job: Command matched 0 jobs\n")
        pending = flux(uri, "job", "raiseall", "-f", "-S", "pending", "test")
        assert (pending.returncode, pending.stderr) == (0, "flux-job: Raised exception on 1 jobs (0 errors)\n")
    finally:
        flux(uri, "cancel", held, *running)
