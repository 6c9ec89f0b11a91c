"""job-list's RFC 31 constraints (flux-core ``modules/job-list/match.c``):
a constraint object compiles to a predicate over jobs, or raises
:class:`ConstraintError` with the text job-list answers (after
"constraint object invalid: ").

Operators: ``userid``, ``name``, ``queue`` (a virtual queue's jobs also
match its parent), ``states``, ``results``, ``hostlist``, ``ranks``,
``t_submit`` .. ``t_inactive`` (one comparison string each) and
``and``/``or``/``not``.  How a job's values are read is given by the caller
(:class:`JobView`), so that this module knows nothing of job-list's
attribute rules."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Set

from fakeflux.broker.jobs.model import (
    CANCELED,
    CLEANUP,
    COMPLETED,
    DEPEND,
    FAILED,
    INACTIVE,
    NEW,
    PRIORITY,
    RUN,
    SCHED,
    TIMEOUT,
    Job,
)
from fakeflux.broker.jobs.resources import hostlist_decode

USERID_UNKNOWN = 0xFFFFFFFF
MIN_MATCH_HOSTLIST = 1024  # match.c allows this many hosts/ranks at least, whatever the size
PENDING, RUNNING, ACTIVE = DEPEND | PRIORITY | SCHED, RUN | CLEANUP, DEPEND | PRIORITY | SCHED | RUN | CLEANUP
VALID_STATES = NEW | PENDING | RUNNING | INACTIVE
VALID_RESULTS = COMPLETED | FAILED | CANCELED | TIMEOUT

# libjob's strtab: each name in four spellings
STATE_NAMES: Dict[str, int] = {}
for _num, _long, _short in ((NEW, "new", "n"), (DEPEND, "depend", "d"), (PRIORITY, "priority", "p"),
                            (SCHED, "sched", "s"), (RUN, "run", "r"), (CLEANUP, "cleanup", "c"),
                            (INACTIVE, "inactive", "i"), (PENDING, "pending", "pd"), (RUNNING, "running", "ru"),
                            (ACTIVE, "active", "a")):
    for _spelling in (_long, _long.upper(), _short, _short.upper()):
        STATE_NAMES[_spelling] = _num
RESULT_NAMES: Dict[str, int] = {}
for _num, _long, _short in ((COMPLETED, "completed", "cd"), (FAILED, "failed", "f"), (CANCELED, "canceled", "ca"),
                            (TIMEOUT, "timeout", "to")):
    for _spelling in (_long, _long.upper(), _short, _short.upper()):
        RESULT_NAMES[_spelling] = _num

TIMESTAMPS = ("t_submit", "t_depend", "t_priority", "t_sched", "t_run", "t_cleanup", "t_inactive")
# strtod's decimal forms (what a comparison's number may be; the whole rest of the string must be one)
_STRTOD = re.compile(r"(?:\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))?", re.IGNORECASE)


# tried in this order: ">=" before ">"
_COMPARISONS: Dict[str, Callable[[float, float], bool]] = {
    ">=": float.__ge__, "<=": float.__le__, ">": float.__gt__, "<": float.__lt__}


class ConstraintError(ValueError):
    """A constraint job-list refuses; str() is its text."""


class JobView:
    """What the matcher reads of a job: its nodelist, ranks and timestamps
    (None when job-list has none), and the queue hierarchy."""

    def __init__(self, nodelist: Callable[[Job], Optional[str]], ranks: Callable[[Job], Optional[List[int]]],
                 timestamp: Callable[[Job, str], Optional[float]], queue_parents: Dict[str, str],
                 size: int) -> None:
        self.nodelist = nodelist
        self.ranks = ranks
        self.timestamp = timestamp
        self.queue_parents = queue_parents
        self.max_hostlist = max(size, MIN_MATCH_HOSTLIST)


Match = Callable[[Job], bool]


def compile_constraint(constraint: Any, view: JobView) -> Match:
    """list_constraint_create: the predicate, or ConstraintError."""
    if not isinstance(constraint, dict):
        raise ConstraintError("constraint must be JSON object")
    if len(constraint) > 1:
        raise ConstraintError("constraint must only contain 1 element")
    if not constraint:
        return lambda job: True
    op, values = next(iter(constraint.items()))
    if not isinstance(values, list):
        raise ConstraintError(f"operator {op} values not an array")
    build = _BUILDERS.get(op)
    if build is None:
        if op in TIMESTAMPS:
            return _timestamp(op, values, view)
        raise ConstraintError(f"unknown constraint operator: {op}")
    return build(values, view)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _userid(values: List[Any], view: JobView) -> Match:
    ids: Set[int] = set()
    for value in values:
        if not _is_int(value):
            raise ConstraintError("userid value must be an integer")
        ids.add(value & 0xFFFFFFFF)  # stored as uint32_t: -1 is FLUX_USERID_UNKNOWN
    if USERID_UNKNOWN in ids:
        return lambda job: True
    return lambda job: job.userid in ids


def _strings(op: str, values: List[Any]) -> List[str]:
    for value in values:
        if not isinstance(value, str):
            raise ConstraintError(f"{op} value must be a string")
    return values


def _name(values: List[Any], view: JobView) -> Match:
    names = set(_strings("name", values))
    return lambda job: job.name is not None and job.name in names


def _queue(values: List[Any], view: JobView) -> Match:
    """A named queue also matches the jobs of its virtual queues (one level)."""
    names = set(_strings("queue", values))
    parents = view.queue_parents

    def match(job: Job) -> bool:
        queue = job.queue
        if not isinstance(queue, str):
            return False
        return queue in names or parents.get(queue) in names

    return match


def _bitmask(op: str, values: List[Any], table: Dict[str, int], valid: int) -> int:
    mask = 0
    for value in values:
        if isinstance(value, str):
            if value not in table:
                raise ConstraintError(f"invalid {op} value '{value}' specified")
            mask |= table[value]
        elif _is_int(value):
            if value & ~valid:
                raise ConstraintError(f"invalid {op} value '{value & 0xFFFFFFFF:X}h' specified")
            mask |= value
        else:
            raise ConstraintError(f"{op} value invalid type")
    return mask


def _states(values: List[Any], view: JobView) -> Match:
    mask = _bitmask("states", values, STATE_NAMES, VALID_STATES)
    return lambda job: bool(job.state & mask)


def _results(values: List[Any], view: JobView) -> Match:
    mask = _bitmask("results", values, RESULT_NAMES, VALID_RESULTS)
    return lambda job: job.state == INACTIVE and bool(job.result & mask)


def _hostlist(values: List[Any], view: JobView) -> Match:
    hosts: List[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ConstraintError("host value must be a string")
        try:
            decoded = hostlist_decode(value)
        except ValueError:
            decoded = []
        if not decoded:
            raise ConstraintError("host value not in valid Hostlist format")
        hosts.extend(decoded)
    if len(hosts) > view.max_hostlist:
        raise ConstraintError("too many hosts specified")
    wanted = set(hosts)

    def match(job: Job) -> bool:
        nodelist = view.nodelist(job)  # none for a job that never ran
        if not nodelist:
            return False
        try:
            return not wanted.isdisjoint(hostlist_decode(nodelist))
        except ValueError:
            return False

    return match


def _ranks(values: List[Any], view: JobView) -> Match:
    wanted: Set[int] = set()
    for value in values:
        if not isinstance(value, str):
            raise ConstraintError("ranks value must be a string")
        try:
            wanted.update(idset_parse(value))
        except ValueError as exc:
            raise ConstraintError(f"ranks value '{value}': {exc}") from None
    if len(wanted) > view.max_hostlist:
        raise ConstraintError("too many ranks specified")

    def match(job: Job) -> bool:
        ranks = view.ranks(job)  # none for a job that never ran
        return ranks is not None and not wanted.isdisjoint(ranks)

    return match


def idset_parse(text: str) -> List[int]:
    """libidset's idset_decode: ascending ids and ranges, optionally in one
    pair of brackets; ValueError with its text."""
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    if "[" in text or "]" in text:
        raise ValueError("mismatched or nested brackets")
    out: List[int] = []
    highest = -1
    for element in (e for e in text.split(",") if e):  # strtok skips empty tokens
        lo_text, dash, hi_text = element.partition("-")
        if not lo_text.isdigit() or (dash and not hi_text.isdigit()) or (dash and int(hi_text) <= int(lo_text)):
            raise ValueError(f"error parsing range '{element}'")
        lo = int(lo_text)
        hi = int(hi_text) if dash else lo
        if lo <= highest:
            raise ValueError(f"range '{element}' is out of order")
        out.extend(range(lo, hi + 1))
        highest = hi
    return out


def _timestamp(op: str, values: List[Any], view: JobView) -> Match:
    """Only the first value counts, as in match.c."""
    if not values:
        raise ConstraintError("timestamp value not specified")
    text = values[0]
    if not isinstance(text, str):
        raise ConstraintError(f"{op} value must be a string")
    prefix = next((p for p in _COMPARISONS if text.startswith(p)), None)
    if prefix is None:
        raise ConstraintError("timestamp comparison operator not specified")
    compare = _COMPARISONS[prefix]
    number = text[len(prefix):]
    if _STRTOD.fullmatch(number) is None:
        raise ConstraintError("Invalid timestamp value specified")
    value = float(number) if number else 0.0  # strtod of nothing is 0
    if value < 0.0:
        raise ConstraintError("timestamp value must be >= 0.0")

    def match(job: Job) -> bool:
        t = view.timestamp(job, op)
        return t is not None and bool(compare(t, value))

    return match


def _conditional(kind: str) -> Callable[[List[Any], JobView], Match]:
    def build(values: List[Any], view: JobView) -> Match:
        subs = [compile_constraint(value, view) for value in values]
        if kind == "and":
            return lambda job: all(sub(job) for sub in subs)
        if kind == "or":  # no operands: true, per RFC 31
            return lambda job: not subs or any(sub(job) for sub in subs)
        return lambda job: not all(sub(job) for sub in subs)

    return build


_BUILDERS: Dict[str, Callable[[List[Any], JobView], Match]] = {
    "userid": _userid,
    "name": _name,
    "queue": _queue,
    "states": _states,
    "results": _results,
    "hostlist": _hostlist,
    "ranks": _ranks,
    "and": _conditional("and"),
    "or": _conditional("or"),
    "not": _conditional("not"),
}
