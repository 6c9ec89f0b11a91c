"""Jobs that really run: local execution over real sockets.

Every expectation here was recorded on real flux-core v0.88 (``flux start
--test-size=2``, jobs submitted with ``flux submit``, logs read with ``flux
job eventlog [-p guest.exec.eventlog|guest.output]`` and ``flux kvs get``)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest

import fakeflux
from fakeflux.broker.jobs import dothex
from fakeflux.broker.jobs.shell import f58
from tests.jobs.test_jobs import WAITABLE, body, events, names, submit
from tests.rawclient import RawClient, error_text

UID = os.getuid()


def jobspec(command: Sequence[str], ntasks: int = 1, nnodes: int = 0, duration: float = 0.0,
            env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None,
            shell_options: Optional[Dict[str, Any]] = None, total: bool = False) -> Dict[str, Any]:
    """What ``flux submit -n N [-N M]`` builds."""
    slot: Dict[str, Any] = {"type": "slot", "count": ntasks, "label": "task", "with": [{"type": "core", "count": 1}]}
    resources: List[Dict[str, Any]] = [slot]
    if nnodes:
        slot["count"] = ntasks // nnodes
        resources = [{"type": "node", "count": nnodes, "with": [slot]}]
    system: Dict[str, Any] = {"duration": duration, "cwd": cwd or os.getcwd(),
                              "environment": env if env is not None else {"PATH": os.environ["PATH"]}}
    if shell_options:
        system["shell"] = {"options": shell_options}
    count = {"total": ntasks} if total or nnodes else {"per_slot": 1}
    return {"version": 1, "resources": resources,
            "tasks": [{"command": list(command), "slot": "task", "count": count}],
            "attributes": {"system": system}}


@pytest.fixture
def inst() -> Iterator[fakeflux.Instance]:
    with fakeflux.Instance(size=2, config={"fakeflux": {"cores-per-rank": 2}, "exec": {"kill-timeout": "0.2s"}}) as i:
        yield i
    assert i.leaks() == []  # no job process outlives its instance


@pytest.fixture
def client(inst: fakeflux.Instance) -> Iterator[RawClient]:
    c = RawClient(inst.uri(0), timeout=30)
    yield c
    c.close()


def kvs_get(c: RawClient, key: str, namespace: str = "primary") -> Optional[str]:
    msg = c.rpc("kvs.lookup", {"key": key, "flags": 0, "namespace": namespace})
    if msg.errnum:
        return None
    return base64_value(body(msg))


def base64_value(answer: Dict[str, Any]) -> str:
    import base64

    return base64.b64decode(answer["val"]["data"]).decode()


def guest(c: RawClient, jobid: int, name: str) -> List[Dict[str, Any]]:
    """An inactive job's guest eventlog (moved into its KVS directory)."""
    text = kvs_get(c, f"job.{dothex(jobid)}.guest.{name}")
    assert text is not None, f"no guest.{name}"
    return [json.loads(line) for line in text.splitlines()]


def run(c: RawClient, js: Dict[str, Any]) -> tuple:
    jobid = submit(c, js)
    return jobid, events(c, jobid)


def wait_running(c: RawClient, jobid: int, ready: str = "") -> None:
    """Until the job has started (and its stdout shows ``ready``, if given)."""
    c.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["state"], "state": 16})
    while ready:
        text = kvs_get(c, "output", namespace=f"job-{jobid}") or ""
        if ready in text:
            return
        time.sleep(0.02)


EXEC_NAMES = ["init", "starting", "shell.init", "shell.start", "shell.task-exit", "shell-exit", "complete", "done"]


def test_exit_code_output_and_exec_eventlog(client: RawClient) -> None:
    jobid, evs = run(client, jobspec(["sh", "-c", "echo out $FLUX_TASK_RANK; echo err >&2; exit 3"],
                                     ntasks=2, nnodes=2))
    assert names(evs) == ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release",
                          "free", "clean"]
    assert evs[6]["context"] == {"status": 768}
    ex = guest(client, jobid, "exec.eventlog")
    assert names(ex) == EXEC_NAMES
    assert ex[2]["context"] == {"service": f"{UID}-shell-{f58(jobid, ascii=True)}", "leader-rank": 0, "size": 2}
    assert ex[3]["context"] == {"taskmap": {"version": 1, "map": [[0, 2, 1, 1]]}}
    exit_ctx = ex[4]["context"]
    assert list(exit_ctx) == ["localid", "rank", "state", "pid", "wait_status", "signaled", "exitcode"]
    assert exit_ctx["state"] == "Exited" and exit_ctx["wait_status"] == 768 and exit_ctx["exitcode"] == 3
    assert exit_ctx["signaled"] == 0
    assert ex[5]["context"] == {"rank": 0, "wait_status": 768}
    assert ex[6]["context"] == {"status": 768}
    out = guest(client, jobid, "output")
    assert out[0]["name"] == "header"
    assert out[0]["context"] == {"version": 1, "encoding": {"stdout": "UTF-8", "stderr": "UTF-8"},
                                 "count": {"stdout": 2, "stderr": 2}, "options": {}}
    data = sorted(json.dumps(e["context"], sort_keys=True) for e in out[1:])
    expected: List[Dict[str, Any]] = [
        {"stream": "stdout", "rank": "0", "data": "out 0\n"}, {"stream": "stdout", "rank": "1", "data": "out 1\n"},
        {"stream": "stderr", "rank": "0", "data": "err\n"}, {"stream": "stderr", "rank": "1", "data": "err\n"}]
    expected += [{"stream": s, "rank": r, "eof": True} for s in ("stdout", "stderr") for r in ("0", "1")]
    assert data == sorted(json.dumps(e, sort_keys=True) for e in expected)
    inp = guest(client, jobid, "input")
    assert inp[0]["context"] == {"version": 1, "encoding": {"stdin": "UTF-8"}, "count": {"stdin": 1}, "options": {}}
    listed = client.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["waitstatus", "result", "success"]})
    assert listed["job"]["waitstatus"] == 768 and listed["job"]["result"] == 2


def test_wait_reports_exit_code(client: RawClient) -> None:
    jobid = submit(client, jobspec(["sh", "-c", "exit 5"]), flags=WAITABLE)
    out = client.rpc_json("job-manager.wait", {"id": jobid})
    assert out == {"id": jobid, "success": False, "errstr": "task(s) exited with exit code 5"}
    ok = submit(client, jobspec(["true"]), flags=WAITABLE)
    assert client.rpc_json("job-manager.wait", {"id": ok}) == {"id": ok, "success": True, "errstr": ""}


@pytest.mark.parametrize("program", ["/nonexistent/cmd", "nonexistentcmd"])
def test_missing_executable(client: RawClient, program: str) -> None:
    jobid, evs = run(client, jobspec([program, "arg"]))
    note = f"task 0 (host {fakeflux_hostname(client)}): start failed: {program}: No such file or directory"
    assert names(evs)[5:] == ["start", "exception", "finish", "release", "free", "clean"]
    assert evs[6]["context"] == {"type": "exec", "severity": 0, "note": note, "userid": UID}
    assert evs[7]["context"] == {"status": 32512}  # 127 << 8
    ex = guest(client, jobid, "exec.eventlog")
    assert names(ex) == ["init", "starting", "shell.init", "shell-exit", "complete", "done"]
    assert ex[3]["context"] == {"rank": 0, "wait_status": 32512}
    out = guest(client, jobid, "output")
    assert names(out) == ["header", "log"]
    assert out[1]["context"] == {"rank": 0, "level": 0, "message": note, "file": "shell.c", "line": 2036}


def fakeflux_hostname(c: RawClient) -> str:
    return str(c.rpc_json("attr.get", {"name": "hostname"})["value"])


def test_task_killed_by_signal(client: RawClient) -> None:
    jobid, evs = run(client, jobspec(["sh", "-c", "kill -SEGV $$"]))
    assert evs[6]["context"] == {"status": 35584}  # (128 + 11) << 8
    ex = guest(client, jobid, "exec.eventlog")
    ctx = ex[4]["context"]
    assert (ctx["wait_status"], ctx["signaled"], ctx["exitcode"]) == (11, 11, 139)
    out = guest(client, jobid, "output")
    assert [e["context"] for e in out[1:]] == [{"stream": "stdout", "rank": "0", "eof": True},
                                               {"stream": "stderr", "rank": "0", "eof": True}] or \
        sorted(e["context"]["stream"] for e in out[1:]) == ["stderr", "stdout"]


def test_time_limit_kills_with_sigalrm(client: RawClient) -> None:
    jobid, evs = run(client, jobspec(["sleep", "30"], duration=0.3))
    assert names(evs)[5:] == ["start", "exception", "finish", "release", "free", "clean"]
    # job-exec packs its own exception with userid before note
    assert list(evs[6]["context"].items()) == [("type", "timeout"), ("severity", 0), ("userid", UID),
                                               ("note", "resource allocation expired")]
    assert evs[7]["context"] == {"status": 36352}  # (128 + SIGALRM) << 8
    ex = guest(client, jobid, "exec.eventlog")
    assert ex[4]["context"]["signaled"] == 14
    job = client.rpc_json("job-list.list-id", {"id": jobid, "attrs": ["result", "exception_type"]})["job"]
    assert job["result"] == 8 and job["exception_type"] == "timeout"


def test_cancel_running_job_sends_sigterm(client: RawClient) -> None:
    jobid = submit(client, jobspec(["sleep", "30"]))
    wait_running(client, jobid)
    client.rpc_json("job-manager.raise", {"id": jobid, "type": "cancel", "severity": 0, "note": ""})
    evs = events(client, jobid)
    assert names(evs)[5:] == ["start", "exception", "finish", "release", "free", "clean"]
    assert evs[6]["context"] == {"type": "cancel", "severity": 0, "note": "", "userid": UID}
    assert evs[7]["context"] == {"status": 36608}  # (128 + SIGTERM) << 8
    assert guest(client, jobid, "exec.eventlog")[4]["context"]["signaled"] == 15


def test_kill_running_job(client: RawClient) -> None:
    jobid = submit(client, jobspec(["sleep", "30"]))
    wait_running(client, jobid)
    assert client.rpc("job-manager.kill", {"id": jobid, "signum": signal.SIGTERM}).errnum == 0
    evs = events(client, jobid)
    assert names(evs)[5:] == ["start", "finish", "release", "free", "clean"]  # no exception
    assert evs[6]["context"] == {"status": 36608}
    bad = client.rpc("job-manager.kill", {"id": jobid, "signum": 15})
    assert bad.errnum == errno.EINVAL and error_text(bad) == "job is inactive"  # as real v0.88


def test_cancel_escalates_to_sigkill(client: RawClient) -> None:
    """A task that ignores SIGTERM gets SIGKILL after exec.kill-timeout."""
    jobid = submit(client, jobspec(["sh", "-c", 'trap "" TERM; echo ready; sleep 30 & wait; sleep 30']))
    wait_running(client, jobid, ready="ready")
    client.rpc_json("job-manager.raise", {"id": jobid, "type": "cancel", "severity": 0, "note": ""})
    evs = events(client, jobid)
    assert evs[7]["context"] == {"status": 35072}  # (128 + SIGKILL) << 8
    ctx = guest(client, jobid, "exec.eventlog")[4]["context"]
    assert (ctx["wait_status"], ctx["signaled"], ctx["exitcode"]) == (9, 9, 137)


def test_output_files_with_templates(client: RawClient, tmp_path: Any) -> None:
    options = {"output": {"stdout": {"type": "file", "path": f"{tmp_path}/out.{{{{id}}}}.{{{{name}}}}"},
                          "stderr": {"type": "file", "path": f"{tmp_path}/err.{{{{id}}}}.txt"}}}
    jobid, _ = run(client, jobspec(["sh", "-c", "echo hi $FLUX_TASK_RANK; echo bad >&2"], ntasks=2,
                                   shell_options=options))
    fid = f58(jobid)
    out_path, err_path = f"{tmp_path}/out.{fid}.sh", f"{tmp_path}/err.{fid}.txt"
    assert sorted(open(out_path).read().splitlines()) == ["hi 0", "hi 1"]
    assert open(err_path).read() == "bad\nbad\n"
    out = guest(client, jobid, "output")
    assert names(out) == ["header", "redirect", "redirect"]
    assert out[1]["context"] == {"stream": "stdout", "rank": "[0-1]", "path": out_path}
    assert out[2]["context"] == {"stream": "stderr", "rank": "[0-1]", "path": err_path}


def test_stderr_follows_stdout_into_its_file(client: RawClient, tmp_path: Any) -> None:
    path = f"{tmp_path}/both.out"
    jobid, _ = run(client, jobspec(["sh", "-c", "echo hi; echo bad >&2"],
                                   shell_options={"output": {"stdout": {"type": "file", "path": path}}}))
    assert sorted(open(path).read().splitlines()) == ["bad", "hi"]
    out = guest(client, jobid, "output")
    assert [e["context"] for e in out[1:]] == [{"stream": "stdout", "rank": "0", "path": path},
                                               {"stream": "stderr", "rank": "0", "path": path}]


def test_environment_and_cwd(inst: fakeflux.Instance, client: RawClient, tmp_path: Any) -> None:
    script = "env | sort; pwd; test -d $FLUX_JOB_TMPDIR && echo tmpdir-exists; ps -o pgid= -p $$ | tr -d ' '; echo $$"
    jobid, _ = run(client, jobspec(["/bin/sh", "-c", script], env={"FOO": "bar", "PATH": "/usr/bin:/bin"},
                                   cwd=str(tmp_path)))
    out = guest(client, jobid, "output")
    lines = "".join(e["context"].get("data", "") for e in out[1:]).splitlines()
    pid, pgid = lines[-1], lines[-2]
    assert pid == pgid  # each task leads a process group of its own
    assert lines[-3] == "tmpdir-exists" and lines[-4] == str(tmp_path)
    env = dict(line.split("=", 1) for line in lines[:-4])
    fid = f58(jobid)
    tmpdir = os.path.join(inst.rundir, f"jobtmp-0-{fid}")
    env.pop("PWD", None)
    env.pop("SHLVL", None)
    env.pop("_", None)
    assert env.pop("PMI_FD").isdigit()
    # the real shell also sets FLUX_PMI_LIBRARY_PATH and prepends its libpmi's
    # directory to LD_LIBRARY_PATH: fakeflux ships no libpmi.so
    assert env == {
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": "-1", "FLUX_JOB_ID": fid,
        "FLUX_JOB_ID_PATH": f"/{fid}", "FLUX_JOB_NNODES": "1", "FLUX_JOB_SIZE": "1", "FLUX_JOB_TMPDIR": tmpdir,
        "FLUX_KVS_NAMESPACE": f"job-{jobid}", "FLUX_TASK_LOCAL_ID": "0", "FLUX_TASK_RANK": "0",
        "FLUX_TERMINUS_SESSION": "0", "FLUX_URI": inst.uri(0), "FOO": "bar",
        "OMPI_MCA_btl_vader_backing_directory": tmpdir, "PATH": "/usr/bin:/bin", "PMI_RANK": "0", "PMI_SIZE": "1",
    }
    assert not os.path.exists(tmpdir)  # removed when the job's shell exits


def test_multi_task_multi_node_placement(inst: fakeflux.Instance, client: RawClient) -> None:
    """3 tasks on 2 ranks of 2 cores: rank 0 runs tasks 0-1, rank 1 task 2."""
    jobid, _ = run(client, jobspec(["sh", "-c", "echo $FLUX_TASK_RANK $FLUX_TASK_LOCAL_ID $FLUX_URI "
                                    "$FLUX_JOB_TMPDIR $FLUX_JOB_NNODES $FLUX_JOB_SIZE"], ntasks=3))
    ex = guest(client, jobid, "exec.eventlog")
    assert ex[2]["context"]["size"] == 2
    assert ex[3]["context"] == {"taskmap": {"version": 1, "map": [[0, 1, 2, 1], [1, 1, 1, 1]]}}
    r = json.loads(kvs_get(client, f"job.{dothex(jobid)}.R") or "{}")
    assert r["execution"]["R_lite"] == [{"rank": "0", "children": {"core": "0-1"}},
                                        {"rank": "1", "children": {"core": "0"}}]
    fid = f58(jobid)
    lines = {e["context"]["rank"]: e["context"]["data"] for e in guest(client, jobid, "output")
             if e["name"] == "data" and "data" in e["context"]}
    assert lines == {
        "0": f"0 0 {inst.uri(0)} {inst.rundir}/jobtmp-0-{fid} 2 3\n",
        "1": f"1 1 {inst.uri(0)} {inst.rundir}/jobtmp-0-{fid} 2 3\n",
        "2": f"2 0 {inst.uri(1)} {inst.rundir}/jobtmp-1-{fid} 2 3\n",
    }


def test_node_request_places_tasks_per_node(client: RawClient) -> None:
    jobid, _ = run(client, jobspec(["true"], ntasks=4, nnodes=2))
    assert guest(client, jobid, "exec.eventlog")[3]["context"] == {"taskmap": {"version": 1, "map": [[0, 2, 2, 1]]}}


def test_stdin_from_file(client: RawClient, tmp_path: Any) -> None:
    path = tmp_path / "in.txt"
    path.write_text("line1\nline2\n")
    options = {"input": {"stdin": {"type": "file", "path": str(path)}}}
    jobid, _ = run(client, jobspec(["cat"], ntasks=2, shell_options=options))
    out = guest(client, jobid, "output")
    for rank in ("0", "1"):
        got = [e["context"]["data"] for e in out if e["context"].get("rank") == rank and "data" in e["context"]]
        assert got == ["line1\n", "line2\n"]


def test_non_utf8_output_is_base64(client: RawClient) -> None:
    jobid, _ = run(client, jobspec(["printf", "\\377\\n"]))
    out = guest(client, jobid, "output")
    assert out[1]["context"] == {"stream": "stdout", "rank": "0", "encoding": "base64", "data": "/wo="}


def test_exec_test_jobs_stay_simulated(client: RawClient) -> None:
    js = jobspec(["/nonexistent"])
    js["attributes"]["system"]["exec"] = {"test": {}}
    _, evs = run(client, js)
    assert evs[6]["context"] == {"status": 0}  # never ran: flux-core's test executor


def test_simulated_choice_for_the_instance() -> None:
    with fakeflux.Instance(size=1, exec="simulated") as inst, RawClient(inst.uri(0)) as c:
        _, evs = run(c, jobspec(["/nonexistent"]))
        assert evs[6]["context"] == {"status": 0}
    with pytest.raises(ValueError, match="exec must be 'local' or 'simulated'"):
        fakeflux.Instance(exec="remote")


def test_bad_exec_setting_is_a_job_exception() -> None:
    with fakeflux.Instance(size=1, config={"fakeflux": {"exec": "remote"}}) as inst, RawClient(inst.uri(0)) as c:
        _, evs = run(c, jobspec(["true"]))
        exc = [e for e in evs if e["name"] == "exception"][0]
        assert exc["context"]["note"] == "fakeflux: [fakeflux] exec must be one of local, simulated, not 'remote'"


def test_stop_kills_running_jobs_and_removes_tmpdirs() -> None:
    inst = fakeflux.Instance(size=2)
    inst.start()
    try:
        with RawClient(inst.uri(0)) as c:
            jobid = submit(c, jobspec(["sh", "-c", "echo $$; echo ready; sleep 60"], ntasks=2))
            wait_running(c, jobid, ready="ready")
            text = kvs_get(c, "output", namespace=f"job-{jobid}") or ""
            while text.count("ready") < 2:  # both tasks, not just the first, have printed their pid
                time.sleep(0.02)
                text = kvs_get(c, "output", namespace=f"job-{jobid}") or ""
            pids = [int(json.loads(line)["context"]["data"]) for line in text.splitlines()
                    if json.loads(line)["context"].get("data", "").strip().isdigit()]
            assert len(pids) == 2
            tmpdir = os.path.join(inst.rundir, f"jobtmp-0-{f58(jobid)}")
            assert os.path.isdir(tmpdir)
    finally:
        inst.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not os.path.exists(tmpdir)
    assert inst.leaks() == []


def test_many_jobs_in_flight(client: RawClient) -> None:
    ids = [submit(client, jobspec(["sh", "-c", f"exit {i % 3}"]), flags=WAITABLE) for i in range(20)]
    results = {client.rpc_json("job-manager.wait", {"id": jobid})["id"]: None for jobid in ids}
    assert set(results) == set(ids)
    statuses = [client.rpc_json("job-list.list-id", {"id": j, "attrs": ["waitstatus"]})["job"]["waitstatus"]
                for j in ids]
    assert statuses == [(i % 3) << 8 for i in range(20)]


def test_wait_any_after_every_job_was_waited_for(client: RawClient) -> None:
    """t0030-journal's waitall: once each waitable job is reaped, wait-any gets ECHILD."""
    ids = [submit(client, jobspec(["true"]), flags=WAITABLE) for _ in range(3)]
    for jobid in ids:
        events(client, jobid)  # all inactive: reaped below from the zombies
    got = {client.rpc_json("job-manager.wait", {"id": 0xFFFFFFFFFFFFFFFF})["id"] for _ in ids}
    assert got == set(ids)
    last = client.rpc("job-manager.wait", {"id": 0xFFFFFFFFFFFFFFFF})
    assert (last.errnum, error_text(last)) == (errno.ECHILD, "there are no more waitable jobs")


MPI_PROGRAM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shell", "mpi_allreduce.py")


@pytest.mark.parametrize("nnodes, node_size", [(0, 2), (2, 1)])
def test_mpi_program_runs_with_the_shells_pmi(client: RawClient, nnodes: int, node_size: int) -> None:
    """An mpi4py program on MPICH's simple PMI client, as under ``flux run -n 2 [-N 2]``."""
    import importlib.util
    import sys

    assert importlib.util.find_spec("mpi4py") is not None, "mpi4py is a test extra (pip install -e '.[test]')"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(sys.path)}
    jobid, evs = run(client, jobspec([sys.executable, MPI_PROGRAM], ntasks=2, nnodes=nnodes, env=env))
    out = guest(client, jobid, "output")
    lines = sorted(e["context"]["data"] for e in out if e["name"] == "data" and "data" in e["context"])
    assert lines == [f"rank {r} of 2 sum 3 node-size {node_size}\n" for r in range(2)], out
    assert evs[6]["context"] == {"status": 0}


def test_pmi_environment_and_pmi_option(client: RawClient) -> None:
    jobid, _ = run(client, jobspec(["sh", "-c", 'echo "$PMI_RANK $PMI_SIZE ${PMI_FD:+fd}"'], ntasks=2))
    lines = sorted(e["context"]["data"] for e in guest(client, jobid, "output") if "data" in e["context"])
    assert lines == ["0 2 fd\n", "1 2 fd\n"]
    # -o pmi=none: no simple PMI, no PMI_* variables
    jobid, _ = run(client, jobspec(["sh", "-c", 'echo "${PMI_RANK:-none}"'], shell_options={"pmi": "none"}))
    assert [e["context"].get("data") for e in guest(client, jobid, "output")][1] == "none\n"


def test_output_file_that_cannot_be_opened(client: RawClient) -> None:
    """As real Flux: the output plugin fails shell.init, no shell.init event, no header."""
    options = {"output": {"stdout": {"type": "file", "path": "/nonexistent/dir/x.out"}}}
    jobid, evs = run(client, jobspec(["true"], shell_options=options))
    assert evs[6]["context"] == {"type": "exec", "severity": 0, "note": "shell_init: No such file or directory",
                                 "userid": UID}
    assert evs[7]["context"] == {"status": 256}
    assert names(guest(client, jobid, "exec.eventlog")) == ["init", "starting", "shell-exit", "complete", "done"]
    assert [e["context"] for e in guest(client, jobid, "output")] == [
        {"rank": 0, "level": 3, "message": "open: /nonexistent/dir/x.out: No such file or directory",
         "component": "output.task", "file": "output/task.c", "line": 104},
        {"rank": 0, "level": 3, "message": "plugin 'output': shell.init failed", "file": "plugstack.c", "line": 168},
        {"rank": 0, "level": 0, "message": "shell_init: No such file or directory", "file": "shell.c", "line": 2155},
    ]


def test_missing_cwd_falls_back_to_tmp(client: RawClient) -> None:
    jobid, evs = run(client, jobspec(["pwd"], cwd="/nonexistent"))
    assert evs[6]["context"] == {"status": 0}
    out = guest(client, jobid, "output")
    assert out[1]["context"] == {"rank": 0, "level": 3, "file": "shell.c", "line": 1603, "message":
                                 f"host {fakeflux_hostname(client)}: Could not change dir to /nonexistent: "
                                 "No such file or directory. Going to /tmp instead"}
    assert out[2]["context"] == {"stream": "stdout", "rank": "0", "data": "/tmp\n"}


def test_verbose_shell_logs(client: RawClient) -> None:
    jobid, _ = run(client, jobspec(["true"], ntasks=2, shell_options={"verbose": 1}))
    logs = [e["context"] for e in guest(client, jobid, "output") if e["name"] == "log"]
    messages = [c["message"] for c in logs]
    assert messages[:2] == ["0: task_count=2 slot_count=2 cores_per_slot=1 slots_per_node=-1",
                            "0: tasks [0-1] on cores 0-1"]
    assert messages[-2:] == ["all shells report tasks complete", "exit 0"]
    assert sorted(m for m in messages if m.startswith("task ")) == ["task 0 complete status=0",
                                                                    "task 1 complete status=0"]
    assert all(c["level"] == 6 for c in logs)


def test_stdin_through_the_shell_service(client: RawClient) -> None:
    """As `echo piped | flux run cat`: flux job attach sends RFC 24 stdin data
    to the shell's service; the shell appends it to guest.input."""
    jobid = submit(client, jobspec(["cat"], ntasks=2))
    wait_running(client, jobid)
    service = f"{UID}-shell-{f58(jobid, ascii=True)}"
    assert client.rpc(f"{service}.stdin", {"stream": "stdin", "rank": "all", "data": "piped\n"}).errnum == 0
    no_such = client.rpc(f"{service}.stdin", {"stream": "stdin", "rank": "7", "data": "x\n"})
    assert no_such.errnum == errno.EPIPE  # not an open task
    assert client.rpc(f"{service}.stdin", {"stream": "stdin", "rank": "all", "eof": True}).errnum == 0
    evs = events(client, jobid)
    assert evs[6]["context"] == {"status": 0}
    inp = guest(client, jobid, "input")
    assert [e["context"] for e in inp[1:]] == [{"stream": "stdin", "rank": "all", "data": "piped\n"},
                                               {"stream": "stdin", "rank": "all", "eof": True}]
    data = sorted(e["context"]["data"] for e in guest(client, jobid, "output") if "data" in e["context"])
    assert data == ["piped\n", "piped\n"]
    gone = client.rpc(f"{service}.stdin", {"stream": "stdin", "rank": "all", "eof": True})
    assert gone.errnum == errno.ENOSYS  # the shell has exited


def test_history_get_as_flux_job_last(client: RawClient) -> None:
    ids = [submit(client, jobspec(["true"])) for _ in range(3)]
    assert client.rpc_json("job-manager.history.get", {"slice": "[:1]"}) == {"jobs": [ids[-1]]}
    assert client.rpc_json("job-manager.history.get", {"slice": "[::-1]"}) == {"jobs": ids}
    assert client.rpc_json("job-manager.history.get", {"slice": "[1:]"}) == {"jobs": ids[1::-1]}
    bad = client.rpc("job-manager.history.get", {"slice": "1"})
    assert (bad.errnum, error_text(bad)) == (errno.EINVAL, "could not parse python-style slice expression")


@pytest.mark.parametrize("option, ending", [
    ({"exit-timeout": "0.3s"}, "exited (Exit 3) and exit-timeout=0.3s has expired"),
    ({"exit-on-error": 1}, "failed (Exit 3) and exit-on-error is set"),
])
def test_first_task_exit_ends_the_job(client: RawClient, option: Dict[str, Any], ending: str) -> None:
    """The shell's doom plugin, as real Flux reports it."""
    js = jobspec(["sh", "-c", "test $FLUX_TASK_RANK = 1 && exit 3; sleep 30"], ntasks=2, shell_options=option)
    jobid, evs = run(client, js)
    note = f"sh: task rank 1 on host {fakeflux_hostname(client)} {ending}"
    assert names(evs)[5:] == ["start", "exception", "finish", "release", "free", "clean"]
    assert evs[6]["context"] == {"type": "exec", "severity": 0, "note": note, "userid": UID, "wait_status": 768}
    assert evs[7]["context"] == {"status": 768}  # the exception's wait status
    ex = guest(client, jobid, "exec.eventlog")
    assert ex[4]["context"]["rank"] == 1 and ex[5]["context"] == {"rank": 0, "wait_status": 768}
    logs = [e["context"] for e in guest(client, jobid, "output") if e["name"] == "log"]
    assert logs == [{"rank": 0, "level": 0, "message": note, "component": "task-exit", "file": "doom.c",
                     "line": 135}]


def test_process_runner_stop_kills_running_jobs() -> None:
    """fakeflux start ended by SIGTERM (Instance.stop of the process runner)."""
    inst = fakeflux.Instance(size=1, runner="process")
    inst.start()
    try:
        with RawClient(inst.uri(0)) as c:
            jobid = submit(c, jobspec(["sh", "-c", "echo $$; sleep 60"]))
            wait_running(c, jobid, ready="\\n")
            text = kvs_get(c, "output", namespace=f"job-{jobid}") or ""
            pid = int(json.loads(text.splitlines()[1])["context"]["data"])
            tmpdir = os.path.join(inst.rundir, f"jobtmp-0-{f58(jobid)}")
    finally:
        inst.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not os.path.exists(tmpdir) and inst.leaks() == []


def test_bad_pmi_option_fails_shell_init(client: RawClient) -> None:
    jobid, evs = run(client, jobspec(["true"], shell_options={"pmi-simple": {"kvs": "foo"}}))
    assert evs[6]["context"] == {"type": "exec", "severity": 0, "note": "shell_init: No such file or directory",
                                 "userid": UID}
    assert evs[7]["context"] == {"status": 256}
    assert names(guest(client, jobid, "exec.eventlog")) == ["init", "starting", "shell-exit", "complete", "done"]
    out = guest(client, jobid, "output")
    assert names(out) == ["header", "log", "log", "log"]
    assert [c["context"]["message"] for c in out[1:]] == [
        "Unknown kvs implementation foo", "plugin 'pmi-simple': shell.init failed",
        "shell_init: No such file or directory"]
    assert out[1]["context"] == {"rank": 0, "level": 3, "message": "Unknown kvs implementation foo",
                                 "component": "pmi-simple", "file": "pmi/pmi.c", "line": 427}


def test_output_limit_truncates_as_the_shell_does(client: RawClient) -> None:
    js = jobspec(["sh", "-c", "echo 123456789; echo abcdefghij; echo xyz >&2"],
                 shell_options={"output": {"limit": 12}})
    jobid, evs = run(client, js)
    assert evs[6]["context"] == {"status": 0}
    out = guest(client, jobid, "output")
    data = [e["context"]["data"] for e in out if "data" in e["context"]]
    assert sorted(data) == ["123456789\n", "xyz\n"]
    logs = [e["context"] for e in out if e["name"] == "log"]
    assert logs == [
        {"rank": 0, "level": 4, "message": "stdout will be truncated, 12 limit exceeded", "component": "output.kvs",
         "file": "output/kvs.c", "line": 302},
        {"rank": 0, "level": 4, "message": "stdout: 9 of 21 bytes truncated", "component": "output.kvs",
         "file": "output/kvs.c", "line": 71},
    ]


def test_exec_choice_reaches_fakeflux_start() -> None:
    """Instance(runner="process", exec=...) runs `fakeflux start --exec ...`."""
    with fakeflux.Instance(size=1, runner="process", exec="simulated") as inst, RawClient(inst.uri(0)) as c:
        _, evs = run(c, jobspec(["/nonexistent"]))
        assert evs[6]["context"] == {"status": 0}  # simulated: never ran
    bad = subprocess.run([sys.executable, "-m", "fakeflux", "start", "--exec", "remote", "--", "true"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "argument --exec: invalid choice: 'remote'" in bad.stderr


@pytest.mark.parametrize("key, value, problem", [
    ("environment", ["A=1"], "attributes.system.environment is not object type"),
    ("cwd", 5, "Expected string, got integer"),
])
def test_jobspec_the_shell_cannot_parse(client: RawClient, key: str, value: Any, problem: str) -> None:
    """As real Flux: the shell dies before it can raise an exception; exit 1, logs of rank -1."""
    js = jobspec(["true"])
    js["attributes"]["system"][key] = value
    jobid, evs = run(client, js)
    assert names(evs)[5:] == ["start", "finish", "release", "free", "clean"]
    assert evs[6]["context"] == {"status": 256}
    assert [e["context"] for e in guest(client, jobid, "output")] == [
        {"rank": -1, "level": 3, "message": f"error parsing jobspec: {problem}", "file": "info.c", "line": 184},
        {"rank": -1, "level": 0, "message": "failed to initialize shell info", "file": "shell.c", "line": 2094},
    ]


def test_missing_input_file(client: RawClient) -> None:
    js = jobspec(["cat"], shell_options={"input": {"stdin": {"type": "file", "path": "/nonexistent"}}})
    jobid, evs = run(client, js)
    note = "error opening input file '/nonexistent': No such file or directory"
    assert evs[6]["context"] == {"type": "exec", "severity": 0, "note": note, "userid": UID}
    assert evs[7]["context"] == {"status": 15}  # the dying shell is ended by job-exec's SIGTERM
    logs = [e["context"] for e in guest(client, jobid, "output") if e["name"] == "log"]
    assert logs == [{"rank": 0, "level": 0, "message": note, "component": "input.file", "file": "input/file.c",
                     "line": 68}]


def test_nul_in_a_jobspec_string_is_refused_at_submit(client: RawClient) -> None:
    from tests.jobs.test_jobs import signed

    js = jobspec(["echo", "a\u0000b"])
    resp = client.rpc("job-ingest.submit", {"J": signed(js), "urgency": 16, "flags": 0})
    assert resp.errnum == errno.EINVAL
    assert error_text(resp) == ("jobspec: invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL "
                                "near '\"a\\u0000b\"'")


def test_each_job_gets_an_empty_fresh_tmpdir(tmp_path: Any) -> None:
    """FLUX_JOB_TMPDIR directories are recycled (renamed aside, emptied)
    rather than removed and made again; no job may tell: each sees an empty
    directory of mode 0700 made at its start, gone when its shell exits, and
    nothing stays in a kept rundir once the instance stops."""
    rundir, outside = tmp_path / "rundir", tmp_path / "outside"
    rundir.mkdir()
    outside.mkdir()
    (outside / "keep").write_text("x")
    fill = ("ls -A $FLUX_JOB_TMPDIR | wc -l; stat -c %a $FLUX_JOB_TMPDIR; "
            "echo $(( $(date +%s) - $(stat -c %Y $FLUX_JOB_TMPDIR) )); "
            "mkdir -p $FLUX_JOB_TMPDIR/d/e; touch $FLUX_JOB_TMPDIR/f $FLUX_JOB_TMPDIR/d/e/g; "
            f"ln -s {outside} $FLUX_JOB_TMPDIR/l; chmod 755 $FLUX_JOB_TMPDIR")
    with fakeflux.Instance(size=1, rundir=str(rundir)) as i:
        c = RawClient(i.uri(0), timeout=30)
        try:
            for n in range(3):
                if n == 1:
                    time.sleep(1.1)  # so that a reused directory's old mtime would show
                jobid, _ = run(c, jobspec(["sh", "-c", fill]))
                out = guest(c, jobid, "output")
                lines = "".join(e["context"].get("data", "") for e in out[1:]).split()
                assert lines[:2] == ["0", "700"], lines
                assert int(lines[2]) <= 1  # its mtime is its job's start
                assert not os.path.exists(os.path.join(str(rundir), f"jobtmp-0-{f58(jobid)}"))
        finally:
            c.close()
    assert (outside / "keep").read_text() == "x"  # a symlink in a tmpdir is removed, not followed
    assert sorted(os.listdir(rundir)) == []


@pytest.mark.parametrize("kind", ["not executable", "directory"])
def test_unexecutable_program(client: RawClient, tmp_path: Any, kind: str) -> None:
    """Recorded on real Flux: "start failed: PATH: Permission denied", exit 126."""
    program = tmp_path / "prog"
    if kind == "directory":
        program.mkdir()
    else:
        program.write_text("echo hi\n")
        program.chmod(0o644)
    jobid, evs = run(client, jobspec([str(program)]))
    note = f"task 0 (host {fakeflux_hostname(client)}): start failed: {program}: Permission denied"
    assert evs[6]["context"] == {"type": "exec", "severity": 0, "note": note, "userid": UID}
    assert evs[7]["context"] == {"status": 32256}  # 126 << 8
    # found on PATH after a directory where it is missing: the same answer
    jobid, evs = run(client, jobspec(["prog"], env={"PATH": f"/nonexistent:{tmp_path}"}))
    assert evs[6]["context"]["note"].endswith("start failed: prog: Permission denied")


def test_no_broker_descriptor_reaches_a_task(client: RawClient) -> None:
    """A task holds its stdin, stdout, stderr and its PMI channel, nothing
    else, even a descriptor the broker's process has open as inheritable
    (on real Flux: 0, 1, 2 and PMI_FD)."""
    stray = os.open("/dev/null", os.O_RDONLY)
    high = os.dup2(stray, 60, inheritable=True)
    try:
        jobid, _ = run(client, jobspec(["sh", "-c", "ls /proc/$$/fd; echo PMI_FD=$PMI_FD"]))
    finally:
        os.close(high)
        os.close(stray)
    out = guest(client, jobid, "output")
    lines = "".join(e["context"].get("data", "") for e in out[1:]).split()
    pmi_fd = lines[-1].split("=")[1]
    assert sorted(lines[:-1], key=int) == ["0", "1", "2", pmi_fd]
