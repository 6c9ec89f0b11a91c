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
import contextlib
import itertools
import logging
import os
import threading
import weakref
from typing import Any, Callable, Deque, Dict, List, Literal, NamedTuple, Optional, Set, Tuple

from .event import MAIN_EVENTS, JobEventWatchFuture, JobException, event_watch_async
from .submit import SubmitFuture, submit_async, submit_get_id

__all__ = ["FluxExecutor", "FluxExecutorFuture"]

_LOG = logging.getLogger(__name__)


class _SubmitPackage(NamedTuple):
    """A jobspec to submit: ``flux.job.submit`` arguments after the handle, and its future."""

    submit_args: Tuple[Any, ...]
    submit_kwargs: Dict[str, Any]
    future: FluxExecutorFuture


class _AttachPackage:
    """A job to follow; the future gets the job id at once."""

    __slots__ = ("jobid", "future")

    def __init__(self, jobid: Any, fut: FluxExecutorFuture) -> None:
        self.jobid = jobid
        self.future = fut
        fut._set_jobid(jobid)


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


def _close_pipe(rfd: int, wfd: int) -> None:
    os.close(rfd)
    os.close(wfd)


def _outcome(event: Any) -> Optional[Tuple[str, Any]]:
    """What an event means for the job's future: ("result", exit code), ("exception", exc) or None."""
    if event.name == "exception":
        return ("exception", JobException(event)) if event.context["severity"] == 0 else None
    if event.name != "finish":
        return None
    status = event.context["status"]
    if os.WIFSIGNALED(status):
        return ("result", -os.WTERMSIG(status))
    if os.WIFEXITED(status):
        return ("result", os.WEXITSTATUS(status))
    return ("exception", ValueError(status))


class _FluxExecutorThread(threading.Thread):
    """One executor thread: its own handle, reactor and queue of packages (flux-core's names).

    ``_FluxExecutorThread(broken_event, exit_event, packages_to_handle,
    poll_interval, handle_args, handle_kwargs, **thread_kwargs)``.  It runs
    until ``exit_event`` is set, its queue is empty and every job it follows
    has ended.  The handle is opened at once (a bad URI fails in the
    constructor) and closed when ``run`` returns; running again reopens it.
    """

    def __init__(
        self,
        broken_event: threading.Event,
        exit_event: threading.Event,
        packages_to_handle: Deque[Any],
        poll_interval: float,
        handle_args: Tuple[Any, ...],
        handle_kwargs: Dict[str, Any],
        **kwargs: Any,
    ) -> None:
        threading.Thread.__init__(self, **kwargs)
        self.__broken, self.__exit_event = broken_event, exit_event
        self.__queue = packages_to_handle
        self.__tick = poll_interval
        self.__connect = (tuple(handle_args), dict(handle_kwargs))
        self.__running_user_futures: Set[FluxExecutorFuture] = set()  # futures whose job is still followed
        self.__wake_lock = threading.Lock()
        self.__wake_fds: Optional[Tuple[int, int]] = None
        self.__flux_handle: Any = None
        self.__open()

    def __open(self) -> None:
        from ..core.handle import Flux

        if self.__flux_handle is None:
            args, kwargs = self.__connect
            self.__flux_handle = Flux(*args, **kwargs)
        with self.__wake_lock:
            if self.__wake_fds is None:
                ends = os.pipe()
                for end in ends:
                    os.set_blocking(end, False)
                self.__wake_fds = ends
                # closed by close(), or when a thread that never ran is collected
                self.__pipe_finalizer = weakref.finalize(self, _close_pipe, *ends)

    def close(self) -> None:
        """Close the handle and the wake-up pipe (reopened by a later run)."""
        handle, self.__flux_handle = self.__flux_handle, None
        if handle is not None:
            handle.__exit__(None, None, None)
        with self.__wake_lock:
            had_pipe, self.__wake_fds = self.__wake_fds is not None, None
        if had_pipe:
            self.__pipe_finalizer()

    def wake(self) -> None:
        """Have the thread look at its queue now (not only every ``poll_interval``)."""
        with self.__wake_lock:
            if self.__wake_fds is not None:
                with contextlib.suppress(OSError):  # full: it is being woken anyway
                    os.write(self.__wake_fds[1], b"x")

    def run(self) -> None:
        try:
            self.__run()
        except Exception as exc:
            self.__fail_all(exc)
            raise
        finally:
            self.close()

    def __fail_all(self, exc: BaseException) -> None:
        # Broken: every future gets the error, the queued ones as they come
        # until the executor shuts down.
        self.__broken.set()
        for fut in self.__running_user_futures:
            if not fut.done():
                fut.set_exception(exc)
        while self.__queue or not self.__exit_event.is_set():
            try:
                self.__queue.popleft().future.set_exception(exc)
            except IndexError:  # nothing queued (or the shutdown took it)
                self.__exit_event.wait(0.01)

    def __run(self) -> None:
        self.__open()
        handle = self.__flux_handle
        assert self.__wake_fds is not None
        tick = handle.timer_watcher_create(self.__tick, self.__poll, repeat=self.__tick)
        wake = handle.fd_watcher_create(self.__wake_fds[0], self.__on_wake, events=1)
        watchers = (tick, wake)
        for watcher in watchers:
            watcher.start()
        try:
            while self.__work_remains():
                self.__take_packages()
                if handle.reactor_run() < 0:
                    raise RuntimeError("reactor start failed")
        finally:
            for watcher in watchers:
                watcher.stop()
                watcher.destroy()

    def __work_remains(self) -> bool:
        """False once it is safe to exit: shut down, nothing queued, no job followed."""
        return not self.__exit_event.is_set() or bool(self.__queue) or bool(self.__running_user_futures)

    def __on_wake(self, handle: Any, *_args: Any) -> None:
        fds = self.__wake_fds
        if fds is not None:
            with contextlib.suppress(OSError):
                while os.read(fds[0], 512):
                    pass
        self.__poll(handle)

    def __poll(self, *_args: Any) -> None:
        """From the timer and the wake-up: stop the reactor when done, else take what is queued."""
        if not self.__work_remains():
            self.__flux_handle.reactor_stop()
        self.__take_packages()

    def __take_packages(self) -> None:
        while self.__queue:
            try:
                package = self.__queue.popleft()
            except IndexError:
                break  # taken by the shutdown meanwhile
            if not package.future.set_running_or_notify_cancel():
                continue  # cancelled before it started
            starter = self.__submit if isinstance(package, _SubmitPackage) else self.__attach
            try:
                starter(package)
            except Exception as exc:
                package.future.set_exception(exc)
            else:
                self.__running_user_futures.add(package.future)

    def __submit(self, package: _SubmitPackage) -> None:
        pending = submit_async(self.__flux_handle, *package.submit_args, **package.submit_kwargs)
        pending.then(self.__submitted, package.future)

    def __attach(self, package: _AttachPackage) -> None:
        event_watch_async(self.__flux_handle, package.jobid).then(self.__event_update, package.future)

    def __submitted(self, submission_future: SubmitFuture, user_future: FluxExecutorFuture) -> None:
        try:
            jobid = submit_get_id(submission_future)
        except Exception as exc:
            user_future.set_exception(exc)
            self.__running_user_futures.discard(user_future)
            return
        user_future._set_jobid(jobid)
        event_watch_async(self.__flux_handle, jobid).then(self.__event_update, user_future)

    def __event_update(self, event_future: JobEventWatchFuture, user_future: FluxExecutorFuture) -> None:
        try:
            event = event_future.get_event()
        except Exception as exc:
            if not user_future.done():
                unknown = isinstance(exc, FileNotFoundError)  # the job id was not accepted
                user_future.set_exception(ValueError("job ID does not match any job") if unknown else exc)
            event = None
        if event is None:  # the eventlog is over (or failed)
            self.__running_user_futures.discard(user_future)
            return
        if event.name in user_future.EVENTS:
            user_future._set_event(event)
        outcome = None if user_future.done() else _outcome(event)
        if outcome is not None:
            kind, value = outcome
            (user_future.set_result if kind == "result" else user_future.set_exception)(value)


def _stop_workers(stopping: threading.Event, workers: List[_FluxExecutorThread]) -> None:
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
        self._submission_queues: List[Deque[Any]] = [collections.deque() for _ in range(threads)]
        self._next_thread = 0
        self._shutdown_lock = threading.Lock()
        self._broken_event = threading.Event()
        self._shutdown_event = threading.Event()
        prefix = thread_name_prefix or f"{type(self).__name__}-{self._counter()}"
        self._executor_threads: List[_FluxExecutorThread] = []
        try:
            for i, queue in enumerate(self._submission_queues):
                self._executor_threads.append(
                    _FluxExecutorThread(
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
                worker.close()
            raise
        for worker in self._executor_threads:
            worker.start()
        self._finalizer = weakref.finalize(self, _stop_workers, self._shutdown_event, self._executor_threads)

    def submit(self, *args: Any, **kwargs: Any) -> FluxExecutorFuture:
        """Submit a jobspec (``flux.job.submit`` arguments, minus the handle); RuntimeError after shutdown."""
        return self._create_future(lambda fut: _SubmitPackage(args, kwargs, fut))

    def attach(self, jobid: int) -> FluxExecutorFuture:
        """A future following an existing job."""
        return self._create_future(lambda fut: _AttachPackage(jobid, fut))

    def _create_future(self, make: Callable[[FluxExecutorFuture], Any]) -> FluxExecutorFuture:
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
