"""Faults a test injects into requests: answer with an error, delay, or drop.

A fault applies where a request would be handled: at the rank whose service
answers it, or where it would get ENOSYS for want of a service.
"""

from __future__ import annotations

import errno as errno_module
import fnmatch
from typing import List, Optional, Union


def errno_value(errnum: Union[int, str]) -> int:
    """An errno given as a number or a name such as ``"ENOENT"``."""
    if isinstance(errnum, int):
        if errnum <= 0:
            raise ValueError(f"errno must be positive, not {errnum}")
        return errnum
    value = getattr(errno_module, errnum, None)
    if not isinstance(value, int):
        raise ValueError(f"unknown errno name {errnum!r}")
    return value


class Fault:
    """Requests whose topic matches ``topic`` (a glob), on ``rank`` (any if
    None), the next ``count`` times (always if None)."""

    def __init__(
        self,
        topic: str,
        *,
        rank: Optional[int] = None,
        count: Optional[int] = None,
        errnum: Union[int, str, None] = None,
        text: Optional[str] = None,
        delay: Optional[float] = None,
        drop: bool = False,
    ) -> None:
        if count is not None and count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        if delay is not None and delay < 0:
            raise ValueError(f"delay must not be negative, not {delay}")
        if drop and errnum is not None:
            raise ValueError("a fault either drops a request or answers it with an error, not both")
        if errnum is None and text is not None:
            raise ValueError("an error text needs an errnum")
        if errnum is None and delay is None and not drop:
            raise ValueError("say what the fault does: errnum=..., delay=... or drop=True")
        self.topic = topic
        self.rank = rank
        self.count = count
        self.errnum = None if errnum is None else errno_value(errnum)
        self.text = text
        self.delay = delay
        self.drop = drop
        self.hits = 0

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def matches(self, topic: str, rank: int) -> bool:
        return (
            not self.exhausted
            and (self.rank is None or self.rank == rank)
            and fnmatch.fnmatchcase(topic, self.topic)
        )

    def __repr__(self) -> str:
        what = "drop" if self.drop else f"errnum={self.errnum}" if self.errnum is not None else "pass"
        delay = f" after {self.delay}s" if self.delay else ""
        return f"<Fault {self.topic!r} rank={self.rank} {what}{delay} hits={self.hits}/{self.count or 'always'}>"


class FaultTable:
    def __init__(self) -> None:
        self.faults: List[Fault] = []

    def __bool__(self) -> bool:
        return bool(self.faults)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        if fault in self.faults:
            self.faults.remove(fault)

    def take(self, topic: str, rank: int) -> Optional[Fault]:
        """The first fault that applies to this request, counted as a hit."""
        for fault in self.faults:
            if fault.matches(topic, rank):
                fault.hits += 1
                return fault
        return None
