"""``flux job memo`` (job-manager.memo, the ``memo`` event, user annotations),
``flux uri`` through flux.uri's resolver and ``flux alloc --bg`` waiting for
the new instance's ``uri`` memo; each expectation recorded on flux-core v0.88
(``flux start --test-size=2``, FLUX_URI_RESOLVE_LOCAL=1 where a URI is opened)
for the same commands."""

from __future__ import annotations

import os
import re
import socket
from typing import Any

from .fluxrun import flux, shell

MEMO_USAGE = (
    "Usage: flux-job memo [--volatile] id key=value [key=value, ...]\n"
    "Post an RFC 21 memo to a job\n"
    "  -h, --help             Display this message.\n"
    "      --volatile         Memo will not appear in eventlog (will be lost on\n"
    "                         restart)\n"
)


def _events(uri: str, jobid: str, name: str) -> list:
    out = flux(uri, "job", "eventlog", jobid).stdout.splitlines()
    return [line.split(" ", 1)[1] for line in out if line.split(" ")[1:2] == [name]]


def test_job_memo(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "sleep", "30").stdout.strip()
    try:
        for args in (["a=1", 'b.c={"x":[1,2]}', "s=hello"], ["--volatile", "v=true"], ["b.c.x=null"]):
            assert flux(uri, "job", "memo", *(a for a in args if a.startswith("--")), jobid,
                        *(a for a in args if not a.startswith("--"))).returncode == 0
        assert flux(uri, "job", "memo", jobid, "inp=-", input='"from stdin"\n').returncode == 0
        noval = flux(uri, "job", "memo", jobid, "noval")
        assert (noval.returncode, noval.stderr) == (1, "flux-job: memo: no value for key=noval\n")
        usage = flux(uri, "job", "memo", jobid)
        assert (usage.returncode, usage.stderr) == (1, MEMO_USAGE)
        unknown = flux(uri, "job", "memo", "f123", "a=1")
        assert (unknown.returncode, unknown.stderr) == (1, "flux-job: memo: unknown job id\n")
        # null removed b.c.x, then the emptied b.c and b; the volatile memo is in the annotations only
        user = flux(uri, "jobs", "-no", "{user}", jobid)
        assert user.stdout == '{"a": 1, "s": "hello", "v": true, "inp": "from stdin"}\n'
        assert flux(uri, "jobs", "-no", "{user.a} {user.s} {user.inp}", jobid).stdout == "1 hello from stdin\n"
        assert _events(uri, jobid, "memo") == [
            'memo a=1 b={"c":{"x":[1,2]}} s="hello"',
            'memo b={"c":{"x":null}}',
            'memo inp="from stdin"',
        ]
    finally:
        flux(uri, "cancel", jobid)
    flux(uri, "job", "wait-event", jobid, "clean")
    inactive = flux(uri, "job", "memo", jobid, "a=2")
    assert (inactive.returncode, inactive.stderr) == (1, "flux-job: memo: job is inactive\n")


def test_uri_of_pids() -> None:
    # a broker of its own (fakeflux start), as `flux uri pid:` looks at the process
    script = (
        'pid=$(flux getattr broker.pid); local=$(flux getattr local-uri); rundir=$(flux getattr rundir);'
        'test "$(flux uri pid:$pid)" = "$local" && echo pid-ok;'
        'flux uri --remote pid:$pid | sed "s|$rundir|RUNDIR|";'
        'flux uri "pid:$pid?remote" | sed "s|$rundir|RUNDIR|";'
        'env -u FLUX_URI sleep 30 & flux uri pid:$! 2>&1 | sed "s/PID $!/PID SLEEP/"; kill $!;'
        'flux uri pid:999999999'
    )
    result = shell(script, size=2)
    host = socket.gethostname()
    assert result.stdout == (
        f"pid-ok\nssh://{host}RUNDIR/local-0\nssh://{host}RUNDIR/local-0\n"
        "flux-uri: ERROR: PID SLEEP doesn't seem to have a FLUX_URI\n"
    )
    assert result.stderr.startswith("flux-uri: ERROR: No such file or directory: '/proc/999999999/status'\n")


URI_CASES = [
    (["ssh://host/tmp/x/local-0"], 0, "ssh://host/tmp/x/local-0\n", ""),
    (["--local", "ssh://host/tmp/x/local-0"], 0, "local:///tmp/x/local-0\n", ""),
    (["--remote", "local:///tmp/x/local-0"], 0, f"ssh://{socket.gethostname()}/tmp/x/local-0\n", ""),
    (["f123"], 1, "", "flux-uri: ERROR: jobid f123 not found\n"),
    (["jobid:xyz"], 1, "", "flux-uri: ERROR: xyz is not a valid Flux jobid\n"),
]


def test_uri_conversions_and_errors(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    for args, status, out, err in URI_CASES:
        result = flux(uri, "uri", *args)
        assert (result.returncode, result.stdout, result.stderr) == (status, out, err), args
    help_text = flux(uri, "uri", "--help").stdout
    assert help_text.startswith(
        "usage: flux-uri [-h] [--remote] [--local] [--wait] TARGET\n\n"
        "Resolve TARGET to a Flux URI\n\n"
        "positional arguments:\n"
        "  TARGET        A Flux jobid or URI in scheme:argument form (e.g. jobid:f1234)\n\n"
        "options:\n"
        "  -h, --help    show this help message and exit\n"
        "      --remote  convert a local URI to remote\n"
    )
    assert "Supported resolver schemes:\n  jobid\t\tGet URI for a given Flux JOBID\n" in help_text
    sleeper = flux(uri, "submit", "sleep", "30").stdout.strip()
    try:
        nouri = flux(uri, "uri", sleeper)
        assert (nouri.returncode, nouri.stderr) == (1, f"flux-uri: ERROR: URI not found for job {sleeper}\n")
    finally:
        flux(uri, "cancel", sleeper)


def test_alloc_bg_waits_for_the_instance_uri(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    local = {"FLUX_URI_RESOLVE_LOCAL": "1"}
    alloc = flux(uri, "alloc", "--bg", "-v", "-n1", extra_env=local)
    jobid = alloc.stdout.strip()
    try:
        assert alloc.returncode == 0 and re.fullmatch(r"ƒ\w+", jobid)
        assert re.sub(r"\d\.\d{3}s", "T.TTTs", alloc.stderr) == "".join(
            f"{jobid}:  T.TTTs: {what}\n"
            for what in ("waiting for resources", "resources allocated", "waiting for instance", "ready")
        )
        memos = _events(uri, jobid, "memo")
        assert len(memos) == 1 and re.fullmatch(r'memo uri="ssh://[^/"]+/\S+/local-0"', memos[0])
        ssh_uri = flux(uri, "jobs", "-no", "{user.uri}", jobid).stdout.strip()
        assert ssh_uri == memos[0][len('memo uri="'):-1]
        nested = flux(uri, "uri", jobid, extra_env=local).stdout.strip()
        assert nested == "local:///" + ssh_uri.split("/", 3)[3]
        assert flux(uri, "uri", f"jobid:{jobid}", extra_env=local).stdout.strip() == nested
        assert flux(uri, "uri", "--remote", jobid).stdout.strip() == ssh_uri
        # the URI leads into the nested instance, which names its job as real Flux does (F58)
        decimal = flux(uri, "job", "id", jobid).stdout.strip()
        got = [flux(nested, "getattr", name).stdout.strip()
               for name in ("jobid", "jobid-path", "parent-kvs-namespace", "instance-level")]
        assert got == [jobid, f"/{jobid}", f"job-{decimal}", "1"]
        assert os.path.exists(nested[len("local://"):])
    finally:
        flux(uri, "cancel", jobid)
        flux(uri, "job", "wait-event", jobid, "clean")
