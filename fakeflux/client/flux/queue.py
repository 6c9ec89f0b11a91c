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
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from .util import parse_fsd

_MISSING = object()


def _dig(tree: Any, path: Sequence[str]) -> Any:
    """``tree[path[0]][path[1]]...``, or _MISSING where a level is absent."""
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return _MISSING
        tree = tree[key]
    return tree


def _parent_missing(name: str, parent: str) -> ValueError:
    # The parent comes from queue-status and the config from config.get: a
    # reload between the two can lose it, which must not go unnoticed.
    return ValueError(f"queue '{name}': parent queue '{parent}' is not configured")


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


class QueueResources:
    """A queue's resources (its ``requires``, or its parent's): ``all``, ``up``, ``down``, ``allocated``, ``free``."""

    def __init__(self, name: Optional[str], resources: Any, config: Dict[str, Any], parent: str = "") -> None:
        configured = config.get("queues", {})
        own = configured.get(name, {}) if name else {}
        requires = own.get("requires")
        if requires is None and parent:
            # a virtual queue (RFC 33) has its parent's slice of the resources
            if parent not in configured:
                raise _parent_missing(name or "", parent)
            requires = configured[parent].get("requires")
        self._resource_list = resources if requires is None else resources.copy_constraint({"properties": requires})

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.__dict__["_resource_list"], attr)


class QueueInfo:
    """One queue; each limit and default is looked up in its config, its parent's, then the global one."""

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
        self.defaults = QueueDefaults(
            duration=parse_fsd(self._setting(["policy", "jobspec", "defaults", "system", "duration"], "inf"))
        )
        low, high = (
            {kind: self._size_limit(kind, maximum) for kind in ("nnodes", "ncores", "ngpus")}
            for maximum in (False, True)
        )
        self.limits = QueueLimits(
            min=QueueResourceCounts(**low),
            max=QueueResourceCounts(**high),
            duration=parse_fsd(self._setting(["policy", "limits", "duration"], "inf")),
        )

    def _config_entries(self) -> List[Dict[str, Any]]:
        """The configs a setting is looked up in, first found wins (RFC 33 inheritance, key by key)."""
        configured = self.config.get("queues", {})
        layers = [configured[self.name]] if self.name in configured else []
        if self.parent:
            if self.parent not in configured:
                raise _parent_missing(self.name, self.parent)
            layers.append(configured[self.parent])
        return [*layers, self.config]

    def _setting(self, path: Sequence[str], default: Any) -> Any:
        for layer in self._config_entries():
            value = _dig(layer, path)
            if value is not _MISSING:
                return value
        return default

    def _size_limit(self, key: str, maximum: bool = True) -> float:
        which = "max" if maximum else "min"
        value = self._setting(["policy", "limits", "job-size", which, key], _MISSING)
        if value is _MISSING:
            return math.inf if maximum else 0
        return math.inf if value < 0 else value

    # flux-core's names for the two lookups above
    def _policy_default(self, key: str, default: str = "inf") -> Any:
        return self._setting(["policy", "jobspec", "defaults", "system", key], default)

    def _policy_system_limit(self, key: str, default: str = "inf") -> Any:
        return self._setting(["policy", "limits", key], default)


class QueueList:
    """The configured queues (all, or those named in ``queues``; ValueError "No such queue: NAME")."""

    def __init__(self, handle: Any, queues: Optional[Iterable[str]] = None) -> None:
        from .resource import resource_list

        listing, asking = resource_list(handle), handle.rpc("config.get")  # both asked at once
        resources, config = listing.get(), asking.get()
        default = _dig(config, ["policy", "jobspec", "defaults", "system", "queue"])
        self.default_queue = "" if default is _MISSING else str(default)
        chosen = self._chosen(config, queues)
        self.__queue: Optional[QueueInfo] = None  # the anonymous queue, when there is no other
        self.__queues: Dict[str, Optional[QueueInfo]] = {}
        if not chosen:
            status = handle.rpc("job-manager.queue-status", {}).get()
            self.__queue = self._info(None, config, resources, status, True)
            self.__queues[""] = self.__queue
            return
        asked = {name: handle.rpc("job-manager.queue-status", {"name": name}) for name in chosen}
        for name, future in asked.items():
            self.__queues[name] = self._info(name, config, resources, future.get(), name == self.default_queue)

    @staticmethod
    def _info(name: Optional[str], config: Any, resources: Any, status: Dict[str, Any], default: bool) -> QueueInfo:
        return QueueInfo(
            name,
            config,
            resources,
            status["enable"],
            status["start"],
            default,
            status.get("parent", ""),
            status.get("blocked"),
        )

    @staticmethod
    def _chosen(config: Dict[str, Any], queues: Optional[Iterable[str]]) -> Dict[str, Any]:
        configured = config.get("queues", {})
        if not queues:
            return dict(configured)
        missing = [name for name in queues if name not in configured]
        if missing:
            raise ValueError(f"No such queue: {missing[0]}")
        return {name: configured[name] for name in queues}

    def __getattr__(self, attr: str) -> Any:
        return self.__dict__["_QueueList__queues"][attr]

    def __getitem__(self, item: Optional[str]) -> Optional[QueueInfo]:
        return self.__queue if item is None else self.__queues[item]

    def __iter__(self) -> Iterator[Optional[QueueInfo]]:
        return iter(list(self.__queues.values()) or [None])
