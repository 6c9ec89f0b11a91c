"""A minimal Flux client built straight on the codec, for broker tests that
must control every byte (the compatible ``flux`` package is tested separately)."""

from __future__ import annotations

import json
import socket
from typing import Any, List, Optional

from fakeflux.wire import Message, StreamDecoder, encode, json_payload, payload_string
from fakeflux.wire import constants as C


def socket_path(uri: str) -> str:
    assert uri.startswith("local://"), uri
    return uri[len("local://") :]


class RawClient:
    def __init__(self, uri: str, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(socket_path(uri))
        self.handshake = self.sock.recv(1)
        self.decoder = StreamDecoder()
        self.pending: List[Message] = []
        self.next_tag = 1

    # -- sending ---------------------------------------------------------------------
    def send(self, msg: Message) -> None:
        self.sock.sendall(encode(msg))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        topic: str,
        payload: Any = None,
        *,
        nodeid: int = C.NODEID_ANY,
        flags: int = 0,
        matchtag: Optional[int] = None,
    ) -> Message:
        """Send a request (dict payloads as JSON, str with a NUL, bytes raw)."""
        if isinstance(payload, dict) or isinstance(payload, list):
            raw: Optional[bytes] = json_payload(payload)
        elif isinstance(payload, str):
            raw = payload.encode() + b"\x00"
        else:
            raw = payload
        if matchtag is None:
            matchtag = 0 if flags & C.FLAG_NORESPONSE else self.next_tag
            if matchtag:
                self.next_tag += 1
        msg = Message.request(topic, raw, nodeid=nodeid, matchtag=matchtag, flags=flags)
        self.send(msg)
        return msg

    # -- receiving -------------------------------------------------------------------------
    def recv(self, timeout: Optional[float] = None) -> Message:
        if timeout is not None:
            self.sock.settimeout(timeout)
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionResetError("broker closed the connection")
            self.pending.extend(self.decoder.feed(data))
        return self.pending.pop(0)

    def recv_nothing(self, wait: float = 0.1) -> bool:
        """True when nothing arrives within ``wait`` seconds."""
        if self.pending:
            return False
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(5.0)
        if data:
            self.pending.extend(self.decoder.feed(data))
        return False

    def rpc(self, topic: str, payload: Any = None, **kw: Any) -> Message:
        """Send a request and return its (first) response."""
        req = self.request(topic, payload, **kw)
        others: List[Message] = []
        try:
            while True:
                msg = self.recv()
                if msg.type == C.MSGTYPE_RESPONSE and msg.matchtag == req.matchtag:
                    return msg
                others.append(msg)
        finally:
            self.pending[:0] = others  # events and other messages stay queued, in order

    def rpc_json(self, topic: str, payload: Any = None, **kw: Any) -> Any:
        resp = self.rpc(topic, payload, **kw)
        assert resp.errnum == 0, (resp.errnum, resp.payload)
        text = payload_string(resp.payload)
        return None if text is None else json.loads(text)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def error_text(msg: Message) -> Optional[str]:
    return payload_string(msg.payload)
