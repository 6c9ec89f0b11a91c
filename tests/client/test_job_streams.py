"""flux.job against a running fake instance: the journal, output, watcher, stats, timeleft, queues,
the executor's thread and CLI plugins.

Expectations are what flux-core 0.88.0-59 (4a5e79f) answered on a real ``flux start`` for the
same calls (texts, errnos, the shape of the journal stream); job ids differ, so texts carrying
one are built from the id.
"""

from __future__ import annotations

import collections
import errno
import importlib
import math
import os
import sys
import textwrap
import threading
from typing import Any, Iterator, List

import pytest

import fakeflux

from .conftest import flux

job = importlib.import_module("flux.job")
JobspecV1 = job.JobspecV1
JobStats = importlib.import_module("flux.job.stats").JobStats
QueueList = importlib.import_module("flux.queue").QueueList
executor = importlib.import_module("flux.job.executor")
watcher = importlib.import_module("flux.job.watcher")
constants = importlib.import_module("flux.constants")


@pytest.fixture
def fh() -> Iterator[Any]:
    """A handle on a fresh 2-rank instance (journal and stats tests count jobs)."""
    with fakeflux.Instance(size=2) as inst:
        handle = flux.Flux(inst.uri(0))
        yield handle
        handle.__exit__(None, None, None)


def run_jobs(fh: Any, count: int, command: Any = ("true",)) -> List[int]:
    ids = [job.submit(fh, JobspecV1.from_command(list(command)), waitable=True) for _ in range(count)]
    for jobid in ids:
        job.wait(fh, jobid)
    return ids


def held_job(fh: Any) -> int:
    return int(job.submit(fh, JobspecV1.from_command(["true"]), urgency=constants.FLUX_JOB_URGENCY_HOLD))


def journal_backlog(fh: Any, full: bool) -> List[Any]:
    rpc = fh.rpc("job-manager.events-journal", {"full": full}, flags=constants.FLUX_RPC_STREAMING)
    responses = []
    while True:
        resp = rpc.get()
        rpc.reset()
        responses.append(resp)
        if resp["id"] == -1:
            return responses


# -- the journal --------------------------------------------------------------------------------
MAIN_EVENTS = ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]


def test_journal_backlog_is_one_response_per_job_then_the_sentinel(fh: Any) -> None:
    ids = run_jobs(fh, 2)
    responses = journal_backlog(fh, full=True)
    assert [r["id"] for r in responses] == [*ids, -1]
    for resp in responses[:-1]:
        assert sorted(resp) == ["R", "events", "id", "jobspec"]
        assert [e["name"] for e in resp["events"]] == MAIN_EVENTS
        assert "environment" not in resp["jobspec"]["attributes"]["system"]  # redacted, as job-ingest stores it
    assert responses[-1] == {"id": -1, "events": []}


def test_journal_without_full_leaves_out_inactive_jobs(fh: Any) -> None:
    run_jobs(fh, 1)
    held = held_job(fh)
    responses = journal_backlog(fh, full=False)
    assert [r["id"] for r in responses] == [held, -1]
    job.cancel(fh, held)


def test_journal_consumer_history_in_time_order_with_jobspec_and_R(fh: Any) -> None:
    run_jobs(fh, 2)
    consumer = job.JournalConsumer(fh, include_sentinel=True).start()
    events = []
    while True:
        event = consumer.poll(5.0)
        if event.is_empty():
            break
        events.append(event)
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert sorted(e.name for e in events) == sorted(MAIN_EVENTS * 2)
    for event in events:
        assert (event.jobspec is not None) == (event.name == "submit")
        assert (event.R is not None) == (event.name == "alloc")
    consumer.stop()
    assert consumer.poll(5.0) is None  # the stream ends (ENODATA) after stop


def test_journal_consumer_since_skips_older_events(fh: Any) -> None:
    run_jobs(fh, 1)
    first = job.JournalConsumer(fh).start()
    events = [first.poll(5.0) for _ in MAIN_EVENTS]
    first.stop()
    later = job.JournalConsumer(fh, since=events[4].timestamp).start()
    assert [later.poll(5.0).name for _ in range(5)] == MAIN_EVENTS[5:]
    later.stop()


def test_journal_consumer_errors(fh: Any) -> None:
    with pytest.raises(RuntimeError, match=r"^poll\(\) called before start\(\)$"):
        job.JournalConsumer(fh).poll(1.0)
    consumer = job.JournalConsumer(fh, full=False).start()
    with pytest.raises(TimeoutError):
        consumer.poll(timeout=0.05)
    consumer.stop()
    assert consumer.poll(5.0) is None


def test_journal_consumer_callback_can_be_replaced(fh: Any) -> None:
    seen: List[Any] = []

    def wrong(event: Any) -> None:
        raise AssertionError("replaced callback called")

    def right(event: Any) -> None:
        seen.append(event)
        if event is not None and event.is_empty():
            consumer.stop()

    consumer = job.JournalConsumer(fh, include_sentinel=True)
    consumer.set_callback(wrong)
    consumer.start()
    consumer.set_callback(right)
    fh.reactor_run()  # returns once the stream has ended
    assert seen and seen[-1].is_empty()
    assert str(seen[-1]) == "-1: End of historical data stream"


# -- output -------------------------------------------------------------------------------------
def test_job_output_and_watchers(fh: Any) -> None:
    jobid = job.submit(fh, JobspecV1.from_command(["sh", "-c", "echo out; echo err >&2"]))
    out = job.job_output(fh, jobid)
    assert (out.stdout, out.stderr, out.log) == ("out\n", "err\n", "")
    assert sorted(job.output_watch_lines(fh, jobid)) == [("stderr", "err"), ("stdout", "out")]
    names = [e.name for e in job.output_event_watch(fh, jobid)]
    assert names[0] == "header" and set(names[1:]) == {"data"}


def test_job_output_of_unknown_job(fh: Any) -> None:
    with pytest.raises(FileNotFoundError) as exc:
        job.job_output(fh, 1234567)
    assert str(exc.value) == "[Errno 2] No such file or directory"
    with pytest.raises(FileNotFoundError) as exc:
        job.job_output(fh, 1234567, nowait=True)
    assert str(exc.value) == f"job {job.JobID(1234567)} does not exist or output not ready"


def test_output_of_a_job_that_never_started(fh: Any) -> None:
    jobid = held_job(fh)
    job.cancel(fh, jobid)
    with pytest.raises(OSError) as exc:
        list(job.output_watch(fh, jobid))
    assert (exc.value.errno, exc.value.strerror) == (errno.EIO, f"job {job.JobID(jobid)} never started")
    with pytest.raises(job.JobException) as jexc:
        job.job_output(fh, jobid)
    assert str(jexc.value) == "job.exception: type=cancel: "


# -- watcher ------------------------------------------------------------------------------------
def test_job_watcher_output_callback_and_exit_code(fh: Any) -> None:
    jobid = job.submit(fh, JobspecV1.from_command(["sh", "-c", "echo hello; exit 3"]))
    got: List[Any] = []
    jw = watcher.JobWatcher(fh, output_callback=lambda *args: got.append(args))
    jw.add_jobid(jobid)
    jw.start()
    fh.reactor_run()
    jw.stop()
    assert (jobid, "stdout", "hello\n") in got
    assert got[-1] == (jobid, None, None)
    assert jw.exitcode == 3


def test_job_status_from_job_info() -> None:
    with pytest.raises(ValueError, match="^JobStatus requires an object of type JobInfo$"):
        watcher.JobStatus("x")
    status = watcher.JobStatus(job.JobInfo({"id": 1, "state": constants.FLUX_JOB_STATE_SCHED}))
    assert (status.status, status.exitcode, status.active) == ("pending", 0, True)


# -- stats, timeleft, queues ----------------------------------------------------------------------
def test_job_stats(fh: Any) -> None:
    stats = JobStats(fh)
    assert stats.inactive == -1 and stats.active == -1
    run_jobs(fh, 2)
    stats.update_sync()
    got = {name: getattr(stats, name) for name in stats.states + stats.stats + stats.derived_stats}
    assert got == {
        "depend": 0,
        "priority": 0,
        "sched": 0,
        "run": 0,
        "cleanup": 0,
        "inactive": 2,
        "total": 2,
        "successful": 2,
        "failed": 0,
        "timeout": 0,
        "canceled": 0,
        "inactive_purged": 0,
        "pending": 0,
        "running": 0,
        "active": 0,
    }
    with pytest.raises(ValueError, match="^no stats available for queue nope$"):
        JobStats(fh, queue="nope").update_sync()


def test_timeleft(fh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUX_JOB_ID", raising=False)
    assert job.timeleft(fh) == math.inf  # the instance has no expiration
    done = run_jobs(fh, 1)[0]
    for text, errnum, message in [
        ("notanid", errno.EINVAL, "failed to parse jobid notanid"),
        ("123456", errno.ENOENT, "123456: no such jobid"),
    ]:
        monkeypatch.setenv("FLUX_JOB_ID", text)
        with pytest.raises(OSError) as exc:
            job.timeleft(fh)
        assert (exc.value.errno, exc.value.strerror) == (errnum, message)
    monkeypatch.setenv("FLUX_JOB_ID", str(done))
    assert job.timeleft(fh) == 0.0  # finished
    held = held_job(fh)
    monkeypatch.setenv("FLUX_JOB_ID", str(held))
    assert job.timeleft(fh) == 0.0  # not started: flux-core's binding returns 0.0 too
    job.cancel(fh, held)


def test_timeleft_inside_a_job(fh: Any) -> None:
    code = "import flux.job; print(50 < flux.job.timeleft() <= 60)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    jobid = job.submit(fh, JobspecV1.from_command([sys.executable, "-c", code], duration="1m", environment=env))
    assert job.job_output(fh, jobid) == ("True\n", "", "")


def test_queue_list(fh: Any) -> None:
    queues = QueueList(fh)
    queue = queues[""]
    assert list(queues) == [queue]
    assert (queue.name, queue.enabled, queue.started, queue.is_default, queue.parent, queue.blocked) == (
        "",
        True,
        True,
        True,
        "",
        None,
    )
    assert (queue.limits.duration, queue.limits.max.nnodes, queue.limits.min.ncores) == (math.inf, math.inf, 0)
    assert queue.resources.all.nnodes == 2
    with pytest.raises(ValueError, match="^No such queue: x$"):
        QueueList(fh, ["x"])


# -- executor thread ----------------------------------------------------------------------------
def test_executor_thread_settles_bad_packages(fh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_URI", fh.attr_get("local-uri"))
    queue: Any = collections.deque()
    done = threading.Event()
    thread = executor._FluxExecutorThread(threading.Event(), done, queue, 0.01, (), {})
    futures = [executor.FluxExecutorFuture(threading.get_ident()) for _ in range(3)]
    queue.append(executor._SubmitPackage((None,), {}, futures[0]))
    queue.append(executor._AttachPackage(-1, futures[1]))
    queue.append(executor._AttachPackage(0, futures[2]))
    done.set()
    thread.run()
    assert not queue and not thread._FluxExecutorThread__running_user_futures
    assert isinstance(futures[0].exception(), OSError)
    assert isinstance(futures[1].exception(), OverflowError)  # cffi's, for a negative flux_jobid_t
    with pytest.raises(ValueError, match="^job ID does not match any job$"):
        futures[2].result(timeout=0)
    thread.run()  # runs again (the handle is reopened) and returns at once


# -- CLI plugins --------------------------------------------------------------------------------
def test_cli_plugin_options_and_callbacks(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p1.py").write_text(
        textwrap.dedent(
            """\
            from flux.cli.plugin import CLIPlugin

            class First(CLIPlugin):
                def __init__(self, prog):
                    super().__init__(prog, prefix="site")
                    self.add_option("--my-opt", default="dflt", help="mine")

                def modify_jobspec(self, args, jobspec):
                    jobspec.setattr_shell_option("mine", args.my_opt)

            class Second(CLIPlugin):
                def __init__(self, prog):
                    super().__init__(prog, prefix="site")
                    self.add_option("--my-opt", help="same dest: dropped")
            """
        )
    )
    monkeypatch.setenv("FLUX_CLI_PLUGINPATH", str(tmp_path))
    registry = importlib.import_module("flux.cli.plugin").CLIPluginRegistry("submit")
    assert [type(p).__name__ for p in registry.plugins] == ["First", "ShapePlugin"]
    assert [opt.dest for opt in registry.options] == ["site_my_opt", "resources_shape", "resources_json"]
    js = JobspecV1.from_command(["true"]).apply_options(prog="submit")
    assert js.getattr("shell.options.mine") == "dflt"
    js = JobspecV1.from_submit(["true"], site_my_opt="given")
    assert js.getattr("shell.options.mine") == "given"
    with pytest.raises(TypeError, match=r"^apply_options\(\) got unexpected keyword argument\(s\): 'my_opt'$"):
        JobspecV1.from_command(["true"]).apply_options(prog="submit", my_opt=1)


# -- KVS lookups ----------------------------------------------------------------------------------
def test_job_kvs_lookup_of_several_jobs(fh: Any) -> None:
    spec = JobspecV1.from_command(["true"], environment={"A": "1"})
    jobid = job.submit(fh, spec, waitable=True)
    job.wait(fh, jobid)
    lookup = job.JobKVSLookup(fh, [jobid, 123456], keys=["jobspec", "R"], original=True)
    data = lookup.data()
    assert [sorted(d) for d in data] == [["R", "id", "jobspec"]]
    assert lookup.errors == ["JobID 123456 unknown"]
    assert data[0]["jobspec"]["attributes"]["system"]["environment"] == {"A": "1"}  # as submitted (J)
    assert isinstance(data[0]["R"], dict)
    raw = job.JobKVSLookup(fh, [jobid], decode=False).data()
    assert sorted(raw[0]) == ["id", "jobspec"] and isinstance(raw[0]["jobspec"], str)
    assert job.JobKVSLookup(fh).data() == []


# -- NULL arguments -------------------------------------------------------------------------------
def test_null_arguments_fail_as_in_flux_core(fh: Any) -> None:
    ffi = importlib.import_module("flux.core.inner").ffi
    js = JobspecV1.from_command(["true"])
    invalid = (errno.EINVAL, "EINVAL: Invalid argument")
    cases = [
        (lambda: job.submit(ffi.NULL, js), invalid),
        (lambda: job.submit_get_id(ffi.NULL), (errno.EINVAL, "future must not be None/NULL")),
        (lambda: job.submit(fh, ffi.NULL), (errno.EINVAL, "jobspec must not be None/NULL")),
        (lambda: job.wait(ffi.NULL), invalid),
        (lambda: job.kill(ffi.NULL, 1), invalid),
        (lambda: job.cancel(ffi.NULL, 1), invalid),
        (lambda: job.event_watch_async(ffi.NULL, 1), invalid),
        (lambda: job.wait_get_status(ffi.NULL), (errno.EINVAL, "future must not be None/NULL")),
    ]
    for call, (errnum, text) in cases:
        with pytest.raises(OSError) as exc:
            call()
        assert exc.value.args == (errnum, text)
    with pytest.raises(AttributeError, match="^cdata 'void \\*' has no attribute 'handle'$"):
        job.job_raise(ffi.NULL, 1, "x")  # flux-core reads .handle of it first
    assert job.ffi is ffi


def _pipes() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
        except OSError:
            pass  # closed meanwhile
    return count


def test_executor_threads_that_never_ran_leave_no_pipes(fh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    monkeypatch.setenv("FLUX_URI", fh.attr_get("local-uri"))
    gc.collect()  # what earlier tests left to the collector goes first
    before = _pipes()
    threads = [
        executor._FluxExecutorThread(threading.Event(), threading.Event(), collections.deque(), 0.01, (), {})
        for _ in range(5)
    ]
    assert _pipes() == before + 10  # each has a wake-up pipe
    del threads
    gc.collect()
    assert _pipes() == before


def test_job_list_keeps_annotations_of_inactive_jobs(fh: Any) -> None:
    jobid = run_jobs(fh, 1)[0]
    info = job.job_list_id(fh, jobid, ["state", "annotations"]).get_jobinfo()
    assert info.state == "INACTIVE"
    assert info.annotations.sched.resource_summary == "rank0/core0"  # as real job-list keeps it


def test_journal_allow_deny_filters_and_errors(fh: Any) -> None:
    run_jobs(fh, 1)

    def names(payload: Any) -> List[Any]:
        rpc = fh.rpc("job-manager.events-journal", payload, flags=constants.FLUX_RPC_STREAMING)
        first = rpc.get()
        return [e["name"] for e in first["events"]]

    assert names({"full": True, "allow": {"submit": 1, "clean": 1}}) == ["submit", "clean"]
    assert names({"full": True, "deny": {"submit": 1, "alloc": 1, "validate": 1}}) == [
        "depend",
        "priority",
        "start",
        "finish",
        "release",
        "free",
        "clean",
    ]
    assert names({"full": True, "allow": {"nope": 1}}) == []  # the job's response comes, empty
    for payload, flags, text in [
        ({"full": 1}, constants.FLUX_RPC_STREAMING, "Protocol error"),
        ({"full": True}, 0, "job-manager.events requires streaming RPC flag"),
        ({"allow": ["x"]}, constants.FLUX_RPC_STREAMING, "job-manager.events allow should be an object"),
        ({"deny": 1}, constants.FLUX_RPC_STREAMING, "job-manager.events deny should be an object"),
    ]:
        with pytest.raises(OSError) as exc:
            fh.rpc("job-manager.events-journal", payload, flags=flags).get()
        assert (exc.value.errno, exc.value.strerror) == (errno.EPROTO, text)


def test_job_manager_getattr(fh: Any) -> None:
    done = job.submit(fh, JobspecV1.from_command(["true"], environment={"A": "1"}), waitable=True)
    job.wait(fh, done)
    held = held_job(fh)

    def getattr_(payload: Any) -> Any:
        return fh.rpc("job-manager.getattr", payload).get()

    got = getattr_({"id": done, "attrs": ["jobspec", "R", "eventlog"]})  # inactive jobs too
    assert sorted(got) == ["R", "eventlog", "jobspec"]
    assert got["jobspec"]["attributes"] == {"system": {"duration": 0}}  # redacted
    assert [e["name"] for e in got["eventlog"]] == MAIN_EVENTS  # entries, not text
    assert getattr_({"id": held, "attrs": {}}) == {}
    for payload, errnum, text in [
        ({"id": held, "attrs": ["R"]}, errno.ENOENT, "R is NULL"),
        ({"id": 12345, "attrs": ["jobspec"]}, errno.EINVAL, "unknown job"),
        ({"id": held, "attrs": ["x"]}, errno.ENOENT, "unknown attr x"),
        ({"id": held, "attrs": [1]}, errno.EPROTO, "attribute list contains non-string"),
        ({"id": held}, errno.EPROTO, "Protocol error"),
    ]:
        with pytest.raises(OSError) as exc:
            getattr_(payload)
        assert (exc.value.errno, exc.value.strerror) == (errnum, text)
    job.cancel(fh, held)


def test_job_info_lookup_of_unknown_job(fh: Any) -> None:
    for keys in (["jobspec"], []):
        with pytest.raises(OSError) as exc:
            job.job_info_lookup(fh, 12345, keys).get()
        assert (exc.value.errno, exc.value.strerror) == (errno.ENOENT, "invalid job id")


def test_jobspec_constraints_checked_against_the_instance(fh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    jobspec_module = importlib.import_module("flux.job.Jobspec")
    monkeypatch.setattr(jobspec_module, "_tls", threading.local())  # no handle or hostlist cached yet
    monkeypatch.setenv("FLUX_URI", fh.attr_get("local-uri"))

    def build(constraints: Any) -> Any:
        doc = JobspecV1.from_command(["true"]).jobspec
        doc["attributes"]["system"]["constraints"] = constraints
        return JobspecV1(**doc)

    build({"hostlist": [socket.gethostname()]})
    build({"ranks": ["0-3"]})
    for constraints, kind, text in [
        (
            {"hostlist": ["nosuchhost1"]},
            ValueError,
            "host constraint contains invalid hosts: host 'nosuchhost1' not found",
        ),
        (
            {"and": [{"ranks": ["0"]}, {"hostlist": ["zzz"]}]},
            ValueError,
            "host constraint contains invalid hosts: host 'zzz' not found",
        ),
        ({"hostlist": ["foo[1-"]}, ValueError, "Invalid hostlist: 'foo[1-'"),
        ({"ranks": ["x"]}, ValueError, "IDset(): Invalid argument: x"),
        ({"properties": ["a|b"]}, TypeError, "invalid character in property 'a|b'"),
        ({"xx": []}, TypeError, "unknown constraint operator 'xx'"),
    ]:
        with pytest.raises(kind) as exc:
            build(constraints)
        assert str(exc.value) == text
    jobspec_module._tls.flux.__exit__(None, None, None)


def test_job_kvs_directories(fh: Any) -> None:
    jobid = run_jobs(fh, 1)[0]
    kvsdir = job.job_kvs(fh, jobid)
    assert kvsdir.path == job.JobID(jobid).kvs + "."  # libjob's key, ending in "."
    assert sorted(kvsdir.keys()) == ["J", "R", "eventlog", "guest", "jobspec"]
    guest = job.job_kvs_guest(fh, jobid)
    assert guest.path == job.JobID(jobid).kvs + ".guest."
    assert sorted(guest.keys()) == ["exec", "input", "output"]
    with pytest.raises(FileNotFoundError):
        job.job_kvs(fh, 12345)
    with pytest.raises(OverflowError):
        job.job_kvs(fh, -1)
