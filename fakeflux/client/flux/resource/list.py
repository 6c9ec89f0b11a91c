"""``resource_list``: the scheduler's view of resources (``resource.sched-status``)."""

from __future__ import annotations

import errno
import json
import os
from typing import Any, Dict

from ..future import FutureExt
from ..idset import IDset
from ..memoized_property import memoized_property
from .ResourceSet import ResourceSet

__all__ = ["SchedResourceList", "ResourceListRPC", "resource_list"]

# the sets the scheduler reports; up and free are derived from them
_REPORTED = ("all", "down", "allocated")

# the topic asked first, and the one older schedulers answer instead (ENOSYS from the first)
_DEFAULT_TOPIC = "resource.sched-status"
_OLD_TOPIC = "sched.resource-status"


def _labelled(value: Any, state: str) -> ResourceSet:
    rset = value if isinstance(value, ResourceSet) else ResourceSet(value)
    rset.state = state
    return rset


class SchedResourceList:
    """The answer of ``resource.sched-status``: ResourceSets ``all``, ``down``, ``allocated``.

    ``up`` (all - down) and ``free`` (up - allocated) are computed on first
    use; ``rlist["free"]`` works like ``rlist.free``.
    """

    def __init__(self, resp: Any) -> None:
        self._reported: Dict[str, ResourceSet] = {state: _labelled(resp.get(state), state) for state in _REPORTED}

    def __getattr__(self, attr: str) -> Any:
        # only reached for names not set on the object: the reported sets
        if not attr.startswith("_") and attr in self._reported:
            return self._reported[attr]
        raise AttributeError(attr)

    def __getitem__(self, item: str) -> Any:
        return getattr(self, item)

    def filter(self, include: Any) -> None:
        """Keep only the given ranks, or hosts (an idset, hostlist or their strings)."""
        try:
            ranks = IDset(include)
        except ValueError:
            ranks = IDset(self["all"].host_ranks(include, ignore_nomatch=True))
        self._reported = {state: self[state].copy_ranks(ranks) for state in _REPORTED}

    @memoized_property
    def up(self) -> ResourceSet:
        """All resources that are not down."""
        return _labelled(self.all - self.down, "up")

    @memoized_property
    def free(self) -> ResourceSet:
        """All resources neither down nor allocated."""
        return _labelled(self.up - self.allocated, "free")

    def copy_constraint(self, constraint: Any) -> SchedResourceList:
        """A new list with only the resources matching an RFC 31 constraint."""
        return SchedResourceList({state: self[state].copy_constraint(constraint) for state in _REPORTED})


class ResourceListRPC(FutureExt):
    """The future of :func:`resource_list`: asks ``topic``, and ``sched.resource-status``
    if that one is not implemented (ENOSYS)."""

    def __init__(self, flux_handle: Any, topic: str, nodeid: int = 0) -> None:
        self.topic = topic
        super().__init__(self._ask_first, flux_handle=flux_handle)

    def _ask_first(self, future: Any) -> None:
        future.get_flux().rpc(self.topic, nodeid=0).then(self._answered)

    def _answered(self, rpc: Any) -> None:
        try:
            self.fulfill(rpc.get())
            return
        except OSError as exc:
            if exc.errno != errno.ENOSYS:
                self.fulfill_error(exc.errno or 0, exc.strerror)
                return
        rpc.get_flux().rpc(_OLD_TOPIC, nodeid=0).then(self._answered_old)

    def _answered_old(self, rpc: Any) -> None:
        try:
            payload = json.loads(rpc.get_str())
        except OSError as exc:
            self.fulfill_error(exc.errno or 0, exc.strerror)
        else:
            self.fulfill(payload)

    def get(self) -> SchedResourceList:
        """The SchedResourceList (blocks until the answer arrives)."""
        return SchedResourceList(super().get())


def resource_list(flux_handle: Any) -> ResourceListRPC:
    """Ask for the scheduler's resource list (topic overridable by ``FLUX_RESOURCE_LIST_RPC``)."""
    return ResourceListRPC(flux_handle, os.getenv("FLUX_RESOURCE_LIST_RPC") or _DEFAULT_TOPIC, nodeid=0)
