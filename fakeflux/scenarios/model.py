"""What a scenario says, as plain objects (built by :mod:`fakeflux.scenarios.schema`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from fakeflux.wire import constants as C


class _Missing:
    """No payload condition given (``None`` means: the message has no payload)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

TYPE_NAMES = {"request": C.MSGTYPE_REQUEST, "response": C.MSGTYPE_RESPONSE, "event": C.MSGTYPE_EVENT}
# Directions as the trace names them: rx = client to broker, tx = broker to client.
DIRECTIONS = {"to-broker": "rx", "to-client": "tx"}


@dataclass
class Where:
    """Where something was written: for reports."""

    source: str
    line: Optional[int]
    path: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else f"{self.source} ({self.path})"


@dataclass
class Access:
    owner: Optional[int] = None  # None: the user running fakeflux
    allow_guest_user: Optional[bool] = None
    allow_root_owner: Optional[bool] = None


@dataclass
class InstanceSpec:
    size: int = 1
    attributes: Dict[str, str] = field(default_factory=dict)
    config: Dict[str, Any] = field(default_factory=dict)
    access: Access = field(default_factory=Access)

    def full_config(self) -> Dict[str, Any]:
        """``config`` with ``access`` merged into its ``[access]`` table."""
        config = dict(self.config)
        table = dict(config.get("access", {}))
        if self.access.allow_guest_user is not None:
            table["allow-guest-user"] = self.access.allow_guest_user
        if self.access.allow_root_owner is not None:
            table["allow-root-owner"] = self.access.allow_root_owner
        if table:
            config["access"] = table
        return config


@dataclass
class MessagePattern:
    """Which messages: every given field must hold (a glob for the topic, a
    subset for a JSON payload)."""

    where: Where
    type: Optional[int] = None
    topic: Optional[str] = None
    rank: Optional[int] = None
    nodeid: Optional[int] = None
    errnum: Optional[int] = None
    direction: Optional[str] = None  # "rx" or "tx"
    role: Optional[str] = None  # "owner" or "user"
    payload: Any = MISSING
    text: str = ""  # as written, for reports


@dataclass
class Action:
    kind: str  # "respond", "error", "stream", "none"
    payload: Any = None  # respond
    errnum: int = 0  # error
    text: Optional[str] = None  # error
    items: List[Any] = field(default_factory=list)  # stream
    end: Optional[Any] = None  # stream: (errnum, text) to end with, or None for no end
    interval: float = 0.0  # stream: seconds between responses


@dataclass
class Rule:
    where: Where
    match: MessagePattern
    action: Action
    delay: float = 0.0
    repeat: Optional[int] = None  # None: always


@dataclass
class ServiceSpec:
    name: str
    where: Where
    ranks: Union[str, List[int]]  # "all" or a list of ranks
    rules: List[Rule]


@dataclass
class Trigger:
    """When: ``at`` seconds after the start, or once the ``count``-th message
    matching ``after`` has been seen (``after`` None and ``message`` N: the N-th
    message of any kind); then ``delay`` more seconds (``wait:``).  Nothing: at the start."""

    at: Optional[float] = None
    after: Optional[MessagePattern] = None
    count: int = 1
    delay: float = 0.0

    def describe(self) -> str:
        if self.after is not None:
            nth = f" (the {self.count}th)" if self.count != 1 else ""
            return f"after {self.after.text}{nth}" + (f" +{self.delay}s" if self.delay else "")
        if self.at is not None:
            return f"at {self.at}s"
        return "at the start"


@dataclass
class EventSpec:
    where: Where
    topic: str
    payload: Any
    private: bool
    trigger: Trigger


@dataclass
class FaultSpec:
    where: Where
    kind: str  # "rank-down", "rank-up", "drop", "delay", "error"
    trigger: Trigger
    rank: Optional[int] = None
    topic: str = "*"
    count: Optional[int] = None
    seconds: Optional[float] = None
    errnum: Optional[int] = None
    text: Optional[str] = None


@dataclass
class Expectation:
    where: Where
    kind: str  # "seen", "not-seen", "in-order"
    patterns: List[MessagePattern]
    exactly: Optional[int] = None
    at_least: Optional[int] = None
    at_most: Optional[int] = None

    def count_text(self) -> str:
        if self.exactly is not None:
            return f"exactly {self.exactly}"
        parts = []
        if self.at_least is not None:
            parts.append(f"at least {self.at_least}")
        if self.at_most is not None:
            parts.append(f"at most {self.at_most}")
        return " and ".join(parts) or "at least 1"


@dataclass
class JobOutcome:
    """How jobs whose name matches ``match`` turn out (mock execution)."""

    where: Where
    match: str = "*"
    exit_code: Optional[int] = None
    exception: Optional[Tuple[str, str]] = None
    exception_at: str = "run"
    output: Optional[List[str]] = None
    stderr: Optional[List[str]] = None
    runtime: Optional[float] = None
    delays: Optional[Dict[str, float]] = None
    count: Optional[int] = None


@dataclass
class Scenario:
    source: str
    version: int = 1
    name: Optional[str] = None
    description: Optional[str] = None
    instance: InstanceSpec = field(default_factory=InstanceSpec)
    services: List[ServiceSpec] = field(default_factory=list)
    events: List[EventSpec] = field(default_factory=list)
    faults: List[FaultSpec] = field(default_factory=list)
    expect: List[Expectation] = field(default_factory=list)
    jobs: List[JobOutcome] = field(default_factory=list)
