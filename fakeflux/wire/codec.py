"""Encoding and decoding of message bodies and of the stream envelope.

Body: frames, each a size prefix (one byte below 255, else 0xFF and a
big-endian u32) and its bytes: route ids, the empty route delimiter, topic
(no NUL), payload, and the 20-byte PROTO frame last.  Envelope, as
librouter's sendfd.c writes it: magic 0xFFEE0012 little-endian, then the body
length big-endian, not counting the envelope.  Decoding follows flux-core's
``flux_msg_decode`` / ``iovec_to_msg`` rule for rule, including what they
tolerate (surplus frames, a NUL inside a topic frame).
"""

from __future__ import annotations

import errno
import struct
from typing import List, Optional, Tuple, Union

from fakeflux.wire import constants as C
from fakeflux.wire.errors import ProtocolError
from fakeflux.wire.message import Message

_PROTO = struct.Struct(">BBBBIIII")
_MAGIC_LE = struct.pack("<I", C.ENVELOPE_MAGIC)
_LEN_BE = struct.Struct(">I")
_U32_BE = struct.Struct(">I")
_VALID_TYPES = frozenset(C.MSGTYPE_NAMES)

# Route ids and topics are C strings in flux-core; any byte string must
# survive decode then encode, so non-UTF-8 bytes are kept as surrogates.
_TEXT = "utf-8"
_ERRORS = "surrogateescape"


# Size prefixes for frames under 255 bytes, made once: encoding is on every
# message's path, so it avoids per-frame allocations where it can.
_SHORT_PREFIX = [bytes((n,)) for n in range(0xFF)]
# PROTO magic, version, then type and flags; the four u32s follow.
_PROTO_TAIL = struct.Struct(">BBIIII")
_PROTO_HEAD = b"\x14" + bytes((C.PROTO_MAGIC, C.PROTO_VERSION))


def _frame(data: bytes) -> bytes:
    n = len(data)
    if n < 0xFF:
        return _SHORT_PREFIX[n] + data
    return b"\xff" + _U32_BE.pack(n) + data


def encode_body(msg: Message) -> bytes:
    """The frames of ``msg`` as flux_msg_encode writes them."""
    parts: List[bytes] = []
    append = parts.append
    flags = msg._flags
    routes = msg.routes
    if routes is not None:
        flags |= C.FLAG_ROUTE
        for route in routes:
            raw = route.encode(_TEXT, _ERRORS)
            append(_SHORT_PREFIX[len(raw)] if len(raw) < 0xFF else b"\xff" + _U32_BE.pack(len(raw)))
            append(raw)
        append(b"\x00")
    topic = msg.topic
    if topic is not None:
        flags |= C.FLAG_TOPIC
        raw = topic.encode(_TEXT, _ERRORS)
        append(_SHORT_PREFIX[len(raw)] if len(raw) < 0xFF else b"\xff" + _U32_BE.pack(len(raw)))
        append(raw)
    payload = msg.payload
    if payload is not None:
        flags |= C.FLAG_PAYLOAD
        n = len(payload)
        append(_SHORT_PREFIX[n] if n < 0xFF else b"\xff" + _U32_BE.pack(n))
        append(payload)
    append(_PROTO_HEAD)
    append(_PROTO_TAIL.pack(msg.type, flags, msg.userid, msg.rolemask, msg.aux1, msg.aux2))
    return b"".join(parts)


def envelope(body_len: int) -> bytes:
    """The 8 bytes that precede a body of ``body_len`` bytes on the socket."""
    return _MAGIC_LE + _LEN_BE.pack(body_len)


def encode(msg: Message, max_size: int = C.DEFAULT_MAX_MESSAGE_SIZE) -> bytes:
    """``msg`` ready to write to a local-connector socket: envelope and body.
    A body over ``max_size`` bytes is refused (EMSGSIZE), as the peer would."""
    body = encode_body(msg)
    if len(body) > max_size:
        raise ProtocolError(
            f"message of {len(body)} bytes exceeds the maximum of {max_size} bytes",
            errnum=errno.EMSGSIZE,
        )
    return b"".join((_MAGIC_LE, _LEN_BE.pack(len(body)), body))


def _frame_spans(body: bytes) -> List[Tuple[int, int]]:
    """(start, end) of each frame, as flux_msg_decode splits them (EINVAL if truncated)."""
    spans: List[Tuple[int, int]] = []
    size = len(body)
    pos = 0
    while pos < size:
        start = pos
        n = body[pos]
        pos += 1
        if n == 0xFF:
            if size - pos < 4:
                raise ProtocolError(
                    "frame size prefix 0xFF is not followed by a 4-byte length",
                    errnum=errno.EINVAL,
                    offset=start,
                )
            n = _U32_BE.unpack_from(body, pos)[0]
            pos += 4
        if size - pos < n:
            raise ProtocolError(
                f"frame of {n} bytes runs past the end of the body ({size - pos} bytes left)",
                errnum=errno.EINVAL,
                offset=start,
            )
        spans.append((pos, pos + n))
        pos += n
    return spans


def split_frames(body: bytes) -> List[memoryview]:
    """The frames of a body, as flux_msg_decode splits them (EINVAL if truncated)."""
    view = memoryview(body)
    return [view[start:end] for start, end in _frame_spans(body)]


def decode_body(body: bytes) -> Message:
    """Decode one message body; ProtocolError where flux-core would fail."""
    spans = _frame_spans(body)
    count = len(spans)
    if count < 1:
        raise ProtocolError("empty message: no PROTO frame")
    start, end = spans[-1]
    if end - start != C.PROTO_SIZE:
        raise ProtocolError(f"PROTO frame is {end - start} bytes, not {C.PROTO_SIZE} (it must be the last frame)")
    magic, version, mtype, flags, userid, rolemask, aux1, aux2 = _PROTO.unpack_from(body, start)
    if magic != C.PROTO_MAGIC:
        raise ProtocolError(f"PROTO magic is {magic:#04x}, not {C.PROTO_MAGIC:#04x}")
    if version != C.PROTO_VERSION:
        raise ProtocolError(f"PROTO version is {version}, not {C.PROTO_VERSION}")
    if mtype not in _VALID_TYPES:
        raise ProtocolError(f"message type {mtype:#04x} is not request, response, event or control")

    index = 0
    routes: Optional[List[str]] = None
    topic: Optional[str] = None
    payload: Optional[bytes] = None
    if flags & C.FLAG_ROUTE:
        routes = []
        while index < count:
            start, end = spans[index]
            if start == end:
                index += 1  # the empty delimiter
                break
            routes.append(body[start:end].decode(_TEXT, _ERRORS))
            index += 1
    if flags & C.FLAG_TOPIC:
        if index == count:
            raise ProtocolError("flags promise a topic frame that is missing")
        start, end = spans[index]
        nul = body.find(b"\x00", start, end)
        # flux-core copies the topic with strndup: it ends at the first NUL.
        topic = body[start : end if nul < 0 else nul].decode(_TEXT, _ERRORS)
        index += 1
    if flags & C.FLAG_PAYLOAD:
        if index == count:
            raise ProtocolError("flags promise a payload frame that is missing")
        start, end = spans[index]
        payload = body[start:end]
        index += 1
    if index == count:
        # The frames the flags promise used up the PROTO frame too.
        raise ProtocolError(f"flags {C.flags_str(flags)} promise more frames than the message has")
    return Message(
        mtype,
        flags=flags,
        userid=userid,
        rolemask=rolemask,
        aux1=aux1,
        aux2=aux2,
        routes=routes,
        topic=topic,
        payload=payload,
    )


def decode(data: bytes, *, max_size: int = C.DEFAULT_MAX_MESSAGE_SIZE) -> Message:
    """Decode exactly one enveloped message (envelope plus body, nothing more)."""
    body_len = check_envelope(data, 0, max_size)
    if len(data) != C.ENVELOPE_SIZE + body_len:
        raise ProtocolError(
            f"envelope announces {body_len} body bytes but {len(data) - C.ENVELOPE_SIZE} follow",
            offset=4,
        )
    return decode_body(data[C.ENVELOPE_SIZE :])


def check_envelope(data: Union[bytes, bytearray], pos: int, max_size: int) -> int:
    """Validate the 8 envelope bytes at ``pos``; return the body length."""
    if len(data) - pos < C.ENVELOPE_SIZE:
        raise ProtocolError(
            f"truncated envelope: {max(len(data) - pos, 0)} of {C.ENVELOPE_SIZE} bytes",
            offset=pos,
        )
    if data[pos : pos + 4] != _MAGIC_LE:
        got = bytes(data[pos : pos + 4]).hex(" ")
        raise ProtocolError(f"bad envelope magic {got} (expected 12 00 ee ff)", offset=pos)
    body_len = _LEN_BE.unpack_from(data, pos + 4)[0]
    if body_len > max_size:
        raise ProtocolError(
            f"message length {body_len} exceeds the maximum of {max_size} bytes",
            offset=pos + 4,
        )
    return int(body_len)
