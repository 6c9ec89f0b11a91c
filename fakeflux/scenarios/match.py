"""Matching messages against scenario patterns, and saying how a near one differs."""

from __future__ import annotations

import errno as errno_module
import json
from typing import Any, List, NamedTuple, Optional

from fakeflux.broker.trace import TraceRecord
from fakeflux.scenarios.model import MISSING, MessagePattern
from fakeflux.wire import Message
from fakeflux.wire import constants as C


class Seen(NamedTuple):
    """One message between a client and the instance, numbered from 1."""

    number: int
    record: TraceRecord

    def format(self, start: float) -> str:
        return f"message #{self.number}: {self.record.format(start).strip()}"


def decode_payload(raw: Optional[bytes]) -> Any:
    """A payload as a pattern sees it: JSON decoded, else text, else bytes; None for none."""
    if raw is None:
        return None
    body = raw[:-1] if raw.endswith(b"\x00") else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    try:
        return json.loads(text)
    except ValueError:
        return text


def payload_text(raw: Optional[bytes]) -> Optional[str]:
    if raw is None:
        return None
    body = raw[:-1] if raw.endswith(b"\x00") else raw
    return body.decode("utf-8", "replace")


def errno_name(n: int) -> str:
    name = errno_module.errorcode.get(n)
    return f"{n} ({name})" if name else str(n)


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(want, bool) and isinstance(got, bool) and want == got
    return bool(want == got)


def subset_diff(want: Any, got: Any, path: str = "payload") -> Optional[str]:
    """None when ``got`` holds everything ``want`` says (mappings: a subset,
    lists: element by element, anything else: equal); else what differs."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{path} is {_show(got)}, not a mapping"
        for key, value in want.items():
            if key not in got:
                return f"{path}.{key} is missing"
            diff = subset_diff(value, got[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path} is {_show(got)}, not {_show(want)}"
        for i, (w, g) in enumerate(zip(want, got)):
            diff = subset_diff(w, g, f"{path}[{i}]")
            if diff:
                return diff
        return None
    if _same(want, got):
        return None
    return f"{path} is {_show(got)}, not {_show(want)}"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return f"binary data ({len(value)} bytes)"
    text = json.dumps(value) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def payload_diff(want: Any, raw: Optional[bytes]) -> Optional[str]:
    if want is MISSING:
        return None
    if isinstance(want, bytes):
        return None if raw == want else "the payload differs from the binary data given"
    got = decode_payload(raw)
    if want is None:
        return None if raw is None else f"payload is {_show(got)}, not none"
    if raw is None:
        return f"there is no payload, not {_show(want)}"
    if isinstance(want, str):
        text = payload_text(raw)
        return None if text == want or _same(want, got) else f"payload is {_show(text)}, not {_show(want)}"
    if isinstance(want, (int, float)) and not isinstance(got, (int, float)):
        text = payload_text(raw)
        return None if text == json.dumps(want) else f"payload is {_show(got)}, not {_show(want)}"
    return subset_diff(want, got)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _nodeid_text(n: int) -> str:
    if n == C.NODEID_ANY:
        return "any"
    if n == C.NODEID_UPSTREAM:
        return "upstream"
    return str(n)


def diff(p: MessagePattern, *, type: int, topic: Optional[str], rank: Optional[int], direction: Optional[str],
         flags: int, aux1: int, rolemask: int, payload: Optional[bytes]) -> List[str]:  # fmt: skip
    """Every way the message differs from the pattern (empty: it matches)."""
    import fnmatch

    out: List[str] = []
    if p.type is not None and p.type != type:
        got, want = C.MSGTYPE_NAMES.get(type, str(type)), C.MSGTYPE_NAMES.get(p.type, str(p.type))
        out.append(f"it is {_a(got)}, not {_a(want)}")
    if p.topic is not None and not fnmatch.fnmatchcase(topic or "", p.topic):
        out.append(f"topic is {topic}, not {p.topic}")
    if p.direction is not None and direction is not None and p.direction != direction:
        out.append("it goes " + ("to the broker" if direction == "rx" else "to a client"))
    if p.rank is not None and rank is not None and p.rank != rank:
        out.append(f"rank is {rank}, not {p.rank}")
    if p.nodeid is not None:
        if type != C.MSGTYPE_REQUEST:
            out.append("it has no nodeid (not a request)")
        elif p.nodeid == C.NODEID_UPSTREAM:
            if not flags & C.FLAG_UPSTREAM:
                out.append(f"nodeid is {_nodeid_text(aux1)}, not upstream")
        elif flags & C.FLAG_UPSTREAM or aux1 != p.nodeid:
            shown = "upstream" if flags & C.FLAG_UPSTREAM else _nodeid_text(aux1)
            out.append(f"nodeid is {shown}, not {_nodeid_text(p.nodeid)}")
    if p.errnum is not None:
        if type != C.MSGTYPE_RESPONSE:
            out.append("it has no errnum (not a response)")
        elif aux1 != p.errnum:
            out.append(f"errnum is {errno_name(aux1)}, not {errno_name(p.errnum)}")
    if p.role is not None:
        bit = C.ROLE_OWNER if p.role == "owner" else C.ROLE_USER
        if not rolemask & bit:
            out.append(f"the sender's role is not {p.role}")
    if p.payload is not MISSING:
        d = payload_diff(p.payload, payload)
        if d:
            out.append(d)
    return out


def diff_seen(p: MessagePattern, s: Seen) -> List[str]:
    r = s.record
    return diff(
        p, type=r.type, topic=r.topic, rank=r.rank, direction=r.direction, flags=r.flags, aux1=r.aux1,
        rolemask=r.rolemask, payload=r.payload,
    )  # fmt: skip


def diff_request(p: MessagePattern, msg: Message, rank: int) -> List[str]:
    return diff(
        p, type=msg.type, topic=msg.topic, rank=None, direction=None, flags=msg.flags, aux1=msg.aux1,
        rolemask=msg.rolemask, payload=msg.payload,
    )  # fmt: skip


def matches(p: MessagePattern, s: Seen) -> bool:
    return not diff_seen(p, s)


def nearest(p: MessagePattern, seen: List[Seen]) -> Optional[tuple]:
    """The message that misses ``p`` by the fewest fields, with how it differs:
    ``(seen, [differences])``; a message of another type or topic counts as far."""
    best: Optional[tuple] = None
    best_score = 1 << 30
    for s in seen:
        d = diff_seen(p, s)
        if not d:
            continue
        score = len(d) + sum(3 for x in d if x.startswith(("it is ", "topic is ")))
        if score < best_score:
            best, best_score = (s, d), score
    return best
