"""``flux event pub|sub`` (flux-core's flux-event.c)."""

from __future__ import annotations

import base64
import sys
from typing import Any, List, Optional

from .common import die_err, open_handle
from .optparse import REQUIRED_ARG, Option, OptParser
from .parse import parse_int

PROG = "flux-event"
PUB_USAGE = "[OPTIONS] topic [payload]"
SUB_USAGE = "[OPTIONS] [topic...]"
PUB_OPTIONS = [
    Option("raw", "r", usage="Interpret event payload as raw."),
    Option("synchronous", "s", usage="Wait for event sequence assignment before exiting."),
    Option("loopback", "l", usage="Wait for published event to be received before exiting."),
    Option("private", "p", usage="Set privacy flag on published event."),
]
SUB_OPTIONS = [Option("count", "c", REQUIRED_ARG, "N", "Process N events then exit")]
FLAG_PRIVATE = 0x20


def _usage() -> None:
    options = OptParser(PROG).usage_text().split("\n", 1)[1]
    sys.stderr.write(f"Usage: flux-event pub {PUB_USAGE}\n   or: flux-event sub {SUB_USAGE}\n{options}")


def main(argv: List[str]) -> int:
    args = argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        _usage()
        return 0
    if not args or args[0].startswith("-") or args[0] not in ("pub", "sub"):
        if args and args[0].startswith("-"):
            OptParser(PROG).parse(args)  # flux-event's own options: only --help
        if args and not args[0].startswith("-"):
            sys.stderr.write(f"{PROG}: Unknown subcommand: {args[0]}\n")
        _usage()
        return 1
    h = open_handle(PROG)
    if args[0] == "pub":
        return _pub(h, args[1:])
    return _sub(h, args[1:])


def _pub(h: Any, args: List[str]) -> int:
    parser = OptParser(f"{PROG} pub", PUB_USAGE, PUB_OPTIONS)
    opts = parser.parse(args)
    if not opts.args:
        parser.print_usage()
        return 1
    topic = opts.args[0]
    payload: Optional[str] = " ".join(opts.args[1:]) if len(opts.args) > 1 else None
    private = opts.has("private")
    if opts.has("loopback"):
        h.event_subscribe(topic)
    try:
        if opts.has("synchronous") or private:  # a private event goes by RPC, with its flag
            data = payload.encode() if payload is not None else b""
            if payload is not None and not opts.has("raw"):
                data += b"\0"
            req = {"topic": topic, "flags": FLAG_PRIVATE if private else 0}
            if data:
                req["payload"] = base64.b64encode(data).decode()
            seq = h.rpc("event.publish", req).get()["seq"]
            if opts.has("synchronous"):
                print(f"seq={seq}")
        else:
            h.send(h.event_create(topic, payload))
    except OSError as exc:
        die_err(PROG, "publish failed", exc)
    if opts.has("loopback"):
        while True:
            got = h.event_recv(topic)
            if got.payload_str == payload:
                break
    return 0


def _sub(h: Any, args: List[str]) -> int:
    parser = OptParser(f"{PROG} sub", SUB_USAGE, SUB_OPTIONS)
    opts = parser.parse(args)
    count = parse_int("flux-event sub", "count", opts.get("count", "0") or "0")
    topics = opts.args or [""]
    try:
        for topic in topics:
            h.event_subscribe(topic)
    except OSError as exc:
        die_err(PROG, "flux_event_subscribe", exc)
    seen = 0
    while count <= 0 or seen < count:
        msg = h.event_recv()
        try:
            payload = msg.payload_str
        except OSError:
            print("malformed message ignored", flush=True)
            continue
        print(f"{msg.topic}\t{payload if payload is not None else ''}", flush=True)
        seen += 1
    return 0
