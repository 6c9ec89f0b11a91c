"""``FluxExecutor``: a ``concurrent.futures``-style executor of Flux jobs (flux-core's API).

Each worker thread owns a handle (opened when the executor is built, so a
bad URI fails at once) and runs its reactor: it submits queued jobspecs with
:func:`submit_async`, watches each job's main eventlog, and completes the
job's :class:`FluxExecutorFuture` from the events: the result is the exit
status of the ``finish`` event (``-signum`` for a signal), a fatal
``exception`` event sets :class:`JobException`, a job id the instance does
not know sets ``ValueError("job ID does not match any job")``.  A thread
keeps going until the executor is shut down and every job it follows has
reached ``clean``.

Unlike flux-core's, the worker is woken through a pipe when work arrives
instead of polling every ``poll_interval`` seconds (which stays a fallback),
and ``shutdown(cancel_futures=True)`` works (flux-core's misspells a method
there and raises AttributeError).
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import logging
import os
import threading
import weakref
from typing import Any, Callable, Deque, Dict, List, Literal, Optional, Set, Tuple, Union

from .event import MAIN_EVENTS, JobEventWatchFuture, JobException, event_watch_async
from .submit import SubmitFuture, submit_async, submit_get_id

__all__ = ["FluxExecutor", "FluxExecutorFuture"]

_LOG = logging.getLogger(__name__)


class _Submit:
    __slots__ = ("args", "kwargs", "future")

    def __init__(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], future: FluxExecutorFuture) -> None:
        self.args = args
        self.kwargs = kwargs
        self.future = future


class _Attach:
    __slots__ = ("jobid", "future")

    def __init__(self, jobid: int, future: FluxExecutorFuture) -> None:
        self.jobid = jobid
        self.future = future
        future._set_jobid(jobid)


_Work = Union[_Submit, _Attach]


class FluxExecutorFuture(concurrent.futures.Future):
    """A ``concurrent.futures.Future`` for one Flux job, with its job id and eventlog events.

    * :meth:`jobid` waits for the job id; :meth:`add_jobid_callback` runs a callback once known;
    * :meth:`add_event_callback` runs ``callback(future, event)`` for each event of a name in
      :attr:`EVENTS`, including ones that already happened.

    Callbacks run in the executor's thread; one that raises is logged and ignored.
    """

    #: The event names :meth:`add_event_callback` accepts.
    EVENTS = MAIN_EVENTS

    def __init__(self, owning_thread_id: Optional[int], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__owner = owning_thread_id
        self.__jobid_cond = threading.Condition()
        self.__jobid: Optional[int] = None
        self.__jobid_known = False
        self.__jobid_error: Optional[BaseException] = None
        self.__jobid_callbacks: List[Callable[[FluxExecutorFuture], Any]] = []
        self.__event_lock = threading.RLock()
        self.__events_seen: Dict[str, Deque[Any]] = {name: collections.deque() for name in self.EVENTS}
        self.__event_callbacks: Dict[str, Deque[Callable[..., Any]]] = {
            name: collections.deque() for name in self.EVENTS
        }

    # -- job id -----------------------------------------------------------------------------
    def _set_jobid(self, jobid: Optional[int], exc: Optional[BaseException] = None) -> None:
        """Record the job id (or, with ``exc``, the error :meth:`jobid` raises); for executors and tests."""
        if self.__jobid_known:
            raise RuntimeError("invalid state: jobid already set")
        with self.__jobid_cond:
            self.__jobid = jobid
            self.__jobid_known = True
            if exc is not None:
                self.__jobid_error = exc
            self.__jobid_cond.notify_all()
        for callback in self.__jobid_callbacks:
            self._invoke_flux_callback(callback)

    def jobid(self, timeout: Optional[float] = None) -> Any:
        """The job id, waiting up to ``timeout`` seconds (concurrent.futures.TimeoutError).

        Raises the cancellation or submission error when there is no job id.
        """
        if not self.__jobid_known:
            with self.__jobid_cond:
                self.__jobid_cond.wait_for(lambda: self.__jobid_known, timeout)
            if not self.__jobid_known:
                raise concurrent.futures.TimeoutError()
        if self.__jobid_error is not None:
            raise self.__jobid_error
        return self.__jobid

    def add_jobid_callback(self, callback: Callable[[FluxExecutorFuture], Any]) -> FluxExecutorFuture:
        """Call ``callback(future)`` once the job id is known (now if it already is)."""
        with self.__jobid_cond:
            if self.__jobid is None:
                self.__jobid_callbacks.append(callback)
                return self
        self._invoke_flux_callback(callback)
        return self

    def _invoke_flux_callback(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            callback(self, *args)
        except Exception:
            _LOG.exception("exception calling callback for %r", self)

    # -- events -------------------------------------------------------------------------------
    def add_event_callback(self, event: str, callback: Callable[..., Any]) -> FluxExecutorFuture:
        """Call ``callback(future, EventLogEvent)`` for each ``event`` of the job (ValueError for
        a name not in :attr:`EVENTS`)."""
        if event not in self.EVENTS:
            raise ValueError(event)
        with self.__event_lock:
            self.__event_callbacks[event].append(callback)
            for entry in self.__events_seen[event]:
                self._invoke_flux_callback(callback, entry)
        return self

    def _set_event(self, log_entry: Any) -> None:
        """Record an eventlog entry and run its callbacks; for executors and tests."""
        name = log_entry.name
        if name not in self.EVENTS:
            raise ValueError(name)
        with self.__event_lock:
            self.__events_seen[name].append(log_entry)
            for callback in list(self.__event_callbacks[name]):
                self._invoke_flux_callback(callback, log_entry)

    # -- concurrent.futures.Future ---------------------------------------------------------------
    def add_done_callback(self, *args: Any, **kwargs: Any) -> FluxExecutorFuture:  # type: ignore[override]
        super().add_done_callback(*args, **kwargs)
        return self

    def _check_not_owner(self) -> None:
        if not self.done() and threading.get_ident() == self.__owner:
            raise RuntimeError("Cannot wait for future from inside callback")

    def result(self, *args: Any, **kwargs: Any) -> Any:
        """As ``Future.result``; RuntimeError if called unfinished from the executor's own thread."""
        self._check_not_owner()
        return super().result(*args, **kwargs)

    def exception(self, *args: Any, **kwargs: Any) -> Optional[BaseException]:
        self._check_not_owner()
        return super().exception(*args, **kwargs)

    def set_exception(self, exception: Optional[BaseException]) -> None:
        """Also settle :meth:`jobid` when the job never got one."""
        if not self.__jobid_known:
            self._set_jobid(None, RuntimeError(f"job could not be submitted due to {exception!r}"))
        super().set_exception(exception)

    def cancel(self, *args: Any, **kwargs: Any) -> bool:
        """Cancel before the executor has started on it (the Flux job is not touched)."""
        if self.cancelled():
            return True
        cancelled = super().cancel(*args, **kwargs)
        if cancelled and not self.__jobid_known:
            self._set_jobid(None, concurrent.futures.CancelledError())
        return cancelled


class _Worker(threading.Thread):
    """One executor thread: its own handle and reactor, its own queue."""

    def __init__(
        self,
        broken: threading.Event,
        stopping: threading.Event,
        queue: Deque[_Work],
        poll_interval: float,
        handle_args: Tuple[Any, ...],
        handle_kwargs: Dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from .. import Flux

        self._broken = broken
        self._stopping = stopping
        self._queue = queue
        self._poll_interval = poll_interval
        self._handle: Any = Flux(*handle_args, **handle_kwargs)
        self._following: Set[FluxExecutorFuture] = set()  # futures whose events are still coming
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._pipe_lock = threading.Lock()
        self._pipe_open = True

    def wake(self) -> None:
        with self._pipe_lock:
            if not self._pipe_open:
                return
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass  # the pipe is full: the thread wakes anyway

    # -- the thread ---------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:
            self._broken.set()
            for fut in self._following:
                if not fut.done():
                    fut.set_exception(exc)
            while self._queue or not self._stopping.is_set():
                try:
                    work = self._queue.popleft()
                except IndexError:
                    self._stopping.wait(0.01)
                else:
                    if work.future.set_running_or_notify_cancel():
                        work.future.set_exception(exc)
            raise
        finally:
            self._close()

    def _close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.__exit__(None, None, None)
        with self._pipe_lock:
            if self._pipe_open:
                self._pipe_open = False
                os.close(self._wake_r)
                os.close(self._wake_w)

    def _work_remains(self) -> bool:
        return bool(not self._stopping.is_set() or self._queue or self._following)

    def _loop(self) -> None:
        h = self._handle
        timer = h.timer_watcher_create(self._poll_interval, self._on_tick, repeat=self._poll_interval)
        wake = h.fd_watcher_create(self._wake_r, self._on_wake, events=1)
        timer.start()
        wake.start()
        try:
            while self._work_remains():
                self._take_work()
                if h.reactor_run() < 0:
                    raise RuntimeError("reactor start failed")
        finally:
            timer.stop()
            wake.stop()
            timer.destroy()
            wake.destroy()

    def _on_tick(self, h: Any, *_args: Any) -> None:
        self._take_work()
        if not self._work_remains():
            h.reactor_stop()

    def _on_wake(self, h: Any, *_args: Any) -> None:
        try:
            while os.read(self._wake_r, 512):
                pass
        except (BlockingIOError, OSError):
            pass
        self._on_tick(h)

    def _take_work(self) -> None:
        while self._queue:
            try:
                work = self._queue.popleft()
            except IndexError:
                break
            if not work.future.set_running_or_notify_cancel():
                continue
            if isinstance(work, _Submit):
                self._submit(work)
            else:
                self._attach(work)

    # -- jobs -----------------------------------------------------------------------------------
    def _submit(self, work: _Submit) -> None:
        try:
            submit_async(self._handle, *work.args, **work.kwargs).then(self._on_submitted, work.future)
        except Exception as exc:
            work.future.set_exception(exc)
        else:
            self._following.add(work.future)

    def _attach(self, work: _Attach) -> None:
        try:
            event_watch_async(self._handle, work.jobid).then(self._on_event, work.future)
        except Exception as exc:
            work.future.set_exception(exc)
        else:
            self._following.add(work.future)

    def _on_submitted(self, submitted: SubmitFuture, fut: FluxExecutorFuture) -> None:
        try:
            jobid = submit_get_id(submitted)
        except Exception as exc:
            fut.set_exception(exc)
            self._following.discard(fut)
            return
        fut._set_jobid(jobid)
        event_watch_async(self._handle, jobid).then(self._on_event, fut)

    def _on_event(self, watch: JobEventWatchFuture, fut: FluxExecutorFuture) -> None:
        try:
            event = watch.get_event()
        except FileNotFoundError:  # the job id was not accepted
            if not fut.done():
                fut.set_exception(ValueError("job ID does not match any job"))
            event = None
        except Exception as exc:
            if not fut.done():
                fut.set_exception(exc)
            event = None
        if event is None:  # the eventlog is over (or failed)
            self._following.discard(fut)
            return
        if event.name in fut.EVENTS:
            fut._set_event(event)
        if fut.done():
            return
        if event.name == "finish":
            status = event.context["status"]
            if os.WIFEXITED(status):
                fut.set_result(os.WEXITSTATUS(status))
            elif os.WIFSIGNALED(status):
                fut.set_result(-os.WTERMSIG(status))
            else:
                fut.set_exception(ValueError(status))
        elif event.name == "exception" and event.context["severity"] == 0:
            fut.set_exception(JobException(event))


def _stop_workers(stopping: threading.Event, workers: List[_Worker]) -> None:
    stopping.set()
    for worker in workers:
        worker.wake()
    for worker in workers:
        if worker is not threading.current_thread():
            worker.join()


class FluxExecutor:
    """Submit jobspecs and follow the jobs from background threads, like a ``concurrent.futures`` executor.

    ``FluxExecutor(threads=1, thread_name_prefix="", poll_interval=0.1, handle_args=(),
    handle_kwargs={})``: each thread opens ``flux.Flux(*handle_args, **handle_kwargs)``.
    :meth:`submit` takes the arguments of :func:`flux.job.submit` after the handle and
    returns a :class:`FluxExecutorFuture`; :meth:`attach` follows an existing job.
    Works as a context manager (``shutdown(wait=True)`` on exit).
    """

    _counter = itertools.count().__next__
    EVENTS = MAIN_EVENTS

    def __init__(
        self,
        threads: int = 1,
        thread_name_prefix: str = "",
        poll_interval: float = 0.1,
        handle_args: Tuple[Any, ...] = (),
        handle_kwargs: Dict[str, Any] = {},  # noqa: B006 - flux-core's default
    ) -> None:
        if threads < 0:
            raise ValueError("the number of threads must be > 0")
        self._submission_queues: List[Deque[_Work]] = [collections.deque() for _ in range(threads)]
        self._next_thread = 0
        self._shutdown_lock = threading.Lock()
        self._broken_event = threading.Event()
        self._shutdown_event = threading.Event()
        prefix = thread_name_prefix or f"{type(self).__name__}-{self._counter()}"
        self._executor_threads: List[_Worker] = []
        try:
            for i, queue in enumerate(self._submission_queues):
                self._executor_threads.append(
                    _Worker(
                        self._broken_event,
                        self._shutdown_event,
                        queue,
                        poll_interval,
                        tuple(handle_args),
                        dict(handle_kwargs),
                        name=f"{prefix}-{i}",
                        daemon=True,
                    )
                )
        except BaseException:
            for worker in self._executor_threads:
                worker._close()
            raise
        for worker in self._executor_threads:
            worker.start()
        self._finalizer = weakref.finalize(self, _stop_workers, self._shutdown_event, self._executor_threads)

    def submit(self, *args: Any, **kwargs: Any) -> FluxExecutorFuture:
        """Submit a jobspec (``flux.job.submit`` arguments, minus the handle); RuntimeError after shutdown."""
        return self._create_future(lambda fut: _Submit(args, kwargs, fut))

    def attach(self, jobid: int) -> FluxExecutorFuture:
        """A future following an existing job."""
        return self._create_future(lambda fut: _Attach(jobid, fut))

    def _create_future(self, make: Callable[[FluxExecutorFuture], _Work]) -> FluxExecutorFuture:
        if self._broken_event.is_set():
            raise RuntimeError("Executor is broken, new futures cannot be scheduled")
        with self._shutdown_lock:
            if self._shutdown_event.is_set():
                raise RuntimeError("cannot schedule new futures after shutdown")
            worker = self._executor_threads[self._next_thread]
            fut = FluxExecutorFuture(worker.ident)
            self._submission_queues[self._next_thread].append(make(fut))
            self._next_thread = (self._next_thread + 1) % len(self._submission_queues)
        worker.wake()
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking work; the threads end once their jobs are done (``clean``).

        ``wait`` joins them; ``cancel_futures`` cancels what no thread has started on.
        Safe to call more than once.
        """
        with self._shutdown_lock:
            self._shutdown_event.set()
        if cancel_futures:
            for queue in self._submission_queues:
                while queue:
                    try:
                        work = queue.popleft()
                    except IndexError:
                        break
                    work.future.cancel()
                    work.future.set_running_or_notify_cancel()
        for worker in self._executor_threads:
            worker.wake()
        if wait:
            for worker in self._executor_threads:
                worker.join()

    def __enter__(self) -> FluxExecutor:
        return self

    def __exit__(self, *_exc: Any) -> Literal[False]:
        self.shutdown(wait=True)
        return False
