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
from abc import ABC as _Abstract
from abc import abstractmethod
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from ..constants import FLUX_RPC_NORESPONSE, FLUX_RPC_STREAMING
from ..eventlog import EventLogEvent

_END_OF_STREAM = None  # what poll() and the callback get once the stream is over


class JournalEventBase(EventLogEvent):
    """One journal event: ``name``, ``timestamp`` (now, if absent), ``context``, ``context_string``."""

    def __init__(self, event: Dict[str, Any]) -> None:
        event.setdefault("timestamp", time.time())
        super().__init__(event)

    def is_empty(self) -> bool:
        """True for the sentinel (an event without a name)."""
        return "name" not in self.keys()

    def __str__(self) -> str:
        stamp = f"{self.timestamp:<0.5f}"
        if self.is_empty():
            return f"{stamp} End of historical data stream"
        return f"{stamp} {self.name} {self.context_string}"


class JournalConsumerBase(_Abstract):
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
        self.cancel_topic = f"{topic}-cancel" if cancel_topic is None else cancel_topic
        self.full = full
        self.since = since
        self.include_sentinel = include_sentinel
        self.rpc: Any = None
        self.cb: Optional[Callable[..., Any]] = None
        self.cb_args: Tuple[Any, ...] = ()
        self.cb_kwargs: Dict[str, Any] = {}
        # events ready to hand out, in order (None: the stream is over)
        self.backlog: Deque[Any] = deque()
        # True while the history is still coming: it is held back and sorted
        self.processing_inactive = full

    # -- what subclasses provide ---------------------------------------------------------------
    @abstractmethod
    def process_response(self, resp: Dict[str, Any]) -> Dict[str, Any]:
        """Keywords for ``create_event`` from one response payload."""
        return {}

    @abstractmethod
    def create_event(self, entry: Dict[str, Any], **kwargs: Any) -> Any:
        """The event object for one entry of a response's ``events``."""
        return JournalEventBase(entry)

    def is_empty_response(self, resp: Dict[str, Any]) -> bool:
        """True for the sentinel response (no events)."""
        return not resp["events"]

    @property
    def request_payload(self) -> Dict[str, Any]:
        """The payload of the journal request."""
        return {}

    # -- the stream --------------------------------------------------------------------------
    def _events_of(self, resp: Dict[str, Any]) -> List[Any]:
        extra = self.process_response(resp)
        made = (self.create_event(entry, **extra) for entry in resp["events"])
        return [event for event in made if event.timestamp > self.since]

    def _history_complete(self) -> None:
        ordered = sorted(self.backlog, key=lambda event: event.timestamp)
        if self.include_sentinel:
            ordered.append(self.SENTINEL_EVENT)
        self.backlog = deque(ordered)
        self.processing_inactive = False

    def _take(self, resp: Optional[Dict[str, Any]]) -> None:
        """File one response (None: the stream ended) into the backlog."""
        if resp is None:
            self.backlog.append(_END_OF_STREAM)
        elif self.processing_inactive and self.is_empty_response(resp):
            self._history_complete()
        else:
            self.backlog.extend(self._events_of(resp))

    def _next_response(self, timeout: float) -> Optional[Dict[str, Any]]:
        ready = self.rpc.wait_for(timeout)  # TimeoutError: nothing consumed
        try:
            resp: Dict[str, Any] = ready.get()
        except OSError as exc:
            # the end of the stream, once the history is through; else an error
            if exc.errno != errno.ENODATA or self.processing_inactive:
                raise
            self.rpc.reset()
            return None
        self.rpc.reset()
        return resp

    def _attach_callback(self) -> None:
        # The continuation reads self.cb at each response, so it is set
        # once; a second then() fails and that is fine.
        if self.rpc is not None and self.cb is not None:
            with contextlib.suppress(OSError):
                self.rpc.then(self._on_response)

    def start(self) -> JournalConsumerBase:
        """Send the journal request (again, with the same options, if called twice)."""
        self.rpc = self.handle.rpc(self.topic, self.request_payload, 0, FLUX_RPC_STREAMING)
        self._attach_callback()
        return self

    def stop(self) -> None:
        """Cancel the request; the stream then ends (None from ``poll`` or to the callback)."""
        matchtag = self.rpc.pimpl.get_matchtag()
        self.handle.rpc(self.cancel_topic, {"matchtag": matchtag}, 0, FLUX_RPC_NORESPONSE)

    def poll(self, timeout: float = -1.0) -> Any:
        """The next event (history first, in time order); None at the end; TimeoutError after ``timeout``."""
        if self.rpc is None:
            raise RuntimeError("poll() called before start()")
        while self.processing_inactive or not self.backlog:
            self._take(self._next_response(timeout))
        return self.backlog.popleft()

    def _deliver(self) -> None:
        if self.processing_inactive or self.cb is None:
            return  # the history goes out sorted, once complete
        while self.backlog:
            self.cb(self.backlog.popleft(), *self.cb_args, **self.cb_kwargs)

    def _on_response(self, future: Any) -> None:
        try:
            self._take(future.get())
            self._deliver()
        except OSError as exc:
            # As flux-core: the end of the stream is queued but not
            # delivered (the reactor returns once no request is pending),
            # and other errors here are dropped.
            if exc.errno == errno.ENODATA:
                self._take(None)
        finally:
            future.reset()

    def set_callback(self, event_cb: Callable[..., Any], *args: Any, **kwargs: Any) -> JournalConsumerBase:
        """Deliver each event to ``event_cb(event, *args, **kwargs)`` (None at the end) in the reactor."""
        self.cb, self.cb_args, self.cb_kwargs = event_cb, args, kwargs
        self._attach_callback()
        return self
