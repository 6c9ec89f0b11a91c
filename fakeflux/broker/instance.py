"""The whole simulated instance in one object (fakeredis's one-server-state
idea): size and tree, the ranks, the event sequence, the configuration, who
may connect.  No sockets here; the IO layer feeds it client messages."""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Callable, Dict, List, Mapping, Optional, Set, TextIO

from fakeflux.broker import stdlog
from fakeflux.broker.attrs import check_settable_at_start
from fakeflux.broker.client import Client
from fakeflux.broker.config import Config
from fakeflux.broker.faults import FaultTable
from fakeflux.broker.jobs import JobSystem
from fakeflux.broker.kvs_store import KvsStore
from fakeflux.broker.modules.placeholder import PlaceholderModule
from fakeflux.broker.rank import BrokerRank
from fakeflux.broker.topology import Topology
from fakeflux.wire import Message
from fakeflux.wire import constants as C

Tracer = Callable[[int, str, Client, Message], None]


class TracerChain:
    """Several tracers in one: each sees every message, in the order added."""

    def __init__(self, tracers: List[Tracer]) -> None:
        self.tracers = tracers

    def __call__(self, rank: int, direction: str, client: Client, msg: Message) -> None:
        for tracer in self.tracers:
            tracer(rank, direction, client, msg)


_NOT_LOCAL = ~C.ROLE_LOCAL & 0xFFFFFFFF

# Services that are the broker itself rather than a module; tests may not replace them.
_CORE_SERVICES = frozenset(
    {"attr", "broker", "event", "log", "service", "state-machine", "config", "overlay", "module"}
)


class InstanceCore:
    def __init__(
        self,
        size: int = 1,
        *,
        rundir: str,
        attrs: Optional[Mapping[str, str]] = None,
        config: Optional[Config] = None,
        owner: Optional[int] = None,
        hostname: Optional[str] = None,
        stderr: Optional[TextIO] = None,
    ) -> None:
        self.setattrs: Dict[str, str] = dict(attrs or {})
        for name in self.setattrs:
            check_settable_at_start(name)
        self.topology = Topology(size, self.setattrs.get("tbon.topo", "kary:32"))
        self.size = size
        self.rundir = rundir
        self.config = config or Config()
        self.owner = os.getuid() if owner is None else owner
        self.hostname = hostname or socket.gethostname().split(".")[0]
        self.pid = os.getpid()
        self.starttime = time.time()
        self.environ: Dict[str, str] = dict(os.environ)
        self.stderr = stderr
        self.event_seq = 0
        self.down: Set[int] = set()
        self.faults = FaultTable()
        # Names of emulated-elsewhere services a test hosts itself: no rank
        # keeps a placeholder for them, so requests find the test's service.
        self.hosted_names: Set[str] = set()
        self.tracer: Optional[Tracer] = None
        # Set by the IO layer: run a function on the loop after a delay.
        self.call_later: Optional[Callable[[float, Callable[[], None]], None]] = None
        self.kvs = KvsStore(self.owner)  # the one KVS every rank's kvs service serves
        self.jobs = JobSystem(self)  # job-ingest/manager/exec state (jobs.py)
        self._ranks: Dict[int, BrokerRank] = {}
        self._by_uuid: Dict[str, BrokerRank] = {}

    # -- ranks are made when first needed, so a large instance starts at once --------
    def rank(self, r: int) -> BrokerRank:
        broker = self._ranks.get(r)
        if broker is None:
            if not 0 <= r < self.size:
                raise ValueError(f"rank {r} is outside this instance of size {self.size}")
            broker = BrokerRank(self, r)
            self._ranks[r] = broker
            self._by_uuid[broker.uuid] = broker
        return broker

    def rank_by_uuid(self, uuid: Optional[str]) -> Optional[BrokerRank]:
        return None if uuid is None else self._by_uuid.get(uuid)

    def started_ranks(self) -> Dict[int, BrokerRank]:
        return self._ranks

    # -- ranks going down and coming back -------------------------------------------
    def subtree(self, rank: int) -> List[int]:
        ranks = [rank]
        for r in ranks:
            ranks.extend(self.topology.children(r))
        return ranks

    def rank_down(self, rank: int) -> List[int]:
        """Take ``rank`` and the ranks below it off the overlay, as when a
        broker dies: requests routed to them now fail with EHOSTUNREACH.
        Returns the ranks that went down (the IO layer closes their sockets)."""
        if rank == 0:
            raise ValueError("rank 0 cannot go down: it is the instance")
        if not 0 < rank < self.size:
            raise ValueError(f"rank {rank} is outside this instance of size {self.size}")
        lost = [r for r in self.subtree(rank) if r not in self.down]
        self.down.update(lost)
        parent = self.topology.parent(rank)
        if parent is not None and parent in self._ranks:
            self._ranks[parent].fail_tracked(rank)
        self.jobs.sched.ranks_changed(lost, online=False)
        return lost

    def rank_up(self, rank: int) -> List[int]:
        """Bring ``rank`` (and the ranks below it) back."""
        back = [r for r in self.subtree(rank) if r in self.down]
        self.down.difference_update(back)
        for r in back:
            # A restarted broker starts afresh, with a new uuid.
            broker = self._ranks.pop(r, None)
            if broker is not None:
                self._by_uuid.pop(broker.uuid, None)
        self.jobs.sched.ranks_changed(back, online=True)
        return back

    def host_service(self, rank: int, name: str, target: Callable[[Message], None], *, replace: bool = False) -> None:
        """Install a test's own service ``name`` on ``rank``.

        A service fakeflux only keeps a placeholder for is taken over at
        once; an emulated module service (kvs, job-manager, ...) only with
        ``replace``.  Either way no rank keeps its own, so requests from
        every rank find the test's service."""
        broker = self.rank(rank)
        current = broker.modules.get(name)
        if name in broker.services and current is None:
            raise ValueError(f"service {name!r} already exists on rank {rank} and cannot be replaced")
        if current is not None and not isinstance(current, PlaceholderModule) and not replace:
            raise ValueError(f"fakeflux emulates service {name!r}: pass replace=True to put your own in its place")
        if current is not None and name in _CORE_SERVICES:
            raise ValueError(f"service {name!r} is part of the broker itself and cannot be replaced")
        if current is not None:
            self.hosted_names.add(name)
            for other in self._ranks.values():
                if name in other.modules:
                    del other.modules[name]
                    other.services.pop(name, None)
        broker.services[name] = target

    # -- who may connect -------------------------------------------------------------
    def authenticate(self, uid: int) -> Optional[int]:
        """The roles of a connection from ``uid``, or None to refuse it (EPERM)."""
        access = self.config.data.get("access", {})
        if uid == self.owner or (uid == 0 and access.get("allow-root-owner") is True):
            return C.ROLE_OWNER | C.ROLE_LOCAL
        if access.get("allow-guest-user") is True:
            return C.ROLE_USER | C.ROLE_LOCAL
        return None

    # -- events ---------------------------------------------------------------------------
    def publish_from(self, rank: int, event: Message) -> None:
        """A raw event a client sent: it travels up to rank 0 to be published."""
        if rank != 0:
            event.rolemask &= _NOT_LOCAL
            self.publish(event)
        else:
            # Sent and received on rank 0, it keeps the connector's hop too (observed).
            self.publish(event, local_routes=[self.rank(0).connector.uuid])

    def publish(self, event: Message, local_routes: Optional[List[str]] = None) -> int:
        """Give ``event`` the next sequence number and deliver it on every rank.

        Delivered events carry the receiving broker's id as their route (the
        broker-to-connector hop pushes it); only ``local_routes`` add to that,
        on rank 0.  Clients ignore routes on events.
        """
        self.event_seq += 1
        event.seq = self.event_seq
        for r, broker in self._ranks.items():
            if r in self.down or not broker.connector.subscribers:
                continue
            copy = event.copy()
            # The broker-to-connector hop pushes the broker's id on events too.
            copy.routes = [broker.uuid, *local_routes] if r == 0 and local_routes else [broker.uuid]
            if r != 0:
                copy.rolemask &= _NOT_LOCAL
            broker.deliver_event(copy)
        return self.event_seq

    # -- configuration -------------------------------------------------------------------
    def set_config(self, data: Dict[str, object]) -> None:
        self.config.data = dict(data)
        self._config_changed()

    def reload_config(self) -> None:
        self.config.reload()
        self._config_changed()

    def _config_changed(self) -> None:
        for broker in self._ranks.values():
            broker.config.notify()

    # -- logging ---------------------------------------------------------------------------
    def forward_log(self, rank: int, line: bytes) -> None:
        parent = self.topology.parent(rank)
        if parent is not None:
            self.rank(parent).log.add(line)

    def log_to_stderr(self, rank: int, line: bytes) -> None:
        """Rank 0 prints lines at or above ``log-stderr-level`` (mode leader)."""
        if self.stderr is None or rank != 0:
            return
        entry = stdlog.decode(line)
        # log.c takes a line it cannot decode as LOG_INFO.
        severity = 6 if entry is None else entry.severity
        if severity > self.rank(0).log.stderr_level:
            return
        text = line.decode("utf-8", "replace") if entry is None else stdlog.stderr_line(entry)
        print(text, file=self.stderr or sys.stderr, flush=True)

    # -- observation -------------------------------------------------------------------------
    def add_tracer(self, tracer: Tracer) -> None:
        """Have ``tracer`` see every message too, after the tracers already there."""
        current = self.tracer
        if current is None:
            self.tracer = tracer
        elif isinstance(current, TracerChain):
            current.tracers.append(tracer)
        else:
            self.tracer = TracerChain([current, tracer])

    def remove_tracer(self, tracer: Tracer) -> None:
        current = self.tracer
        if current is tracer:
            self.tracer = None
        elif isinstance(current, TracerChain) and tracer in current.tracers:
            current.tracers.remove(tracer)
            if len(current.tracers) == 1:
                self.tracer = current.tracers[0]

    def trace(self, rank: int, direction: str, client: Client, msg: Message) -> None:
        if self.tracer is not None:
            self.tracer(rank, direction, client, msg)
