"""RFC 20 version 1 resource sets (``R``) in pure Python: flux-core's ``Rv1Set``.

``_ranks`` maps each rank to ``{"hostname", "cores", "gpus"}`` (frozensets
of ids), ``_properties`` a property name to a set of ranks: subclasses such
as Rv1Pool add keys to the rank entries, and code written for flux-core
reads these attributes, so they are kept as flux-core has them.  Serialisation groups ranks with identical
children into ``R_lite`` entries ordered by their smallest rank, which is
also the order of the short ``dumps()`` form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Dict, FrozenSet, Iterable, List, Set, Tuple

from ..hostlist import Hostlist
from ..idset import IDSET_FLAG_BRACKETS, IDSET_FLAG_RANGE, IDset
from .ResourceSetImplementation import ResourceSetImplementation

__all__ = ["Rv1Set"]


def _idset_str(ids: Iterable[int]) -> str:
    """RFC 22 text of some ids (``"0-3,7"``)."""
    return IDset(sorted(set(ids))).encode(IDSET_FLAG_RANGE) if ids else ""


def _bracketed(ids: Iterable[int]) -> str:
    """Ids as ``dumps()`` shows them: ``3`` alone, ``[0-2,5]`` for several."""
    return IDset(sorted(set(ids))).encode(IDSET_FLAG_RANGE | IDSET_FLAG_BRACKETS) if ids else ""


_CONSTRAINT_OPERATORS = frozenset({"properties", "hostlist", "ranks", "and", "or", "not"})


class Rv1Set(ResourceSetImplementation):
    """A version 1 resource set, from R JSON text, a decoded R dict, or nothing (empty).

    TypeError for another type, KeyError for a dict without ``version``,
    ValueError for a version other than 1.  With ``keep_scheduling`` the
    opaque ``scheduling`` key is kept for :meth:`encode`.
    """

    version = 1
    # defaults for instances built without __init__ (subclass factories do that)
    _nslots = 0
    _has_nodelist = False
    _scheduling: Any = None

    def __init__(self, arg: Any = None, keep_scheduling: bool = False) -> None:
        self._expiration = 0.0
        self._starttime = 0.0
        self._nslots = 0
        self._has_nodelist = False
        self._ranks: Dict[int, Dict[str, Any]] = {}
        self._properties: Dict[str, Set[int]] = {}
        self._scheduling: Any = None
        if arg is None:
            return
        if isinstance(arg, str):
            arg = json.loads(arg)
        if not isinstance(arg, Mapping):
            raise TypeError(f"Rv1Set cannot be instantiated from {type(arg)}")
        version = arg["version"]
        if version != 1:
            raise ValueError(f"R version {version} not supported")
        if keep_scheduling:
            self._scheduling = arg.get("scheduling")
        execution = arg.get("execution", {})
        self._expiration = float(execution.get("expiration") or 0.0)
        self._starttime = float(execution.get("starttime") or 0.0)
        self._nslots = int(execution.get("nslots") or 0)
        nodelist = execution.get("nodelist", [])
        self._has_nodelist = bool(nodelist)
        hosts: List[str] = []
        for entry in nodelist:
            hosts.extend(Hostlist(entry))
        entries: List[Tuple[int, FrozenSet[int], FrozenSet[int]]] = []
        for entry in execution.get("R_lite", []):
            children = entry.get("children", {})
            cores = frozenset(IDset(children["core"])) if "core" in children else frozenset()
            gpus = frozenset(IDset(children["gpu"])) if "gpu" in children else frozenset()
            entries.extend((rank, cores, gpus) for rank in IDset(entry["rank"]))
        # hostnames are assigned in rank order, whatever the order of R_lite
        for position, (rank, cores, gpus) in enumerate(sorted(entries)):
            hostname = hosts[position] if position < len(hosts) else f"rank{rank}"
            self._ranks[rank] = {"hostname": hostname, "cores": cores, "gpus": gpus}
        self._properties = {name: set(IDset(ids)) for name, ids in execution.get("properties", {}).items()}

    # -- construction helpers ------------------------------------------------------------------
    def _derived(self, ranks: Dict[int, Dict[str, Any]], properties: Dict[str, Set[int]]) -> Rv1Set:
        """A new set with this one's times and nodelist flag (not nslots or scheduling)."""
        new = type(self)()
        new._expiration = self._expiration
        new._starttime = self._starttime
        new._has_nodelist = self._has_nodelist
        new._ranks = ranks
        new._properties = properties
        return new

    def _copy_from_ranks(self, ranks: Set[int]) -> Rv1Set:
        kept = {rank: dict(self._ranks[rank]) for rank in ranks if rank in self._ranks}
        properties = {name: have & ranks for name, have in self._properties.items() if have & ranks}
        return self._derived(kept, properties)

    def _groups(self) -> List[Tuple[FrozenSet[int], FrozenSet[int], List[int]]]:
        """(cores, gpus, ranks) for each distinct set of children, by smallest rank."""
        groups: Dict[Tuple[FrozenSet[int], FrozenSet[int]], List[int]] = {}
        for rank, info in self._ranks.items():
            groups.setdefault((frozenset(info["cores"]), frozenset(info["gpus"])), []).append(rank)
        ordered = sorted(groups.items(), key=lambda item: min(item[1]))
        return [(cores, gpus, ranks) for (cores, gpus), ranks in ordered]

    # -- the interface -------------------------------------------------------------------------
    def dumps(self) -> str:
        """``rank[0-3]/core[0-7],gpu0 rank4/core0`` style summary."""
        parts = []
        for cores, gpus, ranks in self._groups():
            text = f"rank{_bracketed(ranks)}/core{_bracketed(cores)}"
            if gpus:
                text += f",gpu{_bracketed(gpus)}"
            parts.append(text)
        return " ".join(parts)

    def encode(self) -> str:
        return json.dumps(self._build_dict())

    def to_dict(self) -> Dict[str, Any]:
        return self._build_dict()

    def nodelist(self) -> Hostlist:
        hosts = [info["hostname"] for _, info in sorted(self._ranks.items())]
        return Hostlist(",".join(hosts)) if hosts else Hostlist("")

    def ranks(self) -> IDset:
        return IDset(sorted(self._ranks)) if self._ranks else IDset()

    def nnodes(self) -> int:
        return len(self._ranks)

    def count(self, name: str) -> int:
        if name == "core":
            return sum(len(info["cores"]) for info in self._ranks.values())
        if name == "gpu":
            return sum(len(info["gpus"]) for info in self._ranks.values())
        return 0

    def copy(self) -> Rv1Set:
        return self._copy_from_ranks(set(self._ranks))

    def copy_ranks(self, ranks: Any) -> Rv1Set:
        return self._copy_from_ranks(set(ranks if isinstance(ranks, IDset) else IDset(ranks)))

    def union(self, other: Rv1Set) -> Rv1Set:
        """All resources of both; a rank in both gets the union of its cores and GPUs."""
        new = self._derived({rank: dict(info) for rank, info in self._ranks.items()}, {})
        new._has_nodelist = self._has_nodelist or other._has_nodelist
        new._merge_nodes(other)
        new._properties = {name: set(have) for name, have in self._properties.items()}
        for name, have in other._properties.items():
            new._properties[name] = new._properties.get(name, set()) | have
        return new

    def diff(self, other: Rv1Set) -> Rv1Set:
        """Cores and GPUs of this set not in ``other``; ranks left with neither are dropped."""
        ranks: Dict[int, Dict[str, Any]] = {}
        for rank, info in self._ranks.items():
            theirs = other._ranks.get(rank)
            if theirs is None:
                ranks[rank] = dict(info)
                continue
            cores, gpus = info["cores"] - theirs["cores"], info["gpus"] - theirs["gpus"]
            if cores or gpus:
                ranks[rank] = {"hostname": info["hostname"], "cores": cores, "gpus": gpus}
        kept = set(ranks)
        properties = {name: have & kept for name, have in self._properties.items() if have & kept}
        return self._derived(ranks, properties)

    def intersect(self, other: Rv1Set) -> Rv1Set:
        """The ranks in both (whole ranks, as this set has them)."""
        return self._copy_from_ranks(set(self._ranks) & set(other._ranks))

    def _merge_nodes(self, other: Rv1Set) -> Set[int]:
        """Add other's nodes (merging shared ranks); returns the ranks that were new."""
        added = set()
        for rank, info in other._ranks.items():
            mine = self._ranks.get(rank)
            if mine is None:
                self._ranks[rank] = dict(info)
                added.add(rank)
            else:  # the same rank on both sides: union of its cores and GPUs
                mine["cores"] = mine["cores"] | info["cores"]
                mine["gpus"] = mine["gpus"] | info["gpus"]
        self._has_nodelist = self._has_nodelist or other._has_nodelist
        return added

    def append(self, other: Rv1Set) -> None:
        self._merge_nodes(other)
        for name, have in other._properties.items():
            self._properties.setdefault(name, set()).update(have)

    def add(self, other: Rv1Set) -> None:
        """Like append, but other's properties are taken only for ranks that were new here."""
        added = self._merge_nodes(other)
        for name, have in other._properties.items():
            if have & added:
                self._properties.setdefault(name, set()).update(have & added)

    def remove_ranks(self, ranks: Any) -> Rv1Set:
        for rank in ranks if isinstance(ranks, IDset) else IDset(ranks):
            self._ranks.pop(rank, None)
            for have in self._properties.values():
                have.discard(rank)
        return self

    def set_property(self, name: str, ranks: Any = None) -> Rv1Set:
        """Give property ``name`` to ``ranks`` (all when None); ValueError for a bad name or rank."""
        if "^" in name:
            raise ValueError(f"invalid property name {name!r}: '^' is reserved for constraint negation")
        if not name:
            raise ValueError("property name must not be empty")
        if ranks is None:
            target = set(self._ranks)
        else:
            try:
                ids = IDset(str(ranks))
            except Exception as exc:
                raise ValueError(f"invalid rank idset {ranks!r}: {exc}") from exc
            target = set(ids)
            unknown = target - set(self._ranks)
            if unknown:
                raise ValueError(f"ranks {_idset_str(unknown)} not in resource set")
        self._properties.setdefault(name, set()).update(target)
        return self

    def get_properties(self) -> str:
        return json.dumps({name: _idset_str(have) for name, have in self._properties.items() if have})

    def get_expiration(self) -> float:
        return self._expiration

    def set_expiration(self, expiration: float) -> None:
        self._expiration = float(expiration)

    def get_starttime(self) -> float:
        return self._starttime

    def set_starttime(self, starttime: float) -> None:
        self._starttime = float(starttime)

    @property
    def scheduling(self) -> Any:
        """The opaque ``R.scheduling`` value kept with ``keep_scheduling`` (else None)."""
        return self._scheduling

    @scheduling.setter
    def scheduling(self, value: Any) -> None:
        self._scheduling = value

    def copy_constraint(self, constraint: Any) -> Rv1Set:
        """The ranks matching an RFC 31 constraint (a dict or its JSON text)."""
        if isinstance(constraint, str):
            constraint = json.loads(constraint)
        return self._copy_from_ranks(
            {rank for rank, info in self._ranks.items() if self._matches_constraint(rank, info, constraint)}
        )

    # -- serialisation ---------------------------------------------------------------------------
    def _build_dict(self) -> Dict[str, Any]:
        r_lite = []
        for cores, gpus, ranks in self._groups():
            children = {"core": _idset_str(cores)}
            if gpus:
                children["gpu"] = _idset_str(gpus)
            r_lite.append({"rank": _idset_str(ranks), "children": children})
        execution: Dict[str, Any] = {
            "R_lite": r_lite,
            "starttime": self._starttime,
            "expiration": self._expiration,
        }
        if self._nslots > 0:
            execution["nslots"] = self._nslots
        if self._has_nodelist:
            hosts = [info["hostname"] for _, info in sorted(self._ranks.items())]
            execution["nodelist"] = [str(Hostlist(",".join(hosts)))]
        if self._properties:
            execution["properties"] = {
                name: _idset_str(have) for name, have in sorted(self._properties.items()) if have
            }
        result: Dict[str, Any] = {"version": 1, "execution": execution}
        if self._scheduling:
            result["scheduling"] = self._scheduling
        return result

    # -- RFC 31 matching ---------------------------------------------------------------------------
    def _has_property(self, rank: int, name: str) -> bool:
        return rank in self._properties.get(name, ())

    def _matches_constraint(self, rank: int, info: Mapping[str, Any], constraint: Mapping) -> bool:
        if not any(op in constraint for op in _CONSTRAINT_OPERATORS):
            raise ValueError(f"unknown constraint operator(s): {list(constraint.keys())}")
        if "properties" in constraint:
            for prop in constraint["properties"]:
                if not isinstance(prop, str):
                    raise ValueError(f"property constraint must be a string, got {type(prop).__name__}")
                if prop.startswith("^"):
                    if self._has_property(rank, prop[1:]):
                        return False
                elif not self._has_property(rank, prop):
                    return False
            return True
        if "hostlist" in constraint:
            return info["hostname"] in Hostlist(constraint["hostlist"])
        if "ranks" in constraint:
            return rank in IDset(constraint["ranks"])
        for op in ("and", "or"):
            if op in constraint:
                operands = constraint[op]
                if not isinstance(operands, list):
                    raise ValueError(f"'{op}' operand must be a list, got {type(operands).__name__}")
                results = (self._matches_constraint(rank, info, c) for c in operands)
                return all(results) if op == "and" else any(results)
        operands = constraint["not"]
        if not isinstance(operands, list) or len(operands) < 1:
            raise ValueError(f"'not' operand must be a non-empty list, got {operands!r}")
        return not self._matches_constraint(rank, info, operands[0])
