"""``resource_list``: the scheduler's view of resources (``resource.sched-status``)."""

from __future__ import annotations

import errno
import json
import os
from typing import Any

from ..future import FutureExt
from ..idset import IDset
from ..memoized_property import memoized_property
from .ResourceSet import ResourceSet

__all__ = ["SchedResourceList", "ResourceListRPC", "resource_list"]


class SchedResourceList:
    """The answer of ``resource.sched-status``: ResourceSets ``all``, ``down``, ``allocated``.

    ``up`` (all - down) and ``free`` (up - allocated) are computed on first
    use; ``rlist["free"]`` works like ``rlist.free``.
    """

    def __init__(self, resp: Any) -> None:
        for state in ("all", "down", "allocated"):
            rset = resp.get(state)
            if not isinstance(rset, ResourceSet):
                rset = ResourceSet(rset)
            rset.state = state
            setattr(self, f"_{state}", rset)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError
        return getattr(self, f"_{attr}")

    def __getitem__(self, item: str) -> Any:
        return getattr(self, item)

    def filter(self, include: Any) -> None:
        """Keep only the given ranks, or hosts (an idset, hostlist or their strings)."""
        try:
            include_ranks = IDset(include)
        except ValueError:
            include_ranks = IDset(self["all"].host_ranks(include, ignore_nomatch=True))
        for state in ("all", "down", "allocated"):
            setattr(self, state, self[state].copy_ranks(include_ranks))

    @memoized_property
    def up(self) -> ResourceSet:
        """All resources that are not down."""
        res = self.all - self.down
        res.state = "up"
        return res

    @memoized_property
    def free(self) -> ResourceSet:
        """All resources neither down nor allocated."""
        res = self.up - self.allocated
        res.state = "free"
        return res

    def copy_constraint(self, constraint: Any) -> SchedResourceList:
        """A new list with only the resources matching an RFC 31 constraint."""
        return SchedResourceList(
            {state: self[state].copy_constraint(constraint) for state in ("all", "down", "allocated")}
        )


class ResourceListRPC(FutureExt):
    """The future of :func:`resource_list`; falls back to ``sched.resource-status`` on ENOSYS."""

    def __init__(self, flux_handle: Any, topic: str, nodeid: int = 0) -> None:
        self.topic = topic
        super().__init__(self._init_cb, flux_handle=flux_handle)

    def _init_cb(self, future: Any) -> None:
        future.get_flux().rpc(self.topic, nodeid=0).then(self._list_cb)

    def _list_cb(self, future: Any) -> None:
        try:
            self.fulfill(future.get())
        except OSError as exc:
            if exc.errno == errno.ENOSYS:
                future.get_flux().rpc("sched.resource-status", nodeid=0).then(self._fallback_cb)
            else:
                self.fulfill_error(exc.errno or 0, exc.strerror)

    def _fallback_cb(self, future: Any) -> None:
        try:
            self.fulfill(json.loads(future.get_str()))
        except OSError as exc:
            self.fulfill_error(exc.errno or 0, exc.strerror)

    def get(self) -> SchedResourceList:
        """The SchedResourceList (blocks until the answer arrives)."""
        return SchedResourceList(super().get())


def resource_list(flux_handle: Any) -> ResourceListRPC:
    """Ask for the scheduler's resource list (topic overridable by ``FLUX_RESOURCE_LIST_RPC``)."""
    topic = os.getenv("FLUX_RESOURCE_LIST_RPC") or "resource.sched-status"
    return ResourceListRPC(flux_handle, topic, nodeid=0)
