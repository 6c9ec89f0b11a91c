"""A pure-Python drop-in for flux-core's ``flux`` package (handles, messages, futures, RPCs).

Speaks Flux's real wire protocol over the local connector, so the same
code runs against fakeflux and against a real Flux broker.  ``flux.kvs`` and
``flux.job`` need an explicit import, as in flux-core; ``flux.resource`` is
not provided yet.
"""

from __future__ import annotations

from typing import Any

from . import constants as constants
from . import core as core
from . import rpc as rpc
from .core import handle as _handle


def Flux(*args: Any, **kwargs: Any) -> _handle.Flux:  # noqa: N802 - flux-core's name
    """Open a handle: ``flux.Flux(url=None, flags=0)`` (a factory, as in flux-core)."""
    return _handle.Flux(*args, **kwargs)


__all__ = ["core", "rpc", "constants", "Flux"]
