"""`flux queue`: list/status/enable/disable/start/stop/drain/idle as flux-core's flux-queue does.

``list`` renders flux.queue.QueueList (limits from the config, resources from the
scheduler, state from ``job-manager.queue-status``); the others are the job
manager's ``queue-*`` requests followed by the resulting status.
"""

from __future__ import annotations

import argparse
import errno
import functools
import logging
import sys
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import flux  # type: ignore[import-not-found]
import flux.queue  # type: ignore[import-not-found]
import flux.util as futil  # type: ignore[import-not-found]

from .pytool import argument_parser, run

LOGGER = logging.getLogger("flux-queue")

_SIZES = ("nodes", "cores", "gpus")

# Named list formats, as (description, columns joined by one space).
_STATE_COLUMNS = [
    "?:{queuem:<8.8}",
    "?:{parent:<8.8}",
    "{color_enabled}{enabled:>2}{color_off}",
    "{color_started}{started:>2}{color_off}",
]
_TIME_COLUMNS = ["{defaults.timelimit!F:>8}", "{limits.timelimit!F:>8}"]


def _range_columns(prefix: str) -> List[str]:
    return [f"{{{prefix}.n{size}:>10}}" for size in _SIZES]


_NODE_COLUMNS = ["{resources.all.nnodes:>6}"] + [
    f"{{resources.{state}.nnodes:>{width}}}"
    for state, width in (("up", 10), ("down", 10), ("allocated", 11), ("free", 10))
]
_NAMED: Dict[str, Tuple[str, List[str]]] = {
    "default": (
        "Default flux-queue list format string",
        _STATE_COLUMNS + _TIME_COLUMNS + _range_columns("limits.range.effective"),
    ),
    "policy": (
        "flux-queue list with policy limits only",
        _STATE_COLUMNS + _TIME_COLUMNS + _range_columns("limits.range"),
    ),
    "nodes": ("Show queue status plus all/up/allocated/free nodes", _STATE_COLUMNS + _NODE_COLUMNS),
}
_BUILTIN = {name: {"description": text, "format": " ".join(cols)} for name, (text, cols) in _NAMED.items()}


def _list_headings() -> Dict[str, str]:
    """Column headings of ``flux queue list``, in flux-core's order."""
    table = {
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
    }
    table["defaults.timelimit"] = "TDEFAULT"
    table["limits.timelimit"] = "TLIMIT"
    for prefix in ("limits.range", "limits.range.effective"):
        table.update({f"{prefix}.n{size}": f"N{size.upper()}" for size in _SIZES})
    for size in _SIZES:
        table.update({f"limits.{bound}.n{size}": f"{bound.upper()}{size.upper()}" for bound in ("min", "max")})
    # resources.STATE.nnodes -> NODES[:STATE], and so on for cores and gpus
    for size in _SIZES:
        for state in ("all", "free", "allocated", "up", "down"):
            table[f"resources.{state}.n{size}"] = size.upper() + ("" if state == "all" else f":{state[:5].upper()}")
    return table


_HEADINGS = _list_headings()

_GREEN, _RED, _YELLOW, _RESET = "\033[01;32m", "\033[01;31m", "\033[01;33m", "\033[0;0m"


class _QueueConfig(futil.UtilConfig):
    """flux-queue's config files: formats for ``list`` only."""

    builtin_formats = {"list": _BUILTIN}

    def __init__(self, subcommand: str) -> None:
        super().__init__(name="flux-queue", subcommand=subcommand, initial_dict={"list": {"formats": _BUILTIN}})

    def validate(self, path: str, conf: Any) -> None:
        for section, settings in conf.items():
            if section != "list":
                raise ValueError(f"{path}: invalid key {section}")
            for name, value in settings.items():
                if name != "formats":
                    raise ValueError(f"{path}: invalid key {section}.{name}")
                self.validate_formats(path, value)


# -- list -----------------------------------------------------------------------------
def _ranges(limits: Any, resources: Any, capped: bool) -> SimpleNamespace:
    """``min-max`` of nodes, cores and gpus; ``capped``: max no more than the queue has."""
    spans = {}
    for size in _SIZES:
        key = f"n{size}"
        high = getattr(limits.max, key)
        if capped:
            high = min(high, getattr(resources.all, key))
        spans[key] = f"{getattr(limits.min, key)}-{high}"
    return SimpleNamespace(**spans)


class _Limits:
    """A queue's limits, plus ``range`` (and ``range.effective``) computed from them."""

    def __init__(self, info: Any) -> None:
        self._base = info.limits
        self.range = _ranges(info.limits, info.resources, capped=False)
        self.range.effective = _ranges(info.limits, info.resources, capped=True)

    def __getattr__(self, name: str) -> Any:
        if name == "_base":  # not set yet: avoid recursing
            raise AttributeError(name)
        return getattr(self._base, name)


# (word, color, glyph, ascii) for each submission and scheduling state of a queue
_SUBMISSION = {True: ("enabled", _GREEN, "✔", "y"), False: ("disabled", _RED, "✗", "n")}
_SCHEDULING = {
    "started": ("started", _GREEN, "✔", "y"),
    "paused": ("stopped (parent)", _YELLOW, "⏸", "p"),  # a virtual queue held by its stopped parent
    "stopped": ("stopped", _RED, "✗", "n"),
}


class _QueueRow:
    """One queue as a row of ``flux queue list``; other fields come from the QueueInfo."""

    def __init__(self, info: Any) -> None:
        self._info = info
        self.limits = _Limits(info)
        self._submission = _SUBMISSION[bool(info.enabled)]
        if info.started:
            self._scheduling = _SCHEDULING["started"]
        else:
            self._scheduling = _SCHEDULING["paused" if info.blocked == "parent" else "stopped"]

    def __getattr__(self, name: str) -> Any:
        if name == "_info":
            raise AttributeError(name)
        try:
            return getattr(self._info, name)
        except (AttributeError, KeyError):
            raise AttributeError(f"invalid QueueInfo attribute '{name}'") from None

    submission = property(lambda self: self._submission[0])
    color_enabled = property(lambda self: self._submission[1])
    enabled = property(lambda self: futil.AltField(*self._submission[2:]))
    scheduling = property(lambda self: self._scheduling[0])
    color_started = property(lambda self: self._scheduling[1])
    started = property(lambda self: futil.AltField(*self._scheduling[2:]))
    color_off = property(lambda self: _RESET)
    queue = property(lambda self: self.name)

    @property
    def queuem(self) -> Any:
        """The name, with ``*`` for the default queue."""
        name = self.name
        return f"{name}*" if name and self.is_default else name


def list_queues(args: argparse.Namespace) -> None:
    chosen = _QueueConfig("list").load().get_format_string(args.format)
    layout = futil.OutputFormat(chosen, headings=_HEADINGS)
    rows = [_QueueRow(info) for info in flux.queue.QueueList(flux.Flux(), queues=args.queue)]
    layout.print_items(rows, no_header=args.no_header)


# -- status and control ------------------------------------------------------------------
Status = Dict[str, Any]


def _submission_line(name: Optional[str], state: Status) -> str:
    prefix = f"{name}: " if name else ""
    if state["enable"]:
        return f"{prefix}Job submission is enabled"
    return f"{prefix}Job submission is disabled: {state['disable_reason']}"


def _scheduling_line(name: Optional[str], state: Status) -> str:
    prefix = f"{name}: " if name else ""
    if state["start"]:
        return f"{prefix}Scheduling is started"
    why = f": {state['stop_reason']}" if "stop_reason" in state else ""
    return f"{prefix}Scheduling is stopped{why}"


def _request(handle: Any, what: str, topic: str, payload: Any = None, timeout: float = -1.0) -> Any:
    """An RPC to the job manager on rank 0; an error is logged as ``WHAT: text``, then exit 1."""
    future = handle.rpc(topic, payload, nodeid=0)
    bounded = timeout >= 0
    try:
        if bounded:
            future.wait_for(timeout)
        return future.get()
    except OSError as exc:
        timed_out = bounded and exc.errno == errno.ETIMEDOUT
        LOGGER.error("%s: %s", what, "timeout" if timed_out else future.error_string())
        sys.exit(1)


def _statuses(handle: Any, queue: Optional[str], verbose: bool) -> List[Tuple[Optional[str], Status]]:
    """(name, status) of the named queue, else of every queue (of the anonymous one if none)."""

    def status_of(name: Optional[str]) -> Status:
        return dict(_request(handle, "status", "job-manager.queue-status", {"name": name} if name else {}))

    if queue and not verbose:
        return [(queue, status_of(queue))]
    names = _request(handle, "list", "job-manager.queue-list")["queues"]
    if not names:
        return [(queue, status_of(None))]
    return [(name, status_of(name)) for name in names]


LineMaker = Callable[[Optional[str], Status], str]


def _report(handle: Any, args: argparse.Namespace, lines: Sequence[LineMaker]) -> None:
    for name, state in _statuses(handle, args.queue, args.verbose):
        for line in lines:
            print(line(name, state))


def _report_allocations(handle: Any) -> None:
    counts = _request(handle, "alloc-query", "job-manager.alloc-query")
    print(f"{counts['queue_length']} alloc requests queued")
    print(f"{counts['alloc_pending']} alloc requests pending to scheduler")
    print(f"{counts['running']} running jobs")


def status(args: argparse.Namespace) -> None:
    handle = flux.Flux()
    _report(handle, args, (_submission_line, _scheduling_line))
    if args.verbose:
        _report_allocations(handle)


def _switch(args: argparse.Namespace, command: str) -> None:
    """enable/disable (job submission) and start/stop (scheduling) of a queue, or of all."""
    handle = flux.Flux()
    scheduling = command in ("start", "stop")
    if scheduling and not (args.queue or args.all):
        # with named queues, starting or stopping needs a queue name or --all
        if handle.rpc("job-manager.queue-list").get()["queues"]:
            raise ValueError("Named queues are defined. Specify queues or use --all.")
    request: Dict[str, Any] = {"start" if scheduling else "enable": command in ("start", "enable"), "all": args.all}
    if scheduling:
        request["nocheckpoint"] = command == "stop" and args.nocheckpoint
    if args.queue:
        request["name"] = args.queue
    reason = None
    if command == "disable":
        reason = args.message or "disabled by administrator"
    elif command == "stop":
        reason = args.message
    if reason:
        request["reason"] = reason
    topic = "job-manager.queue-start" if scheduling else "job-manager.queue-enable"
    _request(handle, "start" if scheduling else "enable", topic, request)
    if args.quiet:
        return
    _report(handle, args, (_scheduling_line,) if scheduling else (_submission_line,))
    if scheduling and args.verbose:
        _report_allocations(handle)


def drain(args: argparse.Namespace) -> None:
    _request(flux.Flux(), "drain", "job-manager.drain", timeout=args.timeout)


def idle(args: argparse.Namespace) -> None:
    pending = _request(flux.Flux(), "idle", "job-manager.idle", timeout=args.timeout)["pending"]
    if pending > 0 or not args.quiet:
        print(f"{pending} jobs")


# -- arguments ---------------------------------------------------------------------------
class _DurationAction(argparse.Action):
    """Stores a Flux Standard Duration in seconds; a bad one is the command's error (exit 1),
    not a usage error, because it is parsed here rather than by ``type=``."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        setattr(namespace, self.dest, futil.parse_fsd(values))


Option = Tuple[Tuple[str, ...], Dict[str, Any]]


def _switch_options(command: str) -> List[Option]:
    """status/enable/disable/start/stop: their options in --help order."""
    options: List[Option] = [
        # the old way to name the queue, still accepted
        (("-q", "--queue"), {"dest": "old_queue", "type": str, "metavar": "NAME", "help": argparse.SUPPRESS}),
    ]
    if command != "status":
        options += [
            (
                ("-a", "--all"),
                {"action": "store_true", "help": "Force command to apply to all queues if none specified"},
            ),
            (("--quiet",), {"action": "store_true", "help": "Display only errors"}),
        ]
    options.append(
        (("-v", "--verbose"), {"action": "store_true", "help": "Display more detail about internal job manager state"})
    )
    done = {"stop": "stopped", "disable": "disabled"}.get(command)
    if done:
        options += [
            (
                ("--nocheckpoint",),
                {"action": "store_true", "help": f"Do not checkpoint that the queue has been {done}"},
            ),
            (("-m", "--message"), {"type": str, "metavar": "REASON", "help": f"Add reason that a queue is {done}"}),
        ]
    options.append((("queue",), {"metavar": "QUEUE", "nargs": "?", "help": f"Queue to {command}"}))
    return options


def _subcommands() -> Dict[str, Tuple[Callable[[argparse.Namespace], None], List[Option]]]:
    """Each subcommand's handler and options, in --help order (built afresh: mutable defaults)."""
    timeout: Option = (
        ("-t", "--timeout"),
        {"action": _DurationAction, "metavar": "DURATION", "default": -1.0, "help": "timeout after DURATION"},
    )
    listing: List[Option] = [
        (
            ("-q", "--queue"),
            {
                "action": futil.FilterActionSetUpdate,
                "default": set(),
                "metavar": "QUEUE,...",
                "help": "Include only specified queues in output",
            },
        ),
        (
            ("-o", "--format"),
            {
                "default": "default",
                "help": "Specify output format using Python's string format syntax or a defined format by name "
                "(use 'help' to get a list of names)",
            },
        ),
        (("-n", "--no-header"), {"action": "store_true", "help": "Suppress header output"}),
    ]
    table: Dict[str, Tuple[Callable[[argparse.Namespace], None], List[Option]]] = {"list": (list_queues, listing)}
    table["status"] = (status, _switch_options("status"))
    for command in ("enable", "disable", "start", "stop"):
        table[command] = (functools.partial(_switch, command=command), _switch_options(command))
    table["drain"] = (drain, [timeout])
    quiet: Option = (("--quiet",), {"action": "store_true", "help": "Only display pending job count if nonzero"})
    table["idle"] = (idle, [timeout, quiet])
    return table


def parser() -> argparse.ArgumentParser:
    top = argument_parser("flux-queue")
    subs = top.add_subparsers(title="subcommands", description="", dest="subcommand")
    subs.required = True
    for name, (handler, options) in _subcommands().items():
        sub = subs.add_parser(name)
        for flags, settings in options:
            sub.add_argument(*flags, **settings)
        sub.set_defaults(handler=handler)
    return top


def _flux_queue(argv: List[str]) -> None:
    args = parser().parse_args(argv)
    legacy = getattr(args, "old_queue", None)
    if legacy is not None:  # -q NAME stands for the QUEUE argument, but not both
        if args.queue is None:
            args.queue = legacy
        else:
            raise ValueError(f"Conflicting queues specified as --queue={legacy} and {args.queue}")
    args.handler(args)


def main(argv: List[str]) -> int:
    run(LOGGER, lambda: _flux_queue(argv[1:]))
