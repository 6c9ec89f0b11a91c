"""From a recorded conversation to a scenario that answers it back.

The rules, as ``scenarios/README.md`` states them:

* every request a client sent is scripted, except those replay's own broker
  answers: fakeflux's builtin services (``attr``, ``broker``, ``config``,
  ``event``, ``log``, ``state-machine``, ``service``, and any other it
  emulates), and services a client registered during the recording (their
  provider is taken to be part of the replayed command);
* a request's answers are the responses that came back on its connection
  with its matchtag: one, or for a streaming request all of them up to the
  first error (ENODATA ends a stream as usual); a request that got none is
  scripted ``no-response``;
* each becomes one handler, in the order the requests were sent, matching
  the request's exact topic, its nodeid and its whole payload (a JSON
  payload as a subset, so the handler still takes it if a key is added),
  with ``repeat: 1``; consecutive identical handlers merge into one with a
  higher count; the scenario expects each scripted topic to be requested as
  many times as it was.  A service gets handlers on rank 0 and on each rank a
  request named by nodeid;
* an event clients received that no client published is re-published
  after the last request sent before it was (``after`` that request's topic
  and its count), or at its time when it came before any request;
* with ``timing``, a response that took 10 ms or more gets that ``delay``.
"""

from __future__ import annotations

import datetime
import errno
import json
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

import yaml

from fakeflux.scenarios.match import decode_payload
from fakeflux.scenarios.relay import C2S, S2C
from fakeflux.scenarios.schema import BUILTIN_SERVICES
from fakeflux.wire import Message, payload_json
from fakeflux.wire import constants as C

_INTERCEPTED = {"event.subscribe", "event.unsubscribe", "service.add", "service.remove"}
MIN_DELAY = 0.01


@dataclass
class Recorded:
    conn: int
    direction: str
    time: float
    msg: Message


class Recorder:
    """Collects what a :class:`~fakeflux.scenarios.relay.Relay` saw (``on_message``)."""

    def __init__(self) -> None:
        self.records: List[Recorded] = []
        self._lock = threading.Lock()

    def on_message(self, conn: int, direction: str, when: float, msg: Message) -> None:
        with self._lock:
            self.records.append(Recorded(conn, direction, when, msg))

    def snapshot(self) -> List[Recorded]:
        with self._lock:
            return list(self.records)


def _payload_value(raw: Optional[bytes]) -> Any:
    """A payload as the scenario writes it (see ``to_payload`` for the way back):
    JSON objects and arrays as data, other text as a string, other bytes as bytes."""
    if raw is None:
        return None
    value = decode_payload(raw)
    if isinstance(value, bytes) or not raw.endswith(b"\x00"):
        return bytes(raw)
    if isinstance(value, (dict, list)):
        return value
    return raw[:-1].decode("utf-8")


def _error_entry(msg: Message) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"errno": errno.errorcode.get(msg.errnum, msg.errnum)}
    if msg.payload is not None:
        try:
            entry["text"] = msg.payload.rstrip(b"\x00").decode("utf-8")
        except UnicodeDecodeError:
            pass
    return entry


def _nodeid(n: int, flags: int) -> Any:
    if flags & C.FLAG_UPSTREAM:
        return "upstream"
    return "any" if n == C.NODEID_ANY else n


def _service_of(topic: str) -> str:
    return topic.split(".", 1)[0]


def registered_services(records: List[Recorded]) -> Set[str]:
    """Services clients registered (service.add answered without error)."""
    asked: Dict[Tuple[int, int], str] = {}
    names: Set[str] = set()
    for r in records:
        m = r.msg
        if r.direction == C2S and m.type == C.MSGTYPE_REQUEST and m.topic == "service.add":
            try:
                name = payload_json(m.payload).get("service")
            except Exception:
                continue
            if isinstance(name, str):
                asked[(r.conn, m.matchtag)] = name
        elif r.direction == S2C and m.type == C.MSGTYPE_RESPONSE and m.topic == "service.add" and m.errnum == 0:
            name = asked.get((r.conn, m.matchtag))
            if name:
                names.add(name)
    return names


def to_scenario(
    records: List[Recorded],
    *,
    upstream: str = "",
    size: int = 1,
    attributes: Optional[Dict[str, str]] = None,
    timing: bool = False,
) -> Dict[str, Any]:
    """The scenario (plain data, format version 1) that replays ``records``."""
    live = set(BUILTIN_SERVICES) | registered_services(records)
    handlers: Dict[str, List[Dict[str, Any]]] = {}
    ranks: Dict[str, Set[int]] = {}
    events: List[Dict[str, Any]] = []
    requests_seen: Dict[str, int] = {}
    scripted: Dict[str, int] = {}  # scripted request topics, with how many were sent
    last_request: Optional[Tuple[str, int]] = None
    published: Dict[str, int] = {}  # topics clients published, with how many times
    event_seqs: Set[int] = set()
    start = records[0].time if records else 0.0

    # Answers by (connection, matchtag), in order.
    answers: Dict[Tuple[int, int], List[Recorded]] = {}
    for r in records:
        if r.direction == S2C and r.msg.type == C.MSGTYPE_RESPONSE and r.msg.matchtag:
            answers.setdefault((r.conn, r.msg.matchtag), []).append(r)

    for r in records:
        m = r.msg
        topic = m.topic or ""
        if r.direction == C2S and m.type == C.MSGTYPE_EVENT:
            published[topic] = published.get(topic, 0) + 1
            continue
        if r.direction == S2C and m.type == C.MSGTYPE_EVENT:
            if m.seq in event_seqs:
                continue  # the same event, to another subscriber
            event_seqs.add(m.seq)
            if published.get(topic):
                published[topic] -= 1
                continue  # a client published it: it will again
            entry: Dict[str, Any] = {"topic": topic}
            if m.payload is not None:
                entry["payload"] = _payload_value(m.payload)
            if m.flags & C.FLAG_PRIVATE:
                entry["private"] = True
            if last_request is not None:
                entry["after"] = {"type": "request", "direction": "to-broker", "topic": last_request[0]}
                if last_request[1] > 1:
                    entry["after"]["count"] = last_request[1]
            else:
                entry["at"] = round(r.time - start, 3)
            events.append(entry)
            continue
        if r.direction != C2S or m.type != C.MSGTYPE_REQUEST:
            continue
        requests_seen[topic] = requests_seen.get(topic, 0) + 1
        last_request = (topic, requests_seen[topic])
        if topic == "event.publish":
            try:
                t = payload_json(m.payload).get("topic")
                if isinstance(t, str):
                    published[t] = published.get(t, 0) + 1
            except Exception:
                pass
        service = _service_of(topic)
        if topic in _INTERCEPTED or service in live or "." not in topic:
            continue
        match: Dict[str, Any] = {"topic": topic}
        nodeid = _nodeid(m.nodeid, m.flags)
        if nodeid != "any":
            match["nodeid"] = nodeid
        if isinstance(nodeid, int):
            ranks.setdefault(service, set()).add(nodeid)
        if m.payload is not None:
            match["payload"] = _payload_value(m.payload)
        scripted[topic] = scripted.get(topic, 0) + 1
        rule: Dict[str, Any] = {"match": match}
        got = answers.get((r.conn, m.matchtag), []) if m.matchtag and not m.flags & C.FLAG_NORESPONSE else []
        got = [g for g in got if g.time >= r.time]
        streaming = bool(m.flags & C.FLAG_STREAMING)
        if not got:
            rule["no-response"] = True
        elif not streaming:
            first = got[0].msg
            if first.errnum:
                rule["error"] = _error_entry(first)
            else:
                rule["respond"] = _payload_value(first.payload)
            answers[(r.conn, m.matchtag)] = got[1:]  # a later request may reuse the matchtag
        else:
            items: List[Any] = []
            end: Any = "none"
            used = 0
            for g in got:
                used += 1
                if g.msg.errnum:
                    end = _error_entry(g.msg)
                    break
                items.append(_payload_value(g.msg.payload))
            answers[(r.conn, m.matchtag)] = got[used:]
            if end == {"errno": "ENODATA"}:
                rule["stream"] = items
            else:
                rule["stream"] = {"responses": items, "end": end}
        if timing and got:
            delay = round(got[0].time - r.time, 3)
            if delay >= MIN_DELAY:
                rule["delay"] = delay
        _append_rule(handlers.setdefault(service, []), rule)
    services: Dict[str, Any] = {}
    for name, rules in handlers.items():
        extra = sorted(ranks.get(name, set()) - {0})
        services[name] = {"ranks": [0, *extra], "handlers": rules} if extra else rules
    data: Dict[str, Any] = {"version": 1, "name": "recorded conversation"}
    instance: Dict[str, Any] = {"size": size}
    if attributes:
        instance["attributes"] = dict(attributes)
    data["instance"] = instance
    if services:
        data["services"] = services
    if events:
        data["events"] = events
    if scripted:
        # Replayed, the command must send the scripted requests as often as it did.
        data["expect"] = [
            {"seen": {"type": "request", "direction": "to-broker", "topic": topic}, "count": n}
            for topic, n in scripted.items()
        ]
    return data


def _append_rule(rules: List[Dict[str, Any]], rule: Dict[str, Any]) -> None:
    rule["repeat"] = 1
    if rules:
        last = rules[-1]
        if {k: v for k, v in last.items() if k != "repeat"} == {k: v for k, v in rule.items() if k != "repeat"}:
            last["repeat"] += 1
            return
    rules.append(rule)


def probe_upstream(uri: str, timeout: float = 5.0) -> Tuple[int, Dict[str, str]]:
    """The upstream instance's size and tree shape (``attr.get``), for the
    scenario's ``instance``; (1, {}) when it does not say."""
    import socket

    from fakeflux.scenarios.relay import socket_path_of
    from fakeflux.wire import StreamDecoder, encode, json_payload, payload_string

    size: int = 1
    attrs: Dict[str, str] = {}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path_of(uri))
        if sock.recv(1) != b"\x00":
            return size, attrs
        decoder = StreamDecoder()
        for tag, name in enumerate(("size", "tbon.topo"), start=1):
            sock.sendall(encode(Message.request("attr.get", json_payload({"name": name}), matchtag=tag)))
            answer: Optional[Message] = None
            while answer is None:
                data = sock.recv(65536)
                if not data:
                    return size, attrs
                answer = next((m for m in decoder.feed(data) if m.matchtag == tag), None)
            if answer.errnum:
                continue
            value = json.loads(payload_string(answer.payload) or "{}").get("value")
            if name == "size" and isinstance(value, str) and value.isdigit():
                size = int(value)
            elif isinstance(value, str) and value:
                attrs[name] = value
    return size, attrs


# -- writing -------------------------------------------------------------------------------------
def header(upstream: str, command: List[str]) -> str:
    when = datetime.datetime.now().astimezone().replace(microsecond=0).isoformat()
    cmd = " ".join(command) if command else "(served until signalled)"
    return (
        f"# Recorded by `fakeflux record` from {upstream} on {when}.\n"
        f"# Command: {cmd}\n"
        "# Replay: fakeflux replay THIS_FILE -- COMMAND   (format: scenarios/README.md)\n"
    )


def dump_yaml(data: Dict[str, Any], comment: str = "") -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return comment + text


def dump_msgpack(data: Dict[str, Any]) -> bytes:
    import msgpack  # type: ignore[import-untyped]

    return bytes(msgpack.packb(data, use_bin_type=True))


def write(path: str, data: Dict[str, Any], comment: str = "") -> None:
    """Write ``data`` as YAML, or as msgpack when ``path`` ends in .msgpack or .mpk."""
    from fakeflux.scenarios.tree import MSGPACK_SUFFIXES

    if path.endswith(MSGPACK_SUFFIXES):
        with open(path, "wb") as f:
            f.write(dump_msgpack(data))
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump_yaml(data, comment))
