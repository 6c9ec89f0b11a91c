"""Formatted table output of flux-core's tools (``flux.util.OutputFormat`` and helpers).

Re-exported by :mod:`flux.util`; lives apart so that ``import flux`` does not
pay for it.  Behaviour (sentinels ``?:``, ``+:``, ``?+:``, ``sort:`` prefixes,
the ``!d !D !F !H !P`` conversions and the ``h``/``+`` spec suffixes) follows
flux-core's command line tools exactly, since their output is what users parse.
"""

from __future__ import annotations

import functools
import os
import re
import string
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

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


def empty_outputs() -> Tuple[str, ...]:
    """Rendered values that count as "empty" for ``?:`` filtering and the ``h`` suffix."""
    localepoch = datetime.fromtimestamp(0.0).strftime("%FT%T")
    return ("", "0s", "0.0", "0:00:00", "1970-01-01T00:00:00", localepoch)


class UtilDatetime(datetime):
    """A datetime whose format spec is ``STRFTIME[::PYSPEC]``, e.g. ``{t:%b%d %R::>12}``.

    The epoch renders as ``""`` (``"-"`` with the ``h`` suffix), since job
    records use 0.0 for a time that has not happened.
    """

    def __format__(self, fmt: str) -> str:
        timefmt, _, spec = fmt.partition("::")
        if self == datetime.fromtimestamp(0.0):
            text = ""
        else:
            text = self.strftime(timefmt or "%FT%T")
        # The 'h' suffix is handled here: UtilFormatter.format_field runs first
        if spec.endswith("h"):
            text = text or "-"
            spec = spec[:-1] + "s"
        return format(text, spec) if spec else text


def _convert_or_empty(value: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(value)``; an empty string value converts to "" instead of failing."""
    try:
        return convert(value)
    except TypeError:
        if str(value) == "":
            return ""
        raise


def _hms(value: Any) -> str:
    if 0 < value < 1:  # a nonzero duration never shows as zero
        value = 1
    return str(timedelta(seconds=round(value)))


def _percent(value: Any) -> str:
    value = value * 100
    if 0 < value < 1:
        return f"{value:.2f}%"
    return f"{value:.3g}%"


def _to_utildatetime(value: Any) -> Any:
    try:
        return UtilDatetime.fromtimestamp(value)
    except TypeError:
        if str(value) == "":
            return UtilDatetime.fromtimestamp(0.0)
        raise


def _iso_or_empty(value: Any) -> Any:
    if not value:  # 0.0 stands for "not set" in job records
        return ""
    return _convert_or_empty(value, lambda v: datetime.fromtimestamp(v).strftime("%FT%T"))


class UtilFormatter(string.Formatter):
    """``string.Formatter`` with Flux's conversions and spec suffixes.

    Conversions: ``!d`` timestamp to :class:`UtilDatetime`, ``!D`` ISO 8601
    text, ``!F`` Flux Standard Duration, ``!H`` ``H:MM:SS``, ``!P`` percent.
    Spec suffixes: ``h`` shows an empty value as ``-``; ``+`` marks a
    truncated value with a trailing ``+``.
    """

    def convert_field(self, value: Any, conversion: Optional[str]) -> Any:
        if conversion == "d":
            return _to_utildatetime(value)
        if conversion == "D":
            return _iso_or_empty(value)
        if conversion == "F":
            return _convert_or_empty(value, fsd)
        if conversion == "H":
            return _convert_or_empty(value, _hms)
        if conversion == "P":
            try:
                return _percent(value)
            except (TypeError, ValueError):
                if str(value) == "":
                    return ""
                raise
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        spec = format_spec
        mark_truncation = spec.endswith("+")
        if mark_truncation:
            spec = spec[:-1]
        # UtilDatetime handles 'h' itself, after this method has run
        if spec.endswith("h") and not isinstance(value, UtilDatetime):
            value = "-" if str(value) in empty_outputs() else str(value)
            spec = spec[:-1] + "s"
        result = super().format_field(value, spec)
        if mark_truncation and len(result) < len(str(value)):
            result = result[:-1] + "+"
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


@functools.total_ordering
class DisplayValue:
    """Sort key for displayed values of mixed types.

    Order: unset (None, ``""``, ``"-"``, all equal) < numbers (bools, ints,
    floats and strings that parse as a float, compared as floats) < other
    strings (compared as text).
    """

    __slots__ = ("value", "_type_order", "_sort_value")

    EMPTY = 0
    NUMERIC = 1
    STRING = 2

    def __init__(self, value: Any) -> None:
        self.value = value
        self._sort_value: Any
        if value is None or value == "" or value == "-":
            self._type_order, self._sort_value = self.EMPTY, 0
        elif isinstance(value, (bool, int, float)):
            self._type_order, self._sort_value = self.NUMERIC, float(value)
        else:
            try:  # numbers of other types and numeric strings compare as numbers
                number = float(value)
            except (ValueError, TypeError):
                try:
                    number = float(str(value))
                except (ValueError, TypeError):
                    self._type_order, self._sort_value = self.STRING, str(value)
                    return
            self._type_order, self._sort_value = self.NUMERIC, number

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
    _sort_prefix_re = re.compile(r"sort:([^{\s]+)")

    class HeaderFormatter(UtilFormatter):
        """Looks a field name up literally in the keyword arguments (the headings)."""

        def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
            if field_name in kwargs:
                return kwargs[field_name], None
            return super().get_field(field_name, args, kwargs)

    class FormatSpec:
        """A Python format spec split into its parts (plus Flux's ``h`` and ``+`` suffixes)."""

        components = (
            "fill",
            "align",
            "sign",
            "pos_zero",
            "alt",
            "zero_pad",
            "width_str",
            "grouping",
            "decimal",
            "precision_str",
            "type",
            "hyphen",
            "truncate",
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
            if "::" in spec:  # a UtilDatetime spec: the Python part follows "::"
                spec = spec[spec.find("::") + 2 :]
            match = self._spec_re.fullmatch(spec)
            parts = match.groupdict() if match else {}
            for name in self.components:
                setattr(self, name, parts.get(name) or "")

        @property
        def width(self) -> Any:
            return int(self.width_str) if self.width_str else ""

        @width.setter
        def width(self, val: int) -> None:
            self.width_str = str(val)
            # a string's precision truncates: widen it along with the width
            if self.type in (None, "s", "") and self.precision and self.precision < self.width:
                self.precision = self.width

        @property
        def precision(self) -> int:
            return int(self.precision_str) if self.precision_str else 0

        @precision.setter
        def precision(self, val: int) -> None:
            self.precision_str = str(val)

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
        self.format_list: List[List[str]] = [[s or "" for s in t] for t in string.Formatter().parse(fmt)]
        self.sort_keys: List[Tuple[str, bool]] = []
        if self.format_list and self.format_list[0][0].startswith("sort:"):
            fmt, self.format_list[0][0] = self._parse_and_strip_sort_prefix(self.format_list[0][0], fmt)
        self.fmt = fmt
        self.fmt_orig = fmt
        self._fields = [entry[1] for entry in self.format_list if entry[1]]
        for field in self._fields:
            name = field[2:] if field.startswith("0.") else field
            if name and name not in self.headings:
                raise ValueError("Unknown format field: " + name)
        if self.prepend:
            self.fmt = self.get_format_prepended(self.prepend, include_sort_prefix=False)

    @property
    def fields(self) -> List[str]:
        """The fields of the format plus the sort keys (order not significant)."""
        names = set(self._fields)
        names.update(key for key, _ in self.sort_keys)
        return list(names)

    @staticmethod
    def _calculate_width(width: int) -> int:
        if width == 0:
            try:
                return os.get_terminal_size().columns
            except OSError:
                return -1
        return width

    def _fmt_tuple(self, text: str, field: str, spec: Optional[str], conv: Optional[str]) -> str:
        if not field:
            return text
        spec = ":" + spec if spec else ""
        conv = "!" + conv if conv else ""
        return f"{text}{{{field}{conv}{spec}}}"

    def header_format(self) -> str:
        """The format for the header row: each field keeps only its alignment and width."""
        parts = []
        for text, field, spec, _ in self.format_list:
            parsed = self.FormatSpec(spec)
            parts.append(self._fmt_tuple(text, field, f"{parsed.align}{parsed.width}", None))
        return "".join(parts)

    def header(self, width: int = -1) -> str:
        """The header row; truncated to ``width`` columns (0: the terminal's) with a ``+``."""
        result = self.HeaderFormatter().format(self.header_format(), **self.headings)
        width = self._calculate_width(width)
        if width > 0 and len(result) > width:
            result = result[: width - 1] + "+"
        return result

    def get_format_prepended(
        self,
        prepend: str,
        except_fields: Optional[Iterable[str]] = None,
        include_sort_prefix: bool = True,
        nullify_expansion_sentinel: bool = False,
    ) -> str:
        """The format with ``prepend`` before every field name, less ``except_fields``."""
        skip = list(except_fields or [])
        parts = []
        for text, field, spec, conv in self.format_list:
            if field in skip:
                kept = text.strip()  # keep literal text, but not a bare sentinel
                if kept and kept not in ("+:", "?:", "?+:"):
                    parts.append(text)
                continue
            if field and not field.startswith(prepend):
                field = prepend + field
            if nullify_expansion_sentinel and text.endswith("+:"):
                text, spec = "", ""
            parts.append(self._fmt_tuple(text, field, spec, conv))
        prefix = self._sort_prefix() if include_sort_prefix else ""
        return prefix + "".join(parts)

    def _sort_prefix(self) -> str:
        if not self.sort_keys:
            return ""
        keys = ",".join(f"-{key}" if reverse else key for key, reverse in self.sort_keys)
        space = " " if getattr(self, "_sort_has_trailing_space", True) else ""
        return f"sort:{keys}{space}"

    def get_format(self, orig: bool = False, include_sort_prefix: bool = True) -> str:
        """The format (as given with ``orig``), with its ``sort:`` prefix unless told not to."""
        fmt = self.fmt_orig if orig else self.fmt
        return (self._sort_prefix() if include_sort_prefix else "") + fmt

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

    def filter(self, items: Iterable[Any], no_header: bool = False) -> str:
        """Resolve sentinels against ``items`` and return the resulting format string.

        ``?:{f}`` drops the field when it renders empty for every item, ``+:{f}``
        widens it to the widest rendering (and heading, unless ``no_header``),
        ``?+:{f}`` does both.  As in flux-core, this updates ``format_list``.
        """
        tracked: List[Dict[str, Any]] = []
        for index, (text, field, spec, conv) in enumerate(self.format_list):
            kind = next((kind for s, kind in _SENTINELS.items() if text.endswith(s)), None)
            if kind is None:
                continue
            parsed = self.FormatSpec(spec)
            maxwidth = parsed.width or 0
            if kind in ("maxwidth", "both"):
                maxwidth = max(maxwidth, 0 if no_header else len(self.headings.get(field, "")))
            tracked.append(
                {
                    "fmt": self._fmt_tuple("", "0." + field, None, conv),
                    "index": index,
                    "type": kind,
                    "maxwidth": maxwidth,
                    "width": 0,
                    "spec": parsed,
                }
            )
        if not tracked:
            return self.get_format(orig=True)

        formatter = self.formatter()
        empty = empty_outputs()
        for item in items:
            for entry in tracked:
                rendered = formatter.format(entry["fmt"], item)
                width = 0 if rendered in empty else len(rendered)
                entry["maxwidth"] = max(entry["maxwidth"], width)
                entry["width"] = max(entry["width"], width)

        removed = {e["index"] for e in tracked if e["width"] == 0 and e["type"] in ("filter", "both")}
        for entry in tracked:
            if entry["index"] not in removed and entry["type"] in ("maxwidth", "both"):
                entry["spec"].width = entry["maxwidth"]
                self.format_list[entry["index"]][2] = str(entry["spec"])
        kept = [parts for i, parts in enumerate(self.format_list) if i not in removed]
        for parts in kept:
            for sentinel in _SENTINELS:
                parts[0] = parts[0].replace(sentinel, "")
        return self._sort_prefix() + "".join(self._fmt_tuple(*parts) for parts in kept)

    def _parse_and_strip_sort_prefix(self, sort_spec: str, fmt: str) -> Tuple[str, str]:
        """Take the keys of a leading ``sort:k1,-k2`` (up to a space or ``{``) out of the format."""
        rest = sort_spec
        match = self._sort_prefix_re.match(sort_spec)
        if match:
            keys = match.group(1)
            self.set_sort_keys(keys)
            length = len("sort:") + len(keys)
            rest = sort_spec[length:]
            fmt = fmt[length:]
            self._sort_has_trailing_space = fmt.startswith(" ")
            if self._sort_has_trailing_space:
                fmt, rest = fmt[1:], rest[1:]
        return fmt, rest

    def set_sort_keys(self, sort_keys: str) -> None:
        """Sort keys from ``"k1,-k2"`` (``-`` reverses; empty keys skipped; ValueError if unknown)."""
        self.sort_keys = []
        for key in (k.strip() for k in sort_keys.split(",")):
            if not key:
                continue
            reverse = key.startswith("-")
            if reverse:
                key = key[1:]
            if key not in self.headings:
                raise ValueError("Invalid sort key: " + key)
            self.sort_keys.append((key, reverse))

    def sort_items(self, items: List[Any]) -> List[Any]:
        """Sort ``items`` in place by the sort keys (first key most significant); returns it."""
        for key, reverse in reversed(self.sort_keys):
            getter = attrgetter(key)
            items.sort(key=lambda item, get=getter: DisplayValue(get(item)), reverse=reverse)  # type: ignore[misc]
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
        formatter = self.__class__(
            self.filter(items, no_header=no_header), headings=self.headings, prepend=self.prepend
        )
        items = self.sort_items(items)
        width = self._calculate_width(width)
        if not no_header:
            print(formatter.header(width=width))
        for item in items:
            line = formatter.format(item)
            if not line or line.isspace():
                continue
            if width > 0 and len(line) > width:
                line = line[: width - 1] + "+"
            if callable(pre):
                pre(item)
            try:
                print(line)
            except UnicodeEncodeError:
                print(line.encode("utf-8", errors="surrogateescape").decode())
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
        key = self.formatter.format(item)
        if key in self.hash:
            if self.combine is not None:
                self.combine(self.hash[key], item)
        else:
            self.hash[key] = item
            self.items.append(item)
