"""The baseline every round-trip figure is set against: a raw Python Unix-socket
echo server, run the way the broker under test runs (thread or process)."""

from __future__ import annotations

import multiprocessing
import os
import socket
import tempfile
import threading
from typing import Callable, Optional


def _serve(path: str, ready: Optional[Callable[[], None]]) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    if ready is not None:
        ready()
    conn, _ = listener.accept()
    listener.close()
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def _serve_in_process(path: str, ready: multiprocessing.synchronize.Event) -> None:
    _serve(path, ready.set)


class EchoServer:
    """``with EchoServer("thread") as path:`` — connect to ``path`` and talk."""

    def __init__(self, runner: str) -> None:
        self.runner = runner
        self.dir = tempfile.mkdtemp(prefix="echo-")
        self.path = os.path.join(self.dir, "sock")
        self._thread: Optional[threading.Thread] = None
        self._proc: Optional[multiprocessing.process.BaseProcess] = None

    def __enter__(self) -> str:
        if self.runner == "thread":
            ready = threading.Event()
            self._thread = threading.Thread(target=_serve, args=(self.path, ready.set), daemon=True)
            self._thread.start()
            ready.wait()
        else:
            ctx = multiprocessing.get_context("fork")
            event = ctx.Event()
            self._proc = ctx.Process(target=_serve_in_process, args=(self.path, event), daemon=True)
            self._proc.start()
            event.wait()
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._thread.join(5)
        if self._proc is not None:
            self._proc.join(5)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.rmdir(self.dir)


def round_trip(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(payload)
    got = 0
    while got < len(payload):
        got += len(sock.recv(65536))
