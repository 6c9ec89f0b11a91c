"""The instance's jobs, split the way flux-core splits its job services:

* :mod:`.model`: job states, results, flags, :class:`Job`, :class:`Request`;
* :mod:`.ingest`: job-ingest's checks (signature, jobspec validation);
* :mod:`.manager`: the job manager, :class:`JobSystem` (``core.jobs``);
* :mod:`.sched`: the scheduler (allocation, R);
* :mod:`.exec`: the interface of an exec back end (and of the IO layer's
  process host); :mod:`.exec_sim` the simulated one (flux-core's test
  executor and scripted outcomes), :mod:`.exec_local` the local one (real
  processes; with :mod:`.local_run`, :mod:`.shell` and :mod:`.shell_stdin`
  it plays the job shell), :mod:`.exec_fakenode` for ``[fake-resources]`` nodes;
* :mod:`.eventlog`, :mod:`.util`: encodings they share.

The services in ``fakeflux.broker.modules.job_*`` use the names exported here.
"""

from fakeflux.broker.jobs.eventlog import dumps, eventlog_entry, jansson_real
from fakeflux.broker.jobs.exec_sim import JobScript
from fakeflux.broker.jobs.ingest import sign_none_unwrap, sign_none_wrap, validate_jobspec
from fakeflux.broker.jobs.manager import JobSystem, Listener
from fakeflux.broker.jobs.model import (
    CANCELED,
    CLEANUP,
    COMPLETED,
    DEPEND,
    FAILED,
    FLAG_DEBUG,
    FLAG_NOVALIDATE,
    FLAG_WAITABLE,
    INACTIVE,
    JOBID_ANY,
    NEW,
    PRIORITY,
    PRIORITY_MAX,
    RUN,
    SCHED,
    STATE_NAMES,
    TIMEOUT,
    URGENCY_DEFAULT,
    URGENCY_EXPEDITE,
    URGENCY_HOLD,
    URGENCY_MAX,
    URGENCY_MIN,
    VALID_SUBMIT_FLAGS,
    Job,
    Request,
)
from fakeflux.broker.jobs.util import dothex, guest_namespace, idset_encode, kvs_key, parse_fsd

__all__ = [
    "CANCELED", "CLEANUP", "COMPLETED", "DEPEND", "FAILED", "FLAG_DEBUG", "FLAG_NOVALIDATE", "FLAG_WAITABLE",
    "INACTIVE", "JOBID_ANY", "NEW", "PRIORITY", "PRIORITY_MAX", "RUN", "SCHED", "STATE_NAMES", "TIMEOUT",
    "URGENCY_DEFAULT", "URGENCY_EXPEDITE", "URGENCY_HOLD", "URGENCY_MAX", "URGENCY_MIN", "VALID_SUBMIT_FLAGS",
    "Job", "JobScript", "JobSystem", "Listener", "Request", "dothex", "dumps", "eventlog_entry",
    "guest_namespace", "idset_encode", "jansson_real", "kvs_key", "parse_fsd", "sign_none_unwrap",
    "sign_none_wrap", "validate_jobspec",
]
