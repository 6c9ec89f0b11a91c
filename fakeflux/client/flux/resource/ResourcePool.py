"""``flux.resource.ResourcePool``: the public face of a scheduler resource pool (Rv1Pool for R version 1)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Tuple

from .ResourcePoolImplementation import InfeasibleRequest, InsufficientResources, ResourcePoolImplementation

__all__ = ["ResourcePool"]

_POOL_CLASS_CACHE: Dict[str, Any] = {}


def _pool_class_from_uri(uri: str) -> Any:
    """The pool class named by ``module`` (its ``pool_class``) or ``module:Class``; None if absent.

    A bare module name is also looked for in ``flux.resource``.  Only found
    classes are cached, so a module installed later is still found.
    """
    if uri in _POOL_CLASS_CACHE:
        return _POOL_CLASS_CACHE[uri]
    module_name, _, cls_name = uri.partition(":")
    module_name = module_name.replace("-", "_")
    candidates = [module_name] if "." in module_name else [module_name, f"flux.resource.{module_name}"]
    module = None
    for candidate in candidates:
        try:
            module = importlib.import_module(candidate)
            break
        except ImportError:
            continue
    result = None
    if module is not None:
        result = getattr(module, cls_name, None) if cls_name else getattr(module, "pool_class", None)
    if result is not None:
        _POOL_CLASS_CACHE[uri] = result
    return result


class ResourcePool:
    """A resource pool from R (JSON text or dict, by version) or a pool implementation.

    Allocation and copies keep the subclass of the wrapper.
    """

    InsufficientResources = InsufficientResources
    InfeasibleRequest = InfeasibleRequest

    def __init__(self, arg: Any = None, version: int = 1, log: Optional[Callable[..., Any]] = None, **kwargs: Any):
        if isinstance(arg, ResourcePoolImplementation):
            self.impl: Any = arg
            self.version = getattr(arg, "version", version)
            return
        if isinstance(arg, str):
            arg = json.loads(arg)
        if isinstance(arg, Mapping):
            version = arg.get("version", version)
        elif arg is not None:
            raise TypeError(f"ResourcePool cannot be instantiated from {type(arg)}")
        if version != 1:
            raise ValueError(f"R version {version} not supported by ResourcePool")
        from .Rv1Pool import Rv1Pool

        self.impl = Rv1Pool(arg, log=log, **kwargs)
        self.version = 1

    @classmethod
    def _from_impl(cls, impl: Any) -> ResourcePool:
        """Wrap an implementation without running a subclass's ``__init__``."""
        new = cls.__new__(cls)
        new.impl = impl
        new.version = getattr(impl, "version", 1)
        return new

    @property
    def generation(self) -> int:
        return int(self.impl.generation)

    def mark_up(self, ids: str) -> None:
        self.impl.mark_up(ids)

    def mark_down(self, ids: str) -> None:
        self.impl.mark_down(ids)

    def remove_ranks(self, ranks: Any) -> None:
        self.impl.remove_ranks(ranks)

    @property
    def expiration(self) -> float:
        return float(self.impl.get_expiration())

    @expiration.setter
    def expiration(self, value: float) -> None:
        self.impl.set_expiration(value)

    def register_alloc(self, jobid: int, R: Any) -> None:  # noqa: N803 - flux-core's name
        self.impl.register_alloc(jobid, R.impl if isinstance(R, ResourcePool) else R)

    def free(self, jobid: int, R: Any = None, final: bool = False) -> None:  # noqa: N803
        self.impl.free(jobid, R.impl if isinstance(R, ResourcePool) else R, final)

    def update_expiration(self, jobid: int, expiration: float) -> None:
        self.impl.update_expiration(jobid, expiration)

    def job_end_times(self) -> List[Tuple[int, float]]:
        return list(self.impl.job_end_times())

    def parse_resource_request(self, jobspec: dict) -> Any:
        return self.impl.parse_resource_request(jobspec)

    def alloc(self, jobid: int, request: Any) -> ResourcePool:
        return self._from_impl(self.impl.alloc(jobid, request))

    def check_feasibility(self, request: Any) -> None:
        self.impl.check_feasibility(request)

    def copy(self) -> ResourcePool:
        return self._from_impl(self.impl.copy())

    def to_resource_set(self) -> Any:
        from .ResourceSet import ResourceSet

        return ResourceSet(self.impl.to_set())

    def copy_allocated(self) -> Any:
        from .ResourceSet import ResourceSet

        return ResourceSet(self.impl.copy_allocated())

    def copy_down(self) -> Any:
        from .ResourceSet import ResourceSet

        return ResourceSet(self.impl.copy_down())

    def dumps(self) -> str:
        return str(self.impl.dumps())

    def to_dict(self) -> Any:
        return self.impl.to_dict()

    def set_starttime(self, starttime: float) -> None:
        self.impl.set_starttime(starttime)

    def set_expiration(self, expiration: float) -> None:
        self.impl.set_expiration(expiration)
