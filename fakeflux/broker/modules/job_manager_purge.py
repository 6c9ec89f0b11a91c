"""Purging inactive jobs (flux-core ``modules/job-manager/purge.c``), for the
job-manager's ``purge`` and ``purge-id`` methods: the oldest inactive jobs
(by the time they became inactive) are dropped from the job manager, their
``job.<dothex>`` directory is unlinked from the KVS, and the ids go out in a
``job-purge-inactive`` event (job-list forgets them too: it reads the same
jobs, and counts them as ``inactive_purged``)."""

from __future__ import annotations

import errno
import json
from typing import TYPE_CHECKING, Any, Dict, List

from fakeflux.broker import jobs as J
from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs.util import kvs_key
from fakeflux.wire import Message
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.instance import InstanceCore

AGE_UNLIMITED = -1.0
NUM_UNLIMITED = -1
BATCH_MAX = 100  # flux-core's limit of KVS ops per purge transaction
EVENT_TOPIC = "job-purge-inactive"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_purge(req: Dict[str, Any]) -> Dict[str, Any]:
    """``{s:f s:i s:i s:b}``: a real age, integer limits, a boolean force
    (jansson refuses anything else: EPROTO), then the range checks."""
    age, num, batch, force = (req.get(k) for k in ("age_limit", "num_limit", "batch", "force"))
    if not (isinstance(age, float) and isinstance(num, int) and isinstance(batch, int) and isinstance(force, bool)
            and _is_int(num) and _is_int(batch)):
        raise ServiceError(errno.EPROTO)
    if age != AGE_UNLIMITED and age < 0:
        raise ServiceError(errno.EINVAL, "if set, age limit must be >= 0")
    if num != NUM_UNLIMITED and num < 0:
        raise ServiceError(errno.EINVAL, "if set, num limit must be >= 0")
    if not 1 <= batch <= BATCH_MAX:
        raise ServiceError(errno.EINVAL, f"batch must be >= 1 and <= {BATCH_MAX}")
    return {"age": age, "num": num, "batch": batch, "force": force}


class InactivePurge:
    """What job-manager remembers of the jobs it purged."""

    def __init__(self, core: InstanceCore) -> None:
        self.core = core
        self.count = 0  # job-list's "inactive_purged"
        self.by_queue: Dict[str, int] = {}  # the same, per named queue
        self.max_id = 0  # stats-get's max_jobid outlives a purge of that job

    def queue(self) -> List[J.Job]:
        """Inactive jobs, oldest first (by the time they became inactive)."""
        inactive = [j for j in self.core.jobs.jobs.values() if j.state == J.INACTIVE]
        inactive.sort(key=lambda j: (j.times.get(J.INACTIVE, 0.0), j.id))
        return inactive

    @staticmethod
    def _eligible(age: float, age_limit: float, num: int, num_limit: int) -> bool:
        return (age_limit != AGE_UNLIMITED and age > age_limit) or (num_limit != NUM_UNLIMITED and num > num_limit)

    def eligible(self, age_limit: float, num_limit: int, most: int) -> List[J.Job]:
        """The oldest jobs the limits allow to go (at most ``most``), in order."""
        queue = self.queue()
        now = self.core.jobs.now()
        chosen: List[J.Job] = []
        for job in queue:
            if len(chosen) >= most:
                break
            age = now - job.times.get(J.INACTIVE, now)
            if not self._eligible(age, age_limit, len(queue) - len(chosen), num_limit):
                break
            chosen.append(job)
        return chosen

    def candidate(self, jobid: int) -> J.Job:
        job = self.core.jobs.jobs.get(jobid)
        if job is None:
            raise ServiceError(errno.ENOENT, "id not found")
        if job.state != J.INACTIVE:
            raise ServiceError(errno.EINVAL, "cannot purge active job")
        return job

    def purge(self, chosen: List[J.Job]) -> None:
        """Forget ``chosen``: one KVS transaction unlinking their directories,
        then the event naming them."""
        if not chosen:
            return
        jobs = self.core.jobs
        jobs.flush_kvs()  # queued eventlog writes land before the unlink, as they were committed first
        for job in chosen:
            del jobs.jobs[job.id]
            self.max_id = max(self.max_id, job.id)
            if isinstance(job.queue, str):
                self.by_queue[job.queue] = self.by_queue.get(job.queue, 0) + 1
        self.count += len(chosen)
        self.core.kvs.apply(K.PRIMARY, [{"key": kvs_key(j.id), "flags": 0, "dirent": None} for j in chosen])
        payload = json.dumps({"jobs": [j.id for j in chosen]}, separators=(",", ":")).encode()
        self.core.publish(Message.event(EVENT_TOPIC, payload, routes=[], userid=self.core.owner,
                                        rolemask=C.ROLE_OWNER))
