"""``flux.util.parse_datetime``: absolute, relative and everyday-English times.

flux-core hands strings that are not ``now`` or ``+FSD``/``-FSD`` to the
``parsedatetime`` package (with days starting at midnight).  This is a small
hand-written parser for the forms people give to ``flux submit --begin-time``
and ``flux jobs --since``: dates (``2021-06-10``, ``6/10/2021``,
``Jun 10, 2021``), times (``08:00``, ``8am``, ``noon``), day words
(``today``, ``tomorrow``), weekdays (``wed``, ``last wed``, ``next fri``) and
offsets (``in 10 min``, ``2 hours ago``, ``next week``), in any combination.
As with parsedatetime, words it does not know are ignored, and a string in
which nothing is recognised is a ValueError.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import List, Optional

__all__ = ["parse_natural"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
#: Named times of day, the hours parsedatetime gives them.
_DAYTIMES = {
    "noon": 12,
    "afternoon": 13,
    "lunch": 12,
    "morning": 6,
    "breakfast": 8,
    "dinner": 19,
    "evening": 18,
    "midnight": 0,
    "night": 21,
    "tonight": 21,
    "eod": 17,
}
_DAYWORDS = {"today": 0, "tomorrow": 1, "yesterday": -1, "tonight": 0}
_UNITS = {
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "mth": "months",
    "mths": "months",
    "month": "months",
    "months": "months",
    "y": "years",
    "yr": "years",
    "yrs": "years",
    "year": "years",
    "years": "years",
}

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_AMPM = r"(?P<ampm>a\.?m\.?|p\.?m\.?|a|p)"
_COUNT = r"(?P<n>\d+(?:\.\d+)?|an?)"

_ISO_DATE = re.compile(r"\b(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})\b")
_MDY_DATE = re.compile(r"\b(?P<m>\d{1,2})([-/.])(?P<d>\d{1,2})\2(?P<y>\d{2,4})\b")
_MD_DATE = re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})\b")
_NAMED_DATE = re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(?P<y>\d{{4}})\b)?")
_DAY_FIRST_DATE = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTH_RE})\b\.?(?:,?\s*(?P<y>\d{{4}})\b)?"
)
_MONTH_ONLY = re.compile(rf"\b(?P<mon>{_MONTH_RE})\b\.?(?:,?\s*(?P<y>\d{{4}})\b)?")
_CLOCK = re.compile(
    rf"(?:\b|(?<=t))(?P<h>\d{{1,2}}):(?P<min>\d{{2}})(?::(?P<s>\d{{2}})(?:\.\d+)?)?(?:\s*{_AMPM}(?![a-z]))?"
)
_HOUR_AMPM = re.compile(rf"\b(?P<h>\d{{1,2}})\s*{_AMPM}(?![a-z])")
_HHMM = re.compile(r"\b(?P<h>\d{1,2})(?P<min>\d{2})\b")
_OFFSET = re.compile(
    rf"(?:\b(?P<in>in)\s+)?(?P<sign>[-+])?\b{_COUNT}\s*(?P<unit>{_UNIT_RE})\b(?P<ago>\s+ago\b)?"
    r"(?P<fromnow>\s+from\s+now\b)?"
)
_MODIFIED = re.compile(rf"\b(?P<mod>next|last|this|prev|previous)\s+(?P<what>{_WEEKDAY_RE}|day|week|month|year|hour)\b")
_WEEKDAY = re.compile(rf"\b(?P<wd>{_WEEKDAY_RE})\b")
_DAYTIME = re.compile(r"\b(?P<word>" + "|".join(_DAYTIMES) + r")\b")
_DAYWORD = re.compile(r"\b(?P<word>" + "|".join(_DAYWORDS) + r")\b")
_PERIOD_END = re.compile(r"\b(?P<word>eom|eoy)\b")


class _Parse:
    """Collects what each recogniser found in the text, then builds the datetime."""

    def __init__(self, text: str, now: datetime) -> None:
        self.text = text
        self.now = now.replace(tzinfo=None, microsecond=0)
        self.found = False
        self.day: Optional[date] = None
        self.clock: Optional[time] = None
        self.day_shift = 0
        self.offset = timedelta()
        self.months = 0
        # parsedatetime starts days at midnight for day words and "next/last" forms,
        # but keeps the current time of day for plain dates and weekdays
        self.midnight = False

    def take(self, pattern: re.Pattern[str]) -> List[re.Match[str]]:
        """All matches of ``pattern``, blanked out of the text so that later patterns skip them."""
        matches = list(pattern.finditer(self.text))
        for m in reversed(matches):
            self.text = self.text[: m.start()] + " " * (m.end() - m.start()) + self.text[m.end() :]
        if matches:
            self.found = True
        return matches


def _year(text: Optional[str], month: int, day: int, now: datetime) -> int:
    """An explicit year (two digits mean 20xx), or the next time month/day comes round."""
    if text:
        year = int(text)
        return year + 2000 if year < 100 else year
    if (month, day) < (now.month, now.day):
        return now.year + 1
    return now.year


def _hour(hour: int, ampm: Optional[str]) -> int:
    if ampm is None:
        if hour == 24:
            return 0
        return hour
    if hour < 1 or hour > 12:
        raise ValueError
    if ampm.startswith("p"):
        return hour % 12 + 12
    return hour % 12


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month + 1, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError


def _weekday_delta(today: date, weekday: int, offset: Optional[int]) -> int:
    """Days from ``today`` to ``weekday``: offset -1/0/1 for last/this/next week, None for a bare name."""
    base = weekday - today.weekday()
    if offset is None:
        offset = 0 if weekday > today.weekday() else 1
    diff = base + 7 * offset
    return diff + 7 if diff < -7 else diff


def _dates(p: _Parse) -> None:
    for m in p.take(_ISO_DATE):
        p.day = date(int(m["y"]), int(m["m"]), int(m["d"]))
    for m in p.take(_MDY_DATE):
        month, day = int(m["m"]), int(m["d"])
        p.day = date(_year(m["y"], month, day, p.now), month, day)
    for m in p.take(_MD_DATE):
        month, day = int(m["m"]), int(m["d"])
        p.day = date(_year(None, month, day, p.now), month, day)
    for pattern in (_NAMED_DATE, _DAY_FIRST_DATE):
        for m in p.take(pattern):
            month, day = _MONTHS[m["mon"]], int(m["d"])
            p.day = date(_year(m["y"], month, day, p.now), month, day)
    for m in p.take(_MONTH_ONLY):
        month = _MONTHS[m["mon"]]
        p.day = date(_year(m["y"], month, 1, p.now), month, 1)


def _times(p: _Parse) -> None:
    # a time of day given in figures wins over one given in words ("5pm midnight" is 17:00)
    for m in p.take(_DAYTIME):
        p.clock = time(_DAYTIMES[m["word"]])
    for m in p.take(_CLOCK):
        p.clock = time(_hour(int(m["h"]), m["ampm"]), int(m["min"]), int(m["s"] or 0))
    for m in p.take(_HOUR_AMPM):
        p.clock = time(_hour(int(m["h"]), m["ampm"]))


def _count(text: str) -> float:
    return 1.0 if text in ("a", "an") else float(text)


def _relative(p: _Parse) -> None:
    for m in p.take(_OFFSET):
        count = _count(m["n"])
        if m["ago"] or m["sign"] == "-":
            count = -count
        unit = _UNITS[m["unit"]]
        if unit in ("months", "years"):
            p.months += int(count) * (12 if unit == "years" else 1)
        else:
            p.offset += timedelta(**{unit: count})
    for m in p.take(_MODIFIED):
        _modified(p, {"next": 1, "this": 0}.get(m["mod"], -1), m["what"])
    for m in p.take(_PERIOD_END):
        p.midnight = True
        if m["word"] == "eom":
            p.day = _add_months(p.now.date().replace(day=1), 1) - timedelta(days=1)
        else:
            p.day = p.now.date().replace(month=12, day=31)
    for m in p.take(_DAYWORD):
        p.day_shift += _DAYWORDS[m["word"]]
        p.midnight = True
    for m in p.take(_WEEKDAY):
        today = p.now.date()
        p.day = today + timedelta(days=_weekday_delta(today, _WEEKDAYS[m["wd"]], None))
    for m in p.take(_HHMM):
        p.clock = time(_hour(int(m["h"]), None), int(m["min"]))


def _modified(p: _Parse, step: int, what: str) -> None:
    """``next/last/this`` followed by a weekday or a unit, as parsedatetime reads them."""
    today = p.now.date()
    if what in _WEEKDAYS:
        p.day = today + timedelta(days=_weekday_delta(today, _WEEKDAYS[what], step))
        p.midnight = True
    elif what == "hour":
        p.offset += timedelta(hours=step)
    elif what == "day":
        p.day, p.midnight = today + timedelta(days=step), True
    elif what == "week":
        if step == 0:  # the end of this working week
            p.day = today + timedelta(days=4 - today.weekday())
            p.clock = time(17)
        else:
            p.day, p.midnight = today + timedelta(days=7 * step), True
    elif what == "month":
        first = today.replace(day=1)
        p.day = _add_months(first, 1) - timedelta(days=1) if step == 0 else _add_months(first, step)
        p.midnight = True
    else:  # year
        if step == 0:
            p.day = today.replace(month=12, day=31)
        else:
            p.day, p.midnight = date(today.year + step, 1, 1), True


def parse_natural(string: str, now: datetime) -> datetime:
    """``string`` read relative to ``now`` (naive local time, whole seconds); ValueError if unreadable."""
    p = _Parse(string.lower(), now)
    try:
        _dates(p)
        _times(p)
        _relative(p)
        if not p.found:
            raise ValueError
        return _combine(p)
    except ValueError:
        raise ValueError(f'Invalid datetime: "{string}"') from None


def _combine(p: _Parse) -> datetime:
    now = p.now
    if p.day is not None or p.day_shift != 0 or p.clock is not None or p.midnight:
        day = (p.day or now.date()) + timedelta(days=p.day_shift)
        clock = p.clock if p.clock is not None else (time(0) if p.midnight else now.time())
        start = datetime.combine(day, clock)
    else:
        start = now
    if p.months:
        start = datetime.combine(_add_months(start.date(), p.months), start.time())
    return start + p.offset
