"""One rank's connector-local: the router between its clients and its broker
(flux-core ``librouter/router.c``, ``modules/connector-local``).

It answers subscriptions and service registration itself, pushes the client's
route on every other request, arms disconnect notices, hands requests for
client-provided services to their provider, and delivers responses and
events to clients.
"""

from __future__ import annotations

import errno
import fnmatch
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

from fakeflux.broker.client import Client
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.modules import service as service_module
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

# A request connector-local handles itself.  Service registration also has
# a part the broker does (service_add_cb): that part is returned, to run
# after the router's own checks passed.
_BrokerStep = Callable[[], None]
_Intercepted = Callable[[Client, Dict[str, object]], Optional[_BrokerStep]]

# Distinct request topics whose disconnect topic is remembered per rank: real
# clients use a handful, so a small bound keeps a fuzzing client from growing it.
_TOPIC_CACHE_SIZE = 256

# librouter/disconnect.c builds disconnect topics in a buffer of this size.
_TOPIC_BUFSIZE = 256


def disconnect_topic(topic: str) -> str:
    """``a.b.c`` -> ``a.b.disconnect``; ``a`` -> ``disconnect``."""
    head, dot, _ = topic.rpartition(".")
    return f"{head}{dot}disconnect"


class Connector:
    def __init__(self, broker: BrokerRank, uuid: str) -> None:
        self.broker = broker
        self.uuid = uuid
        self.clients: Dict[str, Client] = {}
        self.providers: Dict[str, Client] = {}  # service name -> client providing it
        self.subscribers: Dict[str, Client] = {}  # clients with at least one subscription
        self._disconnect_topics: Dict[str, str] = {}  # request topic -> its disconnect topic
        self._intercepted: Dict[str, _Intercepted] = {
            "event.subscribe": self._subscribe,
            "event.unsubscribe": self._unsubscribe,
            "service.add": self._service_add,
            "service.remove": self._service_remove,
        }

    # -- clients come and go ------------------------------------------------------
    def attach(self, client: Client) -> None:
        self.clients[client.uuid] = client

    def detach(self, client: Client) -> None:
        """The connection closed: notices to services it used, then its
        services and subscriptions go (router_entry_destroy)."""
        if client.closed:
            return
        client.closed = True
        self.clients.pop(client.uuid, None)
        self.subscribers.pop(client.uuid, None)
        client.subscriptions.clear()
        for name in sorted(client.services):
            if self.providers.get(name) is client:
                del self.providers[name]
                self.broker.services.pop(name, None)
        client.services.clear()
        notices = list(client.disconnects.values())
        client.disconnects.clear()
        if self.broker.rank in self.broker.core.down:
            return  # its broker was lost with it: a dead broker sends no notices
        for template in notices:
            notice = Message.request(
                template.topic or "",
                None,
                nodeid=template.nodeid,
                matchtag=template.matchtag,
                flags=(template.flags & C.FLAG_UPSTREAM) | C.FLAG_NORESPONSE,
                routes=list(template.routes or []),
                userid=template.userid,
                rolemask=template.rolemask,
            )
            self.broker.from_connector(self, notice)

    # -- messages from a client -------------------------------------------------------
    def receive(self, client: Client, msg: Message) -> None:
        if msg.topic is None or msg.type == C.MSGTYPE_CONTROL:
            return  # dropped silently, as router_entry_recv does
        client.stamp(msg)
        core = self.broker.core
        if core.tracer is not None:
            core.tracer(self.broker.rank, "rx", client, msg)
        if msg.type == C.MSGTYPE_REQUEST:
            handler = self._intercepted.get(msg.topic)
            if handler is not None:
                self._answer(client, msg, handler)
                return
            # (msg._flags: the flag bits other than the frame ones, read
            # without the property's cost on this per-request path)
            if not msg._flags & C.FLAG_NORESPONSE:
                dtopic = self._disconnect_topics.get(msg.topic)
                if dtopic is None:
                    if len(self._disconnect_topics) >= _TOPIC_CACHE_SIZE:
                        self._disconnect_topics.clear()  # a cache: random topics must not grow it
                    dtopic = self._disconnect_topics[msg.topic] = disconnect_topic(msg.topic)
                if len(dtopic) + 1 >= _TOPIC_BUFSIZE:
                    return  # arming the notice fails, so the request is dropped
            else:
                dtopic = ""
            # ROUTE enabled and the client's id pushed on whatever routes the
            # client put there itself (a relay such as `flux proxy` does).
            msg.push_route(client.uuid)
            if dtopic:
                key = (dtopic, msg.aux1, bool(msg._flags & C.FLAG_UPSTREAM))
                if key not in client.disconnects:
                    template = msg.copy()
                    template.topic = dtopic
                    template.payload = None
                    client.disconnects[key] = template
            self.broker.from_connector(self, msg)
        elif msg.type == C.MSGTYPE_RESPONSE:
            # From a service provider: the head route is the broker's own id,
            # pushed when the request was handed to this connector.
            if msg.pop_route() != self.broker.uuid:
                self.broker.log.log(4, "connector-local", f"dropping response {msg.topic} with a bad route")
                return
            self.broker.route_response(msg)
        elif msg.type == C.MSGTYPE_EVENT:
            msg.routes = None
            self.broker.core.publish_from(self.broker.rank, msg)

    def _answer(self, client: Client, msg: Message, handler: _Intercepted) -> None:
        errnum = 0
        asked_broker = False
        try:
            broker_step = handler(client, payload_json(msg.payload))
            if broker_step is not None:
                asked_broker = True
                broker_step()
        except ServiceError as exc:
            errnum = exc.errnum
        except ProtocolError:
            errnum = errno.EPROTO
        # router_entry_respond ignores NORESPONSE; but when the router waits
        # for the broker's answer (servhash), a NORESPONSE request never gets
        # one, so the client gets none either.
        if asked_broker and msg.flags & C.FLAG_NORESPONSE:
            return
        # A fresh message (flux_response_encode), not derived from the
        # request: none of its flags, no payload, unknown userid, OWNER role.
        response = Message(
            C.MSGTYPE_RESPONSE,
            userid=C.USERID_UNKNOWN,
            rolemask=C.ROLE_OWNER,
            aux1=errnum,
            aux2=msg.matchtag,
            routes=[],
            topic=msg.topic,
        )
        self._send(client, response)

    def _subscribe(self, client: Client, req: Dict[str, object]) -> None:
        topic = req.get("topic")
        if not isinstance(topic, str):
            raise ProtocolError("'topic' must be a string")
        client.subscriptions[topic] = client.subscriptions.get(topic, 0) + 1
        self.subscribers[client.uuid] = client

    def _unsubscribe(self, client: Client, req: Dict[str, object]) -> None:
        topic = req.get("topic")
        if not isinstance(topic, str):
            raise ProtocolError("'topic' must be a string")
        count = client.subscriptions.get(topic)
        if count is None:
            raise ServiceError(errno.ENOENT)
        if count > 1:
            client.subscriptions[topic] = count - 1
        else:
            del client.subscriptions[topic]
            if not client.subscriptions:
                self.subscribers.pop(client.uuid, None)

    def _service_add(self, client: Client, req: Dict[str, object]) -> _BrokerStep:
        name = req.get("service")
        if not isinstance(name, str):
            raise ProtocolError("'service' must be a string")
        if name in self.providers:
            raise ServiceError(errno.EEXIST)

        def at_broker() -> None:
            service_module.add(self.broker, name, client.userid, client.rolemask)
            self.providers[name] = client
            client.services.add(name)
            self.broker.services[name] = self._from_broker

        return at_broker

    def _service_remove(self, client: Client, req: Dict[str, object]) -> _BrokerStep:
        name = req.get("service")
        if not isinstance(name, str):
            raise ProtocolError("'service' must be a string")
        if self.providers.get(name) is not client:
            raise ServiceError(errno.ENOENT)

        def at_broker() -> None:
            # servhash drops its entry whatever the broker answers.
            del self.providers[name]
            client.services.discard(name)
            self.broker.services.pop(name, None)
            service_module.remove(self.broker, name, client.userid, client.rolemask)

        return at_broker

    # -- messages for clients -------------------------------------------------------------
    def _from_broker(self, msg: Message) -> None:
        """A request for a service a client of this rank provides.  The hop
        from broker to connector pushes the broker's id, which providers see."""
        topic = msg.topic or ""
        name = topic.split(".", 1)[0]
        provider = self.providers.get(name)
        if provider is None or not fnmatch.fnmatchcase(topic, f"{name}.*"):
            # Exactly ``name`` (no method): the router's ENOSYS carries no text.
            self.broker.respond_error(msg, errno.ENOSYS)
            return
        msg.push_route(self.broker.uuid)
        self._send(provider, msg)

    def deliver_response(self, msg: Message) -> None:
        """A response whose next hop is a client of this rank."""
        client = self.clients.get(msg.pop_route() or "")
        if client is None:
            return  # its requester went away: dropped, as in flux-core
        self._send(client, msg)

    def deliver_event(self, event: Message) -> None:
        if not self.subscribers:
            return
        for client in list(self.subscribers.values()):
            if client.wants_event(event):
                self._send(client, event)

    def _send(self, client: Client, msg: Message) -> None:
        if not client.closed:
            tracer = self.broker.core.tracer
            if tracer is not None:
                tracer(self.broker.rank, "tx", client, msg)
            client.send(msg)

    def client_list(self) -> List[Client]:
        return list(self.clients.values())

    def provider_of(self, name: str) -> Optional[Client]:
        return self.providers.get(name)

