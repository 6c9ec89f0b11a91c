"""``flux logger`` (flux-logger.c) and ``flux dmesg`` (builtin/dmesg.c)."""

from __future__ import annotations

import errno
import sys
from typing import List

from . import stdlog
from .common import die, error_text, open_handle
from .optparse import OPTIONAL_ARG, REQUIRED_ARG, Option, OptParser

LOGGER_USAGE = "Usage: flux-logger [--severity LEVEL] [--appname NAME] message ...\n"


def main_logger(argv: List[str]) -> int:
    # flux-logger uses plain getopt_long with its own usage (exit 1, also for --help).
    parser = OptParser(
        "logger",  # getopt_long's messages name the program as flux-core's front end runs it
        None,
        [Option("severity", "s", REQUIRED_ARG), Option("appname", "n", REQUIRED_ARG)],
    )
    parser.getopt_usage = LOGGER_USAGE
    opts = parser.parse(argv[1:])
    severity = 5  # LOG_NOTICE
    if opts.has("severity"):
        found = stdlog.severity_from_name(opts.get("severity") or "")
        if found is None:
            die("flux-logger", "invalid severity: Use emerg|alert|crit|err|warning|notice|info|debug")
        severity = found
    message = " ".join(opts.args) if opts.args else sys.stdin.read()
    h = open_handle("flux-logger")
    h.handle.conn.log_appname = opts.get("appname", "logger")
    h.log(severity, message.replace("%", "%%"))
    # log.append has no answer: a ping on the same connection makes sure the line got there.
    h.rpc("broker.ping", {}).get()
    return 0


def main_dmesg(argv: List[str]) -> int:
    parser = OptParser(
        "flux dmesg",
        None,
        [
            Option("clear", "C", usage="Clear the ring buffer"),
            Option("read-clear", "c", usage="Clear the ring buffer contents after printing"),
            Option("follow", "f", usage="Track new entries as are logged"),
            Option("new", "n", usage="Show only new log messages"),
            Option("human", "H", usage="Human readable output"),
            Option("delta", "d", usage="With --human, show timestamp delta between messages"),
            Option(
                "color",
                "L",
                OPTIONAL_ARG,
                "WHEN",
                "Colorize output when supported; WHEN can be 'always' (default if omitted), 'never', or "
                "'auto' (default).",
            ),
        ],
    )
    opts = parser.parse(argv[1:])
    prog = "flux-dmesg"
    if opts.args:
        die(prog, "flux-dmesg accepts no free arguments")
    if opts.has("delta") and not opts.has("human"):
        die(prog, "--delta can only be used with --human")
    h = open_handle(prog)
    if not opts.has("clear"):
        clock = stdlog.HumanClock(opts.has("delta")) if opts.has("human") else None
        future = h.rpc("log.dmesg", {"follow": opts.has("follow"), "nobacklog": opts.has("new")}, flags=_streaming())
        try:
            while True:
                line = future.get_str()
                if line is None:
                    break
                entry = stdlog.decode(line)
                stamp = (
                    ""
                    if entry is None
                    else (clock.stamp(entry.timestamp) if clock else stdlog.iso_timestamp(entry.timestamp))
                )
                print(stdlog.format_line(line, stamp), flush=True)
                future.reset()
        except OSError as exc:
            if exc.errno != errno.ENODATA:
                die(prog, f"log.dmesg: {error_text(exc)}")
    if opts.has("read-clear") or opts.has("clear"):
        try:
            h.rpc("log.clear").get()
        except OSError as exc:
            die(prog, f"log.clear: {error_text(exc)}")
    return 0


def _streaming() -> int:
    from flux.constants import FLUX_RPC_STREAMING  # type: ignore[import-not-found,unused-ignore]

    return int(FLUX_RPC_STREAMING)
