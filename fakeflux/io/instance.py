"""``fakeflux.Instance``: start a fake Flux instance from Python.

Two runners: ``"thread"`` serves the instance from a background thread of
the calling process (the default: fastest to start, and the plugin can
reach the core directly); ``"process"`` runs ``python -m fakeflux start`` in
a child process, for code that must not share the interpreter.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, TypeVar, Union

from fakeflux.broker import stdlog
from fakeflux.broker.config import Config
from fakeflux.broker.faults import Fault
from fakeflux.broker.instance import InstanceCore
from fakeflux.broker.modules.python_service import PythonService, ServiceRequest, to_payload
from fakeflux.broker.trace import TraceRecord, TraceRecorder
from fakeflux.io.processes import live_groups
from fakeflux.io.rundir import Rundir
from fakeflux.io.server import BrokerServer
from fakeflux.wire import Message
from fakeflux.wire import constants as C

RUNNERS = ("thread", "process")
T = TypeVar("T")


class InstanceError(RuntimeError):
    pass


class Instance:
    """A multi-rank fake Flux instance; a context manager.

    >>> with Instance(size=4) as inst:            # doctest: +SKIP
    ...     os.environ["FLUX_URI"] = inst.uri(0)
    """

    def __init__(
        self,
        size: int = 4,
        attrs: Optional[Mapping[str, str]] = None,
        config: Optional[Dict[str, Any]] = None,
        *,
        config_path: Optional[str] = None,
        rundir: Optional[str] = None,
        runner: str = "thread",
        trace: bool = False,
        sockets: Optional[Iterable[int]] = None,
        owner: Optional[int] = None,
        exec: Optional[str] = None,
    ) -> None:
        if exec not in (None, "local", "simulated"):
            raise ValueError(f"exec must be 'local' or 'simulated', not {exec!r}")
        self.exec = exec  # how jobs run (None: [fakeflux] exec of the config, else local)
        if runner not in RUNNERS:
            raise ValueError(f"runner must be one of {RUNNERS}, not {runner!r}")
        if config is not None and config_path is not None:
            raise ValueError("give config or config_path, not both")
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self.size = size
        self.attrs = dict(attrs or {})
        self.config = config
        self.config_path = config_path
        self.runner = runner
        self.trace = trace
        if owner is not None and runner != "thread":
            raise ValueError("owner= needs runner='thread'")
        self.owner = owner  # the uid owning the instance (None: the user running it)
        # Ranks that get a local socket: all of them unless told otherwise
        # (an instance of many thousand ranks may not have the fds for all).
        self.sockets = sorted(set(range(size) if sockets is None else sockets))
        for rank in self.sockets:
            if not 0 <= rank < size:
                raise ValueError(f"sockets: rank {rank} is outside this instance of size {size}")
        self._recorder: Optional[TraceRecorder] = None
        self._rundir_arg = rundir
        self._rundir: Optional[Rundir] = None
        self.core: Optional[InstanceCore] = None
        self.server: Optional[BrokerServer] = None
        self._proc: Optional[subprocess.Popen[str]] = None
        # What the last stop() was about, for leaks()
        self._stopped_thread: Optional[threading.Thread] = None
        self._stopped_proc: Optional[subprocess.Popen[str]] = None
        self._leftover_sockets: List[str] = []
        self._killed_tasks: List[int] = []  # job process groups the broker killed at stop

    # -- life cycle ---------------------------------------------------------------------
    @property
    def rundir(self) -> str:
        if self._rundir is None:
            raise InstanceError("the instance is not started")
        return self._rundir.path

    @property
    def running(self) -> bool:
        return self._rundir is not None

    def start(self) -> Instance:
        if self._rundir is not None:
            raise InstanceError("the instance is already started")
        self._rundir = Rundir(self._rundir_arg)
        try:
            if self.runner == "thread":
                self._start_thread()
            else:
                self._start_process()
        except BaseException:
            self._rundir.remove()
            self._rundir = None
            raise
        return self

    def _start_thread(self) -> None:
        assert self._rundir is not None
        config = Config(data=self.config, path=self.config_path)
        self.core = InstanceCore(
            self.size, rundir=self._rundir.path, attrs=self.attrs, config=config, owner=self.owner
        )
        self.core.jobs.exec_choice = self.exec
        if self.trace:
            self._recorder = TraceRecorder()
            self.core.add_tracer(self._recorder)
        server = BrokerServer(self.core, ranks=self.sockets)
        try:
            server.bind(own_rundir=self._rundir.created)
        except BaseException:
            server.request_stop()
            server.serve_forever()  # runs only the teardown: closes what bind opened
            raise
        server.start_thread()
        self.server = server

    def _start_process(self) -> None:
        assert self._rundir is not None
        cmd = [sys.executable, "-m", "fakeflux", "start", "--size", str(self.size), "--rundir", self._rundir.path]
        if self._rundir.created:
            cmd.append("--rundir-is-private")
        if len(self.sockets) != self.size:
            cmd += ["--sockets", ",".join(map(str, self.sockets))]
        for name, value in self.attrs.items():
            cmd += ["-S", f"{name}={value}"]
        if self.config_path is not None:
            cmd += ["--config-path", self.config_path]
        if self.config is not None:
            cmd += ["--config-json", json.dumps(self.config)]
        if self.exec is not None:
            cmd += ["--exec", self.exec]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("FLUX_URI="):
            self._proc.wait()
            raise InstanceError(f"fakeflux start failed (exit status {self._proc.returncode})")

    def stop(self) -> None:
        """Stop serving; afterwards no thread, process, fd or socket file remains."""
        if self._rundir is None:
            return
        try:
            if self.server is not None:
                self.server.request_stop()
                self._stopped_thread = self.server.thread
                if self.server.thread is not None:
                    self.server.thread.join(timeout=10)
                self._killed_tasks = list(self.server.processes.killed)
                self.server = None
            if self._proc is not None:
                self._stopped_proc = self._proc
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                if self._proc.stdout is not None:
                    self._proc.stdout.close()
                self._proc = None
        finally:
            # Whatever socket files the broker did not remove count as leaks,
            # even though removing the rundir takes them away now.
            self._leftover_sockets = self._socket_files(self._rundir.path)
            self._rundir.remove()
            self._rundir = None

    def __enter__(self) -> Instance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------
    def uri(self, rank: int = 0) -> str:
        if not 0 <= rank < self.size:
            raise ValueError(f"rank {rank} is outside this instance of size {self.size}")
        if len(self.sockets) != self.size and rank not in self.sockets:
            raise ValueError(f"rank {rank} has no socket (this instance was started with sockets={self.sockets})")
        return f"local://{os.path.join(self.rundir, f'local-{rank}')}"

    # -- control from a test ----------------------------------------------------------------
    def rank_down(self, rank: int) -> None:
        """Take ``rank`` (and the ranks below it) down: their sockets close,
        their clients are disconnected, and requests routed to them fail with
        EHOSTUNREACH, as when a real broker dies.

        >>> inst.rank_down(2)                                    # doctest: +SKIP
        >>> h.rpc("broker.ping", {}, nodeid=2).get()             # OSError: [Errno 113] No route to host
        """

        def down() -> None:
            assert self.core is not None and self.server is not None
            for r in self.core.rank_down(rank):
                self.server.unlisten(r)
                self.server.disconnect_rank(r)

        self._on_loop(down)

    def rank_up(self, rank: int) -> None:
        """Bring ``rank`` (and the ranks below it) back, with fresh state."""

        def up() -> None:
            assert self.core is not None and self.server is not None
            for r in self.core.rank_up(rank):
                if r in self.sockets:
                    self.server.listen(r)

        self._on_loop(up)

    def inject(
        self,
        topic: str,
        *,
        rank: Optional[int] = None,
        count: Optional[int] = None,
        errnum: Union[int, str, None] = None,
        text: Optional[str] = None,
        delay: Optional[float] = None,
        drop: bool = False,
    ) -> Fault:
        """Make requests whose topic matches the glob ``topic`` fail, wait or vanish.

        >>> inst.inject("kvs.lookup", errnum="ENOENT", text="no such key", count=1)   # doctest: +SKIP
        >>> inst.inject("job-manager.*", delay=0.5)                                  # doctest: +SKIP
        >>> inst.inject("broker.ping", rank=3, drop=True)                            # doctest: +SKIP

        ``rank`` limits it to requests handled on that rank, ``count`` to that
        many requests.  Returns the :class:`Fault`; its ``hits`` counts the
        requests it caught and :meth:`remove_fault` lifts it.
        """
        fault = Fault(topic, rank=rank, count=count, errnum=errnum, text=text, delay=delay, drop=drop)
        self._on_loop(lambda: self._core().faults.add(fault))
        return fault

    def remove_fault(self, fault: Fault) -> None:
        self._on_loop(lambda: self._core().faults.remove(fault))

    def add_service(
        self, name: str, handler: Callable[[ServiceRequest], Any], *, rank: int = 0, replace: bool = False
    ) -> None:
        """Host ``handler`` as service ``name`` on ``rank``: ``name.*`` requests
        go to it.  It gets a :class:`ServiceRequest` and returns the payload
        (dict and list as JSON, str, bytes, or None), raises ``OSError(errno,
        text)`` to answer an error, or yields payloads to stream (then ENODATA).
        It runs on the broker's thread: it must not block.  To put it in the
        place of a service fakeflux emulates (kvs, job-manager, ...), pass
        ``replace=True``.

        >>> inst.add_service("kvs", lambda req: {"value": 42})             # doctest: +SKIP
        """
        if "." in name or not name:
            raise ValueError(f"invalid service name {name!r}")

        def add() -> None:
            core = self._core()
            core.host_service(rank, name, PythonService(core.rank(rank), name, handler).handle, replace=replace)

        self._on_loop(add)

    def remove_service(self, name: str, *, rank: int = 0) -> None:
        self._on_loop(lambda: self._core().rank(rank).services.pop(name, None) and None)

    def publish(self, topic: str, payload: Any = None, *, private: bool = False) -> int:
        """Publish an event as the instance owner; returns its sequence number."""
        def pub() -> int:
            core = self._core()
            event = Message.event(
                topic,
                to_payload(payload),
                flags=C.FLAG_PRIVATE if private else 0,
                routes=[],
                userid=core.owner,
                rolemask=C.ROLE_OWNER | C.ROLE_LOCAL,
            )
            return core.publish(event)

        return self._on_loop(pub)

    def setattr(self, name: str, value: Optional[str], *, rank: Optional[int] = None) -> None:
        """Set an attribute on one rank or (by default) every rank, whatever its flags."""

        def set_() -> None:
            core = self._core()
            for r in range(core.size) if rank is None else [rank]:
                core.rank(r).attrs.force(name, value)

        self._on_loop(set_)

    def getattr(self, name: str, *, rank: int = 0) -> Optional[str]:
        return self._on_loop(lambda: self._core().rank(rank).attrs.value(name))

    def set_config(self, config: Dict[str, Any]) -> None:
        """Replace the configuration; streaming ``config.get`` watchers hear of it."""
        self._on_loop(lambda: self._core().set_config(config))

    def dmesg(self, rank: int = 0) -> List[str]:
        """The rank's log ring, as ``flux dmesg`` prints it."""
        def lines() -> List[str]:
            out = []
            for raw in self._core().rank(rank).log.ring:
                entry = stdlog.decode(raw)
                out.append(raw.decode("utf-8", "replace") if entry is None else stdlog.human(entry))
            return out

        return self._on_loop(lines)

    def script_jobs(self, match: Any = "*", **outcome: Any) -> None:
        """Script how jobs submitted from now on turn out; matching jobs run
        simulated (never as processes); ``match`` is a glob on the job name or a jobid.

        >>> inst.script_jobs("sim*", exit_code=3, output=["hello"])                  # doctest: +SKIP
        >>> inst.script_jobs(exception=("exec", "node failure"), exception_at="run") # doctest: +SKIP
        >>> inst.script_jobs(runtime=3600, delays={"sched": 5.0}, count=1)           # doctest: +SKIP

        Keywords as :meth:`fakeflux.broker.jobs.JobSystem.script`.
        """
        self._on_loop(lambda: self._core().jobs.script(match, **outcome) and None)

    def set_time_scale(self, scale: float) -> None:
        """Real seconds per simulated second for jobs' timers: 0 runs a
        one-hour job at once (eventlog timestamps still show an hour)."""
        self._on_loop(lambda: setattr(self._core().jobs, "time_scale", scale))

    def _core(self) -> InstanceCore:
        if self.core is None:
            raise InstanceError("the instance is not started")
        return self.core

    # -- observation ---------------------------------------------------------------------
    def trace_records(self) -> List[TraceRecord]:
        """Every message between clients and the instance so far (``trace=True``)."""
        recorder = self._recorder
        if recorder is None:
            return []
        if self.server is None:
            return recorder.snapshot()  # stopped: no loop thread touches it any more
        return self._on_loop(recorder.snapshot)

    def format_trace(self, last: Optional[int] = None) -> str:
        """The trace as text, one line per message (only the ``last`` ones if given)."""
        if self._recorder is None:
            return "(tracing is off: start the instance with trace=True)"
        records = self.trace_records()
        skipped = len(records) - last if last is not None and len(records) > last else 0
        text = self._recorder.format(records[skipped:])
        return f"({skipped} earlier messages not shown)\n{text}" if skipped else text

    @property
    def trace_start(self) -> float:
        return self._recorder.start if self._recorder is not None else 0.0

    def leaks(self) -> List[str]:
        """What a stopped instance left behind: a live broker thread, a live
        broker process, socket files, job processes.  Empty when everything was cleaned up."""
        found: List[str] = []
        if self._stopped_thread is not None and self._stopped_thread.is_alive():
            found.append(f"broker thread {self._stopped_thread.name!r} is still running")
        if self._stopped_proc is not None and self._stopped_proc.poll() is None:
            found.append(f"broker process {self._stopped_proc.pid} is still running")
        found.extend(f"socket file {path} was left behind" for path in self._leftover_sockets)
        found.extend(f"job process group {pgid} is still alive" for pgid in live_groups(self._killed_tasks))
        return found

    def _socket_files(self, rundir: str) -> List[str]:
        paths = [os.path.join(rundir, name) for name in sorted(os.listdir(rundir))]
        return [p for p in paths if stat.S_ISSOCK(os.lstat(p).st_mode)]

    def _on_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the broker's loop thread (the only thread that touches the core)."""
        if self.server is None:
            if self.runner == "process" and self._rundir is not None:
                raise InstanceError("controlling the instance from Python needs runner='thread'")
            raise InstanceError("the instance is not started")
        return self.server.call(fn)

    def __repr__(self) -> str:
        state = f"rundir={self._rundir.path!r}" if self._rundir else "stopped"
        return f"<fakeflux.Instance size={self.size} runner={self.runner} {state}>"
