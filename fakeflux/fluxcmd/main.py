"""The ``flux`` front end: top-level options, then the subcommand.

As flux-core's ``flux``: ``-h`` lists the commands, ``-V`` runs ``flux version``,
``-p/--parent`` and ``-r/--root`` point FLUX_URI at an enclosing instance, a
subcommand that is not built in is looked up as ``flux-NAME`` on
FLUX_EXEC_PATH and PATH, and anything else is ``flux: `NAME' is not a flux
command``, exit 1.  Subcommand modules are imported only when run, so that
starting the command stays cheap.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Callable, Dict, List, Sequence, Tuple, cast

from .optparse import Option, OptParser

# name -> (module under fakeflux.fluxcmd, function taking argv with argv[0] the command name)
COMMANDS: Dict[str, Tuple[str, str]] = {
    "start": ("cmd_start", "main"),
    "broker": ("cmd_start", "main_broker"),  # what batch and alloc jobs run
    "env": ("cmd_env", "main_env"),
    "python": ("cmd_env", "main_python"),
    "uri": ("cmd_env", "main_uri"),
    "version": ("cmd_env", "main_version"),
    "getattr": ("cmd_attr", "main_getattr"),
    "setattr": ("cmd_attr", "main_setattr"),
    "lsattr": ("cmd_attr", "main_lsattr"),
    "ping": ("cmd_ping", "main"),
    "kvs": ("cmd_kvs", "main"),
    "event": ("cmd_event", "main"),
    "logger": ("cmd_log", "main_logger"),
    "dmesg": ("cmd_log", "main_dmesg"),
    "config": ("cmd_config", "main"),
    "submit": ("cmd_submit", "main_submit"),
    "run": ("cmd_submit", "main_run"),
    "bulksubmit": ("cmd_submit", "main_bulksubmit"),
    "batch": ("cmd_submit", "main_batch"),
    "alloc": ("cmd_submit", "main_alloc"),
    "jobs": ("cmd_jobs", "main"),
    "job": ("cmd_job", "main"),
    "cancel": ("cmd_cancel", "main"),
    "pgrep": ("cmd_pgrep", "main_pgrep"),
    "pkill": ("cmd_pgrep", "main_pkill"),
    "resource": ("cmd_resource", "main"),
    "queue": ("cmd_queue", "main"),
    "overlay": ("cmd_admin", "main_overlay"),
    "module": ("cmd_admin", "main_module"),
    "uptime": ("cmd_admin", "main_uptime"),
    "exec": ("cmd_exec", "main"),
}

# What `flux --help` lists: flux-core's own list, whether or not fakeflux has the command.
HELP_GROUPS: List[Tuple[str, List[Tuple[str, str]]]] = [
    (
        "run and submit jobs, allocate resources",
        [
            ("submit", "submit a job to a Flux instance"),
            ("run", "run a Flux job interactively"),
            ("bulksubmit", "submit jobs in bulk to a Flux instance"),
            ("alloc", "allocate a new Flux instance for interactive use"),
            ("batch", "submit a batch script to Flux"),
        ],
    ),
    (
        "list and interact with jobs",
        [
            ("jobs", "list jobs submitted to Flux"),
            ("top", "display running Flux jobs"),
            ("pstree", "display job hierarchies"),
            ("cancel", "cancel one or more jobs"),
            ("pgrep/pkill", "search or cancel matching jobs"),
            ("job", "get job status, info, etc (see: flux help job)"),
            ("proxy", "proxy connections to Flux jobs and instances"),
            ("watch", "monitor one or more Flux jobs"),
            ("update", "update active Flux jobs"),
        ],
    ),
    (
        "get resource, queue and other instance information",
        [
            ("resource", "list/manipulate Flux resource status"),
            ("queue", "list and manipulate flux queues"),
            ("overlay", "Show flux overlay network status"),
            ("uptime", "Tell how long Flux has been up and running"),
        ],
    ),
    (
        "other useful commands",
        [
            ("start", "bootstrap a local Flux instance"),
            ("version", "Display flux version information"),
            ("config", "Manage/query Flux configuration"),
            ("env", "Print the flux environment or execute a command inside it"),
            ("admin", "Flux administration subcommands"),
            ("hostlist", "fetch, combine, and manipulate Flux hostlists"),
        ],
    ),
]

TOP_OPTIONS = [
    Option("verbose", "v", usage="Be verbose about environment and command search"),
    Option("version", "V", usage="Display command and component versions"),
    Option("parent", "p", usage="Set environment of parent instead of current instance"),
    Option("root", "r", usage="Set environment of root instead of current instance"),
]


def top_parser() -> OptParser:
    return OptParser("flux", "[OPTIONS] COMMAND ARGS", TOP_OPTIONS)


def usage() -> None:
    out = [top_parser().usage_text()]
    out.append("\nFor general Flux documentation, please visit\n    https://flux-framework.readthedocs.io\n")
    for title, commands in HELP_GROUPS:
        out.append(f"\n{title}\n")
        out.extend(f"   {name:<18} {desc}\n" for name, desc in commands)
    out.append("\nSee 'flux help COMMAND' for more information about a specific command.\n")
    sys.stderr.write("".join(out))


def _parent_environment(levels: int) -> None:
    """--parent: FLUX_URI (and FLUX_KVS_NAMESPACE) of the enclosing instance, ``levels`` times."""
    from .common import open_handle

    for _ in range(levels):
        h = open_handle()
        try:
            uri = h.attr_get("parent-uri")
        except OSError:
            return  # the root instance: nothing above it
        try:
            ns = h.attr_get("parent-kvs-namespace")
        except OSError:
            os.environ.pop("FLUX_KVS_NAMESPACE", None)
        else:
            os.environ["FLUX_KVS_NAMESPACE"] = ns
        os.environ["FLUX_URI"] = uri
        del h  # closed when dropped: the next open uses the parent's URI


def _instance_level() -> int:
    from .common import die, die_err, open_handle

    h = open_handle()
    try:
        value = h.attr_get("instance-level")
    except OSError as exc:
        die_err("flux", "failed to get instance-level attribute", exc)
    try:
        return int(value)
    except ValueError:
        die("flux", f"got invalid instance-level attribute: {value}")


def _exec_external(name: str, argv: Sequence[str]) -> None:
    """Run ``flux-NAME`` from FLUX_EXEC_PATH or PATH, as flux-core does for commands it lacks."""
    dirs = [d for d in os.environ.get("FLUX_EXEC_PATH", "").split(":") if d]
    dirs += [d for d in os.environ.get("PATH", "").split(":") if d]
    for folder in dirs:
        for candidate, prefix in ((f"flux-{name}.py", [sys.executable]), (f"flux-{name}", [])):
            path = os.path.join(folder, candidate)
            if os.access(path, os.X_OK if not prefix else os.R_OK) and os.path.isfile(path):
                sys.stdout.flush()
                os.execv(prefix[0] if prefix else path, [*prefix, path, *argv[1:]])


def _similar(name: str) -> List[str]:
    from .textdist import levenshtein

    scored = sorted((levenshtein(name, cmd), cmd) for cmd in COMMANDS)
    best = scored[0][0] if scored else 99
    return [cmd for dist, cmd in scored if dist == best] if best <= 3 else []


def main(argv: Sequence[str]) -> int:
    # flux-core's commands write UTF-8 (the "ƒ" of job ids) whatever the locale says
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="surrogateescape")
    args = list(argv[1:])
    parsed = top_parser().parse(args) if not (args and args[0] in ("-h", "--help")) else None
    if parsed is None:
        usage()
        return 0
    if parsed.has("version"):
        return dispatch(["version"])
    if not parsed.args:
        usage()
        return 1
    if parsed.has("root"):
        _parent_environment(_instance_level())
    elif parsed.has("parent"):
        _parent_environment(parsed.count("parent"))
    if parsed.has("verbose"):
        for name in ("FLUX_URI", "PATH", "PYTHONPATH"):
            if name in os.environ:
                print(f"{name}={os.environ[name]}")
        sys.stdout.flush()
    return dispatch(parsed.args)


def dispatch(args: List[str]) -> int:
    name = args[0]
    if name == "help":
        usage()
        return 0
    entry = COMMANDS.get(name)
    if entry is None:
        _exec_external(name, args)
        sys.stderr.write(f"flux: `{name}' is not a flux command.  See 'flux --help'\n")
        similar = _similar(name)
        if similar:
            sys.stderr.write(f"flux: The most similar command{'s are' if len(similar) > 1 else ' is'}\n")
            for cmd in similar[:3]:
                sys.stderr.write(f"flux: \t{cmd}\n")
        return 1
    module = importlib.import_module(f"fakeflux.fluxcmd.{entry[0]}")
    func = cast(Callable[[List[str]], int], getattr(module, entry[1]))
    try:
        return func(args)
    except BrokenPipeError:
        # `flux jobs | head`: the reader went away, as a C command dies of SIGPIPE
        sys.stderr.close()
        return 141
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug here gets one line naming it, not a traceback
        sys.stdout.flush()
        sys.stderr.write(f"flux-{name}: internal error: {type(exc).__name__}: {exc}\n")
        return 1
