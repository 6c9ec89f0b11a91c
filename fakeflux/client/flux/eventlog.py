"""RFC 18 eventlog entries (flux-core's ``flux.eventlog.EventLogEvent``)."""

from __future__ import annotations

import json
from typing import Any, Dict, Union

__all__ = ["EventLogEvent"]


class EventLogEvent(dict):
    """One eventlog entry, from its JSON text or a dict: ``{"timestamp", "name", "context"}``.

    ``context`` defaults to ``{}``; ``str()`` gives ``"<timestamp>: <name> <context>"``.
    """

    def __init__(self, event: Union[str, Dict[str, Any]]) -> None:
        data: Dict[str, Any] = json.loads(event) if isinstance(event, str) else event
        super().__init__(data)
        if "context" not in self:
            self["context"] = {}

    def __str__(self) -> str:
        return f"{self.timestamp:<0.5f}: {self.name} {self.context}"

    @property
    def name(self) -> str:
        return str(self["name"])

    @property
    def timestamp(self) -> Any:
        return self["timestamp"]

    @property
    def context(self) -> Dict[str, Any]:
        ctx = self["context"]
        assert isinstance(ctx, dict)
        return ctx

    @property
    def context_string(self) -> str:
        """The context as compact JSON with sorted keys ("" when empty)."""
        if not self.context:
            return ""
        return json.dumps(self.context, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
