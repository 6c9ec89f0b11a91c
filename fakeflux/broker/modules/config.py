"""``config``: the instance's TOML configuration (flux-core ``modules/config``)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, List

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class ConfigModule(BrokerModule):
    name = "config"
    methods = {
        "get": ("get", C.ROLE_USER),
        "load": ("load", 0),
        "reload": ("reload", 0),
        "disconnect": ("disconnect", C.ROLE_ALL),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        self.watchers: List[Message] = []  # streaming config.get requests

    def get(self, msg: Message) -> None:
        self.respond_json(msg, self.broker.core.config.data)
        if msg.flags & C.FLAG_STREAMING:
            self.watchers.append(msg)

    def load(self, msg: Message) -> None:
        if self.broker.rank != 0:
            raise ServiceError(errno.EINVAL, "configuration can only be changed on rank 0")
        self.broker.core.set_config(payload_json(msg.payload))
        self.respond(msg)

    def reload(self, msg: Message) -> None:
        self.broker.core.reload_config()
        self.respond(msg)

    def notify(self) -> None:
        """The config changed: every streaming ``config.get`` gets the new object."""
        for msg in self.watchers:
            self.respond_json(msg, self.broker.core.config.data)

    def disconnect(self, msg: Message) -> None:
        sender = msg.sender
        self.watchers = [w for w in self.watchers if w.sender != sender]
