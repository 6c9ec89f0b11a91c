"""``content`` and ``content-backing``: the KVS checkpoints of flux-core's
content module and its backing store (``content-sqlite``).

Only the checkpoint methods are emulated (``flux.kvs.kvs_checkpoint_lookup``
reads them); the blob methods (load, store, flush...) answer ENOSYS with a
text saying fakeflux lacks them, as placeholders do.  A real instance's
backing store holds one checkpoint when the KVS has started: the primary
namespace's root at that time.  ``checkpoint-put`` adds one in front (the
newest first) and keeps the newest five, as content-sqlite does.  Both
services are owner-only, like flux-core's.
"""

from __future__ import annotations

import errno
import weakref
from typing import TYPE_CHECKING, Any, Dict, List

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json

if TYPE_CHECKING:
    from fakeflux.broker.instance import InstanceCore
    from fakeflux.broker.rank import BrokerRank

MAX_CHECKPOINTS = 5  # content-sqlite's MAX_CHECKPOINTS_DEFAULT

# The backing store's checkpoints, one list per instance (shared by all ranks: the
# content module on other ranks forwards checkpoint requests to rank 0).
_CHECKPOINTS: weakref.WeakKeyDictionary[InstanceCore, List[Dict[str, Any]]] = weakref.WeakKeyDictionary()


def checkpoints(core: InstanceCore) -> List[Dict[str, Any]]:
    """The instance's checkpoints, newest first; the first is the KVS root at start."""
    found = _CHECKPOINTS.get(core)
    if found is None:
        primary = core.kvs.namespaces["primary"]
        found = _CHECKPOINTS[core] = [
            {"version": 1, "rootref": primary.rootref, "sequence": primary.seq, "timestamp": core.starttime}
        ]
    return found


class ContentModule(BrokerModule):
    name = "content"
    methods = {
        "checkpoint-get": ("checkpoint_get", 0),
        "checkpoint-put": ("checkpoint_put", 0),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        checkpoints(broker.core)  # taken now: the KVS root as the instance starts

    def handle(self, msg: Message) -> None:
        topic = msg.topic or ""
        method = topic[len(self.name) + 1 :]
        if method in self.methods or method == "ping":
            super().handle(msg)
        elif method != "disconnect":
            self.respond_error(msg, errno.ENOSYS, f"fakeflux does not emulate {topic}")

    def checkpoint_get(self, msg: Message) -> None:
        found = checkpoints(self.broker.core)
        if not found:
            raise ServiceError(errno.ENOENT)
        self.respond_json(msg, {"value": found})

    def checkpoint_put(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        if "value" not in req:
            raise ProtocolError("'value' missing")
        found = checkpoints(self.broker.core)
        found.insert(0, req["value"])
        del found[MAX_CHECKPOINTS:]
        self.respond(msg)


class ContentBackingModule(ContentModule):
    """``content-backing``: the backing store's own service, on rank 0 only."""

    name = "content-backing"
    default_methods = {}  # a second service of content-sqlite: its ping is content-sqlite's (not emulated)
