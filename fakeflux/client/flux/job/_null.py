"""NULL arguments: flux-core's bindings accept ``ffi.NULL`` where C takes a pointer, and fail as C does."""

from __future__ import annotations

from typing import Any


def is_null(obj: Any) -> bool:
    """True for None and for a cffi NULL pointer (``ffi.NULL`` of ``flux.core.inner``)."""
    if obj is None:
        return True
    # cffi's cdata: a pointer is false when NULL (cffi is not imported for this)
    return type(obj).__module__ == "_cffi_backend" and not obj
