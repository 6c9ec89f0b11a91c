"""Queues (flux-core job-manager ``queues.c`` and job-ingest's "defaults"
frobnicator): the anonymous queue, or the named ones of ``[queues.NAME]``;
which exist, which accept submissions (enable) and which are scheduled
(start), and what a submission must name.

As a real ``flux start`` instance has them: the anonymous queue is enabled
and started; configured named queues are enabled but stopped until
``flux queue start`` (``job-manager.queue-start``).  Jobs of a stopped queue
stay in SCHED and are not offered to the scheduler.
"""

from __future__ import annotations

import copy
import errno
from typing import Any, Dict, List, Optional

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs.util import parse_fsd


def _fsd(seconds: float) -> str:
    """fsd_format_duration_ex with precision 2 (``1.7m``, ``2h``)."""
    for limit, unit, scale in ((60.0, "s", 1.0), (3600.0, "m", 60.0), (86400.0, "h", 3600.0)):
        if seconds < 0.1 and seconds != 0:
            return f"{seconds * 1000:.2g}ms"
        if seconds < limit:
            return f"{seconds / scale:.2g}{unit}"
    if seconds == float("inf"):
        return "infinity"
    return f"{seconds / 86400:.2g}d"


# -- the order job-manager lists queues in -------------------------------------------------------
# job-manager keeps named queues in a czmq zhashx table and lists them in its
# iteration order; fakeflux computes that order rather than sorting, so
# `flux queue list` and queue-list answer in the same order as real Flux.

def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):  # deterministic below 2^64
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _table_size(index: int) -> int:
    """zhashx's bucket counts: for n = 4, 5, ..., the five largest primes
    below 2**n, smallest first."""
    n, k = 4 + index // 5, index % 5
    found: List[int] = []
    candidate = 2 ** n - 1
    while len(found) < 5:
        if _is_prime(candidate):
            found.append(candidate)
        candidate -= 1
    return sorted(found)[k]


def _key_hash(key: str) -> int:
    """zhashx's modified Bernstein hash (size_t arithmetic, signed chars)."""
    value = 0
    for byte in key.encode():
        value = ((33 * value) ^ (byte - 256 if byte >= 128 else byte)) % 2 ** 64
    return value


def zhashx_order(keys: List[str]) -> List[str]:
    """The order a zhashx table of ``keys`` (inserted in this order) iterates:
    bucket by bucket, newest first within a bucket; the table grows by five
    size steps when 75% full or when a chain is longer than its limit."""
    index, chain_limit = 0, 1
    buckets: List[List[str]] = [[] for _ in range(_table_size(index))]

    def grow() -> None:
        nonlocal buckets, index
        index += 5
        size = _table_size(index)
        grown: List[List[str]] = [[] for _ in range(size)]
        for bucket in buckets:
            for key in bucket:
                grown[_key_hash(key) % size].insert(0, key)
        buckets = grown

    for count, key in enumerate(keys):
        if count >= len(buckets) * 75 // 100:
            grow()
            chain_limit += 1
        if len(buckets[_key_hash(key) % len(buckets)]) > chain_limit:
            grow()
            chain_limit += 1
        buckets[_key_hash(key) % len(buckets)].insert(0, key)
    return [key for bucket in buckets for key in bucket]


class Queue:
    """One queue; a virtual queue (RFC 33) names its ``parent`` and is
    scheduled only while both it and its parent are started."""

    __slots__ = ("name", "enabled", "disable_reason", "started", "stop_reason", "parent")

    def __init__(self, name: Optional[str], started: bool) -> None:
        self.name = name
        self.enabled = True
        self.disable_reason: Optional[str] = None
        self.started = started
        self.stop_reason: Optional[str] = None
        self.parent: Optional[Queue] = None

    @property
    def effectively_started(self) -> bool:
        return self.started and (self.parent is None or self.parent.started)

    def status(self) -> Dict[str, Any]:
        """queue_status_encode, with the scheduler loaded."""
        start = self.effectively_started
        out: Dict[str, Any] = {"enable": self.enabled, "start": start}
        stop_reason = self.stop_reason
        if self.parent is not None:
            out["parent"] = self.parent.name
            if self.started and not start:
                out["blocked"] = "parent"
                stop_reason = f"parent queue '{self.parent.name}' is stopped"
        if not self.enabled and self.disable_reason:
            out["disable_reason"] = self.disable_reason
        if not start and stop_reason:
            out["stop_reason"] = stop_reason
        return out


class Queues:
    def __init__(self, config_of: Any) -> None:
        self._config_of = config_of  # () -> the instance configuration
        self._anon = Queue(None, started=True)
        self._named: Dict[str, Queue] = {}
        self._names: List[str] = []

    # -- configuration ---------------------------------------------------------------------------
    def _table(self) -> Dict[str, Any]:
        table = self._config_of().get("queues", {})
        if not isinstance(table, dict):
            raise ServiceError(errno.EINVAL, "queues must be a table")
        return table

    def named(self) -> Dict[str, Queue]:
        """The configured named queues (kept, with their state, across
        reconfiguration; new ones start stopped)."""
        table = self._table()
        names = list(table)  # configuration order: the order job-manager adds them in
        if names != self._names:
            self._named = {n: self._named.get(n) or Queue(n, started=False) for n in zhashx_order(names)}
            self._names = names
        for name, queue in self._named.items():
            parent = table[name].get("parent") if isinstance(table[name], dict) else None
            queue.parent = self._named.get(parent) if isinstance(parent, str) else None
        return self._named

    def _defaults(self) -> Dict[str, Any]:
        try:
            system = self._config_of()["policy"]["jobspec"]["defaults"]["system"]
        except (KeyError, TypeError):
            return {}
        return system if isinstance(system, dict) else {}

    # -- lookup --------------------------------------------------------------------------------------
    def lookup(self, name: Optional[str]) -> Queue:
        """queues_lookup: EINVAL with its text when there is no such queue."""
        named = self.named()
        if name is not None:
            if name not in named:
                raise ServiceError(errno.EINVAL, f"'{name}' is not a valid queue")
            return named[name]
        if named:
            raise ServiceError(errno.EINVAL, "a named queue is required")
        return self._anon

    def is_started(self, name: Optional[str]) -> bool:
        named = self.named()
        if name is None:
            return not named and self._anon.started
        queue = named.get(name)
        return queue is not None and queue.effectively_started

    def list(self) -> List[str]:
        return list(self.named())

    # -- submission --------------------------------------------------------------------------------------
    def frobnicate(self, jobspec: Dict[str, Any]) -> None:
        """job-ingest's "defaults" frobnicator, active when ``[queues]`` or
        ``[policy.jobspec.defaults]`` is configured: check the queue named and
        fill in the defaults (global, then the queue's own).  EPERM as the
        frobnicator answers."""
        queues = self._table()
        defaults = self._defaults()
        if not queues and not defaults:
            return
        system = jobspec.get("attributes", {}).get("system") if isinstance(jobspec, dict) else None
        if not isinstance(system, dict):
            return  # the validator names what is wrong
        name = system.get("queue") or defaults.get("queue")
        if name is None and queues:
            raise ServiceError(errno.EPERM, "no queue specified")
        effective = copy.deepcopy(defaults)
        lineage: List[Dict[str, Any]] = []  # the parent queue's table (RFC 33), then the queue's own
        if name and queues:
            if name not in queues:
                raise ServiceError(errno.EPERM, f"Invalid queue '{name}' specified")
            lineage = self._lineage(name)
            for qconf in lineage:
                try:
                    effective.update(qconf["policy"]["jobspec"]["defaults"]["system"])
                except (KeyError, TypeError):
                    pass
        for key, value in effective.items():
            if key == "duration":
                if not system.get("duration"):
                    system["duration"] = value
            elif key not in system:
                system[key] = copy.deepcopy(value)
        # the "constraints" frobnicator: a queue's `requires` (a virtual queue's parent's)
        # become property constraints
        requires = lineage[0].get("requires") if lineage else None
        if isinstance(requires, list) and requires:
            current = system.get("constraints")
            if isinstance(current, dict) and isinstance(current.get("properties"), list):
                current["properties"].extend(p for p in requires if p not in current["properties"])
            elif current is not None:
                system["constraints"] = {"and": [current, {"properties": list(requires)}]}
            else:
                system["constraints"] = {"properties": list(requires)}

    def _lineage(self, name: str) -> List[Dict[str, Any]]:
        """[parent's table, own table] for a virtual queue, [own table] otherwise."""
        queues = self._table()
        entry = queues.get(name)
        own: Dict[str, Any] = entry if isinstance(entry, dict) else {}
        parent = own.get("parent")
        if parent is None:
            return [own]
        if parent not in queues:
            raise ServiceError(errno.EPERM, f"queue '{name}': parent queue '{parent}' is not configured")
        parent_entry = queues[parent]
        return [parent_entry if isinstance(parent_entry, dict) else {}, own]

    def submit_check(self, jobspec: Dict[str, Any]) -> None:
        """queue_submit_check (job-manager, at submit): the queue must exist
        and be enabled.  EINVAL."""
        system = jobspec.get("attributes", {}).get("system", {}) if isinstance(jobspec, dict) else {}
        name = system.get("queue") if isinstance(system, dict) else None
        queue = self.lookup(name if isinstance(name, str) else None)
        if not queue.enabled:
            where = f" to {name}" if name else ""
            raise ServiceError(errno.EINVAL, f"job submission{where} is disabled: {queue.disable_reason}")
        self._check_limits(jobspec, name if isinstance(name, str) else None)

    # -- [policy.limits] (job-manager's limit-duration and limit-job-size plugins) -----------------
    def _limits(self, queue: Optional[str]) -> Dict[str, Any]:
        """The general ``[policy.limits]``, overridden key by key by the queue's."""
        def limits_of(table: Any) -> Dict[str, Any]:
            try:
                got = table["policy"]["limits"]
            except (KeyError, TypeError):
                return {}
            return got if isinstance(got, dict) else {}

        out = dict(limits_of(self._config_of()))
        out["job-size"] = {k: dict(v) for k, v in (out.get("job-size") or {}).items() if isinstance(v, dict)}
        if queue is not None and queue in self._table():
            for table in self._lineage(queue):
                own = limits_of(table)
                if "duration" in own:
                    out["duration"] = own["duration"]
                for bound, sizes in (own.get("job-size") or {}).items():
                    if isinstance(sizes, dict):
                        out["job-size"].setdefault(bound, {}).update(sizes)
        return out

    def _check_limits(self, jobspec: Dict[str, Any], queue: Optional[str]) -> None:
        """limit-job-size, then limit-duration (job-manager loads them in that order)."""
        limits = self._limits(queue)
        where = f" for queue {queue}" if queue else ""
        sizes = limits["job-size"]
        if sizes:
            from fakeflux.broker.jobs.sched import SchedRequest  # the scheduler's reading of the jobspec

            try:
                req = SchedRequest(jobspec)
            except (ValueError, TypeError, KeyError):
                req = None  # the validator or the scheduler names what is wrong
            if req is not None:
                asked = {"nnodes": req.nnodes, "ncores": req.nslots * req.slot_size,
                         "ngpus": req.nslots * req.gpu_per_slot}
                for bound, verb in (("max", "exceeds"), ("min", "is under")):
                    for what in ("nnodes", "ncores", "ngpus"):
                        limit, value = sizes.get(bound, {}).get(what, -1), asked[what]
                        if isinstance(limit, int) and limit >= 0 and (value > limit if bound == "max"
                                                                      else value < limit):
                            raise ServiceError(errno.EINVAL,
                                               f"requested {what} ({value}) {verb} policy limit of {limit}{where}")
        text = limits.get("duration")
        if isinstance(text, str):
            try:
                seconds = parse_fsd(text)
            except ValueError:
                raise ServiceError(errno.EINVAL, "policy.limits.duration: FSD value is malformed") from None
            duration = jobspec.get("attributes", {}).get("system", {}).get("duration") or 0.0
            if seconds != 0 and (duration == 0 or duration > seconds):
                wanted = "unlimited" if duration == 0 else _fsd(duration)
                raise ServiceError(errno.EINVAL,
                                   f"requested duration ({wanted}) exceeds policy limit of {_fsd(seconds)}{where}")

    # -- job-manager.queue-enable / queue-start ---------------------------------------------------
    def _targets(self, name: Optional[str], all_: bool) -> List[Queue]:
        named = self.named()
        if name is None and named and not all_:
            raise ServiceError(errno.EINVAL, "Use --all to apply this command to all queues")
        if name is not None:
            return [self.lookup(name)]
        return list(named.values()) if named else [self._anon]

    def enable(self, name: Optional[str], enable: bool, reason: Optional[str], all_: bool) -> None:
        if not enable and not reason:
            raise ServiceError(errno.EINVAL, "reason is required for disable")
        for queue in self._targets(name, all_):
            queue.enabled = enable
            queue.disable_reason = None if enable else reason

    def start(self, name: Optional[str], start: bool, reason: Optional[str], all_: bool) -> None:
        for queue in self._targets(name, all_):
            queue.started = start
            queue.stop_reason = None if start else reason
