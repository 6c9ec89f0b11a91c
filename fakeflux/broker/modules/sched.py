"""The scheduler's own services (flux-core's sched-simple registers them on
rank 0): ``feasibility.check`` (could this jobspec ever run here?) and
``sched.resource-status`` (the scheduler's view of all, allocated and down
resources).  The scheduling itself is :mod:`fakeflux.broker.jobs.sched`."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs import resources as res
from fakeflux.broker.jobs.sched import Infeasible, SchedRequest, SimpleScheduler
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


class _SchedService(BrokerModule):
    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)

    @property
    def sched(self) -> SimpleScheduler:
        return self.broker.core.jobs.sched

    def _nodes(self) -> Dict[int, res.Node]:
        try:
            return self.sched.nodes()
        except res.ResourceConfigError as exc:
            raise ServiceError(errno.EINVAL, str(exc)) from None


class FeasibilityModule(_SchedService):
    name = "feasibility"
    default_methods = {}  # sched-simple answers ping as "sched-simple" only
    methods = {"check": ("check", C.ROLE_USER)}

    def check(self, msg: Message) -> None:
        """EOVERFLOW with the unsatisfiable text when the whole resource set
        could never hold the request; EINVAL when it cannot be read."""
        jobspec = payload_json(msg.payload).get("jobspec", {})
        self._nodes()
        try:
            self.sched.check_feasible(SchedRequest(jobspec))
        except Infeasible as exc:
            raise ServiceError(errno.EOVERFLOW, str(exc)) from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ServiceError(errno.EINVAL, str(exc)) from None
        self.respond(msg)


class SchedModule(_SchedService):
    name = "sched"
    default_methods = {}  # sched-simple answers ping as "sched-simple" only
    methods = {"resource-status": ("resource_status", C.ROLE_USER)}

    def resource_status(self, msg: Message) -> None:
        nodes = self._nodes()
        hosts = self.sched.hostnames()
        whole = [(r, n.cores, n.gpus) for r, n in sorted(nodes.items())]
        down = [(r, n.cores, n.gpus) for r, n in sorted(nodes.items()) if not self.sched.is_up(r)]
        # the pool's copies of allocated and down resources carry no nodelist
        out: Dict[str, Any] = {
            "all": res.encode_R(whole, hosts, 0.0, 0.0),
            "allocated": res.encode_R(self.sched.allocated(), hosts, 0.0, 0.0, nodelist=False),
            "down": res.encode_R(down, hosts, 0.0, 0.0, nodelist=False),
        }
        self.respond_json(msg, out)
