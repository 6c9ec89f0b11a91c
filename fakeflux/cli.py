"""The ``fakeflux`` command line.

``fakeflux start`` mirrors ``flux start --test-size=N``; ``fakeflux
pythonpath`` prints where the compatible ``flux`` package lives;
``fakeflux replay`` and ``fakeflux record`` run and record scenarios
(:mod:`fakeflux.scenarios.cli`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from typing import Dict, List, Optional

from fakeflux.broker.config import Config, ConfigError
from fakeflux.broker.instance import InstanceCore
from fakeflux.broker.topology import TopologyError
from fakeflux.fluxcmd import path_settings
from fakeflux.io.rundir import Rundir, RundirError
from fakeflux.io.server import BrokerServer, ListenError, SocketPathTooLong, TooManySockets


def client_path() -> str:
    """The folder holding fakeflux's pure-Python ``flux`` package (for PYTHONPATH)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "client")


def pythonpath_entries() -> List[str]:
    """What an interpreter needs on PYTHONPATH for ``import flux``: the
    package's folder, and the folder holding ``fakeflux`` itself, since the
    package imports fakeflux's codec (an interpreter other than the one
    fakeflux is installed in would not find it otherwise)."""
    return [client_path(), os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]


def real_flux_importable(env: Dict[str, str]) -> bool:
    """Whether flux-core's own ``flux`` package (its C bindings live in
    ``_flux._core`` beside ``flux``, which fakeflux's package has not) is importable with ``env``."""
    try:
        result = subprocess.run([sys.executable, "-c", "import _flux._core"], env=env, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def print_env() -> None:
    """``fakeflux env``: export lines for a shell (``eval "$(fakeflux env)"``) that put
    fakeflux's ``flux`` command on PATH and its ``flux`` package on PYTHONPATH."""
    import shlex

    settings = path_settings(os.environ)
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    entries = pythonpath_entries()
    settings["PYTHONPATH"] = os.pathsep.join(entries + [p for p in current if p not in entries])
    for name in ("PATH", "PYTHONPATH", "FAKEFLUX_PYTHON"):
        print(f"export {name}={shlex.quote(settings[name])}")


def _setattr(text: str) -> tuple[str, str]:
    name, eq, value = text.partition("=")
    if not eq or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _rank_list(text: str) -> List[int]:
    ranks: List[int] = []
    try:
        for part in text.split(","):
            first, dash, last = part.partition("-")
            ranks.extend(range(int(first), int(last) + 1) if dash else [int(first)])
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid rank list {text!r}: expected e.g. 0,4-7") from None
    return ranks


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid size {value}: must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakeflux", description="A fake Flux broker for testing.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    start = sub.add_parser(
        "start",
        help="start a fake instance (like flux start --test-size=N)",
        description="Start a fake Flux instance of SIZE ranks. With COMMAND, run it with FLUX_URI set "
        "to rank 0 and exit with its status; without, print FLUX_URI=... and serve until signalled.",
    )
    start.add_argument("-s", "--size", "--test-size", type=_size, default=1, help="number of ranks (default 1)")
    start.add_argument(
        "-S",
        "--setattr",
        action="append",
        type=_setattr,
        default=[],
        metavar="NAME=VALUE",
        help="set a broker attribute at start (repeatable)",
    )
    start.add_argument("-c", "--config-path", metavar="PATH", help="TOML config file or directory of them")
    start.add_argument("--config-json", metavar="JSON", help=argparse.SUPPRESS)
    start.add_argument("--rundir", metavar="DIR", help="run directory (default: a new private one)")
    # The process runner's rundir is made for the instance, though given.
    start.add_argument("--rundir-is-private", action="store_true", help=argparse.SUPPRESS)
    start.add_argument(
        "--sockets",
        type=_rank_list,
        metavar="RANKS",
        help="only these ranks get a local socket, e.g. 0,4-7 (default: all; for instances of many thousand ranks)",
    )
    start.add_argument(
        "--python-client",
        choices=("compat", "real", "auto"),
        default="auto",
        help="which flux Python package COMMAND imports: fakeflux's (compat), flux-core's (real), "
        "or flux-core's when importable, else fakeflux's (auto, the default)",
    )
    start.add_argument(
        "--exec",
        choices=("local", "simulated"),
        default=None,
        help="how jobs run: as real processes on this machine (local, the default, as flux start --test-size) "
        "or simulated as flux-core's test executor (simulated; also [fakeflux] exec in the config)",
    )
    start.add_argument("cmd", nargs=argparse.REMAINDER, metavar="COMMAND [ARG]...")

    sub.add_parser("pythonpath", help="print the directory to put on PYTHONPATH for `import flux`")
    sub.add_parser(
        "env",
        help="print shell settings putting fakeflux's `flux` command and package first: eval \"$(fakeflux env)\"",
    )
    sub.add_parser("demo", help="start a 4-rank instance and run the example client against it")
    from fakeflux.scenarios.cli import add_commands

    add_commands(sub)  # replay, record
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "pythonpath":
        print(os.pathsep.join(pythonpath_entries()))
        return 0
    if args.command == "env":
        print_env()
        return 0
    if args.command == "demo":
        return run_demo()
    if args.command in ("replay", "record"):
        from fakeflux.scenarios.cli import run_record, run_replay

        return run_replay(args) if args.command == "replay" else run_record(args)
    return run_start(parser, args)


def run_start(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    cmd: List[str] = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    attrs = dict(args.setattr)
    try:
        if args.config_json is not None and args.config_path is not None:
            parser.error("--config-json and --config-path exclude each other")
        data = json.loads(args.config_json) if args.config_json is not None else None
        config = Config(data=data, path=args.config_path)
    except (ConfigError, ValueError) as exc:
        parser.error(f"config: {exc}")
    try:
        rundir = Rundir(args.rundir)
    except RundirError as exc:
        parser.error(str(exc))
    try:
        try:
            core = InstanceCore(args.size, rundir=rundir.path, attrs=attrs, config=config, stderr=sys.stderr)
            core.jobs.exec_choice = args.exec
            sockets = args.sockets if args.sockets is not None else range(args.size)
            bad = [r for r in sockets if not 0 <= r < args.size]
            if bad:
                parser.error(f"--sockets: rank {bad[0]} is outside an instance of size {args.size}")
            if 0 not in sockets:
                parser.error("--sockets must include rank 0, where FLUX_URI points")
            server = BrokerServer(core, ranks=sockets)
            server.bind(own_rundir=rundir.created or args.rundir_is_private)
        except (TopologyError, SocketPathTooLong, TooManySockets, ListenError) as exc:
            parser.error(str(exc))
        except ValueError as exc:
            parser.error(f"--setattr: {exc}")
        uri = f"local://{rundir.path}/local-0"
        if not cmd:
            return _serve(server, uri)
        return _run_command(server, uri, cmd, args.python_client)
    finally:
        rundir.remove()


def _serve(server: BrokerServer, uri: str) -> int:
    def stop(signum: int, frame: object) -> None:
        server.request_stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"FLUX_URI={uri}", flush=True)
    server.serve_forever()
    return 0


def _child_env(uri: str, python_client: str) -> Dict[str, str]:
    env = dict(os.environ)
    env["FLUX_URI"] = uri
    use_compat = python_client == "compat" or (python_client == "auto" and not real_flux_importable(env))
    if use_compat:
        parts = pythonpath_entries() + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(parts)
        env.update(path_settings(env))  # and fakeflux's `flux` command on PATH
    return env


def _run_command(server: BrokerServer, uri: str, cmd: List[str], python_client: str) -> int:
    server.start_thread()
    try:
        try:
            child = subprocess.Popen(cmd, env=_child_env(uri, python_client))
        except OSError as exc:
            print(f"fakeflux start: {cmd[0]}: {exc.strerror}", file=sys.stderr)
            return 127 if isinstance(exc, FileNotFoundError) else 126

        def forward(signum: int, frame: object) -> None:
            child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        status = child.wait()
    finally:
        server.request_stop()
        if server.thread is not None:
            server.thread.join()
    # As a shell reports it: 128+N for a child killed by signal N.
    return status if status >= 0 else 128 - status


def run_demo() -> int:
    example = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "demo.py")
    if not os.path.exists(example):
        print(f"fakeflux demo: {example} not found (run it from a source checkout)", file=sys.stderr)
        return 1
    return main(["start", "--size", "4", "--python-client", "compat", "--", sys.executable, example])
