"""Broker attributes: flux-core's registered names, their flags, and each
rank's initial values (``src/broker/attr.c`` ``attrtab[]``; values as a real
``flux start --test-size=N`` instance reports them)."""

from __future__ import annotations

import errno
import fnmatch
from typing import Dict, Iterator, List, Optional, Tuple

from fakeflux.broker.errors import ServiceError

IMMUTABLE = 0x01  # the value never changes once set; the only flag on the wire
READONLY = 0x02  # may not be set on the command line
RUNTIME = 0x04  # may be updated after it was first set
CONFIG = 0x08  # also settable through the TOML config

# Registered names, in the order flux-core searches them (first glob wins).
REGISTERED: List[Tuple[str, int]] = [
    ("rank", READONLY | IMMUTABLE),
    ("size", READONLY | IMMUTABLE),
    ("version", READONLY),
    ("rundir", 0),
    ("rundir-cleanup", IMMUTABLE),
    ("statedir", 0),
    ("statedir-cleanup", IMMUTABLE),
    ("security.owner", READONLY | IMMUTABLE),
    ("local-uri", IMMUTABLE),
    ("parent-uri", READONLY | IMMUTABLE),
    ("instance-level", READONLY | IMMUTABLE),
    ("jobid", READONLY | IMMUTABLE),
    ("jobid-path", READONLY | IMMUTABLE),
    ("parent-kvs-namespace", READONLY | IMMUTABLE),
    ("hostlist", IMMUTABLE),
    ("hostname", IMMUTABLE),
    ("broker.mapping", READONLY | IMMUTABLE),
    ("broker.critical-ranks", IMMUTABLE),
    ("broker.boot-method", IMMUTABLE),
    ("broker.pid", READONLY | IMMUTABLE),
    ("broker.quorum", IMMUTABLE),
    ("broker.quorum-warn", IMMUTABLE),
    ("broker.shutdown-warn", IMMUTABLE),
    ("broker.shutdown-timeout", IMMUTABLE),
    ("broker.cleanup-timeout", 0),
    ("broker.unload-builtins-timeout", 0),
    ("broker.rc1_path", 0),
    ("broker.rc3_path", 0),
    ("broker.rc2_none", 0),
    ("broker.rc2_pgrp", 0),
    ("broker.exit-restart", RUNTIME),
    ("broker.module-nopanic", RUNTIME),
    ("broker.starttime", READONLY | IMMUTABLE),
    ("broker.sd-notify", 0),
    ("broker.sd-stop-timeout", IMMUTABLE),
    ("broker.exit-norestart", 0),
    ("broker.recovery-mode", 0),
    ("broker.uuid", READONLY | IMMUTABLE),
    ("conf.shell_initrc", RUNTIME),
    ("conf.shell_pluginpath", RUNTIME),
    ("config.path", IMMUTABLE),
    ("tbon.topo", CONFIG),
    ("tbon.descendants", READONLY),
    ("tbon.level", READONLY),
    ("tbon.maxlevel", READONLY),
    ("tbon.endpoint", READONLY),
    ("tbon.parent-endpoint", READONLY),
    ("tbon.zmqdebug", CONFIG),
    ("tbon.zmq_io_threads", CONFIG),
    ("tbon.child_rcvhwm", CONFIG),
    ("tbon.prefertcp", 0),
    ("tbon.interface-hint", RUNTIME | CONFIG | IMMUTABLE),
    ("tbon.torpid_min", CONFIG),
    ("tbon.torpid_max", CONFIG),
    ("tbon.tcp_user_timeout", CONFIG),
    ("tbon.connect_timeout", CONFIG),
    ("log-ring-size", IMMUTABLE),
    ("log-forward-level", IMMUTABLE),
    ("log-critical-level", IMMUTABLE),
    ("log-filename", 0),
    ("log-syslog-enable", IMMUTABLE),
    ("log-syslog-level", IMMUTABLE),
    ("log-stderr-mode", IMMUTABLE),
    ("log-stderr-level", RUNTIME),
    ("log-level", IMMUTABLE),
    ("content.backing-module", 0),
    ("content.hash", IMMUTABLE),
    ("content.dump", RUNTIME),
    ("content.restore", RUNTIME),
    ("cron.directory", 0),
    ("test.*", RUNTIME),
    ("test-ro.*", READONLY),
    ("test-nr.*", 0),
    ("test-im.*", IMMUTABLE),
    ("test-rd.*", RUNTIME),
    ("vendor.*", RUNTIME | IMMUTABLE),
    ("tbon.fanout", 0),
]
# attr.c hands an update of these names to another service's ``setattr``
# method (unless forced) and stores the value only once that agreed.
SETATTR_REDIRECTS: List[Tuple[str, str]] = [
    ("test-rd.*", "testrd.setattr"),
    ("log-stderr-level", "log.setattr"),
]

_EXACT = {name: flags for name, flags in REGISTERED if "*" not in name}
_GLOBS = [(name, flags) for name, flags in REGISTERED if "*" in name]

# The version string of the flux-core build the conformance data was taken
# from (golden.json: attr_get('version')), git-describe style as flux reports it.
FLUX_VERSION = "0.88.0-59-g4a5e79f56"


def registered_flags(name: str) -> Optional[int]:
    """The flags of the first registered pattern matching ``name``, or None."""
    flags = _EXACT.get(name)
    if flags is not None:
        return flags
    for pattern, gflags in _GLOBS:
        if fnmatch.fnmatchcase(name, pattern):
            return gflags
    return None


def setattr_redirect(name: str) -> Optional[str]:
    """The topic an ``attr.set`` of ``name`` is redirected to, if any."""
    for pattern, topic in SETATTR_REDIRECTS:
        if fnmatch.fnmatchcase(name, pattern):
            return topic
    return None


def check_settable_at_start(name: str) -> int:
    """As ``attr_set_cmdline``: any registered name but the read-only ones.
    Returns the name's flags; ValueError says what is wrong."""
    flags = registered_flags(name)
    if flags is None:
        raise ValueError(f"{name}: unknown attribute")
    if flags & READONLY:
        raise ValueError(f"{name}: attribute may not be set on the command line")
    return flags


class AttrStore:
    """One rank's attributes: name -> (value or None, flags)."""

    def __init__(self, values: Dict[str, Optional[str]]) -> None:
        self._entries: Dict[str, Tuple[Optional[str], int]] = {}
        for name, value in values.items():
            flags = registered_flags(name)
            self._entries[name] = (value, IMMUTABLE if flags is None else flags)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def names(self) -> Iterator[str]:
        return iter(self._entries)

    def get(self, name: str) -> Tuple[str, int]:
        """Value and wire flags (1 when immutable); ENOENT if unset or null."""
        entry = self._entries.get(name)
        if entry is None or entry[0] is None:
            raise ServiceError(errno.ENOENT)
        return entry[0], entry[1] & IMMUTABLE

    def value(self, name: str) -> Optional[str]:
        entry = self._entries.get(name)
        return None if entry is None else entry[0]

    def set(self, name: str, value: Optional[str], *, force: bool = False) -> None:
        """As the ``attr.set`` service: registered names only, updates only
        where RUNTIME allows (or forced), immutable values stay."""
        self.check_update(name, force=force)
        self.store(name, value)

    def check_update(self, name: str, *, force: bool = False) -> None:
        """``attr.set``'s checks before it stores or redirects: the name must
        be registered, and an existing value may change only where the
        registered flags say RUNTIME (or the caller forces it)."""
        flags = registered_flags(name)
        if flags is None:
            raise ServiceError(errno.ENOENT, "unknown attribute")
        if name in self._entries and not force and not flags & RUNTIME:
            raise ServiceError(errno.EINVAL, "attribute may not be updated")

    def store(self, name: str, value: Optional[str]) -> None:
        """``attr_set``: EPERM (no text) when an immutable value exists."""
        entry = self._entries.get(name)
        if entry is not None:
            if entry[1] & IMMUTABLE:
                raise ServiceError(errno.EPERM)
            self._entries[name] = (value, entry[1])
        else:
            flags = registered_flags(name)
            if flags is None:
                raise ServiceError(errno.ENOENT)
            self._entries[name] = (value, flags)

    def set_initial(self, name: str, value: Optional[str]) -> None:
        """A value given at start (``-S NAME=VALUE``)."""
        self._entries[name] = (value, check_settable_at_start(name))

    def force(self, name: str, value: Optional[str]) -> None:
        """Set ``name`` whatever its flags or registration (a test's control)."""
        entry = self._entries.get(name)
        flags = registered_flags(name) if entry is None else entry[1]
        self._entries[name] = (value, IMMUTABLE if flags is None else flags)

    def remove(self, name: str) -> None:
        """As ``attr.rm``: EPERM for immutable values; unknown names succeed."""
        entry = self._entries.get(name)
        if entry is None:
            return
        if entry[1] & IMMUTABLE:
            raise ServiceError(errno.EPERM)
        del self._entries[name]


def initial_values(
    *,
    rank: int,
    size: int,
    topo: str,
    level: int,
    maxlevel: int,
    descendants: int,
    has_children: bool,
    parent: Optional[int],
    rundir: str,
    uuid: str,
    pid: int,
    starttime: float,
    owner: int,
    hostname: str,
) -> Dict[str, Optional[str]]:
    """Attributes a rank of a ``flux start --test-size=N`` instance starts with."""
    values: Dict[str, Optional[str]] = {
        "broker.boot-method": "simple",
        "broker.cleanup-timeout": "none",
        "broker.critical-ranks": "0",
        "broker.mapping": f"[[0,1,{size},1]]",
        "broker.pid": str(pid),
        "broker.quorum": str(size),
        "broker.quorum-warn": "1m",
        "broker.rc1_path": "flux modprobe rc1",
        "broker.rc3_path": "flux modprobe rc3",
        "broker.sd-stop-timeout": "none",
        "broker.shutdown-timeout": "none",
        "broker.shutdown-warn": "1m",
        "broker.starttime": f"{starttime:.2f}",
        "broker.unload-builtins-timeout": "1m",
        "broker.uuid": uuid,
        "conf.shell_initrc": "/usr/etc/flux/shell/initrc.lua",
        "conf.shell_pluginpath": "/usr/lib/flux/shell/plugins",
        "content.hash": "sha1",
        "hostlist": ",".join([hostname] * size),
        "hostname": hostname,
        "instance-level": "0",
        "jobid-path": "/",
        "local-uri": f"local://{rundir}/local-{rank}",
        "log-critical-level": "2",
        "log-forward-level": "3",
        "log-level": "7",
        "log-ring-size": "1024",
        "log-stderr-level": "3",
        "log-stderr-mode": "leader",
        "log-syslog-enable": "0",
        "log-syslog-level": "3",
        "parent-uri": None,
        "rank": str(rank),
        "rundir": rundir,
        "rundir-cleanup": "0",
        "security.owner": str(owner),
        "size": str(size),
        "tbon.child_rcvhwm": "0",
        "tbon.connect_timeout": "30s",
        "tbon.descendants": str(descendants),
        "tbon.interface-hint": "default-route",
        "tbon.level": str(level),
        "tbon.maxlevel": str(maxlevel),
        "tbon.prefertcp": "0",
        "tbon.tcp_user_timeout": "20s",
        "tbon.topo": topo,
        "tbon.torpid_max": "30s",
        "tbon.torpid_min": "5s",
        "tbon.zmq_io_threads": "1",
        "tbon.zmqdebug": "0",
        "version": FLUX_VERSION,
    }
    if has_children:
        values["tbon.endpoint"] = f"ipc://{rundir}/tbon-{rank}"
    if parent is not None:
        values["tbon.parent-endpoint"] = f"ipc://{rundir}/tbon-{parent}"
    if rank == 0:
        values["content.backing-module"] = "content-sqlite"
        values["statedir"] = f"{rundir}/state"
        values["statedir-cleanup"] = "1"
    else:
        values["log-filename"] = None
    return values
