"""Per-thread state shared by every handle: reactor depth and the pending callback exception."""

from __future__ import annotations

import threading
from typing import Optional


class _TLS(threading.local):
    def __init__(self) -> None:
        self.reactor_depth = 0
        self.exception: Optional[BaseException] = None


tls = _TLS()


def set_exception(exc: Optional[BaseException]) -> Optional[BaseException]:
    prev = tls.exception
    tls.exception = exc
    return prev


def raise_if_exception() -> None:
    exc = tls.exception
    if exc is not None:
        tls.exception = None
        raise exc from None
