"""Hypothesis strategies for Flux wire messages and byte streams.

This module requires `hypothesis <https://hypothesis.readthedocs.io>`_, which
is not a dependency of fakeflux itself: install the ``test`` extra
(``pip install 'fakeflux[test]'``) or hypothesis directly.

Strategies for valid data:

* :func:`topics`, :func:`route_ids`, :func:`payloads` and :func:`u32s` for the
  parts of a message; :func:`json_values` and :func:`json_objects` for what
  JSON payloads hold;
* :func:`messages` for whole :class:`~fakeflux.wire.Message` objects of every
  type and every combination of the flags byte;
* :func:`encoded_streams` for lists of messages together with their encoding,
  concatenated as they would arrive on a socket.

And for invalid data, :func:`malformed_streams`: streams that start with
valid messages and then contain one defect (see :data:`MALFORMED_KINDS`);
:func:`malformed_payloads`: payload frames that decode fine but that a
service expecting a JSON object must refuse (see
:data:`MALFORMED_PAYLOAD_KINDS`).

Fuzzing a service of your own (see the README, "Fuzzing your services")::

    from hypothesis import given
    from fakeflux import strategies as fst

    @given(payload=fst.payloads())
    def test_my_service(payload): ...  # send it, expect exactly one answer

Every valid message these strategies generate satisfies
``decode(encode(m)) == m``: topics and route ids are non-empty and contain no
NUL (flux-core ends a topic at its first NUL, and an empty route id would read
as the route delimiter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple

from hypothesis import strategies as st

from fakeflux.wire import constants as C
from fakeflux.wire.codec import encode, encode_body, envelope
from fakeflux.wire.message import Message

__all__ = [
    "MALFORMED_KINDS",
    "MALFORMED_PAYLOAD_KINDS",
    "MalformedStream",
    "encoded_streams",
    "flags_bytes",
    "json_objects",
    "json_values",
    "malformed_payloads",
    "malformed_streams",
    "message_types",
    "messages",
    "payloads",
    "route_ids",
    "topics",
    "u32s",
]

_U32_MAX = 0xFFFFFFFF
_ENVELOPE_MAGIC = envelope(0)[:4]

# Characters for names: anything printable except NUL.  (Lone surrogates are
# excluded by st.characters by default: they cannot be encoded.)
_NAME_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
_WORD_CHARS = st.characters(categories=["Ll", "Lu", "Nd"], include_characters="-_", max_codepoint=0x7F)


def u32s() -> st.SearchStrategy[int]:
    """Unsigned 32-bit values, often the special ones (0, ANY, UPSTREAM, 1)."""
    return st.one_of(
        st.sampled_from([0, 1, C.NODEID_UPSTREAM, C.NODEID_ANY]),
        st.integers(min_value=0, max_value=_U32_MAX),
    )


def topics() -> st.SearchStrategy[str]:
    """Non-empty topic strings without NUL: mostly dotted words like ``a.b.c``.

    Some are arbitrary non-ASCII text, and some are long enough (255 bytes or
    more) to need the 5-byte frame size prefix.
    """
    word = st.text(_WORD_CHARS, min_size=1, max_size=10)
    dotted = st.lists(word, min_size=1, max_size=4).map(".".join)
    anything = st.text(_NAME_CHARS, min_size=1, max_size=40)
    long = st.integers(min_value=250, max_value=300).map(lambda n: "t" * n)
    return st.one_of(dotted, anything, long)


def route_ids() -> st.SearchStrategy[str]:
    """Route ids: non-empty, no NUL; often 36-character UUIDs as the broker uses."""
    return st.one_of(
        st.uuids().map(str),
        st.text(_NAME_CHARS, min_size=1, max_size=20),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, integers, floats, strings, arrays, objects."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(_NAME_CHARS, max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(_NAME_CHARS, max_size=10), inner, max_size=4),
        ),
        max_leaves=8,
    )


def json_objects() -> st.SearchStrategy[Any]:
    """JSON objects (dicts) with JSON-compatible keys and values."""
    return st.dictionaries(st.text(_NAME_CHARS, max_size=10), json_values(), max_size=5)


def _dump(obj: Any, compact: bool) -> bytes:
    seps = (",", ":") if compact else (", ", ": ")
    return json.dumps(obj, separators=seps, ensure_ascii=False).encode("utf-8") + b"\x00"


def _json_payloads() -> st.SearchStrategy[bytes]:
    # Mostly objects (what flux_msg_unpack accepts), sometimes any JSON value.
    values = st.one_of(json_objects(), json_objects(), json_values())
    return st.builds(_dump, values, st.booleans())


def payloads(*, allow_none: bool = True) -> st.SearchStrategy[Optional[bytes]]:
    """Payload frames: NUL-terminated JSON (mostly objects, any JSON value
    sometimes) and strings, raw bytes (empty, and sizes around the 255-byte
    prefix boundary), or None."""
    strings = st.text(_NAME_CHARS, max_size=40).map(lambda s: s.encode("utf-8") + b"\x00")
    raw = st.one_of(st.binary(max_size=64), st.binary(min_size=250, max_size=260))
    options: List[st.SearchStrategy[Optional[bytes]]] = [_json_payloads(), strings, raw]
    if allow_none:
        options.insert(0, st.none())
    return st.one_of(*options)


def message_types() -> st.SearchStrategy[int]:
    """The four valid message types."""
    return st.sampled_from(sorted(C.MSGTYPE_NAMES))


def flags_bytes() -> st.SearchStrategy[int]:
    """Any value of the flags byte (all 256 combinations)."""
    return st.integers(min_value=0, max_value=0xFF)


@st.composite
def _messages(draw: st.DrawFn, types: Sequence[int], max_routes: int) -> Message:
    mtype = draw(st.sampled_from(list(types)))
    flags = draw(flags_bytes())
    routes: Optional[List[str]] = None
    topic: Optional[str] = None
    payload: Optional[bytes] = None
    if flags & C.FLAG_ROUTE:
        routes = draw(st.lists(route_ids(), max_size=max_routes))
    if flags & C.FLAG_TOPIC:
        topic = draw(topics())
    if flags & C.FLAG_PAYLOAD:
        payload = draw(payloads(allow_none=False))
    return Message(
        mtype,
        flags=flags,
        userid=draw(u32s()),
        rolemask=draw(u32s()),
        aux1=draw(u32s()),
        aux2=draw(u32s()),
        routes=routes,
        topic=topic,
        payload=payload,
    )


def messages(*, types: Optional[Sequence[int]] = None, max_routes: int = 4) -> st.SearchStrategy[Message]:
    """Valid messages of the given types (default: all four), with any flags byte.

    The TOPIC, PAYLOAD and ROUTE bits decide which frames the message has;
    the other five bits are drawn freely, so combinations real Flux never
    sends (NORESPONSE with STREAMING, PRIVATE on a request) appear too.
    """
    chosen = list(C.MSGTYPE_NAMES) if types is None else list(types)
    if not chosen:
        raise ValueError("types must not be empty")
    return _messages(chosen, max_routes)


def encoded_streams(
    *, min_messages: int = 0, max_messages: int = 6
) -> st.SearchStrategy[Tuple[List[Message], bytes]]:
    """``(messages, stream)``: messages and their encodings concatenated."""
    return st.lists(messages(), min_size=min_messages, max_size=max_messages).map(
        lambda ms: (ms, b"".join(encode(m) for m in ms))
    )


# -- malformed payloads --------------------------------------------------------

#: The payload defects :func:`malformed_payloads` knows.  flux-core's
#: ``flux_msg_unpack`` refuses each one with EPROTO (PROTOCOL.md 1.7).
MALFORMED_PAYLOAD_KINDS = {
    "no-nul": "a JSON object without its trailing NUL",
    "empty": "a payload frame of 0 bytes",
    "not-json": "NUL-terminated text that is not JSON",
    "not-object": "NUL-terminated JSON that is not an object (array, number, string, null)",
    "bad-utf8": "NUL-terminated bytes that are not UTF-8",
    "deep": "a JSON object nested more than 2048 levels deep (jansson's limit)",
    "wrong-types": "a JSON object whose usual keys (topic, name, service, follow, ...) hold values of the wrong type",
}

# Keys Flux services read, and the JSON type each must have.
_USUAL_KEYS = {
    "topic": str,
    "name": str,
    "value": str,
    "service": str,
    "payload": str,
    "flags": int,
    "matchtag": int,
    "follow": bool,
    "names": list,
    "env": dict,
}


def _wrong_for(right: type) -> st.SearchStrategy[Any]:
    """JSON values of any type but ``right`` (booleans are not integers in JSON)."""
    candidates: List[Tuple[type, st.SearchStrategy[Any]]] = [
        (type(None), st.none()),
        (bool, st.booleans()),
        (int, st.integers()),
        (str, st.text(max_size=5)),
        (list, st.lists(st.integers(), max_size=2)),
        (dict, st.just({})),
    ]
    return st.one_of([strategy for kind, strategy in candidates if kind is not right])


@st.composite
def _bad_payload(draw: st.DrawFn, kind: str) -> bytes:
    if kind == "no-nul":
        return _dump(draw(json_objects()), draw(st.booleans()))[:-1]
    if kind == "empty":
        return b""
    if kind == "not-json":
        text = draw(st.text(_NAME_CHARS, min_size=1, max_size=30))
        return draw(st.sampled_from(["{", "{]", "nul", "{'a': 1}", '{"a":}', text + "}"])).encode() + b"\x00"
    if kind == "not-object":
        value = draw(json_values().filter(lambda v: not isinstance(v, dict)))
        return _dump(value, True)
    if kind == "bad-utf8":
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf8\x88\x80\x80\x80"]))
        return b'{"topic":"' + junk + b'","name":"' + junk + b'"}\x00'
    if kind == "deep":
        depth = draw(st.integers(min_value=2049, max_value=20000))
        return b'{"a":' * depth + b"1" + b"}" * depth + b"\x00"
    if kind == "wrong-types":
        keys = draw(st.lists(st.sampled_from(sorted(_USUAL_KEYS)), min_size=1, max_size=4, unique=True))
        return _dump({k: draw(_wrong_for(_USUAL_KEYS[k])) for k in keys}, True)
    raise ValueError(f"unknown malformed payload kind {kind!r}")


def malformed_payloads(*, kinds: Optional[Sequence[str]] = None) -> st.SearchStrategy[bytes]:
    """Payload frames that are valid on the wire but that a service expecting
    a JSON object must refuse: no NUL, not JSON, not an object, not UTF-8,
    nested too deeply, or keys of the wrong type (see
    :data:`MALFORMED_PAYLOAD_KINDS`; ``kinds`` restricts them).

    ``wrong-types`` payloads are refused only by services that read those
    keys; the others by any service that unpacks its payload.
    """
    chosen = list(MALFORMED_PAYLOAD_KINDS) if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in MALFORMED_PAYLOAD_KINDS]
    if unknown or not chosen:
        raise ValueError(f"unknown or no malformed payload kinds: {unknown}")
    return st.sampled_from(chosen).flatmap(_bad_payload)


# -- malformed streams ---------------------------------------------------------

#: The defects :func:`malformed_streams` knows, and what each one is.
MALFORMED_KINDS = {
    "truncated": "the stream stops inside a message (envelope or body)",
    "envelope-magic": "the envelope's 4 magic bytes are wrong",
    "oversized": "the envelope announces more than DEFAULT_MAX_MESSAGE_SIZE bytes",
    "short-length": "the envelope announces fewer bytes than the body has, cutting the PROTO frame",
    "empty-body": "the envelope announces a 0-byte body (no frames at all)",
    "proto-size": "the last frame is not 20 bytes long",
    "proto-magic": "the PROTO frame's magic byte is not 0x8e",
    "proto-version": "the PROTO frame's version byte is not 1",
    "msg-type": "the PROTO frame's type is not request, response, event or control",
    "missing-frame": "the flags promise a route delimiter, topic or payload frame that is absent",
    "frame-prefix": "the body ends inside a 5-byte frame size prefix",
    "frame-overrun": "a frame's size runs past the end of the body",
    "garbage": "bytes that do not start with the envelope magic",
}


@dataclass(frozen=True)
class MalformedStream:
    """A stream of valid messages followed by one defect.

    ``messages`` are the valid messages before the defect, which a decoder
    must deliver before failing.  If ``incomplete`` is true the defect is
    only that the stream ends inside a message, which no decoder can notice
    before the end of input; otherwise decoding the stream must fail with a
    ProtocolError.  ``data`` may continue after the defect.
    """

    data: bytes
    kind: str
    messages: List[Message] = field(default_factory=list)
    incomplete: bool = False


def _frame(data: bytes) -> bytes:
    n = len(data)
    return bytes((n,)) + data if n < 0xFF else b"\xff" + n.to_bytes(4, "big") + data


def _enveloped(body: bytes) -> bytes:
    return envelope(len(body)) + body


def _with_proto(msg: Message, draw: st.DrawFn, index: int, bad: st.SearchStrategy[int]) -> bytes:
    """``msg``'s body with byte ``index`` of its PROTO frame replaced by a draw from ``bad``."""
    body = bytearray(encode_body(msg))
    body[len(body) - C.PROTO_SIZE + index] = draw(bad)
    return _enveloped(bytes(body))


@st.composite
def _defect(draw: st.DrawFn, kind: str) -> Tuple[bytes, bool]:
    """The defective part of a malformed stream, and whether it is merely incomplete."""
    msg = draw(messages())
    whole = encode(msg)
    body = encode_body(msg)
    if kind == "truncated":
        return whole[: draw(st.integers(min_value=1, max_value=len(whole) - 1))], True
    if kind == "envelope-magic":
        magic = draw(st.binary(min_size=4, max_size=4).filter(lambda b: b != _ENVELOPE_MAGIC))
        return magic + whole[4:], False
    if kind == "oversized":
        size = draw(st.integers(min_value=C.DEFAULT_MAX_MESSAGE_SIZE + 1, max_value=_U32_MAX))
        return envelope(size) + body, False
    if kind == "short-length":
        # Ending the body inside the PROTO frame (or just after its size
        # byte) is always a decode error, whatever the earlier frames hold.
        cut = draw(st.integers(min_value=1, max_value=C.PROTO_SIZE))
        return envelope(len(body) - cut) + body, False
    if kind == "empty-body":
        return envelope(0), False
    if kind == "proto-size":
        proto = body[-C.PROTO_SIZE :]
        size = draw(st.integers(min_value=0, max_value=40).filter(lambda n: n != C.PROTO_SIZE))
        new_proto = (proto + bytes(40))[:size]
        return _enveloped(body[: -C.PROTO_SIZE - 1] + _frame(new_proto)), False
    if kind == "proto-magic":
        return _with_proto(msg, draw, 0, st.integers(0, 0xFF).filter(lambda b: b != C.PROTO_MAGIC)), False
    if kind == "proto-version":
        return _with_proto(msg, draw, 1, st.integers(0, 0xFF).filter(lambda b: b != C.PROTO_VERSION)), False
    if kind == "msg-type":
        bad_type = st.integers(0, 0xFF).filter(lambda b: b not in C.MSGTYPE_NAMES)
        return _with_proto(msg, draw, 2, bad_type), False
    if kind == "missing-frame":
        # Drop one of the message's frames (if it has it) and set its flag
        # anyway: the decoder then runs out of frames before PROTO.  This
        # relies on route ids being non-empty, which route_ids() ensures.
        flag = draw(st.sampled_from([C.FLAG_ROUTE, C.FLAG_TOPIC, C.FLAG_PAYLOAD]))
        lacking = msg.copy()
        if flag == C.FLAG_ROUTE:
            lacking.routes = None
        elif flag == C.FLAG_TOPIC:
            lacking.topic = None
        else:
            lacking.payload = None
        short = bytearray(encode_body(lacking))
        short[len(short) - C.PROTO_SIZE + 3] |= flag
        return _enveloped(bytes(short)), False
    if kind == "frame-prefix":
        tail = b"\xff" + draw(st.binary(max_size=3))
        return _enveloped(body + tail), False
    if kind == "frame-overrun":
        size = draw(st.one_of(st.integers(1, 0xFE), st.integers(0xFF, _U32_MAX)))
        avail = draw(st.integers(min_value=0, max_value=min(size - 1, 16)))
        prefix = bytes((size,)) if size < 0xFF else b"\xff" + size.to_bytes(4, "big")
        return _enveloped(body + prefix + bytes(avail)), False
    if kind == "garbage":
        junk = st.binary(min_size=C.ENVELOPE_SIZE, max_size=64).filter(lambda b: b[:4] != _ENVELOPE_MAGIC)
        return draw(junk), False
    raise ValueError(f"unknown malformed stream kind {kind!r}")


@st.composite
def _malformed(draw: st.DrawFn, kinds: Sequence[str], max_prefix: int) -> MalformedStream:
    kind = draw(st.sampled_from(list(kinds)))
    prefix = draw(st.lists(messages(max_routes=2), max_size=max_prefix))
    defect, incomplete = draw(_defect(kind))
    # Bytes after a defect that is an error are never looked at; after a
    # truncation they would complete the message, so there are none.
    trailer = b"" if incomplete else draw(st.binary(max_size=16))
    data = b"".join(encode(m) for m in prefix) + defect + trailer
    return MalformedStream(data, kind, prefix, incomplete)


def malformed_streams(
    *, kinds: Optional[Sequence[str]] = None, max_prefix: int = 2
) -> st.SearchStrategy[MalformedStream]:
    """Streams of up to ``max_prefix`` valid messages, then one defect.

    ``kinds`` restricts the defects to some of :data:`MALFORMED_KINDS`
    (default: all).  The ``oversized`` kind assumes the decoder's default
    maximum message size.
    """
    chosen = list(MALFORMED_KINDS) if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in MALFORMED_KINDS]
    if unknown or not chosen:
        raise ValueError(f"unknown or no malformed stream kinds: {unknown}")
    return _malformed(chosen, max_prefix)
