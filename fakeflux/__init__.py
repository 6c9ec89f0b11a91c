"""fakeflux: a fake Flux broker for testing.

Layers, each in its own folder:

* :mod:`fakeflux.wire`: Flux's wire protocol, pure functions on bytes;
* :mod:`fakeflux.broker`: the simulated instance (routing, services) as plain objects;
* :mod:`fakeflux.io`: sockets and the event loop that serve the broker core;
* ``fakeflux/client/flux``: a pure-Python ``flux`` package with flux-core's API.
"""

__version__ = "0.1.0"

from fakeflux.io.instance import Instance, InstanceError

__all__ = ["Instance", "InstanceError", "__version__"]
