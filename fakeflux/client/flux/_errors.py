"""The two shapes of OSError the real bindings raise.

* A libflux call made directly (``flux_attr_get``, ``flux_event_subscribe``…)
  fails through flux-core's cffi wrapper: ``OSError(errno, "ENAME: strerror")``.
  Any error text the server sent is lost.
* A future (``RPC.get()``, ``service_register().get()``) fails with
  ``OSError(errno, text)`` where ``text`` is the server's error string, or
  ``strerror(errno)`` when it sent none.
"""

from __future__ import annotations

import errno
import os
from typing import Optional


def strerror(errnum: int) -> str:
    """``strerror(3)`` as flux_strerror reports it."""
    return os.strerror(errnum)


def c_error(errnum: int) -> OSError:
    """The exception flux-core's wrapper raises when a C call fails with ``errnum``."""
    name = errno.errorcode.get(errnum, f"Errno{errnum}")
    return OSError(errnum, f"{name}: {os.strerror(errnum)}")


def future_error(errnum: int, errstr: Optional[str]) -> OSError:
    """The exception a failed future's ``get()`` raises."""
    return OSError(errnum, errstr if errstr else os.strerror(errnum))
