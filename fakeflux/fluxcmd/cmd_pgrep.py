"""`flux pgrep` and `flux pkill`: find (and cancel) jobs by name pattern or id range, as
flux-core's flux-pgrep.py does for both names.

EXPRESSION is a regular expression searched in job names (``name:`` prefix
optional) and/or a ``JOBID..JOBID`` range; pgrep prints the matches (ids by
default, or ``-o FORMAT`` rows), pkill cancels them.  No match is exit status 1,
a bad expression 2.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import re
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import flux  # type: ignore[import-not-found]
import flux.job  # type: ignore[import-not-found]
import flux.util  # type: ignore[import-not-found]

from .pytool import argument_parser, run

# Every named format, as (description, columns); the columns are joined by one space.
_HEAD = ["{id.f58:>12}", "?:{queue:<8.8}", "+:{username:<8}", "{name:<10.10+}"]
_NAMED: Dict[str, Tuple[str, List[str]]] = {
    "default": ("Default flux-pgrep format string", ["{id.f58}"]),
    "full": (
        "full flux-pgrep format string",
        _HEAD + ["{status_abbrev:>2.2}", "{ntasks:>6}", "{nnodes:>6h}", "{contextual_time!F:>8h}", "{contextual_info}"],
    ),
    "long": (
        "Extended flux-pgrep format string",
        _HEAD
        + ["{status:>9.9}", "{ntasks:>6}", "{nnodes:>6h}", "{t_submit!d:%b%d %R::>12}"]
        + ["{t_remaining!F:>12h}", "{contextual_time!F:>8h}", "{contextual_info}"],
    ),
    "deps": (
        "Show job urgency, priority, and dependencies",
        ["{id.f58:>12}", "?:{queue:<8.8}", "{name:<10.10+}", "{urgency:<3}", "{priority:<12}"]
        + ["{state:<8.8}", "{dependencies}"],
    ),
}
_BUILTIN = {name: {"description": text, "format": " ".join(cols)} for name, (text, cols) in _NAMED.items()}
_BARE_IDS = _BUILTIN["default"]["format"]


class _PgrepFormats(flux.util.UtilConfig):
    """Named formats of flux-pgrep.  User additions are read from flux-jobs' config files
    (flux-core shares that file between the two tools)."""

    builtin_formats = _BUILTIN

    def __init__(self) -> None:
        super().__init__(name="flux-jobs", toolname="flux-pgrep", initial_dict={"formats": dict(_BUILTIN)})

    def validate(self, path: str, conf: Any) -> None:
        # keys are checked in file order, so the first bad one is the one reported
        for key in conf:
            if key != "formats":
                raise ValueError(f"{path}: invalid key {key}")
            self.validate_formats(path, conf[key])


def _as_id_range(expr: str) -> Optional[List[Any]]:
    """The job ids of ``A..B`` (no colon), or None when ``expr`` is not such a range."""
    if ":" in expr or ".." not in expr:
        return None
    try:
        return [flux.job.JobID(part) for part in expr.split("..")]
    except ValueError:
        return None  # not ids after all: the caller treats it as a name pattern


def _selector(expressions: Sequence[str]) -> Callable[[Any], bool]:
    """A predicate for the EXPRESSION arguments: one name pattern at most, plus an id range
    (a later range replaces an earlier one).  Raises on a bad or second pattern."""
    pattern: Optional[re.Pattern] = None
    bounds: List[Any] = []
    for expr in expressions:
        ids = _as_id_range(expr)
        if ids is not None:
            bounds = ids
            continue
        if pattern is not None:
            raise ValueError("Only one pattern can be provided")
        pattern = re.compile(expr.removeprefix("name:"))

    def selected(job: Any) -> bool:
        if pattern is not None and pattern.search(job.name) is None:
            return False
        return not bounds or bounds[0] <= job.id <= bounds[1]

    return selected


# Options in --help order: (which tools have it, flags, add_argument keywords).
_EITHER, _PGREP_ONLY, _PKILL_ONLY = ("flux-pgrep", "flux-pkill"), ("flux-pgrep",), ("flux-pkill",)
_OPTIONS: List[Tuple[Tuple[str, ...], Tuple[str, ...], Dict[str, Any]]] = [
    (_PGREP_ONLY, ("-a",), {"action": "store_true", "help": "Target jobs in all states"}),
    (_PKILL_ONLY, ("-a",), {"action": "store_true", "help": argparse.SUPPRESS}),
    (_EITHER, ("-A",), {"action": "store_true", "help": "Target all users"}),
    (
        _EITHER,
        ("-u", "--user"),
        {
            "type": str,
            "metavar": "[USERNAME|UID]",
            "default": str(os.getuid()),
            "help": 'Limit output to specific username or userid (Specify "all" for all users)',
        },
    ),
    (
        _EITHER,
        ("-f", "--filter"),
        {
            "action": flux.util.FilterActionSetUpdate,
            "metavar": "STATE|RESULT",
            "default": set(),
            "help": "List jobs with specific job state or result",
        },
    ),
    # sic: flux-core gives the action class as the type, so every -q value is refused
    (
        _EITHER,
        ("-q", "--queue"),
        {
            "type": flux.util.FilterActionSetUpdate,
            "metavar": "QUEUE,...",
            "help": "Limit output to specific queue or queues",
        },
    ),
    (
        _EITHER,
        ("-c", "--count"),
        {"type": int, "metavar": "N", "default": 99999, "help": "Limit output to the first N matches"},
    ),
    (
        _EITHER,
        ("--max-entries",),
        {
            "type": int,
            "metavar": "N",
            "default": 1000,
            "help": "Limit number of searched jobs to N entries (default: 1000)",
        },
    ),
    (_PGREP_ONLY, ("-n", "--no-header"), {"action": "store_true", "help": "Suppress printing of header line"}),
    (
        _PGREP_ONLY,
        ("-o", "--format"),
        {
            "type": str,
            "default": "default",
            "metavar": "FORMAT",
            "help": "Specify output format using Python's string format syntax "
            " or a defined format by name (use 'help' to get a list of names)",
        },
    ),
    (_PKILL_ONLY, ("--wait",), {"action": "store_true", "help": "Wait for jobs to finish after cancel"}),
    (
        _EITHER,
        ("expression",),
        {"metavar": "EXPRESSION", "type": str, "nargs": "+", "help": "job name pattern or id range"},
    ),
]


def _command_line(prog: str, argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(prog)
    for tools, flags, keywords in _OPTIONS:
        if prog in tools:
            parser.add_argument(*flags, **keywords)
    return parser.parse_args(list(argv))


def _candidates(handle: Any, args: argparse.Namespace) -> List[Any]:
    """The jobs the options allow (before EXPRESSION is applied); job-list's errors go to stderr."""
    states = set(args.filter)
    if args.a:
        states |= {"pending", "running", "inactive"}
    lister = flux.job.JobList(
        handle,
        filters=sorted(states or {"pending", "running"}),
        user="all" if args.A else args.user,
        max_entries=args.max_entries,
        queue=args.queue,
    )
    found = list(lister.jobs())
    sys.stderr.writelines(f"{err}\n" for err in lister.errors)
    return found


class _Canceller:
    """Sends every cancel request at once and tallies the answers as they arrive."""

    def __init__(self, handle: Any, logger: logging.Logger, wait: bool) -> None:
        self.handle, self.logger, self.wait = handle, logger, wait
        self.canceled = 0
        self.failed = False

    def _answered(self, future: Any, job: Any) -> None:
        try:
            future.get()
        except OSError as exc:
            self.failed = True
            self.logger.error(f"{job.id}: cancel: {exc}")
            return
        self.canceled += 1
        if self.wait:
            # keeps the reactor running until the job's result is in
            flux.job.result_async(self.handle, job.id).then(lambda fut, _job: fut.get_dict(), job)

    def cancel_all(self, jobs: List[Any]) -> int:
        for job in jobs:
            flux.job.cancel_async(self.handle, job.id).then(self._answered, job)
        self.handle.reactor_run()
        plural = "" if self.canceled == 1 else "s"
        self.logger.info("Canceled %d job%s", self.canceled, plural)
        return 1 if self.failed else 0


def _row_format(name_or_format: str) -> Any:
    formats = _PgrepFormats().load()
    try:
        return flux.job.JobInfoFormat(formats.get_format_string(name_or_format))
    except ValueError as exc:
        raise ValueError(f"Error in user format: {exc}") from None


def _pgrep_or_pkill(prog: str, argv: Sequence[str], logger: logging.Logger) -> None:
    args = _command_line(prog, argv)
    listing = prog == "flux-pgrep"
    # a bad format (or "help") is dealt with before any job is fetched
    layout = _row_format(args.format) if listing else None
    handle = flux.Flux()
    try:
        wanted = _selector(args.expression)
    except (ValueError, SyntaxError, TypeError, re.error) as exc:
        logger.error(f"expression error: {exc}")
        sys.exit(2)
    # islice refuses a negative --count with a ValueError, as in flux-core
    matches = list(itertools.islice(filter(wanted, _candidates(handle, args)), args.count))
    if not matches:
        sys.exit(1)
    if layout is None:
        sys.exit(_Canceller(handle, logger, args.wait).cancel_all(matches))
    table = flux.job.JobInfoFormat(layout.filter(matches, no_header=args.no_header))
    # Bare ids come without a header line; FLUX_PGREP_FORMAT_DEFAULT may name another format.
    bare = args.format == "default" and table.get_format(orig=True) == _BARE_IDS
    table.print_items(matches, no_header=args.no_header or bare)


def _entry(prog: str, argv: List[str]) -> int:
    logger = logging.getLogger(prog)
    run(logger, lambda: _pgrep_or_pkill(prog, argv[1:], logger))


def main_pgrep(argv: List[str]) -> int:
    return _entry("flux-pgrep", argv)


def main_pkill(argv: List[str]) -> int:
    return _entry("flux-pkill", argv)
