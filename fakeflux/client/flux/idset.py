"""RFC 22 idsets: flux-core's ``flux.idset`` (``IDset``, ``decode``) without libidset.

Decoding, encoding and the error behaviour follow libidset: ids are
non-negative integers below 2**31, an encoded set is a comma-separated,
strictly ascending list of ids and ``lo-hi`` ranges without leading zeros,
optionally in brackets.
"""

from __future__ import annotations

import collections.abc
import errno
import numbers
import os
import re
from bisect import bisect_right
from typing import Any, Iterable, Iterator, List, Optional, Tuple

__all__ = ["IDset", "decode", "IDSET_INVALID_ID", "IDSET_FLAG_RANGE", "IDSET_FLAG_BRACKETS"]

UINT_MAX = 2**32 - 1
#: Returned by first/next/last when there is no such id (libidset's UINT_MAX - 1).
IDSET_INVALID_ID = UINT_MAX - 1
IDSET_FLAG_BRACKETS = 2
IDSET_FLAG_RANGE = 4
#: Ids must be below this (libidset's largest universe, INT_MAX + 1).
IDSET_MAX_UNIVERSE = 2**31


def _oserror(errnum: int) -> OSError:
    """The exception flux-core's Wrapper raises for a failed libidset call."""
    name = errno.errorcode.get(errnum, f"Errno{errnum}")
    return OSError(errnum, f"{name}: {os.strerror(errnum)}")


def _uint(value: int) -> int:
    """A Python int passed as a C ``unsigned int`` (cffi refuses what does not fit)."""
    if value < 0 or value > UINT_MAX:
        raise OverflowError(f"integer {value} does not fit '32-bit unsigned int'")
    return value


_DIGITS = re.compile(r"[0-9]+")  # C isdigit(): ASCII only, unlike str.isdigit()


def _parse_id(text: str) -> int:
    """One decimal id as libidset reads it: digits only, no leading zero (ValueError otherwise)."""
    if not _DIGITS.fullmatch(text) or (text[0] == "0" and len(text) > 1):
        raise ValueError(text)
    value = int(text)
    if value > 2**64 - 1:  # strtoul overflow
        raise ValueError(text)
    return value % 2**32  # stored in an unsigned int, as libidset does


class _Ranges:
    """A set of ids as sorted, disjoint, non-adjacent inclusive runs ``(lo, hi)``.

    Runs keep huge sets (``0-2147483646``) as cheap as libidset's bitmaps.
    """

    __slots__ = ("runs",)

    def __init__(self, runs: Optional[List[Tuple[int, int]]] = None) -> None:
        self.runs: List[Tuple[int, int]] = runs if runs is not None else []

    def copy(self) -> _Ranges:
        return _Ranges(list(self.runs))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ranges) and self.runs == other.runs

    def count(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.runs)

    def contains(self, value: int) -> bool:
        pos = bisect_right(self.runs, (value, _INFINITY)) - 1
        return pos >= 0 and self.runs[pos][1] >= value

    def next_from(self, value: int) -> Optional[int]:
        """The smallest member >= value, or None."""
        pos = bisect_right(self.runs, (value, _INFINITY)) - 1
        if pos >= 0 and self.runs[pos][1] >= value:
            return value
        return self.runs[pos + 1][0] if pos + 1 < len(self.runs) else None

    def __iter__(self) -> Iterator[int]:
        for lo, hi in self.runs:
            yield from range(lo, hi + 1)

    def add(self, lo: int, hi: int) -> None:
        """Add ids lo..hi, merging with overlapping or adjacent runs."""
        runs = self.runs
        start = bisect_right(runs, (lo, _INFINITY)) - 1
        if start < 0 or runs[start][1] < lo - 1:
            start += 1
        end = start
        while end < len(runs) and runs[end][0] <= hi + 1:
            lo, hi = min(lo, runs[end][0]), max(hi, runs[end][1])
            end += 1
        runs[start:end] = [(lo, hi)]

    def remove(self, lo: int, hi: int) -> None:
        """Remove ids lo..hi, splitting runs as needed."""
        runs = self.runs
        start = bisect_right(runs, (lo, _INFINITY)) - 1
        if start < 0 or runs[start][1] < lo:
            start += 1
        end = start
        kept: List[Tuple[int, int]] = []
        while end < len(runs) and runs[end][0] <= hi:
            run_lo, run_hi = runs[end]
            if run_lo < lo:
                kept.append((run_lo, lo - 1))
            if run_hi > hi:
                kept.append((hi + 1, run_hi))
            end += 1
        runs[start:end] = kept

    def intersection(self, other: _Ranges) -> _Ranges:
        result: List[Tuple[int, int]] = []
        a, b = self.runs, other.runs
        i = j = 0
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo <= hi:
                result.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return _Ranges(result)


_INFINITY = float("inf")


def _decode_ids(text: str) -> _Ranges:
    """The ids of an RFC 22 string; ValueError if libidset's idset_decode would fail."""
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    if "[" in text or "]" in text:
        raise ValueError("mismatched or nested brackets")
    ids = _Ranges()
    maxid = IDSET_INVALID_ID
    for token in (t for t in text.split(",") if t):
        lo_text, sep, hi_text = token.partition("-")
        lo = _parse_id(lo_text)
        hi = lo
        if sep:
            hi = _parse_id(hi_text)
            if hi <= lo:
                raise ValueError(f"error parsing range '{token}'")
        if maxid != IDSET_INVALID_ID and lo <= maxid:
            raise ValueError(f"range '{token}' is out of order")
        maxid = hi
        if hi >= IDSET_MAX_UNIVERSE:
            raise ValueError("set universe size would exceed maximum")
        ids.add(lo, hi)
    return ids


class IDsetIterator:
    """Iterates the ids of an IDset in ascending order."""

    def __init__(self, idset: IDset) -> None:
        self._idset = idset
        self._next = idset.first()

    def __iter__(self) -> IDsetIterator:
        return self

    def __next__(self) -> int:
        result = self._next
        if result == IDSET_INVALID_ID:
            raise StopIteration
        self._next = self._idset.next(result)
        return result


class IDset:
    """A set of non-negative integers with RFC 22 encoding (``"0-3,7"``).

    ``IDset(arg="", flags=IDSET_FLAG_RANGE)`` takes an idset string, another
    IDset, an int, or an iterable of ints (or of idset strings); ValueError
    "IDset(): Invalid argument: ..." for a string that does not decode.
    ``flags`` are the default flags of :meth:`encode`.
    """

    def __init__(self, arg: Any = "", flags: int = IDSET_FLAG_RANGE, handle: Optional[_Ranges] = None) -> None:
        if isinstance(arg, IDset):
            arg = str(arg)
        elif isinstance(arg, collections.abc.Iterable) and not isinstance(arg, str):
            arg = ",".join(str(i) for i in sorted(arg))
        elif isinstance(arg, int):
            arg = str(arg)
        self.default_flags = flags
        if handle is not None:
            self._ids = handle
            return
        if not isinstance(arg, str):
            # flux-core builds this message by adding a type to a str, which
            # itself fails: what reaches the caller is that TypeError
            raise TypeError('can only concatenate str (not "type") to str')
        try:
            self._ids = _decode_ids(arg)
        except ValueError:
            raise ValueError(f"IDset(): Invalid argument: {arg}") from None

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _check_index(i: Any, name: str) -> None:
        if not isinstance(i, numbers.Integral):
            raise TypeError(f"IDset.{name} supports integers, not {type(i)}")
        if i < 0:
            raise ValueError(f"negative index passed to IDset.{name}")

    @staticmethod
    def _settable(i: int) -> int:
        """Check an id for set(): libidset's EINVAL/ERANGE as flux-core's OSError."""
        _uint(i)
        if i in (UINT_MAX, IDSET_INVALID_ID):
            raise _oserror(errno.EINVAL)
        if i >= IDSET_MAX_UNIVERSE:
            raise _oserror(errno.ERANGE)
        return i

    # -- Python protocols ------------------------------------------------------------------
    def __str__(self) -> str:
        return self.encode()

    def __repr__(self) -> str:
        return f"IDset('{self.encode(flags=IDSET_FLAG_RANGE)}')"

    def __len__(self) -> int:
        return self._ids.count()

    def __iter__(self) -> Iterator[int]:
        return IDsetIterator(self)

    def __contains__(self, i: Any) -> bool:
        return self.test(i)

    def __getitem__(self, i: Any) -> bool:
        return self.test(i)

    def __setitem__(self, i: Any, value: Any) -> None:
        if value in (0, 1):
            value = bool(value)
        if not isinstance(value, bool):
            raise TypeError(f"IDset setitem must be bool or 0,1 not {type(value)}")
        if value:
            self.set(i)
        else:
            self.clear(i)

    def __eq__(self, idset: Any) -> bool:
        return self.equal(idset)

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, arg: Any) -> IDset:
        return self.union(arg)

    def __or__(self, arg: Any) -> IDset:
        return self.union(arg)

    def __sub__(self, arg: Any) -> IDset:
        return self.difference(arg)

    def __and__(self, arg: Any) -> IDset:
        return self.intersect(arg)

    def __iadd__(self, arg: Any) -> IDset:
        self.add(arg)
        return self

    def __isub__(self, arg: Any) -> IDset:
        self.subtract(arg)
        return self

    # -- queries -----------------------------------------------------------------------------
    def equal(self, idset: Any) -> bool:
        """True if both sets hold the same ids (TypeError unless ``idset`` is an IDset)."""
        if not isinstance(idset, IDset):
            raise TypeError
        return self._ids == idset._ids

    def set_flags(self, flags: int) -> None:
        """Default flags for :meth:`encode` (IDSET_FLAG_RANGE, IDSET_FLAG_BRACKETS)."""
        self.default_flags = flags

    def test(self, i: Any) -> bool:
        """True if id ``i`` is in the set."""
        self._check_index(i, "test")
        return self._ids.contains(_uint(int(i)))

    def count(self) -> int:
        """The number of ids."""
        return self._ids.count()

    def expand(self) -> List[int]:
        """The ids as a sorted list."""
        return list(self._ids)

    def first(self) -> int:
        """The smallest id, or IDSET_INVALID_ID if empty."""
        runs = self._ids.runs
        return runs[0][0] if runs else IDSET_INVALID_ID

    def last(self) -> int:
        """The largest id, or IDSET_INVALID_ID if empty."""
        runs = self._ids.runs
        return runs[-1][1] if runs else IDSET_INVALID_ID

    def next(self, i: Any) -> int:
        """The smallest id greater than ``i``, or IDSET_INVALID_ID."""
        self._check_index(i, "next")
        # libidset looks from i + 1 in unsigned arithmetic: after UINT_MAX comes 0
        start = (_uint(int(i)) + 1) % (UINT_MAX + 1)
        found = self._ids.next_from(start)
        return found if found is not None else IDSET_INVALID_ID

    def copy(self) -> IDset:
        return IDset(handle=self._ids.copy())

    def encode(self, flags: Optional[int] = None) -> str:
        """The RFC 22 string: ``"0-3,7"`` with IDSET_FLAG_RANGE, ``"[0-3,7]"`` with brackets too."""
        if flags is None:
            flags = self.default_flags
        if flags & ~(IDSET_FLAG_BRACKETS | IDSET_FLAG_RANGE):
            raise RuntimeError("cannot use string() on <cdata 'char *' NULL>")
        if flags & IDSET_FLAG_RANGE:
            text = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self._ids.runs)
        else:
            text = ",".join(str(i) for i in self._ids)
        if flags & IDSET_FLAG_BRACKETS and self._ids.count() > 1:
            text = f"[{text}]"
        return text

    # -- changes -----------------------------------------------------------------------------
    def set(self, start: Any, end: Any = None) -> IDset:
        """Add id ``start``, or ids ``start`` to ``end``; returns self."""
        self._check_index(start, "set")
        if end is None:
            value = self._settable(int(start))
            self._ids.add(value, value)
        else:
            self._check_index(end, "set")
            if end < start:
                raise ValueError(f"can't set range with {start} > {end}")
            self._ids.add(self._settable(int(start)), self._settable(int(end)))
        return self

    def clear(self, start: Any, end: Any = None) -> IDset:
        """Remove id ``start``, or ids ``start`` to ``end``; returns self."""
        self._check_index(start, "clear")
        if end is not None:
            self._check_index(end, "clear")
            if end < start:
                raise ValueError(f"can't set range with {start} > {end}")
        lo, hi = int(start), int(start if end is None else end)
        for value in (lo, hi):
            if _uint(value) in (UINT_MAX, IDSET_INVALID_ID):
                raise _oserror(errno.EINVAL)
        self._ids.remove(lo, hi)
        return self

    def add(self, arg: Any) -> IDset:
        """Add the ids of ``arg`` (IDset, idset string or iterable); returns self."""
        other = arg if isinstance(arg, IDset) else IDset(arg)
        for lo, hi in list(other._ids.runs):
            self._ids.add(lo, hi)
        return self

    def subtract(self, arg: Any) -> IDset:
        """Remove the ids of ``arg`` (IDset, idset string or iterable); returns self."""
        other = arg if isinstance(arg, IDset) else IDset(arg)
        for lo, hi in list(other._ids.runs):
            self._ids.remove(lo, hi)
        return self

    def union(self, *args: Any) -> IDset:
        """A new IDset: this one and all ``args`` together."""
        result = self.copy()
        for arg in _idsets(args):
            result.add(arg)
        return result

    def intersect(self, *args: Any) -> IDset:
        """A new IDset: the ids in this one and in every one of ``args``."""
        result = self._ids.copy()
        for arg in _idsets(args):
            result = result.intersection(arg._ids)
        return IDset(handle=result)

    def difference(self, *args: Any) -> IDset:
        """A new IDset: the ids in this one and in none of ``args``."""
        result = self.copy()
        for arg in _idsets(args):
            result.subtract(arg)
        return result


def _idsets(args: Iterable[Any]) -> Iterator[IDset]:
    for arg in args:
        yield arg if isinstance(arg, IDset) else IDset(arg)


def decode(string: str) -> IDset:
    """An IDset from an RFC 22 string."""
    return IDset(string)
