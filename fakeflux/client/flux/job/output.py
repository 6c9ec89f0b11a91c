"""Job output (RFC 24 ``guest.output`` eventlog): flux-core's ``flux.job.output``.

``job_output`` gathers a job's stdout, stderr and shell log once the job
is done (or what there is so far, with ``nowait``).  The watchers follow
the output as it is written: ``output_event_watch*`` give parsed events,
``output_watch*`` give ``(stream, data)`` and ``output_watch_lines*``
``(stream, line)``, ending with None / ``(None, None)``.  Waiting follows
the job as flux-core does: the main eventlog until ``start`` (or a fatal
exception), the exec eventlog until ``shell.init``, then the output
eventlog until its end and the job's ``finish``.
"""

from __future__ import annotations

import base64
import errno
import importlib
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

from ..eventlog import EventLogEvent
from ..future import FutureExt
from .event import JobException, event_wait, event_watch, event_watch_async
from .JobID import JobID
from .kvslookup import job_kvs_lookup

# Shell log levels (shell.h); LOG_ALERT and LOG_CRIT (1, 2) are reserved there.
LOG_QUIET = -1
LOG_FATAL = 0
LOG_ERROR = 3
LOG_WARN = 4
LOG_NOTICE = 5
LOG_DEBUG = 6
LOG_TRACE = 7


def _idset_class() -> Any:
    # flux.idset is the package's RFC 22 idset, loaded with the first task set.
    return importlib.import_module("flux.idset").IDset


class Taskset:
    """A set of task ranks, or all tasks (``"all"``/``"*"``); ``ids`` is the IDset unless ``all``."""

    def __init__(self, tasks: Any) -> None:
        self.all = False
        self.ids: Any = None
        if isinstance(tasks, Taskset):
            self.all = tasks.all
            self.ids = tasks.ids.copy() if tasks.ids is not None else None
            return
        idset = _idset_class()
        if isinstance(tasks, idset):
            self.ids = tasks.copy()
        elif tasks in ("all", "*"):
            self.all = True
        else:
            self.ids = idset(tasks)

    def intersect(self, tasks: Any) -> Taskset:
        if not isinstance(tasks, Taskset):
            tasks = Taskset(tasks)
        if self.all:
            return Taskset(tasks)
        if tasks.all:
            return Taskset(self)
        return Taskset(self.ids.intersect(tasks.ids))

    def __bool__(self) -> bool:
        return self.all or len(self.ids) > 0

    def __str__(self) -> str:
        return "all" if self.all else str(self.ids)


class OutputEvent(EventLogEvent):
    """A ``data`` event: ``rank`` (Taskset), ``stream``, ``eof``, ``data`` (decoded, repeated, maybe labelled)."""

    def __init__(self, entry: Any, labelio: bool = False) -> None:
        super().__init__(entry)
        if self.name != "data":
            raise ValueError(f"event {self.name} is not a data event")
        ctx = self.context
        self.rank = Taskset(ctx["rank"])
        self.stream = ctx["stream"]
        self.eof = ctx.get("eof", False)
        self.data: Optional[str] = None
        if "data" in ctx:
            data = ctx["data"]
            if ctx.get("encoding") == "base64":
                data = base64.b64decode(data).decode("utf-8", errors="surrogateescape")
            if "repeat" in ctx:
                data *= ctx["repeat"]
            if labelio:
                data = "\n".join(f"{self.rank}: {line}" for line in data.splitlines()) + "\n"
            self.data = data

    def render(self) -> Optional[str]:
        return self.data


class LogEvent(EventLogEvent):
    """A shell ``log`` event: ``level``, ``levelstr``, ``rank``, ``message``, ``component``, ``file``, ``line``."""

    log_level_string = ["FATAL", "FATAL", "FATAL", "ERROR", " WARN", "", "DEBUG", "TRACE"]

    @property
    def levelstr(self) -> str:
        return self.log_level_string[self.level]

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        if self.name != "log":
            raise ValueError(f"event {self.name} is not a log event")
        ctx = self.context
        self.level: int = ctx["level"]
        self.rank = Taskset(ctx["rank"])
        self.message: str = ctx["message"]
        self.component = ctx.get("component", None)
        self.file = ctx.get("file", None)
        self.line = ctx.get("line", -1)

    def render(self, include_file_and_line: bool = False) -> str:
        prefix = f"flux-shell[{self.rank}]: "
        if self.levelstr:
            prefix += f"{self.levelstr}: "
        if self.component:
            prefix += f"{self.component}: "
        if include_file_and_line and self.file:
            prefix += f"{self.file}:{self.line}: "
        return prefix + self.message


class OutputHeaderEvent(EventLogEvent):
    """The ``header`` event: ``version``, ``stdout_count``/``stderr_count``, ``stdout_encoding``/``stderr_encoding``."""

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        if self.name != "header":
            raise ValueError(f"event {self.name} is not a header event")
        ctx = self.context
        self.version = ctx["version"]
        self.stderr_count = ctx["count"]["stderr"]
        self.stdout_count = ctx["count"]["stdout"]
        self.stdout_encoding = ctx["encoding"]["stdout"]
        self.stderr_encoding = ctx["encoding"]["stderr"]


class RedirectEvent(EventLogEvent):
    """A ``redirect`` event: output of ``rank`` on ``stream`` goes to file ``path``."""

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        if self.name != "redirect":
            # (sic) flux-core's message is not an f-string
            raise ValueError("event {self.name} is not a redirect event")
        ctx = self.context
        self.stream = ctx["stream"]
        self.rank = Taskset(ctx["rank"])
        self.path = ctx["path"]

    def render(self) -> str:
        return f"{self.rank}: {self.stream} redirected to {self.path}"


class JobExceptionEvent(EventLogEvent):
    """A job ``exception`` event: ``severity``, ``exc_type``, ``note``."""

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        if self.name != "exception":
            raise ValueError("event {self.name} is not an exception event")
        ctx = self.context
        self.severity = ctx["severity"]
        self.exc_type = ctx["type"]
        self.note = ctx["note"]

    def render(self) -> str:
        result = f"job.exception: type={self.exc_type} severity={self.severity}"
        if self.note:
            result += f" {self.note}"
        return result


class JobOutput(NamedTuple):
    """A job's output: all of ``stdout``, ``stderr`` and ``log``."""

    stdout: str
    stderr: str
    log: str


_EVENT_TYPES: Dict[str, Any] = {
    "log": LogEvent,
    "header": OutputHeaderEvent,
    "redirect": RedirectEvent,
    "exception": JobExceptionEvent,
}


def _parse_output_eventlog_entry(entry: Any, labelio: bool = False) -> Any:
    """The typed event for one output eventlog entry (None stays None)."""
    if entry is None:
        return None
    event = entry if isinstance(entry, EventLogEvent) else EventLogEvent(entry)
    if event.name == "data":
        return OutputEvent(event, labelio)
    if event.name in _EVENT_TYPES:
        return _EVENT_TYPES[event.name](event)
    raise ValueError(f"event {event.name} is not a supported output event type")


def _output_eventlog_entry_decode(
    entry: Any,
    stream_dict: Dict[str, List[str]],
    tasks: Taskset,
    labelio: bool = False,
    log_stderr_level: int = LOG_TRACE,
) -> None:
    """Append the text of ``entry`` to its stream's list, if it is of ``tasks``."""
    if not isinstance(tasks, Taskset):
        # (flux-core adds a type to a str here, so this raises TypeError there)
        raise TypeError(f'can only concatenate str (not "type") to str: {type(tasks)}')
    event = _parse_output_eventlog_entry(entry, labelio)
    stream = None
    if event.name == "data":
        if event.rank.intersect(tasks):
            stream = event.stream
    elif event.name == "log":
        stream = "stderr" if event.level <= log_stderr_level else "log"
    elif event.name in "exception":
        # (sic) as flux-core: a substring test, and exception events have no
        # rank, so one in the output eventlog raises AttributeError there too
        if event.rank.intersect(tasks):
            stream = "stderr"
    else:
        return
    text = event.render()
    if text:
        stream_dict.setdefault(stream, []).append(text)  # type: ignore[arg-type]


def _parse_output_eventlog(
    eventlog: str, tasks: Any = "*", labelio: bool = False, log_stderr_level: int = LOG_TRACE
) -> JobOutput:
    stream_dict: Dict[str, List[str]] = {"stdout": [], "stderr": [], "log": []}
    taskset = Taskset(tasks)
    for line in eventlog.splitlines():
        _output_eventlog_entry_decode(line, stream_dict, taskset, labelio, log_stderr_level)
    return JobOutput(*("".join(stream_dict[k]) for k in ("stdout", "stderr", "log")))


def job_output(
    flux_handle: Any,
    jobid: Any,
    tasks: Any = "*",
    labelio: bool = False,
    nowait: bool = False,
    log_stderr_level: int = LOG_TRACE,
) -> JobOutput:
    """A job's output once complete (``nowait``: as far as written; FileNotFoundError if none yet).

    Log messages at or below ``log_stderr_level`` count as stderr, others
    go to ``log``.  Raises FileNotFoundError for an unknown job and
    JobException for a fatal exception before the job started.
    """
    jobid = JobID(jobid)
    if nowait:
        eventlog = job_kvs_lookup(flux_handle, jobid, keys=["guest.output"])
        if eventlog is None:
            raise FileNotFoundError(f"job {jobid} does not exist or output not ready")
        return _parse_output_eventlog(eventlog["guest.output"], tasks, labelio, log_stderr_level)

    stream_dict: Dict[str, List[str]] = {"stdout": [], "stderr": [], "log": []}
    taskset = Taskset(tasks)
    try:
        event_wait(flux_handle, jobid, "shell.init", "guest.exec.eventlog")
    except OSError:
        # A fatal exception before start ends the exec eventlog wait: say so.
        event = event_wait(flux_handle, jobid, "exception")
        if event is not None and event.context["severity"] == 0:
            raise JobException(event) from None
        raise
    for event in event_watch(flux_handle, jobid, "guest.output"):
        _output_eventlog_entry_decode(event, stream_dict, taskset, labelio, log_stderr_level)
    return JobOutput(*("".join(stream_dict[k]) for k in ("stdout", "stderr", "log")))


class JobOutputEventWatch(FutureExt):
    """Fulfilled with each output event (``get_event()``), then None; see ``output_event_watch_async``."""

    def __init__(self, flux_handle: Any, jobid: Any, labelio: bool = False, nowait: bool = False) -> None:
        self.labelio = labelio
        self.nowait = nowait
        self.started = False  # 'start' seen in the main eventlog
        self.finished = False  # 'finish' seen there
        self.closed = False  # the output eventlog ended
        super().__init__(self._watch_init, JobID(jobid), flux_handle=flux_handle)

    def get_event(self, autoreset: bool = True) -> Any:
        event = self.get()
        if event is None:
            return None
        if autoreset:
            self.reset()
        return _parse_output_eventlog_entry(event, labelio=self.labelio)

    # Errors inside these callbacks are passed on to this future: raised
    # there, they would stop the reactor instead of reaching the caller.
    def _watch_output(self, future: Any) -> None:
        event = None
        try:
            event = future.get_event(autoreset=False)
            if event is None:
                self.closed = True
                # The end comes once 'finish' is seen too, so that an
                # exception before it is not missed (nowait: not watched).
                if self.nowait or self.finished:
                    self.fulfill()
                return
            self.fulfill(event)
        except OSError as exc:
            self.fulfill_error(exc.errno or errno.EIO, exc.strerror)
        if event is not None:
            future.reset()

    def _wait_for_shell_init(self, future: Any, jobid: JobID) -> None:
        event = None
        try:
            event = future.get_event()
        except OSError as exc:
            self.fulfill_error(exc.errno or errno.EIO, exc.strerror)
        if event is not None and event.name == "shell.init":
            event_watch_async(future.get_flux(), int(jobid), eventlog="guest.output").then(self._watch_output)
            future.cancel(stop=True)

    def _wait_for_start_event(self, future: Any, jobid: JobID) -> None:
        try:
            event = future.get_event()
        except OSError as exc:
            strerror = f"job {jobid} not found" if exc.errno == errno.ENOENT else exc.strerror
            self.fulfill_error(exc.errno or errno.EIO, strerror)
            return
        if event is None:
            # No start: there is no output eventlog.  EIO, since ENODATA
            # would read as a normal end and ENOENT as an unknown job.
            if not self.started:
                self.fulfill_error(errnum=errno.EIO, errstr=f"job {jobid} never started")
            return
        if event.name == "exception":
            self.fulfill(event)  # shown on stderr by the output watchers
        elif event.name == "start":
            self.started = True
            event_watch_async(future.get_flux(), int(jobid), eventlog="guest.exec.eventlog").then(
                self._wait_for_shell_init, jobid
            )
        elif event.name == "finish":
            self.finished = True
            future.cancel(stop=True)  # later exceptions are not reported
            if self.closed:
                self.fulfill()

    def _watch_init(self, future: Any, jobid: JobID) -> None:
        if self.nowait:
            event_watch_async(future.get_flux(), int(jobid), eventlog="guest.output").then(self._watch_output)
        else:
            event_watch_async(future.get_flux(), int(jobid)).then(self._wait_for_start_event, jobid)


class JobOutputWatch(FutureExt):
    """Fulfilled with ``(stream, data)`` for each piece of output, then ``(None, None)``."""

    def __init__(
        self,
        flux_handle: Any,
        jobid: Any,
        labelio: bool = False,
        log_stderr_level: int = LOG_TRACE,
        nowait: bool = False,
    ) -> None:
        self.labelio = labelio
        self.log_stderr_level = log_stderr_level
        self.nowait = nowait
        super().__init__(self._watch_init, JobID(jobid), flux_handle=flux_handle)

    def _watch_init(self, future: Any, jobid: JobID) -> None:
        JobOutputEventWatch(future.get_flux(), jobid, labelio=self.labelio, nowait=self.nowait).then(
            self._output_event_watch
        )

    def _fulfill_output(self, event: Any) -> None:
        if event is None:
            self.fulfill((None, None))
        elif event.name == "data" and event.data is not None:
            self.fulfill((event.stream, event.render()))
        elif event.name in ("log", "redirect", "exception"):
            stream = "log" if event.name == "log" and event.level > self.log_stderr_level else "stderr"
            self.fulfill((stream, event.render() + "\n"))

    def _output_event_watch(self, future: Any) -> None:
        try:
            event = future.get_event()
            # only what makes output: data with text, log, redirect and
            # exception (these two as messages on stderr)
            if (
                event is None
                or (event.name == "data" and event.data is not None)
                or event.name in ("log", "redirect", "exception")
            ):
                self._fulfill_output(event)
        except OSError as exc:
            self.fulfill_error(exc.errno or errno.EIO, exc.strerror)

    def get_output(self) -> Tuple[Optional[str], Optional[str]]:
        """The next ``(stream, data)``; ``(None, None)`` at the end."""
        result = self.get()
        self.reset()
        return result


class JobOutputWatchLines(FutureExt):
    """Fulfilled with ``(stream, line)`` for each line of output, then ``(None, None)``."""

    def __init__(
        self,
        flux_handle: Any,
        jobid: Any,
        labelio: bool = False,
        log_stderr_level: int = LOG_TRACE,
        nowait: bool = False,
        keepends: bool = False,
    ) -> None:
        self.labelio = labelio
        self.log_stderr_level = log_stderr_level
        self.nowait = nowait
        self.keepends = keepends
        super().__init__(self._watch_lines_init, JobID(jobid), flux_handle=flux_handle)

    def _watch_lines_init(self, future: Any, jobid: JobID) -> None:
        JobOutputWatch(
            future.get_flux(),
            jobid,
            labelio=self.labelio,
            log_stderr_level=self.log_stderr_level,
            nowait=self.nowait,
        ).then(self._output_watch_cb)

    def _output_watch_cb(self, future: Any) -> None:
        try:
            stream, lines = future.get_output()
        except OSError as exc:
            self.fulfill_error(exc.errno or errno.EIO, exc.strerror)
            return
        if lines is None:
            self.fulfill((None, None))
            return
        # (as flux-core: a partial line in one entry counts as a line)
        for line in lines.splitlines(keepends=self.keepends):
            self.fulfill((stream, line))

    def getline(self) -> Tuple[Optional[str], Optional[str]]:
        """The next ``(stream, line)``; ``(None, None)`` at the end."""
        result = self.get()
        self.reset()
        return result


def output_event_watch_async(
    flux_handle: Any, jobid: Any, labelio: bool = False, nowait: bool = False
) -> JobOutputEventWatch:
    """Watch a job's output events; EIO "job ID never started" after a fatal exception before start."""
    return JobOutputEventWatch(flux_handle, jobid, labelio=labelio, nowait=nowait)


def output_watch_async(
    flux_handle: Any, jobid: Any, labelio: bool = False, log_stderr_level: int = LOG_TRACE, nowait: bool = False
) -> JobOutputWatch:
    """Watch a job's output as ``(stream, data)`` (``get_output()``)."""
    return JobOutputWatch(flux_handle, jobid, labelio=labelio, log_stderr_level=log_stderr_level, nowait=nowait)


def output_watch_lines_async(
    flux_handle: Any,
    jobid: Any,
    labelio: bool = False,
    log_stderr_level: int = LOG_TRACE,
    nowait: bool = False,
    keepends: bool = False,
) -> JobOutputWatchLines:
    """Watch a job's output as ``(stream, line)`` (``getline()``)."""
    return JobOutputWatchLines(
        flux_handle, jobid, labelio=labelio, log_stderr_level=log_stderr_level, nowait=nowait, keepends=keepends
    )


def output_event_watch(flux_handle: Any, jobid: Any, labelio: bool = False, nowait: bool = False) -> Iterator[Any]:
    """Each output event of a job, as it comes."""
    watcher = output_event_watch_async(flux_handle, JobID(jobid), labelio=labelio, nowait=nowait)
    event = watcher.get_event()
    while event is not None:
        yield event
        event = watcher.get_event()


def output_watch(
    flux_handle: Any, jobid: Any, labelio: bool = False, log_stderr_level: int = LOG_TRACE, nowait: bool = False
) -> Iterator[Tuple[Optional[str], str]]:
    """Each ``(stream, data)`` of a job's output, as it comes."""
    watcher = output_watch_async(
        flux_handle, JobID(jobid), labelio=labelio, log_stderr_level=log_stderr_level, nowait=nowait
    )
    stream, data = watcher.get_output()
    while data is not None:
        yield stream, data
        stream, data = watcher.get_output()


def output_watch_lines(
    flux_handle: Any,
    jobid: Any,
    labelio: bool = False,
    log_stderr_level: int = LOG_TRACE,
    nowait: bool = False,
    keepends: bool = False,
) -> Iterator[Tuple[Optional[str], str]]:
    """Each ``(stream, line)`` of a job's output, as it comes."""
    watcher = output_watch_lines_async(
        flux_handle,
        JobID(jobid),
        labelio=labelio,
        log_stderr_level=log_stderr_level,
        nowait=nowait,
        keepends=keepends,
    )
    stream, line = watcher.getline()
    while line is not None:
        yield stream, line
        stream, line = watcher.getline()
