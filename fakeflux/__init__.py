"""fakeflux: a fake Flux broker for testing.

Layers, each in its own folder:

* :mod:`fakeflux.wire`: Flux's wire protocol, pure functions on bytes;
* :mod:`fakeflux.broker`: the simulated instance (routing, services) as plain objects;
* :mod:`fakeflux.io`: sockets and the event loop that serve the broker core;
* ``fakeflux/client/flux``: a pure-Python ``flux`` package with flux-core's API.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Instance", "InstanceError", "__version__"]

if TYPE_CHECKING:
    from fakeflux.io.instance import Instance, InstanceError


def __getattr__(name: str) -> Any:
    # Imported on first use only: the client package imports fakeflux.wire, which runs this
    # file, and must not pay for loading the broker and IO layers it never uses.
    if name in ("Instance", "InstanceError"):
        from fakeflux.io import instance

        return getattr(instance, name)
    raise AttributeError(f"module 'fakeflux' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | {"Instance", "InstanceError"})
