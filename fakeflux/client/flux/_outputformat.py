"""Formatted table output of flux-core's tools (``flux.util.OutputFormat`` and helpers).

Re-exported by :mod:`flux.util`; lives apart so that ``import flux`` does not
pay for it.  Behaviour (sentinels ``?:``, ``+:``, ``?+:``, ``sort:`` prefixes,
the ``!d !D !F !H !P`` conversions and the ``h``/``+`` spec suffixes) follows
flux-core's command line tools exactly, since their output is what users parse.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import os
import re
import string
from functools import total_ordering
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type

from .util import fsd

__all__ = [
    "empty_outputs",
    "UtilDatetime",
    "UtilFormatter",
    "AltField",
    "DisplayValue",
    "OutputFormat",
    "Deduplicator",
]


def _epoch() -> dt.datetime:
    """Time 0 as a local naive datetime: what job records hold for a time not reached."""
    return dt.datetime.fromtimestamp(0.0)


def empty_outputs() -> Tuple[str, ...]:
    """Rendered values that count as "empty" for ``?:`` filtering and the ``h`` suffix."""
    return ("", "0s", "0.0", "0:00:00", "1970-01-01T00:00:00", _epoch().strftime("%FT%T"))


def _without_suffix(spec: str, suffix: str) -> Tuple[str, bool]:
    """``spec`` less a trailing one-character Flux suffix, and whether it was there."""
    return (spec[:-1], True) if spec.endswith(suffix) else (spec, False)


class UtilDatetime(dt.datetime):
    """A datetime whose format spec is ``STRFTIME[::PYSPEC]``, e.g. ``{t:%b%d %R::>12}``.

    The epoch renders as ``""`` (``"-"`` with the ``h`` suffix), since job
    records use 0.0 for a time that has not happened.
    """

    def __format__(self, fmt: str) -> str:
        time_format, _, spec = fmt.partition("::")
        text = "" if self == _epoch() else self.strftime(time_format or "%FT%T")
        # 'h' is handled here (UtilFormatter.format_field leaves it to us): "-" for nothing
        spec, dash_if_empty = _without_suffix(spec, "h")
        if dash_if_empty:
            return format(text or "-", spec + "s")
        return format(text, spec) if spec else text


_Errors = Tuple[Type[BaseException], ...]


def _convert_or_empty(value: Any, convert: Callable[[Any], Any], errors: _Errors = (TypeError,)) -> Any:
    """``convert(value)``; a value that prints as "" converts to "" instead of failing."""
    try:
        return convert(value)
    except errors:
        if str(value) == "":
            return ""
        raise


def _hms(value: Any) -> str:
    if 0 < value < 1:  # a nonzero duration never shows as zero
        value = 1
    return str(dt.timedelta(seconds=round(value)))


def _percent(value: Any) -> str:
    value = value * 100
    if 0 < value < 1:
        return f"{value:.2f}%"
    return f"{value:.3g}%"


def _to_utildatetime(value: Any) -> Any:
    when = _convert_or_empty(value, UtilDatetime.fromtimestamp)
    return UtilDatetime.fromtimestamp(0.0) if isinstance(when, str) else when


def _iso_or_empty(value: Any) -> Any:
    if not value:  # 0.0 stands for "not set" in job records
        return ""
    return _convert_or_empty(value, lambda v: dt.datetime.fromtimestamp(v).strftime("%FT%T"))


# Flux's ``!X`` conversions
_CONVERSIONS: Dict[str, Callable[[Any], Any]] = {
    "d": _to_utildatetime,
    "D": _iso_or_empty,
    "F": lambda value: _convert_or_empty(value, fsd),
    "H": lambda value: _convert_or_empty(value, _hms),
    "P": lambda value: _convert_or_empty(value, _percent, (TypeError, ValueError)),
}


class UtilFormatter(string.Formatter):
    """``string.Formatter`` with Flux's conversions and spec suffixes.

    Conversions: ``!d`` timestamp to :class:`UtilDatetime`, ``!D`` ISO 8601
    text, ``!F`` Flux Standard Duration, ``!H`` ``H:MM:SS``, ``!P`` percent.
    Spec suffixes: ``h`` shows an empty value as ``-``; ``+`` marks a
    truncated value with a trailing ``+``.
    """

    def convert_field(self, value: Any, conversion: Optional[str]) -> Any:
        flux_conversion = _CONVERSIONS.get(conversion or "")
        if flux_conversion is None:
            return string.Formatter.convert_field(self, value, conversion)
        return flux_conversion(value)

    def format_field(self, value: Any, format_spec: str) -> str:
        spec, mark_truncation = _without_suffix(format_spec, "+")
        if not isinstance(value, UtilDatetime):  # (a UtilDatetime handles 'h' itself)
            spec, dash_if_empty = _without_suffix(spec, "h")
            if dash_if_empty:
                text = str(value)
                value, spec = ("-" if text in empty_outputs() else text), spec + "s"
        result = string.Formatter.format_field(self, value, spec)
        if mark_truncation and len(result) < len(str(value)):
            return result[:-1] + "+"
        return result


class AltField:
    """A field with a default and an ASCII rendering (``{field.ascii}``)."""

    def __init__(self, default: str, ascii: str) -> None:  # noqa: A002 - flux-core's name
        self.default = default
        self.ascii = ascii

    def __str__(self) -> str:
        return self.default

    def __format__(self, fmt: str) -> str:
        return format(str(self), fmt)


# DisplayValue's kinds, in sort order
_UNSET, _NUMBER, _TEXT = 0, 1, 2


def _display_key(value: Any) -> Tuple[int, Any]:
    """(kind, comparable value) of a displayed value."""
    if value is None or value in ("", "-"):
        return _UNSET, 0
    if isinstance(value, (bool, int, float)):
        return _NUMBER, float(value)
    # numbers of other types and numeric strings compare as numbers
    for as_number in (float, lambda v: float(str(v))):
        try:
            return _NUMBER, as_number(value)
        except (TypeError, ValueError):
            continue
    return _TEXT, str(value)


@total_ordering
class DisplayValue:
    """Sort key for displayed values of mixed types.

    Order: unset (None, ``""``, ``"-"``, all equal) < numbers (bools, ints,
    floats and strings that parse as a float, compared as floats) < other
    strings (compared as text).
    """

    __slots__ = "value", "_type_order", "_sort_value"

    EMPTY = _UNSET
    NUMERIC = _NUMBER
    STRING = _TEXT

    def __init__(self, value: Any) -> None:
        self.value = value
        self._type_order, self._sort_value = _display_key(value)

    def _key(self) -> Tuple[int, Any]:
        return (self._type_order, self._sort_value)

    def __eq__(self, other: object) -> bool:
        assert isinstance(other, DisplayValue)
        return self._key() == other._key()

    def __lt__(self, other: DisplayValue) -> bool:
        return bool(self._key() < other._key())

    __hash__ = None  # type: ignore[assignment]  # mutable-equality wrapper, as in flux-core

    def __repr__(self) -> str:
        return f"DisplayValue({self.value!r}, type_order={self._type_order}, sort_value={self._sort_value!r})"


_SENTINELS = {"?+:": "both", "?:": "filter", "+:": "maxwidth"}  # longest first
_SORT_PREFIX = re.compile(r"sort:([^{\s]+)")


def _fit(line: str, width: int) -> str:
    """``line`` cut to ``width`` columns, the last one a ``+``, when longer (width <= 0: no limit)."""
    return line[: width - 1] + "+" if 0 < width < len(line) else line


def _print_line(line: str) -> None:
    try:
        print(line)
    except UnicodeEncodeError:
        # lone surrogates (undecodable bytes in job data) go out as the bytes they were
        repaired = line.encode("utf-8", "surrogateescape").decode()
        print(repaired)


def _int_or(text: str, default: Any) -> Any:
    return int(text) if text else default


@dataclasses.dataclass
class _TrackedField:
    """A field with a sentinel, while ``OutputFormat.filter`` measures it against the items."""

    index: int  # in format_list
    kind: str  # "filter", "maxwidth" or "both"
    template: str  # the field alone, to measure its rendering
    spec: Any  # its OutputFormat.FormatSpec
    maxwidth: int  # the width it needs: widest rendering, spec width, heading
    width: int = 0  # widest non-empty rendering

    @property
    def may_vanish(self) -> bool:
        return self.kind != "maxwidth"

    @property
    def grows(self) -> bool:
        return self.kind != "filter"


class OutputFormat:
    """A parsed output format of a Flux tool: fields, headings, sentinels and sort keys.

    ``OutputFormat(fmt, headings=None, prepend="0.")``: every field of ``fmt``
    must have an entry in ``headings`` (ValueError "Unknown format field: X").
    ``format(obj)`` renders one item (fields are looked up as ``{0.field}``),
    ``header()`` the header row, ``filter(items)`` resolves the ``?:``/``+:``
    sentinels, ``print_items(items)`` does all of it.
    """

    formatter = UtilFormatter
    headings: Mapping[str, str] = {}
    prepend = "0."
    # whether a space followed the sort: prefix (kept when the format is rebuilt)
    _sort_has_trailing_space = True

    class HeaderFormatter(UtilFormatter):
        """Looks a field name up literally in the keyword arguments (the headings)."""

        def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
            if field_name not in kwargs:
                return string.Formatter.get_field(self, field_name, args, kwargs)
            heading = kwargs[field_name]
            return heading, None

    class FormatSpec:
        """A Python format spec split into its parts (plus Flux's ``h`` and ``+`` suffixes)."""

        components = tuple(
            "fill align sign pos_zero alt zero_pad width_str grouping decimal precision_str type hyphen truncate"
            .split()
        )
        _spec_re = re.compile(
            r"(?:(?P<fill>[\s\S])?(?P<align>[<>=^]))?(?P<sign>[- +])?(?P<pos_zero>z)?(?P<alt>#)?"
            r"(?P<zero_pad>0)?(?P<width_str>\d+)?(?P<grouping>[_,])?"
            r"(?:(?P<decimal>\.)(?P<precision_str>\d+))?(?P<type>[bcdeEfFgGnosxX%])?"
            r"(?P<hyphen>h)?(?P<truncate>\+)?"
        )

        fill: str
        align: str
        sign: str
        pos_zero: str
        alt: str
        zero_pad: str
        width_str: str
        grouping: str
        decimal: str
        precision_str: str
        type: str
        hyphen: str
        truncate: str

        def __init__(self, spec: str) -> None:
            # a UtilDatetime spec: the Python part follows "::"
            python_spec = spec.partition("::")[2] if "::" in spec else spec
            found = self._spec_re.fullmatch(python_spec)
            parts = found.groupdict() if found else {}
            for name in self.components:
                setattr(self, name, parts.get(name) or "")

        @property
        def width(self) -> Any:
            return _int_or(self.width_str, "")

        @width.setter
        def width(self, val: int) -> None:
            self.width_str = f"{val}"
            # a string's precision truncates: widen it along with the width
            if self.type in (None, "s", "") and 0 < self.precision < val:
                self.precision_str = self.width_str

        @property
        def precision(self) -> int:
            return int(_int_or(self.precision_str, 0))

        @precision.setter
        def precision(self, val: int) -> None:
            self.precision_str = f"{val}"

        def __str__(self) -> str:
            return "".join(str(getattr(self, name)) for name in self.components)

    def __init__(
        self,
        fmt: str,
        headings: Optional[Mapping[str, str]] = None,
        prepend: Optional[str] = "0.",
        nullify_expansion_sentinel: bool = False,
    ) -> None:
        if headings is not None:
            self.headings = headings
        if prepend is not None:
            self.prepend = prepend
        # (text, field, spec, conversion) with None turned into ""
        parsed = string.Formatter().parse(fmt)
        self.format_list: List[List[str]] = [[part or "" for part in entry] for entry in parsed]
        self.sort_keys: List[Tuple[str, bool]] = []
        leading = self.format_list[0][0] if self.format_list else ""
        if leading.startswith("sort:"):
            fmt, self.format_list[0][0] = self._parse_and_strip_sort_prefix(leading, fmt)
        self.fmt = self.fmt_orig = fmt
        self._fields = [entry[1] for entry in self.format_list if entry[1]]
        unknown = [name for name in (f.removeprefix("0.") for f in self._fields) if name and name not in self.headings]
        if unknown:
            raise ValueError("Unknown format field: " + unknown[0])
        if self.prepend:
            self.fmt = self.get_format_prepended(self.prepend, include_sort_prefix=False)

    @property
    def fields(self) -> List[str]:
        """The fields of the format plus the sort keys (order not significant)."""
        return list({*self._fields, *(key for key, _reverse in self.sort_keys)})

    @staticmethod
    def _calculate_width(width: int) -> int:
        """A width option: 0 means the terminal's (-1, no limit, without a terminal)."""
        if width != 0:
            return width
        try:
            return os.get_terminal_size().columns
        except OSError:
            return -1

    def _fmt_tuple(self, text: str, field: str, spec: Optional[str], conv: Optional[str]) -> str:
        """One format_list entry back as format text."""
        if not field:
            return text
        pieces = [text, "{", field]
        if conv:
            pieces += ["!", conv]
        if spec:
            pieces += [":", spec]
        return "".join(pieces) + "}"

    def header_format(self) -> str:
        """The format for the header row: each field keeps only its alignment and width."""

        def sized(spec: str) -> str:
            parsed = self.FormatSpec(spec)
            return f"{parsed.align}{parsed.width}"

        return "".join(self._fmt_tuple(entry[0], entry[1], sized(entry[2]), None) for entry in self.format_list)

    def header(self, width: int = -1) -> str:
        """The header row; truncated to ``width`` columns (0: the terminal's) with a ``+``."""
        row = self.HeaderFormatter().format(self.header_format(), **self.headings)
        return _fit(row, self._calculate_width(width))

    def get_format_prepended(
        self,
        prepend: str,
        except_fields: Optional[Iterable[str]] = None,
        include_sort_prefix: bool = True,
        nullify_expansion_sentinel: bool = False,
    ) -> str:
        """The format with ``prepend`` before every field name, less ``except_fields``."""
        dropped = list(except_fields or [])
        pieces = [self._prepended(entry, prepend, dropped, nullify_expansion_sentinel) for entry in self.format_list]
        return (self._sort_prefix() if include_sort_prefix else "") + "".join(pieces)

    def _prepended(self, entry: Sequence[str], prepend: str, dropped: List[str], nullify: bool) -> str:
        text, field, spec, conv = entry
        if field in dropped:
            # the field goes; its literal text stays, unless that is only a sentinel
            return "" if text.strip() in ("", *_SENTINELS) else text
        qualified = field if not field or field.startswith(prepend) else prepend + field
        if nullify and text[-2:] == "+:":
            text = spec = ""
        return self._fmt_tuple(text, qualified, spec, conv)

    def _sort_prefix(self) -> str:
        if not self.sort_keys:
            return ""
        keys = ",".join(("-" if reverse else "") + key for key, reverse in self.sort_keys)
        return "sort:" + keys + (" " if self._sort_has_trailing_space else "")

    def get_format(self, orig: bool = False, include_sort_prefix: bool = True) -> str:
        """The format (as given with ``orig``), with its ``sort:`` prefix unless told not to."""
        prefix = self._sort_prefix() if include_sort_prefix else ""
        return prefix + (self.fmt_orig if orig else self.fmt)

    def copy(self, except_fields: Optional[Iterable[str]] = None, nullify_expansion: bool = False) -> OutputFormat:
        """A new formatter of the same class, less ``except_fields``, ``+:`` fields bare if asked."""
        fmt = self.get_format_prepended("", except_fields, nullify_expansion_sentinel=nullify_expansion)
        return self.__class__(fmt, headings=self.headings, prepend=self.prepend)

    def format(self, obj: Any) -> str:
        """One item rendered; KeyError "Invalid format field ... for <type>" for a missing key."""
        try:
            return self.formatter().format(self.get_format(include_sort_prefix=False), obj)
        except KeyError as exc:
            raise KeyError(f"Invalid format field {exc} for {type(obj)}") from None

    def _track(self, index: int, entry: Sequence[str], no_header: bool) -> Optional[_TrackedField]:
        text, field, spec, conv = entry
        kind = next((kind for sentinel, kind in _SENTINELS.items() if text.endswith(sentinel)), None)
        if kind is None:
            return None
        parsed = self.FormatSpec(spec)
        least = parsed.width or 0
        if kind != "filter":
            least = max(least, 0 if no_header else len(self.headings.get(field, "")))
        return _TrackedField(index, kind, self._fmt_tuple("", "0." + field, None, conv), parsed, least)

    def filter(self, items: Iterable[Any], no_header: bool = False) -> str:
        """Resolve sentinels against ``items`` and return the resulting format string.

        ``?:{f}`` drops the field when it renders empty for every item, ``+:{f}``
        widens it to the widest rendering (and heading, unless ``no_header``),
        ``?+:{f}`` does both.  As in flux-core, this updates ``format_list``.
        """
        candidates = (self._track(index, entry, no_header) for index, entry in enumerate(self.format_list))
        tracked = [field for field in candidates if field is not None]
        if not tracked:
            return self.get_format(True)
        render, blank = self.formatter().format, empty_outputs()
        for item in items:
            for field in tracked:
                shown = render(field.template, item)
                size = 0 if shown in blank else len(shown)
                field.maxwidth, field.width = max(field.maxwidth, size), max(field.width, size)
        gone = {field.index for field in tracked if field.may_vanish and field.width == 0}
        for field in tracked:
            if field.grows and field.index not in gone:
                field.spec.width = field.maxwidth
                self.format_list[field.index][2] = str(field.spec)
        kept = [entry for index, entry in enumerate(self.format_list) if index not in gone]
        for entry in kept:
            for sentinel in _SENTINELS:
                entry[0] = entry[0].replace(sentinel, "")
        return self._sort_prefix() + "".join(self._fmt_tuple(*entry) for entry in kept)

    def _parse_and_strip_sort_prefix(self, sort_spec: str, fmt: str) -> Tuple[str, str]:
        """Take the keys of a leading ``sort:k1,-k2`` (up to a space or ``{``) out of the format."""
        found = _SORT_PREFIX.match(sort_spec)
        if found is None:
            return fmt, sort_spec
        self.set_sort_keys(found.group(1))
        cut = found.end()
        self._sort_has_trailing_space = fmt[cut : cut + 1] == " "
        if self._sort_has_trailing_space:
            cut += 1
        return fmt[cut:], sort_spec[cut:]

    def set_sort_keys(self, sort_keys: str) -> None:
        """Sort keys from ``"k1,-k2"`` (``-`` reverses; empty keys skipped; ValueError if unknown)."""
        parsed: List[Tuple[str, bool]] = []
        self.sort_keys = parsed
        for word in filter(None, (part.strip() for part in sort_keys.split(","))):
            reverse = word[0] == "-"
            key = word[1:] if reverse else word
            if key not in self.headings:
                raise ValueError(f"Invalid sort key: {key}")
            parsed.append((key, reverse))

    def sort_items(self, items: List[Any]) -> List[Any]:
        """Sort ``items`` in place by the sort keys (first key most significant); returns it."""
        # stable sorts, least significant key first
        for key, reverse in self.sort_keys[::-1]:
            value_of = operator.attrgetter(key)
            items.sort(key=lambda item, get=value_of: DisplayValue(get(item)), reverse=reverse)  # type: ignore[misc]
        return items

    def print_items(
        self,
        items: List[Any],
        no_header: bool = False,
        width: int = -1,
        pre: Optional[Callable[[Any], Any]] = None,
        post: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        """Filter the format against ``items``, sort them, print a header and one line each.

        Blank lines are skipped; ``width`` > 0 truncates lines with a ``+``
        (0: terminal width); ``pre``/``post`` are called around each line.
        """
        final = self.__class__(self.filter(items, no_header=no_header), headings=self.headings, prepend=self.prepend)
        ordered = self.sort_items(items)
        columns = self._calculate_width(width)
        if not no_header:
            print(final.header(columns))
        for item in ordered:
            line = final.format(item)
            if line.strip() == "":
                continue
            if callable(pre):
                pre(item)
            _print_line(_fit(line, columns))
            if callable(post):
                post(item)


class Deduplicator:
    """Collects items, merging those that format identically (less ``except_fields``).

    ``combine(existing, new)`` is called for each merged item; iterating
    gives the distinct items in the order first seen (repeatable).
    """

    def __init__(
        self,
        formatter: OutputFormat,
        except_fields: Optional[Iterable[str]] = None,
        combine: Optional[Callable[[Any, Any], Any]] = None,
    ) -> None:
        self.formatter = formatter.copy(except_fields=except_fields, nullify_expansion=True)
        self.combine = combine
        self.hash: Dict[str, Any] = {}
        self.items: List[Any] = []
        self._iter: Optional[Any] = None

    def __iter__(self) -> Deduplicator:
        if self._iter is None:
            self._iter = iter(self.items)
        return self

    def __next__(self) -> Any:
        assert self._iter is not None
        try:
            return next(self._iter)
        except StopIteration:
            self._iter = None  # the next iteration starts over
            raise

    def append(self, item: Any) -> None:
        """Add ``item``, or combine it into an earlier one that formats the same."""
        signature = self.formatter.format(item)
        if signature not in self.hash:
            self.hash[signature] = item
            self.items.append(item)
        elif self.combine:
            self.combine(self.hash[signature], item)
