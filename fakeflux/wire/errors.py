"""The one exception the codec raises for bytes that are not a Flux message."""

from __future__ import annotations

import errno
from typing import Any, List, Optional


class ProtocolError(ValueError):
    """Bytes that real flux-core would refuse, with what was wrong and where.

    ``errnum`` is the errno flux-core reports for the same input (EPROTO for a
    bad PROTO frame or a missing frame, EINVAL for a truncated frame), and
    ``offset`` the byte position in the body or stream, when one applies.
    """

    def __init__(self, reason: str, *, errnum: int = errno.EPROTO, offset: Optional[int] = None):
        self.reason = reason
        self.errnum = errnum
        self.offset = offset
        # Whole messages that came before the defect in the same input (set
        # by StreamDecoder): the real broker handles those, then hangs up.
        self.messages: List[Any] = []
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"protocol error{where}: {reason}")
