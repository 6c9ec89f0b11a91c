"""``flux.resource.ResourcePool``: what a Python scheduler holds, a thin front for a pool
implementation (Rv1Pool, the only one for R version 1).

Nearly every method only hands its arguments to the implementation; those are
generated from the tables below rather than written out one by one. The few
that convert (pool arguments in, pools or resource sets out) are spelled out.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, List, Optional

from .ResourcePoolImplementation import InfeasibleRequest, InsufficientResources, ResourcePoolImplementation

__all__ = ["ResourcePool"]

# pool classes found by _pool_class_from_uri, by the URI that named them
_POOL_CLASS_CACHE: Dict[str, Any] = {}


def _modules_to_try(name: str) -> Iterator[str]:
    yield name
    if "." not in name:  # a bare name may also be one of flux.resource's modules
        yield "flux.resource." + name


def _pool_class_from_uri(uri: str) -> Any:
    """The class a scheduler's ``writer`` URI names, or None.

    ``module`` means that module's ``pool_class``; ``module:Class`` that class.
    Dashes in the module name read as underscores. Misses are not remembered:
    the module may become importable later.
    """
    if uri not in _POOL_CLASS_CACHE:
        module_part, _, class_part = uri.partition(":")
        attribute = class_part or "pool_class"
        for name in _modules_to_try(module_part.replace("-", "_")):
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            found = getattr(module, attribute, None)
            if found is None:
                return None
            _POOL_CLASS_CACHE[uri] = found
            break
    return _POOL_CLASS_CACHE.get(uri)


def _to_impl(value: Any) -> Any:
    """A pool argument as the implementation wants it (wrappers unwrapped)."""
    return value.impl if isinstance(value, ResourcePool) else value


def _passthrough(method: str) -> Callable[..., Any]:
    def call(self: ResourcePool, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.impl, method)(*args, **kwargs)

    call.__name__ = method
    call.__doc__ = f"The implementation's ``{method}``."
    return call


def _to_pool(method: str) -> Callable[..., Any]:
    """A method whose implementation result is wrapped in the caller's own class."""

    def call(self: ResourcePool, *args: Any, **kwargs: Any) -> Any:
        return type(self)._from_impl(getattr(self.impl, method)(*args, **kwargs))

    call.__name__ = method
    return call


def _to_resource_set(method: str) -> Callable[..., Any]:
    def call(self: ResourcePool) -> Any:
        from .ResourceSet import ResourceSet

        return ResourceSet(getattr(self.impl, method)())

    return call


def _build_impl(arg: Any, version: int, log: Optional[Callable[..., Any]], kwargs: Dict[str, Any]) -> Any:
    """The implementation for R given as JSON text, a mapping or nothing."""
    r = json.loads(arg) if isinstance(arg, str) else arg
    if isinstance(r, Mapping):
        version = r.get("version", version)
    elif r is not None:
        raise TypeError(f"ResourcePool cannot be instantiated from {type(r)}")
    if version != 1:
        raise ValueError(f"R version {version} not supported by ResourcePool")
    from .Rv1Pool import Rv1Pool

    return Rv1Pool(r, log=log, **kwargs)


class ResourcePool:
    """A pool built from R (JSON text or mapping, dispatched on its version) or
    wrapping a given ``ResourcePoolImplementation``.

    Pools returned by :meth:`alloc` and :meth:`copy` are of the caller's class
    but are made without calling ``__init__`` again.
    """

    InsufficientResources = InsufficientResources
    InfeasibleRequest = InfeasibleRequest

    impl: Any
    version: int

    def __init__(self, arg: Any = None, version: int = 1, log: Optional[Callable[..., Any]] = None, **kwargs: Any):
        if isinstance(arg, ResourcePoolImplementation):
            self.impl, self.version = arg, getattr(arg, "version", version)
        else:
            self.impl, self.version = _build_impl(arg, version, log, kwargs), 1

    @classmethod
    def _from_impl(cls, impl: Any) -> ResourcePool:
        pool = cls.__new__(cls)
        pool.impl, pool.version = impl, getattr(impl, "version", 1)
        return pool

    @property
    def generation(self) -> int:
        return int(self.impl.generation)

    @property
    def expiration(self) -> float:
        return float(self.impl.get_expiration())

    @expiration.setter
    def expiration(self, value: float) -> None:
        self.impl.set_expiration(value)

    # the methods that just pass their arguments on
    mark_up = _passthrough("mark_up")
    mark_down = _passthrough("mark_down")
    remove_ranks = _passthrough("remove_ranks")
    update_expiration = _passthrough("update_expiration")
    parse_resource_request = _passthrough("parse_resource_request")
    check_feasibility = _passthrough("check_feasibility")
    to_dict = _passthrough("to_dict")
    set_starttime = _passthrough("set_starttime")
    set_expiration = _passthrough("set_expiration")

    alloc = _to_pool("alloc")
    copy = _to_pool("copy")

    to_resource_set = _to_resource_set("to_set")
    copy_allocated = _to_resource_set("copy_allocated")
    copy_down = _to_resource_set("copy_down")

    def register_alloc(self, jobid: int, R: Any) -> None:  # noqa: N803 - flux-core's name
        self.impl.register_alloc(jobid, _to_impl(R))

    def free(self, jobid: int, R: Any = None, final: bool = False) -> None:  # noqa: N803
        self.impl.free(jobid, _to_impl(R), final)

    def job_end_times(self) -> List[Any]:
        return list(self.impl.job_end_times())

    def dumps(self) -> str:
        return str(self.impl.dumps())
