"""Futures (flux-core's ``flux.future``): Future, WaitAllFuture, FutureExt.

A Python future is a view on a shared :class:`._futurecore.FutureCore`;
``Future(other_future)`` shares it.  Leaving a ``with`` block, or losing the
last reference, destroys the view.  A future with a pending ``then``
continuation stays alive without a reference (``_THEN_HANDLES``) until the
continuation has run for every result that was asked for.
"""

from __future__ import annotations

import errno
import json
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from . import _state
from ._dispatch import Core
from ._futurecore import FutureCore
from ._reactor import Reactor

if TYPE_CHECKING:
    from .core.handle import Flux

__all__ = ["Future", "WaitAllFuture", "FutureExt"]

_THEN_HANDLES: Dict[Future, int] = {}
_INIT_HANDLES: Dict[Future, int] = {}


def _text_error(fc: FutureCore, err: OSError) -> OSError:
    """flux-core's check_future_error: prefer the future's own error text."""
    text = fc.error_string()
    if text is None:
        return err
    return OSError(err.errno, text)


def _core_of(handle: Any) -> Optional[Core]:
    if handle is None:
        return None
    if isinstance(handle, Core):
        return handle
    return handle._c()


class Future:
    """A Flux future.  Not thread-safe: use it from the thread of its handle."""

    def __init__(self, future_handle: Union[Future, FutureCore], prefixes: Any = None, pimpl_t: Any = None) -> None:
        if isinstance(future_handle, Future):
            fc = future_handle.pimpl
            fc.incref()
        elif isinstance(future_handle, FutureCore):
            fc = future_handle
        else:
            raise TypeError(f"cannot make a Future from {type(future_handle).__name__}")
        self.pimpl: FutureCore = fc
        self._released = False
        self.then_cb: Optional[Callable[..., Any]] = None
        self.then_args: Any = []
        self.then_kwargs: Dict[str, Any] = {}
        self.cb_handle: Any = None
        self.stopped = False

    # -- lifetime ---------------------------------------------------------------
    @property
    def handle(self) -> FutureCore:
        return self.pimpl

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self.pimpl.decref()

    def __enter__(self) -> Future:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._release()

    def __del__(self) -> None:
        try:
            self._release()
        except Exception:
            pass

    def incref(self) -> None:
        self.pimpl.incref()

    # -- state ------------------------------------------------------------------
    def stop(self) -> None:
        """Suppress further ``then`` callbacks (useful for streaming futures)."""
        self.stopped = True

    def error_string(self) -> Optional[str]:
        return self.pimpl.error_string()

    def is_ready(self) -> bool:
        return self.pimpl.is_ready()

    def get_flux(self) -> Optional[Flux]:
        """A handle object for the future's ``flux_t`` (the private clone during a blocking wait)."""
        from .core.handle import Flux

        core = self.pimpl.get_flux()
        if core is None:
            return None
        return Flux(handle=core)

    def set_flux(self, flux_handle: Any) -> None:
        self.pimpl.set_flux(_core_of(flux_handle))

    def get_reactor(self) -> Optional[Reactor]:
        return self.pimpl.get_reactor()

    def fulfill_error(self, errnum: int = errno.ENOENT, errstr: Optional[str] = None) -> None:
        self.pimpl.fulfill_error(errnum, errstr)

    def reset(self) -> None:
        self.pimpl.reset()
        if self in _THEN_HANDLES:
            _THEN_HANDLES[self] += 1

    def raise_if_handle_exception(self) -> None:
        if self.pimpl.core is not None:
            _state.raise_if_exception()

    # -- continuations ----------------------------------------------------------
    def then(self, callback: Callable[..., Any], *args: Any, timeout: float = -1.0, **kwargs: Any) -> Future:
        """Run ``callback(future, *args, **kwargs)`` from the reactor when a result is ready."""
        if self in _THEN_HANDLES:
            raise OSError(errno.EEXIST, "then callback already exists for this future")
        if callback is None:
            raise ValueError("Callback cannot be None")
        self.then_cb = callback
        self.then_args = args
        self.then_kwargs = kwargs
        ref = weakref.ref(self)

        def continuation(_fc: FutureCore) -> None:
            fut = ref()
            if fut is not None:
                fut._continuation()

        self.cb_handle = continuation
        _THEN_HANDLES[self] = 1
        try:
            self.pimpl.then_set(timeout, continuation)
        except BaseException:
            del _THEN_HANDLES[self]
            raise
        return self

    def _continuation(self) -> None:
        try:
            if not self.stopped and self.then_cb is not None:
                self.then_cb(self, *self.then_args, **self.then_kwargs)
        except Exception as exc:
            _state.set_exception(exc)
            reactor = self.pimpl.get_reactor()
            if reactor is not None:
                reactor.stop_error()
            self.pimpl.reset()
            self.stop()
        finally:
            count = _THEN_HANDLES.get(self)
            if count is not None:
                if count <= 1:
                    del _THEN_HANDLES[self]
                else:
                    _THEN_HANDLES[self] = count - 1

    # -- blocking ---------------------------------------------------------------
    def wait_for(self, timeout: float = -1.0) -> Future:
        """Block up to ``timeout`` seconds (-1: forever); TimeoutError (ETIMEDOUT) if not ready."""
        fc = self.pimpl
        try:
            fc.wait_for(timeout)
        except OSError as err:
            self.raise_if_handle_exception()
            raise _text_error(fc, err) from None
        return self

    def get(self) -> Any:
        """Block until fulfilled; returns None, raises OSError on an error result."""
        fc = self.pimpl
        try:
            fc.get()
        except OSError as err:
            self.raise_if_handle_exception()
            raise _text_error(fc, err) from None
        return None


class WaitAllFuture(Future):
    """A future that is ready when every pushed child is."""

    def __init__(self, children: Optional[List[Future]] = None) -> None:
        self.children: List[Future] = children if children is not None else []
        self._named: Dict[str, Future] = {}
        ref = weakref.ref(self)

        def init(fc: FutureCore) -> None:
            fut = ref()
            if fut is not None:
                fut._init_children(fc)

        super().__init__(FutureCore(init=init))
        for child in list(self.children):
            child.pimpl.incref()
            if self.pimpl.core is None:
                self.pimpl.set_flux(child.pimpl.get_flux())

    def push(self, child: Future, name: Optional[str] = None) -> None:
        if self.pimpl.core is None:
            self.pimpl.set_flux(child.pimpl.get_flux())
        child.pimpl.incref()
        if name is not None:
            self._named[name] = child
        self.children.append(child)

    def get_child(self, name: str) -> Optional[Future]:
        return self._named.get(name)

    def _init_children(self, fc: FutureCore) -> None:
        core = fc.get_flux()
        ref = weakref.ref(self)

        def child_ready(_child: FutureCore) -> None:
            fut = ref()
            if fut is not None and not fut.pimpl.is_ready():
                if all(c.pimpl.is_ready() for c in fut.children):
                    fut.pimpl.fulfill(None)

        for child in self.children:
            child.pimpl.set_flux(core)
            child.pimpl.then_set(-1.0, child_ready)
        if all(c.pimpl.is_ready() for c in self.children):
            fc.fulfill(None)

    def __del__(self) -> None:
        super().__del__()
        for child in getattr(self, "children", ()):
            try:
                child.pimpl.decref()
            except Exception:
                pass


class FutureExt(Future):
    """An empty future fulfilled from Python.

    ``init_cb(future, *args, **kw_args)`` runs on the first ``get()`` or
    ``then()``; it should use ``future.get_flux()`` for the handle of the
    context it runs in.  ``fulfill(result)`` stores a JSON-serialisable value.
    """

    def __init__(self, init_cb: Callable[..., Any], *args: Any, flux_handle: Any = None, **kw_args: Any) -> None:
        self.init_cb = init_cb
        self.init_args = args
        self.init_kwargs = kw_args
        ref = weakref.ref(self)

        def init(_fc: FutureCore) -> None:
            fut = ref()
            if fut is not None:
                fut._run_init()

        super().__init__(FutureCore(init=init))
        _INIT_HANDLES[self] = 1
        if flux_handle is not None:
            self.set_flux(flux_handle)

    def _run_init(self) -> None:
        try:
            self.init_cb(self, *self.init_args, **self.init_kwargs)
        except Exception as exc:
            _state.set_exception(exc)
            reactor = self.pimpl.get_reactor()
            if reactor is not None:
                reactor.stop_error()
        finally:
            count = _INIT_HANDLES.get(self)
            if count is not None:
                if count <= 1:
                    del _INIT_HANDLES[self]
                else:
                    _INIT_HANDLES[self] = count - 1

    def fulfill(self, result: Any = None) -> None:
        """Fulfil with ``result`` (anything json.dumps accepts; None included)."""
        self.pimpl.fulfill(json.dumps(result))

    def get(self) -> Any:
        fc = self.pimpl
        try:
            value = fc.get()
        except OSError as err:
            self.raise_if_handle_exception()
            raise _text_error(fc, err) from None
        if value is None:
            return None
        return json.loads(value)
