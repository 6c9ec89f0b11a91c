"""``flux cancel [OPTIONS] [JOBID...]`` (flux-core's flux-cancel.py): a cancel exception
on each job, or with --all/--user/--states on every matching job (``job-manager.raiseall``)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import pwd
import sys
from typing import Any, Dict, List, Tuple

from .pytool import argument_parser, run
from .submit_options import hide_aliases

LOGGER = logging.getLogger("flux-cancel")
STATES = {"depend": 2, "priority": 4, "sched": 8, "run": 16, "pending": 14, "running": 48, "active": 62}
_ANY_USER = 0xFFFFFFFF  # FLUX_USERID_UNKNOWN: every user's jobs

# (flags, argparse keywords) of each option, in --help order
_OPTIONS: List[Tuple[Tuple[str, ...], Dict[str, Any]]] = [
    (("--all",), {"action": "store_true", "help": "Target all jobs"}),
    (("-n", "--dry-run", "--dry"), {"action": "store_true", "help": "Do not cancel any jobs"}),
    (("-q", "--quiet"), {"action": "store_true", "help": "Suppress output when no jobs match"}),
    (
        ("-u", "--user"),
        {"type": str, "metavar": "USER", "help": "Set target user or 'all' (instance owner only)"},
    ),
    (("-S", "--states", "--state"), {"action": "append", "help": "List of job states to target (default=active)"}),
    (("-m", "--message"), {"type": str, "metavar": "NOTE", "help": "Set optional cancel exception note"}),
]


def parse_args(argv: List[str]) -> argparse.Namespace:
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    parser = argument_parser(
        "flux-cancel",
        usage="flux cancel [OPTIONS] [JOBID...]",
        description="\n    Cancel pending or running jobs with an optional exception note.\n    ",
    )
    for flags, settings in _OPTIONS:
        parser.add_argument(*flags, **settings)
    parser.add_argument("jobids", metavar="JOBID...", type=JobID, nargs="*", help="jobids to cancel")
    hide_aliases(parser)
    return parser.parse_args(argv)


def _log(msg: str) -> None:
    sys.stderr.write("flux-cancel: " + msg + "\n")


def _jobs(count: int) -> str:
    """``1 job``, ``2 jobs``."""
    return f"{count} job" + ("" if count == 1 else "s")


def _errors(count: int) -> str:
    return f"{count} error" + ("" if count == 1 else "s")


def cancel(args: argparse.Namespace) -> None:
    """Cancel the jobs named; exit 1 if any could not be."""
    import flux  # type: ignore[import-not-found,unused-ignore]
    from flux.job import cancel_async  # type: ignore[import-not-found,unused-ignore]

    if not args.jobids:
        raise ValueError("No target jobs were provided")
    if args.dry_run:
        _log("Would cancel " + _jobs(len(args.jobids)))
        sys.exit(0)
    handle = flux.Flux()
    # every request goes out before the first answer is read
    requests = {jobid: cancel_async(handle, jobid, args.message) for jobid in args.jobids}
    failures = 0
    for jobid in requests:
        try:
            requests[jobid].get()
        except OSError as exc:
            LOGGER.error("%s: %s", jobid, exc.strerror)
            failures += 1
    if failures:
        sys.exit(1)


def _target_userid(user: Any) -> int:
    """--user: yours when not given, every user's for "all", else a user name or a uid."""
    if user is None:
        return os.getuid()
    if user == "all":
        return _ANY_USER
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        pass  # not a name: maybe a number
    try:
        return int(user)
    except ValueError:
        raise ValueError(f"Invalid user {user} specified") from None


def _target_states(states: Any) -> int:
    """--states (repeatable, comma separated, any case) as a state mask; active jobs when not given."""
    if not states:
        return STATES["active"]  # pending | running
    mask = 0
    for word in ",".join(states).split(","):
        bit = STATES.get(word.lower())
        if bit is None:
            raise ValueError(f"Invalid state {word} specified")
        mask |= bit
    return mask


def cancelall(args: argparse.Namespace) -> None:
    """Cancel every job matching --user and --states (``job-manager.raiseall``)."""
    import flux  # type: ignore[import-not-found,unused-ignore]

    request: Dict[str, Any] = dict(
        dry_run=args.dry_run,
        userid=_target_userid(args.user),
        states=_target_states(args.states),
        severity=0,
        type="cancel",
    )
    if args.message is not None:
        request.update(note=args.message)
    handle = flux.Flux()
    try:
        answer = handle.rpc("job-manager.raiseall", request).get()
    except OSError as exc:
        if exc.errno != errno.ENOSYS:
            raise
        count, errors = _raise_each(handle, request)
    else:
        count, errors = answer["count"], answer["errors"]
    if count == 0:
        if not args.quiet:
            _log("Matched 0 jobs")
    elif args.dry_run:
        _log("Would cancel " + _jobs(count))
    else:
        _log(f"Canceled {_jobs(count)} ({_errors(errors)})")


def _raise_each(h: Any, payload: Dict[str, Any]) -> tuple:
    """What raiseall does, job by job, where the broker has no raiseall."""
    listed = h.rpc(
        "job-list.list", {"max_entries": 0, "attrs": ["state", "userid"], "states": payload["states"], "results": 0}
    ).get()["jobs"]
    targets = [j["id"] for j in listed if payload["userid"] in (0xFFFFFFFF, j.get("userid"))]
    errors = 0
    if not payload["dry_run"]:
        for jobid in targets:
            req = {"id": jobid, "severity": 0, "type": "cancel", "note": payload.get("note", "")}
            try:
                h.rpc("job-manager.raise", req).get()
            except OSError:
                errors += 1
    return len(targets), errors


def main(argv: List[str]) -> int:
    def body() -> None:
        args = parse_args(argv[1:])
        # --user and --states imply --all, which excludes naming jobs
        args.all = bool(args.all or args.user or args.states)
        if args.all and args.jobids:
            LOGGER.error("Do not specify a list of jobids with --all,--user,--states options")
            sys.exit(1)
        (cancelall if args.all else cancel)(args)

    run(LOGGER, body)
