"""Every way the codec refuses bytes, with the message and errnum it gives;
the payload helpers' errors; and the Message API.

Errnums follow flux-core: a truncated frame is EINVAL (flux_msg_decode), a
bad PROTO frame or a missing frame is EPROTO (message_proto.c,
message_iovec.c), and so is a bad envelope (sendfd.c).
"""

from __future__ import annotations

import errno
import struct
from typing import List, Optional

import pytest

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

C = constants
MAGIC = b"\x12\x00\xee\xff"


# Bodies are built here by hand, independently of the encoder under test.
def frame(data: bytes) -> bytes:
    if len(data) < 255:
        return bytes((len(data),)) + data
    return b"\xff" + struct.pack(">I", len(data)) + data


def proto(
    mtype: int = C.MSGTYPE_REQUEST,
    flags: int = 0,
    *,
    magic: int = C.PROTO_MAGIC,
    version: int = C.PROTO_VERSION,
    userid: int = C.USERID_UNKNOWN,
    rolemask: int = 0,
    aux1: int = C.NODEID_ANY,
    aux2: int = 1,
) -> bytes:
    return struct.pack(">BBBBIIII", magic, version, mtype, flags, userid, rolemask, aux1, aux2)


def body(*frames: bytes) -> bytes:
    return b"".join(frame(f) for f in frames)


def wrap(b: bytes) -> bytes:
    return MAGIC + struct.pack(">I", len(b)) + b


def refuse(data: bytes, **kwargs: int) -> ProtocolError:
    """decode() must refuse ``data``; so must a StreamDecoder fed all of it."""
    with pytest.raises(ProtocolError) as info:
        decode(data, **kwargs)
    with pytest.raises(ProtocolError) as stream_info:
        StreamDecoder(**kwargs).feed(data)
    assert stream_info.value.errnum == info.value.errnum
    assert stream_info.value.reason.startswith(info.value.reason)
    return info.value


def refuse_body(b: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode_body(b)
    other = refuse(wrap(b))
    assert other.errnum == info.value.errnum
    return info.value


GOOD = body(b"", b"attr.get", b'{"name":"rank"}\x00', proto(flags=0x0B))


def test_good_body_decodes() -> None:
    # The reference every refusal below is a small change of.
    msg = decode(wrap(GOOD))
    assert msg.topic == "attr.get"
    assert msg.routes == []
    assert encode(msg) == wrap(GOOD)


# -- envelope ------------------------------------------------------------------------


def test_bad_envelope_magic() -> None:
    # RFC 3's byte order is not what flux-core sends.
    exc = refuse(b"\xff\xee\x00\x12" + wrap(GOOD)[4:])
    assert "bad envelope magic ff ee 00 12" in str(exc)
    assert "expected 12 00 ee ff" in str(exc)
    assert exc.errnum == errno.EPROTO
    assert exc.offset == 0


def test_bad_magic_after_a_good_message_reports_stream_offset() -> None:
    good = wrap(GOOD)
    decoder = StreamDecoder()
    assert len(decoder.feed(good)) == 1
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"GET / HTTP/1.1\r\n")
    assert info.value.offset == len(good)
    assert f"at byte {len(good)}" in str(info.value)
    assert "bad envelope magic 47 45 54 20" in info.value.reason


@pytest.mark.parametrize("data", [b"", b"\x12", MAGIC, MAGIC + b"\x00\x00\x00"])
def test_decode_of_truncated_envelope(data: bytes) -> None:
    with pytest.raises(ProtocolError, match="truncated envelope") as info:
        decode(data)
    assert info.value.errnum == errno.EPROTO
    # A stream decoder just waits for the rest.
    decoder = StreamDecoder()
    assert decoder.feed(data) == []
    assert decoder.buffered == len(data)


def test_length_over_default_maximum() -> None:
    size = C.DEFAULT_MAX_MESSAGE_SIZE + 1
    exc = refuse(MAGIC + struct.pack(">I", size))
    assert f"message length {size} exceeds the maximum of {C.DEFAULT_MAX_MESSAGE_SIZE} bytes" in exc.reason
    assert exc.errnum == errno.EPROTO
    assert exc.offset == 4


def test_length_over_maximum_refused_before_body_arrives() -> None:
    # The decoder must not wait for (or buffer) 4 GiB.
    decoder = StreamDecoder()
    with pytest.raises(ProtocolError, match="exceeds the maximum"):
        decoder.feed(MAGIC + b"\xff\xff\xff\xff")


def test_configurable_max_size() -> None:
    raw = wrap(GOOD)
    assert decode(raw, max_size=len(GOOD)).topic == "attr.get"
    assert len(StreamDecoder(max_size=len(GOOD)).feed(raw)) == 1
    exc = refuse(raw, max_size=len(GOOD) - 1)
    assert f"exceeds the maximum of {len(GOOD) - 1} bytes" in exc.reason
    assert StreamDecoder(max_size=7).max_size == 7


def test_decode_length_mismatch() -> None:
    raw = wrap(GOOD)
    with pytest.raises(ProtocolError, match=f"announces {len(GOOD)} body bytes but {len(GOOD) + 1} follow"):
        decode(raw + b"\x00")
    with pytest.raises(ProtocolError, match=f"announces {len(GOOD)} body bytes but {len(GOOD) - 1} follow"):
        decode(raw[:-1])


def test_decode_of_two_messages_is_refused() -> None:
    raw = wrap(GOOD)
    with pytest.raises(ProtocolError, match="announces"):
        decode(raw + raw)
    assert len(StreamDecoder().feed(raw + raw)) == 2


# -- PROTO frame ---------------------------------------------------------------------


def test_empty_body() -> None:
    exc = refuse_body(b"")
    assert "no PROTO frame" in exc.reason
    assert exc.errnum == errno.EPROTO


@pytest.mark.parametrize("size", [0, 19, 21, 40])
def test_proto_frame_of_wrong_size(size: int) -> None:
    bad = (proto(flags=0x01) + bytes(40))[:size]
    exc = refuse_body(body(b"topic", bad))
    assert f"PROTO frame is {size} bytes, not 20" in exc.reason
    assert exc.errnum == errno.EPROTO


def test_proto_not_last() -> None:
    exc = refuse_body(body(proto(flags=0x01), b"topic"))
    assert "PROTO frame is 5 bytes" in exc.reason
    assert "last frame" in exc.reason


def test_wrong_proto_magic() -> None:
    exc = refuse_body(body(b"", b"t", proto(flags=0x09, magic=0x8F)))
    assert "PROTO magic is 0x8f, not 0x8e" in exc.reason
    assert exc.errnum == errno.EPROTO


def test_wrong_proto_version() -> None:
    exc = refuse_body(body(b"", b"t", proto(flags=0x09, version=2)))
    assert "PROTO version is 2, not 1" in exc.reason
    assert exc.errnum == errno.EPROTO


@pytest.mark.parametrize("mtype", [0x00, 0x03, 0x05, C.MSGTYPE_ANY, 0x10, 0xFF])
def test_invalid_message_type(mtype: int) -> None:
    exc = refuse_body(body(b"", b"t", proto(mtype, flags=0x09)))
    assert f"message type {mtype:#04x} is not request, response, event or control" in exc.reason
    assert exc.errnum == errno.EPROTO


@pytest.mark.parametrize("mtype", sorted(C.MSGTYPE_NAMES))
def test_every_valid_type_is_accepted(mtype: int) -> None:
    assert decode_body(body(b"", b"t", proto(mtype, flags=0x09))).type == mtype


# -- flags promising frames that are not there -----------------------------------------


def test_flags_promise_topic_without_any_frame() -> None:
    exc = refuse_body(body(proto(flags=C.FLAG_TOPIC)))
    assert "flags TOPIC promise more frames than the message has" in exc.reason
    assert exc.errnum == errno.EPROTO


def test_flags_promise_missing_topic_after_routes() -> None:
    # The route ids use up every frame (there is no delimiter): no topic left.
    exc = refuse_body(body(b"route-1", proto(flags=C.FLAG_ROUTE | C.FLAG_TOPIC)))
    assert "flags promise a topic frame that is missing" in exc.reason
    assert exc.errnum == errno.EPROTO


def test_flags_promise_missing_payload() -> None:
    exc = refuse_body(body(b"route-1", proto(flags=C.FLAG_ROUTE | C.FLAG_PAYLOAD)))
    assert "flags promise a payload frame that is missing" in exc.reason
    assert exc.errnum == errno.EPROTO


def test_flags_promise_payload_after_topic() -> None:
    exc = refuse_body(body(b"topic", proto(flags=C.FLAG_TOPIC | C.FLAG_PAYLOAD)))
    assert "flags TOPIC|PAYLOAD promise more frames than the message has" in exc.reason


def test_flags_promise_missing_delimiter() -> None:
    exc = refuse_body(body(b"route-1", b"route-2", proto(flags=C.FLAG_ROUTE)))
    assert "flags ROUTE promise more frames than the message has" in exc.reason
    assert exc.errnum == errno.EPROTO


def test_surplus_frames_are_tolerated_like_flux_core() -> None:
    msg = decode_body(body(b"topic", b"surplus", proto(flags=C.FLAG_TOPIC)))
    assert msg.topic == "topic"
    assert msg.payload is None
    assert encode_body(msg) == body(b"topic", proto(flags=C.FLAG_TOPIC))


def test_topic_frame_with_nul_is_cut() -> None:
    msg = decode_body(body(b"a.b\x00junk", proto(flags=C.FLAG_TOPIC)))
    assert msg.topic == "a.b"


# -- frame size prefixes -----------------------------------------------------------------


@pytest.mark.parametrize("tail", [b"", b"\x00", b"\x00\x00", b"\x00\x00\x01"])
def test_truncated_frame_prefix(tail: bytes) -> None:
    b = GOOD + b"\xff" + tail
    exc = refuse_body(b)
    assert "frame size prefix 0xFF is not followed by a 4-byte length" in exc.reason
    assert exc.errnum == errno.EINVAL
    assert exc.offset == len(GOOD)


def test_frame_running_past_the_end() -> None:
    b = GOOD + b"\x05ab"
    exc = refuse_body(b)
    assert "frame of 5 bytes runs past the end of the body (2 bytes left)" in exc.reason
    assert exc.errnum == errno.EINVAL
    assert exc.offset == len(GOOD)
    with pytest.raises(ProtocolError, match="frame of 5 bytes") as info:
        split_frames(b)
    assert info.value.errnum == errno.EINVAL


def test_long_frame_running_past_the_end() -> None:
    b = b"\xff\x00\x01\x00\x00" + bytes(10)
    exc = refuse_body(b)
    assert "frame of 65536 bytes runs past the end" in exc.reason
    assert exc.errnum == errno.EINVAL


def test_body_error_offset_counts_from_stream_start() -> None:
    first = wrap(GOOD)
    bad_body = GOOD + b"\x05ab"
    decoder = StreamDecoder()
    with pytest.raises(ProtocolError) as info:
        decoder.feed(first + wrap(bad_body))
    body_start = len(first) + C.ENVELOPE_SIZE
    assert info.value.offset == body_start + len(GOOD)
    assert f"in the message body at stream byte {body_start}" in info.value.reason


def test_frame_size_prefix_boundaries() -> None:
    for n in (0, 1, 254, 255, 256, 70000):
        payload = bytes(n)
        msg = Message(C.MSGTYPE_EVENT, topic="t", payload=payload)
        raw = encode_body(msg)
        assert raw[:2] == b"\x01t"
        prefix = raw[2:3] if n < 255 else raw[2:7]
        assert prefix == (bytes((n,)) if n < 255 else b"\xff" + struct.pack(">I", n))
        assert decode_body(raw).payload == payload


# -- the stream decoder after a failure ------------------------------------------------


def test_stream_refuses_input_after_failure() -> None:
    decoder = StreamDecoder()
    with pytest.raises(ProtocolError) as first:
        decoder.feed(b"\x00" * 8)
    for more in (wrap(GOOD), b""):
        with pytest.raises(ProtocolError) as again:
            decoder.feed(more)
        assert "stream already failed: bad envelope magic" in again.value.reason
        assert again.value.errnum == first.value.errnum


def test_stream_refusal_keeps_errnum() -> None:
    decoder = StreamDecoder()
    with pytest.raises(ProtocolError) as first:
        decoder.feed(wrap(b"\x05ab"))
    assert first.value.errnum == errno.EINVAL
    with pytest.raises(ProtocolError) as again:
        decoder.feed(wrap(GOOD))
    assert again.value.errnum == errno.EINVAL


def test_protocol_error_is_a_value_error() -> None:
    exc = ProtocolError("broken", offset=12)
    assert isinstance(exc, ValueError)
    assert str(exc) == "protocol error at byte 12: broken"
    assert exc.errnum == errno.EPROTO
    assert str(ProtocolError("x", errnum=errno.EINVAL)) == "protocol error: x"


# -- payload helpers ------------------------------------------------------------------------


def test_string_payload() -> None:
    assert string_payload("hello") == b"hello\x00"
    assert payload_string(b"hello\x00") == "hello"
    assert payload_string(b"\x00") == ""
    assert payload_string(None) is None


@pytest.mark.parametrize("raw", [b"", b"hello", b"{}", b"\x00x"])
def test_payload_string_requires_trailing_nul(raw: bytes) -> None:
    with pytest.raises(ProtocolError, match="does not end with a NUL byte") as info:
        payload_string(raw)
    assert info.value.errnum == errno.EPROTO
    with pytest.raises(ProtocolError, match="NUL"):
        payload_json(raw)


def test_json_payload_forms() -> None:
    assert json_payload({"name": "rank"}) == b'{"name":"rank"}\x00'
    assert json_payload({"a": 1, "b": [1, 2]}, compact=False) == b'{"a": 1, "b": [1, 2]}\x00'
    assert json_payload({"s": "é"}) == '{"s":"é"}'.encode() + b"\x00"
    assert payload_json(b'{"value":"0","flags":1}\x00') == {"value": "0", "flags": 1}


def test_payload_json_requires_payload() -> None:
    with pytest.raises(ProtocolError, match="a JSON payload is required"):
        payload_json(None)


@pytest.mark.parametrize("raw", [b"\x00", b"not json\x00", b'{"a":\x00', b"{}{}\x00", b"\xff\x00"])
def test_payload_json_refuses_non_json(raw: bytes) -> None:
    with pytest.raises(ProtocolError, match="payload is not JSON") as info:
        payload_json(raw)
    assert info.value.errnum == errno.EPROTO


@pytest.mark.parametrize("raw", [b"[]\x00", b"1\x00", b'"s"\x00', b"null\x00", b"true\x00"])
def test_payload_json_refuses_non_objects(raw: bytes) -> None:
    with pytest.raises(ProtocolError, match="JSON payload is not an object"):
        payload_json(raw)


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_payload_json_refuses_deep_nesting(opener: bytes) -> None:
    # A peer must not be able to crash a handler with RecursionError.
    with pytest.raises(ProtocolError, match="nested too deeply"):
        payload_json(opener * 100_000 + b"\x00")


# -- Message API ------------------------------------------------------------------------------


def make_request(flags: int = 0, routes: Optional[List[str]] = None) -> Message:
    return Message.request(
        "svc.method",
        json_payload({"x": 1}),
        nodeid=3,
        matchtag=42,
        flags=flags,
        routes=routes,
        userid=1000,
        rolemask=C.ROLE_USER,
    )


def test_request_defaults() -> None:
    msg = Message.request("a.b")
    assert msg.type == C.MSGTYPE_REQUEST
    assert msg.routes == []
    assert msg.nodeid == C.NODEID_ANY
    assert msg.matchtag == C.MATCHTAG_NONE
    assert msg.userid == C.USERID_UNKNOWN
    assert msg.rolemask == C.ROLE_NONE
    assert msg.flags == C.FLAG_TOPIC | C.FLAG_ROUTE


def test_derive_response_keeps_flags_topic_routes_matchtag() -> None:
    req = make_request(C.FLAG_NORESPONSE | C.FLAG_USER1 | C.FLAG_UPSTREAM, routes=["hop2", "hop1"])
    resp = req.derive_response(b"{}\x00", errnum=errno.ENOENT)
    assert resp.type == C.MSGTYPE_RESPONSE
    assert resp.topic == "svc.method"
    assert resp.routes == ["hop2", "hop1"]
    assert resp.matchtag == 42
    assert resp.errnum == errno.ENOENT
    assert resp.payload == b"{}\x00"
    assert resp.flags == C.FLAG_TOPIC | C.FLAG_PAYLOAD | C.FLAG_ROUTE | C.FLAG_USER1 | C.FLAG_UPSTREAM
    assert not resp.has_flag(C.FLAG_NORESPONSE)
    # Credentials are for the sender's connector to stamp.
    assert resp.userid == C.USERID_UNKNOWN
    assert resp.rolemask == C.ROLE_NONE
    # The route stack is a copy.
    assert resp.pop_route() == "hop2"
    assert req.routes == ["hop2", "hop1"]


def test_derive_response_keeps_streaming_and_no_payload() -> None:
    req = make_request(C.FLAG_STREAMING)
    resp = req.derive_response()
    assert resp.has_flag(C.FLAG_STREAMING)
    assert resp.payload is None
    assert not resp.has_flag(C.FLAG_PAYLOAD)
    assert resp.errnum == 0
    assert resp.routes == []


def test_derive_response_without_routes() -> None:
    ev = Message.event("a.b")
    assert ev.derive_response().routes is None


def test_push_and_pop_route_order() -> None:
    msg = Message.request("t")
    msg.push_route("client")
    msg.push_route("broker1")
    msg.push_route("broker0")
    # routes[0] is the most recent hop and the first frame on the wire.
    assert msg.routes == ["broker0", "broker1", "client"]
    assert msg.sender == "client"
    frames = [bytes(f) for f in split_frames(encode_body(msg))]
    assert frames[:4] == [b"broker0", b"broker1", b"client", b""]
    assert decode(encode(msg)).routes == ["broker0", "broker1", "client"]
    assert msg.pop_route() == "broker0"
    assert msg.pop_route() == "broker1"
    assert msg.pop_route() == "client"
    assert msg.pop_route() is None
    assert msg.routes == []
    assert msg.sender is None
    assert msg.has_flag(C.FLAG_ROUTE)


def test_push_route_on_message_without_routes() -> None:
    msg = Message.event("t")
    assert msg.routes is None
    assert not msg.has_flag(C.FLAG_ROUTE)
    assert msg.pop_route() is None
    msg.push_route("r")
    assert msg.routes == ["r"]
    assert msg.has_flag(C.FLAG_ROUTE)


@pytest.mark.parametrize(
    ("first", "second"),
    [(C.FLAG_NORESPONSE, C.FLAG_STREAMING), (C.FLAG_STREAMING, C.FLAG_NORESPONSE)],
)
def test_noresponse_and_streaming_exclude_each_other(first: int, second: int) -> None:
    msg = Message.request("t")
    msg.set_flag(C.FLAG_USER1)
    msg.set_flag(first)
    assert msg.has_flag(first)
    msg.set_flag(second)
    assert msg.has_flag(second)
    assert not msg.has_flag(first)
    assert msg.has_flag(C.FLAG_USER1)
    msg.set_flag(second, False)
    assert not msg.has_flag(second)
    assert msg.flags == C.FLAG_TOPIC | C.FLAG_ROUTE | C.FLAG_USER1


@pytest.mark.parametrize("flag", [C.FLAG_TOPIC, C.FLAG_PAYLOAD, C.FLAG_ROUTE])
def test_frame_flags_cannot_be_set(flag: int) -> None:
    msg = Message(C.MSGTYPE_EVENT)
    with pytest.raises(ValueError, match="follow from the message's frames"):
        msg.set_flag(flag)
    assert msg.flags == 0


def test_flags_derive_from_frames() -> None:
    msg = Message(C.MSGTYPE_REQUEST, flags=0xFF)
    # Frame bits given without frames are dropped.
    assert msg.flags == 0xFF & ~C.FRAME_FLAGS
    msg.topic = "t"
    assert msg.flags & C.FRAME_FLAGS == C.FLAG_TOPIC
    msg.payload = b""
    assert msg.flags & C.FRAME_FLAGS == C.FLAG_TOPIC | C.FLAG_PAYLOAD
    msg.routes = []
    assert msg.flags & C.FRAME_FLAGS == C.FRAME_FLAGS
    msg.topic = None
    msg.payload = None
    assert msg.flags & C.FRAME_FLAGS == C.FLAG_ROUTE
    msg.flags = C.FLAG_PRIVATE | C.FLAG_TOPIC
    assert msg.flags == C.FLAG_PRIVATE | C.FLAG_ROUTE
    assert encode_body(msg)[-20:][3] == C.FLAG_PRIVATE | C.FLAG_ROUTE


def test_aux_field_views() -> None:
    msg = Message(C.MSGTYPE_CONTROL, aux1=7, aux2=9)
    assert (msg.control_type, msg.control_status) == (7, 9)
    msg.nodeid = 1
    assert (msg.aux1, msg.errnum, msg.seq) == (1, 1, 1)
    msg.errnum = 2
    assert msg.seq == 2
    msg.seq = 3
    assert msg.nodeid == 3
    msg.matchtag = 11
    assert msg.aux2 == 11


def test_equality_hash_copy_repr() -> None:
    a = make_request(routes=["r"])
    b = make_request(routes=["r"])
    assert a == b and hash(a) == hash(b)
    c = a.copy()
    assert c == a
    assert c.routes is not a.routes
    c.push_route("x")
    assert c != a
    assert a != "not a message"
    text = repr(a)
    assert "request" in text and "svc.method" in text and "TOPIC|PAYLOAD|ROUTE" in text
