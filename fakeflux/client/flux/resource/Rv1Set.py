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


def _read_r_lite(entries: Iterable[Mapping[str, Any]]) -> List[Tuple[int, FrozenSet[int], FrozenSet[int]]]:
    """(rank, cores, gpus) for every rank of some R_lite entries, in rank order."""
    found: List[Tuple[int, FrozenSet[int], FrozenSet[int]]] = []
    for entry in entries:
        children = entry.get("children", {})
        ids = {kind: frozenset(IDset(children[kind])) if kind in children else frozenset() for kind in ("core", "gpu")}
        found.extend((rank, ids["core"], ids["gpu"]) for rank in IDset(entry["rank"]))
    return sorted(found)


def _hosts_of(nodelist: Iterable[str]) -> List[str]:
    return [host for text in nodelist for host in Hostlist(text)]


# the rank-entry key counted by count(NAME)
_COUNTED = {"core": "cores", "gpu": "gpus"}


class Rv1Set(ResourceSetImplementation):
    """A version 1 resource set, from R JSON text, a decoded R dict, or nothing (empty).

    TypeError for another type, KeyError for a dict without ``version``,
    ValueError for a version other than 1. With ``keep_scheduling`` the
    opaque ``scheduling`` key is kept for :meth:`encode`.
    """

    version = 1
    # defaults for instances built without __init__ (subclass factories do that)
    _nslots = 0
    _has_nodelist = False
    _scheduling: Any = None

    def __init__(self, arg: Any = None, keep_scheduling: bool = False) -> None:
        self._ranks: Dict[int, Dict[str, Any]] = {}
        self._properties: Dict[str, Set[int]] = {}
        self._expiration = self._starttime = 0.0
        self._nslots = 0
        self._has_nodelist = False
        self._scheduling = None
        if arg is not None:
            self._load(json.loads(arg) if isinstance(arg, str) else arg, keep_scheduling)

    def _load(self, r: Any, keep_scheduling: bool) -> None:
        if not isinstance(r, Mapping):
            raise TypeError(f"Rv1Set cannot be instantiated from {type(r)}")
        if r["version"] != 1:
            raise ValueError(f"R version {r['version']} not supported")
        if keep_scheduling:
            self._scheduling = r.get("scheduling")
        ex = r.get("execution", {})
        self._expiration, self._starttime = (float(ex.get(key) or 0.0) for key in ("expiration", "starttime"))
        self._nslots = int(ex.get("nslots") or 0)
        hosts = _hosts_of(ex.get("nodelist", []))
        self._has_nodelist = bool(ex.get("nodelist", []))
        # hostnames go to ranks in rank order, whatever the order of R_lite; a rank
        # beyond the nodelist is named after its number
        for index, (rank, cores, gpus) in enumerate(_read_r_lite(ex.get("R_lite", []))):
            name = hosts[index] if index < len(hosts) else f"rank{rank}"
            self._ranks[rank] = {"hostname": name, "cores": cores, "gpus": gpus}
        self._properties = {name: set(IDset(ids)) for name, ids in ex.get("properties", {}).items()}

    # -- construction helpers ------------------------------------------------------------------
    def _derived(self, ranks: Dict[int, Dict[str, Any]], properties: Dict[str, Set[int]]) -> Rv1Set:
        """A new set with this one's times and nodelist flag (not nslots or scheduling)."""
        derived = type(self)()
        derived._ranks, derived._properties = ranks, properties
        derived._expiration, derived._starttime = self._expiration, self._starttime
        derived._has_nodelist = self._has_nodelist
        return derived

    def _properties_on(self, ranks: Set[int]) -> Dict[str, Set[int]]:
        """The properties held by some of ``ranks``, narrowed to them."""
        narrowed = {name: holders & ranks for name, holders in self._properties.items()}
        return {name: holders for name, holders in narrowed.items() if holders}

    def _copy_from_ranks(self, ranks: Set[int]) -> Rv1Set:
        kept = {rank: dict(self._ranks[rank]) for rank in ranks if rank in self._ranks}
        return self._derived(kept, self._properties_on(ranks))

    def _groups(self) -> List[Tuple[FrozenSet[int], FrozenSet[int], List[int]]]:
        """(cores, gpus, ranks) for each distinct set of children, by smallest rank."""
        by_children: Dict[Tuple[FrozenSet[int], FrozenSet[int]], List[int]] = {}
        for rank, entry in self._ranks.items():
            by_children.setdefault((frozenset(entry["cores"]), frozenset(entry["gpus"])), []).append(rank)
        return sorted(
            ((cores, gpus, ranks) for (cores, gpus), ranks in by_children.items()), key=lambda group: min(group[2])
        )

    def _hostnames(self) -> List[str]:
        return [self._ranks[rank]["hostname"] for rank in sorted(self._ranks)]

    # -- the interface -------------------------------------------------------------------------
    def dumps(self) -> str:
        """``rank[0-3]/core[0-7],gpu0 rank4/core0`` style summary."""
        words = []
        for cores, gpus, ranks in self._groups():
            gpu_part = f",gpu{_bracketed(gpus)}" if gpus else ""
            words.append(f"rank{_bracketed(ranks)}/core{_bracketed(cores)}{gpu_part}")
        return " ".join(words)

    def encode(self) -> str:
        return json.dumps(self._build_dict())

    def to_dict(self) -> Dict[str, Any]:
        return self._build_dict()

    def nodelist(self) -> Hostlist:
        return Hostlist(",".join(self._hostnames()))

    def ranks(self) -> IDset:
        return IDset(sorted(self._ranks)) if self._ranks else IDset()

    def nnodes(self) -> int:
        return len(self._ranks)

    def count(self, name: str) -> int:
        key = _COUNTED.get(name)
        return 0 if key is None else sum(len(entry[key]) for entry in self._ranks.values())

    def copy(self) -> Rv1Set:
        every_rank = set(self._ranks)
        return self._copy_from_ranks(every_rank)

    def copy_ranks(self, ranks: Any) -> Rv1Set:
        return self._copy_from_ranks(set(ranks if isinstance(ranks, IDset) else IDset(ranks)))

    def union(self, other: Rv1Set) -> Rv1Set:
        """All resources of both; a rank in both gets the union of its cores and GPUs."""
        merged = self._derived({rank: dict(entry) for rank, entry in self._ranks.items()}, {})
        merged._merge_nodes(other)
        merged._properties = {name: set(holders) for name, holders in self._properties.items()}
        for name, holders in other._properties.items():
            merged._properties[name] = merged._properties.get(name, set()) | holders
        return merged

    def diff(self, other: Rv1Set) -> Rv1Set:
        """Cores and GPUs of this set not in ``other``; ranks left with neither are dropped."""
        remaining: Dict[int, Dict[str, Any]] = {}
        for rank, entry in self._ranks.items():
            if rank not in other._ranks:
                remaining[rank] = dict(entry)
                continue
            theirs = other._ranks[rank]
            left = {key: entry[key] - theirs[key] for key in ("cores", "gpus")}
            if left["cores"] or left["gpus"]:
                remaining[rank] = {"hostname": entry["hostname"], **left}
        return self._derived(remaining, self._properties_on(set(remaining)))

    def intersect(self, other: Rv1Set) -> Rv1Set:
        """The ranks in both (whole ranks, as this set has them)."""
        both = set(self._ranks) & set(other._ranks)
        return self._copy_from_ranks(both)

    def _merge_nodes(self, other: Rv1Set) -> Set[int]:
        """Add other's nodes (a rank on both sides gets the union of its ids); the ranks new here."""
        new_ranks = other._ranks.keys() - self._ranks.keys()
        for rank, entry in other._ranks.items():
            if rank in new_ranks:
                self._ranks[rank] = dict(entry)
            else:
                mine = self._ranks[rank]
                mine.update(cores=mine["cores"] | entry["cores"], gpus=mine["gpus"] | entry["gpus"])
        self._has_nodelist = self._has_nodelist or other._has_nodelist
        return set(new_ranks)

    def _take_properties(self, other: Rv1Set, only: Any = None) -> None:
        for name, holders in other._properties.items():
            taken = holders if only is None else holders & only
            if taken:
                self._properties.setdefault(name, set()).update(taken)

    def append(self, other: Rv1Set) -> None:
        self._merge_nodes(other)
        for name, holders in other._properties.items():  # even a property held by no rank
            self._properties.setdefault(name, set()).update(holders)

    def add(self, other: Rv1Set) -> None:
        """Like append, but other's properties are taken only for ranks that were new here."""
        self._take_properties(other, self._merge_nodes(other))

    def remove_ranks(self, ranks: Any) -> Rv1Set:
        gone = set(ranks if isinstance(ranks, IDset) else IDset(ranks))
        for rank in gone:
            self._ranks.pop(rank, None)
        for holders in self._properties.values():
            holders -= gone
        return self

    def set_property(self, name: str, ranks: Any = None) -> Rv1Set:
        """Give property ``name`` to ``ranks`` (all when None); ValueError for a bad name or rank."""
        if "^" in name:
            raise ValueError(f"invalid property name {name!r}: '^' is reserved for constraint negation")
        if name == "":
            raise ValueError("property name must not be empty")
        self._properties.setdefault(name, set()).update(self._known_ranks(ranks))
        return self

    def _known_ranks(self, ranks: Any) -> Set[int]:
        """``ranks`` (an idset or its text; None: every rank), all of them in this set."""
        if ranks is None:
            return set(self._ranks)
        try:
            wanted = set(IDset(str(ranks)))
        except Exception as exc:
            raise ValueError(f"invalid rank idset {ranks!r}: {exc}") from exc
        strangers = wanted - self._ranks.keys()
        if strangers:
            raise ValueError(f"ranks {_idset_str(strangers)} not in resource set")
        return wanted

    def get_properties(self) -> str:
        return json.dumps({name: _idset_str(holders) for name, holders in self._properties.items() if holders})

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
        expression = json.loads(constraint) if isinstance(constraint, str) else constraint
        return self._copy_from_ranks(
            {rank for rank, entry in self._ranks.items() if self._matches_constraint(rank, entry, expression)}
        )

    # -- serialisation ---------------------------------------------------------------------------
    def _build_dict(self) -> Dict[str, Any]:
        r_lite = []
        for cores, gpus, ranks in self._groups():
            children = {"core": _idset_str(cores), **({"gpu": _idset_str(gpus)} if gpus else {})}
            r_lite.append({"rank": _idset_str(ranks), "children": children})
        execution: Dict[str, Any] = {"R_lite": r_lite, "starttime": self._starttime, "expiration": self._expiration}
        optional = {
            "nslots": self._nslots if self._nslots > 0 else None,
            "nodelist": [str(self.nodelist())] if self._has_nodelist else None,
            "properties": self._sorted_properties() if self._properties else None,
        }
        execution.update((key, value) for key, value in optional.items() if value is not None)
        r: Dict[str, Any] = {"version": 1, "execution": execution}
        if self._scheduling:
            r["scheduling"] = self._scheduling
        return r

    def _sorted_properties(self) -> Dict[str, str]:
        return {name: _idset_str(self._properties[name]) for name in sorted(self._properties) if self._properties[name]}

    # -- RFC 31 matching ---------------------------------------------------------------------------
    def _has_property(self, rank: int, name: str) -> bool:
        return rank in self._properties.get(name, ())

    def _match_properties(self, rank: int, info: Mapping[str, Any], names: Any) -> bool:
        for name in names:
            if not isinstance(name, str):
                raise ValueError(f"property constraint must be a string, got {type(name).__name__}")
            wanted = not name.startswith("^")
            if self._has_property(rank, name if wanted else name[1:]) != wanted:
                return False
        return True

    def _match_all(self, rank: int, info: Mapping[str, Any], operands: Any, op: str, combine: Any) -> bool:
        if not isinstance(operands, list):
            raise ValueError(f"'{op}' operand must be a list, got {type(operands).__name__}")
        return bool(combine(self._matches_constraint(rank, info, term) for term in operands))

    def _match_not(self, rank: int, info: Mapping[str, Any], operands: Any) -> bool:
        if not isinstance(operands, list) or not operands:
            raise ValueError(f"'not' operand must be a non-empty list, got {operands!r}")
        return not self._matches_constraint(rank, info, operands[0])

    def _matches_constraint(self, rank: int, info: Mapping[str, Any], constraint: Mapping) -> bool:
        """Whether a rank satisfies an RFC 31 expression; the first operator found, in this
        order, decides: properties, hostlist, ranks, and, or, not."""
        tests = {
            "properties": lambda arg: self._match_properties(rank, info, arg),
            "hostlist": lambda arg: info["hostname"] in Hostlist(arg),
            "ranks": lambda arg: rank in IDset(arg),
            "and": lambda arg: self._match_all(rank, info, arg, "and", all),
            "or": lambda arg: self._match_all(rank, info, arg, "or", any),
            "not": lambda arg: self._match_not(rank, info, arg),
        }
        for operator, test in tests.items():
            if operator in constraint:
                return bool(test(constraint[operator]))
        raise ValueError(f"unknown constraint operator(s): {list(constraint.keys())}")
