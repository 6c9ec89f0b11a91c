"""Incremental decoding of a byte stream into messages (no IO here)."""

from __future__ import annotations

from typing import List, Optional

from fakeflux.wire import constants as C
from fakeflux.wire.codec import check_envelope, decode_body
from fakeflux.wire.errors import ProtocolError
from fakeflux.wire.message import Message

_MAGIC = (C.ENVELOPE_MAGIC).to_bytes(4, "little")


class StreamDecoder:
    """Feed chunks of any size; get back every message they complete.

    After a ProtocolError the stream cannot be resynchronised (there is no
    frame marker to search for), so the decoder refuses further input, as
    the real broker closes such a connection.  Error offsets count from the
    start of the stream.
    """

    __slots__ = ("_buf", "_consumed", "max_size", "_failed")

    def __init__(self, max_size: int = C.DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._buf = bytearray()
        self._consumed = 0  # stream offset of _buf[0]
        self.max_size = max_size
        self._failed: Optional[ProtocolError] = None

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet form a whole message."""
        return len(self._buf)

    def _fail(self, reason: str, errnum: int, offset: Optional[int], decoded: List[Message]) -> ProtocolError:
        self._failed = ProtocolError(reason, errnum=errnum, offset=offset)
        self._failed.messages = decoded
        return self._failed

    def feed(self, chunk: bytes) -> List[Message]:
        if self._failed is not None:
            raise ProtocolError(f"stream already failed: {self._failed.reason}", errnum=self._failed.errnum)
        buf = self._buf
        if buf:
            buf += chunk
            if len(buf) >= C.ENVELOPE_SIZE and buf[:4] == _MAGIC:
                # A long message arriving in many chunks: wait for all of it
                # before copying, so the copying stays linear in its size.
                if len(buf) < C.ENVELOPE_SIZE + int.from_bytes(buf[4:8], "big"):
                    if int.from_bytes(buf[4:8], "big") <= self.max_size:
                        return []
            data: bytes = bytes(buf)
        else:
            # Nothing pending (the usual case): decode straight from the chunk.
            data = bytes(chunk)
        messages: List[Message] = []
        pos = 0
        end = len(data)
        while end - pos >= C.ENVELOPE_SIZE:
            try:
                body_len = check_envelope(data, pos, self.max_size)
            except ProtocolError as exc:
                raise self._fail(exc.reason, exc.errnum, self._consumed + (exc.offset or pos), messages) from None
            start = pos + C.ENVELOPE_SIZE
            stop = start + body_len
            if stop > end:
                break
            try:
                messages.append(decode_body(data[start:stop]))
            except ProtocolError as exc:
                where = self._consumed + start
                raise self._fail(
                    f"{exc.reason} (in the message body at stream byte {where})",
                    exc.errnum,
                    where + (exc.offset or 0),
                    messages,
                ) from None
            pos = stop
        if pos < end:
            # Keep the incomplete rest for the next chunk.
            if pos or not buf:
                self._buf = bytearray(data[pos:])
        else:
            self._buf = bytearray()
        self._consumed += pos
        return messages
