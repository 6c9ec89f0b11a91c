"""``flux cancel [OPTIONS] [JOBID...]`` (flux-core's flux-cancel.py): a cancel exception
on each job, or with --all/--user/--states on every matching job (``job-manager.raiseall``)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import pwd
import sys
from typing import Any, Dict, List

from .pytool import argument_parser, run
from .submit_options import hide_aliases

LOGGER = logging.getLogger("flux-cancel")
STATES = {"depend": 2, "priority": 4, "sched": 8, "run": 16, "pending": 14, "running": 48, "active": 62}


def parse_args(argv: List[str]) -> argparse.Namespace:
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    parser = argument_parser(
        "flux-cancel",
        usage="flux cancel [OPTIONS] [JOBID...]",
        description="\n    Cancel pending or running jobs with an optional exception note.\n    ",
    )
    parser.add_argument("--all", action="store_true", help="Target all jobs")
    parser.add_argument("-n", "--dry-run", "--dry", action="store_true", help="Do not cancel any jobs")
    parser.add_argument("-q", "--quiet", action="store_true", help="Suppress output when no jobs match")
    parser.add_argument("-u", "--user", type=str, metavar="USER", help="Set target user or 'all' (instance owner only)")
    parser.add_argument(
        "-S", "--states", "--state", action="append", help="List of job states to target (default=active)"
    )
    parser.add_argument("-m", "--message", type=str, metavar="NOTE", help="Set optional cancel exception note")
    parser.add_argument("jobids", metavar="JOBID...", type=JobID, nargs="*", help="jobids to cancel")
    hide_aliases(parser)
    return parser.parse_args(argv)


def _log(msg: str) -> None:
    print(f"flux-cancel: {msg}", file=sys.stderr)


def _plural(count: int) -> str:
    return "s"[: count ^ 1]


def cancel(args: argparse.Namespace) -> None:
    import flux  # type: ignore[import-not-found,unused-ignore]
    from flux.job import cancel_async  # type: ignore[import-not-found,unused-ignore]

    if not args.jobids:
        raise ValueError("No target jobs were provided")
    if args.dry_run:
        count = len(args.jobids)
        _log(f"Would cancel {count} job{_plural(count)}")
        sys.exit(0)
    h = flux.Flux()
    futures = {jobid: cancel_async(h, jobid, args.message) for jobid in args.jobids}
    errors = 0
    for jobid, future in futures.items():
        try:
            future.get()
        except OSError as exc:
            errors += 1
            LOGGER.error(f"{jobid}: {exc.strerror}")
    if errors:
        sys.exit(1)


def cancelall(args: argparse.Namespace) -> None:
    import flux  # type: ignore[import-not-found,unused-ignore]

    if args.user is None:
        userid = os.getuid()
    elif args.user == "all":
        userid = 0xFFFFFFFF
    else:
        try:
            userid = pwd.getpwnam(args.user).pw_uid
        except KeyError:
            try:
                userid = int(args.user)
            except ValueError:
                raise ValueError(f"Invalid user {args.user} specified") from None
    statemask = 0
    for state in ",".join(args.states or []).split(",") if args.states else []:
        try:
            statemask |= STATES[state.lower()]
        except KeyError:
            raise ValueError(f"Invalid state {state} specified") from None
    if not args.states:
        statemask = STATES["pending"] | STATES["running"]
    payload: Dict[str, Any] = {
        "dry_run": args.dry_run,
        "userid": userid,
        "states": statemask,
        "severity": 0,
        "type": "cancel",
    }
    if args.message is not None:
        payload["note"] = args.message
    h = flux.Flux()
    try:
        resp = h.rpc("job-manager.raiseall", payload).get()
        count, errors = resp["count"], resp["errors"]
    except OSError as exc:
        if exc.errno != errno.ENOSYS:
            raise
        count, errors = _raise_each(h, payload)
    if count > 0:
        msg = f"{count} job{_plural(count)}"
        if args.dry_run:
            _log(f"Would cancel {msg}")
        else:
            _log(f"Canceled {msg} ({errors} error{_plural(errors)})")
    elif not args.quiet:
        _log("Matched 0 jobs")


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
        if args.user or args.states:
            args.all = True
        if args.jobids and args.all:
            LOGGER.error("Do not specify a list of jobids with --all,--user,--states options")
            sys.exit(1)
        if args.all:
            cancelall(args)
        else:
            cancel(args)

    run(LOGGER, body)
