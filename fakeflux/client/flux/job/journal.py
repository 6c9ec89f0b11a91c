"""The job manager's journal: every job's main events in one stream (flux-core's ``flux.job.journal``).

``JournalConsumer(h).start()`` follows ``job-manager.events-journal``;
each event is a ``JournalEvent`` carrying its ``jobid``, and for ``submit``
the redacted ``jobspec``, for ``alloc`` the ``R``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..abc.journal import JournalConsumerBase, JournalEventBase
from .JobID import JobID

# which event carries which extra document of the response
_CARRIES = {"submit": "jobspec", "alloc": "R"}


class JournalEvent(JournalEventBase):
    """One job event from the journal; ``jobid`` -1 makes the sentinel (end of history)."""

    def __init__(self, jobid: Any, event: Dict[str, Any], jobspec: Any = None, R: Any = None) -> None:
        super().__init__(event)
        self.jobid = JobID(jobid)
        extras = {"jobspec": jobspec, "R": R}
        carried = None if self.is_empty() else _CARRIES.get(self.get("name", ""))
        self.jobspec = extras["jobspec"] if carried == "jobspec" else None
        self.R = extras["R"] if carried == "R" else None

    def is_empty(self) -> bool:
        return bool(self.jobid == -1)

    def __str__(self) -> str:
        if self.is_empty():
            return "-1: End of historical data stream"
        words = [f"{self.jobid.f58}:", f"{self.timestamp:<0.5f}", self.name, self.context_string]
        for label, doc in (("jobspec", self.jobspec), ("R", self.R)):
            if doc:
                words.append(f"{label}={doc}")
        return " ".join(word for word in words if word)


SENTINEL_EVENT = JournalEvent(-1, {})
"""The event marking the end of the history, when a consumer asks for it (``include_sentinel``)."""


class JournalConsumer(JournalConsumerBase):
    """Follow ``job-manager.events-journal``: history (unless ``full=False``), then new events."""

    SENTINEL_EVENT = SENTINEL_EVENT

    def __init__(self, flux_handle: Any, full: bool = True, since: float = 0.0, include_sentinel: bool = False) -> None:
        super().__init__(
            flux_handle, "job-manager.events-journal", full=full, since=since, include_sentinel=include_sentinel
        )

    @property
    def request_payload(self) -> Dict[str, Any]:
        return {"full": self.full}

    def process_response(self, resp: Dict[str, Any]) -> Dict[str, Any]:
        return {"jobid": resp.get("id"), "jobspec": resp.get("jobspec"), "R": resp.get("R")}

    def create_event(  # type: ignore[override]
        self, entry: Dict[str, Any], jobid: Any = -1, jobspec: Any = None, R: Optional[Any] = None
    ) -> JournalEvent:
        return JournalEvent(jobid, entry, jobspec=jobspec, R=R)
