"""Job counts by state and outcome from ``job-list.job-stats`` (flux-core's ``flux.job.stats``)."""

from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from ..rpc import RPC


class JobStats:
    """Counts of jobs: by state (``depend`` ... ``inactive``, ``total``), by outcome, and derived.

    ``failed`` counts every unsuccessful job (timeouts and cancellations
    included); ``pending`` is depend+priority+sched, ``running`` run+cleanup,
    ``active`` total-inactive.  Every count is -1 until an update.  With
    ``queue`` (a name or several), the counts are those queues' sums.
    """

    states = ("depend", "priority", "sched", "run", "cleanup", "inactive", "total")
    stats = ("successful", "failed", "timeout", "canceled", "inactive_purged")
    derived_stats = ("pending", "running", "active")

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
        """The counts of one queue (or all, or a sum of queues)."""

        def __init__(self, stats: Optional[Dict[str, Any]] = None) -> None:
            if stats is None:
                self.queue_name = ""
                for stat in itertools.chain(JobStats.states, JobStats.stats):
                    setattr(self, stat, 0)
                return
            self.queue_name = stats.get("name", "all")
            for state in JobStats.states:
                setattr(self, state, stats["job_states"][state])
            for stat in JobStats.stats:
                setattr(self, stat, stats[stat])

        def __iadd__(self, other: JobStats.QueueStats) -> JobStats.QueueStats:
            self.queue_name += "," + other.queue_name
            for stat in itertools.chain(JobStats.states, JobStats.stats):
                setattr(self, stat, getattr(self, stat) + getattr(other, stat))
            return self

    def __init__(self, handle: Any, queue: Union[None, str, Iterable[str]] = None) -> None:
        self.handle = handle
        self.queues: List[str] = []
        if queue is not None:
            self.queues.extend([queue] if isinstance(queue, str) else queue)
        self.callback: Optional[Callable[..., Any]] = None
        self.cb_kwargs: Dict[str, Any] = {}
        for attr in itertools.chain(JobStats.states, JobStats.stats, JobStats.derived_stats):
            setattr(self, attr, -1)

    def _update_cb(self, rpc: Any) -> None:
        resp = rpc.get()
        queues = {x["name"]: self.QueueStats(x) for x in resp["queues"]}
        if self.queues:
            qstat = self.QueueStats()
            for queue in self.queues:
                try:
                    qstat += queues[queue]
                except KeyError:
                    raise ValueError(f"no stats available for queue {queue}") from None
        else:
            qstat = self.QueueStats(resp)
        for attr in itertools.chain(JobStats.states, JobStats.stats):
            setattr(self, attr, getattr(qstat, attr))
        self.pending = self.depend + self.priority + self.sched
        self.running = self.run + self.cleanup
        self.active = self.total - self.inactive
        self.failed += self.timeout + self.canceled
        if self.callback:
            self.callback(self, **self.cb_kwargs)

    def _query(self) -> RPC:
        return RPC(self.handle, "job-list.job-stats", {})

    def update(self, callback: Optional[Callable[..., Any]] = None, **kwargs: Any) -> None:
        """Fetch the counts asynchronously (the reactor must run); then ``callback(self, **kwargs)``."""
        self.callback = callback
        self.cb_kwargs = kwargs
        self._query().then(self._update_cb)

    def update_sync(self) -> JobStats:
        """Fetch the counts now."""
        self._update_cb(self._query())
        return self
