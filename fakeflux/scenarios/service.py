"""A scripted service: the ordered handlers of a scenario, hosted in the broker.

A request goes to the first handler whose ``match`` holds and that has not
used up its ``repeat`` count; that handler's action answers it (after its
``delay``).  A request no handler takes is answered ENOSYS with a text naming
it and the closest handler, and is reported as unmatched.  Nothing of the
scenario is executed: the handlers are data this class interprets.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, List, Optional

from fakeflux.broker.modules.python_service import to_payload
from fakeflux.scenarios.match import diff_request, payload_text
from fakeflux.scenarios.model import Rule, ServiceSpec
from fakeflux.wire import Message
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.instance import InstanceCore
    from fakeflux.broker.rank import BrokerRank


@dataclass
class Unmatched:
    """A request a scripted service had no handler for."""

    service: str
    rank: int
    topic: str
    nodeid: int
    payload: Optional[bytes]
    closest: Optional[Rule]
    differences: List[str]

    def describe_request(self) -> str:
        nodeid = "any" if self.nodeid == C.NODEID_ANY else str(self.nodeid)
        text = payload_text(self.payload)
        shown = "" if text is None else f" {text[:100]}"
        return f"request {self.topic} nodeid={nodeid} on rank {self.rank}{shown}"

    def describe_closest(self) -> str:
        if self.closest is None:
            return f"service {self.service} has no handlers"
        rule = self.closest
        left = "" if rule.repeat is None else f", repeat {rule.repeat}"
        return f"closest handler: {rule.where.path} at {rule.where} (match {rule.match.text}{left}): " + "; ".join(
            self.differences or ["its repeat count is used up"]
        )


class ScriptedService:
    def __init__(self, spec: ServiceSpec, core: InstanceCore, on_unmatched: Callable[[Unmatched], None]) -> None:
        self.spec = spec
        self.core = core
        self.on_unmatched = on_unmatched
        self.used = [0] * len(spec.rules)

    def target(self, broker: BrokerRank) -> Callable[[Message], None]:
        return lambda msg: self.handle(broker, msg)

    def handle(self, broker: BrokerRank, msg: Message) -> None:
        topic = msg.topic or ""
        if topic.endswith(".disconnect") and msg.flags & C.FLAG_NORESPONSE:
            return  # a client went away: nothing to clean up
        closest: Optional[Rule] = None
        closest_diff: List[str] = []
        for i, rule in enumerate(self.spec.rules):
            d = diff_request(rule.match, msg, broker.rank)
            exhausted = rule.repeat is not None and self.used[i] >= rule.repeat
            if not d and not exhausted:
                self.used[i] += 1
                self._act(broker, msg, rule)
                return
            if closest is None or len(d) < len(closest_diff):
                closest, closest_diff = rule, d
        miss = Unmatched(self.spec.name, broker.rank, topic, msg.nodeid, msg.payload, closest, closest_diff)
        self.on_unmatched(miss)
        text = f"scenario: no handler of {self.spec.name} for {miss.describe_request()}; {miss.describe_closest()}"
        broker.respond_error(msg, errno.ENOSYS, text[:1000])

    def _act(self, broker: BrokerRank, msg: Message, rule: Rule) -> None:
        action = rule.action
        if action.kind == "none":
            return
        if action.kind == "stream" and not msg.flags & C.FLAG_STREAMING:
            steps: List[Callable[[], None]] = [lambda: broker.respond_error(msg, errno.EPROTO)]
            delays = [rule.delay]
        elif action.kind == "stream":
            steps = [self._respond_step(broker, msg, item) for item in action.items]
            delays = [rule.delay] + [action.interval] * (len(steps) - 1)
            if action.end is not None:
                errnum, text = action.end
                steps.append(lambda: broker.respond_error(msg, errnum, text))
                delays.append(action.interval if action.items else rule.delay)
        elif action.kind == "error":
            steps = [lambda: broker.respond_error(msg, action.errnum, action.text)]
            delays = [rule.delay]
        else:
            steps = [self._respond_step(broker, msg, action.payload)]
            delays = [rule.delay]
        self._run(broker, steps, delays)

    def _respond_step(self, broker: BrokerRank, msg: Message, payload: object) -> Callable[[], None]:
        raw = to_payload(payload)
        return lambda: broker.respond(msg, raw)

    def _run(self, broker: BrokerRank, steps: List[Callable[[], None]], delays: List[float]) -> None:
        """Run the steps in order, each after its delay; stop if the rank went down meanwhile."""
        if not steps:
            return
        step, delay = steps[0], delays[0]

        def go() -> None:
            if broker.rank in self.core.down or self.core.started_ranks().get(broker.rank) is not broker:
                return  # the rank died (or restarted): its answers are lost
            step()
            self._run(broker, steps[1:], delays[1:])

        if delay > 0 and self.core.call_later is not None:
            self.core.call_later(delay, go)
        else:
            go()
