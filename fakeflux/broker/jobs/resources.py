"""The instance's resource set: which ranks exist for the scheduler, their
hostnames, cores and GPUs, and how a set of them is written as R (RFC 20)
and summarised, as flux-core's ``Rv1Set`` writes them.

Two shapes, from the configuration:

* by default every broker rank is a node named after this host, with
  ``[fakeflux] cores-per-rank`` cores (default: this machine's CPU count, as
  each rank of ``flux start --test-size`` sees the whole host) and
  ``[fakeflux] gpus-per-rank`` GPUs (default 0);
* flux-core's ``[fake-resources]`` table (flux-config-fake-resources(5)):
  ``nnodes`` synthetic nodes ``{host-prefix}{rank}`` with ``cores-per-node``
  (default 64) cores and ``gpus-per-node`` (default 0) GPUs each.  Ranks at or
  above the instance size are *fake*: no broker runs there, so no job shell
  can start on them (real Flux answers such a job with a node failure; jobs
  meant for them use ``attributes.system.exec.test``).
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fakeflux.broker.jobs.util import idset_encode

# One allocation entry: (rank, cores, gpus).
Slice = Tuple[int, List[int], List[int]]


class Alloc(List[Slice]):
    """What a job was given, rank by rank in rank order, and the number of
    slots it holds (``execution.nslots`` in its R; 0 leaves it out)."""

    nslots: int = 0


class Node:
    __slots__ = ("rank", "hostname", "cores", "gpus", "fake")

    def __init__(self, rank: int, hostname: str, ncores: int, ngpus: int, fake: bool) -> None:
        self.rank = rank
        self.hostname = hostname
        self.cores = list(range(ncores))
        self.gpus = list(range(ngpus))
        self.fake = fake


class ResourceConfigError(ValueError):
    """A ``[fakeflux]`` or ``[fake-resources]`` value that cannot be used."""


def _positive(table: str, conf: Dict[str, Any], key: str, default: Optional[int], minimum: int) -> int:
    value = conf.get(key, default)
    if value is None:
        raise ResourceConfigError(f"[{table}] table requires the '{key}' key")
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        what = "a positive integer" if minimum > 0 else "an integer >= 0"
        raise ResourceConfigError(f"[{table}] {key} must be {what}, not {value!r}")
    return value


def layout(config: Dict[str, Any], size: int, hostname: str) -> Tuple[Dict[int, Node], bool]:
    """The nodes ``config`` describes for an instance of ``size`` ranks, and
    whether they come from ``[fake-resources]``."""
    fake = config.get("fake-resources")
    if fake is not None:
        if not isinstance(fake, dict):
            raise ResourceConfigError("[fake-resources] must be a table")
        for key in ("hwloc-xml-path", "amend-r"):
            if key in fake:
                raise ResourceConfigError(f"[fake-resources] {key} is not supported by fakeflux")
        nnodes = _positive("fake-resources", fake, "nnodes", None, 1)
        ncores = _positive("fake-resources", fake, "cores-per-node", 64, 1)
        ngpus = _positive("fake-resources", fake, "gpus-per-node", 0, 0)
        prefix = fake.get("host-prefix", "fake")
        if not isinstance(prefix, str) or not prefix:
            raise ResourceConfigError(f"[fake-resources] host-prefix must be a non-empty string, not {prefix!r}")
        return {r: Node(r, f"{prefix}{r}", ncores, ngpus, r >= size) for r in range(nnodes)}, True
    conf = config.get("fakeflux", {})
    conf = conf if isinstance(conf, dict) else {}
    ncores = _positive("fakeflux", conf, "cores-per-rank", os.cpu_count() or 1, 1)
    ngpus = _positive("fakeflux", conf, "gpus-per-rank", 0, 0)
    return {r: Node(r, hostname, ncores, ngpus, False) for r in range(size)}, False


# -- hostlists (RFC 29) -----------------------------------------------------------------------
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def hostlist_encode(hosts: Sequence[str]) -> str:
    """Adjacent hosts sharing a prefix and a numeric suffix of one width
    fold into ranges (``node[0-3,7]``); others are listed as they are
    (``vm,vm``)."""
    groups: List[Tuple[str, int, List[int]]] = []  # (prefix, width, numbers); width -1: not numbered
    plain: List[Optional[str]] = []
    for host in hosts:
        m = _NUMBERED.match(host)
        if m is not None:
            prefix, digits = m.group(1), m.group(2)
            width = len(digits) if digits.startswith("0") and len(digits) > 1 else 0
            if groups and plain[-1] is None and groups[-1][0] == prefix and groups[-1][1] == width:
                groups[-1][2].append(int(digits))
                continue
            groups.append((prefix, width, [int(digits)]))
            plain.append(None)
        else:
            groups.append((host, -1, []))
            plain.append(host)
    out: List[str] = []
    for (prefix, width, numbers), text in zip(groups, plain):
        if text is not None:
            out.append(text)
            continue
        ranges: List[str] = []
        i = 0
        while i < len(numbers):
            j = i
            while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
                j += 1
            lo, hi = f"{numbers[i]:0{width}d}", f"{numbers[j]:0{width}d}"
            ranges.append(lo if i == j else f"{lo}-{hi}")
            i = j + 1
        out.append(f"{prefix}{ranges[0]}" if len(numbers) == 1 else f"{prefix}[{','.join(ranges)}]")
    return ",".join(out)


def hostlist_decode(text: str) -> List[str]:
    """``node[0-2,5],login`` -> the hosts, in order (ValueError when malformed)."""
    hosts: List[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and text[j] not in ",[":
            j += 1
        prefix = text[i:j]
        if j < n and text[j] == "[":
            end = text.index("]", j)
            suffix_end = end + 1
            while suffix_end < n and text[suffix_end] != ",":
                suffix_end += 1
            suffix = text[end + 1:suffix_end]
            for part in text[j + 1:end].split(","):
                lo, _, hi = part.partition("-")
                width = len(lo) if lo.startswith("0") and len(lo) > 1 else 0
                for k in range(int(lo), int(hi or lo) + 1):
                    hosts.append(f"{prefix}{k:0{width}d}{suffix}")
            i = suffix_end + 1
        else:
            if prefix:
                hosts.append(prefix)
            i = j + 1
    return hosts


def idset_decode(text: str) -> List[int]:
    """``0-2,5`` (brackets allowed) -> the ids (ValueError when malformed)."""
    out: List[int] = []
    for part in text.strip("[]").split(","):
        if part:
            lo, _, hi = part.partition("-")
            out.extend(range(int(lo), int(hi or lo) + 1))
    return out


# -- R and summaries --------------------------------------------------------------------------
def _groups(alloc: Sequence[Slice]) -> List[Tuple[List[int], List[int], List[int]]]:
    """Ranks holding the same cores and GPUs, grouped, ordered by their
    lowest rank (as Rv1Set groups R_lite entries and summaries)."""
    by_ids: Dict[Tuple[Tuple[int, ...], Tuple[int, ...]], List[int]] = {}
    for rank, cores, gpus in sorted(alloc, key=lambda s: s[0]):
        by_ids.setdefault((tuple(sorted(cores)), tuple(sorted(gpus))), []).append(rank)
    return [(ranks, list(c), list(g)) for (c, g), ranks in sorted(by_ids.items(), key=lambda kv: kv[1][0])]


def encode_R(alloc: Sequence[Slice], hostnames: Dict[int, str], starttime: float, expiration: float,
             nslots: int = 0, gpus_first: bool = False, nodelist: bool = True) -> Dict[str, Any]:
    """Rv1 for ``alloc``.  ``gpus_first``: children written ``gpu`` before
    ``core``, as ``flux R encode`` writes the R of ``[fake-resources]``."""
    r_lite: List[Dict[str, Any]] = []
    for ranks, cores, gpus in _groups(alloc):
        children: Dict[str, str] = {}
        if gpus and gpus_first:
            children["gpu"] = idset_encode(gpus)
        children["core"] = idset_encode(cores)
        if gpus and not gpus_first:
            children["gpu"] = idset_encode(gpus)
        r_lite.append({"rank": idset_encode(ranks), "children": children})
    execution: Dict[str, Any] = {"R_lite": r_lite, "starttime": starttime, "expiration": expiration}
    if nslots > 0:
        execution["nslots"] = nslots
    # Rv1Set writes one hostlist, empty for an empty set.
    if nodelist:
        execution["nodelist"] = [hostlist_encode([hostnames[r] for r, _, _ in sorted(alloc, key=lambda s: s[0])])]
    return {"version": 1, "execution": execution}


def summary(alloc: Sequence[Slice]) -> str:
    """The ``resource_summary`` annotation: ``rank[0-1]/core[0-3],gpu0 rank2/core0``."""
    parts = []
    for ranks, cores, gpus in _groups(alloc):
        text = f"rank{idset_encode(ranks, brackets=True)}/core{idset_encode(cores, brackets=True)}"
        if gpus:
            text += f",gpu{idset_encode(gpus, brackets=True)}"
        parts.append(text)
    return " ".join(parts)
