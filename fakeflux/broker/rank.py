"""One broker rank: its attributes, its services, and the routing rules of
flux-core's ``broker.c`` (requests) and overlay module (hops between ranks).

Everything here is synchronous and in memory: a hop to another rank is a
method call on that rank's object, with the route push and the clearing of
the LOCAL role that the real overlay performs.
"""

from __future__ import annotations

import errno
import uuid as uuidlib
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

from fakeflux.broker.attrs import AttrStore, initial_values
from fakeflux.broker.connector import Connector
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.faults import Fault
from fakeflux.broker.module import BrokerModule
from fakeflux.broker.modules import EXTRA_MODULES
from fakeflux.broker.modules.attr import AttrModule
from fakeflux.broker.modules.broker import BrokerMethods
from fakeflux.broker.modules.config import ConfigModule
from fakeflux.broker.modules.event import EventModule
from fakeflux.broker.modules.log import LogModule
from fakeflux.broker.modules.module import ModuleModule
from fakeflux.broker.modules.overlay import OverlayModule
from fakeflux.broker.modules.placeholder import NAMES as PLACEHOLDER_NAMES
from fakeflux.broker.modules.placeholder import RANK0_ONLY as PLACEHOLDER_RANK0_ONLY
from fakeflux.broker.modules.placeholder import PlaceholderModule
from fakeflux.broker.modules.state_machine import StateMachineModule
from fakeflux.wire import Message, string_payload
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.instance import InstanceCore

ServiceTarget = Callable[[Message], None]

_NOT_LOCAL = ~C.ROLE_LOCAL & 0xFFFFFFFF


class Stats:
    """Message counts, as ``broker.stats-get`` reports them."""

    def __init__(self) -> None:
        self.tx = {"request": 0, "response": 0, "event": 0, "control": 0}
        self.rx = {"request": 0, "response": 0, "event": 0, "control": 0}

    def as_dict(self) -> Dict[str, Dict[str, int]]:
        return {"tx": dict(self.tx), "rx": dict(self.rx)}


class BrokerRank:
    def __init__(self, core: InstanceCore, rank: int) -> None:
        self.core = core
        self.rank = rank
        self.uuid = str(uuidlib.uuid4())
        self.ping_uuid: Optional[str] = None  # see BrokerModule._method_ping
        topo = core.topology
        parent = topo.parent(rank)
        values = initial_values(
            rank=rank,
            size=topo.size,
            topo=topo.spec,
            level=topo.level(rank),
            maxlevel=topo.maxlevel,
            descendants=topo.descendants(rank),
            has_children=bool(topo.children(rank)),
            parent=parent,
            rundir=core.rundir,
            uuid=self.uuid,
            pid=core.pid,
            starttime=core.starttime,
            owner=core.owner,
            hostname=core.hostname,
        )
        if core.config.path is not None:
            values["config.path"] = core.config.path
        self.attrs = AttrStore(values)
        for name, value in core.setattrs.items():
            self.attrs.set_initial(name, value)
        self.stats = Stats()
        # child rank -> (route stack, matchtag) -> request forwarded to it, unanswered
        self.tracked: Dict[int, Dict[Tuple[Tuple[str, ...], int], Message]] = {}
        self.connector = Connector(self, str(uuidlib.uuid4()))
        # The broker's own handle, the route of RPCs the broker itself makes
        # (attr.c's setattr redirects); its answers come back to ``_pending``.
        self.handle_uuid = str(uuidlib.uuid4())
        self._pending: Dict[int, Callable[[Message], None]] = {}
        self._next_matchtag = 1
        self.services: Dict[str, ServiceTarget] = {}
        self.log = LogModule(self)
        self.config = ConfigModule(self)
        modules = [
            AttrModule(self),
            BrokerMethods(self),
            self.config,
            EventModule(self),
            self.log,
            StateMachineModule(self),
            OverlayModule(self),
            ModuleModule(self),
        ]
        modules.extend(
            cls(self)
            for cls, on_rank in EXTRA_MODULES
            if (on_rank is None or on_rank(rank)) and cls.name not in core.hosted_names
        )
        modules.extend(PlaceholderModule(self, n) for n in PLACEHOLDER_NAMES
                       if n not in core.hosted_names and (rank == 0 or n not in PLACEHOLDER_RANK0_ONLY))
        self.modules: Dict[str, BrokerModule] = {m.name: m for m in modules}
        for module in modules:
            self.services[module.name] = module.handle
        # "service" is a broker service too, reached only through connectors.
        self.services["service"] = self._service_direct

    # -- requests -------------------------------------------------------------------
    def from_connector(self, connector: Connector, msg: Message) -> None:
        """A request from one of this rank's clients; the hop from the
        connector module to the broker pushes the connector's id."""
        msg.push_route(connector.uuid)
        self.route_request(msg)

    def route_request(self, msg: Message) -> None:
        """``broker_request_sendmsg_new``: local service, up, or down."""
        self.stats.rx["request"] += 1
        nodeid = msg.aux1
        upstream = bool(msg._flags & C.FLAG_UPSTREAM)  # _flags: no property cost on this path
        try:
            if upstream and nodeid == self.rank:
                self.overlay_request(msg)
            elif upstream or nodeid == C.NODEID_ANY:
                if not self.handle_here(msg, final=self.rank == 0):
                    self.overlay_request(msg)
            elif nodeid == self.rank:
                self.handle_here(msg, final=True)
            else:
                self.overlay_request(msg)
        except ServiceError as exc:
            self._routing_error(msg, exc)

    def _routing_error(self, msg: Message, exc: ServiceError) -> None:
        text = exc.text
        if exc.errnum == errno.ENOSYS and text is None:
            # flux-core formats this into a 64-byte buffer.
            text = f"No service matching {msg.topic} is registered"[:63]
        self.respond_error(msg, exc.errnum, text)

    def service_for(self, msg: Message) -> Optional[ServiceTarget]:
        """The local service ``msg``'s topic names, if this rank has it."""
        topic = msg.topic or ""
        dot = topic.find(".")
        return self.services.get(topic if dot < 0 else topic[:dot])

    def handle_here(self, msg: Message, *, final: bool) -> bool:
        """Hand ``msg`` to the local service it names.  Without one, answer
        ENOSYS when this rank is the last stop (``final``), else return False."""
        target = self.service_for(msg)
        if target is None and not final:
            return False
        if self.core.faults:
            fault = self.core.faults.take(msg.topic or "", self.rank)
            if fault is not None:
                self._apply_fault(fault, msg, target)
                return True
        if target is None:
            raise ServiceError(errno.ENOSYS)
        target(msg)
        return True

    def dispatch(self, msg: Message) -> bool:
        """Hand ``msg`` to the local service its topic names, if there is one."""
        return self.handle_here(msg, final=False)

    def _apply_fault(self, fault: Fault, msg: Message, target: Optional[ServiceTarget]) -> None:
        def act() -> None:
            if fault.drop:
                return
            if fault.errnum is not None:
                self.respond_error(msg, fault.errnum, fault.text)
            elif target is None:
                self._routing_error(msg, ServiceError(errno.ENOSYS))
            else:
                target(msg)

        if fault.delay:
            if self.core.call_later is None:
                raise RuntimeError("a delaying fault needs the instance's event loop")
            self.core.call_later(fault.delay, act)
        else:
            act()

    def overlay_request(self, msg: Message) -> None:
        """The overlay module: down toward the addressed rank if it lies below
        this one, else up to the parent; at the root there is nowhere to go."""
        core = self.core
        nodeid = msg.aux1
        upstream = bool(msg.flags & C.FLAG_UPSTREAM)
        child: Optional[int] = None
        # An UPSTREAM request only ever climbs: sending it down toward its
        # nodeid (the sender's rank) would bounce it between two ranks forever.
        if not upstream and nodeid != C.NODEID_ANY:
            child = core.topology.next_hop_down(self.rank, nodeid)
        if child is not None:
            if child in core.down:
                raise ServiceError(errno.EHOSTUNREACH, None)
            target = core.rank(child)
            # The overlay's RPC tracker: if the child is lost before it answers,
            # the requester gets EHOSTUNREACH (rpc_track.c: only requests that
            # want a response and have a matchtag; a disconnect notice forgets
            # the departed client's requests).
            if not msg.flags & C.FLAG_NORESPONSE:
                if msg.aux2 != C.MATCHTAG_NONE:
                    self.tracked.setdefault(child, {})[(tuple(msg.routes or ()), msg.aux2)] = msg.copy()
            elif child in self.tracked and msg.routes and (msg.topic or "").endswith(".disconnect"):
                sender = msg.routes[-1]
                held = self.tracked[child]
                for key in [k for k in held if k[0] and k[0][-1] == sender]:
                    del held[key]
        else:
            parent = core.topology.parent(self.rank)
            if parent is None or parent in core.down:
                if parent is None and not upstream and nodeid in (0, C.NODEID_ANY):
                    raise ServiceError(errno.ENOSYS)
                raise ServiceError(errno.EHOSTUNREACH, None)
            target = core.rank(parent)
        msg.push_route(self.uuid)
        msg.rolemask &= _NOT_LOCAL
        target.route_request(msg)

    def rpc(self, topic: str, payload: Optional[bytes], then: Callable[[Message], None]) -> None:
        """An RPC of the broker's own to nodeid ANY; ``then`` gets its response
        (possibly before this returns, as everything here is synchronous)."""
        matchtag = self._next_matchtag
        self._next_matchtag += 1
        self._pending[matchtag] = then
        req = Message.request(
            topic,
            payload,
            matchtag=matchtag,
            routes=[self.handle_uuid],
            userid=self.core.owner,
            rolemask=C.ROLE_OWNER | C.ROLE_LOCAL,
        )
        self.route_request(req)

    def _service_direct(self, msg: Message) -> None:
        """``service.add`` / ``service.remove`` sent by something other than a
        client (clients' requests never get here: their connector answers)."""
        self.respond_error(msg, errno.EPROTO)

    # -- responses ----------------------------------------------------------------------
    def respond(self, req: Message, payload: Optional[bytes] = None, errnum: int = 0) -> None:
        """A response from a service of this broker, with the broker's
        credentials (owner, OWNER|LOCAL) as the real connector stamps them."""
        if req._flags & C.FLAG_NORESPONSE:
            return
        response = req.derive_response(payload, errnum)
        response.userid = self.core.owner
        response.rolemask = C.ROLE_OWNER | C.ROLE_LOCAL
        self.route_response(response)

    def respond_error(self, req: Message, errnum: int, text: Optional[str] = None) -> None:
        # flux_respond_error turns errnum 0 into EINVAL.
        self.respond(req, None if text is None else string_payload(text), errnum or errno.EINVAL)

    def route_response(self, msg: Message, came_from: Optional[int] = None) -> None:
        """Pop the next hop: this rank's connector, or a neighbouring rank."""
        self.stats.tx["response"] += 1
        if came_from is not None and came_from in self.tracked:
            final = msg.aux1 != 0 or not msg.flags & C.FLAG_STREAMING
            if final:
                self.tracked[came_from].pop((tuple(msg.routes or ()), msg.aux2), None)
        head = msg.pop_route()
        if head == self.handle_uuid:
            then = self._pending.pop(msg.matchtag, None)
            if then is not None:
                then(msg)
            return
        if head == self.connector.uuid:
            self.connector.deliver_response(msg)
            return
        neighbour = self.core.rank_by_uuid(head)
        if neighbour is None or neighbour.rank in self.core.down:
            return  # no such hop: dropped, as the real broker does
        msg.rolemask &= _NOT_LOCAL
        neighbour.route_response(msg, self.rank)

    def fail_tracked(self, child: int) -> None:
        """``child`` was lost: every request still waiting on it fails."""
        for request in self.tracked.pop(child, {}).values():
            self.respond_error(request, errno.EHOSTUNREACH)

    # -- events ---------------------------------------------------------------------------
    def deliver_event(self, event: Message) -> None:
        """An event reached this rank: its connector passes it on to clients."""
        self.stats.rx["event"] += 1
        self.connector.deliver_event(event)
