"""Abstract bases shared by flux modules (flux-core's ``flux.abc``)."""

from .journal import JournalConsumerBase, JournalEventBase

__all__ = ["JournalConsumerBase", "JournalEventBase"]
