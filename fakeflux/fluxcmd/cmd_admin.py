"""`flux uptime`, `flux overlay status|lookup|parentof` and `flux module list`, as flux-core's
C commands print them (builtin/uptime.c, builtin/overlay.c, flux-module.c)."""

from __future__ import annotations

import pwd
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from .common import die, die_err, error_text, open_handle
from .optparse import OPTIONAL_ARG, REQUIRED_ARG, Option, OptParser, Parsed, SubcommandGroup
from .parse import parse_duration, parse_int

NODEID_ANY = 0xFFFFFFFF


def c_duration(seconds: float, precision: int = 2) -> str:
    """fsd_format_duration_ex: the largest unit that keeps the value readable, printf %.Ng."""
    if seconds == float("inf"):
        return "infinity"
    if 0 < seconds < 0.1:
        return f"{seconds * 1000:.{precision}g}ms"
    for limit, div, unit in ((60.0, 1.0, "s"), (3600.0, 60.0, "m"), (86400.0, 3600.0, "h")):
        if seconds < limit:
            return f"{seconds / div:.{precision}g}{unit}"
    return f"{seconds / 86400.0:.{precision}g}d"


def _idset_count(text: str) -> int:
    from flux.idset import IDset  # type: ignore[import-not-found]

    return len(IDset(text))


# -- uptime ----------------------------------------------------------------------------
def _attr_int(h: Any, prog: str, name: str) -> int:
    try:
        value = h.attr_get(name)
    except OSError as exc:
        die_err(prog, f"Error fetching {name} attribute", exc)
    try:
        return int(value, 10)
    except ValueError:
        die(prog, f"Error parsing {name}")


def _queues_stopped(h: Any, prog: str) -> tuple:
    """(submission disabled, scheduling stopped): with named queues, only when all of them are."""

    def status(name: Optional[str]) -> Dict[str, Any]:
        try:
            return dict(h.rpc("job-manager.queue-status", {"name": name} if name else {}, nodeid=0).get())
        except OSError as exc:
            die(prog, f"Error fetching queue status: {error_text(exc)}")

    try:
        queues = h.rpc("job-manager.queue-list", nodeid=0).get()["queues"]
    except OSError as exc:
        die(prog, f"queue-list: {error_text(exc)}")
    statuses = [status(q) for q in queues] if queues else [status(None)]
    return not any(s["enable"] for s in statuses), not any(s["start"] for s in statuses)


def main_uptime(argv: List[str]) -> int:
    prog = "flux"  # the builtin logs as flux (no log_init of its own, unlike overlay)
    parser = OptParser("flux uptime", "[OPTIONS]...", [], "Show how long this Flux instance has been running")
    parser.parse(argv[1:])
    h = open_handle(prog)
    now = time.time()
    owner_id = _attr_int(h, prog, "security.owner")
    size = _attr_int(h, prog, "size")
    level = _attr_int(h, prog, "instance-level")
    try:
        state = h.rpc("state-machine.get", nodeid=NODEID_ANY).get()
    except OSError as exc:
        die_err(prog, "Error fetching broker state", exc)
    broker_state, duration = state["state"], float(state["duration"])
    drained = offline = 0
    disabled = stopped = False
    if broker_state == "run":
        try:
            duration = now - float(h.rpc("attr.get", {"name": "broker.starttime"}, nodeid=0).get()["value"])
        except OSError as exc:
            die_err(prog, "Error fetching broker.starttime attribute", exc)
        try:
            drain = h.rpc("resource.status", nodeid=0).get()["drain"]
        except OSError as exc:
            die_err(prog, "Error fetching resource status", exc)
        drained = sum(_idset_count(ranks) for ranks in drain)
        try:
            online = h.rpc("groups.get", {"name": "broker.online"}, nodeid=0).get()["members"]
        except OSError as exc:
            die_err(prog, "Error fetching broker.online group", exc)
        offline = size - _idset_count(online)
        disabled, stopped = _queues_stopped(h, prog)
    try:
        owner = pwd.getpwuid(owner_id).pw_name
    except KeyError:
        owner = str(owner_id)
    extra = "".join(f",  {n} {what}" for n, what in ((drained, "drained"), (offline, "offline")) if n > 0)
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    print(f" {clock} {broker_state} {c_duration(duration)},  owner {owner},  depth {level},  size {size}{extra}")
    second = [text for text, cond in (("submit disabled", disabled), ("scheduler stopped", stopped)) if cond]
    if second:
        print("  " + ",  ".join(second))
    return 0


# -- overlay ---------------------------------------------------------------------------
PIPE, TEE, ELBOW, BLANK, NIL = "│  ", "├─ ", "└─ ", "   ", ""
RED, YELLOW, GRAY, BLUE, DEFAULT, RESET = "\033[31m", "\033[33m", "\033[1;30m", "\033[1;34m", "\033[39m", "\033[0m"
WAIT_STATES = ("full", "partial", "degraded", "lost", "offline")

STATUS_OPTIONS = [
    Option("rank", "r", REQUIRED_ARG, "NODEID", "Check health of subtree rooted at NODEID (default 0)"),
    Option(
        "verbose",
        "v",
        OPTIONAL_ARG,
        "[LEVEL]",
        "Increase reporting detail: 1=show time since current state was entered, 2=show round-trip RPC times.",
        short_optional_arg=False,
    ),
    Option("timeout", "t", REQUIRED_ARG, "FSD", "Set RPC timeout, 0=disable (default 0.5s)"),
    Option("summary", usage="Show only the root subtree status."),
    Option("down", usage="Show only the partial/degraded subtrees."),
    Option("no-pretty", usage="Do not indent entries and use line drawing characters to show overlay tree structure"),
    Option(
        "no-ghost",
        usage="Do not fill in presumed state of nodes that are inaccessible behind offline/lost overlay parents",
    ),
    Option(
        "color",
        "L",
        OPTIONAL_ARG,
        "WHEN",
        "Colorize output when supported; WHEN can be 'always' (default if omitted), 'never', or 'auto' (default).",
    ),
    Option("highlight", "H", REQUIRED_ARG, "TARGET", "Highlight one or more TARGETs and their ancestors."),
    Option(
        "wait",
        "w",
        REQUIRED_ARG,
        "STATE",
        "Wait until subtree enters STATE before reporting (full, partial, offline, degraded, lost)",
    ),
]


def _subtree(topo: Dict[str, Any], rank: int) -> Optional[Dict[str, Any]]:
    if topo["rank"] == rank:
        return topo
    for child in topo["children"]:
        found = _subtree(child, rank)
        if found is not None:
            return found
    return None


def _ranks_of(topo: Optional[Dict[str, Any]]) -> set:
    if topo is None:
        return set()
    ranks = {topo["rank"]}
    for child in topo["children"]:
        ranks |= _ranks_of(child)
    return ranks


class OverlayStatus:
    """The health walk of builtin/overlay.c: ask each live broker for its children's health,
    print the tree, and fill in ("ghost") the nodes behind an offline or lost one."""

    def __init__(self, h: Any, opts: Parsed) -> None:
        self.h = h
        self.opts = opts
        self.verbose = _get_int(opts, "verbose", 0)
        self.color = _use_color(opts.get("color", "auto") if opts.has("color") else "auto", opts.has("color"))
        timeout = parse_duration("flux overlay status", "timeout", opts.get("timeout", "0.5") or "0.5")
        self.timeout = None if timeout == 0 else timeout
        self.wait = opts.get("wait")
        self.pretty = not opts.has("no-pretty")
        self.stack: List[str] = []
        self.topology: Optional[Dict[str, Any]] = None
        self.hosts: Optional[Any] = None
        self.highlight: set = set()
        self.started = 0.0
        self.show: Callable[..., bool] = self.show_all
        if opts.has("summary"):
            self.show = self.show_top
        elif opts.has("down"):
            self.show = self.show_badtrees

    # -- instance facts --
    def topo(self) -> Dict[str, Any]:
        if self.topology is None:
            try:
                self.topology = dict(self.h.rpc("overlay.topology", {"rank": 0}, nodeid=0).get())
            except OSError as exc:
                die_err("flux-overlay", "error fetching overlay topology", exc)
        return self.topology

    def hostname(self, rank: int) -> str:
        if self.hosts is None:
            from flux.hostlist import Hostlist  # type: ignore[import-not-found]

            try:
                self.hosts = Hostlist(self.h.attr_get("hostlist"))
            except (OSError, ValueError) as exc:
                die_err("flux-overlay", "could not fetch/decode hostlist", exc)
        return str(self.hosts[rank]) if rank < len(self.hosts) else "(null)"

    # -- printing --
    def indent(self, level: int) -> str:
        if not self.pretty or level == 0:
            return ""
        return "".join(self.stack[:-1])

    def name(self, rank: int, subtree: set) -> str:
        start = end = ""
        if subtree & self.highlight:
            start, end = (BLUE, RESET) if self.color else ("<<", ">>")
        return f"{start}{rank} {self.hostname(rank)}{end}"

    def colorize(self, status: str, ghost: bool) -> str:
        if not self.color:
            return status
        if status == "lost" and not ghost:
            return f"{RED}{status}{DEFAULT}"
        if status == "offline" and not ghost:
            return f"{YELLOW}{status}{DEFAULT}"
        if ghost:
            return f"{GRAY}{status}{DEFAULT}"
        return status

    def since(self, duration: float) -> str:
        if self.verbose < 1 or duration <= 0:
            return ""
        return f" for {_fsd_default(duration)}"

    def rpctime(self) -> str:
        if self.verbose < 2:
            return ""
        return f" ({(time.monotonic() - self.started) * 1000:.3f} ms)"

    def print_node(self, node: Dict[str, Any], parent: bool, level: int) -> None:
        connector = node["connector"] if self.pretty else NIL
        error = node.get("error") or ""
        print(
            f"{self.indent(level)}{connector}{self.name(node['rank'], node['subtree'])}: "
            f"{self.colorize(node['status'], node['ghost'])}{self.since(node['duration'])}"
            f"{' ' if error else ''}{error}{self.rpctime() if parent else ''}"
        )

    # -- what to show (flux-core's map functions) --
    def show_top(self, node: Dict[str, Any], parent: bool, level: int) -> bool:
        print(
            f"{self.indent(level)}{node['connector']}{self.colorize(node['status'], node['ghost'])}"
            f"{self.since(node['duration'])}{self.rpctime() if parent else ''}"
        )
        return False

    def show_all(self, node: Dict[str, Any], parent: bool, level: int) -> bool:
        have_children = len(node["subtree"]) > 1
        if parent or node["status"] in ("lost", "offline") or (not have_children and self.verbose < 2):
            self.print_node(node, parent, level)
        return have_children or self.verbose >= 2

    def show_badtrees(self, node: Dict[str, Any], parent: bool, level: int) -> bool:
        if node["status"] == "full":
            return False
        return self.show_all(node, parent, level)

    # -- walks --
    def health(self, rank: int) -> Dict[str, Any]:
        """One ``overlay.health`` answer (with --wait, the first in the wanted state)."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        if not self.wait:
            future = self.h.rpc("overlay.health", None, nodeid=rank)
            return dict(future.get() if deadline is None else future.wait_for(self.timeout).get())
        import flux.constants  # type: ignore[import-not-found]

        future = self.h.rpc("overlay.health", None, nodeid=rank, flags=flux.constants.FLUX_RPC_STREAMING)
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            answer = dict(future.get() if left is None else future.wait_for(left).get())
            if answer["status"] == self.wait:
                return answer
            future.reset()

    def ghostwalk(self, topo: Optional[Dict[str, Any]], level: int, status: str) -> None:
        if topo is None:
            return
        children = topo["children"]
        for index, entry in enumerate(children):
            last = index == len(children) - 1
            self.stack.append(BLANK if last else PIPE)
            node = {
                "rank": entry["rank"],
                "status": status,
                "duration": -1.0,
                "ghost": True,
                "connector": ELBOW if last else TEE,
                "subtree": _ranks_of(entry),
            }
            if self.show(node, False, level + 1):
                self.ghostwalk(entry, level + 1, status)
            self.stack.pop()

    def live_node(self, health: Dict[str, Any], connector: str) -> Dict[str, Any]:
        """A node as a health answer reports it (itself or one of its children)."""
        return {
            "rank": health["rank"],
            "status": health["status"],
            "duration": float(health["duration"]),
            "ghost": False,
            "connector": connector,
            "subtree": _ranks_of(_subtree(self.topo(), health["rank"])),
        }

    def healthwalk(self, rank: int, level: int, connector: str) -> int:
        self.started = time.monotonic()
        try:
            answer = self.health(rank)
        except OSError as exc:
            text = error_text(exc)
            if level == 0:
                die("flux-overlay", text)
            print(f"{self.indent(level)}{connector}{self.name(rank, set())}: {text}{self.rpctime()}")
            return -1
        node = self.live_node(answer, connector)
        if not self.show(node, True, level):
            return 0
        children = answer.get("children") or []
        for index, entry in enumerate(children):
            last = index == len(children) - 1
            self.stack.append(BLANK if last else PIPE)
            connector = ELBOW if last else TEE
            child = {**self.live_node(entry, connector), "error": entry.get("error") or ""}
            if self.show(child, False, level + 1):
                if child["status"] in ("offline", "lost") or self.healthwalk(child["rank"], level + 1, connector) < 0:
                    topo = None if self.opts.has("no-ghost") else _subtree(self.topo(), child["rank"])
                    self.ghostwalk(topo, level + 1, child["status"])
            self.stack.pop()
        return 0


def _get_int(opts: Parsed, name: str, default: int) -> int:
    """optparse_get_int: the value given last, or how often the option was given without one."""
    if not opts.has(name):
        return default
    value = opts.values[name][-1]
    if value is None:
        return opts.count(name)
    return parse_int("flux overlay status", name, value)


def _fsd_default(seconds: float) -> str:
    """fsd_format_duration: as the _ex form with printf's default precision (6)."""
    return c_duration(seconds, 6)


def _use_color(when: Optional[str], given: bool) -> bool:
    """optparse_get_color: --color alone is always; auto is a terminal on stdout."""
    if given and when is None:
        when = "always"
    if when == "always":
        return True
    if when == "never":
        return False
    if when in (None, "auto"):
        return sys.stdout.isatty()
    die("flux-overlay", f"Invalid argument for --color: '{when}'")


def _highlight(h: Any, targets: List[str]) -> set:
    """-H: ranks (an idset, or hosts looked up in the host map); all must be in the instance."""
    from flux.idset import IDset

    size = int(h.attr_get("size"))
    ranks: set = set()
    for target in targets:
        try:
            ranks |= set(IDset(target))
        except ValueError:
            found, error = hostmap_lookup(h, target)
            if found is None:
                die("flux-overlay", f"Error decoding {target}: {error}")
            ranks |= set(IDset(found))
    bad = sorted(r for r in ranks if r >= size)
    if bad:
        allranks = str(IDset(f"0-{size - 1}"))
        die("flux-overlay", f"--highlight: rank{'s' if len(bad) > 1 else ''} {IDset(bad)} not in set {allranks}")
    return ranks


def _overlay_group() -> SubcommandGroup:
    group = SubcommandGroup("flux overlay", description="Manage overlay network")
    group.add("trace", "[OPTIONS] [topic-glob]", description="Trace messages received on overlay network")
    group.add("errors", "[OPTIONS]", description="Summarize overlay errors")
    group.add("status", "[OPTIONS]", STATUS_OPTIONS, "Display overlay subtree health status")
    group.add("lookup", "[OPTIONS] TARGET", description="translate rank idset to hostlist or the reverse")
    group.add("parentof", "[OPTIONS] RANK", description="show the parent of RANK")
    group.add("disconnect", "[OPTIONS] TARGET", description="disconnect a subtree rooted at TARGET (hostname or rank)")
    return group


def _parentof(topo: Dict[str, Any], rank: int) -> int:
    for child in topo["children"]:
        if child["rank"] == rank:
            return int(topo["rank"])
    for child in topo["children"]:
        parent = _parentof(child, rank)
        if parent >= 0:
            return parent
    return -1


def main_overlay(argv: List[str]) -> int:
    group = _overlay_group()
    _top, name, _parser, opts = group.parse(argv[1:])
    h = open_handle("flux-overlay")
    if name == "status":
        if opts.get("wait") is not None and opts.get("wait") not in WAIT_STATES:
            die("flux-overlay", "invalid --wait state")
        walker = OverlayStatus(h, opts)
        walker.highlight = _highlight(h, opts.all("highlight"))
        rank = parse_int("flux overlay status", "rank", opts.get("rank", "0") or "0")
        walker.healthwalk(rank, 0, NIL)
        return 0
    if name == "lookup":
        if len(opts.args) != 1:
            die("flux-overlay", "single TARGET argument is required")
        return _lookup(h, opts.args[0])
    if name == "parentof":
        if len(opts.args) != 1:
            die("flux-overlay", "RANK is required")
        walker = OverlayStatus(h, opts)
        topo = walker.topo()
        rank = _strtoul(opts.args[0])
        if rank < 0 or rank >= topo["size"]:
            die("flux-overlay", f"{rank} is not a valid rank in this instance")
        if rank == 0:
            die("flux-overlay", f"{rank} has no parent")
        print(_parentof(topo, rank))
        return 0
    die("flux-overlay", f"{name}: not supported by fakeflux")


def _strtoul(text: str) -> int:
    digits = ""
    for ch in text.strip():
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0


def hostmap_lookup(h: Any, target: str) -> Tuple[Optional[str], str]:
    """flux_hostmap_lookup: ranks to their hosts, or hosts to the first rank of each;
    (result, "") or (None, error text)."""
    from flux.hostlist import Hostlist
    from flux.idset import IDset

    hosts = Hostlist(h.attr_get("hostlist"))
    try:
        ranks = IDset(target)
    except ValueError:
        ranks = None
    if ranks is not None:
        found = Hostlist()
        for rank in ranks:
            if rank >= len(hosts):
                return None, f"rank {rank} is not in host map"
            found.append(hosts[rank])
        return str(found), ""
    try:
        wanted = Hostlist(target)
    except ValueError:
        return None, "target must be a valid idset or hostlist"
    result = IDset()
    for host in wanted:
        matches = [i for i, name in enumerate(hosts) if name == host]
        if not matches:
            return None, f"host {host} not found in host map"
        result.set(matches[0])
    return str(result), ""


def _lookup(h: Any, target: str) -> int:
    found, error = hostmap_lookup(h, target)
    if found is None:
        die("flux-overlay", error)
    print(found)
    return 0


# -- module ----------------------------------------------------------------------------
MODULE_SUBCOMMANDS = [
    ("list", "[OPTIONS]", "List loaded modules"),
    ("remove", "[OPTIONS] module", "Unload module"),
    ("load", "[OPTIONS] module", "Load module"),
    ("reload", "[OPTIONS] module", "Reload module"),
    ("stats", "[OPTIONS] module", "Display stats on module"),
    ("debug", "[OPTIONS] module", "Get/set module debug flags"),
    ("trace", "[OPTIONS] [module module...]", "Trace module messages"),
]
MAX_IDLE = 99
_STATE_CHARS = {0: "I", 1: "R", 2: "F", 3: "X"}


def _module_usage(exit_code: int, message: Optional[str] = None) -> int:
    if message:
        sys.stderr.write(f"flux-module: {message}\n")
    sys.stderr.write("Usage: flux-module COMMAND [OPTIONS]\n  -h, --help             Display this message.\n")
    return exit_code


def _services(services: List[str], skip: str, maxcol: int) -> str:
    text = ",".join(s for s in services if s != skip)
    if maxcol > 0 and len(text) > maxcol:
        text = text[: maxcol - 1] + "+"
    return text


def main_module(argv: List[str]) -> int:
    args = argv[1:]
    if args and args[0] in ("-h", "--help"):
        _module_usage(0)
        sys.stderr.write("\nflux module subcommands:\n")
        for name, _usage, doc in MODULE_SUBCOMMANDS:
            sys.stderr.write(f"   {name:<15} {doc}\n")
        return 1
    if not args:
        return _module_usage(1, "missing subcommand")
    if args[0].startswith("-"):
        OptParser("flux-module", "COMMAND [OPTIONS]").parse(args)  # exits on a bad option
        return _module_usage(1, "missing subcommand")
    name = args[0]
    known = {n: (u, d) for n, u, d in MODULE_SUBCOMMANDS}
    known["unload"] = known["remove"]
    if name not in known:
        return _module_usage(1, f"Unknown subcommand: {name}")
    usage, doc = known[name]
    options = [Option("long", "l", usage="Include full DSO path for each module")] if name == "list" else []
    parser = OptParser(f"flux-module {name}", usage, options, doc)
    opts = parser.parse(args[1:])
    if name != "list":
        die("flux-module", f"{name}: not supported by fakeflux")
    if opts.args:
        parser.print_usage()
        return 1
    h = open_handle("flux-module")
    try:
        mods = h.rpc("module.list", nodeid=NODEID_ANY).get()["mods"]
    except OSError as exc:
        die_err("flux-module", "list", exc)
    longopt = opts.has("long")
    if longopt:
        print(f"{'Module':<25.25} {'Idle':>4}  S Sendq Recvq {'Service':<8} Path")
    else:
        print(f"{'Module':<25} {'Idle':>4}  S Sendq Recvq Service")
    for mod in mods:
        idle = str(mod["idle"]) if mod["idle"] <= MAX_IDLE else "idle"
        state = _STATE_CHARS.get(mod["status"], "?")
        row = f"{mod['name']:<25.25} {idle:>4}  {state} {mod.get('sendqueue', 0):5d} {mod.get('recvqueue', 0):5d} "
        if longopt:
            print(f"{row}{_services(mod['services'], mod['name'], 8):<8} {mod['path']}")
        else:
            print(f"{row}{_services(mod['services'], mod['name'], 0)}")
    return 0
