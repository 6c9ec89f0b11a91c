"""``attr``: broker attributes (flux-core ``src/broker/attr.c``)."""

from __future__ import annotations

import os

from fakeflux.broker.attrs import setattr_redirect
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule, string_field
from fakeflux.wire import Message, ProtocolError, json_payload, payload_json, payload_string
from fakeflux.wire import constants as C


class AttrModule(BrokerModule):
    name = "attr"
    default_methods = {}  # built into the broker: no ping (ENOSYS, as real)
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
        force = bool(req.get("force", False))
        attrs = self.broker.attrs
        attrs.check_update(name, force=force)
        topic = setattr_redirect(name)
        if topic is None or force:
            attrs.store(name, value)
            self.respond(msg)
            return

        def then(resp: Message) -> None:
            # attr.c answers with the redirect's error, its text or else
            # strerror (future_strerror); on success it stores the value.
            if resp.errnum:
                self.respond_error(msg, resp.errnum, error_text(resp))
                return
            try:
                attrs.store(name, value)
            except ServiceError as exc:
                self.respond_error(msg, exc.errnum, os.strerror(exc.errnum))
                return
            self.respond(msg)

        self.broker.rpc(topic, json_payload({"name": name, "value": value}), then)

    def rm(self, msg: Message) -> None:
        name = string_field(payload_json(msg.payload), "name")
        self.broker.attrs.remove(name)
        self.respond(msg)


def error_text(resp: Message) -> str:
    """What ``future_strerror`` gives for an error response."""
    try:
        text = payload_string(resp.payload)
    except ProtocolError:
        text = None
    return text if text else os.strerror(resp.errnum)
