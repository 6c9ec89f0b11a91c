"""`flux pgrep` and `flux pkill`: find (and cancel) jobs by name pattern or id range, as
flux-core's flux-pgrep.py does for both names.

EXPRESSION is a regular expression searched in job names (``name:`` prefix
optional) and/or a ``JOBID..JOBID`` range; pgrep prints the matches (ids by
default, or ``-o FORMAT`` rows), pkill cancels them.  No match is exit status 1,
a bad expression 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from itertools import islice
from typing import Any, List, Optional, Sequence

import flux  # type: ignore[import-not-found]
import flux.job  # type: ignore[import-not-found]
from flux.job import JobID, JobInfoFormat, JobList
from flux.util import FilterActionSetUpdate, UtilConfig  # type: ignore[import-not-found]

from .pytool import argument_parser, run

_ROW = "{id.f58:>12} ?:{queue:<8.8} +:{username:<8} {name:<10.10+} "
BUILTIN_FORMATS = {
    "default": {"description": "Default flux-pgrep format string", "format": "{id.f58}"},
    "full": {
        "description": "full flux-pgrep format string",
        "format": _ROW + "{status_abbrev:>2.2} {ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}",
    },
    "long": {
        "description": "Extended flux-pgrep format string",
        "format": _ROW + "{status:>9.9} {ntasks:>6} {nnodes:>6h} {t_submit!d:%b%d %R::>12} "
        "{t_remaining!F:>12h} {contextual_time!F:>8h} {contextual_info}",
    },
    "deps": {
        "description": "Show job urgency, priority, and dependencies",
        "format": "{id.f58:>12} ?:{queue:<8.8} {name:<10.10+} {urgency:<3} {priority:<12} {state:<8.8} {dependencies}",
    },
}


class FluxPgrepConfig(UtilConfig):
    """flux-pgrep's formats; user formats come from flux-jobs' config files, as in flux-core."""

    builtin_formats = BUILTIN_FORMATS

    def __init__(self) -> None:
        super().__init__(name="flux-jobs", toolname="flux-pgrep", initial_dict={"formats": dict(BUILTIN_FORMATS)})

    def validate(self, path: str, conf: Any) -> None:
        for key, value in conf.items():
            if key != "formats":
                raise ValueError(f"{path}: invalid key {key}")
            self.validate_formats(path, value)


class JobMatcher:
    """The EXPRESSION arguments: at most one name pattern, and an id range ``X..Y``."""

    def __init__(self, expressions: Sequence[str]) -> None:
        self.regex: Optional[re.Pattern] = None
        self.jobids: List[Any] = []
        for arg in expressions:
            if ":" not in arg and ".." in arg:
                try:
                    self.jobids = [JobID(x) for x in arg.split("..")]
                    continue
                except ValueError:
                    pass  # not ids: take it as a pattern
            if self.regex:
                raise ValueError("Only one pattern can be provided")
            self.regex = re.compile(arg[5:] if arg.startswith("name:") else arg)

    def match(self, job: Any) -> bool:
        if self.regex and not self.regex.search(job.name):
            return False
        if self.jobids and not self.jobids[0] <= job.id <= self.jobids[1]:
            return False
        return True


def parse_args(prog: str, argv: Sequence[str]) -> argparse.Namespace:
    pgrep = prog == "flux-pgrep"
    parser = argument_parser(prog)
    parser.add_argument("-a", action="store_true", help="Target jobs in all states" if pgrep else argparse.SUPPRESS)
    parser.add_argument("-A", action="store_true", help="Target all users")
    parser.add_argument(
        "-u",
        "--user",
        type=str,
        metavar="[USERNAME|UID]",
        default=str(os.getuid()),
        help='Limit output to specific username or userid (Specify "all" for all users)',
    )
    parser.add_argument(
        "-f",
        "--filter",
        action=FilterActionSetUpdate,
        metavar="STATE|RESULT",
        default=set(),
        help="List jobs with specific job state or result",
    )
    # sic: flux-core passes the action class as the type, so any -q value is refused
    parser.add_argument(
        "-q",
        "--queue",
        type=FilterActionSetUpdate,
        metavar="QUEUE,...",
        help="Limit output to specific queue or queues",
    )
    parser.add_argument(
        "-c", "--count", type=int, metavar="N", default=99999, help="Limit output to the first N matches"
    )
    parser.add_argument(
        "--max-entries",
        type=int,
        metavar="N",
        default=1000,
        help="Limit number of searched jobs to N entries (default: 1000)",
    )
    if pgrep:
        parser.add_argument("-n", "--no-header", action="store_true", help="Suppress printing of header line")
        parser.add_argument(
            "-o",
            "--format",
            type=str,
            default="default",
            metavar="FORMAT",
            help="Specify output format using Python's string format syntax "
            " or a defined format by name (use 'help' to get a list of names)",
        )
    else:
        parser.add_argument("--wait", action="store_true", help="Wait for jobs to finish after cancel")
    parser.add_argument("expression", metavar="EXPRESSION", type=str, nargs="+", help="job name pattern or id range")
    return parser.parse_args(list(argv))


def fetch_jobs(args: argparse.Namespace, handle: Any) -> List[Any]:
    if args.A:
        args.user = "all"
    if args.a:
        args.filter.update(["pending", "running", "inactive"])
    if not args.filter:
        args.filter = {"pending", "running"}
    lister = JobList(
        handle, filters=sorted(args.filter), user=args.user, max_entries=args.max_entries, queue=args.queue
    )
    jobs = lister.jobs()
    for err in lister.errors:
        print(err, file=sys.stderr)
    return list(jobs)


def pkill(handle: Any, args: argparse.Namespace, jobs: List[Any], logger: logging.Logger) -> None:
    """Cancel every job (all requests at once), then say how many were canceled."""
    done = {"ok": 0, "code": 0}

    def cancelled(future: Any, job: Any) -> None:
        try:
            future.get()
        except OSError as exc:
            done["code"] = 1
            logger.error(f"{job.id}: cancel: {exc}")
            return
        done["ok"] += 1
        if args.wait:
            flux.job.result_async(handle, job.id).then(lambda f, _job: f.get_dict(), job)

    for job in jobs:
        flux.job.cancel_async(handle, job.id).then(cancelled, job)
    handle.reactor_run()
    count = done["ok"]
    logger.info("Canceled %d job%s", count, "" if count == 1 else "s")
    sys.exit(done["code"])


def pgrep_main(prog: str, argv: Sequence[str], logger: logging.Logger) -> None:
    args = parse_args(prog, argv)
    formatter = None
    if prog == "flux-pgrep":
        # the format is checked before any job is fetched ("help" exits here)
        fmt = FluxPgrepConfig().load().get_format_string(args.format)
        try:
            formatter = JobInfoFormat(fmt)
        except ValueError as exc:
            raise ValueError(f"Error in user format: {exc}") from None
    handle = flux.Flux()
    try:
        matcher = JobMatcher(args.expression)
    except (ValueError, SyntaxError, TypeError, re.error) as exc:
        logger.error(f"expression error: {exc}")
        sys.exit(2)
    jobs = list(islice(filter(matcher.match, fetch_jobs(args, handle)), args.count))
    if not jobs:
        sys.exit(1)
    if formatter is None:
        pkill(handle, args, jobs, logger)
        return
    rows = JobInfoFormat(formatter.filter(jobs, no_header=args.no_header))
    # bare ids need no header, unless FLUX_PGREP_FORMAT_DEFAULT chose another format
    if args.format == "default" and BUILTIN_FORMATS["default"]["format"] == rows.get_format(orig=True):
        args.no_header = True
    rows.print_items(jobs, no_header=args.no_header)


def _main(prog: str, argv: List[str]) -> int:
    logger = logging.getLogger(prog)
    run(logger, lambda: pgrep_main(prog, argv[1:], logger))


def main_pgrep(argv: List[str]) -> int:
    return _main("flux-pgrep", argv)


def main_pkill(argv: List[str]) -> int:
    return _main("flux-pkill", argv)
