"""Rows of ``tests/conformance/golden.json`` and wire-level checks shared by
the broker's conformance tests.

The golden rows were recorded with the real Python bindings against a real
``flux start --test-size=4``; the broker tests reproduce each one with a
:class:`RawClient` and assert the facts visible on the wire (errnum, error
text, payload, flags, credentials).  Each test names the row it reproduces
with :func:`golden`, which is also how ``test_golden_coverage`` knows that
every broker row has a test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from fakeflux.wire import Message, payload_string
from fakeflux.wire import constants as C

GOLDEN_FILE = Path(__file__).resolve().parent.parent / "conformance" / "golden.json"

_ROWS: List[Dict[str, Any]] = json.loads(GOLDEN_FILE.read_text())
_BY_CASE: Dict[str, Dict[str, Any]] = {row["case"]: row for row in _ROWS}

# Credentials the real broker put on its own responses: the owner (the
# golden instance ran as root, so its uid 0 is ours here) with OWNER|LOCAL
# when answered by the local broker, OWNER alone across the overlay.
OWNER = os.getuid()
LOCAL_ROLES = C.ROLE_OWNER | C.ROLE_LOCAL
REMOTE_ROLES = C.ROLE_OWNER


def all_cases() -> List[str]:
    return [row["case"] for row in _ROWS]


def golden(case: str) -> Dict[str, Any]:
    """The golden row named ``case`` (KeyError if the file has no such row)."""
    return _BY_CASE[case]


def golden_value(case: str) -> Any:
    row = golden(case)
    assert row["ok"], row
    return row["value"]


def golden_errno(case: str) -> int:
    """The errno of a row that recorded an exception."""
    row = golden(case)
    if not row["ok"]:
        return int(row["errno"])
    return int(row["value"]["errno"])  # rows that caught the exception themselves


def golden_future_text(case: str) -> Optional[str]:
    """The error text a *future* reported, i.e. the response's payload text,
    or None where Python fell back to strerror (no payload on the wire)."""
    row = golden(case)
    text = row["strerror"] if not row["ok"] else row["value"]["str"].split("] ", 1)[1]
    if text == os.strerror(golden_errno(case)):
        return None
    return str(text)


def assert_response(
    msg: Message,
    topic: str,
    *,
    errnum: int = 0,
    userid: int = OWNER,
    rolemask: int = LOCAL_ROLES,
    extra_flags: int = 0,
) -> None:
    """A response as the real broker hands it to a client: type 2, empty
    route stack with ROUTE set, the request's topic, the given credentials."""
    assert msg.type == C.MSGTYPE_RESPONSE, msg
    assert msg.topic == topic, msg
    assert msg.errnum == errnum, (msg.errnum, errnum, msg.payload)
    assert msg.routes == [], msg
    assert msg.userid == userid, msg
    assert msg.rolemask == rolemask, msg
    want = C.FLAG_TOPIC | C.FLAG_ROUTE | extra_flags
    if msg.payload is not None:
        want |= C.FLAG_PAYLOAD
    assert msg.flags == want, (C.flags_str(msg.flags), C.flags_str(want))


def assert_error(
    msg: Message,
    topic: str,
    errnum: int,
    text: Optional[str] = None,
    *,
    rolemask: int = LOCAL_ROLES,
    extra_flags: int = 0,
) -> None:
    """An error response: errnum, and the text as a NUL-terminated payload
    (no payload frame at all when ``text`` is None)."""
    assert_response(msg, topic, errnum=errnum, rolemask=rolemask, extra_flags=extra_flags)
    if text is None:
        assert msg.payload is None, msg.payload
    else:
        assert msg.payload == text.encode() + b"\x00", msg.payload


def assert_router_answer(msg: Message, topic: str, errnum: int = 0) -> None:
    """What connector-local answers itself (event.subscribe/unsubscribe,
    service.add/remove): userid UNKNOWN, rolemask OWNER, no payload."""
    assert_response(msg, topic, errnum=errnum, userid=C.USERID_UNKNOWN, rolemask=C.ROLE_OWNER)
    assert msg.payload is None


def response_json(msg: Message) -> Any:
    text = payload_string(msg.payload)
    assert text is not None, msg
    return json.loads(text)
