"""``resource`` (flux-core ``modules/resource``), rank 0: ``status`` and
``sched-status`` (what ``flux resource list/status`` and flux.resource use),
``drain`` / ``undrain``, over the synthetic resource set of
:class:`~fakeflux.broker.jobs.JobSystem` (ranks x ``[fakeflux]
cores-per-rank``)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from fakeflux.broker import jobs as J
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

Alloc = List[Tuple[int, List[int], List[int]]]


class ResourceModule(BrokerModule):
    name = "resource"
    methods = {
        "status": ("status", 0x8),  # ROLE_USER
        "sched-status": ("sched_status", 0x8),
        "drain": ("drain", 0),
        "undrain": ("undrain", 0),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        self.drained: Dict[int, Dict[str, Any]] = {}

    @property
    def jobs(self) -> J.JobSystem:
        return self.broker.core.jobs

    def _all(self, ranks: List[int]) -> Alloc:
        ncores, ngpus = self.jobs.cores_per_rank(), self.jobs.gpus_per_rank()
        return [(r, list(range(ncores)), list(range(ngpus))) for r in ranks]

    def _R(self, alloc: Alloc) -> Dict[str, Any]:
        return self.jobs.R_of(alloc, 0.0, 0.0)

    def status(self, msg: Message) -> None:
        size = self.broker.core.size
        down = sorted(self.broker.core.down)
        online = [r for r in range(size) if r not in down]
        drain = {J.idset_encode([r]): info for r, info in sorted(self.drained.items())}
        self.respond_json(
            msg,
            {
                "R": self._R(self._all(list(range(size)))),
                "drain": drain,
                "online": J.idset_encode(online),
                "offline": J.idset_encode(down),
                "exclude": "",
                "torpid": "",
            },
        )

    def sched_status(self, msg: Message) -> None:
        size = self.broker.core.size
        unavailable = sorted(set(self.broker.core.down) | set(self.drained))
        allocated: Alloc = []
        for job in self.jobs.jobs.values():
            allocated.extend(job.alloc)
        allocated.sort()
        self.respond_json(
            msg,
            {
                "all": self._R(self._all(list(range(size)))),
                "down": self._R(self._all(unavailable)),
                "allocated": self._R(allocated),
            },
        )

    def drain(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        targets, reason = req.get("targets"), req.get("reason", "")
        if not isinstance(targets, str):
            raise ProtocolError("'targets' must be a string")
        ranks = self._ranks(targets)
        for r in ranks:
            self.drained[r] = {"timestamp": self.jobs.now(), "reason": reason or ""}
        self.respond(msg)

    def undrain(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        targets = req.get("targets")
        if not isinstance(targets, str):
            raise ProtocolError("'targets' must be a string")
        ranks = self._ranks(targets)
        missing = [r for r in ranks if r not in self.drained]
        if missing:
            raise ServiceError(errno.EINVAL, f"rank {missing[0]} is not drained")
        for r in ranks:
            del self.drained[r]
        self.respond(msg)

    def _ranks(self, text: str) -> List[int]:
        out: List[int] = []
        try:
            for part in text.strip("[]").split(","):
                lo, _, hi = part.partition("-")
                out.extend(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            raise ServiceError(errno.EINVAL, "invalid targets") from None
        size = self.broker.core.size
        bad = [r for r in out if not 0 <= r < size]
        if bad:
            raise ServiceError(errno.EINVAL, "invalid targets")
        return out
