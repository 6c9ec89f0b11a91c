"""``ResourceJournalConsumer``: following the resource eventlog (``resource.journal``)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..abc import JournalConsumerBase, JournalEventBase

__all__ = ["ResourceJournalEvent", "ResourceJournalConsumer"]


class ResourceJournalEvent(JournalEventBase):
    """One resource event (RFC 21 names); ``R`` holds the instance R of ``resource-define``."""

    def __init__(self, event: Dict[str, Any], R: Optional[Dict[str, Any]] = None) -> None:  # noqa: N803
        super().__init__(event)
        self.R = R

    def __str__(self) -> str:
        when = f"{self.timestamp:<0.5f}"
        # the empty event marks where the history ends and live events begin
        what = "End of historical data stream" if self.is_empty() else f"{self.name} {self.context_string}"
        return f"{when} {what}"


class ResourceJournalConsumer(JournalConsumerBase):
    """Consumes the resource journal: history since ``since``, then live events."""

    def __init__(self, flux_handle: Any, since: float = 0.0, include_sentinel: bool = False) -> None:
        super().__init__(flux_handle, "resource.journal", full=True, since=since, include_sentinel=include_sentinel)

    def process_response(self, resp: Dict[str, Any]) -> Dict[str, Any]:
        # only resource-define responses carry R; it goes to the events of the response
        return dict(R=resp.get("R"))

    def create_event(self, entry: Dict[str, Any], R: Any = None) -> ResourceJournalEvent:  # type: ignore[override]  # noqa: N803
        return ResourceJournalEvent(entry, R=R)
