"""``event``: publishing by RPC (flux-core ``broker.c`` ``event_publish_cb``).

Subscriptions never reach the broker as requests: each rank's connector
answers ``event.subscribe`` / ``event.unsubscribe`` itself (connector.py).
"""

from __future__ import annotations

import base64
import binascii
import errno

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule, string_field
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C


class EventModule(BrokerModule):
    name = "event"
    methods = {"publish": ("publish", C.ROLE_USER)}

    def publish(self, msg: Message) -> None:
        if self.broker.rank != 0:
            raise ServiceError(errno.EPROTO, "this service is only available on rank 0")
        req = payload_json(msg.payload)
        topic = string_field(req, "topic")
        flags = req.get("flags")
        if not isinstance(flags, int) or flags & ~C.FLAG_PRIVATE:
            raise ServiceError(errno.EPROTO)
        payload = None
        if "payload" in req:
            encoded = req["payload"]
            if not isinstance(encoded, str):
                raise ProtocolError("'payload' must be a base64 string")
            try:
                payload = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ServiceError(errno.EPROTO) from None
        event = Message.event(
            topic,
            payload,
            flags=flags & C.FLAG_PRIVATE,
            routes=[],
            userid=msg.userid,
            rolemask=msg.rolemask,
        )
        seq = self.broker.core.publish(event)
        self.respond_json(msg, {"seq": seq})
