"""`flux queue`: list/status/enable/disable/start/stop/drain/idle as flux-core's flux-queue does.

``list`` renders flux.queue.QueueList (limits from the config, resources from the
scheduler, state from ``job-manager.queue-status``); the others are the job
manager's ``queue-*`` requests followed by the resulting status.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import flux  # type: ignore[import-not-found]
from flux.queue import QueueList  # type: ignore[import-not-found]
from flux.util import (  # type: ignore[import-not-found]
    AltField,
    FilterActionSetUpdate,
    OutputFormat,
    UtilConfig,
    parse_fsd,
)

from .pytool import argument_parser, run

LOGGER = logging.getLogger("flux-queue")

_STATE_COLUMNS = (
    "?:{queuem:<8.8} ?:{parent:<8.8} {color_enabled}{enabled:>2}{color_off} {color_started}{started:>2}{color_off} "
)
BUILTIN_FORMATS: Dict[str, Dict[str, str]] = {
    "default": {
        "description": "Default flux-queue list format string",
        "format": _STATE_COLUMNS + "{defaults.timelimit!F:>8} {limits.timelimit!F:>8} "
        "{limits.range.effective.nnodes:>10} {limits.range.effective.ncores:>10} {limits.range.effective.ngpus:>10}",
    },
    "policy": {
        "description": "flux-queue list with policy limits only",
        "format": _STATE_COLUMNS + "{defaults.timelimit!F:>8} {limits.timelimit!F:>8} "
        "{limits.range.nnodes:>10} {limits.range.ncores:>10} {limits.range.ngpus:>10}",
    },
    "nodes": {
        "description": "Show queue status plus all/up/allocated/free nodes",
        "format": _STATE_COLUMNS + "{resources.all.nnodes:>6} {resources.up.nnodes:>10} "
        "{resources.down.nnodes:>10} {resources.allocated.nnodes:>11} {resources.free.nnodes:>10}",
    },
}

LIST_HEADINGS = {
    "queue": "QUEUE",
    "queuem": "QUEUE",
    "parent": "PARENT",
    "submission": "SUBMIT",
    "scheduling": "SCHED",
    "enabled": "EN",
    "started": "ST",
    "enabled.ascii": "EN",
    "started.ascii": "ST",
    "color_enabled": "",
    "color_started": "",
    "color_off": "",
    "defaults.timelimit": "TDEFAULT",
    "limits.timelimit": "TLIMIT",
    "limits.range.nnodes": "NNODES",
    "limits.range.ncores": "NCORES",
    "limits.range.ngpus": "NGPUS",
    "limits.range.effective.nnodes": "NNODES",
    "limits.range.effective.ncores": "NCORES",
    "limits.range.effective.ngpus": "NGPUS",
    "limits.min.nnodes": "MINNODES",
    "limits.max.nnodes": "MAXNODES",
    "limits.min.ncores": "MINCORES",
    "limits.max.ncores": "MAXCORES",
    "limits.min.ngpus": "MINGPUS",
    "limits.max.ngpus": "MAXGPUS",
    # resources.STATE.nnodes -> NODES[:STATE], and so on for cores and gpus
    **{
        f"resources.{state}.{item}": item[1:].upper() + ("" if state == "all" else f":{state[:5].upper()}")
        for item in ("nnodes", "ncores", "ngpus")
        for state in ("all", "free", "allocated", "up", "down")
    },
}

GREEN, RED, YELLOW, OFF = "\033[01;32m", "\033[01;31m", "\033[01;33m", "\033[0;0m"


class FluxQueueConfig(UtilConfig):
    """flux-queue's configuration: ``list`` formats."""

    builtin_formats = {"list": BUILTIN_FORMATS}

    def __init__(self, subcommand: str) -> None:
        super().__init__(name="flux-queue", subcommand=subcommand, initial_dict={"list": {"formats": BUILTIN_FORMATS}})

    def validate(self, path: str, conf: Any) -> None:
        for key, value in conf.items():
            if key != "list":
                raise ValueError(f"{path}: invalid key {key}")
            for key2, val2 in value.items():
                if key2 != "formats":
                    raise ValueError(f"{path}: invalid key {key}.{key2}")
                self.validate_formats(path, val2)


# -- list -----------------------------------------------------------------------------
class SizeRanges:
    """``min-max`` of nodes, cores and gpus; ``effective``: max capped by the queue's resources."""

    def __init__(self, limits: Any, resources: Any, effective: bool = False) -> None:
        for item in ("nnodes", "ncores", "ngpus"):
            top = getattr(limits.max, item)
            if effective:
                top = min(top, getattr(resources.all, item))
            setattr(self, item, f"{getattr(limits.min, item)}-{top}")
        if not effective:
            self.effective = SizeRanges(limits, resources, effective=True)


class LimitsView:
    """A queue's limits plus ``range``."""

    def __init__(self, info: Any) -> None:
        self._limits = info.limits
        self.range = SizeRanges(info.limits, info.resources)

    def __getattr__(self, attr: str) -> Any:
        if attr == "_limits":
            raise AttributeError(attr)
        return getattr(self._limits, attr)


class QueueLine:
    """One queue as a line of ``flux queue list``."""

    def __init__(self, info: Any) -> None:
        self._info = info
        self.is_started = info.started
        self.is_enabled = info.enabled
        self.blocked_reason = info.blocked
        self.limits = LimitsView(info)

    def __getattr__(self, attr: str) -> Any:
        if attr == "_info":
            raise AttributeError(attr)
        try:
            return getattr(self._info, attr)
        except (KeyError, AttributeError):
            raise AttributeError(f"invalid QueueInfo attribute '{attr}'") from None

    @property
    def is_paused(self) -> bool:
        """A virtual queue held only because its parent is stopped (it resumes with it)."""
        return bool(self.blocked_reason == "parent")

    @property
    def scheduling(self) -> str:
        if self.is_started:
            return "started"
        return "stopped (parent)" if self.is_paused else "stopped"

    @property
    def submission(self) -> str:
        return "enabled" if self.is_enabled else "disabled"

    @property
    def queue(self) -> Any:
        return self.name

    @property
    def queuem(self) -> Any:
        """The name, with ``*`` for the default queue."""
        return f"{self.name}*" if self.name and self.is_default else self.name

    @property
    def color_enabled(self) -> str:
        return GREEN if self.is_enabled else RED

    @property
    def color_off(self) -> str:
        return OFF

    @property
    def enabled(self) -> Any:
        return AltField("✔", "y") if self.is_enabled else AltField("✗", "n")

    @property
    def color_started(self) -> str:
        if self.is_started:
            return GREEN
        return YELLOW if self.is_paused else RED

    @property
    def started(self) -> Any:
        if self.is_started:
            return AltField("✔", "y")
        return AltField("⏸", "p") if self.is_paused else AltField("✗", "n")


def list_queues(args: argparse.Namespace) -> None:
    fmt = FluxQueueConfig("list").load().get_format_string(args.format)
    formatter = OutputFormat(fmt, headings=LIST_HEADINGS)
    queues = [QueueLine(x) for x in QueueList(flux.Flux(), queues=args.queue)]
    formatter.print_items(queues, no_header=args.no_header)


# -- status and control ------------------------------------------------------------------
def print_enable_status(name: Optional[str], status: Dict[str, Any]) -> None:
    prefix = f"{name}: " if name else ""
    if status["enable"]:
        print(f"{prefix}Job submission is enabled")
    else:
        print(f"{prefix}Job submission is disabled: {status['disable_reason']}")


def print_start_status(name: Optional[str], status: Dict[str, Any]) -> None:
    prefix = f"{name}: " if name else ""
    reason = f": {status['stop_reason']}" if "stop_reason" in status else ""
    print(f"{prefix}Scheduling is started" if status["start"] else f"{prefix}Scheduling is stopped{reason}")


def print_queue_status(name: Optional[str], status: Dict[str, Any]) -> None:
    print_enable_status(name, status)
    print_start_status(name, status)


def _request(handle: Any, what: str, topic: str, payload: Any = None, timeout: float = -1.0) -> Any:
    """An RPC to the job manager; an error is ``WHAT: text`` and exit 1."""
    future = handle.rpc(topic, payload, nodeid=0)
    try:
        if timeout >= 0:
            future.wait_for(timeout)
        return future.get()
    except OSError as exc:
        if exc.errno == errno.ETIMEDOUT and timeout >= 0:
            LOGGER.error("%s: timeout", what)
        else:
            LOGGER.error("%s: %s", what, future.error_string())
        sys.exit(1)


def _statuses(handle: Any, queue: Optional[str], verbose: bool) -> List[Tuple[Optional[str], Dict[str, Any]]]:
    def one(name: Optional[str]) -> Dict[str, Any]:
        payload = {"name": name} if name else {}
        return dict(_request(handle, "status", "job-manager.queue-status", payload))

    if queue and not verbose:
        return [(queue, one(queue))]
    named = _request(handle, "list", "job-manager.queue-list")["queues"]
    if named:
        return [(q, one(q)) for q in named]
    return [(queue, one(None))]


def show_status(handle: Any, queue: Optional[str], verbose: bool, out: Callable[..., None]) -> None:
    for name, status in _statuses(handle, queue, verbose):
        out(name, status)


def alloc_query(handle: Any) -> None:
    query = _request(handle, "alloc-query", "job-manager.alloc-query")
    print(f"{query['queue_length']} alloc requests queued")
    print(f"{query['alloc_pending']} alloc requests pending to scheduler")
    print(f"{query['running']} running jobs")


def status(args: argparse.Namespace) -> None:
    handle = flux.Flux()
    show_status(handle, args.queue, args.verbose, print_queue_status)
    if args.verbose:
        alloc_query(handle)


def _enable(handle: Any, enable: bool, args: argparse.Namespace, reason: Optional[str] = None) -> None:
    payload: Dict[str, Any] = {"enable": enable, "all": args.all}
    if args.queue:
        payload["name"] = args.queue
    if reason:
        payload["reason"] = reason
    _request(handle, "enable", "job-manager.queue-enable", payload)
    if not args.quiet:
        show_status(handle, args.queue, args.verbose, print_enable_status)


def enable(args: argparse.Namespace) -> None:
    _enable(flux.Flux(), True, args)


def disable(args: argparse.Namespace) -> None:
    _enable(flux.Flux(), False, args, args.message or "disabled by administrator")


def _start(handle: Any, start: bool, args: argparse.Namespace, nocheckpoint: bool = False, reason: Any = None) -> None:
    if not args.queue and not args.all:
        if handle.rpc("job-manager.queue-list").get()["queues"]:
            raise ValueError("Named queues are defined. Specify queues or use --all.")
    payload: Dict[str, Any] = {"start": start, "all": args.all, "nocheckpoint": nocheckpoint}
    if args.queue:
        payload["name"] = args.queue
    if reason:
        payload["reason"] = reason
    _request(handle, "start", "job-manager.queue-start", payload)
    if not args.quiet:
        show_status(handle, args.queue, args.verbose, print_start_status)
        if args.verbose:
            alloc_query(handle)


def start(args: argparse.Namespace) -> None:
    _start(flux.Flux(), True, args)


def stop(args: argparse.Namespace) -> None:
    _start(flux.Flux(), False, args, args.nocheckpoint, args.message)


def drain(args: argparse.Namespace) -> None:
    _request(flux.Flux(), "drain", "job-manager.drain", timeout=args.timeout)


def idle(args: argparse.Namespace) -> None:
    pending = _request(flux.Flux(), "idle", "job-manager.idle", timeout=args.timeout)["pending"]
    if not args.quiet or pending > 0:
        print(f"{pending} jobs")


# -- arguments ---------------------------------------------------------------------------
class FSDAction(argparse.Action):
    """A Flux Standard Duration option, stored in seconds."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        setattr(namespace, self.dest, parse_fsd(values))


_COMMANDS: Dict[str, Callable[[argparse.Namespace], None]] = {
    "status": status,
    "enable": enable,
    "disable": disable,
    "start": start,
    "stop": stop,
}


def _add_common(subs: Any, command: str) -> None:
    """The options status/enable/disable/start/stop share."""
    sub = subs.add_parser(command)
    # the old way to name the queue, still accepted
    sub.add_argument("-q", "--queue", dest="old_queue", type=str, metavar="NAME", help=argparse.SUPPRESS)
    if command != "status":
        sub.add_argument(
            "-a", "--all", action="store_true", help="Force command to apply to all queues if none specified"
        )
        sub.add_argument("--quiet", action="store_true", help="Display only errors")
    sub.add_argument(
        "-v", "--verbose", action="store_true", help="Display more detail about internal job manager state"
    )
    if command in ("stop", "disable"):
        verb = {"stop": "stopped", "disable": "disabled"}[command]
        sub.add_argument(
            "--nocheckpoint", action="store_true", help=f"Do not checkpoint that the queue has been {verb}"
        )
        sub.add_argument("-m", "--message", type=str, metavar="REASON", help=f"Add reason that a queue is {verb}")
    sub.add_argument("queue", metavar="QUEUE", nargs="?", help=f"Queue to {command}")
    sub.set_defaults(func=_COMMANDS[command])


def parser() -> argparse.ArgumentParser:
    top = argument_parser("flux-queue")
    subs = top.add_subparsers(title="subcommands", description="", dest="subcommand")
    subs.required = True
    sub = subs.add_parser("list")
    sub.add_argument(
        "-q",
        "--queue",
        action=FilterActionSetUpdate,
        default=set(),
        metavar="QUEUE,...",
        help="Include only specified queues in output",
    )
    sub.add_argument(
        "-o",
        "--format",
        default="default",
        help="Specify output format using Python's string format syntax "
        "or a defined format by name (use 'help' to get a list of names)",
    )
    sub.add_argument("-n", "--no-header", action="store_true", help="Suppress header output")
    sub.set_defaults(func=list_queues)
    for command in _COMMANDS:
        _add_common(subs, command)
    for command, func in (("drain", drain), ("idle", idle)):
        sub = subs.add_parser(command)
        sub.add_argument(
            "-t", "--timeout", action=FSDAction, metavar="DURATION", default=-1.0, help="timeout after DURATION"
        )
        if command == "idle":
            sub.add_argument("--quiet", action="store_true", help="Only display pending job count if nonzero")
        sub.set_defaults(func=func)
    return top


def main(argv: List[str]) -> int:
    def body() -> None:
        args = parser().parse_args(argv[1:])
        old = getattr(args, "old_queue", None)
        if old is not None:
            if args.queue is not None:
                raise ValueError(f"Conflicting queues specified as --queue={old} and {args.queue}")
            args.queue = old
        args.func(args)

    run(LOGGER, body)
