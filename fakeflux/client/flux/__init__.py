"""A pure-Python drop-in for flux-core's ``flux`` package (handles, messages, futures, RPCs).

Speaks Flux's real wire protocol over the local connector, so the same
code runs against fakeflux and against a real Flux broker. As in flux-core,
the other modules (``flux.job``, ``flux.kvs``, ``flux.resource``, ``flux.uri``,
``flux.eventlog``, ``flux.util``...) need an explicit import. Not provided:
``flux.scheduler``, ``flux.brokermod``, ``flux.modprobe``, ``flux.sdexec``,
``flux.security``, ``flux.shape``, ``flux.slurm``, ``flux.subprocess`` and the
rest of flux-core's internals for its own broker and commands.
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
