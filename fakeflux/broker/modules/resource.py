"""``resource`` (flux-core ``modules/resource``), rank 0: ``status`` and
``sched-status`` (what ``flux resource list/status`` and flux.resource use),
``drain`` / ``undrain``, over the scheduler's resource set
(:mod:`fakeflux.broker.jobs.resources`: ranks x ``[fakeflux] cores-per-rank``,
or flux-core's ``[fake-resources]`` table, hostnames included)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from fakeflux.broker import jobs as J
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs import resources as res
from fakeflux.broker.jobs.resources import ResourceConfigError
from fakeflux.broker.jobs.sched import SimpleScheduler
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class ResourceModule(BrokerModule):
    name = "resource"
    methods = {
        "status": ("status", 0x8),  # ROLE_USER
        "sched-status": ("sched_status", 0x8),
        "drain": ("drain", 0),
        "undrain": ("undrain", 0),
        "journal": ("journal", 0x8),
        "journal-cancel": ("journal_cancel", 0x8),
        "disconnect": ("on_disconnect", 0x8),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        self.consumers: List[Message] = []  # resource.journal streams
        self._log: List[Dict[str, Any]] = []  # resource.eventlog, as the journal replays it
        self._logged_start = False
        self._last_ts = 0.0
        self.sched.rank_observers.append(self._on_ranks)

    # -- resource.eventlog and resource.journal ------------------------------------------------------
    def _start_events(self) -> None:
        """What the resource module logs as the instance comes up: ``restart``,
        ``resource-define`` (R from the configuration with ``[fake-resources]``,
        ``dynamic-discovery`` otherwise) and the ranks coming online (fake
        ranks are up from the start)."""
        if self._logged_start:
            return
        self._logged_start = True
        core = self.broker.core
        nodes = self._nodes()
        hosts = res.hostlist_encode([core.hostname] * core.size)
        ranks = J.idset_encode(sorted(nodes))
        at = core.starttime
        if self.sched.fake_resources:
            self._log.append(self._entry("restart", {"ranks": ranks, "online": ranks, "nodelist": hosts}, at))
            self._log.append(self._entry("resource-define", {"method": "kvs"}, at))
            return
        self._log.append(self._entry("restart", {"ranks": ranks, "online": "", "nodelist": hosts}, at))
        self._log.append(self._entry("online", {"idset": "0"}, at))
        self._log.append(self._entry("resource-define", {"method": "dynamic-discovery"}, at))
        if core.size > 1:
            self._log.append(self._entry("online", {"idset": J.idset_encode(list(range(1, core.size)))}, at))

    def _entry(self, name: str, context: Dict[str, Any], at: Optional[float] = None) -> Dict[str, Any]:
        """An eventlog entry; timestamps strictly increase, as consumers
        (flux.resource.journal's ``since``) rely on."""
        self._last_ts = max(self.jobs.now() if at is None else at, self._last_ts + 1e-6)
        return {"timestamp": self._last_ts, "name": name, "context": context}

    def _post(self, name: str, context: Dict[str, Any]) -> None:
        self._start_events()
        entry = self._entry(name, context)
        self._log.append(entry)
        for msg in self.consumers:
            self.respond_json(msg, {"events": [entry]})

    def _on_ranks(self, ranks: List[int], online: bool) -> None:
        self._post("online" if online else "offline", {"idset": J.idset_encode(ranks)})

    def journal(self, msg: Message) -> None:
        """The backlog in batches of at most 100 events, ``resource-define``
        alone with R, an empty batch, then events as they happen."""
        if not msg.flags & C.FLAG_STREAMING:
            raise ServiceError(errno.EPROTO, "journal requires streaming RPC flag")
        self._start_events()
        batch: List[Dict[str, Any]] = []
        for entry in self._log:
            if entry["name"] == "resource-define":
                if batch:
                    self.respond_json(msg, {"events": batch})
                    batch = []
                self.respond_json(msg, {"events": [entry], "R": self._R(sorted(self._nodes()),
                                                                       self.sched.fake_resources)})
                continue
            batch.append(entry)
            if len(batch) >= 100:
                self.respond_json(msg, {"events": batch})
                batch = []
        if batch:
            self.respond_json(msg, {"events": batch})
        self.respond_json(msg, {"events": []})
        self.consumers.append(msg)

    def journal_cancel(self, msg: Message) -> None:
        matchtag = payload_json(msg.payload).get("matchtag")
        if not isinstance(matchtag, int):
            raise ProtocolError("'matchtag' must be an integer")
        for req in [m for m in self.consumers if m.sender == msg.sender and m.matchtag == matchtag]:
            self.consumers.remove(req)
            self.respond_error(req, errno.ENODATA)

    def on_disconnect(self, msg: Message) -> None:
        self.consumers = [m for m in self.consumers if m.sender != msg.sender]

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
        self._post("drain", {"idset": J.idset_encode(ranks), "nodelist": self._broker_hosts(ranks),
                             "reason": reason or "", "overwrite": 0})
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
        self._post("undrain", {"idset": J.idset_encode(ranks), "nodelist": self._broker_hosts(ranks), "overwrite": 0})
        self.respond(msg)
        self.sched.schedule()  # the nodes are schedulable again

    def _broker_hosts(self, ranks: List[int]) -> str:
        """The hostlist of the brokers at ``ranks`` (flux_hostmap_lookup: the
        host each broker runs on, not R's names)."""
        return res.hostlist_encode([self.broker.core.hostname for _ in ranks])

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
