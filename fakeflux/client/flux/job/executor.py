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
        super().__init__(**kwargs)
        self.__broken_event = broken_event
        self.__exit_event = exit_event
        self.__packages_to_handle = packages_to_handle
        self.__poll_interval = poll_interval
        self.__handle_args = tuple(handle_args)
        self.__handle_kwargs = dict(handle_kwargs)
        self.__running_user_futures: Set[FluxExecutorFuture] = set()  # unfulfilled futures
        self.__wake_lock = threading.Lock()
        self.__wake_fds: Optional[Tuple[int, int]] = None
        self.__flux_handle: Any = None
        self.__open()

    def __open(self) -> None:
        from ..core.handle import Flux

        if self.__flux_handle is None:
            self.__flux_handle = Flux(*self.__handle_args, **self.__handle_kwargs)
        with self.__wake_lock:
            if self.__wake_fds is None:
                rfd, wfd = os.pipe()
                os.set_blocking(rfd, False)
                os.set_blocking(wfd, False)
                self.__wake_fds = (rfd, wfd)
                # closed by close(), or when a thread that never ran is collected
                self.__pipe_finalizer = weakref.finalize(self, _close_pipe, rfd, wfd)

    def close(self) -> None:
        """Close the handle and the wake-up pipe (reopened by a later run)."""
        handle, self.__flux_handle = self.__flux_handle, None
        if handle is not None:
            handle.__exit__(None, None, None)
        with self.__wake_lock:
            fds, self.__wake_fds = self.__wake_fds, None
        if fds is not None:
            self.__pipe_finalizer()

    def wake(self) -> None:
        """Have the thread look at its queue now (not only every ``poll_interval``)."""
        with self.__wake_lock:
            if self.__wake_fds is None:
                return
            try:
                os.write(self.__wake_fds[1], b"x")
            except OSError:
                pass  # the pipe is full: the thread is being woken anyway

    def run(self) -> None:
        try:
            self.__run()
        except Exception as exc:
            self.__broken_event.set()
            for fut in self.__running_user_futures:
                if not fut.done():
                    fut.set_exception(exc)
            while self.__packages_to_handle or not self.__exit_event.is_set():
                try:
                    package = self.__packages_to_handle.popleft()
                except IndexError:
                    self.__exit_event.wait(0.01)
                else:
                    package.future.set_exception(exc)
            raise
        finally:
            self.close()

    def __run(self) -> None:
        self.__open()
        handle = self.__flux_handle
        assert self.__wake_fds is not None
        timer = handle.timer_watcher_create(self.__poll_interval, self.__submit_new_jobs, repeat=self.__poll_interval)
        wake = handle.fd_watcher_create(self.__wake_fds[0], self.__on_wake, events=1)
        timer.start()
        wake.start()
        try:
            while self.__work_remains():
                self.__submit_new_jobs(reactor_run=False)
                if handle.reactor_run() < 0:
                    raise RuntimeError("reactor start failed")
        finally:
            timer.stop()
            wake.stop()
            timer.destroy()
            wake.destroy()

    def __work_remains(self) -> bool:
        """False once it is safe to exit: shut down, nothing queued, no job followed."""
        return bool(not self.__exit_event.is_set() or self.__packages_to_handle or self.__running_user_futures)

    def __on_wake(self, handle: Any, *_args: Any) -> None:
        fds = self.__wake_fds
        if fds is not None:
            try:
                while os.read(fds[0], 512):
                    pass
            except OSError:
                pass  # drained
        self.__submit_new_jobs(handle)

    def __submit_new_jobs(self, *_args: Any, reactor_run: bool = True) -> None:
        """Start on the queued packages (from the timer and the wake-up, and before each reactor run)."""
        if not self.__work_remains() and reactor_run:
            self.__flux_handle.reactor_stop()
        while self.__packages_to_handle:
            try:
                package = self.__packages_to_handle.popleft()
            except IndexError:
                continue
            if package.future.set_running_or_notify_cancel():
                if isinstance(package, _SubmitPackage):
                    self.__handle_submit(package)
                else:
                    self.__handle_attach(package)

    def __handle_submit(self, package: _SubmitPackage) -> None:
        try:
            submit_async(self.__flux_handle, *package.submit_args, **package.submit_kwargs).then(
                self.__submission_callback, package.future
            )
        except Exception as exc:
            package.future.set_exception(exc)
        else:
            self.__running_user_futures.add(package.future)

    def __handle_attach(self, package: _AttachPackage) -> None:
        try:
            event_watch_async(self.__flux_handle, package.jobid).then(self.__event_update, package.future)
        except Exception as exc:
            package.future.set_exception(exc)
        else:
            self.__running_user_futures.add(package.future)

    def __submission_callback(self, submission_future: SubmitFuture, user_future: FluxExecutorFuture) -> None:
        try:
            jobid = submit_get_id(submission_future)
        except Exception as exc:
            user_future.set_exception(exc)
            self.__running_user_futures.discard(user_future)
            return
        user_future._set_jobid(jobid)
        event_watch_async(self.__flux_handle, jobid).then(self.__event_update, user_future)

    def __event_update(self, event_future: JobEventWatchFuture, user_future: FluxExecutorFuture) -> None:
        event = None
        try:
            event = event_future.get_event()
        except FileNotFoundError:  # the job id was not accepted
            if not user_future.done():
                user_future.set_exception(ValueError("job ID does not match any job"))
        except Exception as exc:
            if not user_future.done():
                user_future.set_exception(exc)
        if event is None:  # no more events
            self.__running_user_futures.discard(user_future)
            return
        if event.name in user_future.EVENTS:
            user_future._set_event(event)
        if user_future.done():
            return
        if event.name == "finish":
            status = event.context["status"]
            if os.WIFEXITED(status):
                user_future.set_result(os.WEXITSTATUS(status))
            elif os.WIFSIGNALED(status):
                user_future.set_result(-os.WTERMSIG(status))
            else:
                user_future.set_exception(ValueError(status))
        elif event.name == "exception" and event.context["severity"] == 0:
            user_future.set_exception(JobException(event))


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
