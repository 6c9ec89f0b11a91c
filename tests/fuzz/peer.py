"""A raw client for fuzzing: sends exactly what it is given, and can tell
everything the broker sent it so far with a barrier (a ping on the client's
own rank: the broker writes to one socket in order, so whatever it sent
before the ping's answer arrives before it)."""

from __future__ import annotations

import socket
from typing import List, Optional

from fakeflux.wire import Message, ProtocolError, StreamDecoder, encode, json_payload
from fakeflux.wire import constants as C

# A broker that takes longer than this to answer anything is hung.
TIMEOUT = 5.0
# Barrier pings use matchtags from here on, apart from the test's own.
BARRIER_TAG = 1 << 30


class BrokerHung(AssertionError):
    pass


class Peer:
    def __init__(self, path: str, name: str = "peer") -> None:
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        try:
            self.sock.connect(path)
            handshake = self.sock.recv(1)
        except BaseException:
            self.sock.close()
            raise
        if handshake != b"\x00":
            self.sock.close()
            raise ConnectionRefusedError(f"handshake byte {handshake!r}")
        self.decoder = StreamDecoder()
        self.queued: List[Message] = []
        self.closed = False
        self._barrier_tag = BARRIER_TAG

    def send(self, msg: Message) -> None:
        self.sock.sendall(encode(msg))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self) -> bool:
        """Read once; False at EOF."""
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise BrokerHung(f"{self.name}: nothing from the broker in {TIMEOUT} s") from None
        except ConnectionResetError:
            return False
        if not data:
            return False
        try:
            self.queued.extend(self.decoder.feed(data))
        except ProtocolError as exc:
            raise AssertionError(f"{self.name}: the broker sent bytes that are not a Flux message: {exc}") from None
        return True

    def recv(self) -> Message:
        while not self.queued:
            if not self._read():
                raise ConnectionResetError(f"{self.name}: the broker closed the connection")
        return self.queued.pop(0)

    def barrier(self) -> List[Message]:
        """Everything the broker sent this client before now (the ping's answer excluded)."""
        self._barrier_tag += 1
        tag = self._barrier_tag
        self.send(Message.request("broker.ping", json_payload({}), matchtag=tag))
        seen: List[Message] = []
        while True:
            msg = self.recv()
            if msg.type == C.MSGTYPE_RESPONSE and msg.matchtag == tag:
                assert msg.errnum == 0, f"{self.name}: barrier ping failed with errno {msg.errnum}"
                return seen
            seen.append(msg)

    def rpc(self, msg: Message) -> Message:
        """Send a request; return its first response (other messages stay queued)."""
        self.send(msg)
        others: List[Message] = []
        try:
            while True:
                reply = self.recv()
                if reply.type == C.MSGTYPE_RESPONSE and reply.matchtag == msg.matchtag:
                    return reply
                others.append(reply)
        finally:
            self.queued[:0] = others

    def closed_by_broker(self, timeout: Optional[float] = TIMEOUT) -> bool:
        """True when the broker hangs up (whatever it sent before is discarded)."""
        self.sock.settimeout(timeout)
        try:
            while self._read_raw():
                pass
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(TIMEOUT)

    def _read_raw(self) -> bool:
        try:
            return bool(self.sock.recv(1 << 16))
        except ConnectionResetError:
            return False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.sock.close()
