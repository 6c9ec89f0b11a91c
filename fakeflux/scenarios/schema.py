"""Check a scenario tree against format version 1 and build the model.

Every error names the file, the line and the key path, and says what was
expected there: ``scenarios/x.yaml:12: services.kvs[0].error.errno: expected
an errno name such as ENOENT or a positive number, got 'ENOENTT'``.
"""

from __future__ import annotations

import difflib
import errno as errno_module
import json
import math
import os
from typing import Any, List, Optional, Sequence, Tuple, Union

from fakeflux.broker.attrs import check_settable_at_start
from fakeflux.broker.modules import EXTRA_MODULES
from fakeflux.scenarios.model import (
    DIRECTIONS,
    TYPE_NAMES,
    Access,
    Action,
    EventSpec,
    Expectation,
    FaultSpec,
    InstanceSpec,
    JobOutcome,
    MessagePattern,
    Rule,
    Scenario,
    ServiceSpec,
    Trigger,
    Where,
)
from fakeflux.scenarios.tree import MapNode, Node, SeqNode, read_document
from fakeflux.wire import constants as C

VERSIONS = (1,)

# Services fakeflux answers itself: a scenario cannot script them.
BUILTIN_SERVICES = {"attr", "broker", "config", "event", "log", "state-machine", "service"} | {
    str(getattr(cls, "name", "")) for cls, _ in EXTRA_MODULES
}

# A uid that stands for "someone else": the scenario's clients connect as guests.
OTHER_OWNER_BASE = 60000


def where(node: Node) -> Where:
    return Where(node.source, node.line, node.path)


# -- generic checks -------------------------------------------------------------------------------
def mapping(node: Node, allowed: Sequence[str], required: Sequence[str] = (), what: str = "a mapping") -> MapNode:
    if not isinstance(node, MapNode):
        raise node.error(f"expected {what} with keys {', '.join(allowed)}; got {node.describe()}")
    for key, value in node.items:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise value.error(f"unknown key '{key}'{hint}: expected one of {', '.join(allowed)}")
    for key in required:
        if node.get(key) is None:
            raise node.error(f"missing key '{key}' (expected {what} with keys {', '.join(allowed)})")
    return node


def sequence(node: Node, what: str) -> SeqNode:
    if not isinstance(node, SeqNode):
        raise node.error(f"expected a list of {what}, got {node.describe()}")
    return node


def string(node: Node, what: str = "a string") -> str:
    if not isinstance(node.value, str) or isinstance(node, (MapNode, SeqNode)):
        raise node.error(f"expected {what}, got {node.describe()}")
    return node.value


def boolean(node: Node) -> bool:
    if not isinstance(node.value, bool):
        raise node.error(f"expected true or false, got {node.describe()}")
    return node.value


def integer(node: Node, minimum: Optional[int] = None, what: str = "an integer") -> int:
    v = node.value
    if not isinstance(v, int) or isinstance(v, bool) or isinstance(node, (MapNode, SeqNode)):
        raise node.error(f"expected {what}, got {node.describe()}")
    if minimum is not None and v < minimum:
        bound = "" if "(" in what else f" of at least {minimum}"
        raise node.error(f"expected {what}{bound}, got {v}")
    return v


def seconds(node: Node, what: str = "a number of seconds") -> float:
    v = node.value
    if not isinstance(v, (int, float)) or isinstance(v, bool) or isinstance(node, (MapNode, SeqNode)):
        raise node.error(f"expected {what} (0 or more), got {node.describe()}")
    if v < 0 or not math.isfinite(v):
        raise node.error(f"expected {what} (0 or more), got {v}")
    return float(v)


def errnum(node: Node) -> int:
    v = node.value
    what = "an errno name such as ENOENT or a positive number"
    if isinstance(v, int) and not isinstance(v, bool) and not isinstance(node, (MapNode, SeqNode)):
        if v <= 0:
            raise node.error(f"expected {what}, got {v}")
        return v
    if isinstance(v, str) and not isinstance(node, (MapNode, SeqNode)):
        value = getattr(errno_module, v, None) if v.startswith("E") else None
        if isinstance(value, int):
            return value
        close = difflib.get_close_matches(v, [n for n in dir(errno_module) if n.startswith("E")], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise node.error(f"expected {what}, got {v!r}{hint}")
    raise node.error(f"expected {what}, got {node.describe()}")


def errnum_or_zero(node: Node) -> int:
    if node.value == 0 and not isinstance(node.value, bool):
        return 0
    return errnum(node)


def nodeid(node: Node) -> int:
    if node.value == "any":
        return C.NODEID_ANY
    if node.value == "upstream":
        return C.NODEID_UPSTREAM
    return integer(node, 0, "a rank number, 'any' or 'upstream'")


def repeat(node: Node) -> Optional[int]:
    if node.value == "always":
        return None
    return integer(node, 1, "a repeat count (1 or more) or 'always'")


def topic(node: Node, what: str = "a topic glob such as kvs.* ") -> str:
    text = string(node, what.strip())
    if not text or any(ch.isspace() for ch in text):
        raise node.error(f"expected {what.strip()} (no spaces), got {text!r}")
    return text


def payload(node: Node) -> Any:
    """A payload: a mapping or list (JSON), a string (a string payload),
    a number or boolean (its JSON text), binary data (raw bytes), or null (none)."""
    value = node.plain()
    _check_json(node, value, top=True)
    return value


def _check_json(node: Node, value: Any, top: bool) -> None:
    if isinstance(value, bytes):
        if top:
            return
        raise node.error("binary data is only allowed as a whole payload, not inside JSON")
    if isinstance(value, float) and not math.isfinite(value):
        raise node.error(f"expected JSON data, got the number {value}")
    if isinstance(value, dict):
        for k, v in value.items():
            child = node.get(k) if isinstance(node, MapNode) else None
            _check_json(child or node, v, False)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            child = node.value[i] if isinstance(node, SeqNode) else node
            _check_json(child, v, False)


def describe(node: Node) -> str:
    """A short text of what was written, for reports."""
    try:
        return json.dumps(node.plain(), separators=(", ", ": "), default=lambda o: "<binary>")
    except (TypeError, ValueError):
        return node.describe()


# -- the parts of a scenario --------------------------------------------------------------------------
PATTERN_KEYS = ("type", "topic", "rank", "nodeid", "errnum", "direction", "role", "payload")


def pattern(node: Node, allowed: Sequence[str] = PATTERN_KEYS, extra: Sequence[str] = ()) -> MessagePattern:
    m = mapping(node, list(allowed) + list(extra), what="a message pattern")
    p = MessagePattern(where=where(node), text=describe(_without(m, extra)))
    for key, value in m.items:
        if key == "type":
            name = string(value, "request, response or event")
            if name not in TYPE_NAMES:
                raise value.error(f"expected request, response or event, got {name!r}")
            p.type = TYPE_NAMES[name]
        elif key == "topic":
            p.topic = topic(value)
        elif key == "rank":
            p.rank = integer(value, 0, "a rank number")
        elif key == "nodeid":
            p.nodeid = nodeid(value)
        elif key == "errnum":
            p.errnum = errnum_or_zero(value)
        elif key == "direction":
            d = string(value, "to-broker or to-client")
            if d not in DIRECTIONS:
                raise value.error(f"expected to-broker or to-client, got {d!r}")
            p.direction = DIRECTIONS[d]
        elif key == "role":
            r = string(value, "owner or user")
            if r not in ("owner", "user"):
                raise value.error(f"expected owner or user, got {r!r}")
            p.role = r
        elif key == "payload":
            p.payload = payload(value)
    return p


def _without(m: MapNode, keys: Sequence[str]) -> MapNode:
    return MapNode([(k, v) for k, v in m.items if k not in keys], m.line, m.path, m.source)


def _instance(node: Node) -> InstanceSpec:
    m = mapping(node, ("size", "attributes", "config", "access"))
    spec = InstanceSpec()
    if (n := m.get("size")) is not None:
        spec.size = integer(n, 1, "a number of ranks")
    if (n := m.get("attributes")) is not None:
        attrs = mapping(n, [k for k, _ in n.items] if isinstance(n, MapNode) else [], what="a mapping of attributes")
        for name, value in attrs.items:
            if isinstance(value.value, bool) or isinstance(value, (MapNode, SeqNode)) or value.value is None:
                raise value.error(f"expected the attribute's value as a string or number, got {value.describe()}")
            try:
                check_settable_at_start(name)
            except ValueError as exc:
                raise value.error(f"attribute cannot be set: {exc}") from None
            spec.attributes[name] = str(value.value)
    if (n := m.get("config")) is not None:
        if not isinstance(n, MapNode):
            raise n.error(f"expected the configuration as a mapping of tables, got {n.describe()}")
        config = payload(n)
        assert isinstance(config, dict)
        spec.config = config
    if (n := m.get("access")) is not None:
        a = mapping(n, ("owner", "allow-guest-user", "allow-root-owner"))
        access = Access()
        if (v := a.get("owner")) is not None:
            if v.value == "self":
                access.owner = None
            elif v.value == "other":
                access.owner = other_uid()
            else:
                access.owner = integer(v, 0, "self, other or a uid")
        if (v := a.get("allow-guest-user")) is not None:
            access.allow_guest_user = boolean(v)
        if (v := a.get("allow-root-owner")) is not None:
            access.allow_root_owner = boolean(v)
        spec.access = access
    return spec


def other_uid() -> int:
    """A uid that is not the current user's: the instance's owner when
    ``owner: other``, so that every client of the scenario is a guest."""
    uid = OTHER_OWNER_BASE
    while uid == os.getuid():
        uid += 1
    return uid


RULE_ACTIONS = ("respond", "error", "stream", "no-response")
RULE_KEYS = ("match", *RULE_ACTIONS, "delay", "repeat", "note")
MATCH_KEYS = ("topic", "nodeid", "payload", "role")


def _error_action(node: Node) -> Action:
    if not isinstance(node, MapNode):
        return Action("error", errnum=errnum(node))
    m = mapping(node, ("errno", "text"), required=("errno",))
    text_node = m.get("text")
    return Action("error", errnum=errnum(m.need("errno")), text=None if text_node is None else string(text_node))


def _stream_end(node: Node) -> Optional[Tuple[int, Optional[str]]]:
    if node.value == "none":
        return None
    action = _error_action(node)
    return (action.errnum, action.text)


def _stream_action(node: Node) -> Action:
    if isinstance(node, SeqNode):
        return Action("stream", items=[payload(item) for item in node], end=(errno_module.ENODATA, None))
    m = mapping(node, ("responses", "end", "interval"), required=("responses",), what="a list, or a mapping")
    items = [payload(item) for item in sequence(m.need("responses"), "payloads")]
    end: Optional[Tuple[int, Optional[str]]] = (errno_module.ENODATA, None)
    if (n := m.get("end")) is not None:
        end = _stream_end(n)
    interval = seconds(n) if (n := m.get("interval")) is not None else 0.0
    return Action("stream", items=items, end=end, interval=interval)


def _rule(node: Node, service: str) -> Rule:
    m = mapping(node, RULE_KEYS, what="a handler")
    actions = [k for k in m.keys() if k in RULE_ACTIONS]
    if not actions:
        raise node.error(f"expected an action in the handler: one of {', '.join(RULE_ACTIONS)}; got none")
    if len(actions) > 1:
        raise m.need(actions[1]).error(
            f"expected one action per handler, but this one also has '{actions[0]}' (one of {', '.join(RULE_ACTIONS)})"
        )
    kind = actions[0]
    value = m.get(kind)
    assert value is not None
    if kind == "respond":
        action = Action("respond", payload=payload(value))
    elif kind == "error":
        action = _error_action(value)
    elif kind == "stream":
        action = _stream_action(value)
    else:
        if value.value is not True:
            raise value.error(f"expected true (no-response: true), got {value.describe()}")
        action = Action("none")
    if (n := m.get("match")) is not None:
        match = pattern(n, MATCH_KEYS)
        own = match.topic is None or match.topic.startswith(service + ".") or match.topic in ("*", service + "*")
        if not own and isinstance(n, MapNode):
            raise n.need("topic").error(
                f"expected a topic of service {service} ({service}.METHOD or a glob of it), got {match.topic!r}"
            )
    else:
        match = MessagePattern(where=where(node), text="{}")
    match.type = C.MSGTYPE_REQUEST
    if (n := m.get("note")) is not None:
        string(n)
    return Rule(
        where=where(node),
        match=match,
        action=action,
        delay=seconds(n) if (n := m.get("delay")) is not None else 0.0,
        repeat=repeat(n) if (n := m.get("repeat")) is not None else None,
    )


def _ranks(node: Node, size: int) -> Union[str, List[int]]:
    if node.value == "all":
        return "all"
    values = [node] if not isinstance(node, SeqNode) else list(node)
    ranks = []
    for v in values:
        r = integer(v, 0, "a rank number, a list of them, or 'all'")
        if r >= size:
            raise v.error(f"expected a rank below the instance size {size}, got {r}")
        ranks.append(r)
    return ranks


def _services(node: Node, size: int) -> List[ServiceSpec]:
    if not isinstance(node, MapNode):
        raise node.error(f"expected a mapping of service names to lists of handlers, got {node.describe()}")
    services = []
    for name, value in node.items:
        if not name or "." in name or any(ch.isspace() for ch in name):
            raise value.error(f"expected a service name (no dots or spaces), got {name!r}")
        if name in BUILTIN_SERVICES:
            raise value.error(f"fakeflux emulates the service {name!r} itself: a scenario cannot script it")
        ranks: Union[str, List[int]] = [0]
        handlers: Node = value
        if isinstance(value, MapNode):
            m = mapping(value, ("ranks", "handlers"), required=("handlers",), what="a list of handlers, or a mapping")
            if (n := m.get("ranks")) is not None:
                ranks = _ranks(n, size)
            handlers = m.need("handlers")
        rules = [_rule(h, name) for h in sequence(handlers, "handlers (each a mapping with an action)")]
        services.append(ServiceSpec(name, where(value), ranks, rules))
    return services


TRIGGER_KEYS = ("at", "after", "wait")


def _trigger(m: MapNode) -> Trigger:
    trig = Trigger()
    at, after = m.get("at"), m.get("after")
    if at is not None and after is not None:
        raise after.error("expected either 'at' or 'after', not both")
    if at is not None:
        trig.at = seconds(at)
    if after is not None:
        if isinstance(after, MapNode) and after.get("message") is not None:
            a = mapping(after, ("message",))
            trig.after = MessagePattern(where=where(after), text="any message")
            trig.count = integer(a.need("message"), 1, "a message number (1 is the first)")
            trig.after.text = f"message #{trig.count}"
        else:
            trig.after = pattern(after, extra=("count",))
            if isinstance(after, MapNode) and (n := after.get("count")) is not None:
                trig.count = integer(n, 1, "a count (1 or more)")
    if (n := m.get("wait")) is not None:
        trig.delay = seconds(n)
    return trig


def _events(node: Node) -> List[EventSpec]:
    events = []
    for item in sequence(node, "events"):
        m = mapping(item, ("topic", "payload", "private", *TRIGGER_KEYS), required=("topic",), what="an event")
        events.append(
            EventSpec(
                where=where(item),
                topic=topic(m.need("topic"), "an event topic"),
                payload=payload(n) if (n := m.get("payload")) is not None else None,
                private=boolean(n) if (n := m.get("private")) is not None else False,
                trigger=_trigger(m),
            )
        )
    return events


FAULT_KINDS = ("rank-down", "rank-up", "drop", "delay", "error")


def _faults(node: Node, size: int) -> List[FaultSpec]:
    faults = []
    for item in sequence(node, "faults"):
        if not isinstance(item, MapNode):
            raise item.error(
                f"expected a fault (a mapping with one of {', '.join(FAULT_KINDS)}), got {item.describe()}"
            )
        m = mapping(item, (*FAULT_KINDS, *TRIGGER_KEYS), what="a fault")
        kinds = [k for k in m.keys() if k in FAULT_KINDS]
        if len(kinds) != 1:
            what = "none" if not kinds else " and ".join(kinds)
            raise item.error(f"expected exactly one of {', '.join(FAULT_KINDS)} in a fault, got {what}")
        kind = kinds[0]
        value = m.get(kind)
        assert value is not None
        fault = FaultSpec(where=where(item), kind=kind, trigger=_trigger(m))
        if kind in ("rank-down", "rank-up"):
            fault.rank = integer(value, 1, "a rank number (1 or more: rank 0 is the instance itself)")
            if fault.rank >= size:
                raise value.error(f"expected a rank below the instance size {size}, got {fault.rank}")
        else:
            keys = {"drop": ("topic", "rank", "count"), "delay": ("topic", "rank", "count", "seconds")}.get(
                kind, ("topic", "rank", "count", "errno", "text")
            )
            needed = {"delay": ("topic", "seconds"), "error": ("topic", "errno")}.get(kind, ("topic",))
            f = mapping(value, keys, required=needed, what=f"a {kind} fault")
            fault.topic = topic(f.need("topic"))
            if (n := f.get("rank")) is not None:
                fault.rank = integer(n, 0, "a rank number")
            if (n := f.get("count")) is not None:
                fault.count = repeat(n)
            if (n := f.get("seconds")) is not None:
                fault.seconds = seconds(n)
            if (n := f.get("errno")) is not None:
                fault.errnum = errnum(n)
            if (n := f.get("text")) is not None:
                fault.text = string(n)
        faults.append(fault)
    return faults


EXPECT_KINDS = ("seen", "not-seen", "in-order")


def _expect(node: Node) -> List[Expectation]:
    out = []
    for item in sequence(node, "expectations"):
        if not isinstance(item, MapNode):
            raise item.error(
                f"expected an expectation (a mapping with one of {', '.join(EXPECT_KINDS)}), got {item.describe()}"
            )
        m = mapping(item, (*EXPECT_KINDS, "count", "at-least", "at-most"), what="an expectation")
        kinds = [k for k in m.keys() if k in EXPECT_KINDS]
        if len(kinds) != 1:
            what = "none" if not kinds else " and ".join(kinds)
            raise item.error(f"expected exactly one of {', '.join(EXPECT_KINDS)} in an expectation, got {what}")
        kind = kinds[0]
        value = m.get(kind)
        assert value is not None
        if kind == "in-order":
            steps = sequence(value, "message patterns")
            if len(steps) < 1:
                raise value.error("expected at least one message pattern")
            exp = Expectation(where(item), kind, [pattern(s) for s in steps])
        else:
            exp = Expectation(where(item), kind, [pattern(value)])
        counts = [k for k in ("count", "at-least", "at-most") if m.get(k) is not None]
        if counts and kind != "seen":
            raise m.need(counts[0]).error(f"'{counts[0]}' goes with 'seen', not with '{kind}'")
        if (n := m.get("count")) is not None:
            if m.get("at-least") is not None or m.get("at-most") is not None:
                raise n.error("expected either 'count' or 'at-least'/'at-most', not both")
            exp.exactly = integer(n, 0, "a count")
        if (n := m.get("at-least")) is not None:
            exp.at_least = integer(n, 0, "a count")
        if (n := m.get("at-most")) is not None:
            exp.at_most = integer(n, 0, "a count")
        if exp.at_least is not None and exp.at_most is not None and exp.at_least > exp.at_most:
            raise item.error(f"expected at-least ({exp.at_least}) not above at-most ({exp.at_most})")
        out.append(exp)
    return out


JOB_KEYS = ("match", "exit-code", "exception", "output", "stderr", "runtime", "delays", "count")
JOB_STATES = ("depend", "sched", "init", "run", "cleanup")
DELAY_STATES = ("depend", "priority", "sched", "cleanup")


def _lines(node: Node, what: str) -> List[str]:
    return [string(item, "a line of text") for item in sequence(node, what)]


def _jobs(node: Node) -> List[JobOutcome]:
    out = []
    for item in sequence(node, "job outcomes"):
        m = mapping(item, JOB_KEYS, what="a job outcome")
        job = JobOutcome(where=where(item))
        if (n := m.get("match")) is not None:
            job.match = string(n, "a glob on job names such as sim*")
        if (n := m.get("exit-code")) is not None:
            job.exit_code = integer(n, 0, "an exit code")
            if job.exit_code > 255:
                raise n.error(f"expected an exit code from 0 to 255, got {job.exit_code}")
        if (n := m.get("exception")) is not None:
            e = mapping(n, ("type", "note", "at"), required=("type",), what="a job exception")
            note = e.get("note")
            job.exception = (string(e.need("type")), string(note) if note is not None else "")
            if (at := e.get("at")) is not None:
                job.exception_at = string(at)
                if job.exception_at not in JOB_STATES:
                    raise at.error(f"expected one of {', '.join(JOB_STATES)}, got {job.exception_at!r}")
        if (n := m.get("output")) is not None:
            job.output = _lines(n, "output lines")
        if (n := m.get("stderr")) is not None:
            job.stderr = _lines(n, "stderr lines")
        if (n := m.get("runtime")) is not None:
            job.runtime = seconds(n)
        if (n := m.get("delays")) is not None:
            d = mapping(n, DELAY_STATES, what="delays per job state")
            job.delays = {state: seconds(d.need(state)) for state in DELAY_STATES if d.get(state) is not None}
        if (n := m.get("count")) is not None:
            job.count = integer(n, 1, "a number of jobs")
        out.append(job)
    return out


TOP_KEYS = ("version", "name", "description", "instance", "services", "events", "faults", "expect", "jobs")


def build(root: Node) -> Scenario:
    if not isinstance(root, MapNode):
        raise root.error(f"expected a scenario: a mapping with 'version: 1', got {root.describe()}")
    m = mapping(root, TOP_KEYS, what="a scenario")
    v = m.get("version")
    if v is None:
        raise root.error("missing key 'version' (expected 'version: 1' first)")
    version = integer(v, what="a format version")
    if version not in VERSIONS:
        raise v.error(f"expected a format version fakeflux reads ({', '.join(map(str, VERSIONS))}), got {version}")
    scenario = Scenario(source=root.source, version=version)
    if (n := m.get("name")) is not None:
        scenario.name = string(n)
    if (n := m.get("description")) is not None:
        scenario.description = string(n)
    if (n := m.get("instance")) is not None:
        scenario.instance = _instance(n)
    size = scenario.instance.size
    if (n := m.get("services")) is not None:
        scenario.services = _services(n, size)
    if (n := m.get("events")) is not None:
        scenario.events = _events(n)
    if (n := m.get("faults")) is not None:
        scenario.faults = _faults(n, size)
    if (n := m.get("expect")) is not None:
        scenario.expect = _expect(n)
    if (n := m.get("jobs")) is not None:
        scenario.jobs = _jobs(n)
    return scenario


def load(path: str) -> Scenario:
    """Read and check the scenario at ``path``; :class:`ScenarioError` says what is wrong, and where."""
    return build(read_document(path))


def loads(text: str, source: str = "<scenario>") -> Scenario:
    from fakeflux.scenarios.tree import parse_yaml

    return build(parse_yaml(text, source))
