"""The wire codec: encode+decode of typical messages and stream decoding,
against packing and unpacking just the 20-byte PROTO header with struct."""

from __future__ import annotations

import struct
from typing import List

from benchmarks import Result, rate
from fakeflux.wire import Message, StreamDecoder, constants, decode, encode, json_payload

BASELINE = "struct pack+unpack PROTO"
MESSAGES_PER_CHUNK = 100

_PROTO = struct.Struct(">BBBBIIII")


def _baseline() -> None:
    _PROTO.unpack(_PROTO.pack(0x8E, 1, 1, 0x0B, 0xFFFFFFFF, 0, 0xFFFFFFFF, 1))


def typical_request() -> Message:
    """What ``h.get_rank()`` sends (PROTOCOL.md 1.9)."""
    return Message.request("attr.get", json_payload({"name": "rank"}), matchtag=1)


def typical_response() -> Message:
    """The broker's answer to it."""
    resp = typical_request().derive_response(json_payload({"value": "0", "flags": 1}))
    resp.userid = 0
    resp.rolemask = constants.ROLE_OWNER | constants.ROLE_LOCAL
    return resp


def run() -> List[Result]:
    base = rate(_baseline)
    results: List[Result] = []

    for label, msg in (("request attr.get", typical_request()), ("response attr.get", typical_response())):
        assert decode(encode(msg)) == msg

        def roundtrip(msg: Message = msg) -> None:
            decode(encode(msg))

        results.append(Result(f"encode+decode {label}", rate(roundtrip), BASELINE, base, "msg/s"))

    mix = [typical_request(), typical_response()] * (MESSAGES_PER_CHUNK // 2)
    chunk = b"".join(encode(m) for m in mix)
    decoder = StreamDecoder()
    assert decoder.feed(chunk) == mix

    def feed_chunk() -> None:
        decoder.feed(chunk)

    results.append(
        Result(
            f"StreamDecoder {MESSAGES_PER_CHUNK} msgs/chunk",
            rate(feed_chunk, ops_per_call=len(mix)),
            BASELINE,
            base,
            "msg/s",
        )
    )

    single = encode(typical_request())

    def feed_one() -> None:
        decoder.feed(single)

    results.append(Result("StreamDecoder 1 msg/chunk", rate(feed_one), BASELINE, base, "msg/s"))
    return results
