"""One accepted client socket: bytes in through the stream decoder, messages
out through a write buffer.  No Flux semantics here beyond the framing."""

from __future__ import annotations

import errno
import socket
import struct
from typing import TYPE_CHECKING, Tuple

from fakeflux.broker.client import Client
from fakeflux.wire import Message, ProtocolError, StreamDecoder, encode, string_payload
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.io.server import BrokerServer

READ_SIZE = 256 * 1024
LOG_ERR = 3


class Connection:
    __slots__ = ("server", "sock", "client", "decoder", "wbuf", "writing", "closed", "fd", "__weakref__")

    def __init__(self, server: BrokerServer, sock: socket.socket, rank: int, uid: int, rolemask: int, pid: int) -> None:
        self.server = server
        self.sock = sock
        self.fd = sock.fileno()
        self.decoder = StreamDecoder(server.max_message_size)
        self.wbuf = bytearray()
        self.writing = False
        self.closed = False
        self.client = Client(rank, uid, rolemask, self.send, pid)

    # -- output ---------------------------------------------------------------------
    def send(self, msg: Message) -> None:
        """Queue ``msg``; written at once when the socket takes it."""
        if self.closed:
            return
        try:
            data = encode(msg, self.server.max_message_size)
        except ProtocolError as exc:
            data = self._too_large(msg, exc)
            if not data:
                return
        if self.wbuf:
            self.wbuf += data
            return
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            # The peer is gone; the read side will see EOF and clean up.
            self.server.close_later(self)
            return
        if sent < len(data):
            self.wbuf += data[sent:]
            self.server.want_write(self, True)

    def _too_large(self, msg: Message, exc: ProtocolError) -> bytes:
        """A message over the size limit is not sent; a response becomes an
        error response (EMSGSIZE) so the requester learns why, rather than
        waiting or being cut off."""
        self.server.log(
            self.client.rank, LOG_ERR, f"not sending {msg.type_name} {msg.topic!r} to {self.describe()}: {exc.reason}"
        )
        if msg.type != C.MSGTYPE_RESPONSE:
            return b""
        error = Message(
            C.MSGTYPE_RESPONSE,
            flags=msg._flags & (C.FLAG_STREAMING | C.FLAG_UPSTREAM | C.FLAG_USER1),
            userid=msg.userid,
            rolemask=msg.rolemask,
            aux1=errno.EMSGSIZE,
            aux2=msg.aux2,
            routes=None if msg.routes is None else list(msg.routes),
            topic=msg.topic,
            payload=string_payload(f"fakeflux: response of more than {self.server.max_message_size} bytes"),
        )
        return encode(error)

    def on_writable(self) -> None:
        try:
            sent = self.sock.send(self.wbuf)
        except BlockingIOError:
            return
        except OSError:
            self.server.close_connection(self)
            return
        del self.wbuf[:sent]
        if not self.wbuf:
            self.server.want_write(self, False)

    # -- input ------------------------------------------------------------------------
    def on_readable(self) -> None:
        try:
            data = self.sock.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return
            self.server.close_connection(self)
            return
        if not data:
            self.server.close_connection(self)
            return
        error = None
        try:
            messages = self.decoder.feed(data)
        except ProtocolError as exc:
            messages, error = exc.messages, exc
        connector = self.server.core.rank(self.client.rank).connector
        for msg in messages:
            if self.closed:
                break
            self.server.deliver(connector, self.client, msg)
        if error is not None:
            self.server.protocol_error(self, error)

    def describe(self) -> str:
        return f"client pid {self.client.pid} uid {self.client.userid} on rank {self.client.rank}"

    def shutdown(self) -> None:
        """Close the socket and let go of everything it held at once.

        ``client.send`` is this connection's bound method, so the two refer to
        each other: left alone, they (and an unsent backlog of any size) would
        wait for the cyclic garbage collector.  The buffers go now, and the
        client keeps a sender that drops what the core still hands it.
        """
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
        self.wbuf = bytearray()
        self.decoder = StreamDecoder(0)
        self.client.send = _drop


def _drop(msg: Message) -> None:
    """The sender of a client whose connection is closed."""


_UCRED = struct.Struct("3i")


def peer_credentials(sock: socket.socket) -> Tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end (SO_PEERCRED)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return pid, uid, gid
