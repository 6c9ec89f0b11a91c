"""RFC 29 hostlists: flux-core's ``flux.hostlist`` (``Hostlist``, ``decode``) without libhostlist.

A hostlist is an ordered list of host ranges: a prefix with a numeric range
and zero-padding width (``foo[01-10]``), or a single host whose name has no
numeric suffix.  Appending, sorting, de-duplicating, finding and encoding
follow libhostlist's rules, including how it joins ranges and reconciles
zero-padding widths, because tools print these strings.
"""

from __future__ import annotations

import collections.abc
import errno
import functools
import numbers
import os
from typing import Any, Iterator, List, Optional, Tuple

__all__ = ["Hostlist", "HostlistIterator", "decode"]

ULONG_MAX = 2**64 - 1
#: libhostlist limits: hosts in one bracketed range, ranges in one bracket.
_MAX_RANGE = 1 << 20
_MAX_RANGES = 10240
_INVALID_HOST_CHARS = ",[]\t "
_ASCII_DIGITS = "0123456789"  # C isdigit(), not str.isdigit() (which takes other scripts' digits)


def _oserror(errnum: int) -> OSError:
    """The exception flux-core's Wrapper raises for a failed libhostlist call."""
    name = errno.errorcode.get(errnum, f"Errno{errnum}")
    return OSError(errnum, f"{name}: {os.strerror(errnum)}")


def _strtoul(text: str) -> Tuple[int, int]:
    """C strtoul(text, &end, 10): (value, characters consumed); 0 consumed if no digits."""
    pos = 0
    while pos < len(text) and text[pos] in " \t\n\v\f\r":
        pos += 1
    negative = False
    if pos < len(text) and text[pos] in "+-":
        negative = text[pos] == "-"
        pos += 1
    start = pos
    while pos < len(text) and text[pos] in "0123456789":
        pos += 1
    if pos == start:
        return 0, 0
    value = min(int(text[start:pos]), ULONG_MAX)
    if negative:
        value = (-value) % 2**64
    return value, pos


def _zero_padded(num: int, width: int) -> int:
    digits = len(str(num))
    return width - digits if width > digits else 0


def _width_equiv(n: int, wn: int, m: int, wm: int) -> Tuple[bool, int, int]:
    """libhostlist's width_equiv: can ``n`` (width ``wn``) and ``m`` (width ``wm``) share a range?

    Returns (ok, new wn, new wm): when they can, one width is adopted by the other.
    """
    npad, nmpad = _zero_padded(n, wn), _zero_padded(n, wm)
    mpad, mnpad = _zero_padded(m, wm), _zero_padded(m, wn)
    if npad != nmpad and mpad != mnpad:
        return False, wn, wm
    if npad != nmpad:
        return True, wn, wn
    return True, wm, wm


class _Range:
    """One host range: ``prefix`` + numbers ``lo..hi`` zero-padded to ``width``, or a single host."""

    __slots__ = ("prefix", "lo", "hi", "width", "single")

    def __init__(self, prefix: str, lo: int = 0, hi: int = 0, width: int = 0, single: bool = False) -> None:
        self.prefix = prefix
        self.lo = lo
        self.hi = hi
        self.width = width
        self.single = single

    def copy(self) -> _Range:
        return _Range(self.prefix, self.lo, self.hi, self.width, self.single)

    def count(self) -> int:
        return 1 if self.single else self.hi - self.lo + 1

    def empty(self) -> bool:
        return self.hi < self.lo

    def host(self, depth: int) -> str:
        if self.single:
            return self.prefix
        return f"{self.prefix}{self.lo + depth:0{self.width}d}"

    def numstr(self) -> str:
        if self.single:
            return ""
        text = f"{self.lo:0{self.width}d}"
        if self.lo < self.hi:
            text += f"-{self.hi:0{self.width}d}"
        return text


def _prefix_cmp(h1: Optional[_Range], h2: Optional[_Range]) -> int:
    if h1 is None:
        return -1
    if h2 is None:
        return 1
    p1, p2 = h1.prefix.encode(), h2.prefix.encode()
    n = min(len(p1), len(p2))
    if p1[:n] != p2[:n]:
        return -1 if p1[:n] < p2[:n] else 1
    if len(p1) != len(p2):
        return -1 if len(p1) < len(p2) else 1
    return int(h2.single) - int(h1.single)  # single hosts first


def _width_combine(h0: _Range, h1: _Range) -> bool:
    ok, h0.width, h1.width = _width_equiv(h0.lo, h0.width, h1.lo, h1.width)
    return ok


def _range_cmp(h1: _Range, h2: _Range) -> int:
    result = _prefix_cmp(h1, h2)
    if result == 0:
        result = h1.lo - h2.lo if _width_combine(h1, h2) else h1.width - h2.width
    return (result > 0) - (result < 0)


def _within_range(h1: _Range, h2: Optional[_Range]) -> bool:
    """Same prefix and both numeric: these two can share one bracket."""
    return _prefix_cmp(h1, h2) == 0 and h2 is not None and not (h1.single or h2.single)


class _Hostname:
    """A hostname split as libhostlist does: prefix, numeric suffix value and width."""

    __slots__ = ("name", "len_prefix", "num", "width", "has_suffix")

    def __init__(self, name: str) -> None:
        if any(c in _INVALID_HOST_CHARS for c in name):
            raise _oserror(errno.EINVAL)
        idx = len(name) - 1
        while idx >= 0 and name[idx] in _ASCII_DIGITS:
            idx -= 1
        self.name = name
        self.len_prefix = idx + 1
        self.has_suffix = idx != len(name) - 1
        self.num = min(int(name[idx + 1 :]), ULONG_MAX) if self.has_suffix else 0
        self.width = len(name) - self.len_prefix if self.has_suffix else 0

    def one_less_digit(self) -> Optional[_Hostname]:
        """The same name with one more digit counted in the prefix (f00[1-2] style ranges)."""
        other = object.__new__(_Hostname)
        other.name = self.name
        other.len_prefix = self.len_prefix + 1
        other.has_suffix = True
        other.width = len(self.name) - other.len_prefix
        if other.width < 0 or other.width >= 10:
            return None
        other.num = self.num % 10**other.width
        return other


def _hn_within(hr: _Range, hn: Optional[_Hostname]) -> int:
    """Offset of hostname ``hn`` within range ``hr``, or -1."""
    if hn is None:
        return -1
    if hr.single:
        return 0 if hn.name == hr.prefix else -1
    if not hn.has_suffix:
        return -1
    prefix = hr.prefix
    if len(prefix) < hn.len_prefix or prefix[: hn.len_prefix] != hn.name[: hn.len_prefix]:
        return -1
    if (
        hn.len_prefix < len(prefix)
        and hn.width > 1
        and prefix[-1] in _ASCII_DIGITS
        and prefix[hn.len_prefix] == hn.name[hn.len_prefix]
    ):
        return _hn_within(hr, hn.one_less_digit())
    if len(prefix) == hn.len_prefix and hr.lo <= hn.num <= hr.hi:
        ok, hr.width, _ = _width_equiv(hr.lo, hr.width, hn.num, hn.width)
        return hn.num - hr.lo if ok else -1
    return -1


def _next_token(text: str, pos: int, seps: str) -> Tuple[Optional[str], int]:
    """The next separator-delimited token (brackets may contain separators), and the new position."""
    while pos < len(text) and text[pos] in seps:
        pos += 1
    if pos >= len(text):
        return None, pos
    level = 0
    start = pos
    while pos < len(text) and (level != 0 or text[pos] not in seps):
        if text[pos] == "[":
            level += 1
        elif text[pos] == "]":
            level -= 1
        pos += 1
    return text[start:pos], pos


def _parse_range(text: str) -> Tuple[int, int, int]:
    """``lo[-hi]`` inside brackets: (lo, hi, width); ValueError as libhostlist rejects it."""
    lo_text, sep, hi_text = text.partition("-")
    if sep and hi_text.startswith("-"):  # no negative numbers
        raise ValueError(text)
    lo, used = _strtoul(lo_text)
    if used == 0:
        raise ValueError(text)
    if sep and hi_text:
        hi, used = _strtoul(hi_text)
        if used == 0 or used != len(hi_text):
            raise ValueError(text)
    else:  # (with "lo-hi", C never checks that all of "lo" was a number)
        hi = lo
        if used != len(lo_text):
            raise ValueError(text)
    if lo > hi or hi - lo + 1 > _MAX_RANGE:
        raise ValueError(text)
    return lo, hi, len(lo_text)


class _HostlistCore:
    """The list of ranges and libhostlist's operations on it."""

    def __init__(self) -> None:
        self.ranges: List[_Range] = []
        self.nhosts = 0

    def copy(self) -> _HostlistCore:
        new = _HostlistCore()
        new.ranges = [r.copy() for r in self.ranges]
        new.nhosts = self.nhosts
        return new

    def append_range(self, hr: _Range) -> int:
        tail = self.ranges[-1] if self.ranges else None
        if tail is not None and _prefix_cmp(tail, hr) == 0 and tail.hi == hr.lo - 1 and _width_combine(tail, hr):
            tail.hi = hr.hi
        else:
            self.ranges.append(hr.copy())
        count = hr.count()
        self.nhosts += count
        return count

    def append_host(self, name: str) -> None:
        try:
            hn = _Hostname(name)
        except OSError:
            return  # libhostlist drops a host it cannot parse
        if hn.has_suffix:
            if int(name[hn.len_prefix :]) > ULONG_MAX:
                return  # strtoul overflow: dropped likewise
            self.append_range(_Range(name[: hn.len_prefix], hn.num, hn.num, hn.width))
        else:
            self.append_range(_Range(name, single=True))

    @classmethod
    def decode(cls, text: str) -> _HostlistCore:
        """Parse an RFC 29 string; ValueError if libhostlist's hostlist_decode fails."""
        new = cls()
        pos = 0
        while True:
            token, pos = _next_token(text, pos, "\t, ")
            if token is None:
                return new
            if "[" in token:
                prefix, _, rest = token.partition("[")
                body, bracket, suffix = rest.partition("]")
                if not bracket:
                    raise ValueError("unbalanced brackets")
                parts = body.split(",")
                if len(parts) > _MAX_RANGES:
                    raise ValueError("too many ranges")
                ranges = [_parse_range(part) for part in parts]
                for lo, hi, width in ranges:
                    if suffix:
                        for n in range(lo, hi + 1):
                            new.append_range(_Range(f"{prefix}{n:0{width}d}{suffix}", single=True))
                    else:
                        new.append_range(_Range(prefix, lo, hi, width))
            elif "]" in token:
                raise ValueError("unbalanced brackets")
            else:
                new.append_host(token[:1023])

    def nth(self, n: int) -> str:
        for hr in self.ranges:
            count = hr.count()
            if n < count:
                return hr.host(n)
            n -= count
        raise _oserror(errno.ENOENT)

    def locate(self, name: str) -> Tuple[int, int, int]:
        """(position, range index, depth) of the first occurrence of ``name``; OSError if absent."""
        hn = _Hostname(name)
        position = 0
        for index, hr in enumerate(self.ranges):
            offset = _hn_within(hr, hn)
            if offset >= 0:
                return position + offset, index, offset
            position += hr.count()
        raise _oserror(errno.ENOENT)

    def remove_at(self, index: int, depth: int) -> None:
        hr = self.ranges[index]
        n = hr.lo + depth
        if n == hr.lo:
            hr.lo += 1
        elif n == hr.hi:
            hr.hi -= 1
        else:  # split the range around n
            upper = hr.copy()
            hr.hi = n - 1
            upper.lo = n + 1
            self.ranges.insert(index + 1, upper)
        if hr.empty():
            del self.ranges[index]
        self.nhosts -= 1

    def delete(self, hosts: str) -> int:
        try:
            doomed = _HostlistCore.decode(hosts)
        except ValueError:
            raise _oserror(errno.EINVAL) from None
        count = 0
        for hr in doomed.ranges:
            for depth in range(hr.count()):
                try:
                    _, index, offset = self.locate(hr.host(depth))
                except OSError as exc:
                    # libhostlist adds the -1 of a host it cannot parse to the count
                    count -= exc.errno != errno.ENOENT
                    continue
                self.remove_at(index, offset)
                count += 1
        return count

    def sort(self) -> None:
        if len(self.ranges) <= 1:
            return
        self.ranges.sort(key=functools.cmp_to_key(_range_cmp))
        self._coalesce()

    def _coalesce(self) -> None:
        """Split overlapping neighbours so duplicates sit side by side, then join adjacent ones."""
        ranges = self.ranges
        i = len(ranges) - 1
        while i > 0:
            prev, nxt = ranges[i - 1], ranges[i]
            if (
                not (prev.single or nxt.single)
                and _prefix_cmp(prev, nxt) == 0
                and prev.hi > nxt.lo
                and _width_combine(prev, nxt)
            ):
                dup_lo, dup_hi = nxt.lo, min(nxt.hi, prev.hi)
                if dup_hi < prev.hi:
                    nxt.hi = prev.hi
                prev.hi = dup_lo
                nxt.lo = dup_hi
                j = i
                for n in range(dup_lo, dup_hi + 1):
                    single = _Range(prev.prefix, n, n, prev.width)
                    if n > prev.hi:
                        ranges.insert(j, single.copy())
                        j += 1
                    if n < nxt.lo:
                        ranges.insert(j, single.copy())
                        j += 1
                i = len(ranges)
            i -= 1
        self._collapse()

    def _collapse(self) -> None:
        ranges = self.ranges
        for i in range(len(ranges) - 1, 0, -1):
            prev, nxt = ranges[i - 1], ranges[i]
            if _prefix_cmp(prev, nxt) == 0 and prev.hi == nxt.lo - 1 and _width_combine(prev, nxt):
                prev.hi = nxt.hi
                del ranges[i]

    def uniq(self) -> None:
        if len(self.ranges) <= 1:
            return
        self.ranges.sort(key=functools.cmp_to_key(_range_cmp))
        i = 1
        while i < len(self.ranges):
            dups = self._join(self.ranges[i - 1], self.ranges[i])
            if dups >= 0:
                del self.ranges[i]
                self.nhosts -= dups
            else:
                i += 1

    @staticmethod
    def _join(h1: _Range, h2: _Range) -> int:
        """Merge h2 into h1 if they touch or overlap: the number of duplicates dropped, else -1."""
        if _prefix_cmp(h1, h2) != 0 or not _width_combine(h1, h2):
            return -1
        if h1.single and h2.single:
            return 1
        if h1.hi == h2.lo - 1:
            h1.hi = h2.hi
            return 0
        if h1.hi >= h2.lo:
            if h1.hi < h2.hi:
                dups = h1.hi - h2.lo + 1
                h1.hi = h2.hi
                return dups
            return h2.count()
        return -1

    def encode(self) -> str:
        ranges = self.ranges
        out: List[str] = []
        i = 0
        while i < len(ranges):
            nxt = ranges[i + 1] if i + 1 < len(ranges) else None
            bracket = ranges[i].count() > 1 or _within_range(ranges[i], nxt)
            numbers_: List[str] = [ranges[i].numstr()]
            i += 1
            while i < len(ranges) and _within_range(ranges[i], ranges[i - 1]):
                numbers_.append(ranges[i].numstr())
                i += 1
            prefix = ranges[i - len(numbers_)].prefix
            out.append(f"{prefix}[{','.join(numbers_)}]" if bracket else prefix + "".join(numbers_))
        return ",".join(out)


class HostlistIterator:
    """Iterates the hosts of a Hostlist in order."""

    def __init__(self, hostlist: Hostlist) -> None:
        self._hostlist = hostlist
        self._index = 0

    def __iter__(self) -> HostlistIterator:
        return self

    def __next__(self) -> str:
        if self._index < len(self._hostlist):
            result = self._hostlist[self._index]
            self._index += 1
            return result
        raise StopIteration


class Hostlist:
    """An ordered list of hosts with RFC 29 encoding (``"foo[1-3,7],bar"``).

    ``Hostlist(arg="")`` takes an RFC 29 string or an iterable of them
    (ValueError "Invalid hostlist: '...'" if one does not decode, TypeError
    for anything else).  Indexing and slicing work as for a list; slices and
    index iterables give a new Hostlist.
    """

    def __init__(self, arg: Any = "", handle: Optional[_HostlistCore] = None) -> None:
        if handle is None:
            if isinstance(arg, str):
                try:
                    handle = _HostlistCore.decode(arg)
                except ValueError:
                    raise ValueError(f"Invalid hostlist: '{arg}'") from None
            elif isinstance(arg, collections.abc.Iterable):
                handle = _HostlistCore()
                for hosts in arg:
                    if not isinstance(hosts, str):
                        raise TypeError(f"Hostlist(): expected string or Iterable, got {type(hosts)}")
                    try:
                        part = _HostlistCore.decode(hosts)
                    except ValueError:
                        raise ValueError(f"Invalid hostlist: '{hosts}'") from None
                    for hr in part.ranges:
                        handle.append_range(hr)
            else:
                raise TypeError(f"Hostlist(): expected string or Iterable, got {type(arg)}")
        self._core = handle

    def __str__(self) -> str:
        return self.encode()

    def __repr__(self) -> str:
        return f"Hostlist('{self}')"

    def __len__(self) -> int:
        return self._core.nhosts

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, numbers.Integral):
            position = int(index)
            if position < 0:
                position += len(self)
            if 0 <= position < len(self):
                return self._core.nth(position)
            raise IndexError("Hostlist index out of range")
        if isinstance(index, slice):
            result = Hostlist()
            for n in range(len(self))[index]:
                result.append(self[n])
            return result
        if isinstance(index, collections.abc.Iterable):
            result = Hostlist()
            for n in index:
                if not isinstance(n, numbers.Integral):
                    raise TypeError(f"Invalid Hostlist index '{n}'")
                result.append(self[n])
            return result
        raise TypeError("Hostlist index must be integer or slice")

    def __iter__(self) -> Iterator[str]:
        return HostlistIterator(self)

    def __contains__(self, name: str) -> bool:
        try:
            self.find(name)
        except FileNotFoundError:
            return False
        return True

    def encode(self) -> str:
        """The RFC 29 string."""
        return self._core.encode()

    def count(self) -> int:
        """The number of hosts."""
        return self._core.nhosts

    def append(self, *args: Any) -> int:
        """Append hostlists (Hostlist objects or anything Hostlist() takes); returns hosts added."""
        count = 0
        for arg in args:
            other = arg if isinstance(arg, Hostlist) else Hostlist(arg)
            for hr in list(other._core.ranges):
                count += self._core.append_range(hr)
        return count

    def delete(self, hosts: Any) -> int:
        """Delete the first occurrence of each host of ``hosts``; returns the number deleted."""
        return self._core.delete(str(hosts))

    def sort(self) -> Hostlist:
        """Sort in place (and join ranges); returns self."""
        self._core.sort()
        return self

    def uniq(self) -> Hostlist:
        """Sort and drop duplicate hosts; returns self."""
        self._core.uniq()
        return self

    def expand(self) -> List[str]:
        """The hosts as a list of names."""
        return list(self)

    def copy(self) -> Hostlist:
        return Hostlist(handle=self._core.copy())

    def find(self, host: str) -> int:
        """Position of ``host``; FileNotFoundError if absent."""
        if not isinstance(host, (str, bytes)):
            from .wrapper import InvalidArguments

            raise InvalidArguments("find", "int(*)(struct hostlist *, char *)", (host,))
        name = host.decode("utf-8") if isinstance(host, bytes) else host
        return self._core.locate(name)[0]

    def index(self, hosts: Any, ignore_nomatch: bool = False) -> List[int]:
        """Positions of each host of ``hosts``; FileNotFoundError naming the missing ones."""
        wanted = hosts if isinstance(hosts, Hostlist) else Hostlist(hosts)
        ids: List[int] = []
        notfound = Hostlist()
        for host in wanted:
            try:
                ids.append(self.find(host))
            except FileNotFoundError:
                notfound.append(host)
        if notfound and not ignore_nomatch:
            suffix = "s" if len(notfound) > 1 else ""
            raise FileNotFoundError(f"host{suffix} '{notfound}' not found")
        return ids


def decode(arg: Any) -> Hostlist:
    """A Hostlist from an RFC 29 string or an iterable of them."""
    return Hostlist(arg)
