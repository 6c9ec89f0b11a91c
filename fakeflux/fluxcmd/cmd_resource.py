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
import itertools
import json
import logging
import math
import os
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Type

import flux  # type: ignore[import-not-found]
import flux.resource as fres  # type: ignore[import-not-found]
import flux.util as futil  # type: ignore[import-not-found]
from flux.eventlog import EventLogFormatter  # type: ignore[import-not-found]
from flux.hostlist import Hostlist  # type: ignore[import-not-found]
from flux.idset import IDset  # type: ignore[import-not-found]

from .pytool import argument_parser, run

LOGGER = logging.getLogger("flux-resource")

# Named formats per subcommand, as (description, columns joined by one space); the order
# within a subcommand is the order `-o help` lists them in.
_UP = ["{state:>12}", "{color_up}{up:>2}{color_off}", "{nnodes:>6}"]
_WHEN = ["{timestamp!d:%b%d %R::<12}", "{state:<8.8}"]
_SIZES = ["{state:>10}", "?+:{queue:<5}", "?:{propertiesx:<10.10+}", "{nnodes:>6}", "+:{ncores:>6}"]
_NAMED: Dict[str, Dict[str, Tuple[str, List[str]]]] = {
    "status": {
        "default": ("Default flux-resource status format string", _UP + ["{nodelist}"]),
        "long": ("Long flux-resource status format string", _UP + ["+:{reason:<30.30}", "{nodelist}"]),
    },
    "drain": {
        "long": (
            "Long flux-resource drain format string",
            _WHEN + ["{ranks:<8.8+}", "+:{reason:<30.30}", "{nodelist}"],
        ),
        "default": ("Default flux-resource drain format string", _WHEN + ["{reason:<30.30+}", "{nodelist}"]),
    },
    "list": {
        "default": ("Default flux-resource list format string", _SIZES + ["?+:{ngpus:>5}", "{nodelist}"]),
        # sic: "?:+" (not "?+:") is flux-core's, which shows as a "+" before NGPUS
        "rlist": ("Format including resource list details", _SIZES + ["?:+{ngpus:>5}", "{rlist}"]),
    },
}
_BUILTIN = {
    sub: {name: {"description": text, "format": " ".join(cols)} for name, (text, cols) in named.items()}
    for sub, named in _NAMED.items()
}


def _headings(*fields: str) -> Dict[str, str]:
    """Column headings from ``field`` (headed by its name in capitals) or ``field=HEADING``."""
    table = {}
    for spec in fields:
        field, given, heading = spec.partition("=")
        table[field] = heading if given else field.upper()
    return table


_STATUS_HEADINGS = _headings(
    "state", "statex=STATE", "nnodes", "ranks", "nodelist", "reason", "timestamp=TIME", "status", "up",
    "up.ascii=UP", "color_up=", "color_off=",
)  # fmt: skip
_LIST_HEADINGS = _headings(
    "state", "queue", "properties", "propertiesx=PROPERTIES", "nnodes", "ncores", "ngpus", "ranks", "nodelist",
    "rlist=LIST",
)  # fmt: skip

_STATUS_STATES = (
    "all", "online", "avail", "offline", "exclude", "drain", "draining", "drained", "torpid", "allocated",
    "housekeeping",
)  # fmt: skip
_STATUS_DEFAULT = "avail,exclude,draining,drained,torpid,housekeeping"
_LIST_STATES = ("up", "down", "allocated", "free", "all")
_COLOR_FIELDS = ["color_up", "color_off"]


class _ResourceConfig(futil.UtilConfig):
    """flux-resource's config files: formats for each subcommand, plus ``list.hidden-queues``."""

    builtin_formats = _BUILTIN

    def __init__(self, subcommand: str) -> None:
        sections = {sub: {"formats": formats} for sub, formats in _BUILTIN.items()}
        super().__init__(name="flux-resource", subcommand=subcommand, initial_dict=sections)

    def _check_setting(self, path: str, section: str, name: str, value: Any) -> None:
        if name == "formats":
            self.validate_formats(path, value)
        elif (section, name) != ("list", "hidden-queues"):
            raise ValueError(f"{path}: invalid key {section}.{name}")
        elif not isinstance(value, list) or any(not isinstance(queue, str) for queue in value):
            raise ValueError(f"{path}: list.hidden-queues must be a list of strings")

    def validate(self, path: str, conf: Any) -> None:
        for section, settings in conf.items():
            if section not in _BUILTIN:
                raise ValueError(f"{path}: invalid key {section}")
            for name, value in settings.items():
                self._check_setting(path, section, name, value)


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


def ranks_of_queues(rset: Any, config: Optional[Dict[str, Any]], queues: Sequence[str]) -> Any:
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


def _narrow(view: Any, args: argparse.Namespace, queue_ranks: Callable[[], Any]) -> None:
    """Apply -q and -i to ``view``; their errors come back prefixed with the option."""
    steps: List[Tuple[str, Tuple[Type[BaseException], ...], Callable[[], Any]]] = []
    if args.queue:
        steps.append(("--queue", (ValueError,), lambda: view.filter(queue_ranks())))
    if args.include:
        steps.append(("--include", (ValueError, TypeError), lambda: view.filter(include=args.include)))
    for option, caught, step in steps:
        try:
            step()
        except caught as exc:
            raise ValueError(f"{option}: {exc}") from None


def _config_of(handle: Any, args: argparse.Namespace) -> Dict[str, Any]:
    """The instance config: from --config-file when given, else asked of the broker."""
    path = getattr(args, "config_file", None)
    if path:
        with open(path) as stream:
            return dict(json.load(stream))
    return {} if handle is None else dict(handle.rpc("config.get").get())


# -- status -----------------------------------------------------------------------------
class _StatusRow:
    """One row of ``flux resource status``: a state, online or not, and the nodes in it.
    Rows that differ only in their nodes are folded into one (see ``absorb``)."""

    def __init__(self, state: str, online: bool, ranks: Any, hosts: Any, reason: str = "", timestamp: Any = ""):
        self.statex, self.online = state, online
        self.reason, self.timestamp = reason, timestamp
        self._members = IDset(ranks)
        self._hosts = Hostlist(hosts)

    def absorb(self, other: _StatusRow) -> None:
        self._members.add(other.ranks)
        self._hosts.append(other._hosts)
        self._hosts.sort()

    # the fields a status format may name
    state = property(lambda self: self.statex if self.online else f"{self.statex}*")
    status = property(lambda self: "online" if self.online else "offline")
    color_up = property(lambda self: "\033[01;32m" if self.online else "\033[01;31m")
    color_off = property(lambda self: "\033[0;0m")
    up = property(lambda self: futil.AltField("✔", "y") if self.online else futil.AltField("✗", "n"))
    nodelist = property(lambda self: str(self._hosts))
    ranks = property(lambda self: str(self._members))
    nnodes = property(lambda self: len(self._hosts))

    def __repr__(self) -> str:
        return f"{self.state} {self._hosts}"


def _shows(states: Set[str], state: str) -> bool:
    return state in states or "all" in states


def _status_rows(rstatus: Any, states: Set[str], sides: Sequence[bool]) -> Iterator[_StatusRow]:
    """Rows for the chosen states, online side first; ``sides`` says which sides are shown."""
    for state in ("avail", "exclude", "allocated", "torpid", "housekeeping"):
        if _shows(states, state):
            for online in sides:
                ranks = rstatus[state].intersect(rstatus["online" if online else "offline"])
                yield _StatusRow(state, online, ranks, rstatus.nodelist[ranks])
    for state in ("draining", "drained"):
        if not _shows(states, state):
            continue
        members = rstatus[state]
        if not members and True in sides:
            yield _StatusRow(state, True, "", "")  # the state still gets its (empty) row
        for rank in members:
            online = rank in rstatus.online
            if online in sides:
                why = rstatus.get_drain_info(rank)
                yield _StatusRow(state, online, rank, rstatus.nodelist[rank], why.reason, why.timestamp)


def _status_states(spec: Optional[str]) -> List[str]:
    names = (spec or _STATUS_DEFAULT).split(",")
    unknown = [name for name in names if name not in _STATUS_STATES]
    if unknown:
        LOGGER.error("Invalid resource state %s specified", unknown[0])
        LOGGER.info("valid states: %s", ",".join(_STATUS_STATES))
        sys.exit(1)
    if set(names) <= {"online", "offline"}:
        names += _STATUS_DEFAULT.split(",")  # online/offline alone qualify the default states
    if "drain" in names:
        names.remove("drain")
        names += ["draining", "drained"]
    return names


def status(args: argparse.Namespace) -> None:
    if args.states == "help":
        LOGGER.info("valid states: %s", ",".join(_STATUS_STATES))
        sys.exit(0)
    states = _status_states(args.states)
    chosen = _ResourceConfig("status").load().get_format_string(args.format)
    handle = None
    if args.from_stdin:
        text = sys.stdin.read()
        view = fres.ResourceStatus(json.loads(text) if text else None)
    else:
        handle = flux.Flux()
        view = fres.resource_status(handle).get()
    _narrow(view, args, lambda: ranks_of_queues(view.rset, _config_of(handle, args), args.queue))
    layout = futil.OutputFormat(chosen, headings=_STATUS_HEADINGS)
    if not args.color.enabled:
        layout = layout.copy(except_fields=_COLOR_FIELDS)
    online_asked, offline_asked = "online" in states, "offline" in states
    sides = []  # which of online (True) and offline (False) nodes are shown
    if online_asked or not offline_asked:
        sides.append(True)
    if offline_asked or not online_asked:
        sides.append(False)
    drain_shown = [state for state in ("draining", "drained") if _shows(set(states), state)]
    if drain_shown:
        view.torpid -= view.get_idset(*drain_shown)  # a drained node is listed as such, not as torpid
    folded = futil.Deduplicator(
        formatter=layout,
        except_fields=["nodelist", "ranks", "nnodes"],
        combine=lambda row, other: row.absorb(other),
    )
    for row in _status_rows(view, set(states), sides):
        folded.append(row)
    # empty rows are dropped when no state was asked for (or --skip-empty), and empty offline
    # rows unless offline was asked for
    drop_empty = args.skip_empty or not args.states

    def worth_showing(row: _StatusRow) -> bool:
        return row.nnodes > 0 or not (drop_empty or (not row.online and not offline_asked))

    layout.print_items([row for row in folded if worth_showing(row)], no_header=args.no_header)


# -- drain / undrain ---------------------------------------------------------------------
def _change_request(args: argparse.Namespace) -> Dict[str, Any]:
    """The drain/undrain payload: targets, then mode (-u, or -f once/twice), then reason."""
    if args.update and args.force:
        LOGGER.error("Only one of --force and --update may be specified")
        sys.exit(1)
    request: Dict[str, Any] = {"targets": args.targets}
    if args.update:
        request["mode"] = "update"
    elif args.force:
        request["mode"] = "overwrite" if args.force == 1 else "force-overwrite"
    if args.reason:
        request["reason"] = " ".join(args.reason)
    return request


def _ask_rank0(topic: str, payload: Dict[str, Any]) -> None:
    flux.Flux().rpc(topic, payload, nodeid=0).get()


def drain(args: argparse.Namespace) -> None:
    if args.targets is None:
        # no targets: a status listing of the drained nodes in a drain format
        chosen = _ResourceConfig("drain").load().get_format_string(args.format)
        vars(args).update(format=chosen, from_stdin=False, config_file=None, states="drain", skip_empty=True)
        status(args)
        return
    request = _change_request(args)
    try:
        _ask_rank0("resource.drain", request)
    except OSError as exc:
        LOGGER.error(exc)
        already = exc.errno == errno.EEXIST
        if already:
            LOGGER.info("Use --force to overwrite existing drain reason")
        sys.exit(1)


def undrain(args: argparse.Namespace) -> None:
    _ask_rank0("resource.undrain", _change_request(args))


# -- list / info / R --------------------------------------------------------------------
class _QueueNaming:
    """What the list rows need of the [queues] config: which queues a node belongs to."""

    def __init__(
        self, config: Optional[Dict[str, Any]], only: Optional[Set[str]] = None, hidden: Optional[Set[str]] = None
    ) -> None:
        self.queues: Dict[str, Any] = dict((config or {}).get("queues", {}))
        self.only = only
        self.hidden = hidden or set()

    def _named(self, name: str, entry: Dict[str, Any]) -> bool:
        if self.only:
            return name in self.only
        return name not in self.hidden and "parent" not in entry  # a virtual queue only when asked for

    def of(self, properties: Set[str]) -> str:
        members = []
        for name, entry in self.queues.items():
            if self._named(name, entry):
                needs = queue_entry(self.queues, name).get("requires")
                if needs is None or set(needs) <= properties:
                    members.append(name)
        return ",".join(members)


class _ListRow(fres.ResourceSet):
    """A ResourceSet shown as a row of ``flux resource list``, with ``queue`` and ``propertiesx``.
    It wraps the set rather than copying it (ResourceSet.__init__ is not run): attributes it
    lacks are looked up on the wrapped set, so ResourceSet's methods work on that."""

    def __init__(self, state: str, naming: _QueueNaming, rset: Any = None, queue: Optional[str] = None) -> None:
        self._wrapped = rset if isinstance(rset, fres.ResourceSet) else fres.ResourceSet(rset)
        self._naming = naming
        self._fixed_queue = queue  # set on the empty row made for one queue
        self.state = state

    def __getattr__(self, name: str) -> Any:
        if name == "_wrapped":  # not set yet: avoid recursing
            raise AttributeError(name)
        return getattr(self._wrapped, name)

    def _property_names(self) -> List[str]:
        return list(json.loads(self.get_properties()))

    @property
    def propertiesx(self) -> str:
        """Properties less those that name a queue (they only say which queue a node is in)."""
        return ",".join(name for name in self._property_names() if name not in self._naming.queues)

    @property
    def queue(self) -> str:
        if self._fixed_queue is not None:
            return self._fixed_queue
        if not self._naming.queues or not self.ranks:
            return ""
        return self._naming.of(set(self._property_names()))


def _property_splits(rset: Any) -> Iterator[Any]:
    """``rset`` cut by every combination of its properties (so rows can differ by them):
    first the subsets of one property, then of two, ..., last the nodes with none."""
    names = set(json.loads(rset.get_properties()))
    for size in [*range(1, len(names) + 1), 0]:
        for combo in itertools.combinations(names, size):
            having = set(combo)
            lacking = ("^" + name for name in names - having)
            yield rset.copy_constraint({"properties": [*having, *lacking]})


_DISTINCT = ("state", "properties", "propertiesx", "queue")


def _row_key(layout: Any) -> Any:
    """The format of what tells rows apart: the shown fields among state, properties and queue
    (nothing, so a single row, when only one other field is shown)."""
    fields = layout.fields
    key = ""
    if "state" in fields or len(fields) > 1:
        key = "".join(f"{{{field}}}:" for field in fields if field in _DISTINCT)
    return futil.OutputFormat(key, headings=layout.headings)


def _list_rows(
    resources: Any,
    states: Sequence[str],
    layout: Any,
    config: Optional[Dict[str, Any]],
    queues: Optional[Set[str]],
    hidden: Set[str],
) -> List[_ListRow]:
    """The distinct rows: by state, and by queue and properties when those are shown."""
    keyer = _row_key(layout)
    rows: Dict[str, _ListRow] = {}

    def put(row: _ListRow) -> None:
        key = keyer.format(row)
        if key in rows:
            rows[key].add(row)
        else:
            rows[key] = row

    # an empty state still gets a row, one per queue shown
    empty_for: List[Optional[str]] = list(queues) if queues else []
    if not queues:
        configured = (config or {}).get("queues", {})
        empty_for = [name for name, entry in configured.items() if name not in hidden and "parent" not in entry]
    bare = _QueueNaming(config)
    naming = _QueueNaming(config, only=set(queues) if queues else None, hidden=hidden)
    for state in states:
        if not resources[state].ranks:
            for queue in empty_for or [None]:
                put(_ListRow(state, bare, queue=queue))
            continue
        for part in _property_splits(resources[state]):
            if part.ranks:
                part.state = state
                put(_ListRow(state, naming, part))
    return list(rows.values())


def _sched_view(args: argparse.Namespace) -> Tuple[Any, Optional[Dict[str, Any]]]:
    """The scheduler's view (and the instance config), with -q and -i applied; leaves the
    states as a list in ``args.states``."""
    args.states = args.states.split(",")
    unknown = [name for name in args.states if name not in _LIST_STATES]
    if unknown:
        LOGGER.error("Invalid resource state %s specified", unknown[0])
        sys.exit(1)
    config = None
    if args.from_stdin:
        resources = fres.SchedResourceList(json.load(sys.stdin))
        if args.config_file:
            config = _config_of(None, args)
    else:
        handle = flux.Flux()
        pending = fres.resource_list(handle), handle.rpc("config.get")
        resources = pending[0].get()
        try:
            config = pending[1].get()
        except Exception as exc:  # noqa: BLE001 - flux-core goes on without queues
            LOGGER.warning("Could not get flux config: " + str(exc))
    _narrow(resources, args, lambda: ranks_of_queues(resources.all, config, args.queue))
    return resources, config


def list_resources(args: argparse.Namespace) -> None:
    resources, config = _sched_view(args)
    settings = _ResourceConfig("list").load()
    layout = futil.OutputFormat(settings.get_format_string(args.format), headings=_LIST_HEADINGS)
    hidden = set(settings.config.get("hidden-queues", []))
    position = {name: index for index, name in enumerate(args.states)}
    rows = sorted(
        _list_rows(resources, args.states, layout, config, args.queue, hidden),
        key=lambda row: (position[row.state], row.ranks.first()),
    )
    if args.skip_empty or (args.include and not args.no_skip_empty):
        rows = [row for row in rows if row.ranks]
    layout.print_items(rows, no_header=args.no_header)


def info(args: argparse.Namespace) -> None:
    summary = "{nnodes} Nodes, {ncores} Cores, {ngpus} GPUs"
    vars(args).update(states=args.states or "all", no_header=True, format=summary)
    list_resources(args)


def emit_R(args: argparse.Namespace) -> None:  # noqa: N802 - the subcommand's name
    resources, _ = _sched_view(args)
    whole = resources["all"]
    out = fres.ResourceSet()
    out.starttime, out.expiration = whole.starttime, whole.expiration
    for name in args.states:
        out.add(resources[name])
    print(out.encode())


def reload(args: argparse.Namespace) -> None:
    _ask_rank0("resource.reload", {"path": os.path.realpath(args.path), "xml": args.xml, "force": args.force})


def acquire_mute(args: argparse.Namespace) -> None:
    _ask_rank0("resource.acquire-mute", {})


# -- eventlog ------------------------------------------------------------------------------
class _ContextMatch:
    """``-m KEY=VAL`` pairs (VAL read as JSON when it parses); an event's context must have
    them all, floats agreeing to within 1e-5."""

    def __init__(self) -> None:
        self.wanted: Dict[str, Any] = {}

    def append(self, arg: str) -> None:
        key, sep, text = arg.partition("=")
        problem = "missing '='" if not sep else "empty key" if not key else None
        if problem:
            raise argparse.ArgumentTypeError(f"invalid KEY=VAL argument: {arg!r} ({problem})")
        try:
            self.wanted[key] = json.loads(text)
        except json.JSONDecodeError:
            self.wanted[key] = text

    @staticmethod
    def _agrees(seen: Any, wanted: Any) -> bool:
        if not isinstance(seen, float):
            return bool(seen == wanted)
        try:
            return math.isclose(float(wanted), seen, rel_tol=0, abs_tol=1e-5)
        except (TypeError, ValueError):
            return False

    def match(self, context: Dict[str, Any]) -> bool:
        return all(self._agrees(context.get(key), value) for key, value in self.wanted.items())

    def __repr__(self) -> str:
        return f"_ContextMatch({self.wanted!r})"


class _ContextMatchAction(argparse.Action):
    """Collects every -m into one _ContextMatch."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        settings = {"default": _ContextMatch(), "metavar": "KEY=VAL", **kwargs, "type": str}
        super().__init__(option_strings, dest, **settings)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        getattr(namespace, self.dest).append(values)


class _EventScope:
    """Which events ``-i TARGETS`` keeps: those naming one of the ranks, or of the hosts
    (by ``nodelist``, else by ``ranks``/``idset`` mapped through the instance's hostlist)."""

    def __init__(self, handle: Any, targets: Optional[str]) -> None:
        self.everything = targets is None
        if targets is None:
            return
        instance_hosts = Hostlist(handle.attr_get("hostlist"))
        try:
            self.ranks = IDset(targets)
        except ValueError:
            self.by_rank = False
            try:
                self.hosts = Hostlist(targets)
            except ValueError:
                raise ValueError(f"invalid targets {targets}") from None
            self.ranks = IDset(instance_hosts.index(self.hosts))
        else:
            self.by_rank = True
            self.hosts = instance_hosts[self.ranks]

    def _names_rank(self, context: Dict[str, Any]) -> bool:
        for key in ("ranks", "idset"):
            if key in context:
                return len(self.ranks.intersect(IDset(context[key]))) > 0
        return False

    def _names_host(self, context: Dict[str, Any]) -> bool:
        if "nodelist" not in context:
            return False
        named = Hostlist(context["nodelist"])
        return any(host in named for host in self.hosts)

    def match(self, event: Any) -> bool:
        if self.everything:
            return True
        if self.by_rank:  # ranks given: only ranks count (several brokers may share a host)
            return self._names_rank(event.context)
        return self._names_host(event.context) or self._names_rank(event.context)


def eventlog(args: argparse.Namespace) -> None:
    """The resource journal (backlog, then new events with --follow) through EventLogFormatter."""
    if args.human:
        args.format, args.time_format = "text", "human"
    color = "auto" if args.color is None else args.color
    follow = args.follow or bool(args.wait)
    deadline = futil.parse_fsd(args.timeout) + time.time() if args.timeout else -1.0
    handle = flux.Flux()
    scope = _EventScope(handle, args.include)
    formatter = EventLogFormatter(format=args.format, timestamp_format=args.time_format, color=color)
    journal = fres.ResourceJournalConsumer(handle, include_sentinel=not follow).start()

    def next_event() -> Any:
        event = journal.poll(timeout=deadline - time.time())
        return None if event is None or event.is_empty() else event

    for event in iter(next_event, None):
        if not scope.match(event):
            continue
        print(formatter.format(event))
        if args.wait and event.name == args.wait and args.match_context.match(event.context):
            break
    journal.stop()


# -- arguments ---------------------------------------------------------------------------
Option = Tuple[Tuple[str, ...], Dict[str, Any]]


def _opt(*flags: str, **settings: Any) -> Option:
    return flags, settings


def _subcommand_options() -> Dict[str, List[Option]]:
    """Each subcommand's options in --help order (built afresh: some defaults are mutable)."""
    hidden = argparse.SUPPRESS
    fmt_help = "Specify output format using Python's string format syntax or a defined format by name "
    narrowing = [
        _opt(
            "-i",
            "--include",
            metavar="TARGETS",
            help="Include only specified targets in output set. TARGETS may be provided as an idset or hostlist.",
        ),
        _opt(
            "-q",
            "--queue",
            action=futil.FilterActionSetUpdate,
            default=set(),
            metavar="QUEUE,...",
            help="Include only specified queues in output",
        ),
    ]
    offline_inputs = [_opt("--from-stdin", action="store_true", help=hidden), _opt("--config-file", help=hidden)]
    no_header = _opt("-n", "--no-header", action="store_true", help="Suppress header output")
    color = _opt("-L", "--color", action=futil.ColorAction)

    def states(text: str, default: Optional[str] = None) -> Option:
        return _opt("-s", "--states", "--state", metavar="STATE,...", default=default, help=text)

    def force(verb: str) -> Option:
        text = f"Force overwrite of existing {verb} reason. Specify twice to also update {verb} timestamp."
        return _opt("-f", "--force", action="count", default=0, help=text)

    def update(verb: str, already: str) -> Option:
        text = (
            f"Update only. Do not return an error if one or more targets are {already}. "
            f"Do not overwrite any existing {verb} reason."
        )
        return _opt("-u", "--update", action="store_true", help=text)

    def reason() -> Option:
        return _opt("reason", help="Reason", nargs=argparse.REMAINDER)

    return {
        "acquire-mute": [],
        "drain": [
            force("drain"),
            update("drain", "already drained"),
            *narrowing,
            _opt(
                "-o",
                "--format",
                default="default",
                help=fmt_help.rstrip() + " (only used when no drain targets specified)",
            ),
            no_header,
            color,
            _opt("targets", nargs="?", help="List of targets to drain (IDSET or HOSTLIST)"),
            reason(),
        ],
        "undrain": [
            update("undrain", "not drained"),
            force("undrain"),
            _opt("targets", help="List of targets to resume (IDSET or HOSTLIST)"),
            reason(),
        ],
        "status": [
            _opt("-o", "--format", default="default", help=fmt_help + "(use 'help' to get a list of names)"),
            states("Output resources in given states"),
            *narrowing,
            no_header,
            color,
            *offline_inputs,
            _opt("--skip-empty", action="store_true", help="Skip empty lines of output even with --states"),
        ],
        "list": [
            _opt("-o", "--format", default="default", help=fmt_help + "(use 'help' to get a list of names)"),
            states("Output resources in given states", default="free,allocated,down"),
            *narrowing,
            _opt("--skip-empty", action="store_true", help="Skip empty lines. This is the default with -i, --include."),
            _opt("--no-skip-empty", action="store_true", help="Do not skip empty lines, even with --include."),
            no_header,
            *offline_inputs,
        ],
        "info": [
            states("Show output only for resources in given states"),
            *narrowing,
            *offline_inputs,
            _opt("--skip-empty", action="store_true", help=hidden),
            _opt("--no-skip-empty", action="store_true", help=hidden),
        ],
        "reload": [
            _opt("path", help="path to R or hwloc <rank>.xml dir"),
            _opt("-x", "--xml", action="store_true", default=False, help="interpret path as XML dir"),
            _opt("-f", "--force", action="store_true", default=False, help="allow resources to contain invalid ranks"),
        ],
        "R": [states("Emit R for resources in given states", default="all"), *narrowing, *offline_inputs],
        "eventlog": [
            _opt(
                "-f", "--format", default="text", metavar="FORMAT", choices=["text", "json"],
                help="Specify output format: text, json",
            ),
            _opt(
                "-T", "--time-format", default="raw", metavar="FORMAT",
                choices=["raw", "iso", "offset", "human", "reltime"],
                help="Specify time format: raw, iso, offset, human",
            ),
            _opt("-H", "--human", action="store_true", help="Display human-readable output."),
            color,
            _opt("-F", "--follow", action="store_true", help="Display new events as they are posted"),
            _opt("-t", "--timeout", metavar="TIME", help="With --follow or --wait, timeout after TIME has elapsed"),
            _opt("-w", "--wait", metavar="EVENT", help="Display events until EVENT is posted"),
            _opt(
                "-m", "--match-context", action=_ContextMatchAction,
                help="With --wait, match KEY=VAL in context of EVENT",
            ),
            _opt(
                "-i", "--include", metavar="TARGETS",
                help="Only display events that include TARGETS (hosts or ranks)",
            ),
        ],
    }  # fmt: skip


_HANDLERS: Dict[str, Callable[[argparse.Namespace], None]] = {
    "acquire-mute": acquire_mute,
    "drain": drain,
    "undrain": undrain,
    "status": status,
    "list": list_resources,
    "info": info,
    "reload": reload,
    "R": emit_R,
    "eventlog": eventlog,
}


def parser() -> argparse.ArgumentParser:
    top = argument_parser("flux-resource")
    subs = top.add_subparsers(title="subcommands", description="", dest="subcommand")
    subs.required = True
    for name, options in _subcommand_options().items():
        sub = subs.add_parser(name)
        for flags, settings in options:
            action = sub.add_argument(*flags, **settings)
            if "--state" in flags:
                # accepted, but left out of --help (FluxArgumentParser's hidden aliases);
                # flux's help formatter reads this attribute
                setattr(action, "hidden_option_strings", {"--state"})  # noqa: B010
    return top


def main(argv: List[str]) -> int:
    def body() -> None:
        args = parser().parse_args(argv[1:])
        _HANDLERS[args.subcommand](args)

    run(LOGGER, body)
