"""fakeflux's ``flux`` command, jobs: submit, run, job (attach, status, wait, eventlog,
wait-event, info, id, urgency, kill, raise), cancel.  Jobs run as real processes; each
expectation was recorded from flux-core v0.88.0-59 for the same request (job ids and
times scrubbed)."""

from __future__ import annotations

import json
import re
from typing import Any

from .fluxrun import flux

JOB_USAGE_HEAD = "Usage: flux-job [OPTIONS] COMMAND ARGS\n  -h, --help             Display this message.\n"


def ids(text: str) -> str:
    return re.sub(r"ƒ[1-9A-HJ-NP-Za-km-z]+", "ID", text)


def times(text: str) -> str:
    return re.sub(r"^\d+\.\d+", "T", text, flags=re.M)


def test_submit_prints_an_id_and_attach_its_output(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    sub = flux(uri, "submit", "--job-name=one", "echo", "hello")
    assert sub.returncode == 0 and re.fullmatch(r"ƒ[1-9A-HJ-NP-Za-km-z]+\n", sub.stdout)
    jobid = sub.stdout.strip()
    assert flux(uri, "job", "wait-event", jobid, "clean").returncode == 0
    attach = flux(uri, "job", "attach", jobid)
    assert (attach.returncode, attach.stdout, attach.stderr) == (0, "hello\n", "")
    status = flux(uri, "job", "status", "-v", jobid)
    assert (status.returncode, status.stderr) == (0, "")


def test_run(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    ok = flux(uri, "run", "echo", "runout")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "runout\n", "")
    failed = flux(uri, "run", "sh", "-c", "echo err >&2; exit 3")
    assert (failed.returncode, failed.stdout, failed.stderr) == (
        3,
        "",
        "err\nflux-job: task(s) exited with exit code 3\n",
    )
    labelled = flux(uri, "run", "-n2", "--label-io", "hostname")
    assert sorted(line.split(":")[0] for line in labelled.stdout.splitlines()) == ["0", "1"]
    missing = flux(uri, "run", "nosuchcmd")
    assert missing.returncode == 127
    assert missing.stderr.endswith("flux-job: task(s) exited with exit code 127\n")
    assert "job.exception ƒ" in missing.stderr and "type=exec severity=0 task 0" in missing.stderr
    assert "start failed: nosuchcmd: No such file or directory" in missing.stderr


def test_submit_errors(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    none = flux(uri, "submit")
    assert (none.returncode, none.stderr) == (1, "flux-submit: ERROR: job command and arguments are missing\n")
    bogus = flux(uri, "submit", "--bogus", "true")
    assert bogus.returncode == 2
    assert bogus.stderr == (
        "usage: flux submit [OPTIONS...] COMMAND [ARGS...]\nflux submit: error: unrecognized arguments: --bogus\n"
    )
    bad = flux(uri, "submit", "-n", "x", "true")
    assert (bad.returncode, bad.stderr) == (1, "flux-submit: ERROR: --ntasks: invalid int value 'x'\n")


def test_dry_run_jobspec(flux_instance: Any) -> None:
    out = flux(flux_instance.uri(0), "submit", "--dry-run", "-n1", "true").stdout
    spec = json.loads(out)
    assert sorted(spec) == ["attributes", "resources", "tasks", "version"]
    assert spec["tasks"] == [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}]
    assert spec["resources"] == [{"type": "slot", "count": 1, "with": [{"type": "core", "count": 1}], "label": "task"}]


def test_waitable_and_job_wait(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "--flags=waitable", "sh", "-c", "exit 2").stdout.strip()
    waited = flux(uri, "job", "wait")
    assert (waited.returncode, waited.stdout, waited.stderr) == (
        1,
        f"{jobid}\n",
        "flux-job: task(s) exited with exit code 2\n",
    )


def test_eventlog_kill_status_cancel(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "sleep", "30").stdout.strip()
    started = flux(uri, "job", "wait-event", "-v", jobid, "start")
    assert times(started.stdout) == (
        "T submit userid={uid} urgency=16 flags=0 version=1\nT validate\nT depend\nT priority priority=16\n"
        'T alloc annotations={{"sched":{{"resource_summary":"rank0/core0"}}}}\nT start\n'
    ).format(uid=__import__("os").getuid())
    log = flux(uri, "job", "eventlog", jobid)
    assert times(log.stdout).startswith("T submit userid=") and "T start\n" in times(log.stdout)
    human = flux(uri, "job", "eventlog", "-f", "offset", "-H", jobid).stdout.splitlines()
    assert re.fullmatch(r"\[\w{3}\d\d \d\d:\d\d\] submit userid=\d+ urgency=16 flags=0 version=1", human[0])
    assert re.fullmatch(r"\[ +\+\d+\.\d{6}\] validate", human[1])
    assert flux(uri, "job", "kill", jobid).returncode == 0
    assert flux(uri, "job", "status", jobid).returncode == 143
    other = flux(uri, "submit", "sleep", "30").stdout.strip()
    assert flux(uri, "cancel", other).returncode == 0
    assert flux(uri, "job", "status", other).returncode == 143
    again = flux(uri, "cancel", other)
    assert (again.returncode, again.stderr) == (1, f"flux-cancel: ERROR: {other}: job is inactive\n")


def test_cancel_errors(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    unknown = flux(uri, "cancel", "f123")
    assert (unknown.returncode, unknown.stderr) == (1, "flux-cancel: ERROR: ƒ23: unknown job id\n")
    none = flux(uri, "cancel")
    assert (none.returncode, none.stderr) == (1, "flux-cancel: ERROR: No target jobs were provided\n")


def test_job_subcommand_errors(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "true").stdout.strip()
    flux(uri, "job", "wait-event", jobid, "clean")
    cases = [
        (["job", "info", jobid, "nosuch"], 1, "flux-job: nosuch: key not found\n"),
        (["job", "id", "--to=bogus", jobid], 1, "flux-job: Unknown to=bogus\n"),
        (["job", "id", "nosuch"], 1, "flux-job: nosuch: malformed input\n"),
        (["job", "status", "f123"], 1, "flux-job: f123: No such job\n"),
        (["job", "attach", "f123"], 1, "flux-job: Failed to attach to f123: No such job\n"),
        (["job", "eventlog", "f123"], 1, "flux-job: job f123 not found\n"),
        (["job", "wait-event", "-t", "0.2", jobid, "nosuchevent"], 1, "flux-job: event 'nosuchevent' never received\n"),
    ]
    for args, status, err in cases:
        got = flux(uri, *args)
        assert (args, got.returncode, got.stderr) == (args, status, err)
    for args in (["job"], ["job", "nosuch"], ["job", "cancel", jobid]):
        got = flux(uri, *args)
        assert got.returncode == 1 and got.stderr.startswith(JOB_USAGE_HEAD + "\nCommon commands from flux-job:\n")
        assert "   wait-event      Wait for an event \n" in got.stderr


def test_id_info_urgency_last(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "--urgency=hold", "true").stdout.strip()
    dec = flux(uri, "job", "id", "--to=dec", jobid).stdout.strip()
    assert dec.isdigit() and flux(uri, "job", "id", dec).stdout.strip() == dec
    assert flux(uri, "job", "id", "--to=f58", dec).stdout.strip() == jobid
    held = flux(uri, "job", "urgency", "-v", jobid, "10")
    assert (held.returncode, held.stderr) == (0, "old urgency: job held\n")
    spec = json.loads(flux(uri, "job", "info", jobid, "jobspec").stdout)
    assert spec["tasks"][0]["command"] == ["true"]
    assert flux(uri, "job", "last").stdout.strip() == jobid


def test_bulksubmit_cc_wait_watch(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    watched = flux(uri, "bulksubmit", "--watch", "echo", "{}", ":::", "a", "b", "c")
    lines = watched.stdout.splitlines()
    assert watched.returncode == 0 and len(lines) == 6 and sorted(lines[3:]) == ["a", "b", "c"]
    assert all(re.fullmatch(r"ƒ\w+", line) for line in lines[:3])
    waited = flux(uri, "bulksubmit", "--wait", "sh", "-c", "exit {}", ":::", "0", "2")
    assert (waited.returncode, len(waited.stdout.splitlines())) == (2, 2)
    cc = flux(uri, "submit", "--cc=1-3", "--watch", "sh", "-c", "echo cc=$FLUX_JOB_CC")
    assert cc.returncode == 0 and sorted(cc.stdout.splitlines()[3:]) == ["cc=1", "cc=2", "cc=3"]
    assert flux(uri, "submit", "--wait", "sh", "-c", "exit 4").returncode == 4
    assert (flux(uri, "submit", "--quiet", "true").stdout, 0) == ("", 0)


def test_batch_and_alloc(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    noslots = flux(uri, "batch")
    assert (noslots.returncode, noslots.stderr) == (
        1,
        "flux-batch: ERROR: Number of slots to allocate must be specified\n",
    )
    empty = flux(uri, "batch", "-n1", input="")
    assert (empty.returncode, empty.stderr) == (1, "flux-batch: ERROR: batch does not appear to start with '#!'\n")
    alloc = flux(uri, "alloc", "-n1", "sh", "-c", "flux run echo inner; flux getattr instance-level; flux getattr size")
    assert (alloc.returncode, alloc.stdout) == (0, "inner\n1\n1\n")
    verbose = flux(uri, "run", "-v", "true")
    assert re.fullmatch(r"jobid: ƒ\w+\n", verbose.stderr) and verbose.returncode == 0


def test_status_json_and_exec_eventlog(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "true").stdout.strip()
    flux(uri, "job", "wait-event", jobid, "clean")
    result = json.loads(flux(uri, "job", "status", "--json", jobid).stdout)
    assert list(result) == ["id", "exception_occurred", "t_submit", "t_run", "t_cleanup", "waitstatus", "result"]
    assert (result["exception_occurred"], result["waitstatus"], result["result"]) == (False, 0, 1)
    names = [line.split()[1] for line in flux(uri, "job", "eventlog", "-p", "exec", jobid).stdout.splitlines()]
    assert names == [
        "init",
        "starting",
        "shell.init",
        "shell.start",
        "shell.task-exit",
        "shell-exit",
        "complete",
        "done",
    ]
    output = times(flux(uri, "job", "eventlog", "-p", "output", jobid).stdout)
    assert output.splitlines()[0] == (
        'T header version=1 encoding={"stdout":"UTF-8","stderr":"UTF-8"} count={"stdout":1,"stderr":1} options={}'
    )
    missing = flux(uri, "job", "eventlog", "-p", "nosuch", jobid)
    assert (missing.returncode, missing.stderr) == (1, "flux-job: eventlog path nosuch not found\n")
    matched = flux(uri, "job", "wait-event", "-m", "status=0", jobid, "finish")
    assert times(matched.stdout) == "T finish status=0\n"
    canceled = flux(uri, "submit", "sleep", "30").stdout.strip()
    flux(uri, "cancel", canceled)
    res = json.loads(flux(uri, "job", "status", "--json", canceled).stdout)
    assert (res["exception_type"], res["exception_severity"], res["result"]) == ("cancel", 0, 4)


BULK_DRY_RUNS = [
    (
        ["echo", "{}", ":::", "a", "b", ":::", "1", "2"],
        0,
        "bulksubmit: submit echo a\n" * 2 + "bulksubmit: submit echo b\n" * 2,
        "",
    ),
    (["--job-name={0.%}", "cat", "{}", ":::", "x.txt"], 0, "bulksubmit: submit --job-name=x cat x.txt\n", ""),
    (["--define=up=x.upper()", "echo", "{0.up}", ":::", "a"], 0, "bulksubmit: submit echo A\n", ""),
    (
        ["echo", "{}", ":::+", "a", "b", ":::", "1", "2", "3"],
        0,
        "bulksubmit: submit echo a\nbulksubmit: submit echo b\nbulksubmit: submit echo a\n",
        "",
    ),
    (["echo", "{5}", ":::", "a"], 1, "", "flux: ERROR: Invalid replacement string in command: '{5}'\n"),
]


def test_bulksubmit_inputs(flux_instance: Any) -> None:
    """As recorded from flux-core's bulksubmit --dry-run."""
    uri = flux_instance.uri(0)
    for args, status, out, err in BULK_DRY_RUNS:
        got = flux(uri, "bulksubmit", "--dry-run", *args)
        assert (args, got.returncode, got.stdout, got.stderr) == (args, status, out, err)
    stdin = flux(uri, "bulksubmit", "--dry-run", "echo", "{seq}", "{}", input="p\nq\n")
    assert stdin.stdout == "bulksubmit: submit echo 0 p\nbulksubmit: submit echo 1 q\n"
    empty = flux(uri, "bulksubmit", "echo", ":::")
    assert (empty.returncode, empty.stderr) == (1, "flux-bulksubmit: ERROR: no jobs provided for bulk submission\n")
    cc = flux(uri, "bulksubmit", "--watch", "--cc=0-1", "echo", "cc{cc}-{}", ":::", "z")
    assert cc.returncode == 0 and sorted(cc.stdout.splitlines()[2:]) == ["cc0-z", "cc1-z"]


def test_stdin_reaches_the_job(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    one = flux(uri, "run", "cat", input="hi\n")
    assert (one.returncode, one.stdout) == (0, "hi\n")
    two = flux(uri, "run", "-n2", "-l", "cat", input="a\nb\n")
    assert sorted(two.stdout.splitlines()) == ["0: a", "0: b", "1: a", "1: b"]
    assert flux(uri, "run", "cat").stdout == ""  # stdin at its end: the job's stdin ends too
    live = flux(uri, "run", "sh", "-c", "echo a; sleep 0.2; echo b")
    assert (live.returncode, live.stdout) == (0, "a\nb\n")


def test_timeleft_namespace_stats(flux_instance: Any) -> None:
    """As recorded from flux-core: seconds left (UINT_MAX when unlimited), FSD with -H."""
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "-t", "10m", "sleep", "30").stdout.strip()
    flux(uri, "job", "wait-event", jobid, "start")
    assert 500 < int(flux(uri, "job", "timeleft", jobid).stdout) <= 600
    assert flux(uri, "job", "timeleft", "-H", jobid).stdout.startswith("9.")
    assert flux(uri, "job", "timeleft").stdout == "4294967295\n"
    dec = flux(uri, "job", "id", jobid).stdout.strip()
    assert flux(uri, "job", "namespace", jobid).stdout == f"job-{dec}\n"
    stats = json.loads(flux(uri, "job", "stats").stdout)
    assert sorted(stats) == ["canceled", "failed", "inactive_purged", "job_states", "queues", "successful", "timeout"]
    flux(uri, "cancel", jobid)
    missing = flux(uri, "job", "timeleft", "f123")
    assert (missing.returncode, missing.stderr) == (1, "flux-job: f123: no such jobid\n")


def test_run_show_events(flux_instance: Any) -> None:
    """flux run -vv: the job id, then each event with its context, as flux-core's attach prints them."""
    got = flux(flux_instance.uri(0), "run", "-vv", "true")
    lines = re.sub(r"^\d+\.\d{3}s", "Ts", got.stderr, flags=re.M).splitlines()
    assert re.fullmatch(r"jobid: ƒ\w+", lines[0])
    assert lines[1:] == [
        f'Ts: job.submit {{"userid":{__import__("os").getuid()},"urgency":16,"flags":0,"version":1}}',
        "Ts: job.validate",
        "Ts: job.depend",
        'Ts: job.priority {"priority":16}',
        'Ts: job.alloc {"annotations":{"sched":{"resource_summary":"rank0/core0"}}}',
        "Ts: job.start",
        'Ts: job.finish {"status":0}',
        'Ts: job.release {"ranks":"all","final":true}',
        "Ts: job.free",
        "Ts: job.clean",
    ]
