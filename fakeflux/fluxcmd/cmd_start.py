"""``flux start``: a new fakeflux instance running COMMAND (flux-core's flux-start.c).

The only subcommand that imports :mod:`fakeflux.io`: it starts an instance (of
``--test-size`` ranks, in this process's broker thread), runs COMMAND with
FLUX_URI pointing at rank 0 and this front end on PATH, and exits with
COMMAND's status (128+N when a signal N killed it).  Run inside an instance, it
starts a new, separate one, as ``flux start --test-size`` does.  Without
COMMAND it runs ``$SHELL``, as flux-core's initial program does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any, Dict, List, Optional

from .common import die
from .optparse import OPTIONAL_ARG, REQUIRED_ARG, Option, OptParser, Parsed
from .parse import parse_int

PROG = "flux-start"
OPTIONS = [
    Option("setattr", "S", REQUIRED_ARG, "ATTR=VAL", "Set broker attribute", autosplit=True),
    Option("config-path", "c", REQUIRED_ARG, "PATH", "Set broker config from PATH (default: none)"),
    Option("conf", "", REQUIRED_ARG, "VALUE", "Update broker config from VALUE"),
    Option("recovery", "r", OPTIONAL_ARG, "[TARGET]", "Start instance in recovery mode with dump file or statedir"),
    Option("sysconfig", "", usage="Load system configuration"),
    Option("verbose", "v", OPTIONAL_ARG, "[LEVEL]", "Be annoyingly informative by degrees"),
    Option("noexec", "X", usage="Don't execute (useful with -v, --verbose)"),
    Option(
        "broker-opts", "o", REQUIRED_ARG, "OPTS", 'Add comma-separated broker options, e.g. "-o,-v"', autosplit=True
    ),
    Option("wrap", "", REQUIRED_ARG, "ARGS,...", "Wrap broker execution in comma-separated arguments", autosplit=True),
    Option("test-size", "s", REQUIRED_ARG, "N", "Start a test instance by launching N brokers locally"),
    Option("test-hosts", "", REQUIRED_ARG, "HOSTLIST", "Set fake hostnames for brokers"),
    Option("test-exit-timeout", "", REQUIRED_ARG, "FSD", "After a broker exits, kill other brokers after timeout"),
    Option(
        "test-exit-mode", "", REQUIRED_ARG, "any|leader", "Trigger exit timer on leader/any broker exit (default=any)"
    ),
    Option(
        "test-start-mode", "", REQUIRED_ARG, "all|leader", "Start all brokers immediately or just leader (default=all)"
    ),
    Option("test-rundir", "", REQUIRED_ARG, "DIR", "Use DIR as broker run directory"),
    Option("test-rundir-cleanup", "", usage="Clean up --test-rundir DIR upon flux-start completion"),
    Option(
        "test-pmi-clique",
        "",
        REQUIRED_ARG,
        "single|per-broker|none|TASKMAP",
        "Set PMI_process_mapping mode (default=single)",
    ),
    Option("killer-timeout", "", REQUIRED_ARG, "FSD", "(deprecated)", hidden=True),
]


def _merge(into: Dict[str, Any], update: Dict[str, Any]) -> None:
    """json_object_update_recursive."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _conf_value(text: str) -> Dict[str, Any]:
    """--conf VALUE: inline JSON (starts with '{'), inline TOML (has '='), else a file."""
    from fakeflux.broker.config import ConfigError, load_path

    if text.lstrip(" \t\r\n").startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            die(PROG, f"Error parsing --conf: inline JSON: {exc}")
        if not isinstance(value, dict):
            die(PROG, "Error parsing --conf: inline JSON: must be an object")
        return value
    if "=" in text:
        try:
            import tomllib as toml  # type: ignore[import-not-found,unused-ignore]
        except ImportError:  # Python < 3.11
            import tomli as toml  # type: ignore[no-redef,import-not-found,unused-ignore]
        try:
            return dict(toml.loads(text))
        except toml.TOMLDecodeError as exc:
            die(PROG, f"Error parsing --conf: {exc}")
    try:
        return load_path(text)
    except ConfigError as exc:
        die(PROG, f"Error parsing --conf: {exc}")


def _broker_opts(opts: Parsed, attrs: Dict[str, str], confs: List[str]) -> Optional[str]:
    """Broker options given through -o: -Sattr=val, --setattr=attr=val, -cPATH, --conf=VALUE."""
    config_path: Optional[str] = None
    for item in opts.all("broker-opts"):
        if item.startswith("-S") or item.startswith("--setattr="):
            name, _eq, value = (
                item[2:].lstrip("=").partition("=")
                if item.startswith("-S")
                else item[len("--setattr=") :].partition("=")
            )
            attrs[name] = value
        elif item.startswith("--conf="):
            confs.append(item[len("--conf=") :])
        elif item.startswith("-c") or item.startswith("--config-path="):
            config_path = item[2:] if item.startswith("-c") else item[len("--config-path=") :]
    return config_path


def _child_environment(uri: str) -> Dict[str, str]:
    from .cmd_env import command_environment

    env = dict(os.environ)
    for name in ("FLUX_KVS_NAMESPACE", "FLUX_JOB_ID", "FLUX_JOB_SIZE", "FLUX_JOB_NNODES", "FLUX_PROXY_REMOTE"):
        env.pop(name, None)
    env["FLUX_URI"] = uri
    env.update({k: v for k, v in command_environment().items() if k != "FLUX_URI"})
    env["FLUX_URI"] = uri
    return env


def main(argv: List[str]) -> int:
    parser = OptParser(PROG, "[OPTIONS] command ...", OPTIONS)
    opts = parser.parse(argv[1:])
    size = parse_int(PROG, "test-size", opts.get("test-size", "1") or "1") if opts.has("test-size") else 1
    if size < 1:
        die(PROG, "--test-size argument must be > 0")
    attrs: Dict[str, str] = {}
    for item in opts.all("setattr"):
        name, eq, value = item.partition("=")
        attrs[name] = value
    confs = list(opts.all("conf"))
    config_path = _broker_opts(opts, attrs, confs) or opts.get("config-path")
    if opts.has("noexec"):
        return 0
    config: Dict[str, Any] = {}
    if config_path is not None:
        from fakeflux.broker.config import ConfigError, load_path

        try:
            config = load_path(config_path)
        except ConfigError as exc:
            die(PROG, f"Config file error: {exc}")
    for text in confs:
        _merge(config, _conf_value(text))
    return _run(size, attrs, config, list(opts.args), opts.get("test-rundir"))


def _initial_program(command: List[str]) -> Optional[List[str]]:
    """The broker's rc2 as flux-core's chooses it: a lone shell name (or nothing) is an
    interactive $SHELL, which needs a terminal (None: there is none); a lone word that
    is no executable file, or has blanks, runs through ``$SHELL -c``; else it is exec'd."""
    shell = os.environ.get("SHELL") or "/bin/bash"
    if not command or (len(command) == 1 and os.path.basename(command[0]) in _login_shells()):
        return [command[0] if command else shell] if sys.stdin.isatty() else None
    if len(command) == 1:
        word = command[0]
        plain = not any(c.isspace() for c in word)
        if not (plain and os.path.isfile(word) and os.access(word, os.X_OK | os.R_OK)):
            return [shell, "-c", word]
    return command


def _login_shells() -> List[str]:
    try:
        with open("/etc/shells") as f:
            names = [os.path.basename(line.strip()) for line in f if line.startswith("/")]
    except OSError:
        names = ["sh", "bash"]
    return [n for n in names if n not in ("true", "false")]


def _broker_log(severity: int, message: str) -> None:
    """A line of the broker's log on stderr, as flux-core's broker prints rank 0's."""
    from fakeflux.broker import stdlog

    entry = stdlog.decode(stdlog.encode(severity, "0", "broker", os.getpid(), message))
    if entry is not None:
        sys.stderr.write(stdlog.stderr_line(entry) + "\n")
        sys.stderr.flush()


def _post_uri_memo(lineage: Dict[str, str], hostname: str, local_uri: str) -> None:
    """What a broker run as a job tells its enclosing instance once up (the
    broker's bootstrap.c): a ``uri`` memo on its job, ssh://HOST/PATH of its
    local URI, which ``flux uri JOBID`` and ``flux alloc --bg`` wait for."""
    import flux  # type: ignore[import-not-found,unused-ignore]
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    if not hostname:
        import socket

        hostname = socket.gethostname()
    uri = f"ssh://{hostname}{local_uri[len('local://'):]}"
    try:
        parent = flux.Flux(lineage["parent-uri"])
        jobid = int(JobID(lineage["jobid"]))
        parent.rpc("job-manager.memo", {"id": jobid, "memo": {"uri": uri}}).get()
    except OSError as exc:
        _broker_log(3, f"job-manager.memo uri: {exc.strerror or exc}")


def _run(
    size: int,
    attrs: Dict[str, str],
    config: Dict[str, Any],
    command: List[str],
    rundir: Optional[str],
    lineage: Optional[Dict[str, str]] = None,
    prog: str = PROG,
) -> int:
    import time

    from fakeflux.io.instance import Instance, InstanceError

    argv = _initial_program(command)
    if argv is None:
        _broker_log(2, "stdin is not a tty - can't run interactive shell")
        return 1
    try:
        instance = Instance(size=size, attrs=attrs, config=config, rundir=rundir).start()
    except ValueError as exc:  # a bad -S: the broker refuses it, as flux-broker does
        die("flux-broker", str(exc))
    except (InstanceError, OSError) as exc:
        die(PROG, str(exc))
    for name, value in (lineage or {}).items():
        instance.setattr(name, value)  # read-only attributes: set as a job's broker sets them
    if lineage:
        _post_uri_memo(lineage, instance.getattr("hostname") or "", instance.uri(0))
    shell = os.environ.get("SHELL") or "/bin/bash"
    # the log leaves out "$SHELL -c", as runat.c does
    shown = " ".join(argv[2:] if argv[:2] == [shell, "-c"] and len(argv) > 2 else argv)
    started = time.monotonic()
    try:
        try:
            child = subprocess.Popen(argv, env=_child_environment(instance.uri(0)))
        except OSError as exc:
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            sys.stderr.write(f"{prog}: {argv[0]}: {exc.strerror}\n")
            _broker_log(3, f"rc2.0: {shown} Exited (rc={code}) 0.0s")
            return code

        def forward(signum: int, _frame: object) -> None:
            child.send_signal(signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, forward)
        status = child.wait()
    finally:
        instance.stop()
    code = status if status >= 0 else 128 - status
    if code:
        how = "Exited" if status >= 0 else (signal.strsignal(-status) or f"Signal {-status}")
        _broker_log(3, f"rc2.0: {shown} {how} (rc={code}) {time.monotonic() - started:.1f}s")
    return code


BROKER_OPTIONS = [
    Option("setattr", "S", REQUIRED_ARG, "ATTR=VAL", "Set broker attribute"),
    Option("config-path", "c", REQUIRED_ARG, "PATH", "Set broker config from PATH (default: none)"),
    Option("conf", "", REQUIRED_ARG, "VALUE", "Update broker config from VALUE"),
    Option("verbose", "v", OPTIONAL_ARG, "[LEVEL]", "Be annoyingly informative by degrees"),
    Option("heartrate", "H", REQUIRED_ARG, "SECONDS", "Set heartrate in seconds (rank 0 only)", hidden=True),
]


def main_broker(argv: List[str]) -> int:
    """``flux broker [OPTIONS] [INITIAL-PROGRAM...]`` as a job's task (``flux batch``/``alloc``
    run it): task 0 starts a fakeflux instance of one rank per task of the job, tells it
    where it comes from (parent-uri, jobid, instance-level) and runs the initial program in
    it; the other tasks have nothing to do, as their brokers would only serve ranks."""
    parser = OptParser("flux-broker", "[OPTIONS] [initial-command ...]", BROKER_OPTIONS)
    opts = parser.parse(argv[1:])
    if os.environ.get("FLUX_TASK_RANK", "0") != "0":
        return 0
    size = int(os.environ.get("FLUX_JOB_SIZE", "1") or "1")
    attrs: Dict[str, str] = {}
    for item in opts.all("setattr"):
        name, _eq, value = item.partition("=")
        attrs[name] = value
    config: Dict[str, Any] = {}
    path = opts.get("config-path")
    if path is not None:
        config = _read_config(path)
    for text in opts.all("conf"):
        _merge(config, _conf_value(text))
    command = list(opts.args)
    lineage = _lineage()
    if attrs.get("broker.rc2_none") == "1":
        command = ["sh", "-c", "exec sleep infinity"]
    return _run(size, attrs, config, command, None, lineage, prog="flux-broker")


def _read_config(path: str) -> Dict[str, Any]:
    if path.endswith(".json") and os.path.isfile(path):
        try:
            with open(path) as f:
                value = json.load(f)
        except (OSError, ValueError) as exc:
            die("flux-broker", f"{path}: {exc}")
        return value if isinstance(value, dict) else {}
    from fakeflux.broker.config import ConfigError, load_path

    try:
        return load_path(path)
    except ConfigError as exc:
        die("flux-broker", f"Config file error: {exc}")


def _lineage() -> Dict[str, str]:
    """The attributes a broker run as a job sets from its enclosing instance."""
    uri = os.environ.get("FLUX_URI")
    jobid = os.environ.get("FLUX_JOB_ID")
    if not uri or not jobid:
        return {}
    from .common import open_handle

    level = 0
    path = ""
    try:
        h = open_handle("flux-broker")
        level = int(h.attr_get("instance-level"))
        try:
            path = h.attr_get("jobid-path")
        except OSError:
            path = ""
        del h  # flux handles close when dropped (close() itself is refused, as in flux-core)
    except (OSError, ValueError):
        pass
    from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

    decimal = str(int(JobID(jobid)))
    # jobid and jobid-path as the job shell gave FLUX_JOB_ID (F58), the namespace in decimal
    return {
        "parent-uri": uri,
        "jobid": jobid,
        "instance-level": str(level + 1),
        "jobid-path": f"{path}/{jobid}" if path and path != "/" else f"/{jobid}",
        "parent-kvs-namespace": f"job-{decimal}",
    }
