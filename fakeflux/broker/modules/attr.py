"""``attr``: broker attributes (flux-core ``src/broker/attr.c``)."""

from __future__ import annotations

from fakeflux.broker.module import BrokerModule, string_field
from fakeflux.wire import Message, payload_json
from fakeflux.wire import constants as C


class AttrModule(BrokerModule):
    name = "attr"
    methods = {
        "get": ("get", C.ROLE_ALL),
        "list": ("list", C.ROLE_ALL),
        "set": ("set", 0),
        "rm": ("rm", 0),
    }

    def get(self, msg: Message) -> None:
        name = string_field(payload_json(msg.payload), "name")
        value, flags = self.broker.attrs.get(name)
        self.respond_json(msg, {"value": value, "flags": flags})

    def list(self, msg: Message) -> None:
        self.respond_json(msg, {"names": list(self.broker.attrs.names())})

    def set(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        name = string_field(req, "name")
        value = string_field(req, "value")
        force = req.get("force", False)
        self.broker.attrs.set(name, value, force=bool(force))
        self.respond(msg)

    def rm(self, msg: Message) -> None:
        name = string_field(payload_json(msg.payload), "name")
        self.broker.attrs.remove(name)
        self.respond(msg)
