"""Job counts by state and outcome from ``job-list.job-stats`` (flux-core's ``flux.job.stats``)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from ..rpc import RPC

_STATES = ("depend", "priority", "sched", "run", "cleanup", "inactive", "total")
_OUTCOMES = ("successful", "failed", "timeout", "canceled", "inactive_purged")
_DERIVED = ("pending", "running", "active")


def _counts_of(entry: Dict[str, Any]) -> Dict[str, int]:
    """The counts of one job-stats entry (the whole instance, or one of its queues), flat."""
    flat = {name: entry["job_states"][name] for name in _STATES}
    flat.update((name, entry[name]) for name in _OUTCOMES)
    return flat


class JobStats:
    """Counts of jobs: by state (``depend`` ... ``inactive``, ``total``), by outcome, and derived.

    ``failed`` counts every unsuccessful job (timeouts and cancellations
    included); ``pending`` is depend+priority+sched, ``running`` run+cleanup,
    ``active`` total-inactive.  Every count is -1 until an update.  With
    ``queue`` (a name or several), the counts are those queues' sums.
    """

    states = _STATES
    stats = _OUTCOMES
    derived_stats = _DERIVED

    # the counts (set from the names above)
    depend: int
    priority: int
    sched: int
    run: int
    cleanup: int
    inactive: int
    total: int
    successful: int
    failed: int
    timeout: int
    canceled: int
    inactive_purged: int
    pending: int
    running: int
    active: int

    class QueueStats:
        """The counts of one queue, of the instance (name "all"), or a sum (names joined by commas)."""

        def __init__(self, stats: Optional[Dict[str, Any]] = None) -> None:
            counts = _counts_of(stats) if stats is not None else dict.fromkeys(_STATES + _OUTCOMES, 0)
            self.queue_name = "" if stats is None else stats.get("name", "all")
            vars(self).update(counts)

        def __iadd__(self, other: JobStats.QueueStats) -> JobStats.QueueStats:
            self.queue_name = f"{self.queue_name},{other.queue_name}"
            for name in _STATES + _OUTCOMES:
                vars(self)[name] += vars(other)[name]
            return self

    def __init__(self, handle: Any, queue: Union[None, str, Iterable[str]] = None) -> None:
        self.handle = handle
        self.queues: List[str] = [] if queue is None else [queue] if isinstance(queue, str) else list(queue)
        self.callback: Optional[Callable[..., Any]] = None
        self.cb_kwargs: Dict[str, Any] = {}
        vars(self).update(dict.fromkeys(_STATES + _OUTCOMES + _DERIVED, -1))

    def _selected(self, resp: Dict[str, Any]) -> JobStats.QueueStats:
        if not self.queues:
            return self.QueueStats(resp)
        by_name = {entry["name"]: entry for entry in resp["queues"]}
        total = self.QueueStats()
        for name in self.queues:
            if name not in by_name:
                raise ValueError(f"no stats available for queue {name}")
            total += self.QueueStats(by_name[name])
        return total

    def _update_cb(self, rpc: Any) -> None:
        picked = vars(self._selected(rpc.get()))
        counts = {name: picked[name] for name in _STATES + _OUTCOMES}
        # "failed" here is every job that did not succeed
        counts["failed"] += counts["timeout"] + counts["canceled"]
        counts["pending"] = counts["depend"] + counts["priority"] + counts["sched"]
        counts["running"] = counts["run"] + counts["cleanup"]
        counts["active"] = counts["total"] - counts["inactive"]
        vars(self).update(counts)
        if self.callback:
            self.callback(self, **self.cb_kwargs)

    def _query(self) -> RPC:
        return RPC(self.handle, "job-list.job-stats", {})

    def update(self, callback: Optional[Callable[..., Any]] = None, **kwargs: Any) -> None:
        """Fetch the counts asynchronously (the reactor must run); then ``callback(self, **kwargs)``."""
        self.callback, self.cb_kwargs = callback, kwargs
        self._query().then(self._update_cb)

    def update_sync(self) -> JobStats:
        """Fetch the counts now."""
        self._update_cb(self._query())
        return self
