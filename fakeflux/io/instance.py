"""``fakeflux.Instance``: start a fake Flux instance from Python.

Two runners: ``"thread"`` serves the instance from a background thread of
the calling process (the default: fastest to start, and the plugin can
reach the core directly); ``"process"`` runs ``python -m fakeflux start`` in
a child process, for code that must not share the interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, TypeVar

from fakeflux.broker.config import Config
from fakeflux.broker.instance import InstanceCore
from fakeflux.broker.trace import TraceRecord, TraceRecorder
from fakeflux.io.rundir import Rundir
from fakeflux.io.server import BrokerServer

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
    ) -> None:
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
        self._recorder: Optional[TraceRecorder] = None
        self._rundir_arg = rundir
        self._rundir: Optional[Rundir] = None
        self.core: Optional[InstanceCore] = None
        self.server: Optional[BrokerServer] = None
        self._proc: Optional[subprocess.Popen[str]] = None

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
        self.core = InstanceCore(self.size, rundir=self._rundir.path, attrs=self.attrs, config=config)
        if self.trace:
            self._recorder = TraceRecorder()
            self.core.tracer = self._recorder
        server = BrokerServer(self.core)
        try:
            server.bind()
        except BaseException:
            server.request_stop()
            server.serve_forever()  # runs only the teardown: closes what bind opened
            raise
        server.start_thread()
        self.server = server

    def _start_process(self) -> None:
        assert self._rundir is not None
        cmd = [sys.executable, "-m", "fakeflux", "start", "--size", str(self.size), "--rundir", self._rundir.path]
        for name, value in self.attrs.items():
            cmd += ["-S", f"{name}={value}"]
        if self.config_path is not None:
            cmd += ["--config-path", self.config_path]
        if self.config is not None:
            cmd += ["--config-json", json.dumps(self.config)]
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
                if self.server.thread is not None:
                    self.server.thread.join()
                self.server = None
            if self._proc is not None:
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
        return f"local://{os.path.join(self.rundir, f'local-{rank}')}"

    # -- observation ---------------------------------------------------------------------
    def trace_records(self) -> List[TraceRecord]:
        """Every message between clients and the instance so far (``trace=True``)."""
        recorder = self._recorder
        if recorder is None:
            return []
        return self._on_loop(recorder.snapshot)

    def format_trace(self) -> str:
        if self._recorder is None:
            return "(tracing is off: start the instance with trace=True)"
        return self._recorder.format(self.trace_records())

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
