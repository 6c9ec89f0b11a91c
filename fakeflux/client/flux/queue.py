"""Queues: configuration, state and resources of each (flux-core's ``flux.queue``).

``QueueList(handle, queues=None)`` reads the resource list, the config
(``config.get``) and ``job-manager.queue-status``; it is indexed and has
attributes by queue name (``""`` or None for the single anonymous queue)
and iterates over ``QueueInfo`` objects: ``name``, ``is_default``,
``enabled``, ``started``, ``blocked``, ``parent`` (RFC 33 virtual queue),
``defaults.duration``, ``limits.{min,max}.{nnodes,ncores,ngpus}``,
``limits.duration`` and ``resources.{all,up,down,allocated,free}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, Optional

from .util import parse_fsd


def _resource_list(handle: Any) -> Any:
    from .resource import resource_list

    return resource_list(handle)


@dataclass
class QueueResourceCounts:
    """Counts of nodes, cores and GPUs (``inf`` where there is no maximum)."""

    nnodes: float
    ncores: float
    ngpus: float


@dataclass
class QueueLimits:
    """A queue's job-size ``min``/``max`` and its ``duration`` limit (``timelimit``) in seconds."""

    min: QueueResourceCounts
    max: QueueResourceCounts
    duration: float

    @property
    def timelimit(self) -> float:
        """``duration``, under the name ``flux queue list`` uses."""
        return self.duration


@dataclass
class QueueDefaults:
    """A queue's default job ``duration`` (``timelimit``) in seconds."""

    duration: float

    @property
    def timelimit(self) -> float:
        return self.duration


def _parent_missing(name: str, parent: str) -> ValueError:
    # The parent comes from queue-status and the config from config.get: a
    # reload between the two can lose it, which must not go unnoticed.
    return ValueError(f"queue '{name}': parent queue '{parent}' is not configured")


class QueueResources:
    """A queue's resources (its ``requires``, or its parent's): ``all``, ``up``, ``down``, ``allocated``, ``free``."""

    def __init__(self, name: Optional[str], resources: Any, config: Dict[str, Any], parent: str = "") -> None:
        queues = config.get("queues", {})
        requires = queues[name].get("requires") if name and name in queues else None
        if requires is None and parent:
            if parent not in queues:
                raise _parent_missing(name or "", parent)
            requires = queues[parent].get("requires")
        if requires is not None:
            self._resource_list = resources.copy_constraint({"properties": requires})
        else:
            self._resource_list = resources

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.__dict__["_resource_list"], attr)


class QueueInfo:
    """One queue; limits and defaults are looked up in its config, its parent's, then the global one."""

    def __init__(
        self,
        name: Optional[str],
        config: Dict[str, Any],
        resources: Any,
        enabled: bool,
        started: bool,
        default: bool,
        parent: str = "",
        blocked: Optional[str] = None,
    ) -> None:
        self.name = name or ""
        self.config = config
        self.is_default = default
        self.enabled = enabled
        self.started = started
        self.parent = parent or ""
        self.blocked = blocked
        self.resources = QueueResources(name, resources, config, self.parent)
        self.defaults = QueueDefaults(duration=parse_fsd(self._policy_default("duration")))
        self.limits = QueueLimits(
            min=QueueResourceCounts(
                nnodes=self._size_limit("nnodes", False),
                ncores=self._size_limit("ncores", False),
                ngpus=self._size_limit("ngpus", False),
            ),
            max=QueueResourceCounts(
                nnodes=self._size_limit("nnodes"),
                ncores=self._size_limit("ncores"),
                ngpus=self._size_limit("ngpus"),
            ),
            duration=parse_fsd(self._policy_system_limit("duration")),
        )

    def _config_entries(self) -> Iterator[Dict[str, Any]]:
        """Where each key is looked up, in order (each key on its own, RFC 33 inheritance)."""
        queues = self.config.get("queues", {})
        if self.name in queues:
            yield queues[self.name]
        if self.parent:
            if self.parent not in queues:
                raise _parent_missing(self.name, self.parent)
            yield queues[self.parent]
        yield self.config

    def _size_limit(self, key: str, maximum: bool = True) -> float:
        which = "max" if maximum else "min"
        for entry in self._config_entries():
            try:
                val = entry["policy"]["limits"]["job-size"][which][key]
            except KeyError:
                continue
            return math.inf if val < 0 else val
        return math.inf if maximum else 0

    def _policy_default(self, key: str, default: str = "inf") -> Any:
        for entry in self._config_entries():
            try:
                return entry["policy"]["jobspec"]["defaults"]["system"][key]
            except KeyError:
                continue
        return default

    def _policy_system_limit(self, key: str, default: str = "inf") -> Any:
        for entry in self._config_entries():
            try:
                return entry["policy"]["limits"][key]
            except KeyError:
                continue
        return default


class QueueList:
    """The configured queues (all, or those named in ``queues``; ValueError "No such queue: NAME")."""

    def __init__(self, handle: Any, queues: Optional[Iterable[str]] = None) -> None:
        resource_future = _resource_list(handle)
        config_future = handle.rpc("config.get")
        resources, config = resource_future.get(), config_future.get()
        self.default_queue = self.__default_queue(config)
        queue_config = self.__queue_config(config, queues)
        status = self.__fetch_queue_status(handle, queue_config.keys())
        self.__queue: Optional[QueueInfo] = None  # the anonymous queue, if that is all there is
        if not queue_config:
            self.__queue = QueueInfo(
                None,
                config,
                resources,
                status["enable"],
                status["start"],
                True,
                status.get("parent", ""),
                status.get("blocked"),
            )
            self.__queues: Dict[str, Optional[QueueInfo]] = {"": self.__queue}
        else:
            self.__queues = {
                name: QueueInfo(
                    name,
                    config,
                    resources,
                    status[name]["enable"],
                    status[name]["start"],
                    name == self.default_queue,
                    status[name].get("parent", ""),
                    status[name].get("blocked"),
                )
                for name in queue_config
            }

    def __getattr__(self, attr: str) -> Any:
        return self.__dict__["_QueueList__queues"][attr]

    def __getitem__(self, item: Optional[str]) -> Optional[QueueInfo]:
        if item is None:
            return self.__queue
        return self.__queues[item]

    def __iter__(self) -> Iterator[Optional[QueueInfo]]:
        if self.__queues:
            return iter(self.__queues.values())
        return iter([None])

    @staticmethod
    def __default_queue(config: Dict[str, Any]) -> str:
        try:
            return str(config["policy"]["jobspec"]["defaults"]["system"]["queue"])
        except KeyError:
            return ""

    @staticmethod
    def __queue_config(config: Dict[str, Any], queues: Optional[Iterable[str]]) -> Dict[str, Any]:
        if not queues:
            return config.get("queues", {})
        result = {}
        for queue in queues:
            try:
                result[queue] = config["queues"][queue]
            except KeyError:
                raise ValueError(f"No such queue: {queue}") from None
        return result

    @staticmethod
    def __fetch_queue_status(handle: Any, queues: Iterable[str]) -> Dict[str, Any]:
        names = list(queues)
        if not names:
            return handle.rpc("job-manager.queue-status", {}).get()
        rpcs = {queue: handle.rpc("job-manager.queue-status", {"name": queue}) for queue in names}
        return {queue: rpc.get() for queue, rpc in rpcs.items()}
