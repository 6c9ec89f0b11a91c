"""``module``: the list of loaded broker modules (flux-core ``modhash.c``),
for ``flux module list``: every emulated or placeholder module service."""

from __future__ import annotations

import time

from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message
from fakeflux.wire import constants as C

# The broker's own services are not modules; everything else a rank hosts is.
_BROKER_SERVICES = {
    "broker",
    "attr",
    "log",
    "event",
    "service",
    "module",
    "state-machine",
    "heaptrace",
    "bootstrap",
    "runat",
    "shutdown",
}
_RUNNING = 1  # FLUX_MODSTATE_RUNNING


class ModuleModule(BrokerModule):
    name = "module"
    methods = {"list": ("list", C.ROLE_ALL)}

    def list(self, msg: Message) -> None:
        now = time.time()
        mods = []
        for name in sorted(self.broker.modules):
            if name in _BROKER_SERVICES:
                continue
            mods.append(
                {
                    "name": name,
                    "path": "builtin",
                    "idle": int(now - self.broker.core.starttime),
                    "status": _RUNNING,
                    "services": [name],
                    "sendqueue": 0,
                    "recvqueue": 0,
                }
            )
        self.respond_json(msg, {"mods": mods})
