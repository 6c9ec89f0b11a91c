"""``flux ping [OPTIONS] TARGET`` (flux-core's flux-ping.c): TARGET is ``[NODEID!]SERVICE``
or a NODEID (then the service is ``broker``); one line per response."""

from __future__ import annotations

import sys
import time
from typing import List, Tuple

from .common import die, die_err, open_handle
from .optparse import REQUIRED_ARG, Option, OptParser
from .parse import parse_duration, parse_int

PROG = "flux-ping"
NODEID_ANY = 0xFFFFFFFF
NODEID_UPSTREAM = 0xFFFFFFFE

OPTIONS = [
    Option("rank", "r", REQUIRED_ARG, "RANK", "Find target on a specific broker rank"),
    Option("pad", "p", REQUIRED_ARG, "N", "Include in the payload a string of length N bytes"),
    Option("interval", "i", REQUIRED_ARG, "N", "Specify the delay, in seconds, between successive requests"),
    Option("count", "c", REQUIRED_ARG, "N", "Specify the number of requests to send"),
    Option("batch", "b", usage="Begin processing responses after all requests are sent"),
    Option("userid", "u", usage="Include userid and rolemask in ping output"),
]


def _nodeid(text: str) -> Tuple[int, str] | None:
    if text == "any":
        return NODEID_ANY, "any"
    if text == "upstream":
        return NODEID_UPSTREAM, "upstream"
    if text.isdigit():
        return int(text), str(int(text))
    return None


def _bang(rank: int) -> str:
    if rank == NODEID_ANY:
        return ""
    if rank == NODEID_UPSTREAM:
        return "upstream!"
    return f"{rank}!"


def main(argv: List[str]) -> int:
    parser = OptParser(PROG, "[OPTIONS] TARGET", OPTIONS)
    opts = parser.parse(argv[1:])
    if len(opts.args) != 1:
        parser.print_usage()
        return 1
    target = opts.args[0]
    pad = parse_int(PROG, "pad", opts.get("pad", "0") or "0")
    if opts.has("rank"):
        if "!" in target:
            die(PROG, "--rank and TARGET both try to specify a nodeid")
        target = f"{opts.get('rank')}!{target}"
    interval = parse_duration(PROG, "interval", opts.get("interval", "1.0") or "1.0")
    if interval < 0:
        die(PROG, "interval must be >= 0")
    count = parse_int(PROG, "count", opts.get("count", "0") or "0")
    if count < 0:
        die(PROG, "count must be >= 0")
    if opts.has("batch") and count == 0:
        die(PROG, "--batch should only be used with --count")
    h = open_handle(PROG)
    node, bang, service = target.partition("!")
    if bang:
        parsed = _nodeid(node)
        if parsed is None:
            die(PROG, f"invalid nodeid/host: '{node}'")
    else:
        parsed = _nodeid(target)
        service = "broker" if parsed is not None else target
        if parsed is None:
            parsed = (NODEID_ANY, "any")
    nodeid, nodestr = parsed
    topic = f"{service}.ping"
    print(f"flux-ping {nodestr}!{service}")
    padding = "p" * pad
    sent = 0
    pending = []
    while count == 0 or sent < count:
        now = time.monotonic_ns()
        payload = {"seq": sent, "time.tv_sec": now // 10**9, "time.tv_nsec": now % 10**9, "pad": padding}
        pending.append(h.rpc(topic, payload, nodeid=nodeid))
        sent += 1
        if not opts.has("batch"):
            _report(pending.pop(), topic, nodeid, padding, opts.has("userid"))
        if count == 0 or sent < count:
            time.sleep(interval)
    for future in pending:
        _report(future, topic, nodeid, padding, opts.has("userid"))
    return 0


def _report(future: object, topic: str, nodeid: int, padding: str, userid: bool) -> None:
    try:
        resp = future.get()  # type: ignore[attr-defined]
    except OSError as exc:
        die_err(PROG, f"{_bang(nodeid)}{topic}", exc)
    elapsed_ms = (time.monotonic_ns() - (resp["time.tv_sec"] * 10**9 + resp["time.tv_nsec"])) / 1e6
    if resp.get("pad") != padding:
        die(PROG, f"{_bang(nodeid)}{topic}: padding contents invalid")
    cred = f" userid={resp['userid']} rolemask=0x{resp['rolemask']:x}" if userid else ""
    print(
        f"{_bang(resp['rank'])}{topic} pad={len(padding)}{cred} seq={resp['seq']} "
        f"time={elapsed_ms:0.3f} ms ({resp['route']})"
    )
    if sys.stdout.isatty():
        sys.stdout.flush()
