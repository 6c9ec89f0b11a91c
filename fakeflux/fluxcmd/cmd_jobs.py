"""`flux jobs`: list jobs of the instance as flux-core's flux-jobs prints them.

Filters go to job-list (``-a``, ``-A``, ``-f``, ``-u``, ``--name``, ``-q``,
``--since``, ``-i``, ``-c``, job ids); rows are JobInfo records rendered with a
JobInfoFormat (a named format from flux-jobs' config, or one given with ``-o``);
``--json`` prints the records, ``--stats`` job counts, ``-R`` descends into jobs
that are Flux instances.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from typing import Any, Dict, List, Optional, Sequence, Tuple

import flux  # type: ignore[import-not-found]
import flux.constants  # type: ignore[import-not-found]
import flux.job  # type: ignore[import-not-found]
import flux.util  # type: ignore[import-not-found]
from flux.hostlist import Hostlist  # type: ignore[import-not-found]
from flux.idset import IDset  # type: ignore[import-not-found]
from flux.job.stats import JobStats  # type: ignore[import-not-found]

from .pytool import argument_parser, run

LOGGER = logging.getLogger("flux-jobs")

# Named formats as (description, columns joined by one space).  Most share their first
# four columns and their last two.
_LEAD = ["{id.f58:>12}", "?:{queue:<8.8}", "+:{username:<8}", "{name:<10.10+}"]
_TAIL = ["{contextual_time!F:>8h}", "{contextual_info}"]
_SIZE = ["{ntasks:>6}", "{nnodes:>6h}"]
_NAMED: Dict[str, Tuple[str, List[str]]] = {
    "default": ("Default flux-jobs format string", _LEAD + ["{status_abbrev:>2.2}"] + _SIZE + _TAIL),
    "cute": ("Cute flux-jobs format string (default with emojis)", _LEAD + ["{status_emoji:>5.5}"] + _SIZE + _TAIL),
    "long": (
        "Extended flux-jobs format string",
        _LEAD + ["{status:>9.9}"] + _SIZE + ["{t_submit!d:%b%d %R::>12}", "{t_remaining!F:>12h}"] + _TAIL,
    ),
    "deps": (
        "Show job urgency, priority, and dependencies",
        _LEAD[:2] + ["{name:<10.10+}", "{urgency:<3}", "{priority:<12}", "{state:<8.8}", "{dependencies}"],
    ),
    "endreason": (
        "Show why each job ended",
        _LEAD + ["{status_abbrev:>2.2}", "{t_inactive!d:%b%d %R::>12h}", "{inactive_reason}"],
    ),
}
_BUILTIN = {name: {"description": text, "format": " ".join(cols)} for name, (text, cols) in _NAMED.items()}


class _JobsFormats(flux.util.UtilConfig):
    """flux-jobs' named formats: the builtin ones plus those of ``flux-jobs.{toml,json,yaml}``."""

    builtin_formats = _BUILTIN

    def __init__(self) -> None:
        super().__init__(name="flux-jobs", initial_dict={"formats": dict(_BUILTIN)})

    def validate(self, path: str, conf: Any) -> None:
        # checked in file order, so the first bad key is the one reported
        for key in conf:
            if key != "formats":
                raise ValueError(f"{path}: invalid key {key}")
            self.validate_formats(path, conf[key])


_STATS_ONLY_HELP = (
    "Print job statistics only and exit. Exits with non-zero status if there are no active jobs. "
    "Allows usage like: 'while flux jobs --stats-only; do sleep 1; done'"
)
# (flags, add_argument keywords) in --help order; the Filter* actions note in the namespace
# that a filtering option was given (``filtered``/``filtereduser``).
_OPTIONS: List[Tuple[Tuple[str, ...], Dict[str, Any]]] = [
    (("-a",), {"action": flux.util.FilterTrueAction, "help": "List jobs in all states"}),
    (("-A",), {"action": flux.util.FilterTrueAction, "help": "List all jobs for all users"}),
    (
        ("-c", "--count"),
        {"action": flux.util.FilterAction, "type": int, "metavar": "N", "default": 1000},
    ),
    (("-f", "--filter"), {"action": flux.util.FilterActionSetUpdate, "metavar": "STATE|RESULT", "default": set()}),
    (("--since",), {"action": flux.util.FilterAction, "type": str, "metavar": "WHEN", "default": 0.0}),
    (("-n", "--no-header"), {"action": "store_true", "help": "Suppress printing of header line"}),
    (("--suppress-header",), {"action": "store_true", "dest": "no_header", "help": argparse.SUPPRESS}),
    (
        ("-u", "--user"),
        {"action": flux.util.FilterActionUser, "type": str, "metavar": "[USERNAME|UID]", "default": str(os.getuid())},
    ),
    (("--name",), {"action": flux.util.FilterAction, "type": str, "metavar": "JOB-NAME"}),
    (("-q", "--queue"), {"action": flux.util.FilterActionSetUpdate, "default": set(), "metavar": "QUEUE,..."}),
    (("-i", "--include"), {"type": str, "metavar": "HOSTS|RANKS"}),
    (("-o", "--format"), {"type": str, "default": "default", "metavar": "FORMAT"}),
    (("--sort",), {"type": str, "default": "", "metavar": "KEY,...", "help": "Specify sort order"}),
    (
        ("-w", "--width"),
        {
            "type": int,
            "default": -1,
            "const": 0,
            "metavar": "N",
            "nargs": "?",
        },
    ),
    (("--json",), {"action": "store_true", "help": "Output jobs in JSON instead of formatted output"}),
    (("--color",), {"action": flux.util.ColorAction}),
    (("-R", "--recursive"), {"action": "store_true", "help": "List jobs recursively"}),
    (("-L", "--level"), {"type": int, "metavar": "N", "default": 9999}),
    (("--recurse-all",), {"action": "store_true"}),
    (("--threads",), {"type": int, "metavar": "N", "help": "Set max number of worker threads"}),
    (("--stats",), {"action": "store_true", "help": "Print job statistics before header"}),
    (("--stats-only",), {"action": "store_true", "help": _STATS_ONLY_HELP}),
    (("jobids",), {"metavar": "JOBID", "type": flux.job.JobID, "nargs": "*"}),
    (("--from-stdin",), {"action": "store_true", "help": argparse.SUPPRESS}),  # flux-core's testing aid
]
# the longer help texts, kept apart from the table to keep its rows readable
_HELP = {
    "--count": "Limit output to N jobs (default 1000)",
    "--filter": "List jobs with specific job state or result",
    "--since": "Include jobs that have become inactive since WHEN. "
    "(implies -a if no other --filter option is specified)",
    "--user": 'Limit output to specific username or userid (Specify "all" for all users)',
    "--name": "Limit output to specific job name",
    "--queue": "Limit output to specific queue or queues",
    "--include": "Limit output to jobs that were allocated to the specified HOSTS or RANKS "
    "provided as a hostlist or idset.",
    "--format": "Specify output format using Python's string format syntax "
    " or a defined format by name (use 'help' to get a list of names)",
    "--width": "Truncate output at width N. If N=0 (default if N omitted) and stdout is connected to a terminal, "
    "use terminal width",
    "--level": "With --recursive, only descend N levels",
    "jobids": "Limit output to specific Job IDs",
    "--recurse-all": "With --recursive, attempt to recurse all jobs, not just jobs of current user",
}


def _command_line(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser("flux-jobs")
    for flags, keywords in _OPTIONS:
        text = _HELP.get(flags[-1])
        parser.add_argument(*flags, **(keywords if text is None else {**keywords, "help": text}))
    parser.set_defaults(filtered=False, filtereduser=False)
    return parser.parse_args(list(argv))


def _records_on_stdin() -> Tuple[List[Any], bool]:
    """``--from-stdin``: job-list records, one JSON object a line (filters do not apply)."""
    found = []
    for number, text in enumerate(sys.stdin, start=1):
        try:
            found.append(flux.job.JobInfo(json.loads(text)))
        except ValueError as exc:
            LOGGER.error("JSON input error: line %d: %s", number, exc)
            sys.exit(1)
    return found, False


def _since_epoch(when: str) -> float:
    """--since as seconds since the epoch: a date/time phrase, else a plain number."""
    try:
        stamp = flux.util.parse_datetime(when).timestamp()
    except ValueError:
        stamp = float(when)
    if stamp > flux.util.parse_datetime("now").timestamp():
        LOGGER.error("--since=%s appears to be in the future", when)
        sys.exit(1)
    return float(stamp)


def _placement(targets: str) -> Dict[str, List[str]]:
    """The job-list constraint for ``-i``: an idset of ranks, failing that a hostlist."""
    for key, kind in (("ranks", IDset), ("hostlist", Hostlist)):
        try:
            return {key: [kind(targets).encode()]}
        except ValueError:
            continue
    raise ValueError(f"-i/--include: invalid targets: {targets}")


def _attributes(args: argparse.Namespace, fields: Sequence[str]) -> List[str]:
    """The job-list attributes the output needs."""
    names = list(fields)
    if args.color.enabled:
        names += ["result", "annotations"]  # colors depend on these
    if args.recursive:
        names += ["annotations", "status", "userid"]  # to spot our running instances
    wanted = set(flux.job.job_fields_to_attrs(names))
    if args.json:
        wanted.add("all")
    return sorted(wanted)


_ANY_USER = str(flux.constants.FLUX_USERID_UNKNOWN)


def _settle_selection(args: argparse.Namespace) -> float:
    """Resolve -A, --since, -a and the default states into ``args`` and return the --since
    time.  As in flux-core this writes into ``args``, and runs again for every subinstance
    of -R, which then sees what the first run left (so "ignoring -a" can repeat there)."""
    if args.A:
        args.user = _ANY_USER
    since = 0.0
    if args.since:
        args.a = args.a or not args.filter  # --since implies -a unless states were chosen
        since = _since_epoch(args.since)
    if args.a and args.filter:
        LOGGER.warning("Both -a and --filter specified, ignoring -a")
    elif args.a:
        args.filter |= {"pending", "running", "inactive"}
    args.filter = args.filter or {"pending", "running"}
    return since


def _query(args: argparse.Namespace, fields: Sequence[str], handle: Any) -> Tuple[List[Any], bool]:
    """The jobs to show from the instance of ``handle``, and whether --count cut them short."""
    attrs = _attributes(args, fields)
    if args.json:
        args.no_header = True
    since = _settle_selection(args)
    constraint: Optional[Dict[str, List[str]]] = None
    if args.include:
        constraint = _placement(args.include)
        if not args.filtereduser:
            args.user = _ANY_USER  # every user's jobs on those nodes, unless -u was given
    limit = args.count
    lister = flux.job.JobList(
        handle,
        ids=args.jobids,
        attrs=attrs,
        filters=sorted(args.filter),
        user=args.user,
        max_entries=limit + 1 if limit > 0 else limit,  # one extra reveals a cut
        since=since,
        name=args.name,
        queue=sorted(args.queue) if args.queue else None,
        constraint=constraint,
    )
    found = lister.jobs()
    cut = 0 < limit < len(found)
    if cut:
        found = found[:-1]
    if [field for field in fields if field.startswith("instance.")]:
        with ThreadPoolExecutor(args.threads) as pool:
            wait_all([pool.submit(job.get_instance_info) for job in found])
    sys.stderr.writelines(f"{err}\n" for err in lister.errors)
    return found, cut


_RESET = "\033[0;0m"
_INSTANCE_COLOR = "\033[01;34m"
_RESULT_COLORS = {"COMPLETED": "\033[01;32m", "FAILED": "\033[01;31m", "CANCELED": "\033[37m", "TIMEOUT": "\033[01;31m"}


def _line_color(job: Any) -> Optional[str]:
    """The escape that starts a job's row: by result when it has one, blue for an instance."""
    if job.result:
        return _RESULT_COLORS.get(job.result, "")
    return _INSTANCE_COLOR if job.uri else None


def _stats_line(stats: Any) -> str:
    return f"{stats.running} running, {stats.successful} completed, {stats.failed} failed, {stats.pending} pending"


class _Printer:
    """Prints rows (or gathers JSON records) for one instance and, with -R, its subinstances."""

    def __init__(self, args: argparse.Namespace, layout: Any) -> None:
        self.args = args
        self.layout = layout

    def _descend_into(self, job: Any) -> bool:
        """-R goes into running jobs that are Flux instances, our own unless --recurse-all."""
        if not (self.args.recursive and job.uri and job.status_abbrev == "R"):
            return False
        return bool(self.args.recurse_all or job.userid == os.getuid())

    def _visit(self, job: Any) -> Tuple[Any, List[Any], Any]:
        try:
            handle = flux.Flux(str(job.uri))
            subjobs, _ = _query(self.args, self.layout.fields, handle)
            stats = JobStats(handle).update_sync() if self.args.stats else None
        except OSError:  # not up yet, or not ours: skipped without a word
            return job, [], None
        return job, subjobs, stats

    def _rows(self, jobs: List[Any]) -> List[Any]:
        """Print the rows, colored if asked; returns the jobs to descend into."""
        instances: List[Any] = []
        open_escapes: Dict[int, bool] = {}

        def before(job: Any) -> None:
            escape = _line_color(job) if self.args.color.enabled else None
            if escape is not None:
                sys.stdout.write(escape)
            open_escapes[id(job)] = escape is not None

        def after(job: Any) -> None:
            if open_escapes.pop(id(job), False):
                sys.stdout.write(_RESET)
            if self._descend_into(job):
                instances.append(job)

        self.layout.print_items(jobs, no_header=True, width=self.args.width, pre=before, post=after)
        return instances

    def show(self, jobs: List[Any], path: str = "", depth: int = 0) -> List[Dict[str, Any]]:
        """Print ``jobs`` and what is below them; with --json returns their records instead."""
        records: List[Dict[str, Any]] = []
        if self.args.json:
            records = [job.to_dict() for job in jobs]
            instances = [job for job in jobs if self._descend_into(job)]
        else:
            instances = self._rows(jobs)
        if not self.args.recursive or depth == self.args.level:
            return records
        self.args.jobids = None  # the ids named jobs of the top instance only
        with ThreadPoolExecutor(self.args.threads) as pool:
            visits = [pool.submit(self._visit, job) for job in instances]
        record_of = {job.id: record for job, record in zip(jobs, records)}
        for visit in visits:
            job, subjobs, stats = visit.result()
            if self.args.json:
                # JSON nests one level: the subinstance's records, without further descent
                record_of[job.id]["jobs"] = [sub.to_dict() for sub in subjobs]
                continue
            where = f"{path}/{job.id.f58}" if path else job.id.f58
            print(f"\n{where}:")
            if stats:
                print(_stats_line(stats))
            self.show(subjobs, where, depth + 1)
        return records


def _print_stats(args: argparse.Namespace) -> None:
    try:
        stats = JobStats(flux.Flux(), queue=sorted(args.queue) or None).update_sync()
    except ValueError as exc:
        LOGGER.error("error retrieving job stats: %s", exc)
        sys.exit(1)
    print(f"{_stats_line(stats)}, {stats.inactive_purged} inactive purged")
    if args.stats_only:
        sys.exit(0 if stats.active else 1)


def _layout(name_or_format: str) -> Any:
    chosen = _JobsFormats().load().get_format_string(name_or_format)
    try:
        return flux.job.JobInfoFormat(chosen)
    except ValueError as exc:
        raise ValueError(f"Error in user format: {exc}") from None


def _emit_json(args: argparse.Namespace, records: List[Dict[str, Any]]) -> None:
    """One job id given: its bare record (nothing when not found); otherwise ``{"jobs": [...]}``."""
    if args.jobids and len(args.jobids) == 1:
        for record in records[:1]:
            print(json.dumps(record))
        return
    print(json.dumps({"jobs": records}))


def _flux_jobs(argv: Sequence[str]) -> None:
    args = _command_line(argv)
    statistics = args.stats or args.stats_only
    if args.json and statistics:
        LOGGER.error("--json incompatible with --stats or --stats-only")
        sys.exit(1)
    if args.jobids and args.filtered and not args.recursive:
        LOGGER.warning("Filtering options ignored with jobid list")
    args.recursive = args.recursive or args.recurse_all
    layout = _layout(args.format)
    if statistics:
        _print_stats(args)
    if args.sort:
        layout.set_sort_keys(args.sort)
    jobs, cut = _records_on_stdin() if args.from_stdin else _query(args, layout.fields, flux.Flux())
    if args.jobids and not jobs:
        sys.exit(1)  # job-list's error for each id is printed already
    table = flux.job.JobInfoFormat(layout.filter(jobs, no_header=args.no_header))
    if not args.no_header:
        print(table.header(width=args.width))
    records = _Printer(args, table).show(jobs)
    if args.json:
        _emit_json(args, records)
    if cut and not args.no_header:
        sys.stderr.write(
            f"warning: output truncated at {args.count} jobs.\n"
            "Use --count to increase returned results or use filters to alter results.\n"
        )


def main(argv: List[str]) -> int:
    run(LOGGER, lambda: _flux_jobs(argv[1:]))
