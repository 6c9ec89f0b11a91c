"""``flux exec`` (flux-core's flux-exec.c): run a command on ranks of the instance.

fakeflux's ranks all live on this machine, so the command runs here once per
target rank, with that rank's environment as its broker would give it
(FLUX_URI at the rank's own socket); output is forwarded (``-l``: labelled
``RANK: line``) and the exit status is the largest of the processes' (128+N
for a signal N), with flux-exec's ``RANKS: Exit N`` lines on stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import IO, Any, Dict, List, Optional

from .common import die, error_text, open_handle
from .optparse import REQUIRED_ARG, Option, OptParser

PROG = "flux-exec"
OPTIONS = [
    Option("rank", "r", REQUIRED_ARG, "IDSET", 'Specify target ranks.  Default is "all"'),
    Option("exclude", "x", REQUIRED_ARG, "IDSET", "Exclude ranks from target."),
    Option("bg", "", usage="Run process in background and exit"),
    Option("waitable", "", usage="Process remains a zombie until exit status is collected"),
    Option("attach", "", REQUIRED_ARG, "", "Attach to a running background process (arg is pid or label)"),
    Option("label", "", REQUIRED_ARG, "LABEL", "Set a remote process label."),
    Option("dir", "d", REQUIRED_ARG, "PATH", "Set the working directory to PATH"),
    Option("label-io", "l", usage="Label lines of output with the source RANK"),
    Option("noinput", "n", usage="Redirect stdin from /dev/null"),
    Option("verbose", "v", usage="Run with more verbosity."),
    Option("quiet", "q", usage="Suppress extraneous output."),
    Option("service", "", REQUIRED_ARG, "NAME", "Override service name (default: rexec).", hidden=True),
    Option(
        "setopt", "", REQUIRED_ARG, "NAME=VALUE", "Set subprocess option NAME to VALUE (multiple use ok)", hidden=True
    ),
    Option("stdin-flow", "", REQUIRED_ARG, "on|off", "Forcibly enable or disable stdin flow control", hidden=True),
    Option("with-imp", "", usage="Run args under 'flux-imp run'"),
    Option(
        "jobid",
        "j",
        REQUIRED_ARG,
        "JOBID",
        "Set target ranks to nodes assigned to JOBID and  service name to job shell exec service",
    ),
]


def _ranks(h: Any, opts: Any) -> List[int]:
    from flux.idset import IDset  # type: ignore[import-not-found,unused-ignore]

    size = int(h.attr_get("size"))
    spec = opts.get("rank", "all") or "all"
    ranks = set(range(size)) if spec == "all" else set(_idset(IDset, spec, "--rank"))
    bad = sorted(r for r in ranks if r >= size)
    if bad:
        die(PROG, f"One or more invalid --ranks specified: {IDset(','.join(map(str, bad)))}")
    if opts.has("exclude"):
        ranks -= set(_idset(IDset, opts.get("exclude") or "", "--exclude"))
    return sorted(ranks)


def _idset(cls: Any, text: str, option: str) -> List[int]:
    try:
        return list(cls(text))
    except (ValueError, OSError):
        die(PROG, f"{option}: invalid idset: {text}")


def _pump(stream: IO[bytes], out: IO[bytes], label: str, lock: threading.Lock) -> None:
    for line in iter(stream.readline, b""):
        with lock:
            out.write(label.encode() + line if label else line)
            out.flush()
    stream.close()


def main(argv: List[str]) -> int:
    parser = OptParser(PROG, None, OPTIONS)
    opts = parser.parse(argv[1:])
    if not opts.args:
        parser.print_usage()
        return 1
    h = open_handle(PROG)
    ranks = _ranks(h, opts)
    if not ranks:
        return 0
    cwd = opts.get("dir") or os.getcwd()
    procs: Dict[int, subprocess.Popen[bytes]] = {}
    threads: List[threading.Thread] = []
    lock = threading.Lock()
    status = 0
    for rank in ranks:
        env = dict(os.environ)
        try:
            env["FLUX_URI"] = h.rpc("attr.get", {"name": "local-uri"}, nodeid=rank).get()["value"]
        except OSError as exc:
            die(PROG, f"Error: rank {rank}: {error_text(exc)}")
        stdin: Optional[int] = subprocess.DEVNULL if opts.has("noinput") or len(ranks) > 1 else None
        try:
            proc = subprocess.Popen(
                opts.args, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            sys.stderr.write(
                f"{PROG}: Error: rank {rank}: {opts.args[0]}: error launching process: {os.strerror(exc.errno or 0)}\n"
            )
            status = max(status, 127 if isinstance(exc, FileNotFoundError) else 126)
            continue
        procs[rank] = proc
        label = f"{rank}: " if opts.has("label-io") else ""
        assert proc.stdout is not None and proc.stderr is not None
        for src, dst in ((proc.stdout, sys.stdout.buffer), (proc.stderr, sys.stderr.buffer)):
            thread = threading.Thread(target=_pump, args=(src, dst, label, lock), daemon=True)
            thread.start()
            threads.append(thread)
    sys.stdout.flush()
    by_outcome: Dict[str, List[int]] = {}
    for rank, proc in procs.items():
        code = proc.wait()
        if code < 0:
            by_outcome.setdefault(signal.strsignal(-code) or f"Signal {-code}", []).append(rank)
            status = max(status, 128 - code)
        elif code > 0:
            by_outcome.setdefault(f"Exit {code}", []).append(rank)
            status = max(status, code)
    for thread in threads:
        thread.join()
    from flux.idset import IDset  # type: ignore[import-not-found,unused-ignore]

    for outcome, which in by_outcome.items():
        sys.stderr.write(f"{IDset(','.join(map(str, which)))}: {outcome}\n")
    return status
