"""``overlay``: the tree's shape and health as the overlay module reports
them (flux-core ``modules/overlay``), for ``flux overlay status``."""

from __future__ import annotations

import errno
import time
from typing import Any, Dict, List

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C


class OverlayModule(BrokerModule):
    name = "overlay"
    methods = {
        "topology": ("topology", 0),
        "health": ("health", 0),
        "disconnect": ("ignore", C.ROLE_ALL),
    }

    def _subtree(self, rank: int) -> Dict[str, Any]:
        topo = self.broker.core.topology
        return {
            "rank": rank,
            "size": topo.descendants(rank) + 1,
            "children": [self._subtree(child) for child in topo.children(rank)],
        }

    def topology(self, msg: Message) -> None:
        rank = payload_json(msg.payload).get("rank")
        if not isinstance(rank, int) or isinstance(rank, bool):
            raise ProtocolError("'rank' must be an integer")
        topo = self.broker.core.topology
        if rank != self.broker.rank and rank not in topo.children(self.broker.rank):
            raise ServiceError(errno.ENOENT, "requested rank is not this broker or its direct child")
        self.respond_json(msg, self._subtree(rank))

    def _status(self, rank: int) -> str:
        """``full`` while every rank below is up; ``partial`` once one is lost."""
        core = self.broker.core
        below = core.subtree(rank)[1:]
        return "partial" if any(r in core.down for r in below) else "full"

    def health(self, msg: Message) -> None:
        core = self.broker.core
        duration = time.time() - core.starttime
        children: List[Dict[str, Any]] = []
        for child in core.topology.children(self.broker.rank):
            status = "lost" if child in core.down else self._status(child)
            children.append({"rank": child, "status": status, "duration": duration})
        self.respond_json(
            msg,
            {
                "rank": self.broker.rank,
                "status": self._status(self.broker.rank),
                "duration": duration,
                "children": children,
            },
        )

    def ignore(self, msg: Message) -> None:
        """Nothing is kept per client."""
