"""The tree-based overlay network (TBON): who is whose parent.

flux-core builds the tree from ``tbon.topo``; fakeflux supports ``kary:K``
(the default ``kary:32``; ``kary:0`` is a flat tree with no children) and
``binomial``.  Every function is arithmetic, so a 10,000-rank instance costs
nothing to describe.
"""

from __future__ import annotations

from typing import List, Optional


class TopologyError(ValueError):
    """An unusable ``tbon.topo`` value."""


class Topology:
    def __init__(self, size: int, topo: str = "kary:32") -> None:
        if size < 1:
            raise TopologyError(f"instance size must be at least 1, not {size}")
        self.size = size
        self.spec = topo
        self._binomial = False
        self.k = 0
        if topo == "binomial":
            self._binomial = True
        elif topo.startswith("kary:"):
            try:
                self.k = int(topo[5:])
            except ValueError:
                raise TopologyError(f"tbon.topo {topo!r}: kary:K needs an integer K") from None
            if self.k < 0:
                raise TopologyError(f"tbon.topo {topo!r}: K must not be negative")
        else:
            raise TopologyError(f"tbon.topo {topo!r} is not supported (use kary:K or binomial)")
        # In a k-ary tree the last rank is among the deepest; in a binomial
        # tree a rank's depth is its count of set bits.
        self.maxlevel = (size.bit_length() - 1) if self._binomial else self.level(size - 1)

    def parent(self, rank: int) -> Optional[int]:
        if rank == 0:
            return None
        if self._binomial:
            return rank & (rank - 1)  # clear the lowest set bit
        if self.k == 0:
            return None
        return (rank - 1) // self.k

    def children(self, rank: int) -> List[int]:
        if self._binomial:
            kids = []
            lowest = rank & -rank if rank else self.size
            bit = 1
            while bit < lowest and rank + bit < self.size:
                kids.append(rank + bit)
                bit <<= 1
            return kids
        if self.k == 0:
            return []
        first = rank * self.k + 1
        return list(range(first, min(first + self.k, self.size)))

    def level(self, rank: int) -> int:
        depth = 0
        r: Optional[int] = rank
        while r:
            r = self.parent(r)
            depth += 1
        return depth

    def is_ancestor(self, ancestor: int, rank: int) -> bool:
        """True when ``rank`` lies in the subtree rooted at ``ancestor`` (itself included)."""
        r: Optional[int] = rank
        while r is not None:
            if r == ancestor:
                return True
            if r < ancestor:
                return False  # parents always have lower ranks
            r = self.parent(r)
        return False

    def next_hop_down(self, rank: int, target: int) -> Optional[int]:
        """The child of ``rank`` whose subtree holds ``target``, if any."""
        if target >= self.size or target <= rank:
            return None
        r: Optional[int] = target
        while r is not None:
            p = self.parent(r)
            if p == rank:
                return r
            if p is None or p < rank:
                return None
            r = p
        return None

    def descendants(self, rank: int) -> int:
        count = 0
        stack = self.children(rank)
        while stack:
            r = stack.pop()
            count += 1
            stack.extend(self.children(r))
        return count
