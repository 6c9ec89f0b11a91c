"""``fakeflux replay`` and ``fakeflux record``."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from typing import Dict, List, Optional

REPLAY_HELP = (
    "Run COMMAND against an instance built from SCENARIO (YAML, or its msgpack form), with FLUX_URI set to "
    "rank 0; without COMMAND, print FLUX_URI=... and serve until signalled. Then check the scenario's "
    "expectations: exit status 1 with a report on stderr when one failed or a request matched no handler, "
    "the command's status when it failed, 2 for a bad scenario, else 0."
)
RECORD_HELP = (
    "Put a relay socket in front of the broker at --upstream (fake or real), run COMMAND with FLUX_URI "
    "pointing at the relay (or print FLUX_URI=... and serve until signalled), and write the conversation "
    "as a scenario to --out (YAML; msgpack when the name ends in .msgpack or .mpk)."
)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser("replay", help="run a command against a scenario", description=REPLAY_HELP)
    replay.add_argument("scenario", metavar="SCENARIO", help="the scenario file")
    replay.add_argument("--rundir", metavar="DIR", help="run directory (default: a new private one in /tmp)")
    replay.add_argument("-v", "--verbose", action="store_true", help="report every expectation, met or not")
    _python_client(replay)
    replay.add_argument("cmd", nargs=argparse.REMAINDER, metavar="COMMAND [ARG]...")

    record = sub.add_parser("record", help="record a conversation as a scenario", description=RECORD_HELP)
    record.add_argument("--upstream", metavar="URI", help="the broker to relay to (default: $FLUX_URI)")
    record.add_argument("--out", "-o", metavar="FILE", required=True, help="the scenario to write")
    record.add_argument(
        "--timing", action="store_true", help="keep response times of 10 ms or more as delays in the scenario"
    )
    _python_client(record)
    record.add_argument("cmd", nargs=argparse.REMAINDER, metavar="COMMAND [ARG]...")


def _python_client(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python-client",
        choices=("compat", "real", "auto"),
        default="auto",
        help="which flux Python package COMMAND imports (as for fakeflux start)",
    )


def _command(args: argparse.Namespace, prog: str) -> List[str]:
    cmd: List[str] = list(args.cmd)
    if cmd and cmd[0].startswith("-") and cmd[0] != "--":
        print(f"{prog}: error: option {cmd[0]} must come before the scenario (COMMAND follows --)", file=sys.stderr)
        raise SystemExit(2)
    return cmd[1:] if cmd and cmd[0] == "--" else cmd


def _run_child(cmd: List[str], env: Dict[str, str], prog: str) -> int:
    try:
        child = subprocess.Popen(cmd, env=env)
    except OSError as exc:
        print(f"{prog}: {cmd[0]}: {exc.strerror}", file=sys.stderr)
        return 127 if isinstance(exc, FileNotFoundError) else 126

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        status = child.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    return status if status >= 0 else 128 - status


def _serve_until_signalled(uri: str) -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"FLUX_URI={uri}", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def run_replay(args: argparse.Namespace) -> int:
    from fakeflux.cli import _child_env
    from fakeflux.scenarios import ScenarioError, ScenarioRun, load

    prog = "fakeflux replay"
    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    cmd = _command(args, prog)
    run = ScenarioRun(scenario)
    try:
        inst = run.start(rundir=args.rundir)
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"{prog}: {scenario.source}: cannot start the instance: {exc}", file=sys.stderr)
        return 2
    status = 0
    try:
        if cmd:
            status = _run_child(cmd, _child_env(inst.uri(0), args.python_client), prog)
        else:
            _serve_until_signalled(inst.uri(0))
        result = run.result()
    finally:
        inst.stop()
    print(f"{prog}: {result.report(verbose=args.verbose)}", file=sys.stderr)
    if status:
        return status
    return 0 if result.ok else 1


def run_record(args: argparse.Namespace) -> int:
    from fakeflux.cli import _child_env
    from fakeflux.scenarios.recorder import Recorder, header, probe_upstream, to_scenario, write
    from fakeflux.scenarios.relay import Relay

    prog = "fakeflux record"
    cmd = _command(args, prog)
    upstream: Optional[str] = args.upstream or os.environ.get("FLUX_URI")
    if not upstream:
        print(f"{prog}: no upstream: give --upstream URI or set FLUX_URI", file=sys.stderr)
        return 2
    try:
        size, attrs = probe_upstream(upstream)
        recorder = Recorder()
        relay = Relay(upstream, recorder.on_message)
    except (OSError, ValueError) as exc:
        print(f"{prog}: cannot relay to {upstream}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    relay.start_thread()
    status = 0
    try:
        if cmd:
            status = _run_child(cmd, _child_env(relay.uri, args.python_client), prog)
        else:
            _serve_until_signalled(relay.uri)
    finally:
        relay.stop()
    records = recorder.snapshot()
    data = to_scenario(records, upstream=upstream, size=size, attributes=attrs, timing=args.timing)
    try:
        write(args.out, data, header(upstream, cmd))
    except OSError as exc:
        print(f"{prog}: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    handlers = sum(len(v["handlers"] if isinstance(v, dict) else v) for v in data.get("services", {}).values())
    print(
        f"{prog}: {len(records)} messages on {relay.connections} connection(s); wrote {args.out}: "
        f"{handlers} handler(s) in {len(data.get('services', {}))} service(s), {len(data.get('events', []))} event(s)",
        file=sys.stderr,
    )
    for note in relay.notes:
        print(f"{prog}: note: {note}", file=sys.stderr)
    return status
