"""``flux batch`` end to end and the job shell's files plugin (RFC 37 archives
in ``attributes.system.files`` written into FLUX_JOB_TMPDIR), each expectation
recorded on flux-core v0.88 (``flux start --test-size=2``) for the same commands."""

from __future__ import annotations

import json
import os
import stat
from typing import Any, List

from .fluxrun import flux

SCRIPT = "#!/bin/sh\necho hello from batch\nflux getattr size\nflux getattr instance-level\n"


def _batch(uri: str, *args: str) -> str:
    with open("s.sh", "w") as f:
        f.write(SCRIPT)
    sub = flux(uri, "batch", *args, "s.sh")
    assert sub.returncode == 0, sub.stderr
    jobid = sub.stdout.strip()
    assert flux(uri, "job", "wait-event", jobid, "clean").returncode == 0
    return jobid


def test_batch_runs_its_script_in_a_nested_instance(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = _batch(uri, "-n1")
    # real: the script runs (exit 0) in a size-1 instance; its output in flux-ID.out in the submit cwd
    status = flux(uri, "job", "status", jobid)
    assert status.returncode == 0
    with open(f"flux-{jobid}.out") as f:
        assert f.read() == "hello from batch\n1\n1\n"
    assert sorted(os.listdir(".")) == sorted(["s.sh", f"flux-{jobid}.out"])


def test_batch_one_broker_per_node(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = _batch(uri, "-N2")
    with open(f"flux-{jobid}.out") as f:
        assert f.read() == "hello from batch\n2\n1\n"
    # real: shell.start taskmap={"version":1,"map":[[0,2,1,1]]} (per-resource.type=node)
    starts = [line for line in flux(uri, "job", "eventlog", "-p", "exec", jobid).stdout.splitlines()
              if " shell.start " in line]
    assert [line.split(" ", 1)[1] for line in starts] == ['shell.start taskmap={"version":1,"map":[[0,2,1,1]]}']


def test_per_resource_core(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    run = flux(uri, "run", "-N1", "-o", "per-resource.type=core", "-o", "per-resource.count=2", "true")
    assert run.returncode == 0
    jobid = flux(uri, "job", "last").stdout.strip()
    info = json.loads(flux(uri, "job", "info", jobid, "R").stdout)
    ncores = len(_idset(info["execution"]["R_lite"][0]["children"]["core"]))
    taskmap = [line for line in flux(uri, "job", "eventlog", "-p", "exec", jobid).stdout.splitlines()
               if " shell.start " in line][0]
    assert taskmap.endswith(f'"map":[[0,1,{2 * ncores},1]]}}')


def _idset(text: str) -> List[int]:
    out: List[int] = []
    for part in text.split(","):
        lo, _dash, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def test_add_file_lands_in_the_job_tmpdir(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    with open("s.sh", "w") as f:
        f.write(SCRIPT)
    inline = flux(uri, "run", "--add-file=note.txt=line one\nline two\n",
                  "sh", "-c", 'cd "$FLUX_JOB_TMPDIR"; cat note.txt; stat -c "%a %n" note.txt')
    assert (inline.returncode, inline.stdout) == (0, "line one\nline two\n600 note.txt\n")
    local = flux(uri, "run", "--add-file=s.sh", "sh", "-c", 'cd "$FLUX_JOB_TMPDIR"; stat -c "%a %n" s.sh')
    assert (local.returncode, local.stdout) == (0, "644 s.sh\n")


# submits a jobspec whose attributes.system.files is argv[1]; prints its tmpdir listing
# (or the shell's log lines when it failed) and the exception note
SUBMIT = r"""
import json, sys
import flux
from flux.job import JobspecV1, submit, event_watch
h = flux.Flux()
js = JobspecV1.from_command(["sh", "-c",
    "cd $FLUX_JOB_TMPDIR && find . | sort | while read p; do stat -c '%A %N' \"$p\"; done; cat j; echo; cat d/sub/x"])
js.setattr("system.files", json.loads(sys.argv[1]))
js.environment = {"PATH": "/usr/bin:/bin"}
jid = submit(h, js)
for ev in event_watch(h, jid):
    if ev.name == "exception":
        print("exception:", ev.context["note"])
    if ev.name == "clean":
        break
out = h.rpc("job-info.lookup", {"id": jid, "keys": ["guest.output"], "flags": 0}).get()["guest.output"]
for line in out.splitlines():
    entry = json.loads(line)
    if entry["name"] == "log":
        c = entry["context"]
        print("log", c["level"], c.get("component"), c["file"], c["line"], c["message"])
    elif entry["name"] == "data" and "data" in entry["context"]:
        print(entry["context"]["data"], end="")
"""


def _files(uri: str, files: Any) -> str:
    result = flux(uri, "python", "-c", SUBMIT, json.dumps(files), extra_env={"PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_files_archive_kinds_and_modes(flux_instance: Any) -> None:
    files = {
        "d/sub/x": {"mode": 0o100755, "data": "YWJj", "encoding": "base64"},
        "j": {"mode": 0o100600, "data": {"a": [1, 2.5]}},
        "l": {"mode": 0o120777, "data": "j"},
        "dd": {"mode": 0o40700},
    }
    out = _files(flux_instance.uri(0), files)
    mask = os.umask(0)  # libarchive applies the shell's umask, inherited from here
    os.umask(mask)

    def mode(bits: int) -> str:
        return stat.filemode(bits & ~mask)

    assert out == (
        f"{mode(0o40700)} '.'\n"
        f"{mode(0o40755)} './d'\n"
        f"{mode(0o40755)} './d/sub'\n"
        f"{mode(0o100755)} './d/sub/x'\n"
        f"{mode(0o40700)} './dd'\n"
        f"{mode(0o100600)} './j'\n"
        "lrwxrwxrwx './l' -> 'j'\n"
        '{"a":[1,2.5]}\n'
        "abc"
    )


def test_bad_files_archive_fails_the_shell(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    tail = (
        "log 3 None plugstack.c 168 plugin 'files': shell.init failed\n"
        "log 0 None shell.c 2155 shell_init: No such file or directory\n"
    )
    for files, message in (
        ({"x": {"mode": 33188, "data": "abc", "encoding": "bogus"}}, "x: unknown RFC 37 encoding bogus"),
        ({"x": {"mode": 0o10644}}, "x: unknown file type (mode=010644)"),
        ({"x": {"data": "abc"}}, "error decoding fileref object: Object item not found: mode"),
        ({"x": {"mode": 33188, "data": "YW?", "encoding": "base64"}}, "x: could not decode base64 file data"),
    ):
        assert _files(uri, files) == (
            "exception: shell_init: No such file or directory\n"
            f"log 3 files files.c 58 {message}\n" + tail
        ), files
