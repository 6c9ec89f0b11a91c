"""``flux.resource.ResourceSet``: a resource set of any R version (version 1 today)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional

from ..hostlist import Hostlist
from ..idset import IDset
from .ResourceSetImplementation import ResourceSetImplementation
from .Rv1Set import Rv1Set

__all__ = ["ResourceSet"]


def _implementation(arg: Any, version: int, options: Dict[str, Any]) -> Any:
    """The implementation for R given as JSON text, a mapping, or nothing (an empty set)."""
    r = json.loads(arg) if isinstance(arg, str) else arg
    if isinstance(r, Mapping):
        version = r["version"]
    elif r is not None:
        raise TypeError(f"ResourceSet cannot be instantiated from {type(r)}")
    if version != 1:
        raise ValueError(f"R version {version} not supported")
    return Rv1Set(r, **options)


def _as_idset(ranks: Any) -> IDset:
    return ranks if isinstance(ranks, IDset) else IDset(ranks)


def _combining(method: str, doc: str) -> Callable[..., ResourceSet]:
    """A method applying the implementation's ``method`` with each argument in turn, to a
    copy; the result keeps this set's state."""

    def combine(self: ResourceSet, *args: Any) -> ResourceSet:
        result = self.copy()
        for other in args:
            result = ResourceSet(getattr(result.impl, method)(self._coerce(other).impl))
        result.state = self.state
        return result

    combine.__name__, combine.__doc__ = method, doc
    return combine


def _time_property(name: str) -> property:
    """``expiration``/``starttime``: read and set through the implementation's get_/set_ methods."""

    def read(self: ResourceSet) -> float:
        return float(getattr(self.impl, "get_" + name)())

    def write(self: ResourceSet, value: float) -> None:
        getattr(self.impl, "set_" + name)(value)

    return property(read, write)


class ResourceSet:
    """A set of resources: from R JSON text, a decoded R dict, an implementation, or nothing.

    TypeError for any other argument, KeyError for a dict without
    ``version``, ValueError for an unsupported version or bad R, and
    ``json.JSONDecodeError`` for text that is not JSON. Extra keyword
    arguments go to the implementation (``keep_scheduling=True``).
    """

    impl: Any
    version: int

    def __init__(self, arg: Any = None, version: int = 1, **kwargs: Any) -> None:
        self._state: Optional[str] = None
        if isinstance(arg, ResourceSetImplementation):
            self.impl, self.version = arg, arg.version
        else:
            self.impl, self.version = _implementation(arg, version, kwargs), 1

    def __str__(self) -> str:
        return self.dumps()

    # set algebra: rset & other, rset - other, rset | other
    def __and__(self, arg: Any) -> ResourceSet:
        return self.intersect(arg)

    def __sub__(self, arg: Any) -> ResourceSet:
        return self.diff(arg)

    def __or__(self, arg: Any) -> ResourceSet:
        return self.union(arg)

    union = _combining("union", "A new set with the resources of this one and all ``args``.")
    diff = _combining("diff", "A new set with the resources of this one that are in none of ``args``.")
    intersect = _combining("intersect", "A new set with the resources common to this one and all ``args``.")

    def dumps(self) -> str:
        """The short form: ``rank[0-3]/core[0-1]``."""
        return str(self.impl.dumps())

    rlist = property(dumps)

    def encode(self) -> str:
        """The R JSON text."""
        return str(self.impl.encode())

    def count(self, name: str) -> int:
        """The number of resources called ``name`` ("core", "gpu")."""
        return int(self.impl.count(name))

    def _coerce(self, arg: Any) -> ResourceSet:
        """Another set as a ResourceSet of this one's version."""
        return arg if isinstance(arg, ResourceSet) else ResourceSet(arg, version=self.version)

    def append(self, *args: Any) -> ResourceSet:
        """Add the resources of each argument (ResourceSet or anything ResourceSet() takes)."""
        for other in args:
            self.impl.append(self._coerce(other).impl)
        return self

    def add(self, *args: Any) -> ResourceSet:
        """Add the resources of each argument not already here."""
        for other in args:
            self.impl.add(self._coerce(other).impl)
        return self

    def _labelled_like_me(self, impl: Any) -> ResourceSet:
        twin = ResourceSet(impl)
        twin.state = self.state
        return twin

    def copy(self) -> ResourceSet:
        return self._labelled_like_me(self.impl.copy())

    def copy_ranks(self, ranks: Any) -> ResourceSet:
        """A copy with only ``ranks`` (the state is kept)."""
        return self._labelled_like_me(self.impl.copy_ranks(_as_idset(ranks)))

    def copy_constraint(self, constraint: Any) -> ResourceSet:
        """A copy with only the resources matching an RFC 31 constraint (dict or JSON text);
        unlike copy_ranks, without the state."""
        matching = self.impl.copy_constraint(constraint)
        return ResourceSet(matching)

    def set_property(self, name: str, ranks: Any = None) -> ResourceSet:
        """Give property ``name`` to ``ranks`` (default: all ranks)."""
        self.impl.set_property(name, str(self.ranks) if ranks is None else ranks)
        return self

    def get_properties(self) -> str:
        """The RFC 20 properties object as JSON text."""
        return str(self.impl.get_properties())

    @property
    def properties(self) -> str:
        """The property names, comma-separated."""
        names = json.loads(self.get_properties())
        return ",".join(names)

    def remove_ranks(self, ranks: Any) -> ResourceSet:
        """Drop ``ranks`` (an IDset or what IDset() takes)."""
        self.impl.remove_ranks(_as_idset(ranks))
        return self

    def host_ranks(self, hosts: Any, ignore_nomatch: bool = False) -> List[int]:
        """The ranks of ``hosts``, in their order; FileNotFoundError for a missing host unless ignored."""
        wanted = hosts if isinstance(hosts, Hostlist) else Hostlist(hosts)
        positions = self.nodelist.index(wanted, ignore_nomatch=ignore_nomatch)
        in_order = list(self.ranks)
        return [in_order[position] for position in positions]

    @property
    def state(self) -> Optional[str]:
        """An optional label for the set ("up", "free"...)."""
        return self._state

    @state.setter
    def state(self, value: Optional[str]) -> None:
        self._state = value

    @property
    def nodelist(self) -> Hostlist:
        hosts: Hostlist = self.impl.nodelist()
        return hosts

    @property
    def ranks(self) -> IDset:
        ids: IDset = self.impl.ranks()
        return ids

    @property
    def nnodes(self) -> int:
        return int(self.impl.nnodes())

    @property
    def ncores(self) -> int:
        return self.count("core")

    @property
    def ngpus(self) -> int:
        return self.count("gpu")

    def to_dict(self) -> Any:
        """The R as a dict."""
        r = self.impl.to_dict()
        return r

    expiration = _time_property("expiration")
    starttime = _time_property("starttime")
