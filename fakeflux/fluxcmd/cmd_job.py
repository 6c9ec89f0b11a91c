"""``flux job`` (flux-core's src/cmd/job/): attach, status, wait, eventlog, wait-event,
info, id, last, urgency, kill, raise, purge, cancel-free as flux-core (it has no ``job cancel``)."""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import jobwatch
from .common import die, die_err, error_text, open_handle, strerror
from .eventlog_fmt import EventlogFormatter
from .jsonfmt import dumps
from .optparse import OPTIONAL_ARG, REQUIRED_ARG, Option, OptParser, Parsed, command_list_usage
from .parse import fsd_seconds, parse_duration, parse_int

PROG = "flux-job"
COLOR = Option(
    "color",
    "L",
    OPTIONAL_ARG,
    "WHEN",
    "Colorize output when supported; WHEN can be 'always' (default if omitted), 'never', or 'auto' (default).",
)
URGENCY_NAMES = {"hold": 0, "default": 16, "expedite": 31}


def _handle() -> Any:
    return open_handle(PROG)


# -- eventlog / wait-event -------------------------------------------------------------
def _formatter(o: Parsed) -> EventlogFormatter:
    fmt = o.get("format", "text") or "text"
    tfmt = o.get("time-format", "raw") or "raw"
    if o.has("human"):
        fmt, tfmt = "text", "human"
    fmt, tfmt = fmt.lower(), tfmt.lower()
    if fmt not in ("text", "json"):
        die(PROG, f"invalid format type '{fmt}'")
    if tfmt not in ("raw", "iso", "offset", "human"):
        die(PROG, f"invalid time-format type '{tfmt}'")
    return EventlogFormatter(tfmt, unformatted=(fmt == "json"))


def cmd_eventlog(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 1:
        p.print_usage()
        return 1
    fmt = _formatter(o)
    jobid_text = o.args[0]
    jobid = jobwatch.parse_jobid(PROG, jobid_text)
    path = jobwatch.eventlog_path(o.get("path", "eventlog") or "eventlog")
    h = _handle()
    if o.has("follow"):
        watch = jobwatch.EventWatch(h, jobid, path)
        try:
            for entry in watch:
                print(fmt.format(entry), flush=True)
        except OSError as exc:
            _eventlog_error(exc, jobid_text, path)
        return 0
    try:
        text = jobwatch.lookup(h, jobid, [path]).get(path, "")
    except OSError as exc:
        _eventlog_error(exc, jobid_text, path)
    for entry in jobwatch.eventlog_entries(text):
        print(fmt.format(entry))
    return 0


def _eventlog_error(exc: OSError, jobid: str, path: str) -> None:
    if exc.errno == errno.ENOENT:
        if path == "eventlog":
            die(PROG, f"job {jobid} not found")
        die(PROG, f"eventlog path {path} not found")
    die_err(PROG, "flux_job_eventlog_lookup_get", exc)


def _context_matches(entry: Dict[str, Any], tests: List[Tuple[str, str]]) -> bool:
    ctx = entry.get("context") or {}
    for key, value in tests:
        if key not in ctx:
            return False
        got = ctx[key]
        if (got if isinstance(got, str) else dumps(got)) != value:
            return False
    return True


def cmd_wait_event(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 2:
        p.print_usage()
        return 1
    jobid_text, wanted = o.args
    count = parse_int("flux-job wait-event", "count", o.get("count", "1") or "1")
    if count <= 0:
        die(PROG, "count must be > 0")
    fmt = _formatter(o)
    tests = []
    for item in o.all("match-context"):
        key, eq, value = item.partition("=")
        if not eq or not key:
            die(PROG, "must specify a context test as key=value")
        tests.append((key, value))
    timeout = parse_duration("flux-job wait-event", "timeout", o.get("timeout") or "") if o.has("timeout") else -1.0
    jobid = jobwatch.parse_jobid(PROG, jobid_text)
    path = jobwatch.eventlog_path(o.get("path", "eventlog") or "eventlog")
    h = _handle()
    watch = jobwatch.EventWatch(h, jobid, path, jobwatch.WAITCREATE if o.has("waitcreate") else 0)
    deadline = None if timeout < 0 else time.monotonic() + timeout
    matched = 0
    while True:
        try:
            entry = watch.next(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        except OSError as exc:
            if exc.errno == errno.ETIMEDOUT:
                die(PROG, f"wait-event timeout on event '{wanted}'")
            _eventlog_error(exc, jobid_text, path)
        if entry is None:
            die(PROG, f"event '{wanted}' never received")
        fmt.update_t0(float(entry["timestamp"]))
        if entry.get("name") == wanted and _context_matches(entry, tests):
            matched += 1
            if matched == count:
                if not o.has("quiet"):
                    print(fmt.format(entry), flush=True)
                watch.cancel()
                return 0
        if o.has("verbose"):
            print(fmt.format(entry), flush=True)


# -- status / wait -------------------------------------------------------------------
def cmd_status(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    exception_exit = parse_int("flux-job status", "exception-exit-code", o.get("exception-exit-code", "1") or "1")
    h = _handle()
    verbose = o.count("verbose")
    if verbose and len(o.args) > 1:
        sys.stderr.write(f"{PROG}: fetching status for {len(o.args)} jobs\n")
    results = []
    for text in o.args:
        jobid = jobwatch.parse_jobid(PROG, text)
        try:
            results.append((text, jobwatch.result(h, jobid)))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                die(PROG, f"{text}: No such job")
            die_err(PROG, f"{text}: flux_job_wait_status_get", exc)
    if verbose and len(o.args) > 1:
        sys.stderr.write(f"{PROG}: all done.\n")
    exit_code = 0
    for text, res in results:
        if o.has("json"):
            print(dumps(res.as_json()))
        code = res.exitcode()
        exit_code = max(exit_code, code)
        fatal = res.exception and res.exception_severity == 0
        if fatal and exception_exit > exit_code:
            exit_code = exception_exit
        if verbose:
            status = res.waitstatus if res.waitstatus is not None else -1
            if status >= 0 and os.WIFSIGNALED(status):
                sys.stderr.write(f"{PROG}: {text}: job shell died by signal {os.WTERMSIG(status)}\n")
            elif verbose > 1 or code != 0:
                if fatal:
                    sys.stderr.write(f"{PROG}: {text}: exception type={res.exception_type}\n")
                else:
                    sys.stderr.write(f"{PROG}: {text}: exited with exit code {code}\n")
    return exit_code


def cmd_wait(p: OptParser, o: Parsed) -> int:
    if len(o.args) > 1:
        p.print_usage()
        return 1
    jobid = -1
    if o.args:
        jobid = jobwatch.parse_jobid(PROG, o.args[0])
        if o.has("all"):
            die_err(PROG, "jobid not supported with --all", OSError(0, ""))

    any_id = 0xFFFFFFFFFFFFFFFF
    h = _handle()
    if o.has("all"):
        rc = 0
        while True:
            try:
                resp = h.rpc("job-manager.wait", {"id": any_id}).get()
            except OSError as exc:
                if exc.errno == errno.ECHILD:
                    return rc
                die(PROG, f"flux_job_wait_get_status: {error_text(exc)}")
            ident = jobwatch.idf58(resp["id"])
            if not resp.get("success"):
                sys.stderr.write(f"{ident}: {resp.get('errstr', '')}\n")
                rc = 1
            elif o.has("verbose"):
                sys.stderr.write(f"{ident}: job completed successfully\n")
    try:
        resp = h.rpc("job-manager.wait", {"id": jobid if jobid >= 0 else any_id}).get()
    except OSError as exc:
        sys.stderr.write(f"{PROG}: {error_text(exc)}\n")
        return 2 if exc.errno == errno.ECHILD else 1
    if jobid < 0:
        print(jobwatch.idf58(resp["id"]))
    if not resp.get("success"):
        die(PROG, resp.get("errstr", ""))
    return 0


# -- attach ------------------------------------------------------------------------------
def cmd_attach(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 1:
        p.print_usage()
        return 1
    text = o.args[0]
    jobid = jobwatch.parse_jobid(PROG, text)

    ident = jobwatch.idf58(jobid)
    h = _handle()
    return Attach(h, jobid, text, ident, o, just_submitted=False).run()


# flux-core's attach.c labels for the shell's log levels (RFC 5424 severities)
LEVELS = ["FATAL", "FATAL", "FATAL", "ERROR", " WARN", None, "DEBUG", "TRACE"]


class Attach:
    """flux job attach without a terminal: the job's output as it is written, its
    exceptions and its shell's log on stderr, and the job's exit code."""

    def __init__(self, h: Any, jobid: int, text: str, ident: str, o: Parsed, quiet_exit: bool = False,
                 just_submitted: bool = True) -> None:
        self.h, self.jobid, self.text, self.ident, self.o = h, jobid, text, ident, o
        self.quiet_exit = quiet_exit  # submit --watch: no "task(s) exited" line
        # flux run / submit --watch attach before a real job can start (its shell takes
        # tens of milliseconds), whatever a fake job has done by then
        self.just_submitted = just_submitted
        self.t0 = 0.0
        self.exit_code = 1
        self.fatal = False
        self.started = False
        self.label = o.has("label-io")
        self.wait_event = o.get("wait-event", "finish") or "finish"
        self.logged: set = set()
        self.stdin_thread: Optional[Any] = None

    def _ts(self, entry: Dict[str, Any]) -> float:
        ts = float(entry.get("timestamp", 0.0))
        if not self.t0:
            self.t0 = ts
        return ts - self.t0

    def run(self) -> int:
        over = not self.just_submitted and self._over()
        main = jobwatch.EventWatch(self.h, self.jobid)
        exec_watch: Optional[jobwatch.EventWatch] = None
        output: Optional[Any] = None  # the thread copying the job's output as it is written
        finished = started = False
        while True:
            try:
                entry = main.next()
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    die(PROG, f"Failed to attach to {self.text}: No such job")
                if exc.errno == errno.EPERM:
                    die(PROG, f"Failed to attach to {self.text}: that is not your job")
                die(PROG, f"flux_job_event_watch_get: {error_text(exc)}")
            if entry is None:
                break
            name = entry.get("name")
            ts = self._ts(entry)
            ctx = entry.get("context") or {}
            if name == "exception":
                if not over:
                    self._early_logs(float(entry.get("timestamp", 0.0)))
                sys.stdout.flush()
                sys.stderr.write(
                    f"{ts:.3f}s: job.exception {self.ident} type={ctx.get('type')} "
                    f"severity={ctx.get('severity')} {ctx.get('note', '')}\n"
                )
                self.fatal = self.fatal or ctx.get("severity") == 0
            elif self.o.has("show-events"):
                context = f" {dumps(entry['context'])}" if "context" in entry else ""
                sys.stderr.write(f"{ts:.3f}s: job.{name}{context}\n")
            if name == "start" and output is None:
                started = True
                exec_watch = self._drain_exec_until_init()
                if not over:  # a job already over: its output follows the whole main eventlog
                    output = self._start_output()
            if name == "finish":
                status = int(ctx.get("status", 0))
                self.exit_code = jobwatch.waitstatus_exitcode(status)
                finished = True
                if over:  # the whole main eventlog reaches the real command before any output
                    self._report_exit(status)
                    if started:
                        output = self._start_output()
                if output is not None:
                    output.join(timeout=60.0)  # the shell ends every stream before it exits
                    output = None
                if exec_watch is not None:
                    exec_watch.cancel()
                if not over:
                    self._report_exit(status)
            # with --show-events the rest of the log still shows, as it reaches the real
            # command before its cancel does
            if name == self.wait_event and finished and not self.o.has("show-events") or name == "clean":
                break
        main.cancel()
        if self.fatal and self.exit_code == 0:
            self.exit_code = 1
        sys.stdout.flush()
        return self.exit_code

    def _report_exit(self, status: int) -> None:
        if self.exit_code != 0 and not self.quiet_exit:
            sys.stdout.flush()
            sys.stderr.write(f"{PROG}: {jobwatch.waitstatus_text(status)}\n")

    def _over(self) -> bool:
        """Whether the job was already over (its ``clean`` posted) when attach began."""
        try:
            text = jobwatch.lookup(self.h, self.jobid, ["eventlog"]).get("eventlog", "")
            return any(e.get("name") == "clean" for e in jobwatch.eventlog_entries(str(text)))
        except (OSError, ValueError):
            return False  # the eventlog watch reports what is wrong

    def _start_output(self) -> Any:
        """Copy the output eventlog as it grows, in a thread with its own handle (a
        handle serves one thread), while this one follows the main eventlog."""
        import threading

        def copy() -> None:
            import flux  # type: ignore[import-not-found,unused-ignore]

            h = flux.Flux()
            self._copy_output(jobwatch.EventWatch(h, self.jobid, "guest.output", jobwatch.WAITCREATE))

        thread = threading.Thread(target=copy, daemon=True)
        thread.start()
        return thread

    def _early_logs(self, until: float) -> None:
        """The shell's log lines written before an exception, for a job attached to
        while it ran: the real command watches the output eventlog concurrently, so
        they come out first (attached to once the job is over, it prints the exception
        first: the main eventlog is all there at once)."""
        try:
            text = jobwatch.lookup(self.h, self.jobid, ["guest.output"]).get("guest.output", "")
        except OSError:
            return
        for entry in jobwatch.eventlog_entries(text):
            if entry.get("name") == "log" and float(entry.get("timestamp", 0.0)) <= until:
                self._shell_log(entry)

    def _drain_exec_until_init(self) -> Optional[jobwatch.EventWatch]:
        """The exec eventlog up to the shell's start: its log messages go to stderr."""
        watch = jobwatch.EventWatch(self.h, self.jobid, "guest.exec.eventlog", jobwatch.WAITCREATE)
        try:
            while True:
                entry = watch.next(timeout=60.0)
                if entry is None:
                    return None
                if entry.get("name") == "log":
                    self._shell_log(entry)
                elif self.o.has("show-exec"):
                    context = f" {dumps(entry['context'])}" if "context" in entry else ""
                    sys.stderr.write(f"{self._ts(entry):.3f}s: exec.{entry.get('name')}{context}\n")
                if entry.get("name") == "shell.init":
                    self._start_stdin(entry.get("context") or {})
                if entry.get("name") in ("shell.start", "shell.init", "complete", "done"):
                    return watch
        except OSError:
            return watch

    def _start_stdin(self, ctx: Dict[str, Any]) -> None:
        """Forward this process's stdin to the job's shell (``SERVICE.stdin`` requests on
        the leader rank, RFC 24 io contexts), as flux-core's attach does; stdin at its
        end closes the tasks' stdin.  A thread with its own handle reads it."""
        service = ctx.get("service")
        if not service or self.o.has("read-only") or self.stdin_thread is not None:
            return
        import threading

        ranks = self.o.get("stdin-ranks", "all") or "all"
        leader = int(ctx.get("leader-rank", 0))
        self.stdin_thread = threading.Thread(target=_send_stdin, args=(f"{service}.stdin", leader, ranks), daemon=True)
        self.stdin_thread.start()

    def _shell_log(self, entry: Dict[str, Any]) -> None:
        ctx = entry.get("context") or {}
        key = (entry.get("timestamp"), ctx.get("message"))
        if key in self.logged:
            return
        self.logged.add(key)
        ts = self._ts(entry)
        rank = ctx.get("rank")
        parts = [f"{ts:.3f}s: flux-shell" + (f"[{rank}]" if rank is not None and rank >= 0 else "")]
        level = ctx.get("level", -1)
        label = LEVELS[level] if isinstance(level, int) and 0 <= level < len(LEVELS) else None
        if label:
            parts.append(label)
        if ctx.get("component"):
            parts.append(ctx["component"])
        if self.o.has("verbose") and ctx.get("file"):
            parts.append(ctx["file"] + (f":{ctx['line']}" if ctx.get("line", -1) > 0 else ""))
        parts.append(ctx.get("message", ""))
        sys.stdout.flush()
        sys.stderr.write(": ".join(parts) + "\n")

    def _copy_output(self, watch: jobwatch.EventWatch) -> None:
        """Write the output eventlog's data until its end (the shell closes every stream)."""
        open_streams: Optional[int] = None
        closed = 0
        import base64

        while True:
            try:
                entry = watch.next()
            except OSError:
                break
            if entry is None:
                break
            name = entry.get("name")
            ctx = entry.get("context") or {}
            if name == "header":
                counts = ctx.get("count") or {}
                open_streams = sum(int(v) for v in counts.values()) if counts else None
                continue
            if name == "log":
                self._shell_log(entry)
                continue
            if name != "data":
                continue
            data = ctx.get("data", "")
            raw = base64.b64decode(data) if ctx.get("encoding") == "base64" else data.encode()
            stream = sys.stdout if ctx.get("stream") == "stdout" else sys.stderr
            if raw:
                if self.label:
                    lines = raw.decode("utf-8", "replace").splitlines(keepends=True)
                    stream.write("".join(f"{ctx.get('rank')}: {line}" for line in lines))
                else:
                    stream.flush()
                    stream.buffer.write(raw)
                stream.flush()
            if ctx.get("eof"):
                closed += 1
                if open_streams is not None and closed >= open_streams:
                    break
        watch.cancel()


# -- info / id / last / urgency / kill / raise ------------------------------------------
def _send_stdin(topic: str, leader: int, ranks: str) -> None:
    import flux  # type: ignore[import-not-found,unused-ignore]

    h = flux.Flux()
    sent = False
    try:
        stream = sys.stdin.buffer
    except (AttributeError, ValueError):
        return
    while True:
        try:
            data = stream.readline() if sys.stdin.isatty() else os.read(stream.fileno(), 1 << 17)
        except (OSError, ValueError):
            data = b""
        context: Dict[str, Any] = {"stream": "stdin", "rank": ranks}
        if data:
            try:
                context["data"] = data.decode("utf-8")
            except UnicodeDecodeError:
                import base64

                context.update(encoding="base64", data=base64.b64encode(data).decode("ascii"))
        else:
            context["eof"] = True
        try:
            h.rpc(topic, context, nodeid=leader).get()
        except OSError:
            if sent:
                sys.stderr.write(f"{PROG}: stdin not accepted by job\n")
                os._exit(1)
            return
        sent = sent or bool(data)
        if not data:
            return


def cmd_info(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 2:
        p.print_usage()
        return 1
    jobid = jobwatch.parse_jobid(PROG, o.args[0])
    key = o.args[1]
    h = _handle()
    original = o.has("original") and key == "jobspec"
    if original:  # the jobspec as submitted: the payload of the signed J
        key = "J"
    # jobspec and R with their updates applied (FLUX_JOB_LOOKUP_CURRENT) unless --base
    current = not original and not o.has("base") and key in ("jobspec", "R")
    try:
        value = jobwatch.lookup(h, jobid, [key], 2 if current else 0)[key]
    except OSError as exc:
        die(PROG, error_text(exc))
    if original:
        from flux.job.kvslookup import unwrap_string  # type: ignore[import-not-found,unused-ignore]

        try:
            value = unwrap_string(value)
        except (OSError, ValueError) as exc:
            die(PROG, f"Failed to unwrap J to get jobspec: {exc.strerror if isinstance(exc, OSError) else exc}")
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


ENCODINGS = ("dec", "kvs", "hex", "dothex", "words", "f58", "f58plain", "emoji")


def cmd_id(p: OptParser, o: Parsed) -> int:
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    to = o.get("to", "dec") or "dec"
    inputs = o.args or [line.strip() for line in sys.stdin if line.strip()]
    for text in inputs:
        try:
            jobid = JobID(text)
        except (ValueError, OSError, TypeError):
            die(PROG, f"{text}: malformed input")
        if to not in ENCODINGS:
            die(PROG, f"Unknown to={to}")
        if to == "kvs":
            print(f"job.{jobid.dothex}")
        else:
            print(jobid.encode(to) if to != "dec" else int(jobid))
    return 0


def cmd_last(p: OptParser, o: Parsed) -> int:
    """The slice goes to job-manager.history.get (the history jobtap plugin)."""
    args = list(o.args)
    slice_text = "[:1]"
    if args:
        slice_text = args.pop(0)
        if "[" not in slice_text:
            try:
                slice_text = f"[:{int(slice_text, 10)}]"
            except ValueError:
                p.print_usage()
                return 1
    if args:
        p.print_usage()
        return 1
    h = _handle()
    try:
        ids = h.rpc("job-manager.history.get", {"slice": slice_text}).get()["jobs"]
    except OSError as exc:
        die(PROG, error_text(exc))
    if not ids:
        die(PROG, "job history is empty")
    for jobid in ids:
        print(jobwatch.idf58(jobid))
    return 0


def cmd_urgency(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 2:
        p.print_usage()
        return 1
    text, value = o.args
    jobid = jobwatch.parse_jobid(PROG, text)
    if value.lower() in URGENCY_NAMES:
        urgency = URGENCY_NAMES[value.lower()]
    else:
        try:
            urgency = int(value)
        except ValueError:
            die(PROG, f"invalid urgency: {value}")
    h = _handle()
    try:
        resp = h.rpc("job-manager.urgency", {"id": jobid, "urgency": urgency}).get()
    except OSError as exc:
        die(PROG, f"{text}: {error_text(exc)}")
    if o.has("verbose"):
        old = resp.get("old_urgency")
        message = "job held" if old == 0 else "job expedited" if old == 31 else str(old)
        sys.stderr.write(f"old urgency: {message}\n")
    return 0


def _signal_number(text: str) -> Optional[int]:
    if text.isdigit():
        return int(text)
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    value = getattr(signal, name, None)
    return int(value) if isinstance(value, signal.Signals) else None


def cmd_kill(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    signum = _signal_number(o.get("signal", "SIGTERM") or "SIGTERM")
    if signum is None or not 0 < signum < 65:
        die(PROG, f"kill: Invalid signal {o.get('signal')}")
    ids = [(text, jobwatch.parse_jobid(PROG, text)) for text in o.args]
    h = _handle()
    futures = [(text, h.rpc("job-manager.kill", {"id": jobid, "signum": signum})) for text, jobid in ids]
    rc = 0
    for text, future in futures:
        try:
            future.get()
        except OSError as exc:
            sys.stderr.write(f"{PROG}: {text}: {error_text(exc)}\n")
            rc = 1
    return rc


def cmd_raise(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    ids: List[Tuple[str, int]] = []
    rest = list(o.args)
    while rest and rest[0] != "--":
        from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

        try:
            ids.append((rest[0], int(JobID(rest[0]))))
        except (ValueError, OSError, TypeError):
            break
        rest.pop(0)
    if rest[:1] == ["--"]:
        rest.pop(0)
    if not ids:
        die(PROG, f"invalid jobid: {o.args[0]}")
    note = " ".join(rest)
    if note and o.has("message"):
        die(PROG, "Do not set note on command line and with --message")
    note = o.get("message") or note
    severity = parse_int("flux-job raise", "severity", o.get("severity", "0") or "0")
    etype = o.get("type", "cancel") or "cancel"
    h = _handle()
    rc = 0
    for text, jobid in ids:
        try:
            h.rpc("job-manager.raise", {"id": jobid, "severity": severity, "type": etype, "note": note}).get()
        except OSError as exc:
            sys.stderr.write(f"{PROG}: {text}: {error_text(exc)}\n")
            rc = 1
    return rc


def cmd_namespace(p: OptParser, o: Parsed) -> int:
    inputs = o.args or [line.strip() for line in sys.stdin]
    for text in inputs:
        print(f"job-{jobwatch.parse_jobid(PROG, text)}")
    return 0


def cmd_timeleft(p: OptParser, o: Parsed) -> int:
    from flux.job import timeleft  # type: ignore[import-not-found,unused-ignore]

    if len(o.args) > 1:
        p.print_usage()
        return 1
    h = _handle()
    if o.args:
        os.environ["FLUX_JOB_ID"] = o.args[0]
    try:
        left = timeleft(h)
    except (OSError, ValueError) as exc:
        die(PROG, getattr(exc, "strerror", None) or str(exc))
    if o.has("human"):
        from flux.util import fsd  # type: ignore[import-not-found,unused-ignore]

        print(fsd(left))
    elif left == float("inf"):
        print(2**32 - 1)  # UINT_MAX, as flux-core prints an unlimited job's
    else:
        print(1 if 0 < left < 1 else int(left))
    return 0


def cmd_stats(p: OptParser, o: Parsed) -> int:
    h = _handle()
    try:
        text = h.rpc("job-list.job-stats").get_str()
    except OSError as exc:
        die(PROG, f"stats: {error_text(exc)}")
    print(text)
    return 0


Sub = Tuple[Optional[str], str, List[Option], Callable[[OptParser, Parsed], int]]

EVENT_FORMAT = [
    Option("format", "f", REQUIRED_ARG, "FORMAT", "Specify output format: text, json"),
    Option("time-format", "T", REQUIRED_ARG, "FORMAT", "Specify time format: raw, iso, offset"),
    Option("human", "H", usage="Display human-readable output. See also --color, --format, and --time-format."),
]
PATH = Option(
    "path",
    "p",
    REQUIRED_ARG,
    "PATH",
    'Specify alternate eventlog name or path suffix (e.g. "exec", "output", or "guest.exec.eventlog")',
)

def _ranges(ids: List[int]) -> str:
    """An idset with ranges (IDSET_FLAG_RANGE): 0-1,3."""
    spans: List[List[int]] = []
    for i in sorted(set(ids)):
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def _raw_taskmap(text: str) -> Any:
    """taskmap_decode's raw form: one idset of task ids per node, ';' between nodes."""
    from fakeflux.shell.taskmap import TaskMap

    nodes: Dict[int, int] = {}
    for nodeid, part in enumerate(text.split(";")):
        for item in part.split(","):
            lo, _dash, hi = item.partition("-")
            if not lo.isdigit() or (hi and not hi.isdigit()):
                die(PROG, f"error decoding taskmap: error parsing range '{part}'")
            for taskid in range(int(lo), int(hi or lo) + 1):
                if taskid in nodes:
                    die(PROG, f"error decoding taskmap: duplicate taskid specified: {taskid}")
                nodes[taskid] = nodeid
    if sorted(nodes) != list(range(len(nodes))):
        die(PROG, "error decoding taskmap: missing taskids")
    return TaskMap.from_task_nodes(nodes[t] for t in range(len(nodes)))


def _job_taskmap(jobid: int) -> Any:
    """get_job_taskmap: the taskmap of the job's shell.start event, waited for."""
    from flux.job import event_watch  # type: ignore[import-not-found,unused-ignore]

    from fakeflux.shell.taskmap import TaskMap

    try:
        for event in event_watch(_handle(), jobid, "guest.exec.eventlog"):
            if event.name == "shell.start":
                try:
                    return TaskMap.decode(json.dumps(event.context["taskmap"]))
                except (KeyError, ValueError):
                    die(PROG, "failed to get taskmap from shell.start event")
    except FileNotFoundError:
        die(PROG, "Unable to get job taskmap: no such job")
    except OSError as exc:
        die(PROG, f"waiting for shell.start event: {error_text(exc)}")
    die(PROG, "No taskmap found for job")


def _job_hosts(jobid: int) -> List[str]:
    from fakeflux.broker.jobs.resources import hostlist_decode

    try:
        R = json.loads(jobwatch.lookup(_handle(), jobid, ["R"], 0)["R"])
        return [h for hl in R["execution"]["nodelist"] for h in hostlist_decode(hl)]
    except (OSError, ValueError, KeyError):
        die(PROG, "failed to get hostlist for job: No such file or directory")


def cmd_taskmap(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    from fakeflux.shell.taskmap import TaskMap

    arg = o.args[0]
    jobid: Optional[int] = None
    try:
        jobid = int(JobID(arg))
    except (ValueError, OSError, TypeError):
        pass
    if jobid is not None:
        tmap = _job_taskmap(jobid)
    elif arg.lstrip().startswith(("[", "{")):
        try:
            tmap = TaskMap.decode(arg)
        except ValueError as exc:
            die(PROG, f"error decoding taskmap: {exc}")
    else:
        tmap = _raw_taskmap(arg)
    nodes = tmap.task_nodes()
    nnodes = max(nodes) + 1 if nodes else 0

    def number(name: str) -> Optional[int]:
        value = o.get(name)
        return parse_int(f"{PROG} taskmap", name, value) if value is not None else None

    node = number("taskids")
    if node is not None:
        ids = [t for t, n in enumerate(nodes) if n == node]
        if not ids:
            die(PROG, f"No taskids for node {node}: No such file or directory")
        print(_ranges(ids))
        return 0
    node = number("ntasks")
    if node is not None:
        if not 0 <= node < nnodes:
            die(PROG, f"failed to get task count for node {node}: No such file or directory")
        print(nodes.count(node))
        return 0
    task = number("nodeid")
    if task is None:
        task = number("hostname")
    if task is not None:
        if not 0 <= task < len(nodes):
            die(PROG, f"failed to get nodeid for task {task}: No such file or directory")
        if o.has("hostname"):
            if jobid is None:
                die(PROG, "taskmap: can't use --hostname without a jobid")
            print(_job_hosts(jobid)[nodes[task]])
        else:
            print(nodes[task])
        return 0
    to = o.get("to")
    per_node = [[t for t, n in enumerate(nodes) if n == i] for i in range(nnodes)]
    if to is None:
        print(json.dumps(tmap.blocks(), separators=(",", ":")))
    elif to == "raw":
        print(";".join(_ranges(ids) for ids in per_node))
    elif to == "pmi":
        print(tmap.encode_pmi())
    elif to == "multiline":
        for taskid, n in enumerate(nodes):
            print(f"{taskid}: {n}")
    elif to == "hosts":
        if jobid is None:
            die(PROG, "taskmap: can't use --to=hosts without a jobid")
        hosts = _job_hosts(jobid)
        for i, ids in enumerate(per_node):
            print(f"{hosts[i]}: {_ranges(ids)}")
    else:
        die(PROG, f"invalid value --to={to}")
    return 0


USERID_UNKNOWN = 0xFFFFFFFF
STATE_BITS = {"NEW": 1, "DEPEND": 2, "PRIORITY": 4, "SCHED": 8, "RUN": 16, "CLEANUP": 32, "INACTIVE": 64,
              "PENDING": 14, "RUNNING": 48, "ACTIVE": 62}


def _target_user(o: Parsed) -> int:
    """parse_arg_userid: 'all', a user name, or a uid (default: the caller)."""
    text = o.get("user")
    if text is None:
        return os.getuid()
    if text == "all":
        return USERID_UNKNOWN
    import pwd

    try:
        return pwd.getpwnam(text).pw_uid
    except KeyError:
        pass
    if not text[:1].isdigit() or not text.isdigit() or int(text) > 0xFFFFFFFF:
        die(PROG, f"unknown user {text}")
    return int(text)


def _target_states(o: Parsed) -> int:
    """parse_arg_states: state names (any case, comma separated) or pending/running/active."""
    mask = 0
    for value in o.all("states"):
        for name in value.split(","):
            if name.upper() not in STATE_BITS:
                die(PROG, f"error parsing --states: {name} is unknown")
            mask |= STATE_BITS[name.upper()]
    if mask == 0:
        die(PROG, "no states specified")
    return mask


def _report_all(count: int, dry_run: bool, done: str) -> None:
    if count > 0 and dry_run:
        sys.stderr.write(f"{PROG}: Command matched {count} jobs (-f to confirm)\n")
    elif count > 0:
        sys.stderr.write(f"{PROG}: {done}\n")
    else:
        sys.stderr.write(f"{PROG}: Command matched 0 jobs\n")


def cmd_raiseall(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    severity = parse_int("flux-job raiseall", "severity", o.get("severity", "7") or "7")
    kind, rest = o.args[0], o.args[1:]
    note = " ".join(rest) if rest else None
    states = 62  # FLUX_JOB_STATE_ACTIVE
    if o.has("states"):
        states = _target_states(o)
        if states & 64:
            die(PROG, "Exceptions cannot be raised on inactive jobs")
    userid = _target_user(o)
    dry_run = not o.has("force")
    h = _handle()
    req: Dict[str, Any] = {"dry_run": dry_run, "userid": userid, "states": states, "severity": severity,
                           "type": kind}
    if note is not None:
        req["note"] = note
    try:
        resp = h.rpc("job-manager.raiseall", req).get()
    except OSError as exc:
        die(PROG, f"raiseall: {error_text(exc)}")
    count, errors = resp["count"], resp["errors"]
    _report_all(count, dry_run, f"Raised exception on {count} jobs ({errors} errors)")
    return 0


def cmd_killall(p: OptParser, o: Parsed) -> int:
    if o.args:
        p.print_usage()
        return 1
    name = o.get("signal", "SIGTERM") or "SIGTERM"
    signum = _signal_number(name)
    if signum is None:
        die(PROG, f"killall: Invalid signal {name}")
    userid = _target_user(o)
    h = _handle()
    dry_run = not o.has("force")
    try:
        resp = h.rpc("job-manager.killall", {"dry_run": dry_run, "userid": userid, "signum": signum}).get()
    except OSError as exc:
        die(PROG, f"killall: {error_text(exc)}")
    count, errors = resp["count"], resp["errors"]
    _report_all(count, dry_run, f"{signal.strsignal(signum)} {count} jobs ({errors} errors)")
    return 0


def _memo_value(text: str) -> Any:
    """A memo value as memo.c reads it: JSON (any type, as jansson decodes
    it) when it parses, else the text as a string."""
    def refuse(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:
        return text


def _memo_set(memo: Dict[str, Any], key: str, value: Any) -> bool:
    """jpath_set: a dotted key makes (or enters) nested objects; an empty
    component is refused."""
    parts = key.split(".")
    if any(not part for part in parts):
        return False
    node = memo
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value
    return True


def cmd_memo(p: OptParser, o: Parsed) -> int:
    if len(o.args) < 2:
        p.print_usage()
        return 1
    h = _handle()
    jobid = jobwatch.parse_jobid(PROG, o.args[0])
    memo: Dict[str, Any] = {}
    for item in o.args[1:]:
        key, eq, text = item.partition("=")
        if not eq:
            die(PROG, f"memo: no value for key={item}")
        if text == "-":
            text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        if not _memo_set(memo, key, _memo_value(text)):
            die(PROG, f"failed to set {key}={text} in memo object\n: Invalid argument")
    try:
        h.rpc("job-manager.memo", {"id": jobid, "volatile": o.has("volatile"), "memo": memo}).get()
    except OSError as exc:
        die(PROG, f"memo: {error_text(exc)}")
    return 0


# -- purge ----------------------------------------------------------------------------------
def _purge_finish(h: Any, force: bool, total: int) -> int:
    try:
        inactive = h.rpc("job-manager.stats-get").get()["inactive_jobs"]
    except (OSError, KeyError, TypeError):
        die(PROG, "purge: failed to fetch inactive job count")
    if force:
        print(f"purged {total} inactive jobs, {inactive} remaining")
    else:
        print(f"use --force to purge {total} of {inactive} inactive jobs")
    return 0


def cmd_purge(p: OptParser, o: Parsed) -> int:
    """Jobs by id (each checked, or purged with --force), else the oldest
    inactive jobs beyond the limits, a batch per request while batches come back full."""
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    force = o.has("force")
    if o.args:
        h = _handle()
        futures = []
        for text in o.args:  # as flux-core: each request goes out as its id is read
            try:
                jobid = int(JobID(text))
            except (ValueError, OSError, TypeError):
                die(PROG, f'error parsing jobid: "{text}"')
            futures.append(h.rpc("job-manager.purge-id", {"id": jobid, "force": int(force)}))
        total = 0
        for future in futures:
            try:
                total += future.get()["count"]
            except OSError as exc:
                die(PROG, f"purge: {error_text(exc)}")
        return _purge_finish(h, force, total)
    fullname = f"{PROG} purge"
    age_limit = parse_duration(fullname, "age-limit", o.get("age-limit") or "") if o.has("age-limit") else -1.0
    num_limit = parse_int(fullname, "num-limit", o.get("num-limit", "") or "") if o.has("num-limit") else -1
    batch = parse_int(fullname, "batch", o.get("batch", "") or "") if o.has("batch") else 50
    h = _handle()
    req = {"age_limit": float(age_limit), "num_limit": num_limit, "batch": batch, "force": force}
    total = 0
    while True:
        try:
            count = h.rpc("job-manager.purge", req).get()["count"]
        except OSError as exc:
            die(PROG, f"purge: {error_text(exc)}")
        total += count
        if not force or count != batch:
            break
    return _purge_finish(h, force, total)


SUBS: Dict[str, Sub] = {
    "memo": (
        "[--volatile] id key=value [key=value, ...]",
        "Post an RFC 21 memo to a job",
        [Option("volatile", "", usage="Memo will not appear in eventlog (will be lost on restart)")],
        cmd_memo,
    ),
    "urgency": (
        "[OPTIONS] id urgency",
        "Set job urgency (0-31, HOLD, EXPEDITE, DEFAULT)",
        [Option("verbose", "v", usage="Output old urgency value on success")],
        cmd_urgency,
    ),
    "raise": (
        "[OPTIONS] ids... [--] [message ...]",
        "Raise exception on one or more jobs",
        [
            Option("severity", "s", REQUIRED_ARG, "N", "Set exception severity [0-7] (default=0)"),
            Option("type", "t", REQUIRED_ARG, "TYPE", "Set exception type (default=cancel)"),
            Option("message", "m", REQUIRED_ARG, "NOTE", "Set exception note"),
        ],
        cmd_raise,
    ),
    "taskmap": (
        "[OPTION] JOBID|TASKMAP",
        "Utility function for working with job task maps",
        [
            Option("taskids", "", REQUIRED_ARG, "NODEID", "Print idset of tasks on node NODEID"),
            Option("ntasks", "", REQUIRED_ARG, "NODEID", "Print number of tasks on node NODEID"),
            Option("nodeid", "", REQUIRED_ARG, "TASKID", "Print the shell rank/nodeid on which a taskid executed"),
            Option("hostname", "", REQUIRED_ARG, "TASKID", "Print the hostname on which a taskid executed"),
            Option("to", "", REQUIRED_ARG, "FORMAT",
                   "Convert an RFC 34 taskmap to another format (FORMAT can be raw, pmi, hosts, or multiline)"),
        ],
        cmd_taskmap,
    ),
    "raiseall": (
        "OPTIONS type [message ...]",
        "Raise an exception on multiple jobs.",
        [
            Option("severity", "s", REQUIRED_ARG, "N", "Set exception severity [0-7] (0 is fatal, default=7)"),
            Option("user", "u", REQUIRED_ARG, "USER", "Set target user or 'all' (instance owner only)"),
            Option("states", "S", REQUIRED_ARG, "STATES", "Set target job states (default=ACTIVE)"),
            Option("force", "f", usage="Confirm the command"),
        ],
        cmd_raiseall,
    ),
    "killall": (
        "[OPTIONS]",
        "Send signal to multiple running jobs",
        [
            Option("signal", "s", REQUIRED_ARG, "SIG", "Send signal SIG (default SIGTERM)"),
            Option("user", "u", REQUIRED_ARG, "USER", "Set target user or 'all' (instance owner only)"),
            Option("force", "f", usage="Confirm the command"),
        ],
        cmd_killall,
    ),
    "kill": (
        "[OPTIONS] ids...",
        "Send signal to one or more running jobs",
        [Option("signal", "s", REQUIRED_ARG, "SIG", "Send signal SIG (default SIGTERM)")],
        cmd_kill,
    ),
    "attach": (
        "[OPTIONS] id",
        "Interactively attach to job",
        [
            # flux-core's order and texts (its --show-status and --debug are not emulated)
            Option("show-events", "E", usage="Show job events on stderr"),
            Option("show-exec", "X", usage="Show exec events on stderr"),
            Option(
                "wait-event",
                "w",
                REQUIRED_ARG,
                "NAME",
                "Wait for event NAME before detaching from eventlog (default=finish)",
            ),
            Option("label-io", "l", usage="Label output by rank"),
            Option("verbose", "v", usage="Increase verbosity"),
            Option("quiet", "q", usage="Suppress warnings written to stderr from flux-job"),
            Option("read-only", "r", usage="Disable reading stdin and capturing signals"),
            Option("unbuffered", "u", usage="Disable buffering of stdin"),
            Option("stdin-ranks", "i", REQUIRED_ARG, "RANKS", "Send standard input to only RANKS (default: all)"),
            Option("tail", "", OPTIONAL_ARG, "NUM", "Output only the last NUM lines of job output (default 10)"),
        ],
        cmd_attach,
    ),
    "status": (
        "id [id...]",
        "Wait for job(s) to complete and exit with largest exit code",
        [
            Option("verbose", "v", usage="Increase verbosity"),
            Option("json", "j", usage="Dump job result information gleaned from eventlog to stdout"),
            Option(
                "exception-exit-code",
                "e",
                REQUIRED_ARG,
                "N",
                "Set the default exit code for any jobs that terminate solely due to an exception (e.g. canceled "
                "jobs or jobs rejected by the scheduler) to N [default=1]",
            ),
        ],
        cmd_status,
    ),
    "id": (
        "[OPTIONS] [id ...]",
        "Convert jobid(s) to another form",
        [Option("to", "t", REQUIRED_ARG, "dec|kvs|hex|dothex|words|f58", "Convert jobid to specified form")],
        cmd_id,
    ),
    "eventlog": (
        "[OPTIONS] id",
        "Display eventlog for a job",
        [
            *EVENT_FORMAT,
            COLOR,
            Option("follow", "F", usage="Follow events until job is inactive."),
            PATH,
        ],
        cmd_eventlog,
    ),
    "wait-event": (
        "[OPTIONS] id event",
        "Wait for an event ",
        [
            *EVENT_FORMAT,
            Option("timeout", "t", REQUIRED_ARG, "DURATION", "timeout after DURATION"),
            Option("match-context", "m", REQUIRED_ARG, "KEY=VAL", "match key=val in context"),
            Option("count", "c", REQUIRED_ARG, "COUNT", "required number of matches (default 1)"),
            Option("quiet", "q", usage="Do not output matched event"),
            Option("verbose", "v", usage="Output all events before matched event"),
            COLOR,
            PATH,
            Option("waitcreate", "W", usage="If path does not exist, wait for its creation"),
        ],
        cmd_wait_event,
    ),
    "info": (
        "id key",
        "Display info for a job",
        [
            Option("original", "o", usage='For key "jobspec", return the original submitted jobspec'),
            Option("base", "b", usage='For key "jobspec" or "R", do not apply updates from eventlog'),
        ],
        cmd_info,
    ),
    "wait": (
        "[--all] [id]",
        "Wait for job(s) to complete.",
        [
            Option("all", "a", usage="Wait for all (waitable) jobs"),
            Option("verbose", "v", usage="Emit a line of output for all jobs, not just failing ones"),
        ],
        cmd_wait,
    ),
    "last": ("SLICE", "List my most recently submitted job id(s)", [], cmd_last),
    "namespace": ("[id ...]", "Convert job ids to job guest kvs namespace names", [], cmd_namespace),
    "timeleft": (
        "[JOBID]",
        "Find remaining runtime for job or enclosing instance",
        [Option("human", "H", usage="Output in Flux Standard Duration instead of seconds.")],
        cmd_timeleft,
    ),
    "stats": (None, "Get current job stats", [], cmd_stats),
    "purge": (
        "[--age-limit=FSD] [--num-limit=N] [--batch=COUNT] [--force] [ID ...]",
        "Purge the oldest inactive jobs",
        [
            Option("age-limit", "", REQUIRED_ARG, "FSD", "Purge jobs that became inactive beyond age-limit."),
            Option("num-limit", "", REQUIRED_ARG, "COUNT", "Purge oldest inactive jobs until COUNT are left."),
            Option("force", "f", usage="Perform the irreversible purge."),
            Option("batch", "", REQUIRED_ARG, "COUNT", "Limit number of jobs per request (default 50)."),
        ],
        cmd_purge,
    ),
}

# What `flux job` lists: flux-core's commands, whether or not fakeflux has them.
LISTED = [
    ("urgency", "Set job urgency (0-31, HOLD, EXPEDITE, DEFAULT)"),
    ("raise", "Raise exception on one or more jobs"),
    ("raiseall", "Raise an exception on multiple jobs."),
    ("kill", "Send signal to one or more running jobs"),
    ("killall", "Send signal to multiple running jobs"),
    ("attach", "Interactively attach to job"),
    ("status", "Wait for job(s) to complete and exit with largest exit code"),
    ("submit", "Run job"),
    ("id", "Convert jobid(s) to another form"),
    ("eventlog", "Display eventlog for a job"),
    ("wait-event", "Wait for an event "),
    ("info", "Display info for a job"),
    ("stats", "Get current job stats"),
    ("namespace", "Convert job ids to job guest kvs namespace names"),
    ("wait", "Wait for job(s) to complete."),
    ("memo", "Post an RFC 21 memo to a job"),
    ("taskmap", "Utility function for working with job task maps"),
    ("timeleft", "Find remaining runtime for job or enclosing instance"),
    ("hostpids", "Print host:pid pairs for tasks in JOBID"),
    ("last", "List my most recently submitted job id(s)"),
    ("purge", "Purge the oldest inactive jobs"),
]


def usage_text() -> str:
    return command_list_usage(PROG, LISTED)


def main(argv: List[str]) -> int:
    args = argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        sys.stderr.write(usage_text())
        return 1
    top = OptParser(PROG, "[OPTIONS] COMMAND ARGS").parse(args)
    if not top.args or top.args[0] not in SUBS:
        sys.stderr.write(usage_text())
        return 1
    name = top.args[0]
    usage, doc, options, fn = SUBS[name]
    parser = OptParser(f"{PROG} {name}", usage, options, doc)
    return fn(parser, parser.parse(top.args[1:]))


__all__ = ["main", "Attach", "fsd_seconds", "strerror"]
