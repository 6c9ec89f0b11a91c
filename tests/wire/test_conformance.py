"""The codec against real Flux traffic: every captured byte decodes to the
fields the capture tool printed and re-encodes to exactly the same bytes."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from fakeflux.wire import Message, StreamDecoder, constants, decode_body, encode, encode_body, split_frames
from tests.wire.captures import (
    C2S,
    S2C,
    Capture,
    capture_names,
    flags_field,
    load_capture,
    payload_field,
    u32_field,
)

NAMES = capture_names()

# Which PROTO field each type-dependent key of the decoded files names.
_AUX1_KEYS = {"nodeid", "errnum", "seq", "control_type"}
_AUX2_KEYS = {"matchtag", "aux2", "control_status"}


def test_captures_present() -> None:
    # Guards against the parametrised tests silently collecting nothing.
    assert len(NAMES) >= 10
    assert "get_rank" in NAMES


@pytest.fixture(params=NAMES)
def capture(request: pytest.FixtureRequest) -> Capture:
    return load_capture(request.param)


def check_fields(msg: Message, raw: bytes, entry: Dict[str, Any]) -> None:
    """Assert that ``msg`` (decoded from ``raw``) has every field of ``entry``."""
    body = raw[constants.ENVELOPE_SIZE :]
    for key, want in entry.items():
        if key in ("conn", "dir"):
            continue
        if key == "type":
            assert msg.type_name == want
        elif key == "flags":
            assert msg.flags == flags_field(want), constants.flags_str(msg.flags)
        elif key == "userid":
            assert msg.userid == u32_field(want)
        elif key == "rolemask":
            assert msg.rolemask == u32_field(want)
        elif key in _AUX1_KEYS:
            assert msg.aux1 == u32_field(want), key
        elif key in _AUX2_KEYS:
            assert msg.aux2 == u32_field(want), key
        elif key == "routes":
            assert msg.routes == want
        elif key == "topic":
            assert msg.topic == want
        elif key == "payload":
            assert msg.payload == payload_field(want)
        elif key == "payload_len":
            assert msg.payload is not None and len(msg.payload) == want
        elif key == "frame_sizes":
            assert [len(f) for f in split_frames(body)] == want
        elif key == "proto_hex":
            assert bytes(split_frames(body)[-1]).hex() == want
        elif key == "wire_len":
            assert len(raw) == want
        else:
            pytest.fail(f"decoded file has a field this test does not know: {key}")
    # Frames the decoded file leaves out must be absent.
    if "payload" not in entry:
        assert msg.payload is None
    if "topic" not in entry:
        assert msg.topic is None
    if "routes" not in entry:
        assert msg.routes is None


def test_handshake(capture: Capture) -> None:
    conns = capture.connections()
    assert conns, "capture has no connections"
    for conn in conns:
        first_s2c = next(c for c in capture.chunks if c.conn == conn and c.dir == S2C)
        assert first_s2c.data[:1] == b"\x00"
        assert capture.handshakes[conn] == 0
    expected = {d["conn"]: d["handshake_byte"] for d in capture.decoded if "handshake_byte" in d}
    assert expected == capture.handshakes


def test_stream_decode_matches_capture(capture: Capture) -> None:
    total = 0
    for conn in capture.connections():
        for direction in (C2S, S2C):
            decoder = StreamDecoder()
            got: List[Message] = []
            for chunk in capture.stream_chunks(conn, direction):
                got.extend(decoder.feed(chunk))
            assert decoder.buffered == 0
            expected = capture.expected(conn, direction)
            captured = capture.messages_of(conn, direction)
            assert len(got) == len(expected) == len(captured)
            for msg, entry, cm in zip(got, expected, captured):
                assert msg == cm.message
                check_fields(msg, cm.raw, entry)
            total += len(got)
    assert total == sum(1 for d in capture.decoded if "handshake_byte" not in d)


def test_reencode_is_byte_exact(capture: Capture) -> None:
    for conn in capture.connections():
        for direction in (C2S, S2C):
            stream = capture.stream(conn, direction)
            decoder = StreamDecoder()
            messages = decoder.feed(stream)
            assert b"".join(encode(m) for m in messages) == stream
    for cm in capture.messages:
        assert encode(cm.message) == cm.raw
        body = cm.raw[constants.ENVELOPE_SIZE :]
        assert encode_body(decode_body(body)) == body


def test_byte_at_a_time(capture: Capture) -> None:
    for conn in capture.connections():
        for direction in (C2S, S2C):
            stream = capture.stream(conn, direction)
            decoder = StreamDecoder()
            got: List[Message] = []
            for i in range(len(stream)):
                got.extend(decoder.feed(stream[i : i + 1]))
            assert got == [cm.message for cm in capture.messages_of(conn, direction)]
            assert decoder.buffered == 0


def test_worked_example_from_protocol_md() -> None:
    # PROTOCOL.md 1.9: h.get_rank()'s request, byte for byte.  (The text there
    # says "70 bytes in all", but its own bytes, and the get_rank capture,
    # are 8 + 48 = 56.)
    raw = bytes.fromhex(
        "1200eeff00000030"
        "00"
        "08" + b"attr.get".hex() + "10" + b'{"name":"rank"}\x00'.hex() + "14"
        "8e01010bffffffff00000000ffffffff00000001"
    )
    assert len(raw) == 56
    msg = Message.request("attr.get", b'{"name":"rank"}\x00', matchtag=1)
    assert encode(msg) == raw
    assert StreamDecoder().feed(raw) == [msg]
