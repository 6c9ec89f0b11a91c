"""``module``: the list of loaded broker modules (flux-core ``modhash.c``),
for ``flux module list``.

The list is the one a real ``flux start --test-size=N`` instance gives
(recorded from flux-core v0.88): eighteen modules on rank 0, twelve on the
others, each with the services it registers.  A module is listed when
fakeflux serves at least one of its services on that rank (so one that
fakeflux lacks there is left out rather than claimed); its path is
"builtin" for the broker's builtin modules, as flux-core says, and
otherwise the file of the fakeflux module that emulates it, where flux-core
names its DSO."""

from __future__ import annotations

import inspect
import time
from typing import Any, Dict, List, Optional, Tuple

from fakeflux.broker.module import BrokerModule
from fakeflux.broker.modules.placeholder import PlaceholderModule
from fakeflux.wire import Message
from fakeflux.wire import constants as C

_RUNNING = 1  # FLUX_MODSTATE_RUNNING

# (name, services, builtin, on rank 0 only), as a real test instance loads them
MODULES: Tuple[Tuple[str, Tuple[str, ...], bool, bool], ...] = (
    ("config", ("config",), True, False),
    ("connector-local", ("connector-local",), True, False),
    ("content", ("content",), False, False),
    ("content-sqlite", ("content-sqlite", "content-backing"), False, True),
    ("cron", ("cron",), False, True),
    ("groups", ("groups",), True, False),
    ("heartbeat", ("heartbeat",), False, False),
    ("job-exec", ("job-exec",), False, True),
    ("job-info", ("job-info",), False, False),
    ("job-ingest", ("job-ingest",), False, False),
    ("job-list", ("job-list",), False, True),
    ("job-manager", ("job-manager",), False, True),
    ("kvs", ("kvs",), False, False),
    ("kvs-watch", ("kvs-watch",), False, False),
    ("overlay", ("overlay",), True, False),
    ("resource", ("resource",), False, False),
    ("rexec", ("rexec",), True, False),
    ("sched-simple", ("sched-simple", "feasibility", "sched"), False, True),
)


class ModuleModule(BrokerModule):
    name = "module"
    default_methods = {}  # built into the broker: no ping (ENOSYS, as real)
    methods = {"list": ("list", C.ROLE_ALL)}

    def list(self, msg: Message) -> None:
        idle = int(time.time() - self.broker.core.starttime)
        mods: List[Dict[str, Any]] = []
        for name, services, builtin, rank0_only in MODULES:
            if rank0_only and self.broker.rank != 0:
                continue
            served = [self.broker.modules[s] for s in services if s in self.broker.modules]
            if not served:
                continue
            mods.append({
                "name": name,
                "path": "builtin" if builtin else _source_of(served[0]),
                "idle": idle,
                "status": _RUNNING,
                "services": list(services),
                "sendqueue": 0,
                "recvqueue": 0,
            })
        self.respond_json(msg, {"mods": mods})


def _source_of(module: BrokerModule) -> str:
    """The file that emulates a module (a placeholder's for one fakeflux does not)."""
    cls = PlaceholderModule if isinstance(module, PlaceholderModule) else type(module)
    path: Optional[str] = inspect.getsourcefile(cls)
    return path or "builtin"
