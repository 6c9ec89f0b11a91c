"""``resource`` (flux-core ``modules/resource``), rank 0: ``status`` and
``sched-status`` (what ``flux resource list/status`` and flux.resource use),
``drain`` / ``undrain``, over the scheduler's resource set
(:mod:`fakeflux.broker.jobs.resources`: ranks x ``[fakeflux] cores-per-rank``,
or flux-core's ``[fake-resources]`` table, hostnames included)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from fakeflux.broker import jobs as J
from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs import resources as res
from fakeflux.broker.jobs.eventlog import dumps, eventlog_entry
from fakeflux.broker.jobs.resources import ResourceConfigError
from fakeflux.broker.jobs.sched import SimpleScheduler
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


# resource.eventlog's entries that flux-core commits to the KVS (the others live in its journal only)
KEPT_EVENTS = ("resource-define", "drain", "undrain")


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
        self._define_in_kvs()

    # -- resource.R and resource.eventlog in the KVS ------------------------------------------------
    def _define_in_kvs(self) -> None:
        """What flux-core's resource module commits as it starts: R (here fakeflux's own
        resource set) and ``resource.eventlog`` with the entries that are kept (the
        journal's ``restart`` and ``online`` are not), each in a commit of its own."""
        try:
            self._start_events()
            R = self._R(sorted(self._nodes()), self.sched.fake_resources)
        except ServiceError:
            return  # a bad [fake-resources] table: reported by the requests that need it
        store = self.broker.core.kvs
        store.apply(K.PRIMARY, [{"key": "resource.R", "flags": 0, "dirent": K.val(dumps(R).encode())}])
        kept = "".join(self._line(e) for e in self._log if e["name"] in KEPT_EVENTS)
        store.apply(K.PRIMARY, [{"key": "resource.eventlog", "flags": K.APPEND, "dirent": K.val(kept.encode())}])

    @staticmethod
    def _line(entry: Dict[str, Any]) -> str:
        return eventlog_entry(entry["timestamp"], entry["name"], entry.get("context"))

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
            for rank, info in sorted(self.drained.items()):  # ranks 1.. drained for their hostname
                self._log.append(self._entry("drain", {"idset": str(rank), "nodelist": self._broker_hosts([rank]),
                                                       "reason": info["reason"], "overwrite": 0}, at))
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
        if name in KEPT_EVENTS:
            self.jobs.kvs_write(K.PRIMARY, "resource.eventlog", self._line(entry).encode(), append=True)
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
        # ranks drained at the same time for the same reason share one entry
        groups: Dict[Tuple[float, str], List[int]] = {}
        for r, info in sorted(self.drained.items()):
            groups.setdefault((info["timestamp"], info["reason"]), []).append(r)
        drain = {J.idset_encode(ranks): {"timestamp": ts, "reason": reason}
                 for (ts, reason), ranks in sorted(groups.items(), key=lambda g: g[1][0])}
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

    # -- drain / undrain (flux-core resource/drain.c) ------------------------------------------------
    _MODES = {"update": 0, "overwrite": 1, "force-overwrite": 2}

    def drain(self, msg: Message) -> None:
        """Without ``mode`` every target must be undrained (EEXIST);
        ``update`` sets a reason only where none is set, ``overwrite`` the
        reason, ``force-overwrite`` the reason and the time."""
        req = payload_json(msg.payload)
        targets, reason, mode = req.get("targets"), req.get("reason"), req.get("mode")
        if not isinstance(targets, str) or not isinstance(reason, (str, type(None))) \
                or not isinstance(mode, (str, type(None))):
            raise ProtocolError("bad drain request")
        ranks = self._ranks(targets)
        if mode is not None and mode not in self._MODES:
            raise ServiceError(errno.EINVAL, "Invalid mode specified")
        overwrite = self._MODES.get(mode or "", 0)
        if mode is None:
            already = [r for r in ranks if r in self.drained]
            if already:
                raise ServiceError(errno.EEXIST, f"rank{'s' if len(already) > 1 else ''} "
                                                 f"{J.idset_encode(already)} already drained")
        now = float(int(self.jobs.now()))  # flux-core records whole seconds
        for r in ranks:
            info = self.drained.get(r)
            if info is not None and not overwrite and info["reason"]:
                continue
            if info is None or overwrite == 2:
                self.drained[r] = {"timestamp": now, "reason": reason or ""}
            else:
                info["reason"] = reason or ""
        context: Dict[str, Any] = {"idset": J.idset_encode(ranks), "nodelist": self._broker_hosts(ranks)}
        if reason is not None:
            context["reason"] = reason
        context["overwrite"] = overwrite
        self._post("drain", context)
        self.respond(msg)

    def undrain(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        targets, reason, mode = req.get("targets"), req.get("reason"), req.get("mode")
        if not isinstance(targets, str) or not isinstance(reason, (str, type(None))) \
                or not isinstance(mode, (str, type(None))):
            raise ProtocolError("bad undrain request")
        ranks = self._ranks(targets)
        if mode is not None and mode not in self._MODES:
            raise ServiceError(errno.EINVAL, f"invalid undrain mode '{mode}' specified")
        overwrite = self._MODES.get(mode or "", 0)
        if mode is None:
            missing = [r for r in ranks if r not in self.drained]
            if missing:
                raise ServiceError(errno.EEXIST, f"rank{'s' if len(missing) > 1 else ''} "
                                                 f"{J.idset_encode(missing)} not drained")
        for r in ranks:
            self.drained.pop(r, None)
        context: Dict[str, Any] = {"idset": J.idset_encode(ranks), "nodelist": self._broker_hosts(ranks),
                                   "overwrite": overwrite}
        if reason is not None:
            context["reason"] = reason
        self._post("undrain", context)
        self.respond(msg)
        self.sched.schedule()  # the nodes are schedulable again

    @staticmethod
    def _ranks_of_hosts(text: str, nodes: Dict[int, res.Node]) -> List[int]:
        try:
            hosts = res.hostlist_decode(text)
        except ValueError:
            hosts = []
        by_host: Dict[str, List[int]] = {}
        for r, n in sorted(nodes.items()):
            by_host.setdefault(n.hostname, []).append(r)
        unknown = [h for h in hosts if h not in by_host]
        if not hosts:
            raise ServiceError(errno.EINVAL, "invalid targets")
        if unknown:
            raise ServiceError(errno.EINVAL, f"invalid targets: invalid hosts: {res.hostlist_encode(unknown)}")
        return sorted({r for h in hosts for r in by_host[h]})

    def _broker_hosts(self, ranks: List[int]) -> str:
        """The hostlist of the brokers at ``ranks`` (flux_hostmap_lookup: the
        host each broker runs on, not R's names)."""
        return res.hostlist_encode([self.broker.core.hostname for _ in ranks])

    def _ranks(self, text: str) -> List[int]:
        """Targets: an idset of ranks, or hostnames of the resource set."""
        nodes = self._nodes()
        try:
            out = sorted(set(res.idset_decode(text)))
        except ValueError:
            out = self._ranks_of_hosts(text, nodes)
        if not out:
            raise ServiceError(errno.EINVAL, "idset is empty")
        if out[-1] >= len(nodes):
            raise ServiceError(errno.EINVAL, "idset is out of range")
        return out


class ResourceDownstream(BrokerModule):
    """``resource`` on the ranks other than 0: flux-core loads it everywhere,
    but status and sched-status answer on rank 0 only, and drain, undrain and
    the journal are registered there alone (ENOSYS elsewhere)."""

    name = "resource"
    methods = {
        "status": ("rank0_only", C.ROLE_USER),
        "sched-status": ("rank0_only", C.ROLE_USER),
        "disconnect": ("ignore", C.ROLE_USER),
    }

    def rank0_only(self, msg: Message) -> None:
        raise ServiceError(errno.EPROTO, "this RPC only works on rank 0")

    def ignore(self, msg: Message) -> None:
        """Nothing is held for a client here."""
