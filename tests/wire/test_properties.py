"""Property tests of the codec, driven by fakeflux.strategies.

The number of examples comes from the hypothesis profile (tests/conftest.py,
``HYPOTHESIS_PROFILE=ci|fuzz``).  Tests that feed arbitrary bytes carry a
deadline, so a decoder that loops or goes quadratic on bad input fails
instead of passing slowly.
"""

from __future__ import annotations

import errno
from datetime import timedelta
from typing import Any, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeflux import strategies as fst
from fakeflux.wire import (
    Message,
    ProtocolError,
    StreamDecoder,
    constants,
    decode,
    decode_body,
    encode,
    encode_body,
    json_payload,
    payload_json,
    payload_string,
    split_frames,
    string_payload,
)

FUZZ = settings(deadline=timedelta(seconds=2))


def feed_chunks(decoder: StreamDecoder, data: bytes, cuts: List[int]) -> List[Message]:
    """Feed ``data`` cut at the sorted offsets ``cuts``; return all messages."""
    out: List[Message] = []
    prev = 0
    for cut in [*cuts, len(data)]:
        out.extend(decoder.feed(data[prev:cut]))
        prev = cut
    return out


def cut_points(data: bytes) -> st.SearchStrategy[List[int]]:
    return st.lists(st.integers(min_value=0, max_value=len(data)), max_size=12).map(sorted)


# -- valid messages --------------------------------------------------------------


@given(fst.messages())
def test_roundtrip(msg: Message) -> None:
    raw = encode(msg)
    assert decode(raw) == msg
    body = encode_body(msg)
    assert raw == raw[: constants.ENVELOPE_SIZE] + body
    assert int.from_bytes(raw[4:8], "big") == len(body)
    assert decode_body(body) == msg
    # The flags byte on the wire is the message's flags, frame bits included.
    proto = bytes(split_frames(body)[-1])
    assert proto[3] == msg.flags
    assert encode(decode(raw)) == raw


@given(fst.messages())
def test_frame_count_follows_flags(msg: Message) -> None:
    frames = split_frames(encode_body(msg))
    expected = 1
    if msg.routes is not None:
        expected += len(msg.routes) + 1
    expected += msg.topic is not None
    expected += msg.payload is not None
    assert len(frames) == expected
    assert len(frames[-1]) == constants.PROTO_SIZE


@given(fst.messages(), st.text(max_size=10), st.text(max_size=10))
def test_topic_ends_at_first_nul(msg: Message, head: str, tail: str) -> None:
    # Like flux-core's strndup: everything from the first NUL on is dropped.
    msg.topic = head + "\x00" + tail
    decoded = decode(encode(msg))
    assert decoded.topic == head.split("\x00")[0]
    assert decoded.has_flag(constants.FLAG_TOPIC)


@given(fst.encoded_streams(), st.data())
def test_any_chunking_gives_same_messages(stream: Any, data: st.DataObject) -> None:
    messages, raw = stream
    cuts = data.draw(cut_points(raw))
    decoder = StreamDecoder()
    assert feed_chunks(decoder, raw, cuts) == messages
    assert decoder.buffered == 0


@given(fst.encoded_streams(min_messages=1), st.data())
def test_incomplete_stream_withholds_last_message(stream: Any, data: st.DataObject) -> None:
    messages, raw = stream
    last = len(encode(messages[-1]))
    keep = data.draw(st.integers(min_value=len(raw) - last, max_value=len(raw) - 1))
    decoder = StreamDecoder()
    got = feed_chunks(decoder, raw[:keep], data.draw(cut_points(raw[:keep])))
    assert got == messages[:-1]
    assert decoder.buffered == keep - (len(raw) - last)
    assert decoder.feed(raw[keep:]) == messages[-1:]
    assert decoder.buffered == 0


# -- invalid bytes ----------------------------------------------------------------


def drain(data: bytes, cuts: List[int], max_size: int = constants.DEFAULT_MAX_MESSAGE_SIZE) -> Optional[str]:
    """Feed ``data``; ProtocolError is the only acceptable failure.

    Returns the error's reason, or None if every chunk was accepted.
    """
    decoder = StreamDecoder(max_size=max_size)
    prev = 0
    try:
        for cut in [*cuts, len(data)]:
            got = decoder.feed(data[prev:cut])
            prev = cut
            for msg in got:
                assert isinstance(msg, Message)
            # Whatever is left is part of one message the envelope allowed.
            assert decoder.buffered < constants.ENVELOPE_SIZE + max_size
    except ProtocolError as exc:
        assert exc.errnum in (errno.EPROTO, errno.EINVAL)
        assert exc.reason
        return exc.reason
    return None


@FUZZ
@given(st.binary(max_size=200), st.data())
def test_random_bytes_only_raise_protocol_error(raw: bytes, data: st.DataObject) -> None:
    drain(raw, data.draw(cut_points(raw)))
    try:
        msg = decode(raw)
    except ProtocolError:
        pass
    else:
        assert isinstance(msg, Message)


@FUZZ
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=64), st.data())
def test_random_bytes_after_valid_envelope(raw: bytes, max_size: int, data: st.DataObject) -> None:
    # A correct envelope magic gets random bytes past the envelope check.
    stream = b"\x12\x00\xee\xff" + raw
    drain(stream, data.draw(cut_points(stream)), max_size=max_size)
    try:
        decode_body(raw)
    except ProtocolError:
        pass


@st.composite
def mutated_streams(draw: st.DrawFn) -> bytes:
    _, raw = draw(fst.encoded_streams(min_messages=1, max_messages=3))
    buf = bytearray(raw)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(buf) - 1, 0)))
        if op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif not buf:
            continue
        elif op == "flip":
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            buf[pos] = draw(st.sampled_from([0x00, 0x14, 0x15, 0xFE, 0xFF, 0x8E]))
        else:
            del buf[pos : pos + draw(st.integers(min_value=1, max_value=8))]
    return bytes(buf)


@FUZZ
@given(mutated_streams(), st.data())
def test_mutated_streams_only_raise_protocol_error(raw: bytes, data: st.DataObject) -> None:
    drain(raw, data.draw(cut_points(raw)))


@FUZZ
@given(mutated_streams())
def test_whatever_decodes_is_stable(raw: bytes) -> None:
    # encode(decode(b)) normalises (drops surplus frames, cuts topics at NUL):
    # decoding that again must give the same message.
    decoder = StreamDecoder()
    try:
        messages = decoder.feed(raw)
    except ProtocolError:
        return
    for msg in messages:
        assert decode(encode(msg)) == msg


@FUZZ
@given(fst.malformed_streams())
def test_malformed_streams_are_never_accepted(bad: fst.MalformedStream) -> None:
    prefix_len = sum(len(encode(m)) for m in bad.messages)
    decoder = StreamDecoder()
    got: List[Message] = []
    error: Optional[ProtocolError] = None
    # One byte at a time, so each valid message completes in its own feed().
    for i in range(len(bad.data)):
        try:
            got.extend(decoder.feed(bad.data[i : i + 1]))
        except ProtocolError as exc:
            error = exc
            break
    assert got == bad.messages
    if bad.incomplete:
        assert error is None
        assert decoder.buffered > 0
    else:
        assert error is not None, bad.kind
        assert error.offset is not None
        assert prefix_len <= error.offset <= len(bad.data)
        with pytest.raises(ProtocolError, match="already failed"):
            decoder.feed(b"")
    with pytest.raises(ProtocolError):
        decode(bad.data)


_EINVAL_KINDS = {"short-length", "frame-prefix", "frame-overrun"}


@pytest.mark.parametrize("kind", sorted(k for k in fst.MALFORMED_KINDS if k != "truncated"))
def test_each_malformed_kind_fails_with_its_errnum(kind: str) -> None:
    expected = errno.EINVAL if kind in _EINVAL_KINDS else errno.EPROTO

    @settings(max_examples=15, deadline=timedelta(seconds=2))
    @given(fst.malformed_streams(kinds=[kind], max_prefix=1))
    def check(bad: fst.MalformedStream) -> None:
        assert bad.kind == kind and not bad.incomplete
        with pytest.raises(ProtocolError) as info:
            StreamDecoder().feed(bad.data)
        assert info.value.errnum == expected, info.value

    check()


def test_malformed_streams_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        fst.malformed_streams(kinds=["no-such-kind"])


# -- payload helpers ----------------------------------------------------------------


@given(st.text())
def test_string_payload_roundtrip(text: str) -> None:
    payload = string_payload(text)
    assert payload.endswith(b"\x00")
    assert payload_string(payload) == text


@given(fst.json_objects(), st.booleans())
def test_json_payload_roundtrip(obj: Any, compact: bool) -> None:
    payload = json_payload(obj, compact=compact)
    assert payload.endswith(b"\x00")
    assert payload.count(b"\x00") == 1
    assert payload_json(payload) == obj


@given(st.binary().filter(lambda b: not b.endswith(b"\x00")))
def test_payload_without_nul_is_refused(raw: bytes) -> None:
    with pytest.raises(ProtocolError, match="NUL"):
        payload_string(raw)
    with pytest.raises(ProtocolError, match="NUL"):
        payload_json(raw)


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(),
        st.lists(st.integers(), max_size=3),
    )
)
def test_json_non_object_is_refused(value: Any) -> None:
    with pytest.raises(ProtocolError, match="not an object"):
        payload_json(json_payload(value))


@given(st.text(min_size=1).filter(lambda s: "\x00" not in s))
def test_payload_json_only_raises_protocol_error(text: str) -> None:
    try:
        obj = payload_json(string_payload(text))
    except ProtocolError:
        return
    assert isinstance(obj, dict)
