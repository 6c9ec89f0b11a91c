"""Consumers of journal-style streaming RPCs (flux-core's ``flux.abc.journal``).

A journal service (``job-manager.events-journal``, ``resource.journal``)
streams responses of ``{"events": [...], ...}``: first the history, then
one empty-events response (the sentinel), then new events as they happen,
until the request is cancelled (ENODATA ends the stream).  The consumer
holds the history back until the sentinel so that it can be handed out in
time order, drops events not newer than ``since``, and delivers events by
``poll()`` or to a callback.
"""

from __future__ import annotations

import contextlib
import errno
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional, Tuple

from ..constants import FLUX_RPC_NORESPONSE, FLUX_RPC_STREAMING
from ..eventlog import EventLogEvent


class JournalEventBase(EventLogEvent):
    """One journal event: ``name``, ``timestamp`` (now, if absent), ``context``, ``context_string``."""

    def __init__(self, event: Dict[str, Any]) -> None:
        if "timestamp" not in event:
            event["timestamp"] = time.time()
        super().__init__(event)

    def is_empty(self) -> bool:
        """True for the sentinel (an event without a name)."""
        return "name" not in self

    def __str__(self) -> str:
        if self.is_empty():
            return f"{self.timestamp:<0.5f} End of historical data stream"
        return " ".join([f"{self.timestamp:<0.5f}", self.name, self.context_string])


class JournalConsumerBase(ABC):
    """Follow one journal RPC; subclasses say how a response becomes events.

    ``process_response(resp)`` returns keywords for ``create_event(entry,
    **kwargs)``, called for each entry of ``resp["events"]``.  After
    ``start()``, ``poll(timeout)`` returns the next event, or None once the
    stream ended after ``stop()``; or ``set_callback(cb)`` gets them in the
    reactor.  With ``include_sentinel``, an empty event marks the end of
    the history.
    """

    SENTINEL_EVENT: Any = JournalEventBase({})

    def __init__(
        self,
        flux_handle: Any,
        topic: str,
        cancel_topic: Optional[str] = None,
        full: bool = True,
        since: float = 0.0,
        include_sentinel: bool = False,
    ) -> None:
        self.handle = flux_handle
        self.topic = topic
        self.cancel_topic = cancel_topic if cancel_topic is not None else f"{topic}-cancel"
        self.backlog: Deque[Any] = deque()
        self.full = full
        self.since = since
        self.rpc: Any = None
        self.cb: Optional[Callable[..., Any]] = None
        self.cb_args: Tuple[Any, ...] = ()
        self.cb_kwargs: Dict[str, Any] = {}
        # History is collected and sorted before anything is handed out.
        self.processing_inactive = self.full
        self.include_sentinel = include_sentinel

    def _sort_backlog(self) -> None:
        self.processing_inactive = False
        self.backlog = deque(sorted(self.backlog, key=lambda event: event.timestamp))
        if self.include_sentinel:
            self.backlog.append(self.SENTINEL_EVENT)

    @abstractmethod
    def process_response(self, resp: Dict[str, Any]) -> Dict[str, Any]:
        """Keywords for ``create_event`` from one response payload."""
        return {}

    @abstractmethod
    def create_event(self, entry: Dict[str, Any], **kwargs: Any) -> Any:
        """The event object for one entry of a response's ``events``."""
        return JournalEventBase(entry)

    def _enqueue_response(self, resp: Optional[Dict[str, Any]]) -> None:
        if resp is None:
            self.backlog.append(None)  # end of the stream
            return
        kwargs = self.process_response(resp)
        for entry in resp["events"]:
            event = self.create_event(entry, **kwargs)
            if event.timestamp > self.since:
                self.backlog.append(event)

    def _set_then_cb(self) -> None:
        if self.rpc is not None and self.cb is not None:
            # Once set, the continuation stays: it reads self.cb at each
            # response, so a new callback needs no new continuation.
            with contextlib.suppress(OSError):
                self.rpc.then(self._on_response)

    def is_empty_response(self, resp: Dict[str, Any]) -> bool:
        """True for the sentinel response (no events)."""
        return len(resp["events"]) == 0

    @property
    def request_payload(self) -> Dict[str, Any]:
        """The payload of the journal request."""
        return {}

    def start(self) -> JournalConsumerBase:
        """Send the journal request (again, with the same options, if called twice)."""
        self.rpc = self.handle.rpc(self.topic, self.request_payload, 0, FLUX_RPC_STREAMING)
        self._set_then_cb()
        return self

    def stop(self) -> None:
        """Cancel the request; the stream then ends (None from ``poll`` or to the callback)."""
        self.handle.rpc(self.cancel_topic, {"matchtag": self.rpc.pimpl.get_matchtag()}, 0, FLUX_RPC_NORESPONSE)

    def poll(self, timeout: float = -1.0) -> Any:
        """The next event (history first, in time order); None at the end; TimeoutError after ``timeout``."""
        if self.rpc is None:
            raise RuntimeError("poll() called before start()")
        while self.processing_inactive:
            resp = self.rpc.wait_for(timeout).get()
            if self.is_empty_response(resp):
                self._sort_backlog()
            else:
                self._enqueue_response(resp)
            self.rpc.reset()
        while not self.backlog:
            try:
                resp = self.rpc.wait_for(timeout).get()
            except OSError as exc:
                if exc.errno != errno.ENODATA:
                    raise
                resp = None
            self._enqueue_response(resp)
            self.rpc.reset()
        return self.backlog.popleft()

    def _flush_to_callback(self) -> None:
        if self.processing_inactive:
            return  # history is handed out sorted, once complete
        assert self.cb is not None
        while self.backlog:
            self.cb(self.backlog.popleft(), *self.cb_args, **self.cb_kwargs)

    def _on_response(self, future: Any) -> None:
        try:
            resp = future.get()
            if self.processing_inactive and self.is_empty_response(resp):
                self._sort_backlog()
            else:
                self._enqueue_response(resp)
            self._flush_to_callback()
        except OSError as exc:
            # As in flux-core, the end of the stream is queued but not
            # delivered: the reactor returns once no request is pending.
            if exc.errno == errno.ENODATA:
                self._enqueue_response(None)
        finally:
            future.reset()

    def set_callback(self, event_cb: Callable[..., Any], *args: Any, **kwargs: Any) -> JournalConsumerBase:
        """Deliver each event to ``event_cb(event, *args, **kwargs)`` (None at the end) in the reactor."""
        self.cb = event_cb
        self.cb_args = args
        self.cb_kwargs = kwargs
        self._set_then_cb()
        return self
