"""`flux resource`: list/status/info/drain/undrain/R as flux-core's flux-resource prints them.

``list`` and ``info`` show the scheduler's view (``resource.sched-status``: free,
allocated, down), one line per state (and queue, and property set); ``status``
the resource module's (``resource.status``: avail, exclude, allocated, torpid,
housekeeping, draining, drained; online or not), lines of like nodes merged;
``drain`` without targets lists drained nodes.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import math
import os
import sys
import time
from itertools import combinations
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

import flux  # type: ignore[import-not-found]
from flux.eventlog import EventLogFormatter  # type: ignore[import-not-found]
from flux.hostlist import Hostlist  # type: ignore[import-not-found]
from flux.idset import IDset  # type: ignore[import-not-found]
from flux.resource import (  # type: ignore[import-not-found]
    ResourceJournalConsumer,
    ResourceSet,
    ResourceStatus,
    SchedResourceList,
    resource_list,
    resource_status,
)
from flux.rpc import RPC  # type: ignore[import-not-found]
from flux.util import (  # type: ignore[import-not-found]
    AltField,
    ColorAction,
    Deduplicator,
    FilterActionSetUpdate,
    OutputFormat,
    UtilConfig,
    parse_fsd,
)

from .pytool import argument_parser, run

LOGGER = logging.getLogger("flux-resource")

_LIST_COLUMNS = "{state:>10} ?+:{queue:<5} ?:{propertiesx:<10.10+} {nnodes:>6} +:{ncores:>6} "
BUILTIN_FORMATS: Dict[str, Dict[str, Dict[str, str]]] = {
    "status": {
        "default": {
            "description": "Default flux-resource status format string",
            "format": "{state:>12} {color_up}{up:>2}{color_off} {nnodes:>6} {nodelist}",
        },
        "long": {
            "description": "Long flux-resource status format string",
            "format": "{state:>12} {color_up}{up:>2}{color_off} {nnodes:>6} +:{reason:<30.30} {nodelist}",
        },
    },
    "drain": {
        "long": {
            "description": "Long flux-resource drain format string",
            "format": "{timestamp!d:%b%d %R::<12} {state:<8.8} {ranks:<8.8+} +:{reason:<30.30} {nodelist}",
        },
        "default": {
            "description": "Default flux-resource drain format string",
            "format": "{timestamp!d:%b%d %R::<12} {state:<8.8} {reason:<30.30+} {nodelist}",
        },
    },
    "list": {
        "default": {
            "description": "Default flux-resource list format string",
            "format": _LIST_COLUMNS + "?+:{ngpus:>5} {nodelist}",
        },
        "rlist": {
            "description": "Format including resource list details",
            # sic: "?:+" (not "?+:") is flux-core's, which shows as a "+" before NGPUS
            "format": _LIST_COLUMNS + "?:+{ngpus:>5} {rlist}",
        },
    },
}

STATUS_HEADINGS = {
    "state": "STATE",
    "statex": "STATE",
    "nnodes": "NNODES",
    "ranks": "RANKS",
    "nodelist": "NODELIST",
    "reason": "REASON",
    "timestamp": "TIME",
    "status": "STATUS",
    "up": "UP",
    "up.ascii": "UP",
    "color_up": "",
    "color_off": "",
}
LIST_HEADINGS = {
    "state": "STATE",
    "queue": "QUEUE",
    "properties": "PROPERTIES",
    "propertiesx": "PROPERTIES",
    "nnodes": "NNODES",
    "ncores": "NCORES",
    "ngpus": "NGPUS",
    "ranks": "RANKS",
    "nodelist": "NODELIST",
    "rlist": "LIST",
}
STATUS_STATES = [
    "all", "online", "avail", "offline", "exclude", "drain", "draining", "drained", "torpid", "allocated",
    "housekeeping",
]  # fmt: skip
STATUS_DEFAULT_STATES = "avail,exclude,draining,drained,torpid,housekeeping"
LIST_STATES = ["up", "down", "allocated", "free", "all"]


class FluxResourceConfig(UtilConfig):
    """flux-resource's configuration: formats per subcommand, ``list.hidden-queues``."""

    builtin_formats = BUILTIN_FORMATS

    def __init__(self, subcommand: str) -> None:
        initial = {name: {"formats": formats} for name, formats in BUILTIN_FORMATS.items()}
        super().__init__(name="flux-resource", subcommand=subcommand, initial_dict=initial)

    def validate(self, path: str, conf: Any) -> None:
        for key, value in conf.items():
            if key not in ("status", "list", "drain"):
                raise ValueError(f"{path}: invalid key {key}")
            for key2, val2 in value.items():
                if key2 == "formats":
                    self.validate_formats(path, val2)
                elif key == "list" and key2 == "hidden-queues":
                    if not isinstance(val2, list) or not all(isinstance(q, str) for q in val2):
                        raise ValueError(f"{path}: list.hidden-queues must be a list of strings")
                else:
                    raise ValueError(f"{path}: invalid key {key}.{key2}")


# -- queues ---------------------------------------------------------------------------
def queue_entry(queues: Dict[str, Any], name: str) -> Any:
    """The [queues] entry that decides a queue's resources: its parent's for an RFC 33 virtual queue."""
    entry = queues[name]
    if "parent" in entry:
        parent = entry["parent"]
        if parent not in queues:
            raise ValueError(f"queue '{name}': parent queue '{parent}' is not configured")
        entry = queues[parent]
    return entry


def ranks_of_queues(rset: Any, config: Optional[Dict[str, Any]], queues: Iterable[str]) -> Any:
    """The ranks whose properties a queue requires, for each of ``queues`` (ValueError if unknown)."""
    configured = (config or {}).get("queues", {})
    ranks = IDset()
    for queue in queues:
        if queue not in configured:
            raise ValueError(f"{queue}: no such queue")
        entry = queue_entry(configured, queue)
        subset = rset.copy_constraint({"properties": entry["requires"]}) if "requires" in entry else rset.copy()
        ranks.add(subset.ranks)
    return ranks


# -- status -----------------------------------------------------------------------------
class StatusLine:
    """One line of ``flux resource status``: a state, online or not, and its nodes."""

    def __init__(self, state: str, online: bool, ranks: Any, hosts: Any, reason: str = "", timestamp: Any = ""):
        self.statex = state
        self.online = online
        self.hostlist = Hostlist(hosts)
        self._ranks = IDset(ranks)
        self.reason = reason
        self.timestamp = timestamp

    def merge(self, ranks: Any, hosts: Any) -> None:
        self._ranks.add(ranks)
        self.hostlist.append(hosts)
        self.hostlist.sort()

    @property
    def state(self) -> str:
        return self.statex if self.online else self.statex + "*"

    @property
    def offline(self) -> bool:
        return not self.online

    @property
    def status(self) -> str:
        return "online" if self.online else "offline"

    @property
    def color_up(self) -> str:
        return "\033[01;32m" if self.online else "\033[01;31m"

    @property
    def color_off(self) -> str:
        return "\033[0;0m"

    @property
    def up(self) -> Any:
        return AltField("✔", "y") if self.online else AltField("✗", "n")

    @property
    def nodelist(self) -> str:
        return str(self.hostlist)

    @property
    def ranks(self) -> str:
        return str(self._ranks)

    @property
    def nnodes(self) -> int:
        return len(self.hostlist)

    def __repr__(self) -> str:
        return f"{self.state} {self.hostlist}"


def status_lines(rstatus: Any, states: Set[str], formatter: Any, online_ok: bool, offline_ok: bool) -> Any:
    """The status lines of the chosen states, like lines (same text but the nodes) merged."""
    lines = Deduplicator(
        formatter=formatter,
        except_fields=["nodelist", "ranks", "nnodes"],
        combine=lambda line, other: line.merge(other.ranks, other.hostlist),
    )

    def shown(online: bool) -> bool:
        return online_ok if online else offline_ok

    for state in ("avail", "exclude", "allocated", "torpid", "housekeeping"):
        if states & {state, "all"}:
            for online in (True, False):
                if shown(online):
                    ranks = rstatus[state].intersect(rstatus["online" if online else "offline"])
                    lines.append(StatusLine(state, online, ranks, rstatus.nodelist[ranks]))
    for state in ("draining", "drained"):
        if not states & {state, "all"}:
            continue
        ranks = rstatus[state]
        if not ranks and shown(True):
            lines.append(StatusLine(state, True, "", ""))  # an empty line of its own
        for rank in ranks:
            online = rank in rstatus.online
            if shown(online):
                info = rstatus.get_drain_info(rank)
                lines.append(
                    StatusLine(
                        state, online, rank, rstatus.nodelist[rank], timestamp=info.timestamp, reason=info.reason
                    )
                )
    return lines


def status_states(args: argparse.Namespace) -> List[str]:
    states = (args.states or STATUS_DEFAULT_STATES).split(",")
    for state in states:
        if state not in STATUS_STATES:
            LOGGER.error("Invalid resource state %s specified", state)
            LOGGER.info("valid states: %s", ",".join(STATUS_STATES))
            sys.exit(1)
    if not [s for s in states if s not in ("offline", "online")]:
        states.extend(STATUS_DEFAULT_STATES.split(","))  # online/offline alone qualify the defaults
    if "drain" in states:
        states.remove("drain")
        states.extend(("draining", "drained"))
    return states


def _config(handle: Any, args: argparse.Namespace) -> Dict[str, Any]:
    if getattr(args, "config_file", None):
        with open(args.config_file) as fp:
            return dict(json.load(fp))
    if handle is None:
        return {}
    return dict(handle.rpc("config.get").get())


def status(args: argparse.Namespace) -> None:
    if args.states == "help":
        LOGGER.info("valid states: %s", ",".join(STATUS_STATES))
        sys.exit(0)
    states = status_states(args)
    fmt = FluxResourceConfig("status").load().get_format_string(args.format)
    handle = None
    if args.from_stdin:
        text = sys.stdin.read()
        rstatus = ResourceStatus(json.loads(text) if text else None)
    else:
        handle = flux.Flux()
        rstatus = resource_status(handle).get()
    if args.queue:
        try:
            rstatus.filter(ranks_of_queues(rstatus.rset, _config(handle, args), args.queue))
        except ValueError as exc:
            raise ValueError(f"--queue: {exc}") from None
    if args.include:
        try:
            rstatus.filter(include=args.include)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"--include: {exc}") from None
    formatter = OutputFormat(fmt, headings=STATUS_HEADINGS)
    if not args.color.enabled:
        formatter = formatter.copy(except_fields=["color_up", "color_off"])
    skip_empty = args.skip_empty or not args.states
    skip_empty_offline = "offline" not in states
    online_ok = "online" in states or "offline" not in states
    offline_ok = "offline" in states or "online" not in states
    for drain_state in ("draining", "drained"):
        if "all" in states or drain_state in states:
            rstatus.torpid -= rstatus.get_idset(drain_state)
    lines = []
    for line in status_lines(rstatus, set(states), formatter, online_ok, offline_ok):
        if line.nnodes == 0 and (skip_empty or (line.offline and skip_empty_offline)):
            continue
        lines.append(line)
    formatter.print_items(lines, no_header=args.no_header)


# -- drain / undrain ---------------------------------------------------------------------
def _mode_payload(args: argparse.Namespace) -> Dict[str, Any]:
    if args.update and args.force:
        LOGGER.error("Only one of --force and --update may be specified")
        sys.exit(1)
    payload: Dict[str, Any] = {"targets": args.targets}
    if args.update:
        payload["mode"] = "update"
    elif args.force == 1:
        payload["mode"] = "overwrite"
    elif args.force >= 2:
        payload["mode"] = "force-overwrite"
    if args.reason:
        payload["reason"] = " ".join(args.reason)
    return payload


def drain(args: argparse.Namespace) -> None:
    if args.targets is None:
        args.format = FluxResourceConfig("drain").load().get_format_string(args.format)
        args.from_stdin = False
        args.config_file = None
        args.states = "drain"
        args.skip_empty = True
        status(args)
        return
    payload = _mode_payload(args)
    try:
        RPC(flux.Flux(), "resource.drain", payload, nodeid=0).get()
    except OSError as exc:
        LOGGER.error(exc)
        if exc.errno == errno.EEXIST:
            LOGGER.info("Use --force to overwrite existing drain reason")
        sys.exit(1)


def undrain(args: argparse.Namespace) -> None:
    payload = _mode_payload(args)
    RPC(flux.Flux(), "resource.undrain", payload, nodeid=0).get()


# -- list / info / R --------------------------------------------------------------------
class ListLine(ResourceSet):
    """A ResourceSet as a line of ``flux resource list``: adds ``queue`` and ``propertiesx``."""

    def __init__(
        self,
        rset: Any = None,
        config: Optional[Dict[str, Any]] = None,
        queue: Optional[str] = None,
        queue_filter: Optional[Set[str]] = None,
        hidden_queues: Optional[Set[str]] = None,
    ) -> None:
        # wraps ``rset`` (no ResourceSet.__init__): attribute access goes to it
        self.flux_config = config
        self._queue = queue
        self._queue_filter = queue_filter
        self._hidden_queues = hidden_queues or set()
        if isinstance(rset, ResourceSet):
            self._rset = rset
            if rset.state:
                self.state = rset.state
        else:
            self._rset = ResourceSet(rset)

    def __getattr__(self, attr: str) -> Any:
        if attr == "_rset":
            raise AttributeError(attr)
        return getattr(self._rset, attr)

    def _configured_queues(self) -> Dict[str, Any]:
        return dict((self.flux_config or {}).get("queues", {}))

    @property
    def propertiesx(self) -> str:
        """Properties less those that name a queue (they only say which queue a node is in)."""
        properties = json.loads(self.get_properties())
        for name in self._configured_queues():
            properties.pop(name, None)
        return ",".join(properties)

    @property
    def queue(self) -> str:
        if self._queue is not None:  # an empty line made for one queue
            return self._queue
        queues = self._configured_queues()
        if not queues or not self.ranks:
            return ""
        properties = set(json.loads(self.get_properties()))
        names = []
        for name, entry in queues.items():
            if self._queue_filter:
                if name not in self._queue_filter:
                    continue
            elif name in self._hidden_queues or "parent" in entry:
                continue  # a virtual queue is named only when asked for
            requires = queue_entry(queues, name).get("requires")
            if requires is None or set(requires) <= properties:
                names.append(name)
        return ",".join(names)


def _property_splits(rset: Any) -> List[Any]:
    """``rset`` split by each combination of its properties (so lines can differ by them)."""
    properties = set(json.loads(rset.get_properties()))
    subsets = [set(combo) for n in range(1, len(properties) + 1) for combo in combinations(properties, n)]
    subsets.append(set())
    constraints = []
    for subset in subsets:
        constraints.append({"properties": [*subset, *("^" + p for p in properties - subset)]})
    return [rset.copy_constraint(c) for c in constraints]


def list_lines(
    resources: Any,
    states: Sequence[str],
    formatter: Any,
    config: Optional[Dict[str, Any]],
    queues: Optional[Set[str]] = None,
    hidden_queues: Optional[Set[str]] = None,
) -> Dict[str, Any]:
    """The resource sets of the distinct lines: by state, queue and properties when shown."""
    hidden_queues = hidden_queues or set()
    distinct = ["state", "properties", "propertiesx", "queue"]
    key_fmt = ""
    if len(formatter.fields) > 1 or "state" in formatter.fields:
        key_fmt = "".join("{" + field + "}:" for field in formatter.fields if field in distinct)
    key_format = OutputFormat(key_fmt, headings=formatter.headings)
    queue_filter = set(queues) if queues else None
    names: List[Optional[str]]
    if queues:
        names = list(queues)
    else:
        configured = (config or {}).get("queues", {})
        names = [q for q, entry in configured.items() if q not in hidden_queues and "parent" not in entry]
        names = names or [None]
    lines: Dict[str, Any] = {}

    def add(line: Any) -> None:
        key = key_format.format(line)
        if key in lines:
            lines[key].add(line)
        else:
            lines[key] = line

    for state in states:
        if not resources[state].ranks:
            for queue in names:  # an empty line still shows the state
                line = ListLine(config=config, queue=queue)
                line.state = state
                add(line)
            continue
        for rset in _property_splits(resources[state]):
            if rset.ranks:
                rset.state = state
                add(ListLine(rset, config=config, queue_filter=queue_filter, hidden_queues=hidden_queues))
    return lines


def get_resources(args: argparse.Namespace) -> Any:
    """The scheduler's view (and the instance config), with -q and -i applied."""
    args.states = args.states.split(",")
    for state in args.states:
        if state not in LIST_STATES:
            LOGGER.error("Invalid resource state %s specified", state)
            sys.exit(1)
    config = None
    if args.from_stdin:
        resources = SchedResourceList(json.load(sys.stdin))
        if args.config_file:
            config = _config(None, args)
    else:
        handle = flux.Flux()
        futures = [resource_list(handle), handle.rpc("config.get")]
        resources = futures[0].get()
        try:
            config = futures[1].get()
        except Exception as exc:  # noqa: BLE001 - flux-core goes on without queues
            LOGGER.warning("Could not get flux config: " + str(exc))
    if args.queue:
        try:
            resources.filter(ranks_of_queues(resources.all, config, args.queue))
        except ValueError as exc:
            raise ValueError(f"--queue: {exc}") from None
    if args.include:
        try:
            resources.filter(include=args.include)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"--include: {exc}") from None
    return resources, config


def list_resources(args: argparse.Namespace) -> None:
    resources, config = get_resources(args)
    list_config = FluxResourceConfig("list").load()
    formatter = OutputFormat(list_config.get_format_string(args.format), headings=LIST_HEADINGS)
    hidden = set(list_config.config.get("hidden-queues", []))
    lines = list_lines(resources, args.states, formatter, config, queues=args.queue, hidden_queues=hidden)
    order = {state: pos for pos, state in enumerate(args.states)}
    items = sorted(lines.values(), key=lambda x: (order[x.state], x.ranks.first()))
    if args.skip_empty or (args.include and not args.no_skip_empty):
        items = [x for x in items if x.ranks]
    formatter.print_items(items, no_header=args.no_header)


def info(args: argparse.Namespace) -> None:
    args.states = args.states or "all"
    args.no_header = True
    args.format = "{nnodes} Nodes, {ncores} Cores, {ngpus} GPUs"
    list_resources(args)


def emit_R(args: argparse.Namespace) -> None:  # noqa: N802 - the subcommand's name
    resources, _ = get_resources(args)
    rset = ResourceSet()
    rset.starttime = resources["all"].starttime
    rset.expiration = resources["all"].expiration
    for state in args.states:
        rset.add(resources[state])
    print(rset.encode())


def reload(args: argparse.Namespace) -> None:
    payload = {"path": os.path.realpath(args.path), "xml": args.xml, "force": args.force}
    RPC(flux.Flux(), "resource.reload", payload, nodeid=0).get()


def acquire_mute(args: argparse.Namespace) -> None:
    RPC(flux.Flux(), "resource.acquire-mute", {}, nodeid=0).get()


# -- eventlog ------------------------------------------------------------------------------
class KVArgs:
    """``-m KEY=VAL`` pairs (VAL as JSON when it is); all must match an event's context."""

    def __init__(self) -> None:
        self._kv: Dict[str, Any] = {}

    def append(self, arg: str) -> None:
        key, eq, val = arg.partition("=")
        if not eq:
            raise argparse.ArgumentTypeError(f"invalid KEY=VAL argument: {arg!r} (missing '=')")
        if not key:
            raise argparse.ArgumentTypeError(f"invalid KEY=VAL argument: {arg!r} (empty key)")
        try:
            self._kv[key] = json.loads(val)
        except json.JSONDecodeError:
            self._kv[key] = val

    def match(self, context: Dict[str, Any]) -> bool:
        for key, val in self._kv.items():
            other = context.get(key)
            if isinstance(other, float):  # floats match within 1e-5
                try:
                    if not math.isclose(float(val), other, rel_tol=0, abs_tol=1e-5):
                        return False
                except (ValueError, TypeError):
                    return False
            elif other != val:
                return False
        return True

    def __repr__(self) -> str:
        return f"KVArgs({self._kv!r})"


class KVArgsAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("default", KVArgs())
        kwargs.setdefault("metavar", "KEY=VAL")
        kwargs["type"] = str
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        getattr(namespace, self.dest).append(values)


class Targets:
    """Which events ``-i TARGETS`` keeps: those naming one of the ranks, or of the hosts
    (by ``nodelist``, else by ``idset``/``ranks`` mapped through the instance's hostlist)."""

    def __init__(self, handle: Any, targets: Optional[str]) -> None:
        self.all = targets is None
        if targets is None:
            return
        self.hostlist = Hostlist(handle.attr_get("hostlist"))
        self.ranks: Any = None
        self.hosts: Any = None
        try:
            self.ranks = IDset(targets)
        except ValueError:
            try:
                self.hosts = Hostlist(targets)
            except ValueError:
                raise ValueError(f"invalid targets {targets}") from None
        self.by_ranks = self.ranks is not None
        if self.by_ranks:
            self.hosts = self.hostlist[self.ranks]
        else:
            self.ranks = IDset(self.hostlist.index(self.hosts))

    def _ranks_match(self, context: Dict[str, Any]) -> bool:
        key = "ranks" if "ranks" in context else "idset"
        return key in context and len(self.ranks.intersect(IDset(context[key]))) > 0

    def _hosts_match(self, context: Dict[str, Any]) -> bool:
        if "nodelist" not in context:
            return False
        nodelist = Hostlist(context["nodelist"])
        return any(host in nodelist for host in self.hosts)

    def match(self, event: Any) -> bool:
        if self.all:
            return True
        if self.by_ranks:  # ranks given: only ranks (several brokers may share a host)
            return self._ranks_match(event.context)
        return self._hosts_match(event.context) or self._ranks_match(event.context)


def eventlog(args: argparse.Namespace) -> None:
    """The resource journal (backlog, then new events with --follow) through EventLogFormatter."""
    deadline = -1.0
    if args.human:
        args.format, args.time_format = "text", "human"
    if args.color is None:
        args.color = "auto"
    if args.wait:
        args.follow = True
    if args.timeout:
        deadline = parse_fsd(args.timeout) + time.time()
    handle = flux.Flux()
    targets = Targets(handle, args.include)
    formatter = EventLogFormatter(format=args.format, timestamp_format=args.time_format, color=args.color)
    consumer = ResourceJournalConsumer(handle, include_sentinel=not args.follow).start()
    while True:
        event = consumer.poll(timeout=deadline - time.time())
        if event is None or event.is_empty():
            break
        if targets.match(event):
            print(formatter.format(event))
            if args.wait and event.name == args.wait and args.match_context.match(event.context):
                break
    consumer.stop()


# -- arguments ---------------------------------------------------------------------------
def _hidden_alias(action: argparse.Action, *aliases: str) -> None:
    """Accept ``aliases`` too, without showing them in --help (FluxArgumentParser's hidden_aliases)."""
    setattr(action, "hidden_option_strings", set(aliases))  # noqa: B010 - read by flux's help formatter


def _add_filters(sub: argparse.ArgumentParser, what: str = "output set") -> None:
    sub.add_argument(
        "-i",
        "--include",
        metavar="TARGETS",
        help=f"Include only specified targets in {what}. TARGETS may be provided as an idset or hostlist.",
    )
    sub.add_argument(
        "-q",
        "--queue",
        action=FilterActionSetUpdate,
        default=set(),
        metavar="QUEUE,...",
        help="Include only specified queues in output",
    )


def _add_states(sub: argparse.ArgumentParser, help_text: str, default: Optional[str] = None) -> None:
    action = sub.add_argument("-s", "--states", "--state", metavar="STATE,...", default=default, help=help_text)
    _hidden_alias(action, "--state")


def _add_mode(sub: argparse.ArgumentParser, verb: str) -> None:
    sub.add_argument(
        "-f",
        "--force",
        action="count",
        default=0,
        help=f"Force overwrite of existing {verb} reason. Specify twice to also update {verb} timestamp.",
    )


def parser() -> argparse.ArgumentParser:
    top = argument_parser("flux-resource")
    subs = top.add_subparsers(title="subcommands", description="", dest="subcommand")
    subs.required = True
    subs.add_parser("acquire-mute").set_defaults(func=acquire_mute)

    sub = subs.add_parser("drain")
    _add_mode(sub, "drain")
    sub.add_argument(
        "-u",
        "--update",
        action="store_true",
        help="Update only. Do not return an error if one or more targets "
        "are already drained. Do not overwrite any existing drain reason.",
    )
    _add_filters(sub)
    sub.add_argument(
        "-o",
        "--format",
        default="default",
        help="Specify output format using Python's string format syntax "
        "or a defined format by name (only used when no drain targets specified)",
    )
    sub.add_argument("-n", "--no-header", action="store_true", help="Suppress header output")
    sub.add_argument("-L", "--color", action=ColorAction)
    sub.add_argument("targets", nargs="?", help="List of targets to drain (IDSET or HOSTLIST)")
    sub.add_argument("reason", help="Reason", nargs=argparse.REMAINDER)
    sub.set_defaults(func=drain)

    sub = subs.add_parser("undrain")
    sub.add_argument(
        "-u",
        "--update",
        action="store_true",
        help="Update only. Do not return an error if one or more targets "
        "are not drained. Do not overwrite any existing undrain reason.",
    )
    _add_mode(sub, "undrain")
    sub.add_argument("targets", help="List of targets to resume (IDSET or HOSTLIST)")
    sub.add_argument("reason", help="Reason", nargs=argparse.REMAINDER)
    sub.set_defaults(func=undrain)

    fmt_help = "Specify output format using Python's string format syntax or a defined format by name "
    sub = subs.add_parser("status")
    sub.add_argument("-o", "--format", default="default", help=fmt_help + "(use 'help' to get a list of names)")
    _add_states(sub, "Output resources in given states")
    _add_filters(sub)
    sub.add_argument("-n", "--no-header", action="store_true", help="Suppress header output")
    sub.add_argument("-L", "--color", action=ColorAction)
    sub.add_argument("--from-stdin", action="store_true", help=argparse.SUPPRESS)
    sub.add_argument("--config-file", help=argparse.SUPPRESS)
    sub.add_argument("--skip-empty", action="store_true", help="Skip empty lines of output even with --states")
    sub.set_defaults(func=status)

    sub = subs.add_parser("list")
    sub.add_argument("-o", "--format", default="default", help=fmt_help + "(use 'help' to get a list of names)")
    _add_states(sub, "Output resources in given states", default="free,allocated,down")
    _add_filters(sub)
    sub.add_argument(
        "--skip-empty", action="store_true", help="Skip empty lines. This is the default with -i, --include."
    )
    sub.add_argument("--no-skip-empty", action="store_true", help="Do not skip empty lines, even with --include.")
    sub.add_argument("-n", "--no-header", action="store_true", help="Suppress header output")
    sub.add_argument("--from-stdin", action="store_true", help=argparse.SUPPRESS)
    sub.add_argument("--config-file", help=argparse.SUPPRESS)
    sub.set_defaults(func=list_resources)

    sub = subs.add_parser("info")
    _add_states(sub, "Show output only for resources in given states")
    _add_filters(sub)
    sub.add_argument("--from-stdin", action="store_true", help=argparse.SUPPRESS)
    sub.add_argument("--config-file", help=argparse.SUPPRESS)
    sub.add_argument("--skip-empty", action="store_true", help=argparse.SUPPRESS)
    sub.add_argument("--no-skip-empty", action="store_true", help=argparse.SUPPRESS)
    sub.set_defaults(func=info)

    sub = subs.add_parser("reload")
    sub.set_defaults(func=reload)
    sub.add_argument("path", help="path to R or hwloc <rank>.xml dir")
    sub.add_argument("-x", "--xml", action="store_true", default=False, help="interpret path as XML dir")
    sub.add_argument(
        "-f", "--force", action="store_true", default=False, help="allow resources to contain invalid ranks"
    )

    sub = subs.add_parser("R")
    sub.set_defaults(func=emit_R)
    _add_states(sub, "Emit R for resources in given states", default="all")
    _add_filters(sub)
    sub.add_argument("--from-stdin", action="store_true", help=argparse.SUPPRESS)
    sub.add_argument("--config-file", help=argparse.SUPPRESS)

    sub = subs.add_parser("eventlog")
    sub.add_argument("-f", "--format", default="text", metavar="FORMAT", choices=["text", "json"],
                     help="Specify output format: text, json")  # fmt: skip
    sub.add_argument("-T", "--time-format", default="raw", metavar="FORMAT",
                     choices=["raw", "iso", "offset", "human", "reltime"],
                     help="Specify time format: raw, iso, offset, human")  # fmt: skip
    sub.add_argument("-H", "--human", action="store_true", help="Display human-readable output.")
    sub.add_argument("-L", "--color", action=ColorAction)
    sub.add_argument("-F", "--follow", action="store_true", help="Display new events as they are posted")
    sub.add_argument("-t", "--timeout", metavar="TIME", help="With --follow or --wait, timeout after TIME has elapsed")
    sub.add_argument("-w", "--wait", metavar="EVENT", help="Display events until EVENT is posted")
    sub.add_argument(
        "-m", "--match-context", action=KVArgsAction, help="With --wait, match KEY=VAL in context of EVENT"
    )
    sub.add_argument(
        "-i", "--include", metavar="TARGETS", help="Only display events that include TARGETS (hosts or ranks)"
    )
    sub.set_defaults(func=eventlog)
    return top


def main(argv: List[str]) -> int:
    def body() -> None:
        args = parser().parse_args(argv[1:])
        args.func(args)

    run(LOGGER, body)
