"""Running a scenario: an :class:`~fakeflux.Instance` built from it, with the
scripted services, timed and message-triggered events and faults installed
on the broker's loop thread, and every message observed for the expectations.

>>> with ScenarioRun(load("scenarios/event-driven.yaml")) as run:   # doctest: +SKIP
...     subprocess.run(cmd, env={**os.environ, "FLUX_URI": run.instance.uri(0)})
...     result = run.result()
>>> print(result.report())                                           # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from fakeflux.broker.client import Client
from fakeflux.broker.trace import TraceRecord
from fakeflux.io.instance import Instance
from fakeflux.scenarios.expect import Outcome, check
from fakeflux.scenarios.match import Seen, matches
from fakeflux.scenarios.model import EventSpec, FaultSpec, Scenario, Trigger
from fakeflux.scenarios.service import ScriptedService, Unmatched
from fakeflux.wire import Message

# Messages kept for the expectations; a longer run keeps counting but forgets the oldest.
MAX_SEEN = 1_000_000


@dataclass
class Fired:
    time: float
    what: str


@dataclass
class Result:
    scenario: Scenario
    outcomes: List[Outcome]
    unmatched: List[Unmatched]
    errors: List[str]
    fired: List[Fired]
    seen: List[Seen]
    start: float
    pending: List[str] = field(default_factory=list)  # triggers that never fired

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes) and not self.unmatched and not self.errors

    def report(self, *, verbose: bool = False) -> str:
        from fakeflux.scenarios.report import format_result

        return format_result(self, verbose=verbose)


class _Waiter:
    def __init__(self, trigger: Trigger, action: Callable[[], None], what: str) -> None:
        self.trigger = trigger
        self.action = action
        self.what = what
        self.hits = 0
        self.done = False


class ScenarioRun:
    """One run of a scenario.  :meth:`start` makes and starts the instance;
    :meth:`attach` installs the scenario into an instance started elsewhere
    (it must be the thread runner, started with :meth:`instance_kwargs`)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.instance: Optional[Instance] = None
        self.seen: List[Seen] = []
        self.count = 0
        self.unmatched: List[Unmatched] = []
        self.errors: List[str] = []
        self.fired: List[Fired] = []
        self.start_time = 0.0
        self.services: List[ScriptedService] = []
        self._waiters: List[_Waiter] = []
        self._timed: List[_Waiter] = []
        self._owned = False
        self.checked = False  # check() was called: the pytest plugin need not check again

    # -- life cycle ---------------------------------------------------------------------------
    def instance_kwargs(self) -> Dict[str, Any]:
        spec = self.scenario.instance
        return {
            "size": spec.size,
            "attrs": dict(spec.attributes),
            "config": spec.full_config(),
            "owner": spec.access.owner,
        }

    def start(self, rundir: Optional[str] = None) -> Instance:
        inst = Instance(**self.instance_kwargs(), rundir=rundir, trace=True)
        inst.start()
        self._owned = True
        try:
            self.attach(inst)
        except BaseException:
            inst.stop()
            raise
        return inst

    def attach(self, inst: Instance) -> None:
        if inst.core is None or inst.server is None:
            raise ValueError("a scenario needs a started instance with runner='thread'")
        self.instance = inst
        inst._on_loop(self._install)

    def stop(self) -> Result:
        """The result, then stop the instance if this run started it."""
        result = self.result()
        if self._owned and self.instance is not None:
            self.instance.stop()
        return result

    def __enter__(self) -> ScenarioRun:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned and self.instance is not None:
            self.instance.stop()

    # -- installing (on the loop thread) ------------------------------------------------------
    def _install(self) -> None:
        inst = self.instance
        assert inst is not None and inst.core is not None
        core = inst.core
        self.start_time = time.time()
        core.add_tracer(self._observe)
        for spec in self.scenario.services:
            service = ScriptedService(spec, core, self.unmatched.append)
            self.services.append(service)
            for rank in self._service_ranks(service):
                core.host_service(rank, spec.name, service.target(core.rank(rank)))
        for job in self.scenario.jobs:
            core.jobs.script(
                job.match,
                exit_code=job.exit_code,
                exception=job.exception,
                exception_at=job.exception_at,
                output=job.output,
                stderr=job.stderr,
                runtime=job.runtime,
                delays=job.delays,
                count=job.count,
            )
        for event in self.scenario.events:
            self._arm(event.trigger, self._publisher(event), f"event {event.topic} ({event.where})")
        for fault in self.scenario.faults:
            self._arm(fault.trigger, self._fault_action(fault), f"fault {fault.kind} ({fault.where})")

    def _service_ranks(self, service: ScriptedService) -> List[int]:
        size = self.scenario.instance.size
        ranks = service.spec.ranks
        return list(range(size)) if isinstance(ranks, str) else list(ranks)

    def _arm(self, trigger: Trigger, action: Callable[[], None], what: str) -> None:
        waiter = _Waiter(trigger, action, what)
        if trigger.after is not None:
            self._waiters.append(waiter)
        else:
            self._timed.append(waiter)
            self._later((trigger.at or 0.0) + trigger.delay, waiter)

    def _later(self, delay: float, waiter: _Waiter) -> None:
        core = self._core()
        assert core.call_later is not None

        def fire() -> None:
            waiter.done = True
            self.fired.append(Fired(time.time(), waiter.what))
            try:
                waiter.action()
            except Exception as exc:
                self.errors.append(f"{waiter.what}: {type(exc).__name__}: {exc}")

        # Even "now" runs from the loop, after the message that triggered it is handled.
        core.call_later(delay, fire)

    def _observe(self, rank: int, direction: str, client: Client, msg: Message) -> None:
        self.count += 1
        seen = Seen(self.count, TraceRecord.of(time.time(), rank, direction, client, msg))
        self.seen.append(seen)
        if len(self.seen) > MAX_SEEN:
            del self.seen[: MAX_SEEN // 10]
        for waiter in self._waiters:
            if waiter.done:
                continue
            assert waiter.trigger.after is not None
            if matches(waiter.trigger.after, seen):
                waiter.hits += 1
                if waiter.hits >= waiter.trigger.count:
                    waiter.done = True
                    self._later(waiter.trigger.delay, waiter)

    # -- actions ----------------------------------------------------------------------------------
    def _publisher(self, event: EventSpec) -> Callable[[], None]:
        def publish() -> None:
            assert self.instance is not None
            self.instance.publish(event.topic, event.payload, private=event.private)

        return publish

    def _fault_action(self, fault: FaultSpec) -> Callable[[], None]:
        def act() -> None:
            inst = self.instance
            assert inst is not None
            if fault.kind == "rank-down":
                assert fault.rank is not None
                inst.rank_down(fault.rank)
            elif fault.kind == "rank-up":
                assert fault.rank is not None
                back = [r for r in self._core().subtree(fault.rank) if r in self._core().down]
                inst.rank_up(fault.rank)
                self._rehost(back)  # a restarted rank starts afresh: put its scripted services back
            else:
                inst.inject(
                    fault.topic,
                    rank=fault.rank,
                    count=fault.count,
                    errnum=fault.errnum,
                    text=fault.text,
                    delay=fault.seconds,
                    drop=fault.kind == "drop",
                )

        return act

    def _rehost(self, ranks: List[int]) -> None:
        core = self._core()
        for service in self.services:
            for rank in self._service_ranks(service):
                if rank in ranks:
                    core.host_service(rank, service.spec.name, service.target(core.rank(rank)))

    def _core(self) -> Any:
        assert self.instance is not None and self.instance.core is not None
        return self.instance.core

    # -- the outcome ----------------------------------------------------------------------------------
    def result(self) -> Result:
        """Check the expectations against everything seen so far."""
        inst = self.instance
        if inst is None:
            raise RuntimeError("the scenario is not running")
        if inst.server is not None:
            return inst._on_loop(self._result_now)
        return self._result_now()

    def check(self) -> Result:
        """The result; AssertionError with the report if the scenario failed."""
        result = self.result()
        self.checked = True
        if not result.ok:
            raise AssertionError(result.report())
        return result

    def _result_now(self) -> Result:
        seen = list(self.seen)
        outcomes = [check(exp, seen) for exp in self.scenario.expect]
        pending = [w.what + f" ({w.trigger.describe()})" for w in self._waiters + self._timed if not w.done]
        return Result(
            self.scenario,
            outcomes,
            list(self.unmatched),
            list(self.errors),
            list(self.fired),
            seen,
            self.start_time,
            pending,
        )
