"""flux.job end to end against a real fakeflux instance: submit, wait, events, cancel, kill, list, result."""

from __future__ import annotations

import errno
import importlib
import signal
from typing import Any, List

import pytest

from .conftest import flux

importlib.import_module("flux.job")  # explicit, as in flux-core

job = flux.job
JobspecV1 = job.JobspecV1
UNKNOWN = 123456789  # a valid FLUID that no job has


def spec(*command: str, run: str = "", status: int = 0) -> Any:
    js = JobspecV1.from_command(list(command) or ["true"], environment={})
    if run:
        js.setattr("system.exec.test.run_duration", run)  # flux-core's test executor keys
    if status:
        js.setattr("system.exec.test.wait_status", status)
    return js


def test_submit_wait_and_full_eventlog(h: Any) -> None:
    jobid = job.submit(h, spec(), waitable=True)
    assert isinstance(jobid, job.JobID)
    status = job.wait(h, jobid)
    assert status == (int(jobid), True, b"") and isinstance(status, job.JobWaitResult)
    names = [ev.name for ev in job.event_watch(h, jobid)]
    assert names[0] == "submit" and names[-1] == "clean"
    for name in ("depend", "priority", "alloc", "start", "finish", "release", "free"):
        assert name in names


def test_submit_async_get_id_and_the_request_sent(flux_instance: Any, flux_handle: Any) -> None:
    fut = job.submit_async(flux_handle, spec().dumps(), urgency=20, waitable=True)
    assert isinstance(fut, job.SubmitFuture)
    jobid = fut.get_id()
    assert jobid == fut.get_id()
    sub = job.event_wait(flux_handle, jobid, "submit")
    assert sub.context["urgency"] == 20 and sub.context["flags"] == flux.constants.FLUX_JOB_WAITABLE
    trace = flux_instance.format_trace()
    assert "job-ingest.submit" in trace and '"J":' in trace


def test_submit_bytes_and_type_errors(h: Any) -> None:
    assert job.submit(h, spec().dumps().encode()) > 0
    with pytest.raises(TypeError):
        job.submit(h, 42)
    with pytest.raises(OSError) as info:
        job.submit(h, None)
    assert info.value.errno == errno.EINVAL


def test_bad_urgency_is_refused_with_the_service_text(h: Any) -> None:
    with pytest.raises(OSError) as info:
        job.submit(h, spec(), urgency=99)
    assert info.value.errno == errno.EINVAL
    assert "urgency" in str(info.value)


def test_invalid_jobspec_is_refused(h: Any) -> None:
    with pytest.raises(OSError) as info:
        job.submit(h, "{not json")
    assert info.value.errno in (errno.EINVAL, errno.EPROTO)


def test_wait_async_then_and_any(h: Any) -> None:
    ids = [job.submit(h, spec(), waitable=True) for _ in range(3)]
    got: List[Any] = []

    def done(fut: Any) -> None:
        got.append(fut.get_status())

    job.wait_async(h, ids[0]).then(done)
    h.reactor_run()
    assert got[0].jobid == ids[0] and got[0].success
    rest = {job.wait(h).jobid, job.wait(h).jobid}  # FLUX_JOBID_ANY
    assert rest == {int(ids[1]), int(ids[2])}


def test_wait_for_a_job_that_is_not_waitable_is_echild(h: Any) -> None:
    jobid = job.submit(h, spec())
    with pytest.raises(ChildProcessError) as info:
        job.wait(h, jobid)
    assert info.value.errno == errno.ECHILD


def test_failed_job_result(h: Any) -> None:
    jobid = job.submit(h, spec(status=3 << 8), waitable=True)
    status = job.wait(h, jobid)
    assert status.success is False and isinstance(status.errstr, bytes) and status.errstr
    info = job.result(h, jobid)
    assert info.result == "FAILED" and info.returncode == 3
    assert job.result_async(h, jobid).get_dict()["waitstatus"] == 3 << 8


def test_cancel_mid_run(h: Any) -> None:
    jobid = job.submit(h, spec(run="600s"))
    job.event_wait(h, jobid, "start")
    job.cancel(h, jobid, "enough")
    with pytest.raises(job.JobException) as info:
        job.event_wait(h, jobid, "clean")
    assert info.value.type == "cancel" and info.value.severity == 0
    assert str(info.value) == "job.exception: type=cancel: enough"
    clean = job.event_wait(h, jobid, "clean", raiseJobException=False)
    assert clean.name == "clean"
    res = job.result(h, jobid)
    assert res.result == "CANCELED"


def test_cancel_pending_job_before_run(h: Any) -> None:
    jobid = job.submit(h, spec(), urgency=0)  # held
    job.cancel_async(h, jobid).get()
    info = job.result(h, jobid)
    assert info.result == "CANCELED" and info.returncode == -128


def test_kill_running_job(h: Any) -> None:
    jobid = job.submit(h, spec(run="600s"), waitable=True)
    job.event_wait(h, jobid, "start")
    job.kill(h, jobid, signal.SIGKILL)
    status = job.wait(h, jobid)
    assert status.success is False
    assert job.result(h, jobid).returncode == -signal.SIGKILL


def test_job_raise_non_fatal_then_fatal(h: Any) -> None:
    jobid = job.submit(h, spec(run="600s"))
    job.event_wait(h, jobid, "start")
    job.job_raise(h, jobid, "test", severity=3, note="just a note")
    exc = job.event_wait(h, jobid, "exception")
    assert exc.context["severity"] == 3 and exc.context["note"] == "just a note"
    job.job_raise(h, jobid, "mine", 0, "stop")
    res = job.result(h, jobid)
    assert res.result == "FAILED" and res.exception.type == "mine"


def test_errors_users_catch_for_unknown_jobs(h: Any) -> None:
    with pytest.raises(FileNotFoundError):
        job.cancel(h, UNKNOWN)
    with pytest.raises(FileNotFoundError):
        job.event_wait(h, UNKNOWN, "clean")
    with pytest.raises(FileNotFoundError):
        job.job_list_id(h, UNKNOWN).get_job()
    assert job.get_job(h, UNKNOWN) is None
    with pytest.raises(FileNotFoundError):
        job.result(h, UNKNOWN)
    with pytest.raises(OSError) as info:
        job.kill(h, UNKNOWN)
    assert info.value.errno in (errno.ENOENT, errno.EINVAL)
    with pytest.raises(ValueError):
        job.cancel(h, "not-a-jobid")


def test_event_watch_async_then_follows_to_clean(h: Any) -> None:
    jobid = job.submit(h, spec())
    seen: List[str] = []

    def cb(fut: Any) -> None:
        event = fut.get_event()
        if event is None:
            return
        seen.append(event.name)

    job.event_watch_async(h, jobid).then(cb)
    h.reactor_run()
    assert seen[-1] == "clean" and seen[0] == "submit"


def test_event_watch_cancel_ends_stream(h: Any) -> None:
    jobid = job.submit(h, spec(run="600s"))
    watcher = job.event_watch_async(h, jobid)
    assert watcher.get_event().name == "submit"
    watcher.cancel()
    events = []
    while (event := watcher.get_event()) is not None:
        events.append(event.name)
    assert "clean" not in events
    job.cancel(h, jobid)


def test_event_wait_eventlog_ends_before_event(h: Any) -> None:
    jobid = job.submit(h, spec())
    with pytest.raises(OSError) as info:
        job.event_wait(h, jobid, "never-happens")
    assert info.value.errno == errno.ENODATA
    assert "eventlog ended before event='never-happens'" in str(info.value)


def test_job_list_and_joblist(h: Any) -> None:
    ids = [job.submit(h, spec(), waitable=True) for _ in range(3)]
    for jobid in ids:
        job.wait(h, jobid)
    listed = {j["id"] for j in job.job_list(h, max_entries=0).get_jobs()}
    assert set(map(int, ids)) <= listed
    infos = job.JobList(h, ids=[*map(str, ids), str(UNKNOWN)]).jobs()
    assert sorted(i.id for i in infos) == sorted(ids)
    jl = job.JobList(h, ids=[UNKNOWN])
    assert jl.jobs() == [] and jl.errors == [f"JobID {UNKNOWN} unknown"]
    done = job.JobList(h, filters=["completed"]).jobs()
    assert all(i.result == "COMPLETED" for i in done) and set(ids) <= {i.id for i in done}
    one = job.job_list_id(h, ids[0], attrs=["state", "result"]).get_jobinfo()
    assert one.state == "INACTIVE" and one.status_abbrev == "CD"
    with pytest.raises(ValueError, match="Invalid filter"):
        job.JobList(h, filters=["bogus"])


def test_job_info_lookup_and_job_kvs(h: Any) -> None:
    js = spec("hostname")
    jobid = job.submit(h, js, waitable=True)
    job.wait(h, jobid)
    data = job.job_info_lookup(h, jobid, keys=["jobspec"]).get_decode()
    assert data["jobspec"]["tasks"][0]["command"] == ["hostname"]
    original = job.job_kvs_lookup(h, jobid, original=True)
    assert original is not None and original["jobspec"]["tasks"] == js.tasks
    assert job.job_kvs_lookup(h, UNKNOWN) is None
    kvsdir = job.job_kvs(h, jobid)
    assert "eventlog" in list(kvsdir)


def test_handle_none_is_einval() -> None:
    with pytest.raises(OSError) as info:
        job.event_wait(None, 1, "clean")
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError):
        job.submit_get_id(None)
