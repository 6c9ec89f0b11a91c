"""``pid:`` URIs: the ``FLUX_URI`` a local process was started with.

A broker's own environment names the instance around it (or nothing), so for
a broker the answer comes from its first child, the initial program, which
runs inside the instance. A real broker is the process named ``flux-broker``;
a fakeflux broker is a Python process running ``fakeflux start``, ``flux
start`` or ``flux broker``, recognised by its command line, so that
``flux uri pid:BROKER`` answers for a fakeflux instance as for a real one.
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Callable, Dict, List, Optional, Union

from ..uri import URIResolverPlugin, URIResolverURI

Pid = Union[int, str]

# script (or ``-m`` module) name -> the subcommands that make it a broker
_FAKEFLUX_BROKERS: Dict[str, tuple] = {"fakeflux": ("start",), "flux": ("start", "broker")}


def _no_child(pid: Pid) -> ValueError:
    return ValueError(f"PID {pid} is a flux-broker and no child found")


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def _children_from_task_lists(pid: Pid) -> Pid:
    """The first pid listed in any of the process's ``task/TID/children`` files."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            listed = _read_text(f"/proc/{pid}/task/{tid}/children").split(" ")
        except FileNotFoundError:  # the thread ended while we looked
            continue
        if listed[0]:
            return listed[0]
    raise _no_child(pid)


def _parent_of(pid: int) -> Optional[int]:
    """The ppid field of /proc/PID/stat (None if the process is gone or unreadable)."""
    try:
        stat = _read_text(f"/proc/{pid}/stat")
    except OSError:
        return None
    # the command name may hold spaces and parentheses: fields resume after the last ")"
    fields = stat.rpartition(")")[2].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def _children_by_scanning(pid: Pid) -> Pid:
    """A child found by reading every process's parent, nearest pids first
    (children are usually created soon after their parent)."""
    parent = int(pid)
    others = [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) != parent]
    for candidate in sorted(others, key=lambda other: abs(other - parent)):
        if _parent_of(candidate) == parent:
            return candidate
    raise _no_child(parent)


def _task_children_available() -> bool:
    tids = os.listdir(f"/proc/{os.getpid()}/task")
    return bool(tids) and os.path.exists(f"/proc/{os.getpid()}/task/{tids[0]}/children")


def _is_fakeflux_broker(argv: List[str]) -> bool:
    if len(argv) < 3 or not os.path.basename(argv[0]).startswith("python"):
        return False
    program, rest = (argv[2], argv[3:]) if argv[1] == "-m" else (os.path.basename(argv[1]), argv[2:])
    return bool(rest) and rest[0] in _FAKEFLUX_BROKERS.get(program, ())


def _is_broker(pid: Pid) -> bool:
    status = _read_text(f"/proc/{pid}/status")
    name = status.split("\t", 2)[1] if "\t" in status else ""
    if "flux-broker" in name:
        return True
    try:
        argv = _read_text(f"/proc/{pid}/cmdline").split("\0")
    except OSError:
        return False
    return _is_fakeflux_broker(argv)


def _uri_in_environment(pid: Pid) -> Optional[str]:
    for entry in _read_text(f"/proc/{pid}/environ").split("\0"):
        name, equals, value = entry.partition("=")
        if name == "FLUX_URI" and equals:
            # flux-core keeps only the text up to a second "=": so does fakeflux
            return value.split("=")[0]
    return None


class URIResolver(URIResolverPlugin):
    """Resolves ``pid:PID`` from the environment of process PID (or its first child)."""

    # how a broker's child is found: task children lists where the kernel has
    # them (and the fallback is not forced, as flux-core's tests do), else a scan
    get_broker_child: Callable[[Pid], Pid] = staticmethod(
        _children_from_task_lists
        if _task_children_available() and "FLUX_FORCE_BROKER_CHILD_FALLBACK" not in os.environ
        else _children_by_scanning
    )

    def describe(self) -> str:
        return "Get FLUX_URI for a given local PID"

    def resolve(self, uri: URIResolverURI) -> str:
        pid: Pid = PurePath(uri.path).parts[0]
        if _is_broker(pid):
            pid = self.get_broker_child(pid)
        found = _uri_in_environment(pid)
        if found is None:
            raise ValueError(f"PID {pid} doesn't seem to have a FLUX_URI")
        return found
