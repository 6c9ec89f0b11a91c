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
    default_methods = {}  # built into the broker: no ping (ENOSYS, as real)
    methods = {"publish": ("publish", C.ROLE_USER)}

    def publish(self, msg: Message) -> None:
        # As event_publish_cb: the request is unpacked ("{s:s s:i s?s}")
        # before the rank is checked, so a bad request is EPROTO everywhere.
        req = payload_json(msg.payload)
        topic = string_field(req, "topic")
        flags = req.get("flags")
        if not isinstance(flags, int) or isinstance(flags, bool):
            raise ProtocolError("'flags' must be an integer")
        encoded = req.get("payload")  # s?s: absent or null means none
        if encoded is not None and not isinstance(encoded, str):
            raise ProtocolError("'payload' must be a base64 string")
        if self.broker.rank != 0:
            raise ServiceError(errno.EPROTO, "this service is only available on rank 0")
        if flags & ~C.FLAG_PRIVATE:
            raise ServiceError(errno.EPROTO)
        payload = None
        if encoded is not None:
            try:
                payload = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ServiceError(errno.EPROTO) from None
        event = Message.event(
            topic,
            payload or None,  # flux_msg_set_payload of 0 bytes sets no payload
            flags=flags & C.FLAG_PRIVATE,
            routes=[],
            userid=msg.userid,
            rolemask=msg.rolemask,
        )
        seq = self.broker.core.publish(event)
        self.respond_json(msg, {"seq": seq})
