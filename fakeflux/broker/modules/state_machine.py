"""``state-machine``: the broker's life cycle; a fake instance is always running."""

from __future__ import annotations

import time

from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message
from fakeflux.wire import constants as C


class StateMachineModule(BrokerModule):
    name = "state-machine"
    default_methods = {}  # built into the broker: no ping (ENOSYS, as real)
    methods = {"get": ("get", C.ROLE_ALL), "wait": ("wait", C.ROLE_USER)}

    def get(self, msg: Message) -> None:
        duration = time.time() - self.broker.core.starttime
        self.respond_json(msg, {"state": "run", "duration": duration})

    def wait(self, msg: Message) -> None:
        """Answered once the broker is in RUN, which a fake instance always is
        (``flux alloc --bg`` asks it of the instance it started)."""
        self.respond(msg)
