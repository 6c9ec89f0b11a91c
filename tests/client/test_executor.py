"""flux.job.FluxExecutor end to end, as Parsl, PSI/J and snakemake drive it (cf. flux-core's t0023)."""

from __future__ import annotations

import concurrent.futures
import importlib
import threading
from typing import Any, List

import pytest

from .conftest import flux

importlib.import_module("flux.job")  # explicit, as in flux-core

job = flux.job
TIMEOUT = 30


def spec(run: str = "", status: int = 0) -> Any:
    js = job.JobspecV1.from_command(["true"], environment={})
    if run:
        js.setattr("system.exec.test.run_duration", run)
    if status:
        js.setattr("system.exec.test.wait_status", status)
    return js


@pytest.fixture
def executor(uri: str) -> Any:
    with job.FluxExecutor(threads=2, handle_args=(uri,)) as ex:
        yield ex


def test_many_jobs_results_and_jobids(executor: Any) -> None:
    futures = [executor.submit(spec(status=(i % 3) << 8)) for i in range(40)]
    results = [f.result(timeout=TIMEOUT) for f in futures]
    assert results == [i % 3 for i in range(40)]
    ids = [f.jobid() for f in futures]
    assert len(set(ids)) == 40 and all(isinstance(i, job.JobID) for i in ids)


def test_signal_exit_is_negative(executor: Any) -> None:
    assert executor.submit(spec(status=9)).result(timeout=TIMEOUT) == -9


def test_callbacks_jobid_events_done(executor: Any) -> None:
    got: List[Any] = []
    lock = threading.Lock()
    done = threading.Event()

    def record(*args: Any) -> None:
        with lock:
            got.append(args)

    fut = executor.submit(spec())
    fut.add_jobid_callback(lambda f: record("jobid", f.jobid()))
    fut.add_event_callback("start", lambda f, ev: record("start", ev.name))

    def on_clean(f: Any, ev: Any) -> None:
        record("clean", ev.name)
        done.set()

    fut.add_event_callback("clean", on_clean)
    assert fut.add_done_callback(lambda f: record("done", f.result())) is fut
    assert fut.result(timeout=TIMEOUT) == 0
    assert done.wait(TIMEOUT)
    kinds = [g[0] for g in got]
    assert kinds.index("jobid") < kinds.index("start") < kinds.index("clean")
    assert ("done", 0) in got
    late: List[str] = []
    fut.add_event_callback("submit", lambda f, ev: late.append(ev.name))  # already happened: called now
    assert late == ["submit"]
    with pytest.raises(ValueError):
        fut.add_event_callback("no-such-event", lambda f, ev: None)


def test_cancel_mid_run_sets_job_exception(executor: Any, h: Any) -> None:
    started = threading.Event()
    fut = executor.submit(spec(run="600s"))
    fut.add_event_callback("start", lambda f, ev: started.set())
    assert started.wait(TIMEOUT)
    job.cancel(h, fut.jobid(), "cancel from the test")
    with pytest.raises(job.JobException) as info:
        fut.result(timeout=TIMEOUT)
    assert "type=cancel" in str(info.value)  # what PSI/J checks


def test_invalid_jobspec_sets_oserror_and_jobid_raises(executor: Any) -> None:
    fut = executor.submit("{not a jobspec")
    with pytest.raises(OSError):
        fut.result(timeout=TIMEOUT)
    with pytest.raises(RuntimeError, match="job could not be submitted"):
        fut.jobid()


def test_attach_to_existing_and_unknown_jobs(executor: Any, h: Any) -> None:
    jobid = job.submit(h, spec(status=5 << 8))
    assert executor.attach(jobid).result(timeout=TIMEOUT) == 5
    fut = executor.attach(123456789)
    with pytest.raises(ValueError, match="job ID does not match any job"):
        fut.result(timeout=TIMEOUT)
    assert fut.jobid() == 123456789


def test_result_from_inside_a_callback_is_refused(executor: Any) -> None:
    errors: List[BaseException] = []
    seen = threading.Event()

    def cb(f: Any, _event: Any) -> None:
        try:
            f.result()  # "finish" callbacks run before the result is set, in the executor's thread
        except RuntimeError as exc:
            errors.append(exc)
        seen.set()

    fut = executor.submit(spec(run="0.3s"))
    fut.add_event_callback("finish", cb)
    assert seen.wait(TIMEOUT) and fut.result(timeout=TIMEOUT) == 0
    assert errors and "Cannot wait for future from inside callback" in str(errors[0])


def test_jobid_timeout_and_cancelled_future(uri: str) -> None:
    with job.FluxExecutor(handle_args=(uri,)) as ex:
        fut = job.FluxExecutorFuture(threading.get_ident())
        with pytest.raises(concurrent.futures.TimeoutError):
            fut.jobid(timeout=0.01)
        assert fut.cancel()
        with pytest.raises(concurrent.futures.CancelledError):
            fut.jobid()
        assert ex.submit(spec()).result(timeout=TIMEOUT) == 0


def test_shutdown_semantics(uri: str) -> None:
    ex = job.FluxExecutor(handle_args=(uri,))
    futs = [ex.submit(spec()) for _ in range(5)]
    ex.shutdown(wait=True)
    assert all(f.done() and f.result() == 0 for f in futs)  # shutdown waits for running jobs
    assert not any(t.is_alive() for t in ex._executor_threads)
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        ex.submit(spec())
    ex.shutdown()  # again: harmless


def test_shutdown_cancel_futures(uri: str) -> None:
    ex = job.FluxExecutor(handle_args=(uri,))
    futs = [ex.submit(spec()) for _ in range(20)]
    ex.shutdown(wait=True, cancel_futures=True)
    assert all(f.done() for f in futs)
    assert all(f.cancelled() or f.result() == 0 for f in futs)


def test_unreachable_instance_fails_at_construction(tmp_path: Any) -> None:
    with pytest.raises(OSError):
        job.FluxExecutor(handle_args=(f"local://{tmp_path}/nowhere",))


def test_threads_must_not_be_negative() -> None:
    with pytest.raises(ValueError):
        job.FluxExecutor(threads=-1)
