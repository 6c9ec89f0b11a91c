"""Services a real instance has that fakeflux does not emulate (yet).

Their names stay taken, so ``service.add`` of e.g. ``kvs`` fails with EEXIST
as on real Flux, and they answer ``ping``; any other method gets ENOSYS with
a text that says plainly that fakeflux lacks it, rather than a made-up answer.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

# Services a `flux start --test-size=N` instance has on every rank
# (but RANK0_ONLY: there only; no barrier module is loaded at all).
NAMES = (
    "heaptrace",
    "bootstrap",
    "runat",
    "shutdown",
    "rexec",
    "connector-local",
    "job-exec",
    "cron",
    "heartbeat",
)
RANK0_ONLY = ("job-exec", "cron")

# Those of them built into the broker: no ping (ENOSYS, "Unknown service method").
BUILT_IN = ("heaptrace", "bootstrap", "runat", "shutdown")


class PlaceholderModule(BrokerModule):
    methods = {}

    def __init__(self, broker: BrokerRank, name: str) -> None:  # noqa: F821
        self.name = name
        if name in BUILT_IN:
            self.default_methods = {}
        super().__init__(broker)

    def handle(self, msg: Message) -> None:
        topic = msg.topic or ""
        if topic == f"{self.name}.ping":
            super().handle(msg)
        elif not topic.endswith(".disconnect"):
            self.respond_error(msg, errno.ENOSYS, f"fakeflux does not emulate {topic}")
