"""How a broker service says no: an errno and, optionally, the text the real
service puts in the error response's payload."""

from __future__ import annotations

from typing import Optional


class ServiceError(Exception):
    def __init__(self, errnum: int, text: Optional[str] = None) -> None:
        super().__init__(errnum, text)
        self.errnum = errnum
        self.text = text
