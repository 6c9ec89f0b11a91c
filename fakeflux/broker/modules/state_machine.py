"""``state-machine``: the broker's life cycle; a fake instance is always running."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fakeflux.broker import kvs_store as K
from fakeflux.broker.attrs import FLUX_VERSION
from fakeflux.broker.jobs.eventlog import eventlog_entry
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class StateMachineModule(BrokerModule):
    name = "state-machine"
    default_methods = {}  # built into the broker: no ping (ENOSYS, as real)
    methods = {"get": ("get", C.ROLE_ALL), "wait": ("wait", C.ROLE_USER)}

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        if broker.rank == 0:
            self._post_start_event()

    def _post_start_event(self) -> None:
        """``admin.eventlog``: the start event flux-core's rc1 posts (``flux startlog``)."""
        core = self.broker.core
        line = eventlog_entry(core.starttime, "start", {"version": 1, "core_version": FLUX_VERSION})
        core.kvs.apply(K.PRIMARY, [{"key": "admin.eventlog", "flags": K.APPEND, "dirent": K.val(line.encode())}])

    def get(self, msg: Message) -> None:
        duration = time.time() - self.broker.core.starttime
        self.respond_json(msg, {"state": "run", "duration": duration})

    def wait(self, msg: Message) -> None:
        """Answered once the broker is in RUN, which a fake instance always is
        (``flux alloc --bg`` asks it of the instance it started)."""
        self.respond(msg)
