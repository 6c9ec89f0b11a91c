"""A relay socket in front of a broker, fake or real, that records the conversation.

Each client that connects to the relay gets its own connection to the
upstream socket; bytes pass through unchanged both ways (the upstream's
handshake byte included), and both directions are also decoded with the
codec so that every whole message is handed to ``on_message``.  One
``selectors`` loop on one thread serves everything.
"""

from __future__ import annotations

import os
import selectors
import socket
import tempfile
import threading
import time
from typing import Callable, Dict, List, Optional

from fakeflux.wire import Message, ProtocolError, StreamDecoder

C2S = "c2s"  # client to server
S2C = "s2c"

OnMessage = Callable[[int, str, float, Message], None]


def socket_path_of(uri: str) -> str:
    if not uri.startswith("local://"):
        raise ValueError(f"only local:// URIs can be relayed, not {uri!r}")
    path = uri[len("local://") :]
    if not path:
        raise ValueError(f"no socket path in {uri!r}")
    return path


class _Side:
    def __init__(self, sock: socket.socket, direction: str) -> None:
        self.sock = sock
        self.direction = direction  # the direction of what this side *sends* to the relay
        self.out = bytearray()  # what the relay still has to write to this side
        self.decoder = StreamDecoder()
        self.skip = 1 if direction == S2C else 0  # the upstream's handshake byte
        self.closed = False


class _Pair:
    def __init__(self, number: int, client: _Side, upstream: _Side) -> None:
        self.number = number
        self.client = client
        self.upstream = upstream
        self.recording = True

    def other(self, side: _Side) -> _Side:
        return self.upstream if side is self.client else self.client


class Relay:
    def __init__(self, upstream_uri: str, on_message: OnMessage, *, folder: Optional[str] = None) -> None:
        self.upstream_path = socket_path_of(upstream_uri)
        self.on_message = on_message
        self._own_folder = folder is None
        self.folder = folder or tempfile.mkdtemp(prefix="flux-relay-")
        self.path = os.path.join(self.folder, "local-0")
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self.pairs: List[_Pair] = []
        self._sides: Dict[int, tuple] = {}
        self._stopping = False
        self.thread: Optional[threading.Thread] = None
        self.notes: List[str] = []  # what went wrong on the way (not fatal)
        self.connections = 0

    @property
    def uri(self) -> str:
        return f"local://{self.path}"

    # -- running --------------------------------------------------------------------------
    def start_thread(self) -> None:
        self.thread = threading.Thread(target=self.serve_forever, name="fakeflux-relay", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stopping = True
        try:
            self._wake_w.send(b"\x00")
        except OSError:
            pass
        if self.thread is not None:
            self.thread.join(timeout=10)

    def serve_forever(self) -> None:
        try:
            while not self._stopping:
                for key, mask in self.selector.select(1.0):
                    if key.data is None:
                        self._accept()
                    elif key.data == "wake":
                        try:
                            self._wake_r.recv(4096)
                        except BlockingIOError:
                            pass
                    else:
                        pair, side = key.data
                        if mask & selectors.EVENT_READ and not side.closed:
                            self._read(pair, side)
                        if mask & selectors.EVENT_WRITE and not side.closed:
                            self._flush(pair, side)
        finally:
            self._teardown()

    def _accept(self) -> None:
        while True:
            try:
                csock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            usock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                usock.connect(self.upstream_path)
            except OSError as exc:
                self.notes.append(f"cannot reach the upstream {self.upstream_path}: {exc.strerror}")
                usock.close()
                csock.close()
                continue
            csock.setblocking(False)
            usock.setblocking(False)
            self.connections += 1
            pair = _Pair(self.connections, _Side(csock, C2S), _Side(usock, S2C))
            self.pairs.append(pair)
            self.selector.register(csock, selectors.EVENT_READ, (pair, pair.client))
            self.selector.register(usock, selectors.EVENT_READ, (pair, pair.upstream))

    def _read(self, pair: _Pair, side: _Side) -> None:
        try:
            data = side.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close_pair(pair)
            return
        other = pair.other(side)
        other.out += data
        self._flush(pair, other)
        self._record(pair, side, data)

    def _record(self, pair: _Pair, side: _Side, data: bytes) -> None:
        if side.skip:
            data = data[side.skip :]
            side.skip = 0
        if not pair.recording or not data:
            return
        now = time.time()
        try:
            messages = side.decoder.feed(data)
        except ProtocolError as exc:
            messages = list(getattr(exc, "messages", []) or [])
            pair.recording = False
            self.notes.append(f"connection {pair.number}: stopped recording after a protocol error: {exc}")
        for msg in messages:
            self.on_message(pair.number, side.direction, now, msg)

    def _flush(self, pair: _Pair, side: _Side) -> None:
        if side.closed:
            return
        try:
            while side.out:
                sent = side.sock.send(side.out)
                del side.out[:sent]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._close_pair(pair)
            return
        data = (pair, side)
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if side.out else 0)
        self.selector.modify(side.sock, events, data)

    def _close_pair(self, pair: _Pair) -> None:
        for side in (pair.client, pair.upstream):
            if side.closed:
                continue
            if side.out:
                # What the other side sent before closing still goes through.
                try:
                    side.sock.setblocking(True)
                    side.sock.settimeout(1.0)
                    side.sock.sendall(bytes(side.out))
                except OSError:
                    pass
            side.closed = True
            self.selector.unregister(side.sock)
            side.sock.close()

    def _teardown(self) -> None:
        for pair in self.pairs:
            self._close_pair(pair)
        self.selector.close()
        self.listener.close()
        self._wake_r.close()
        self._wake_w.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        if self._own_folder:
            try:
                os.rmdir(self.folder)
            except OSError:
                pass
