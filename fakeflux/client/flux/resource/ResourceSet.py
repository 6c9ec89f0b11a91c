"""``flux.resource.ResourceSet``: a resource set of any R version (version 1 today)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, List, Optional

from ..hostlist import Hostlist
from ..idset import IDset
from .ResourceSetImplementation import ResourceSetImplementation
from .Rv1Set import Rv1Set

__all__ = ["ResourceSet"]


class ResourceSet:
    """A set of resources: from R JSON text, a decoded R dict, an implementation, or nothing.

    TypeError for any other argument, KeyError for a dict without
    ``version``, ValueError for an unsupported version or bad R, and
    ``json.JSONDecodeError`` for text that is not JSON.  Extra keyword
    arguments go to the implementation (``keep_scheduling=True``).
    """

    def __init__(self, arg: Any = None, version: int = 1, **kwargs: Any) -> None:
        self._state: Optional[str] = None
        if isinstance(arg, ResourceSetImplementation):
            self.impl: Any = arg
            self.version = arg.version
            return
        if isinstance(arg, str):
            arg = json.loads(arg)
        if isinstance(arg, Mapping):
            version = arg["version"]
        elif arg is not None:
            raise TypeError(f"ResourceSet cannot be instantiated from {type(arg)}")
        if version != 1:
            raise ValueError(f"R version {version} not supported")
        self.version = 1
        self.impl = Rv1Set(arg, **kwargs)

    def __str__(self) -> str:
        return self.dumps()

    def __and__(self, arg: Any) -> ResourceSet:
        return self.intersect(arg)

    def __sub__(self, arg: Any) -> ResourceSet:
        return self.diff(arg)

    def __or__(self, arg: Any) -> ResourceSet:
        return self.union(arg)

    def dumps(self) -> str:
        """The short form: ``rank[0-3]/core[0-1]``."""
        return str(self.impl.dumps())

    def encode(self) -> str:
        """The R JSON text."""
        return str(self.impl.encode())

    def count(self, name: str) -> int:
        """The number of resources called ``name`` ("core", "gpu")."""
        return int(self.impl.count(name))

    def _coerce(self, arg: Any) -> ResourceSet:
        return arg if isinstance(arg, ResourceSet) else ResourceSet(arg, version=self.version)

    def append(self, *args: Any) -> ResourceSet:
        """Add the resources of each argument (ResourceSet or anything ResourceSet() takes)."""
        for arg in args:
            self.impl.append(self._coerce(arg).impl)
        return self

    def add(self, *args: Any) -> ResourceSet:
        """Add the resources of each argument not already here."""
        for arg in args:
            self.impl.add(self._coerce(arg).impl)
        return self

    def copy(self) -> ResourceSet:
        rset = ResourceSet(self.impl.copy())
        rset.state = self.state
        return rset

    def _run_op(self, method: str, *args: Any) -> ResourceSet:
        result = self.copy()
        for arg in args:
            result = ResourceSet(getattr(result.impl, method)(self._coerce(arg).impl))
        result.state = self.state
        return result

    def union(self, *args: Any) -> ResourceSet:
        """A new set with the resources of this one and all ``args``."""
        return self._run_op("union", *args)

    def diff(self, *args: Any) -> ResourceSet:
        """A new set with the resources of this one that are in none of ``args``."""
        return self._run_op("diff", *args)

    def intersect(self, *args: Any) -> ResourceSet:
        """A new set with the resources common to this one and all ``args``."""
        return self._run_op("intersect", *args)

    def copy_constraint(self, constraint: Any) -> ResourceSet:
        """A copy with only the resources matching an RFC 31 constraint (dict or JSON text)."""
        return ResourceSet(self.impl.copy_constraint(constraint))

    def set_property(self, name: str, ranks: Any = None) -> ResourceSet:
        """Give property ``name`` to ``ranks`` (default: all ranks)."""
        if ranks is None:
            ranks = str(self.ranks)
        self.impl.set_property(name, ranks)
        return self

    def get_properties(self) -> str:
        """The RFC 20 properties object as JSON text."""
        return str(self.impl.get_properties())

    def remove_ranks(self, ranks: Any) -> ResourceSet:
        """Drop ``ranks`` (an IDset or what IDset() takes)."""
        self.impl.remove_ranks(ranks if isinstance(ranks, IDset) else IDset(ranks))
        return self

    def copy_ranks(self, ranks: Any) -> ResourceSet:
        """A copy with only ``ranks`` (the state is kept)."""
        rset = ResourceSet(self.impl.copy_ranks(ranks if isinstance(ranks, IDset) else IDset(ranks)))
        rset.state = self.state
        return rset

    def host_ranks(self, hosts: Any, ignore_nomatch: bool = False) -> List[int]:
        """The ranks of ``hosts``, in their order; FileNotFoundError for a missing host unless ignored."""
        hostlist = hosts if isinstance(hosts, Hostlist) else Hostlist(hosts)
        ranks = list(self.ranks)
        return [ranks[i] for i in self.nodelist.index(hostlist, ignore_nomatch=ignore_nomatch)]

    @property
    def nodelist(self) -> Hostlist:
        return self.impl.nodelist()

    @property
    def state(self) -> Optional[str]:
        """An optional label for the set ("up", "free"...)."""
        return self._state

    @state.setter
    def state(self, value: Optional[str]) -> None:
        self._state = value

    @property
    def ranks(self) -> IDset:
        return self.impl.ranks()

    @property
    def nnodes(self) -> int:
        return int(self.impl.nnodes())

    @property
    def ncores(self) -> int:
        return int(self.impl.count("core"))

    @property
    def ngpus(self) -> int:
        return int(self.impl.count("gpu"))

    @property
    def rlist(self) -> str:
        return str(self.impl.dumps())

    @property
    def properties(self) -> str:
        """The property names, comma-separated."""
        return ",".join(json.loads(self.get_properties()).keys())

    def to_dict(self) -> Any:
        """The R as a dict."""
        return self.impl.to_dict()

    @property
    def expiration(self) -> float:
        return float(self.impl.get_expiration())

    @expiration.setter
    def expiration(self, expiration: float) -> None:
        self.impl.set_expiration(expiration)

    @property
    def starttime(self) -> float:
        return float(self.impl.get_starttime())

    @starttime.setter
    def starttime(self, starttime: float) -> None:
        self.impl.set_starttime(starttime)
