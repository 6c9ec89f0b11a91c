"""Watching jobs to their end, with their output and a progress bar (flux-core's ``flux.job.watcher``).

``JobWatcher`` is what ``flux submit --watch`` and ``flux run`` use: for
each job it follows the main eventlog, then the exec eventlog, then the
output, copying output to the job's stdout/stderr (or an
``output_callback``), optionally logging events and final status, and
keeps the highest exit code in ``exitcode``.  ``JobProgressBar`` counts
pending, running, complete and failed jobs on a terminal's last line.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from typing import Any, Callable, Dict, Optional, TextIO, Tuple

from .. import constants
from ..progress import ProgressBar
from .event import event_watch_async
from .info import JobInfo
from .output import JobExceptionEvent, output_watch_async

# Escape sequences that move the cursor, set the scroll region or switch
# screens: dropped from job output while a progress bar holds the last
# line (colours, SGR "...m", stay).
_CURSOR_CONTROL = re.compile(
    "|".join(
        [
            r"\033\[[\d;]*[rHJfABCDt]",  # scroll region, positioning, erasing, moving, window ops
            r"\033\[\?[\d;]*[hl]",  # DEC private modes (alternate screen ...)
            r"\033[78DMc]",  # save/restore cursor, index, reverse index, reset
        ]
    )
)

# JobInfo status -> the watcher's simplified status (and whether the exit code counts)
_SIMPLE_STATUS: Dict[str, Tuple[str, bool]] = {
    "DEPEND": ("pending", False),
    "PRIORITY": ("pending", False),
    "SCHED": ("pending", False),
    "RUN": ("running", False),
    "CLEANUP": ("running", False),
    "COMPLETED": ("complete", False),
    "FAILED": ("failed", True),
    "CANCELED": ("failed", True),
    "TIMEOUT": ("failed", True),
}


class JobStatus:
    """A job's simplified status (pending, running, complete, failed), exit code and events seen."""

    def __init__(self, job: Any) -> None:
        if not isinstance(job, JobInfo):
            raise ValueError("JobStatus requires an object of type JobInfo")
        self.id = job.id
        self.status, self.exitcode = self._jobinfo_get_status_and_exitcode(job)
        self._events: Counter[str] = Counter()

    def _jobinfo_get_status_and_exitcode(self, job: JobInfo) -> Tuple[str, Any]:
        try:
            simple, failed = _SIMPLE_STATUS[job.status]
        except KeyError:
            raise ValueError(f"unknown job status {job.status}") from None
        return simple, (job.returncode if failed else 0)

    @property
    def active(self) -> bool:
        return self.status in ("pending", "running")

    def add_event(self, name: str) -> None:
        self._events[name] += 1

    def event_count(self, name: str) -> int:
        return self._events.get(name, 0)

    def has_event(self, name: str) -> bool:
        return bool(self.event_count(name))


class JobProgressBar(ProgressBar):
    """A progress bar of jobs: ``PD:n R:n CD:n F:n`` on the left, percent and elapsed time (or jobs/s) on the right.

    Add jobs (JobInfo) with ``add_job``/``add_jobs``, feed their events to
    ``process_event(jobid, event)`` (None: no more for this job, which
    advances the bar).  The elapsed time starts at the earliest submit time
    unless ``starttime`` is given.
    """

    # counts, read from the bar's keywords until first changed
    pending: int
    running: int
    complete: int
    failed: int

    def __init__(
        self,
        flux_handle: Any,
        starttime: Optional[float] = None,
        jps: bool = False,
        counter_width: int = 3,
        update_interval: float = 0.25,
    ) -> None:
        counters = " ".join(f"{label}:{{{name}:<{{width}}}}" for label, name in _COUNTERS) + " "
        right = "{percent:5.1f}% {jps:4.1f} job/s" if jps else "{percent:5.1f}% {elapsed.dt}"
        self.jobs: Dict[Any, JobStatus] = {}
        self._finished_jobs: Dict[Any, bool] = {}
        self._started = False
        self.starttime = starttime
        self.status: Counter[str] = Counter()
        redraw_timer = flux_handle.timer_watcher_create(0, lambda *_: self.redraw(), repeat=update_interval)
        zeroes: Dict[str, Any] = {name: 0 for _, name in _COUNTERS}
        ProgressBar.__init__(
            self, timer=redraw_timer, total=0, width=counter_width, before=counters, after=right, jps=0, **zeroes
        )

    def start(self) -> JobProgressBar:
        """Start the redraw timer (not keeping the reactor alive) and draw."""
        if not self._started:
            self._started = True
            self.timer.start()
            self.timer.unref()
            ProgressBar.start(self)
            if self.starttime is not None:
                self._t0 = self.starttime  # the elapsed time counts from here
        return self

    def update(self) -> None:  # type: ignore[override]
        """Redraw with the current counts."""
        ProgressBar.update(self, advance=0, **{name: getattr(self, name) for _, name in _COUNTERS})

    def advance(self, **kwargs: Any) -> None:
        """One more job done."""
        ProgressBar.update(self, advance=1, **kwargs)

    def add_job(self, job: Any) -> None:
        """Follow one more job (a JobInfo)."""
        if not isinstance(job, JobInfo):
            raise ValueError("add_job takes an argument of type JobInfo")
        if job.id in self.jobs:
            raise ValueError(f"job {job.id} is already being monitored")
        self._t0 = job.t_submit if self._t0 is None else min(self._t0, job.t_submit)
        entry = self.jobs[job.id] = JobStatus(job)
        self.total += 1
        setattr(self, entry.status, getattr(self, entry.status) + 1)
        self.update()

    def add_jobs(self, *jobs: Any) -> None:
        for job in jobs:
            self.add_job(job)

    def jobs_per_sec(self) -> float:
        return (self.count + 1) / (time.time() - (self._t0 or 0.0))

    def _move(self, jobid: Any, to: str, step: str, allowed: Tuple[str, ...]) -> None:
        """Move a job's count from its status to ``to``; ``allowed``: where it may come from (else ValueError)."""
        entry = self.jobs[jobid]
        if allowed and entry.status not in allowed:
            raise ValueError(f"{step}: {entry.id} not {allowed[0]}")
        if entry.status in ("pending", "running"):
            setattr(self, entry.status, getattr(self, entry.status) - 1)
        setattr(self, to, getattr(self, to) + 1)
        entry.status = to

    def _set_running(self, jobid: Any) -> None:
        self._move(jobid, "running", "set_running", ("pending",))

    def _set_complete(self, jobid: Any) -> None:
        self._move(jobid, "complete", "set_complete", ("running",))

    def _set_failed(self, jobid: Any) -> None:
        self._move(jobid, "failed", "set_failed", ())

    def process_event(self, jobid: Any, event: Any = None) -> None:
        """Count an event of a job; None says no more will come (the bar advances then, once per job)."""
        entry = self.jobs[jobid]
        if event is None:
            # the caller says when a job is done (it may wait only for 'start')
            if not self._finished_jobs.get(jobid):
                self._finished_jobs[jobid] = True
                self.advance(jps=self.jobs_per_sec())
        elif event.name == "alloc":
            if entry.status == "pending":
                self._set_running(jobid)
        elif event.name == "exception":
            # only a pending job fails by its exception; a running one gets 'finish'
            if event.context["severity"] == 0 and entry.status == "pending":
                self._set_failed(jobid)
        elif event.name == "finish" and entry.active:
            entry.exitcode = event.context["status"]
            (self._set_failed if entry.exitcode else self._set_complete)(jobid)
        self.update()


_COUNTERS = (("PD", "pending"), ("R", "running"), ("CD", "complete"), ("F", "failed"))


def _exit_code(status: int) -> int:
    """The shell-style exit code of a wait status (128+signal when signalled)."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else status


class JobWatcher:
    """Watch jobs' status, output and logs (``flux submit --watch``); ``exitcode`` is the worst seen.

    ``wait`` is the event that ends the watch of a job (``"clean"``, or an
    exec event as ``"exec.shell.init"``).  ``output_callback(jobid, stream,
    data)``, when given, receives the output instead of ``stdout``/``stderr``.
    """

    class JobWatchStatus(JobStatus):
        """A JobStatus with the job's output streams and the event ending its watch."""

        def __init__(self, job: Any, stdout: Any, stderr: Any, wait: str = "clean") -> None:
            JobStatus.__init__(self, job)
            self.stdout, self.stderr, self.wait = stdout, stderr, wait

    def __init__(
        self,
        flux_handle: Any,
        jobs: Any = None,
        progress: bool = False,
        jps: bool = False,
        wait: str = "clean",
        watch: bool = True,
        log_events: bool = False,
        log_status: bool = False,
        stdout: TextIO = sys.stdout,
        stderr: TextIO = sys.stderr,
        labelio: bool = False,
        starttime: Optional[float] = None,
        output_callback: Optional[Callable[[Any, Optional[str], Optional[str]], Any]] = None,
    ) -> None:
        self.flux_handle = flux_handle
        self.wait = wait
        self.watch = watch
        self.t0 = starttime
        self.log_events, self.log_status = log_events, log_status
        self.labelio = labelio
        self.output_callback = output_callback
        if output_callback is None:
            self.stdout, self.stderr = self._reopen(stdout), self._reopen(stderr)
        self.exitcode = 0
        self.show_progress = progress
        self.progress = JobProgressBar(flux_handle, starttime=starttime, jps=jps)
        self._states: Counter[str] = Counter()
        if jobs:
            self.add_jobs(*jobs)

    @staticmethod
    def _reopen(stream: Any) -> Any:
        """The stream writing UTF-8 with surrogateescape, so that any bytes of output pass."""
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="surrogateescape")
            return stream
        return open(stream.fileno(), mode="w", encoding="utf-8", errors="surrogateescape", closefd=False)

    _status_to_exitcode = staticmethod(_exit_code)

    def start(self) -> JobWatcher:
        """Show the progress bar, if asked for."""
        if self.show_progress:
            self.progress.start()
        return self

    def stop(self) -> JobWatcher:
        """Take the progress bar down, if shown."""
        if self.show_progress:
            self.progress.stop()
        return self

    def add_jobs(self, *jobs: Any, stdout: Any = None, stderr: Any = None, wait: str = "clean") -> JobWatcher:
        """Watch these jobs (JobInfo), their output going to ``stdout``/``stderr`` (default: the watcher's)."""
        self.progress.add_jobs(*jobs)
        if self.output_callback is None:
            stdout = self.stdout if stdout is None else stdout
            stderr = self.stderr if stderr is None else stderr
        for job in jobs:
            self.t0 = job.t_submit if not self.t0 else min(self.t0, job.t_submit)
            watched = self.JobWatchStatus(job, stdout, stderr, wait=wait)
            event_watch_async(self.flux_handle, job.id).then(self._event_watch_cb, watched)
            if not watched.active:
                self._progress_update(watched)
        return self

    def add_jobid(self, jobid: Any, stdout: Any = None, stderr: Any = None, wait: str = "clean") -> None:
        """Watch a job known by id only (taken as pending until its events say otherwise)."""
        placeholder = JobInfo({"id": jobid, "state": constants.FLUX_JOB_STATE_SCHED, "t_submit": time.time()})
        self.add_jobs(placeholder, stdout=stdout, stderr=stderr, wait=wait)

    def _progress_update(self, job: JobStatus, event: Any = None) -> None:
        self.progress.process_event(job.id, event)

    def _log(self, job: Any, timestamp: float, msg: str) -> None:
        since = timestamp - (self.t0 or 0.0)
        print(f"{job.id.f58}: {since:4.3f}s: {msg}", file=job.stderr)

    def _log_event(self, job: Any, event: Any, event_prefix: str = "") -> None:
        if event is not None and self.log_events:
            self._log(job, event.timestamp, f"{event_prefix}{event.name} {event.context_string}")

    # -- the main eventlog ---------------------------------------------------------------------
    def _on_exception(self, job: Any, event: Any, _future: Any) -> None:
        if event.context["severity"] != 0:
            return
        if not job.has_event("start"):
            self.exitcode = max(self.exitcode, 1)  # it never ran
            job.status = "failed"
        if not job.has_event("shell.init"):
            # no output watch shows it: say it here
            print(JobExceptionEvent(event).render(), file=job.stderr)

    def _on_alloc(self, job: Any, _event: Any, _future: Any) -> None:
        job.status = "running"

    def _on_start(self, job: Any, _event: Any, future: Any) -> None:
        if self.watch or job.wait.startswith("exec."):
            exec_log = event_watch_async(self.flux_handle, job.id, eventlog="guest.exec.eventlog")
            exec_log.then(self._exec_event_cb, job, future)

    def _on_finish(self, job: Any, event: Any, _future: Any) -> None:
        status = event.context["status"]
        self.exitcode = max(self.exitcode, _exit_code(status))
        job.status = "failed" if status > 0 else "complete"
        if self.log_status:
            self._log(job, event.timestamp, f"{job.status}: status={status}")

    _MAIN_EVENT_HANDLERS = {"exception": _on_exception, "alloc": _on_alloc, "start": _on_start, "finish": _on_finish}

    def _event_watch_cb(self, future: Any, job: Any) -> None:
        event = future.get_event()
        self._progress_update(job, event)
        if event is None:
            return
        job.add_event(event.name)
        if self.t0 is not None:
            self.t0 = min(self.t0, event.timestamp)
        self._log_event(job, event)
        handler = self._MAIN_EVENT_HANDLERS.get(event.name)
        if handler is not None:
            handler(self, job, event, future)
        if job.wait and event.name == job.wait:
            self._progress_update(job)
            future.cancel(stop=True)

    # -- the exec eventlog and the output --------------------------------------------------------
    def _exec_event_cb(self, future: Any, job: Any, main_eventlog_future: Any) -> None:
        event = future.get_event()
        if event is None:
            return
        self._log_event(job, event, event_prefix="exec.")
        waiting_on_exec = bool(job.wait) and job.wait.startswith("exec.")
        if self.watch and event.name == "shell.init":
            # the output eventlog exists now; follow it directly
            output_watch_async(self.flux_handle, job.id, labelio=self.labelio, nowait=True).then(
                self._output_watch_cb, job
            )
            if not waiting_on_exec:
                future.cancel(stop=True)
        if waiting_on_exec and job.wait == f"exec.{event.name}":
            future.cancel(stop=True)
            main_eventlog_future.cancel(stop=True)

    def _output_watch_cb(self, future: Any, job: Any) -> None:
        stream, data = future.get_output()
        if self.output_callback is not None:
            self.output_callback(job.id, stream, data)
        elif stream is None:
            job.stdout.flush()
            job.stderr.flush()
        else:
            self._copy_output(job, getattr(job, stream), data)

    def _copy_output(self, job: Any, out: Any, data: str) -> None:
        if self.show_progress:
            data = _CURSOR_CONTROL.sub("", data)
        if not self.labelio:
            out.write(data)
            return
        for line in data.splitlines(keepends=True):
            out.write(f"{job.id}: {line}")
