"""Numbers that appear on Flux's wire: message types, flags, special ids, roles.

Values are those of flux-core's ``message.h`` (RFC 3, RFC 12); see
``PROTOCOL.md`` sections 1.2, 1.5 and 1.6 of the shared reference.
"""

from __future__ import annotations

from typing import Dict

# Message types (PROTO byte 2).
MSGTYPE_REQUEST = 0x01
MSGTYPE_RESPONSE = 0x02
MSGTYPE_EVENT = 0x04
MSGTYPE_CONTROL = 0x08
MSGTYPE_ANY = 0x0F

MSGTYPE_NAMES: Dict[int, str] = {
    MSGTYPE_REQUEST: "request",
    MSGTYPE_RESPONSE: "response",
    MSGTYPE_EVENT: "event",
    MSGTYPE_CONTROL: "control",
}

# Flags (PROTO byte 3).
FLAG_TOPIC = 0x01
FLAG_PAYLOAD = 0x02
FLAG_NORESPONSE = 0x04
FLAG_ROUTE = 0x08
FLAG_UPSTREAM = 0x10
FLAG_PRIVATE = 0x20
FLAG_STREAMING = 0x40
FLAG_USER1 = 0x80

FLAG_NAMES: Dict[int, str] = {
    FLAG_TOPIC: "TOPIC",
    FLAG_PAYLOAD: "PAYLOAD",
    FLAG_NORESPONSE: "NORESPONSE",
    FLAG_ROUTE: "ROUTE",
    FLAG_UPSTREAM: "UPSTREAM",
    FLAG_PRIVATE: "PRIVATE",
    FLAG_STREAMING: "STREAMING",
    FLAG_USER1: "USER1",
}

# Flags whose value follows from which frames a message has.
FRAME_FLAGS = FLAG_TOPIC | FLAG_PAYLOAD | FLAG_ROUTE

# Special node ids and tags.
NODEID_ANY = 0xFFFFFFFF
NODEID_UPSTREAM = 0xFFFFFFFE  # never on the wire: becomes FLAG_UPSTREAM + own rank
MATCHTAG_NONE = 0
USERID_UNKNOWN = 0xFFFFFFFF

# Roles (RFC 12).
ROLE_NONE = 0
ROLE_OWNER = 1
ROLE_USER = 2
ROLE_LOCAL = 4
ROLE_ADMIN = 8
ROLE_ALL = 0xFFFFFFFF

# PROTO frame.
PROTO_MAGIC = 0x8E
PROTO_VERSION = 0x01
PROTO_SIZE = 20

# Stream envelope (librouter/sendfd.c): magic in host order (little-endian on
# every host flux runs on), then the body length big-endian.
ENVELOPE_MAGIC = 0xFFEE0012
ENVELOPE_SIZE = 8

# The largest message body fakeflux sends or takes: 2 GiB - 1.  Real Flux
# has no limit of its own but the envelope's u32 (4 GiB - 1), and its content
# store refuses blobs over 1 GiB (EFBIG), so every KVS value it can hold fits.
# A longer announced length is refused at once rather than waited for, so that
# one bogus header cannot make a broker buffer 4 GiB; fakeflux's encoder refuses
# to write such a message (EMSGSIZE), so a client sees why.
DEFAULT_MAX_MESSAGE_SIZE = 2**31 - 1


def flags_str(flags: int) -> str:
    """``TOPIC|PAYLOAD|ROUTE`` style rendering, as the shared captures use."""
    names = [name for bit, name in FLAG_NAMES.items() if flags & bit]
    return "|".join(names) if names else "0"
