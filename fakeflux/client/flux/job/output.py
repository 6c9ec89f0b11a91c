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
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

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

_STREAMS = ("stdout", "stderr", "log")


def _idset_class() -> Any:
    # flux.idset is the package's RFC 22 idset, loaded with the first task set.
    return importlib.import_module("flux.idset").IDset


class Taskset:
    """A set of task ranks, or all tasks (``"all"``/``"*"``); ``ids`` is the IDset unless ``all``."""

    def __init__(self, tasks: Any) -> None:
        self.all = False
        self.ids: Any = None
        if isinstance(tasks, Taskset):
            self.all, self.ids = tasks.all, (None if tasks.ids is None else tasks.ids.copy())
            return
        idset = _idset_class()
        if isinstance(tasks, idset):
            self.ids = tasks.copy()
        elif tasks in ("all", "*"):
            self.all = True
        else:
            self.ids = idset(tasks)

    def intersect(self, tasks: Any) -> Taskset:
        other = tasks if isinstance(tasks, Taskset) else Taskset(tasks)
        if self.all or other.all:
            return Taskset(other if self.all else self)
        mine: Any = self.ids
        return Taskset(mine.intersect(other.ids))

    def __bool__(self) -> bool:
        return True if self.all else bool(len(self.ids or ()))

    def __str__(self) -> str:
        return "all" if self.all else str(self.ids)


def _expect(event: EventLogEvent, name: str, message: str) -> None:
    if event.name != name:
        raise ValueError(message)


class OutputEvent(EventLogEvent):
    """A ``data`` event: ``rank`` (Taskset), ``stream``, ``eof``, ``data`` (decoded, repeated, maybe labelled)."""

    def __init__(self, entry: Any, labelio: bool = False) -> None:
        super().__init__(entry)
        _expect(self, "data", f"event {self.name} is not a data event")
        ctx = self.context
        self.rank = Taskset(ctx["rank"])
        self.stream = ctx["stream"]
        self.eof = ctx.get("eof", False)
        self.data: Optional[str] = self._text(ctx, labelio) if "data" in ctx else None

    def _text(self, ctx: Dict[str, Any], labelio: bool) -> str:
        text = ctx["data"]
        if ctx.get("encoding") == "base64":
            text = base64.b64decode(text).decode("utf-8", errors="surrogateescape")
        text *= ctx.get("repeat", 1)
        if labelio:
            labelled = [f"{self.rank}: {line}" for line in text.splitlines()]
            text = "\n".join(labelled) + "\n"  # (so "" becomes "\n", as in flux-core)
        return str(text)

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
        _expect(self, "log", f"event {self.name} is not a log event")
        ctx = self.context
        self.level: int = ctx["level"]
        self.rank = Taskset(ctx["rank"])
        self.message: str = ctx["message"]
        self.component = ctx.get("component")
        self.file = ctx.get("file")
        self.line = ctx.get("line", -1)

    def render(self, include_file_and_line: bool = False) -> str:
        parts = [f"flux-shell[{self.rank}]"]
        parts += [part for part in (self.levelstr, self.component) if part]
        if include_file_and_line and self.file:
            parts.append(f"{self.file}:{self.line}")
        return ": ".join([*parts, self.message])


class OutputHeaderEvent(EventLogEvent):
    """The ``header`` event: ``version``, ``stdout_count``/``stderr_count``, ``stdout_encoding``/``stderr_encoding``."""

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        _expect(self, "header", f"event {self.name} is not a header event")
        ctx = self.context
        self.version = ctx["version"]
        self.stdout_count, self.stderr_count = (ctx["count"][s] for s in ("stdout", "stderr"))
        self.stdout_encoding, self.stderr_encoding = (ctx["encoding"][s] for s in ("stdout", "stderr"))


class RedirectEvent(EventLogEvent):
    """A ``redirect`` event: output of ``rank`` on ``stream`` goes to file ``path``."""

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        # (sic) flux-core's message is not an f-string
        _expect(self, "redirect", "event {self.name} is not a redirect event")
        ctx = self.context
        self.stream, self.path = ctx["stream"], ctx["path"]
        self.rank = Taskset(ctx["rank"])

    def render(self) -> str:
        return f"{self.rank}: {self.stream} redirected to {self.path}"


class JobExceptionEvent(EventLogEvent):
    """A job ``exception`` event: ``severity``, ``exc_type``, ``note``."""

    def __init__(self, entry: Any) -> None:
        super().__init__(entry)
        _expect(self, "exception", "event {self.name} is not an exception event")
        ctx = self.context
        self.severity, self.exc_type, self.note = ctx["severity"], ctx["type"], ctx["note"]

    def render(self) -> str:
        text = f"job.exception: type={self.exc_type} severity={self.severity}"
        return f"{text} {self.note}" if self.note else text


class JobOutput(NamedTuple):
    """A job's output: all of ``stdout``, ``stderr`` and ``log``."""

    stdout: str
    stderr: str
    log: str


_EVENT_TYPES: Dict[str, Callable[..., Any]] = {
    "data": OutputEvent,
    "log": LogEvent,
    "header": OutputHeaderEvent,
    "redirect": RedirectEvent,
    "exception": JobExceptionEvent,
}


def _parse_output_eventlog_entry(entry: Any, labelio: bool = False) -> Any:
    """The typed event for one output eventlog entry (None stays None)."""
    if entry is None:
        return None
    plain = entry if isinstance(entry, EventLogEvent) else EventLogEvent(entry)
    make = _EVENT_TYPES.get(plain.name)
    if make is None:
        raise ValueError(f"event {plain.name} is not a supported output event type")
    return make(plain, labelio) if make is OutputEvent else make(plain)


def _stream_of(event: Any, tasks: Taskset, log_stderr_level: int) -> Optional[str]:
    """Where an event's text goes (None: nowhere)."""
    if event.name == "log":
        return "stderr" if event.level <= log_stderr_level else "log"
    if event.name == "data" or event.name in "exception":
        # (sic) as flux-core: a substring test, and exception events have no
        # rank, so one in the output eventlog raises AttributeError there too
        if not event.rank.intersect(tasks):
            return None
        return event.stream if event.name == "data" else "stderr"
    return None


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
    stream = _stream_of(event, tasks, log_stderr_level)
    text = event.render() if stream is not None else None
    if text:
        stream_dict.setdefault(stream, []).append(text)  # type: ignore[arg-type]


def _collect(entries: Iterator[Any], tasks: Any, labelio: bool, log_stderr_level: int) -> JobOutput:
    chunks: Dict[str, List[str]] = {name: [] for name in _STREAMS}
    taskset = Taskset(tasks)
    for entry in entries:
        _output_eventlog_entry_decode(entry, chunks, taskset, labelio, log_stderr_level)
    return JobOutput(*("".join(chunks[name]) for name in _STREAMS))


def _parse_output_eventlog(
    eventlog: str, tasks: Any = "*", labelio: bool = False, log_stderr_level: int = LOG_TRACE
) -> JobOutput:
    return _collect(iter(eventlog.splitlines()), tasks, labelio, log_stderr_level)


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
        found = job_kvs_lookup(flux_handle, jobid, keys=["guest.output"])
        if found is None:
            raise FileNotFoundError(f"job {jobid} does not exist or output not ready")
        return _parse_output_eventlog(found["guest.output"], tasks, labelio, log_stderr_level)
    taskset = Taskset(tasks)  # (checked before waiting)
    try:
        event_wait(flux_handle, jobid, "shell.init", "guest.exec.eventlog")
    except OSError:
        # the exec eventlog wait fails when the job never started: a fatal
        # exception is the better answer then
        fatal = event_wait(flux_handle, jobid, "exception")
        if fatal is not None and fatal.context["severity"] == 0:
            raise JobException(fatal) from None
        raise
    return _collect(event_watch(flux_handle, jobid, "guest.output"), taskset, labelio, log_stderr_level)


def _pass_error(target: FutureExt, exc: OSError, text: Optional[str] = None) -> None:
    # Errors in these callbacks go to the future the caller holds: raised
    # there, they would stop the reactor instead.
    target.fulfill_error(exc.errno or errno.EIO, exc.strerror if text is None else text)


class JobOutputEventWatch(FutureExt):
    """Fulfilled with each output event (``get_event()``), then None; see ``output_event_watch_async``."""

    def __init__(self, flux_handle: Any, jobid: Any, labelio: bool = False, nowait: bool = False) -> None:
        self.labelio, self.nowait = labelio, nowait
        # what has been seen: 'start' and 'finish' in the main eventlog,
        # the end of the output eventlog
        self.started = self.finished = self.closed = False
        super().__init__(self._watch_init, JobID(jobid), flux_handle=flux_handle)

    def get_event(self, autoreset: bool = True) -> Any:
        raw = self.get()
        if raw is not None and autoreset:
            self.reset()
        return _parse_output_eventlog_entry(raw, labelio=self.labelio)

    def _watch_init(self, future: Any, jobid: JobID) -> None:
        if self.nowait:
            self._follow_output(future.get_flux(), jobid)
        else:
            event_watch_async(future.get_flux(), int(jobid)).then(self._on_main_event, jobid)

    def _follow_output(self, handle: Any, jobid: JobID) -> None:
        event_watch_async(handle, int(jobid), eventlog="guest.output").then(self._on_output_event)

    def _end_if_done(self) -> None:
        # The end needs both the output's end and 'finish' (so that an
        # exception before it is reported), or only the former with nowait.
        if self.closed and (self.finished or self.nowait):
            self.fulfill()

    def _on_output_event(self, future: Any) -> None:
        try:
            event = future.get_event(autoreset=False)
        except OSError as exc:
            _pass_error(self, exc)
            return
        if event is None:
            self.closed = True
            self._end_if_done()
            return
        self.fulfill(event)
        future.reset()

    def _on_exec_event(self, future: Any, jobid: JobID) -> None:
        try:
            event = future.get_event()
        except OSError as exc:
            _pass_error(self, exc)
            return
        if event is not None and event.name == "shell.init":
            self._follow_output(future.get_flux(), jobid)
            future.cancel(stop=True)

    def _on_main_event(self, future: Any, jobid: JobID) -> None:
        try:
            event = future.get_event()
        except OSError as exc:
            _pass_error(self, exc, f"job {jobid} not found" if exc.errno == errno.ENOENT else None)
            return
        if event is None:
            # no start: no output eventlog either (EIO, since ENODATA would
            # read as a normal end and ENOENT as an unknown job)
            if not self.started:
                self.fulfill_error(errnum=errno.EIO, errstr=f"job {jobid} never started")
        elif event.name == "exception":
            self.fulfill(event)  # the output watchers show it on stderr
        elif event.name == "start":
            self.started = True
            exec_log = event_watch_async(future.get_flux(), int(jobid), eventlog="guest.exec.eventlog")
            exec_log.then(self._on_exec_event, jobid)
        elif event.name == "finish":
            self.finished = True
            future.cancel(stop=True)  # exceptions after finish are not reported
            self._end_if_done()


def _as_output(event: Any, log_stderr_level: int) -> Optional[Tuple[Optional[str], Optional[str]]]:
    """What one event makes of output: ``(stream, text)``, ``(None, None)`` at the end, None if nothing."""
    if event is None:
        return (None, None)
    if event.name == "data":
        return None if event.data is None else (event.stream, event.render())
    if event.name not in ("log", "redirect", "exception"):
        return None
    quiet_log = event.name == "log" and event.level > log_stderr_level
    return ("log" if quiet_log else "stderr", event.render() + "\n")


class _OutputWatchBase(FutureExt):
    """What the output watchers share: their options, and taking the next
    result (which resets the future for the one after)."""

    def __init__(
        self,
        flux_handle: Any,
        jobid: Any,
        labelio: bool = False,
        log_stderr_level: int = LOG_TRACE,
        nowait: bool = False,
    ) -> None:
        self.labelio, self.nowait = labelio, nowait
        self.log_stderr_level = log_stderr_level
        super().__init__(self._watch_init, JobID(jobid), flux_handle=flux_handle)

    def _watch_init(self, future: Any, jobid: JobID) -> None:
        raise NotImplementedError

    def _take(self) -> Tuple[Optional[str], Optional[str]]:
        piece = self.get()
        self.reset()
        return piece


class JobOutputWatch(_OutputWatchBase):
    """Fulfilled with ``(stream, data)`` for each piece of output, then ``(None, None)``."""

    def _watch_init(self, future: Any, jobid: JobID) -> None:
        events = JobOutputEventWatch(future.get_flux(), jobid, labelio=self.labelio, nowait=self.nowait)
        events.then(self._on_event)

    def _on_event(self, future: Any) -> None:
        try:
            piece = _as_output(future.get_event(), self.log_stderr_level)
        except OSError as exc:
            _pass_error(self, exc)
            return
        if piece is not None:
            self.fulfill(piece)

    def get_output(self) -> Tuple[Optional[str], Optional[str]]:
        """The next ``(stream, data)``; ``(None, None)`` at the end."""
        return self._take()


class JobOutputWatchLines(_OutputWatchBase):
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
        self.keepends = keepends
        super().__init__(flux_handle, jobid, labelio=labelio, log_stderr_level=log_stderr_level, nowait=nowait)

    def _watch_init(self, future: Any, jobid: JobID) -> None:
        pieces = JobOutputWatch(
            future.get_flux(), jobid, labelio=self.labelio, log_stderr_level=self.log_stderr_level, nowait=self.nowait
        )
        pieces.then(self._on_piece)

    def _on_piece(self, future: Any) -> None:
        try:
            stream, text = future.get_output()
        except OSError as exc:
            _pass_error(self, exc)
            return
        if text is None:
            self.fulfill((None, None))
            return
        # (as flux-core: a partial line in one entry counts as a line)
        for line in text.splitlines(keepends=self.keepends):
            self.fulfill((stream, line))

    def getline(self) -> Tuple[Optional[str], Optional[str]]:
        """The next ``(stream, line)``; ``(None, None)`` at the end."""
        return self._take()


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


def _until_end(next_item: Callable[[], Any], done: Callable[[Any], bool]) -> Iterator[Any]:
    item = next_item()
    while not done(item):
        yield item
        item = next_item()


def output_event_watch(flux_handle: Any, jobid: Any, labelio: bool = False, nowait: bool = False) -> Iterator[Any]:
    """Each output event of a job, as it comes."""
    source = output_event_watch_async(flux_handle, JobID(jobid), labelio=labelio, nowait=nowait)
    yield from _until_end(source.get_event, lambda event: event is None)


def output_watch(
    flux_handle: Any, jobid: Any, labelio: bool = False, log_stderr_level: int = LOG_TRACE, nowait: bool = False
) -> Iterator[Tuple[Optional[str], str]]:
    """Each ``(stream, data)`` of a job's output, as it comes."""
    source = output_watch_async(
        flux_handle, JobID(jobid), labelio=labelio, log_stderr_level=log_stderr_level, nowait=nowait
    )
    # tuples, though the future holds JSON arrays
    yield from map(tuple, _until_end(source.get_output, lambda piece: piece[1] is None))


def output_watch_lines(
    flux_handle: Any,
    jobid: Any,
    labelio: bool = False,
    log_stderr_level: int = LOG_TRACE,
    nowait: bool = False,
    keepends: bool = False,
) -> Iterator[Tuple[Optional[str], str]]:
    """Each ``(stream, line)`` of a job's output, as it comes."""
    source = output_watch_lines_async(
        flux_handle, JobID(jobid), labelio=labelio, log_stderr_level=log_stderr_level, nowait=nowait, keepends=keepends
    )
    yield from map(tuple, _until_end(source.getline, lambda piece: piece[1] is None))
