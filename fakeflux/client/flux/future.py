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
from .wrapper import NULL_HANDLE, Wrapper, WrapperPimpl

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


class _FutureInner(Wrapper):
    """A future's ``pimpl`` (flux-core's ``Future.InnerWrapper``): holds the ``flux_future_t``.

    Its ``handle`` is the shared :class:`._futurecore.FutureCore`.  Methods of
    the core are reached directly (``pimpl.is_ready()``, ``pimpl.fulfill(ffi.NULL,
    ffi.NULL)``); other names resolve to ``flux_future_*`` functions of
    ``flux.core.inner.lib`` with the handle passed first.  Setting ``handle``
    releases the old future; once it is None every call raises ValueError.
    """

    # Fixed per class (as flux-core's per-class signature check demands); kept as class
    # attributes so that making one, once per RPC, costs little.
    match = "flux_future_t *"
    filter_match = True
    destructor = None
    prefixes: Any = ("flux_future_",)

    def __init__(self, handle: Any = None, prefixes: Any = None) -> None:
        if prefixes is not None and tuple(prefixes) != tuple(self.prefixes):
            raise AssertionError(
                f"signatures do not match, create a new subclass to change matching parameters:\n"
                f"{type(self)}: mysig: {self.prefixes} sig:{prefixes}"
            )
        self._handle = None
        if handle is not None:
            self.handle = handle

    @property
    def handle(self) -> Any:
        return self._handle

    @handle.setter
    def handle(self, h: Any) -> None:
        if h is not None and not isinstance(h, FutureCore):
            from .core.inner import ffi, typeof_handle

            htype = typeof_handle(h)
            raise TypeError(
                f"Invalid handle {h} of type {htype} assigned to wrapper with handle type "
                f"{ffi.typeof('flux_future_t *')}"
            )
        old = self._handle
        self._handle = h
        if old is not None and old is not h:
            old.decref()

    def _clear(self) -> None:
        old = self.__dict__.get("_handle")
        if old is not None:
            self._handle = None
            old.decref()

    def fulfill(self, result: Any = None, free_fn: Any = None) -> None:
        """``flux_future_fulfill(f, result, free_fn)``: a NULL result is None."""
        fc = self._handle
        if fc is None:
            raise ValueError(NULL_HANDLE)
        if result is not None and type(result).__module__ == "_cffi_backend":
            from .core.inner import ffi

            if result == ffi.NULL:
                result = None
        fc.fulfill(result)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and hasattr(FutureCore, name):
            fc = self.__dict__.get("_handle")
            if fc is None:
                raise ValueError(NULL_HANDLE)
            return getattr(fc, name)
        return super().__getattr__(name)


class Future(WrapperPimpl):
    """A Flux future.  Not thread-safe: use it from the thread of its handle."""

    InnerWrapper = _FutureInner
    # named as flux-core's nested class (it shows in reprs and wrapper errors)
    _FutureInner.__name__, _FutureInner.__qualname__ = "InnerWrapper", "Future.InnerWrapper"

    def __init__(self, future_handle: Union[Future, FutureCore], prefixes: Any = None, pimpl_t: Any = None) -> None:
        if isinstance(future_handle, Future):
            fc = future_handle._fc()
            fc.incref()
        elif isinstance(future_handle, FutureCore):
            fc = future_handle
        else:
            raise TypeError(f"cannot make a Future from {type(future_handle).__name__}")
        if pimpl_t is None:
            pimpl_t = self.InnerWrapper
        self.pimpl: Any = pimpl_t(handle=fc, prefixes=prefixes)
        self.then_cb: Optional[Callable[..., Any]] = None
        self.then_args: Any = []
        self.then_kwargs: Dict[str, Any] = {}
        self.cb_handle: Any = None
        self.stopped = False

    # -- lifetime ---------------------------------------------------------------
    def _fc(self) -> FutureCore:
        """The future core; ValueError once the handle was set to None (as flux-core)."""
        fc: Optional[FutureCore] = self.pimpl._handle
        if fc is None:
            raise ValueError(NULL_HANDLE)
        return fc

    def _release(self) -> None:
        pimpl = self.__dict__.get("pimpl")
        if pimpl is not None:
            pimpl._clear()

    def __enter__(self) -> Future:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._release()

    def __del__(self) -> None:
        # Nothing to do: the future is released with its pimpl, which may outlive this
        # object (``rpc(...).pimpl`` keeps the future, as in flux-core).  Defined for the
        # subclasses that extend it.
        return None

    def incref(self) -> None:
        self._fc().incref()

    # -- state ------------------------------------------------------------------
    def stop(self) -> None:
        """Suppress further ``then`` callbacks (useful for streaming futures)."""
        self.stopped = True

    def error_string(self) -> Optional[str]:
        return self._fc().error_string()

    def is_ready(self) -> bool:
        return self._fc().is_ready()

    def get_flux(self) -> Optional[Flux]:
        """A handle object for the future's ``flux_t`` (the private clone during a blocking wait)."""
        from .core.handle import Flux

        core = self._fc().get_flux()
        if core is None:
            return None
        return Flux(handle=core)

    def set_flux(self, flux_handle: Any) -> None:
        self._fc().set_flux(_core_of(flux_handle))

    def get_reactor(self) -> Optional[Reactor]:
        return self._fc().get_reactor()

    def fulfill_error(self, errnum: int = errno.ENOENT, errstr: Optional[str] = None) -> None:
        self._fc().fulfill_error(errnum, errstr)

    def reset(self) -> None:
        self._fc().reset()
        if self in _THEN_HANDLES:
            _THEN_HANDLES[self] += 1

    def raise_if_handle_exception(self) -> None:
        fc = self.pimpl._handle
        if fc is not None and fc.core is not None:
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
            self._fc().then_set(timeout, continuation)
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
            reactor = self._fc().get_reactor()
            if reactor is not None:
                reactor.stop_error()
            self._fc().reset()
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
        fc = self._fc()
        try:
            fc.wait_for(timeout)
        except OSError as err:
            self.raise_if_handle_exception()
            raise _text_error(fc, err) from None
        return self

    def get(self) -> Any:
        """Block until fulfilled; returns None, raises OSError on an error result."""
        fc = self._fc()
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
            child._fc().incref()
            if self._fc().core is None:
                self._fc().set_flux(child._fc().get_flux())

    def push(self, child: Future, name: Optional[str] = None) -> None:
        if self._fc().core is None:
            self._fc().set_flux(child._fc().get_flux())
        child._fc().incref()
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
            if fut is not None and not fut._fc().is_ready():
                if all(c._fc().is_ready() for c in fut.children):
                    fut._fc().fulfill(None)

        for child in self.children:
            child._fc().set_flux(core)
            child._fc().then_set(-1.0, child_ready)
        if all(c._fc().is_ready() for c in self.children):
            fc.fulfill(None)

    def __del__(self) -> None:
        super().__del__()
        for child in getattr(self, "children", ()):
            try:
                child._fc().decref()
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
            reactor = self._fc().get_reactor()
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
        self._fc().fulfill(json.dumps(result))

    def get(self) -> Any:
        fc = self._fc()
        try:
            value = fc.get()
        except OSError as err:
            self.raise_if_handle_exception()
            raise _text_error(fc, err) from None
        if value is None:
            return None
        return json.loads(value)
