"""Local execution: each job's tasks run as real processes on this machine,
as under ``flux start --test-size=N``; this back end plays job-exec and the
job shell (one shell per allocated rank, as flux-core starts them) and asks
the IO layer (:class:`~fakeflux.broker.jobs.exec.ProcessHost`) for every
process, pipe and directory.

What it writes is what real Flux writes (flux-core v0.88, recorded on a real
instance): ``init``, ``starting``, ``shell.init``, ``shell.start``, the first
``shell.task-exit``, ``shell-exit``, ``complete``, ``done`` in
``guest.exec.eventlog``; RFC 24 ``guest.output`` (header, line-buffered
``data``, ``eof`` per task and stream, ``redirect`` for output files, ``log``
for shell errors) and the ``guest.input`` header.  Time is real here: the
time limit, the kill timer (SIGKILL every ``exec.kill-timeout``, default 5 s,
after the first signal of an exception) and the shell's ``exit-timeout``.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from fakeflux.broker.jobs import shell as S
from fakeflux.broker.jobs.eventlog import eventlog_entry
from fakeflux.broker.jobs.exec import ProcessHost, TaskSpec
from fakeflux.broker.jobs.filemap import entries as filemap_entries
from fakeflux.broker.jobs.local_run import (
    LocalRun,
    LocalTask,
    input_file,
    output_files,
    plan,
    run_taskmap,
    shell_options,
    shell_start_problem,
    task_counts,
    template_values,
)
from fakeflux.broker.jobs.model import CLEANUP, RUN, Job
from fakeflux.broker.jobs.shell_stdin import StdinService
from fakeflux.broker.jobs.util import guest_namespace, idset_encode, parse_fsd
from fakeflux.shell.pmi import (
    SETUP_FAILURE_NOTE,
    PmiAbort,
    PmiProtocolError,
    PmiServer,
    PmiSetupError,
    PmiWarning,
    pmi_simple_options,
    simple_pmi_enabled,
)
from fakeflux.shell.taskmap import TaskMap

if TYPE_CHECKING:
    from fakeflux.broker.jobs.manager import JobSystem

DEFAULT_KILL_TIMEOUT = 5.0
DEFAULT_EXIT_TIMEOUT = 30.0


class LocalExec:
    def __init__(self, system: JobSystem, host: ProcessHost) -> None:
        self.system = system
        self.core = system.core
        self.host = host
        self.runs: Dict[int, LocalRun] = {}
        self.ascii = S.f58_ascii_only()

    # -- configuration ----------------------------------------------------------------------
    def kill_timeout(self) -> float:
        value = self.core.config.lookup("exec.kill-timeout")
        try:
            return parse_fsd(value) if isinstance(value, str) else float(value) if value is not None \
                else DEFAULT_KILL_TIMEOUT
        except (TypeError, ValueError):
            return DEFAULT_KILL_TIMEOUT

    # -- timers (real seconds, cancelled with the run) ---------------------------------------------
    def _later(self, run: LocalRun, delay: float, fn: Callable[[], None]) -> List[bool]:
        token = [False]
        run.timers.append(token)

        def fire() -> None:
            if not token[0]:
                fn()

        if self.core.call_later is not None:
            self.core.call_later(delay, fire)
        return token

    # -- start ---------------------------------------------------------------------------------
    def start(self, job: Job) -> None:
        system = self.system
        run = LocalRun(job)
        self.runs[job.id] = run
        run.output_limit = self._output_limit(job)
        options = shell_options(job)
        verbose = options.get("verbose", 0)
        run.verbose = verbose if isinstance(verbose, int) and not isinstance(verbose, bool) else 0
        system.exec_init(job)
        system.exec_starting(job)
        problem = shell_start_problem(job)
        if problem is not None:
            # shell_info_create fails before the shell can raise anything: logs of rank -1, exit 1
            for level, message, source, line in problem:
                self._log(run, level, message, source, line, rank=-1)
            self._log(run, S.LOG_FATAL, "failed to initialize shell info", "shell.c", 2094, rank=-1)
            self._flush_logs(run)
            run.die_rc = 1
            self._finish(run)
            return
        plan(run)
        ns = guest_namespace(job.id)
        jobid_f58 = S.f58(job.id, self.ascii)
        for node in range(len(job.alloc)):
            path = os.path.join(self.core.rundir, f"jobtmp-{node}-{jobid_f58}")
            try:
                self.host.make_dir(path)
                run.tmpdirs.append(path)
            except OSError as exc:
                self._die(run, 1, f"error creating FLUX_JOB_TMPDIR: {exc.strerror}")
                return
        run.cwd = job.cwd if isinstance(job.cwd, str) else None
        if run.cwd is not None and not self.host.is_dir(run.cwd):
            self._log(run, S.LOG_ERR, f"host {self.core.hostname}: Could not change dir to {run.cwd}: "
                                      f"No such file or directory. Going to /tmp instead", "shell.c", 1603)
            run.cwd = "/tmp"
        if not self._write_files(run):
            return
        ntasks = len(run.tasks)
        files = output_files(run, ntasks, self.ascii)
        append = isinstance(options.get("output"), dict) and options["output"].get("mode") == "append"
        for path in dict.fromkeys(files.values()):
            try:
                self.host.prepare_output(path, truncate=not append)
            except OSError as exc:
                # the output plugin fails shell.init; the shell dies with a stale errno's text
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                self._log(run, S.LOG_ERR, f"open: {path}: {reason}", "output/task.c", 104, "output.task")
                self._log(run, S.LOG_ERR, "plugin 'output': shell.init failed", "plugstack.c", 168)
                self._die(run, 1, f"shell_init: {reason}", ("shell.c", 2155))
                return
        now = system.now()
        system.kvs_write(ns, "input", eventlog_entry(now, "header", S.input_header()).encode())
        output = [eventlog_entry(now, "header", S.output_header(ntasks))]
        for stream in ("stdout", "stderr"):
            if files.get(stream):
                output.append(eventlog_entry(now, "redirect", S.redirect_context(stream, ntasks, files[stream])))
        system.kvs_write(ns, "output", "".join(output).encode())
        run.output_ready = True
        self._flush_logs(run)
        try:  # the pmi-simple plugin initializes after the output plugin
            run.pmi = self._pmi_server(run, options)
        except PmiSetupError as exc:
            self._log(run, S.LOG_ERR, str(exc), "pmi/pmi.c", 427, "pmi-simple")
            self._log(run, S.LOG_ERR, "plugin 'pmi-simple': shell.init failed", "plugstack.c", 168)
            self._die(run, 1, SETUP_FAILURE_NOTE, ("shell.c", 2155))
            return
        run.service = f"{job.userid}-shell-{S.f58(job.id, True)}"
        stdin = input_file(job)
        if stdin is None:  # the input plugin's stdin service (flux job attach sends to it)
            run.open_input = {t.rank for t in run.tasks}
            self.core.rank(run.leader).services[run.service] = StdinService(self, run)
        system.exec_event(job, "shell.init", {"service": run.service, "leader-rank": run.leader,
                                              "size": len(job.alloc)})
        self._log_layout(run)
        if job.duration > 0:
            self._later(run, job.duration, lambda: system.expired(job))
        if stdin is not None:
            path = os.path.join(run.cwd, stdin) if run.cwd else stdin
            try:
                self.host.check_readable(path)
            except OSError as exc:
                note = f"error opening input file '{stdin}': {os.strerror(exc.errno or errno.EIO)}"
                run.exception_wait_status = S.SIGTERM  # job-exec's SIGTERM ends the dying shell
                self._die(run, 1, note, ("input/file.c", 68), component="input.file")
                return
        for task in run.tasks:
            spec = self._spec(run, task, files, stdin)
            try:
                task.pid = self.host.spawn(spec, self._output_callback(run, task), self._exit_callback(run, task),
                                           self._channel_callback(run, task) if run.pmi is not None else None)
            except OSError as exc:
                ec = 126 if exc.errno in (errno.EPERM, errno.EACCES) else 127 if exc.errno == errno.ENOENT else 1
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                self._die(run, ec, f"task {task.rank} (host {self.core.hostname}): start failed: "
                                   f"{spec.argv[0]}: {reason}", START_FAILED)
                return
        mapped = run_taskmap(run)
        taskmap = {"version": 1, "map": mapped.blocks()} if mapped is not None else S.taskmap(task_counts(run))
        system.exec_event(job, "shell.start", {"taskmap": taskmap})

    def _write_files(self, run: LocalRun) -> bool:
        """The files plugin: each shell writes the jobspec's RFC 37 archive
        (attributes.system.files, e.g. flux batch's ``script``) into its
        FLUX_JOB_TMPDIR before tasks start; a bad archive fails shell.init."""
        files = run.job.jobspec.get("attributes", {}).get("system", {}).get("files")
        if files is None:
            return True
        found, problem = filemap_entries(files)
        for tmpdir in run.tmpdirs:
            try:
                self.host.write_files(tmpdir, found)
            except OSError as exc:
                problem = problem or f"{exc.filename}: {exc.strerror}"
        if problem is None:
            return True
        # the shell's log goes out behind an output header (recorded on flux-core)
        header = eventlog_entry(self.system.now(), "header", S.output_header(len(run.tasks)))
        self.system.kvs_write(guest_namespace(run.job.id), "output", header.encode())
        run.output_ready = True
        self._log(run, S.LOG_ERR, problem, "files.c", 58, "files")
        self._log(run, S.LOG_ERR, "plugin 'files': shell.init failed", "plugstack.c", 168)
        # the shell dies with a stale errno's text, as recorded on flux-core
        self._die(run, 1, "shell_init: No such file or directory", ("shell.c", 2155))
        return False

    # -- the shell's log (RFC 24 "log" entries; verbose ones with -o verbose) ----------------------
    def _log(self, run: LocalRun, level: int, message: str, file: str, line: int,
             component: Optional[str] = None, rank: int = 0) -> None:
        if level > S.LOG_NOTICE + run.verbose:
            return
        run.logs.append((self.system.now(), S.log_context(rank, level, message, file, line, component)))
        if run.output_ready:
            self._flush_logs(run)

    def _flush_logs(self, run: LocalRun) -> None:
        """Log entries wait for the output eventlog's header (as the shell's
        output plugin buffers them), then follow it with their own times."""
        ns = guest_namespace(run.job.id)
        store = self.core.kvs
        if run.logs and ns in store.namespaces:
            text = "".join(eventlog_entry(ts, "log", ctx) for ts, ctx in run.logs)
            self.system.kvs_write(ns, "output", text.encode(), append=run.output_ready)
        run.logs.clear()

    def _log_layout(self, run: LocalRun) -> None:
        job = run.job
        req = job.request
        per_node = req.nslots // req.nnodes if req.nnodes else -1
        self._log(run, S.LOG_INFO, f"0: task_count={len(run.tasks)} slot_count={req.nslots} "
                                   f"cores_per_slot={req.slot_cores} slots_per_node={per_node}", "shell.c", 1838)
        for node, (_rank, cores, _gpus) in enumerate(job.alloc):
            ids = [t.rank for t in run.tasks if t.node == node]
            what = f"task {ids[0]}" if len(ids) == 1 else f"tasks {idset_encode(ids, brackets=True)}"
            self._log(run, S.LOG_INFO, f"{node}: {what} on cores {idset_encode(cores)}", "shell.c", 1844, rank=node)

    # -- PMI (the shell's pmi-simple plugin, fakeflux.shell.pmi) -------------------------------------
    def _pmi_server(self, run: LocalRun, options: Dict[str, Any]) -> Optional[PmiServer]:
        """The job's PMI-1 server, or None with ``-o pmi=`` naming no simple PMI."""
        if not simple_pmi_enabled(options.get("pmi")):
            return None
        per_node = task_counts(run)
        simple = pmi_simple_options(options.get("pmi-simple"), len(per_node))
        attrs = self.core.rank(run.leader).attrs
        taskmap = run_taskmap(run) or TaskMap.block(per_node)
        server = PmiServer(len(run.tasks), S.f58(run.job.id, self.ascii), taskmap=taskmap,
                           instance_level=attrs.value("instance-level"),
                           tbon_interface_hint=attrs.value("tbon.interface-hint"), nomap=simple.nomap)
        for text in simple.warnings:
            self._log(run, S.LOG_WARN, text, "pmi/pmi.c", 0, "pmi-simple")
        return server

    def _channel_callback(self, run: LocalRun, task: LocalTask) -> Callable[[bytes], None]:
        return lambda data: self._pmi_input(run, task, data)

    def _pmi_input(self, run: LocalRun, task: LocalTask, data: bytes) -> None:
        server = run.pmi
        if server is None or not data:
            return
        by_rank = {t.rank: t for t in run.tasks}
        for rank, answer in server.receive(task.rank, data):
            target = by_rank.get(rank)
            if target is not None and target.pid:
                self.host.write_channel(target.pid, answer)
        self._pmi_outcomes(run)

    def _pmi_outcomes(self, run: LocalRun) -> None:
        """Act on what the PMI server reports, as the shell does."""
        if run.pmi is None:
            return
        for outcome in run.pmi.take_outcomes():
            if isinstance(outcome, PmiAbort):
                self.system.raise_exception(run.job, "exec", 0, outcome.note, userid=self.core.owner)
            elif isinstance(outcome, PmiProtocolError):
                self._die(run, 1, outcome.note, ("pmi/pmi.c", 0))
            elif isinstance(outcome, PmiWarning):
                self._log(run, S.LOG_WARN, outcome.text, "pmi/pmi.c", 0, "pmi-simple")

    def _output_callback(self, run: LocalRun, task: LocalTask) -> Callable[[str, bytes], None]:
        return lambda stream, data: self._output(run, task, stream, data)

    def _exit_callback(self, run: LocalRun, task: LocalTask) -> Callable[[int], None]:
        return lambda status: self._exited(run, task, status)

    def _spec(self, run: LocalRun, task: LocalTask, files: Dict[str, str], stdin: Optional[str]) -> TaskSpec:
        job = run.job
        js = job.jobspec
        system = js.get("attributes", {}).get("system", {})
        ntasks = len(run.tasks)
        nnodes = len(job.alloc)
        cwd = run.cwd
        env = {k: v for k, v in (system.get("environment") or {}).items() if isinstance(v, str)}
        env.pop("FLUX_PROXY_REMOTE", None)
        jobid_f58 = S.f58(job.id, self.ascii)
        tmpdir = run.tmpdirs[task.node] if task.node < len(run.tmpdirs) else ""
        jobid_path = self.core.rank(task.broker_rank).attrs.value("jobid-path")
        env.update({
            "FLUX_URI": self.core.rank(task.broker_rank).attrs.value("local-uri") or "",
            "FLUX_KVS_NAMESPACE": guest_namespace(job.id),
            "FLUX_JOB_ID_PATH": f"{'' if jobid_path in (None, '/') else jobid_path}/{jobid_f58}",
            "FLUX_JOB_SIZE": str(ntasks),
            "FLUX_JOB_NNODES": str(nnodes),
            "FLUX_JOB_ID": jobid_f58,
        })
        if "HOSTNAME" in env:
            env["HOSTNAME"] = self.core.hostname
        env["FLUX_JOB_TMPDIR"] = tmpdir
        gpus = job.alloc[task.node][2] if task.node < len(job.alloc) else []
        env["CUDA_VISIBLE_DEVICES"] = idset_encode(gpus) if gpus else "-1"
        env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
        env["FLUX_TERMINUS_SESSION"] = "0"
        if shell_options(job).get("mpi") != "none":
            env["OMPI_MCA_btl_vader_backing_directory"] = tmpdir
        env["FLUX_TASK_LOCAL_ID"] = str(task.localid)
        env["FLUX_TASK_RANK"] = str(task.rank)
        values = template_values(job, ntasks, nnodes)
        values.update({"task.id": str(task.rank), "task.index": str(task.localid), "tmpdir": tmpdir})
        command = js["tasks"][0]["command"]
        argv = [S.render(arg, values, job.id, self.ascii) for arg in command]
        if cwd is not None and stdin:
            stdin = os.path.join(cwd, stdin)
        channel = None
        if run.pmi is not None:
            env.update({"PMI_RANK": str(task.rank), "PMI_SIZE": str(ntasks)})
            channel = "PMI_FD"  # the host numbers it
        return TaskSpec(argv, env, cwd, stdin=stdin, stdout=files.get("stdout"), stderr=files.get("stderr"),
                        channel=channel)

    # -- while it runs -------------------------------------------------------------------------
    def _output(self, run: LocalRun, task: LocalTask, stream: str, data: bytes) -> None:
        job = run.job
        ns = guest_namespace(job.id)
        store = self.core.kvs
        if ns not in store.namespaces:
            return
        now = self.system.now()
        rank = str(task.rank)
        if data:
            lines, task.buffers[stream] = S.split_lines(task.buffers[stream], data)
        else:
            rest, task.buffers[stream] = task.buffers[stream], b""
            lines = [rest] if rest else []
        entries = [eventlog_entry(now, "data", S.data_context(stream, rank, line)) for line in lines
                   if not self._over_limit(run, stream, len(line))]
        if not data:
            entries.append(eventlog_entry(now, "data", S.eof_context(stream, rank)))
        if entries:
            self.system.kvs_write(ns, "output", "".join(entries).encode(), append=True)

    def _over_limit(self, run: LocalRun, stream: str, size: int) -> bool:
        """The shell's KVS output limit (output/kvs.c): past it a stream's data
        is dropped, with one warning."""
        before = run.output_bytes.get(stream, 0)
        run.output_bytes[stream] = before + size
        limit, text = run.output_limit
        if before + size <= limit:
            return False
        if before <= limit:
            self._log(run, S.LOG_WARN, f"{stream} will be truncated, {text} limit exceeded", "output/kvs.c", 302,
                      "output.kvs")
        return True

    def _output_limit(self, job: Job) -> Tuple[int, str]:
        """-o output.limit, else 1G when the job's owner runs the instance, 10M otherwise."""
        output = shell_options(job).get("output", {})
        value = output.get("limit") if isinstance(output, dict) else None
        default = ("1G", S.OUTPUT_LIMIT_MAX) if job.userid == self.core.owner else ("10M", 10 * 1024 * 1024)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= S.OUTPUT_LIMIT_MAX:
            return value, S.encode_size(value)
        if isinstance(value, str):
            size = S.parse_size(value)
            if size is not None and size <= S.OUTPUT_LIMIT_MAX:
                return size, value
        return default[1], default[0]

    def _exited(self, run: LocalRun, task: LocalTask, status: int) -> None:
        task.wait_status = status
        job = run.job
        if run.pmi is not None:
            run.pmi.task_exited(task.rank)
            self._pmi_outcomes(run)
        self._log(run, S.LOG_INFO, f"task {task.rank} complete status={S.task_exit_code(status)}", "shell.c", 82,
                  rank=task.node)
        if not run.task_exit_posted:
            run.task_exit_posted = True
            self.system.exec_event(job, "shell.task-exit",
                                   S.task_exit_context(task.localid, task.rank, task.pid, status))
            if not run.exception_in_progress:
                self._doom(run, task)
        if not run.live():
            self._finish(run)

    def _doom(self, run: LocalRun, first: LocalTask) -> None:
        """The shell's doom plugin, once the first task has exited: with
        ``-o exit-on-error`` a failed task ends the job at once; otherwise the
        others get ``exit-timeout`` (30 s; "none" for ever)."""
        options = shell_options(run.job)
        status = first.wait_status or 0
        rc = S.task_exit_code(status)
        arg0 = os.path.basename(str(run.job.jobspec["tasks"][0]["command"][0]))
        signo = status & 0x7F
        disposition = f" ({S.strsignal(signo)})" if signo else f" (Exit {(status >> 8) & 0xFF})"
        where = f"{arg0}: task rank {first.rank} on host {self.core.hostname}"
        if options.get("exit-on-error") not in (None, 0, False) and rc != 0:
            self._doom_fatal(run, first, rc, f"{where} failed{disposition} and exit-on-error is set")
            return
        option = options.get("exit-timeout", DEFAULT_EXIT_TIMEOUT)
        if option == "none" or not run.live():
            return
        try:
            timeout = parse_fsd(option) if isinstance(option, str) else float(option)
        except (TypeError, ValueError):
            timeout = DEFAULT_EXIT_TIMEOUT

        def expire() -> None:
            if not run.finished and not run.exception_in_progress:
                self._doom_fatal(run, first, rc, f"{where} exited{disposition} and exit-timeout="
                                                 f"{S.fsd_format(timeout)} has expired")

        if timeout > 0:
            self._later(run, timeout, expire)

    def _doom_fatal(self, run: LocalRun, first: LocalTask, rc: int, note: str) -> None:
        """flux_shell_raise_exit_status then shell_die: the exception carries
        the failed task's wait status, which becomes the job's."""
        self._log(run, S.LOG_FATAL, note, "doom.c", 135, "task-exit")
        self._flush_logs(run)
        self.system.flush_kvs()
        run.exception_wait_status = first.wait_status
        run.die_rc = rc
        self.system.raise_exception(run.job, "exec", 0, note, userid=self.core.owner,
                                    extra={"wait_status": first.wait_status})
        for task in run.live():
            self.host.signal(task.pid, S.SIGKILL)
        if not run.live():
            self._finish(run)

    def _die(self, run: LocalRun, ec: int, message: str, where: Any = None,
             component: Optional[str] = None) -> None:
        """shell_die: log the error to guest.output, raise the ``exec``
        exception with it, kill what was started; the shell exits ``ec``."""
        job = run.job
        file, line = where if where is not None else ("shell.c", 0)
        self._log(run, S.LOG_FATAL, message, file, line, component)
        self._flush_logs(run)  # a shell dying before its output header still logs
        self.system.flush_kvs()  # the log is out before the exception, as the real shell's
        run.die_rc = ec
        self.system.raise_exception(job, "exec", 0, message, userid=self.core.owner)
        for task in run.live():
            self.host.signal(task.pid, S.SIGKILL)
        if not run.live():
            self._finish(run)

    def _finish(self, run: LocalRun) -> None:
        """Every task has exited: the shell exits with the largest task exit
        code (128+N for a signal), job-exec reports its wait status."""
        if run.finished:
            return
        run.finished = True
        for token in run.timers:
            token[0] = True
        run.timers.clear()
        job = run.job
        rc = max([run.die_rc] + [S.task_exit_code(t.wait_status) for t in run.tasks if t.wait_status is not None])
        status = (rc & 0xFF) << 8
        if run.exception_wait_status is not None:
            status = run.exception_wait_status  # job-exec takes the exception's
        elif run.exception_in_progress and status == 0:
            status = 1 << 8
        if run.service is not None:
            self.core.rank(run.leader).services.pop(run.service, None)
        limit = run.output_limit[0]
        for stream in ("stderr", "stdout"):
            total = run.output_bytes.get(stream, 0)
            if total > limit:
                self._log(run, S.LOG_WARN, f"{stream}: {total - limit} of {total} bytes truncated",
                          "output/kvs.c", 71 if stream == "stdout" else 66, "output.kvs")
        for stream in ("stderr", "stdout"):
            total = run.output_bytes.get(stream, 0)
            if S.OUTPUT_LIMIT_WARNING < total <= S.OUTPUT_LIMIT_MAX:
                self._log(run, S.LOG_WARN, f"high {stream} volume ({S.encode_size(total)}), consider redirecting "
                          "to a file next time (e.g. use --output=FILE)", "output/kvs.c",
                          84 if stream == "stdout" else 77, "output.kvs")
        if run.output_ready:
            self._log(run, S.LOG_INFO, "all shells report tasks complete", "tasks-complete.c", 67, "tasks-complete")
            self._log(run, S.LOG_INFO, f"exit {rc}", "shell.c", 2212)
        for path in run.tmpdirs:
            self.host.remove_tree(path)
        run.tmpdirs.clear()
        self.runs.pop(job.id, None)
        self.system.exec_event(job, "shell-exit", {"rank": run.leader, "wait_status": status})
        if job.state in (RUN, CLEANUP):
            self.system.tasks_complete(job, status)

    # -- signals ----------------------------------------------------------------------------------
    def kill(self, job: Job, signum: int) -> None:
        """``flux job kill``: the shell forwards the signal to every task."""
        run = self.runs.get(job.id)
        if run is None:
            return
        for task in run.live():
            self.host.signal(task.pid, signum)

    def terminate(self, job: Job, signum: int) -> None:
        """A fatal exception: ``signum`` now (SIGTERM; SIGALRM at the time
        limit), then SIGKILL every kill-timeout until the tasks are gone."""
        run = self.runs.get(job.id)
        if run is None:
            return
        run.exception_in_progress = True
        if run.killing:
            return
        run.killing = True
        self.kill(job, signum)
        interval = self.kill_timeout()

        def escalate() -> None:
            if run.finished:
                return
            self.kill(job, S.SIGKILL)
            self._later(run, interval, escalate)

        self._later(run, interval, escalate)
        if not run.live():
            self._finish(run)

    def shutdown(self) -> None:
        """The instance stops: every task is killed (by the host's shutdown),
        every FLUX_JOB_TMPDIR removed; no events are posted."""
        for run in list(self.runs.values()):
            for token in run.timers:
                token[0] = True
            if run.service is not None:
                self.core.rank(run.leader).services.pop(run.service, None)
            for task in run.live():
                self.host.signal(task.pid, S.SIGKILL)
            for path in run.tmpdirs:
                self.host.remove_tree(path)
            run.tmpdirs.clear()
        self.runs.clear()
        self.host.shutdown()


START_FAILED = (S.START_FAILED_FILE, S.START_FAILED_LINE)

