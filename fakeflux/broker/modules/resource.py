"""``resource`` (flux-core ``modules/resource``), rank 0: ``status`` and
``sched-status`` (what ``flux resource list/status`` and flux.resource use),
``drain`` / ``undrain``, over the scheduler's resource set
(:mod:`fakeflux.broker.jobs.resources`: ranks x ``[fakeflux] cores-per-rank``,
or flux-core's ``[fake-resources]`` table, hostnames included)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict, List

from fakeflux.broker import jobs as J
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs import resources as res
from fakeflux.broker.jobs.resources import ResourceConfigError
from fakeflux.broker.jobs.sched import SimpleScheduler
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


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

    @property
    def jobs(self) -> J.JobSystem:
        return self.broker.core.jobs

    @property
    def sched(self) -> SimpleScheduler:
        return self.jobs.sched

    @property
    def drained(self) -> Dict[int, Dict[str, Any]]:
        return self.sched.drained

    def _nodes(self) -> Dict[int, res.Node]:
        try:
            return self.sched.nodes()
        except ResourceConfigError as exc:
            raise ServiceError(errno.EINVAL, str(exc)) from None

    def _R(self, ranks: List[int], gpus_first: bool) -> Dict[str, Any]:
        """R of whole nodes (what ``flux R encode`` and the resource module write)."""
        nodes = self._nodes()
        alloc = [(r, nodes[r].cores, nodes[r].gpus) for r in ranks]
        return res.encode_R(alloc, self.sched.hostnames(), 0.0, 0.0, gpus_first=gpus_first)

    def _offline(self) -> List[int]:
        # [fake-resources] ranks with no broker are forced up, as flux-core's rc1 task has them
        return [r for r, n in sorted(self._nodes().items()) if not n.fake and r in self.broker.core.down]

    def status(self, msg: Message) -> None:
        nodes = self._nodes()
        offline = self._offline()
        drain = {J.idset_encode([r]): info for r, info in sorted(self.drained.items())}
        self.respond_json(
            msg,
            {
                "R": self._R(sorted(nodes), self.sched.fake_resources),
                "drain": drain,
                "online": J.idset_encode([r for r in sorted(nodes) if r not in offline]),
                "offline": J.idset_encode(offline),
                "exclude": "",
                "torpid": "",
            },
        )

    def sched_status(self, msg: Message) -> None:
        nodes = self._nodes()
        fake = self.sched.fake_resources
        unavailable = sorted(set(self._offline()) | set(self.drained))
        allocated = self.sched.allocated()
        self.respond_json(
            msg,
            {
                "all": self._R(sorted(nodes), fake),
                "down": self._R(unavailable, False),
                "allocated": res.encode_R(allocated, self.sched.hostnames(), 0.0, 0.0, gpus_first=fake),
            },
        )

    def drain(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        targets, reason = req.get("targets"), req.get("reason", "")
        if not isinstance(targets, str):
            raise ProtocolError("'targets' must be a string")
        ranks = self._ranks(targets)
        for r in ranks:
            # flux-core records whole seconds
            self.drained[r] = {"timestamp": float(int(self.jobs.now())), "reason": reason or ""}
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
        self.sched.schedule()  # the nodes are schedulable again

    def _ranks(self, text: str) -> List[int]:
        out: List[int] = []
        try:
            for part in text.strip("[]").split(","):
                lo, _, hi = part.partition("-")
                out.extend(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            raise ServiceError(errno.EINVAL, "invalid targets") from None
        bad = [r for r in out if r not in self._nodes()]
        if bad:
            raise ServiceError(errno.EINVAL, "invalid targets")
        return out
