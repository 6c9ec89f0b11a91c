"""``groups``: broker group membership (flux-core ``modules/groups``), for ``groups.get``.

Real Flux keeps groups that brokers join and leave; here the only populated
group is ``broker.online`` (the ranks that are up), which ``flux uptime`` and
the resource module read.  Any other name is an empty group, as flux-core
creates a group on first lookup.
"""

from __future__ import annotations

import errno

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C


class GroupsModule(BrokerModule):
    name = "groups"
    methods = {
        "get": ("get", C.ROLE_USER),
        "disconnect": ("ignore", C.ROLE_USER),
    }

    def get(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        name = req.get("name") if isinstance(req, dict) else None
        if not isinstance(name, str):
            raise ProtocolError("groups.get needs a string 'name'")
        if self.broker.rank != 0:
            raise ServiceError(errno.EPROTO, "this RPC is only available on rank 0")
        members = ""
        if name == "broker.online":
            core = self.broker.core
            up = [r for r in range(core.size) if r not in core.down]
            members = _encode(up)
        self.respond_json(msg, {"members": members})

    def ignore(self, msg: Message) -> None:
        """Nothing is kept per client (no streaming watchers here)."""


def _encode(ranks: list) -> str:
    """An idset's range form: ``0-3,5``."""
    parts = []
    start = prev = None
    for rank in sorted(ranks):
        if prev is not None and rank == prev + 1:
            prev = rank
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if prev != start else str(start))
        start = prev = rank
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(parts)
