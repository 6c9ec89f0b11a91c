"""Loading the captured real Flux traffic in ``tests/conformance/captures/``.

Each capture ``NAME`` is two files:

* ``NAME.json``: the raw conversation, a list of chunks
  ``{"dir": "c2s" | "s2c", "hex": ..., "conn": N, "t": seconds}`` in the order
  they were seen.  The first ``s2c`` chunk of every connection starts with the
  one-byte handshake (``00`` for "accepted").
* ``NAME.decoded.json``: one entry per handshake (``handshake_byte``) and per
  message, in the same order, with the message's fields as the capture tool
  printed them.

This module knows nothing about fakeflux's own decoder beyond
:func:`fakeflux.wire.decode`, used once per message whose bytes it cut out of
the stream by the envelope length, so that conformance tests for the codec,
the broker and the client can all share it.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Tuple

from fakeflux.wire import Message, constants, decode

CAPTURE_DIR = Path(__file__).resolve().parent.parent / "conformance" / "captures"

C2S = "c2s"
S2C = "s2c"

_SPECIAL = re.compile(r"^[A-Z/_]+\((0x[0-9a-fA-F]+)\)$")


@dataclass(frozen=True)
class Chunk:
    """One read or write as the capturing relay saw it."""

    conn: int
    dir: str
    data: bytes
    t: float


@dataclass(frozen=True)
class CapturedMessage:
    """One message of a capture: where it went, its exact bytes, how it decodes."""

    capture: str
    conn: int
    dir: str
    raw: bytes  # envelope and body, exactly as on the socket
    message: Message  # fakeflux.wire.decode(raw)
    decoded: Dict[str, Any]  # the capture tool's entry (conn and dir included)


@dataclass
class Capture:
    name: str
    chunks: List[Chunk]
    decoded: List[Dict[str, Any]]
    handshakes: Dict[int, int] = field(default_factory=dict)  # conn -> handshake byte
    messages: List[CapturedMessage] = field(default_factory=list)

    def connections(self) -> List[int]:
        return sorted({c.conn for c in self.chunks})

    def stream_chunks(self, conn: int, direction: str) -> List[bytes]:
        """The chunks of one direction of one connection, handshake byte removed."""
        out: List[bytes] = []
        seen_handshake = False
        for chunk in self.chunks:
            if chunk.conn != conn or chunk.dir != direction:
                continue
            data = chunk.data
            if direction == S2C and not seen_handshake:
                seen_handshake = True
                data = data[1:]
            if data:
                out.append(data)
        return out

    def stream(self, conn: int, direction: str) -> bytes:
        """All message bytes of one direction of one connection."""
        return b"".join(self.stream_chunks(conn, direction))

    def expected(self, conn: int, direction: str) -> List[Dict[str, Any]]:
        """The decoded-file entries for the messages of one direction of one connection."""
        return [
            d
            for d in self.decoded
            if d["conn"] == conn and d["dir"] == direction and "handshake_byte" not in d
        ]

    def messages_of(self, conn: int, direction: str) -> List[CapturedMessage]:
        return [m for m in self.messages if m.conn == conn and m.dir == direction]


def capture_names() -> List[str]:
    """Every capture in the directory, sorted (for pytest parametrisation)."""
    return sorted(p.name[: -len(".decoded.json")] for p in CAPTURE_DIR.glob("*.decoded.json"))


def split_stream(data: bytes) -> List[bytes]:
    """Cut a stream into whole enveloped messages using only the length field.

    Raises ValueError if the stream does not end on a message boundary.
    """
    out: List[bytes] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < constants.ENVELOPE_SIZE:
            raise ValueError(f"stream ends inside an envelope at byte {pos}")
        (body_len,) = struct.unpack_from(">I", data, pos + 4)
        end = pos + constants.ENVELOPE_SIZE + body_len
        if end > len(data):
            raise ValueError(f"stream ends inside the message at byte {pos}")
        out.append(bytes(data[pos:end]))
        pos = end
    return out


def load_capture(name: str) -> Capture:
    raw_chunks = json.loads((CAPTURE_DIR / f"{name}.json").read_text())
    decoded = json.loads((CAPTURE_DIR / f"{name}.decoded.json").read_text())
    chunks = [
        Chunk(int(c["conn"]), str(c["dir"]), bytes.fromhex(c["hex"]), float(c["t"])) for c in raw_chunks
    ]
    cap = Capture(name, chunks, decoded)
    for chunk in chunks:
        if chunk.dir == S2C and chunk.conn not in cap.handshakes:
            cap.handshakes[chunk.conn] = chunk.data[0]

    # Messages in the order of the decoded file, which interleaves
    # connections and directions as the relay saw them.
    pending: Dict[Tuple[int, str], List[bytes]] = {}
    for conn in cap.connections():
        for direction in (C2S, S2C):
            pending[(conn, direction)] = split_stream(cap.stream(conn, direction))
    for entry in decoded:
        if "handshake_byte" in entry:
            continue
        key = (int(entry["conn"]), str(entry["dir"]))
        queue = pending.get(key)
        if not queue:
            raise ValueError(f"{name}: decoded entry {entry} has no message bytes left")
        raw = queue.pop(0)
        cap.messages.append(CapturedMessage(name, key[0], key[1], raw, decode(raw), entry))
    leftover = {k: len(v) for k, v in pending.items() if v}
    if leftover:
        raise ValueError(f"{name}: messages without a decoded entry: {leftover}")
    return cap


def load_all() -> List[Capture]:
    return [load_capture(name) for name in capture_names()]


def all_messages() -> List[CapturedMessage]:
    """Every captured message of every capture, e.g. to parametrise broker tests."""
    return [m for cap in load_all() for m in cap.messages]


def u32_field(value: Any) -> int:
    """A u32 as the capture files print it: a number, or ``'ANY/UNKNOWN(0xffffffff)'``."""
    if isinstance(value, int):
        return value
    match = _SPECIAL.match(str(value))
    if not match:
        raise ValueError(f"not a u32 field value: {value!r}")
    return int(match.group(1), 16)


def flags_field(value: str) -> int:
    """``'TOPIC|PAYLOAD|ROUTE'`` (or ``'0'``) as the flags byte."""
    if value == "0":
        return 0
    by_name = {name: bit for bit, name in constants.FLAG_NAMES.items()}
    flags = 0
    for name in value.split("|"):
        flags |= by_name[name]  # KeyError for an unknown name
    return flags


def payload_field(value: str) -> bytes:
    """The payload as the capture files print it (text, NUL as ``\\u0000``) back to bytes."""
    return value.encode("utf-8", "surrogateescape")
