"""Sockets for the job shell's PMI server: a small selector loop.

:class:`PmiDriver` reads what each task writes on its socket, hands it to a
:class:`~fakeflux.shell.pmi.PmiServer`, and writes the answers back without
ever blocking on a slow task.  It serves a standalone launch (tests,
:func:`spawn_tasks`); the exec back end drives the same server from its own
event loop through the server's documented interface instead.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from fakeflux.io.nonblock import recv_ready
from fakeflux.shell.pmi import PmiAbort, PmiBarrierStranded, PmiOutcome, PmiProtocolError, PmiServer, pmi_environment


def task_socketpair() -> tuple[socket.socket, socket.socket]:
    """``(shell end, task end)``: a stream socketpair as the shell makes for
    ``PMI_FD``.  The task end is inheritable, the shell end non-blocking."""
    shell_end, task_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    shell_end.setblocking(False)
    task_end.set_inheritable(True)
    return shell_end, task_end


class PmiDriver:
    """Pumps bytes between ``server`` and ``sockets`` (task rank -> the shell's
    end of that task's socketpair).  The driver owns the sockets: ``close()``
    closes them."""

    def __init__(self, server: PmiServer, sockets: Mapping[int, socket.socket]) -> None:
        self.server = server
        self._sockets = dict(sockets)
        self._outbox: dict[int, bytearray] = {rank: bytearray() for rank in self._sockets}
        self._selector = selectors.DefaultSelector()
        self._exit_fds: dict[int, int] = {}
        for rank, sock in self._sockets.items():
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, ("task", rank))

    def watch_exit(self, task_rank: int, pidfd: int) -> None:
        """Tell the server when the process behind ``pidfd`` ends (the driver closes the fd)."""
        self._exit_fds[task_rank] = pidfd
        self._selector.register(pidfd, selectors.EVENT_READ, ("exit", task_rank))

    def pump(self, timeout: Optional[float]) -> None:
        """Wait up to ``timeout`` seconds (None: no limit) for a socket or a
        watched process, and handle everything ready."""
        if not self._selector.get_map():
            return
        for key, events in self._selector.select(timeout):
            kind, rank = key.data
            if kind == "exit":
                self._selector.unregister(key.fd)
                os.close(self._exit_fds.pop(rank))
                self.server.task_exited(rank)
                continue
            if events & selectors.EVENT_READ:
                self._read(rank)
            if events & selectors.EVENT_WRITE:
                self._flush(rank)

    def _read(self, rank: int) -> None:
        sock = self._sockets[rank]
        data = recv_ready(sock)
        if data is None:
            return
        if not data:  # EOF: the task closed PMI_FD (after finalize) or exited
            self._watch(rank, read=False)
            return
        for to_rank, reply in self.server.receive(rank, data):
            if to_rank in self._outbox:
                self._outbox[to_rank] += reply
                self._flush(to_rank)

    def _flush(self, rank: int) -> None:
        outbox = self._outbox[rank]
        if outbox:
            try:
                sent = self._sockets[rank].send(outbox)
                del outbox[:sent]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:  # the task is gone: nobody will read this
                outbox.clear()
        self._watch(rank, write=bool(outbox))

    def _watch(self, rank: int, read: Optional[bool] = None, write: Optional[bool] = None) -> None:
        sock = self._sockets[rank]
        try:
            current, registered = self._selector.get_key(sock).events, True
        except KeyError:
            current, registered = 0, False
        if read is not None:
            current = (current | selectors.EVENT_READ) if read else (current & ~selectors.EVENT_READ)
        if write is not None:
            current = (current | selectors.EVENT_WRITE) if write else (current & ~selectors.EVENT_WRITE)
        if current and registered:
            self._selector.modify(sock, current, ("task", rank))
        elif current:
            self._selector.register(sock, current, ("task", rank))
        elif registered:
            self._selector.unregister(sock)

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        for fd in self._exit_fds.values():
            os.close(fd)
        self._exit_fds.clear()
        self._selector.close()

    def __enter__(self) -> PmiDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spawn_tasks(
    server: PmiServer,
    argv: Sequence[str],
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 60.0,
    **popen: Any,
) -> tuple[list[int], list[PmiOutcome]]:
    """Run ``server.size`` copies of ``argv`` as PMI tasks until all exit:
    each gets its socketpair end as ``PMI_FD`` with ``PMI_RANK``/``PMI_SIZE``.

    As the real shell, an abort or a protocol error kills the remaining
    tasks (SIGKILL); a barrier that can never complete does too, at once
    (where real Flux waits for its exit-timeout).  Past ``timeout`` seconds
    every task is killed and :class:`TimeoutError` raised.  Returns each
    task's return code (as :class:`subprocess.Popen` gives it) and the outcomes."""
    procs: list[subprocess.Popen[bytes]] = []
    sockets: dict[int, socket.socket] = {}
    outcomes: list[PmiOutcome] = []
    driver: Optional[PmiDriver] = None
    try:
        for rank in range(server.size):
            shell_end, task_end = task_socketpair()
            sockets[rank] = shell_end
            with task_end:
                task_env = dict(os.environ if env is None else env)
                task_env.update(pmi_environment(rank, server.size, task_end.fileno()))
                procs.append(subprocess.Popen(argv, env=task_env, pass_fds=[task_end.fileno()], **popen))
        driver = PmiDriver(server, sockets)
        for rank, proc in enumerate(procs):
            driver.watch_exit(rank, os.pidfd_open(proc.pid))
        deadline = time.monotonic() + timeout
        while any(proc.poll() is None for proc in procs):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"PMI tasks still running after {timeout} s")
            driver.pump(remaining)
            new = server.take_outcomes()
            outcomes += new
            if any(isinstance(o, (PmiAbort, PmiProtocolError, PmiBarrierStranded)) for o in new):
                _kill(procs)
        return [proc.wait() for proc in procs], outcomes
    finally:
        _kill(procs)
        for proc in procs:
            proc.wait()
        if driver is not None:
            driver.close()
        else:
            for sock in sockets.values():
                sock.close()


def _kill(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
