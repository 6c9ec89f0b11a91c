"""Flux's wire protocol as pure functions on bytes: no sockets, no event loop.

The message model (:class:`Message`), body and envelope encoding
(:func:`encode`, :func:`decode`, :func:`encode_body`, :func:`decode_body`),
an incremental :class:`StreamDecoder`, payload helpers and the single
:class:`ProtocolError`.
"""

from fakeflux.wire import constants
from fakeflux.wire.codec import decode, decode_body, encode, encode_body, envelope, split_frames
from fakeflux.wire.errors import ProtocolError
from fakeflux.wire.message import Message
from fakeflux.wire.payload import json_payload, payload_json, payload_string, string_payload
from fakeflux.wire.stream import StreamDecoder

__all__ = [
    "Message",
    "ProtocolError",
    "StreamDecoder",
    "constants",
    "decode",
    "decode_body",
    "encode",
    "encode_body",
    "envelope",
    "json_payload",
    "payload_json",
    "payload_string",
    "split_frames",
    "string_payload",
]
