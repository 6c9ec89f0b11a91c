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
# screens, removed from job output while a progress bar is shown (they
# would wreck its scroll region).  Colours (SGR, ending in "m") stay.
_TERMINAL_ESCAPE_RE = re.compile(
    r"\033\[[\d;]*r"  # scroll region
    r"|\033\[[\d;]*[HJf]"  # cursor position, erase display
    r"|\033\[[\d;]*[ABCD]"  # cursor movement
    r"|\033\[[\d;]*t"  # window manipulation
    r"|\033\[\?[\d;]*[hl]"  # DEC private modes (alternate screen ...)
    r"|\0337"  # save cursor
    r"|\0338"  # restore cursor
    r"|\033D"  # index
    r"|\033M"  # reverse index
    r"|\033c"  # full reset
)


class JobStatus:
    """A job's simplified status (pending, running, complete, failed), exit code and events seen."""

    def __init__(self, job: Any) -> None:
        if not isinstance(job, JobInfo):
            raise ValueError("JobStatus requires an object of type JobInfo")
        self.id = job.id
        self.status, self.exitcode = self._jobinfo_get_status_and_exitcode(job)
        self._events: Counter[str] = Counter()

    def _jobinfo_get_status_and_exitcode(self, job: JobInfo) -> Tuple[str, Any]:
        status = job.status
        if status in ("DEPEND", "PRIORITY", "SCHED"):
            return "pending", 0
        if status in ("RUN", "CLEANUP"):
            return "running", 0
        if status == "COMPLETED":
            return "complete", 0
        if status in ("FAILED", "CANCELED", "TIMEOUT"):
            return "failed", job.returncode
        raise ValueError(f"unknown job status {status}")

    @property
    def active(self) -> bool:
        return self.status in ("running", "pending")

    def add_event(self, name: str) -> None:
        self._events[name] += 1

    def event_count(self, name: str) -> int:
        return self._events[name]

    def has_event(self, name: str) -> bool:
        return self.event_count(name) > 0


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
        before = "PD:{pending:<{width}} R:{running:<{width}} CD:{complete:<{width}} F:{failed:<{width}} "
        after = "{percent:5.1f}% {jps:4.1f} job/s" if jps else "{percent:5.1f}% {elapsed.dt}"
        self.jobs: Dict[Any, JobStatus] = {}
        self._finished_jobs: Dict[Any, bool] = {}
        self._started = False
        self.starttime = starttime
        self.status: Counter[str] = Counter()
        timer = flux_handle.timer_watcher_create(0, lambda *_: self.redraw(), repeat=update_interval)
        super().__init__(
            timer=timer,
            total=0,
            width=counter_width,
            before=before,
            after=after,
            pending=0,
            running=0,
            complete=0,
            failed=0,
            jps=0,
        )

    def start(self) -> JobProgressBar:
        """Start the redraw timer (not keeping the reactor alive) and draw."""
        if self._started:
            return self
        self._started = True
        self.timer.start()
        self.timer.unref()
        super().start()
        if self.starttime is not None:
            self._t0 = self.starttime  # the elapsed time counts from here
        return self

    def update(self) -> None:  # type: ignore[override]
        """Redraw with the current counts."""
        super().update(
            advance=0, pending=self.pending, running=self.running, complete=self.complete, failed=self.failed
        )

    def advance(self, **kwargs: Any) -> None:
        """One more job done."""
        super().update(advance=1, **kwargs)

    def add_job(self, job: Any) -> None:
        """Follow one more job (a JobInfo)."""
        if not isinstance(job, JobInfo):
            raise ValueError("add_job takes an argument of type JobInfo")
        if job.id in self.jobs:
            raise ValueError(f"job {job.id} is already being monitored")
        if self._t0 is None or job.t_submit < self._t0:
            self._t0 = job.t_submit
        jobstatus = JobStatus(job)
        self.jobs[job.id] = jobstatus
        self.total += 1
        setattr(self, jobstatus.status, getattr(self, jobstatus.status) + 1)
        self.update()

    def add_jobs(self, *jobs: Any) -> None:
        for job in jobs:
            self.add_job(job)

    def jobs_per_sec(self) -> float:
        return (self.count + 1) / (time.time() - (self._t0 or 0.0))

    def _set_running(self, jobid: Any) -> None:
        job = self.jobs[jobid]
        if job.status != "pending":
            raise ValueError(f"set_running: {job.id} not pending")
        job.status = "running"
        self.pending -= 1
        self.running += 1

    def _set_complete(self, jobid: Any) -> None:
        job = self.jobs[jobid]
        if job.status != "running":
            raise ValueError(f"set_complete: {job.id} not running")
        job.status = "complete"
        self.running -= 1
        self.complete += 1

    def _set_failed(self, jobid: Any) -> None:
        job = self.jobs[jobid]
        if job.status == "pending":
            self.pending -= 1
        elif job.status == "running":
            self.running -= 1
        self.failed += 1
        job.status = "failed"

    def process_event(self, jobid: Any, event: Any = None) -> None:
        """Count an event of a job; None says no more will come (the bar advances then)."""
        job = self.jobs[jobid]
        if event is None:
            # The caller decides when a job counts as done (it may wait
            # only for 'start'), so the bar advances here, once per job.
            if jobid not in self._finished_jobs:
                self._finished_jobs[jobid] = True
                self.advance(jps=self.jobs_per_sec())
        elif event.name == "alloc" and job.status == "pending":
            self._set_running(jobid)
        elif event.name == "exception" and event.context["severity"] == 0:
            # a running job gets a 'finish' after its exception
            if job.status == "pending":
                self._set_failed(jobid)
        elif event.name == "finish" and job.active:
            job.exitcode = event.context["status"]
            if job.exitcode == 0:
                self._set_complete(jobid)
            else:
                self._set_failed(jobid)
        self.update()


class JobWatcher:
    """Watch jobs' status, output and logs (``flux submit --watch``); ``exitcode`` is the worst seen.

    ``wait`` is the event that ends the watch of a job (``"clean"``, or an
    exec event as ``"exec.shell.init"``).  ``output_callback(jobid, stream,
    line)``, when given, receives the output instead of ``stdout``/``stderr``.
    """

    class JobWatchStatus(JobStatus):
        """A JobStatus with the job's output streams and the event ending its watch."""

        def __init__(self, job: Any, stdout: Any, stderr: Any, wait: str = "clean") -> None:
            super().__init__(job)
            self.stdout = stdout
            self.stderr = stderr
            self.wait = wait

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
        self.log_events = log_events
        self.log_status = log_status
        self.output_callback = output_callback
        if self.output_callback is None:
            self.stdout = self._reopen(stdout)
            self.stderr = self._reopen(stderr)
        self.labelio = labelio
        self.exitcode = 0
        self.show_progress = progress
        self.progress = JobProgressBar(flux_handle, starttime=self.t0, jps=jps)
        self._states: Counter[str] = Counter()
        if jobs:
            self.add_jobs(*jobs)

    @staticmethod
    def _reopen(stream: Any) -> Any:
        # UTF-8 with surrogateescape, so that any bytes of output pass.
        try:
            stream.reconfigure(encoding="utf-8", errors="surrogateescape")
            return stream
        except AttributeError:
            return open(stream.fileno(), mode="w", encoding="utf-8", errors="surrogateescape", closefd=False)

    @staticmethod
    def _status_to_exitcode(status: int) -> int:
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)
        return status

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
            if not self.t0 or job.t_submit < self.t0:
                self.t0 = job.t_submit
            job_status = self.JobWatchStatus(job, stdout, stderr, wait=wait)
            event_watch_async(self.flux_handle, job.id).then(self._event_watch_cb, job_status)
            if not job_status.active:
                self._progress_update(job_status)
        return self

    def add_jobid(self, jobid: Any, stdout: Any = None, stderr: Any = None, wait: str = "clean") -> None:
        """Watch a job known by id only (taken as pending until its events say otherwise)."""
        job = JobInfo({"id": jobid, "state": constants.FLUX_JOB_STATE_SCHED, "t_submit": time.time()})
        self.add_jobs(job, stdout=stdout, stderr=stderr, wait=wait)

    def _progress_update(self, job: JobStatus, event: Any = None) -> None:
        self.progress.process_event(job.id, event)

    def _log(self, job: Any, timestamp: float, msg: str) -> None:
        dt = timestamp - (self.t0 or 0.0)
        print(f"{job.id.f58}: {dt:4.3f}s: {msg}", file=job.stderr)

    def _log_event(self, job: Any, event: Any, event_prefix: str = "") -> None:
        if self.log_events and event is not None:
            self._log(job, event.timestamp, f"{event_prefix}{event.name} {event.context_string}")

    def _event_watch_cb(self, future: Any, job: Any) -> None:
        event = future.get_event()
        self._progress_update(job, event)
        if event is None:
            return
        job.add_event(event.name)
        if self.t0 is not None and event.timestamp < self.t0:
            self.t0 = event.timestamp
        self._log_event(job, event)
        if event.name == "exception":
            if event.context["severity"] == 0:
                if not job.has_event("start"):
                    # it never ran: a failure
                    self.exitcode = max(self.exitcode, 1)
                    job.status = "failed"
                if not job.has_event("shell.init"):
                    # no output watch to show it: say it on stderr
                    print(JobExceptionEvent(event).render(), file=job.stderr)
        elif event.name == "alloc":
            job.status = "running"
        elif event.name == "start":
            if self.watch or job.wait.startswith("exec."):
                event_watch_async(self.flux_handle, job.id, eventlog="guest.exec.eventlog").then(
                    self._exec_event_cb, job, future
                )
        elif event.name == "finish":
            status = event.context["status"]
            self.exitcode = max(self.exitcode, self._status_to_exitcode(status))
            job.status = "failed" if status > 0 else "complete"
            if self.log_status:
                self._log(job, event.timestamp, f"{job.status}: status={status}")
        if job.wait and job.wait == event.name:
            self._progress_update(job)
            future.cancel(stop=True)

    def _exec_event_cb(self, future: Any, job: Any, main_eventlog_future: Any) -> None:
        event = future.get_event()
        if event is None:
            return
        self._log_event(job, event, event_prefix="exec.")
        if self.watch and event.name == "shell.init":
            # the output eventlog exists now
            output_watch_async(self.flux_handle, job.id, labelio=self.labelio, nowait=True).then(
                self._output_watch_cb, job
            )
            if not job.wait or not job.wait.startswith("exec."):
                future.cancel(stop=True)
        if job.wait and job.wait == f"exec.{event.name}":
            future.cancel(stop=True)
            main_eventlog_future.cancel(stop=True)

    def _output_watch_cb(self, future: Any, job: Any) -> None:
        stream, data = future.get_output()
        if self.output_callback is not None:
            self.output_callback(job.id, stream, data)
            return
        if stream is None:
            for attr in ("stdout", "stderr"):
                getattr(job, attr).flush()
            return
        output_stream = getattr(job, stream)
        if self.show_progress:
            data = _TERMINAL_ESCAPE_RE.sub("", data)
        if self.labelio:
            for line in data.splitlines(keepends=True):
                output_stream.write(f"{job.id}: {line}")
        else:
            output_stream.write(data)
