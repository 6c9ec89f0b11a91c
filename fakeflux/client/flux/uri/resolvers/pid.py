"""``pid:`` URIs: the ``FLUX_URI`` in a local process's environment (a broker's: its first child's)."""

from __future__ import annotations

import os
import re
from pathlib import PurePath
from typing import Any

from ..uri import URIResolverPlugin, URIResolverURI


def _get_broker_child_fallback(pid: Any) -> Any:
    """A child of ``broker_pid`` found by scanning /proc (nearest pids first)."""
    broker_pid = int(pid)
    pids = sorted((int(x) for x in os.listdir("/proc") if x.isdigit()), key=lambda p: abs(p - broker_pid))
    pids.remove(broker_pid)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as statf:
                data = statf.read()
        except OSError:
            continue  # gone meanwhile
        match = re.match(r"^[0-9]+ \(.*\) \w+ ([0-9]+)", data)
        if match and int(match.group(1)) == broker_pid:
            return pid
    raise ValueError(f"PID {broker_pid} is a flux-broker and no child found")


def _get_broker_child(pid: Any) -> Any:
    """The first child of ``pid`` from /proc/PID/task/*/children."""
    for taskid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{taskid}/children") as cfile:
                cpid = cfile.read().split(" ")[0]
        except FileNotFoundError:
            continue
        if cpid:
            return cpid
    raise ValueError(f"PID {pid} is a flux-broker and no child found")


def _proc_has_task_children() -> bool:
    pid = os.getpid()
    for taskid in os.listdir(f"/proc/{pid}/task"):
        return os.path.exists(f"/proc/{pid}/task/{taskid}/children")
    return False


class URIResolver(URIResolverPlugin):
    """Reads ``FLUX_URI`` from /proc/PID/environ."""

    if _proc_has_task_children() and "FLUX_FORCE_BROKER_CHILD_FALLBACK" not in os.environ:
        get_broker_child = staticmethod(_get_broker_child)
    else:
        get_broker_child = staticmethod(_get_broker_child_fallback)

    def describe(self) -> str:
        return "Get FLUX_URI for a given local PID"

    def resolve(self, uri: URIResolverURI) -> str:
        pid: object = PurePath(uri.path).parts[0]
        with open(f"/proc/{pid}/status") as sfile:
            command = sfile.read().split("\t")[1]
        if re.search("flux-broker", command):
            pid = self.get_broker_child(pid)
        with open(f"/proc/{pid}/environ", encoding="utf-8") as envfile:
            for line in envfile.read().split("\0"):
                if "=" in line:
                    name, value = line.split("=")[:2]
                    if name == "FLUX_URI":
                        return value
        raise ValueError(f"PID {pid} doesn't seem to have a FLUX_URI")
