"""A bounded record of every message between clients and the instance, for
showing what happened when a test fails."""

from __future__ import annotations

import time
from collections import deque
from typing import Deque, List, NamedTuple, Optional

from fakeflux.broker.client import Client
from fakeflux.wire import Message
from fakeflux.wire import constants as C

_PREVIEW = 120


class TraceRecord(NamedTuple):
    time: float
    rank: int
    direction: str  # "rx": client to broker, "tx": broker to client
    client_pid: Optional[int]
    client_id: str
    type: int
    topic: Optional[str]
    flags: int
    aux1: int
    aux2: int
    rolemask: int
    payload: Optional[bytes]

    @classmethod
    def of(cls, when: float, rank: int, direction: str, client: Client, msg: Message) -> TraceRecord:
        return cls(
            when, rank, direction, client.pid, client.uuid, msg.type, msg.topic, msg.flags, msg.aux1, msg.aux2,
            msg.rolemask, msg.payload,
        )  # fmt: skip

    def format(self, start: float) -> str:
        kind = C.MSGTYPE_NAMES.get(self.type, str(self.type))
        arrow = "->" if self.direction == "rx" else "<-"
        if self.type == C.MSGTYPE_REQUEST:
            nodeid = "any" if self.aux1 == C.NODEID_ANY else str(self.aux1)
            detail = f"nodeid={nodeid} matchtag={self.aux2}"
        elif self.type == C.MSGTYPE_RESPONSE:
            detail = f"matchtag={self.aux2}" + (f" errnum={self.aux1}" if self.aux1 else "")
        elif self.type == C.MSGTYPE_EVENT:
            detail = f"seq={self.aux1}"
        else:
            detail = f"aux1={self.aux1} aux2={self.aux2}"
        text = ""
        if self.payload is not None:
            shown = self.payload[:_PREVIEW].rstrip(b"\x00").decode("utf-8", "replace")
            text = " " + shown + ("..." if len(self.payload) > _PREVIEW else "")
        who = f"pid {self.client_pid}" if self.client_pid is not None else self.client_id[:8]
        return (
            f"{self.time - start:+10.6f} rank {self.rank} {who} {arrow} {kind} {self.topic} "
            f"[{C.flags_str(self.flags)}] {detail}{text}"
        )


class TraceRecorder:
    """Callable as the instance core's tracer; keeps the last ``maxlen`` messages."""

    def __init__(self, maxlen: int = 10000) -> None:
        self.records: Deque[TraceRecord] = deque(maxlen=maxlen)
        self.start = time.time()

    def __call__(self, rank: int, direction: str, client: Client, msg: Message) -> None:
        self.records.append(TraceRecord.of(time.time(), rank, direction, client, msg))

    def snapshot(self) -> List[TraceRecord]:
        return list(self.records)

    def format(self, records: Optional[List[TraceRecord]] = None) -> str:
        records = self.snapshot() if records is None else records
        if not records:
            return "(no messages)"
        return "\n".join(r.format(self.start) for r in records)
