"""`flux jobs`: list jobs of the instance as flux-core's flux-jobs prints them.

Filters go to job-list (``-a``, ``-A``, ``-f``, ``-u``, ``--name``, ``-q``,
``--since``, ``-i``, ``-c``, job ids); rows are JobInfo records rendered with a
JobInfoFormat (a named format from flux-jobs' config, or one given with ``-o``);
``--json`` prints the records, ``--stats`` job counts, ``-R`` descends into jobs
that are Flux instances.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import logging
import os
import sys
from typing import Any, Dict, List, Sequence, Tuple

import flux  # type: ignore[import-not-found]
import flux.constants  # type: ignore[import-not-found]
import flux.util  # type: ignore[import-not-found]
from flux.hostlist import Hostlist  # type: ignore[import-not-found]
from flux.idset import IDset  # type: ignore[import-not-found]
from flux.job import JobID, JobInfo, JobInfoFormat, JobList, job_fields_to_attrs  # type: ignore[import-not-found]
from flux.job.stats import JobStats  # type: ignore[import-not-found]
from flux.util import (
    ColorAction,
    FilterAction,
    FilterActionSetUpdate,
    FilterActionUser,
    FilterTrueAction,
    UtilConfig,
)

from .pytool import argument_parser, run

LOGGER = logging.getLogger("flux-jobs")

_DEFAULT_ROW = "{id.f58:>12} ?:{queue:<8.8} +:{username:<8} {name:<10.10+} "
BUILTIN_FORMATS: Dict[str, Dict[str, str]] = {
    "default": {
        "description": "Default flux-jobs format string",
        "format": _DEFAULT_ROW
        + "{status_abbrev:>2.2} {ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}",
    },
    "cute": {
        "description": "Cute flux-jobs format string (default with emojis)",
        "format": _DEFAULT_ROW
        + "{status_emoji:>5.5} {ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}",
    },
    "long": {
        "description": "Extended flux-jobs format string",
        "format": _DEFAULT_ROW
        + "{status:>9.9} {ntasks:>6} {nnodes:>6h} {t_submit!d:%b%d %R::>12} {t_remaining!F:>12h} "
        "{contextual_time!F:>8h} {contextual_info}",
    },
    "deps": {
        "description": "Show job urgency, priority, and dependencies",
        "format": "{id.f58:>12} ?:{queue:<8.8} {name:<10.10+} {urgency:<3} {priority:<12} {state:<8.8} {dependencies}",
    },
    "endreason": {
        "description": "Show why each job ended",
        "format": _DEFAULT_ROW + "{status_abbrev:>2.2} {t_inactive!d:%b%d %R::>12h} {inactive_reason}",
    },
}


class FluxJobsConfig(UtilConfig):
    """flux-jobs' configuration: the builtin formats plus those of ``flux-jobs.{toml,json,yaml}``."""

    builtin_formats = BUILTIN_FORMATS

    def __init__(self) -> None:
        super().__init__(name="flux-jobs", initial_dict={"formats": dict(BUILTIN_FORMATS)})

    def validate(self, path: str, conf: Any) -> None:
        for key, value in conf.items():
            if key != "formats":
                raise ValueError(f"{path}: invalid key {key}")
            self.validate_formats(path, value)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser("flux-jobs")
    add = parser.add_argument
    add("-a", action=FilterTrueAction, help="List jobs in all states")
    add("-A", action=FilterTrueAction, help="List all jobs for all users")
    add("-c", "--count", action=FilterAction, type=int, metavar="N", default=1000,
        help="Limit output to N jobs (default 1000)")  # fmt: skip
    add("-f", "--filter", action=FilterActionSetUpdate, metavar="STATE|RESULT", default=set(),
        help="List jobs with specific job state or result")  # fmt: skip
    add("--since", action=FilterAction, type=str, metavar="WHEN", default=0.0,
        help="Include jobs that have become inactive since WHEN. "
        "(implies -a if no other --filter option is specified)")  # fmt: skip
    add("-n", "--no-header", action="store_true", help="Suppress printing of header line")
    add("--suppress-header", action="store_true", dest="no_header", help=argparse.SUPPRESS)
    add("-u", "--user", action=FilterActionUser, type=str, metavar="[USERNAME|UID]", default=str(os.getuid()),
        help='Limit output to specific username or userid (Specify "all" for all users)')  # fmt: skip
    add("--name", action=FilterAction, type=str, metavar="JOB-NAME", help="Limit output to specific job name")
    add("-q", "--queue", action=FilterActionSetUpdate, default=set(), metavar="QUEUE,...",
        help="Limit output to specific queue or queues")  # fmt: skip
    add("-i", "--include", type=str, metavar="HOSTS|RANKS",
        help="Limit output to jobs that were allocated to the specified "
        "HOSTS or RANKS provided as a hostlist or idset.")  # fmt: skip
    add("-o", "--format", type=str, default="default", metavar="FORMAT",
        help="Specify output format using Python's string format syntax "
        " or a defined format by name (use 'help' to get a list of names)")  # fmt: skip
    add("--sort", type=str, default="", metavar="KEY,...", help="Specify sort order")
    add("-w", "--width", type=int, default=-1, const=0, metavar="N", nargs="?",
        help="Truncate output at width N. If N=0 (default if N omitted) and "
        "stdout is connected to a terminal, use terminal width")  # fmt: skip
    add("--json", action="store_true", help="Output jobs in JSON instead of formatted output")
    add("--color", action=ColorAction)
    add("-R", "--recursive", action="store_true", help="List jobs recursively")
    add("-L", "--level", type=int, metavar="N", default=9999, help="With --recursive, only descend N levels")
    add("--recurse-all", action="store_true",
        help="With --recursive, attempt to recurse all jobs, not just jobs of current user")  # fmt: skip
    add("--threads", type=int, metavar="N", help="Set max number of worker threads")
    add("--stats", action="store_true", help="Print job statistics before header")
    add("--stats-only", action="store_true",
        help="Print job statistics only and exit. Exits with non-zero status "
        "if there are no active jobs. Allows usage like: "
        "'while flux jobs --stats-only; do sleep 1; done'")  # fmt: skip
    add("jobids", metavar="JOBID", type=JobID, nargs="*", help="Limit output to specific Job IDs")
    add("--from-stdin", action="store_true", help=argparse.SUPPRESS)  # flux-core's testing aid
    parser.set_defaults(filtered=False, filtereduser=False)
    return parser.parse_args(list(argv))


def jobs_from_stdin() -> Tuple[List[Any], bool]:
    """``--from-stdin``: job-list records, one JSON object a line (filters do not apply)."""
    jobs = []
    for lineno, line in enumerate(sys.stdin, start=1):
        try:
            jobs.append(JobInfo(json.loads(line)))
        except ValueError as exc:
            LOGGER.error("JSON input error: line %d: %s", lineno, exc)
            sys.exit(1)
    return jobs, False


def _since_timestamp(args: argparse.Namespace) -> float:
    try:
        since = flux.util.parse_datetime(args.since).timestamp()
    except ValueError:
        since = float(args.since)
    if since > flux.util.parse_datetime("now").timestamp():
        LOGGER.error("--since=%s appears to be in the future", args.since)
        sys.exit(1)
    return since


def _include_constraint(text: str) -> Dict[str, List[str]]:
    """``-i``: an idset of ranks, else a hostlist."""
    try:
        return {"ranks": [IDset(text).encode()]}
    except ValueError:
        pass
    try:
        return {"hostlist": [Hostlist(text).encode()]}
    except ValueError:
        raise ValueError(f"-i/--include: invalid targets: {text}") from None


def fetch_jobs(args: argparse.Namespace, fields: Sequence[str], handle: Any = None) -> Tuple[List[Any], bool]:
    """The jobs to show and whether ``--count`` cut the list short."""
    if handle is None:
        handle = flux.Flux()
    attrs = set(job_fields_to_attrs(fields))
    if args.color.enabled:
        attrs.update(job_fields_to_attrs(["result", "annotations"]))
    if args.recursive:
        attrs.update(job_fields_to_attrs(["annotations", "status", "userid"]))
    if args.json:
        args.no_header = True
        attrs.add("all")
    if args.A:
        args.user = str(flux.constants.FLUX_USERID_UNKNOWN)
    since = 0.0
    if args.since:
        if not args.filter:  # --since implies -a unless states were chosen
            args.a = True
        since = _since_timestamp(args)
    if args.a:
        if args.filter:
            LOGGER.warning("Both -a and --filter specified, ignoring -a")
        else:
            args.filter.update(["pending", "running", "inactive"])
    if not args.filter:
        args.filter = {"pending", "running"}
    constraint = None
    if args.include:
        constraint = _include_constraint(args.include)
        if not args.filtereduser:  # look at every user's jobs on those nodes
            args.user = str(flux.constants.FLUX_USERID_UNKNOWN)
    # one more than asked, to tell the user the list was cut short
    lister = JobList(
        handle,
        ids=args.jobids,
        attrs=sorted(attrs),
        filters=sorted(args.filter),
        user=args.user,
        max_entries=args.count + 1 if args.count > 0 else args.count,
        since=since,
        name=args.name,
        queue=sorted(args.queue) if args.queue else None,
        constraint=constraint,
    )
    jobs = lister.jobs()
    truncated = 0 < args.count < len(jobs)
    if truncated:
        jobs = jobs[:-1]
    if any(field.startswith("instance.") for field in fields):
        with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
            concurrent.futures.wait([pool.submit(job.get_instance_info) for job in jobs])
    for err in lister.errors:
        print(err, file=sys.stderr)
    return jobs, truncated


_RESULT_COLORS = {"COMPLETED": "\033[01;32m", "FAILED": "\033[01;31m", "CANCELED": "\033[37m", "TIMEOUT": "\033[01;31m"}


def _color_on(args: argparse.Namespace, job: Any) -> bool:
    if not args.color.enabled:
        return False
    if job.result:
        sys.stdout.write(_RESULT_COLORS.get(job.result, ""))
        return True
    if job.uri:
        sys.stdout.write("\033[01;34m")
        return True
    return False


def _is_user_instance(job: Any, args: argparse.Namespace) -> bool:
    """A running job that is a Flux instance, ours unless --recurse-all: -R descends into it."""
    return bool(job.uri and job.status_abbrev == "R" and (args.recurse_all or job.userid == os.getuid()))


def _jobs_of_instance(job: Any, args: argparse.Namespace, fields: Sequence[str]) -> Tuple[Any, List[Any], Any]:
    try:
        handle = flux.Flux(str(job.uri))
        jobs, _ = fetch_jobs(args, fields, handle=handle)
        stats = JobStats(handle).update_sync() if args.stats else None
    except OSError:  # not up yet, or not ours: skip it quietly
        return job, [], None
    return job, jobs, stats


def print_jobs(jobs: List[Any], args: argparse.Namespace, formatter: Any, path: str = "", level: int = 0) -> List[Any]:
    """Print the rows (or collect the JSON records, returned) and, with -R, those of subinstances."""
    children: List[Any] = []
    records: List[Dict[str, Any]] = []
    by_id: Dict[Any, Dict[str, Any]] = {}
    colored: Dict[int, bool] = {}

    def pre(job: Any) -> None:
        colored[id(job)] = _color_on(args, job)

    def post(job: Any) -> None:
        if colored.get(id(job)):
            sys.stdout.write("\033[0;0m")
        if args.recursive and _is_user_instance(job, args):
            children.append(job)

    if args.json:
        for job in jobs:
            record = job.to_dict()
            records.append(record)
            by_id[job.id] = record
            if args.recursive and _is_user_instance(job, args):
                children.append(job)
    else:
        formatter.print_items(jobs, no_header=True, width=args.width, pre=pre, post=post)
    if not args.recursive or args.level == level:
        return records
    args.jobids = None  # ids name jobs of this instance only
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        futures = [pool.submit(_jobs_of_instance, job, args, formatter.fields) for job in children]
    prefix = f"{path}/" if path else ""
    for future in futures:
        job, subjobs, stats = future.result()
        if args.json:
            by_id[job.id]["jobs"] = [x.to_dict() for x in subjobs]
            continue
        subpath = f"{prefix}{job.id.f58}"
        print(f"\n{subpath}:")
        if stats:
            print(
                f"{stats.running} running, {stats.successful} completed, {stats.failed} failed, {stats.pending} pending"
            )
        print_jobs(subjobs, args, formatter, path=subpath, level=level + 1)
    return records


def _print_stats(args: argparse.Namespace) -> None:
    try:
        stats = JobStats(flux.Flux(), queue=sorted(args.queue) or None).update_sync()
    except ValueError as exc:
        LOGGER.error("error retrieving job stats: %s", exc)
        sys.exit(1)
    print(
        f"{stats.running} running, {stats.successful} completed, {stats.failed} failed, "
        f"{stats.pending} pending, {stats.inactive_purged} inactive purged"
    )
    if args.stats_only:
        sys.exit(0 if stats.active else 1)


def jobs_main(argv: Sequence[str]) -> None:
    args = parse_args(argv)
    if args.json and (args.stats or args.stats_only):
        LOGGER.error("--json incompatible with --stats or --stats-only")
        sys.exit(1)
    if args.jobids and args.filtered and not args.recursive:
        LOGGER.warning("Filtering options ignored with jobid list")
    if args.recurse_all:
        args.recursive = True
    fmt = FluxJobsConfig().load().get_format_string(args.format)
    try:
        formatter = JobInfoFormat(fmt)
    except ValueError as exc:
        raise ValueError(f"Error in user format: {exc}") from None
    if args.stats or args.stats_only:
        _print_stats(args)
    if args.sort:
        formatter.set_sort_keys(args.sort)
    if args.from_stdin:
        jobs, truncated = jobs_from_stdin()
    else:
        jobs, truncated = fetch_jobs(args, formatter.fields)
    if args.jobids and not jobs:
        sys.exit(1)  # job-list's errors for each id are printed already
    rows = JobInfoFormat(formatter.filter(jobs, no_header=args.no_header))
    if not args.no_header:
        print(rows.header(width=args.width))
    records = print_jobs(jobs, args, rows)
    if args.json:
        if args.jobids and len(args.jobids) == 1:
            if records:
                print(json.dumps(records[0]))
        else:
            print(json.dumps({"jobs": records}))
    if not args.no_header and truncated:
        print(f"warning: output truncated at {args.count} jobs.", file=sys.stderr)
        print("Use --count to increase returned results or use filters to alter results.", file=sys.stderr)


def main(argv: List[str]) -> int:
    run(LOGGER, lambda: jobs_main(argv[1:]))
