"""flux-core's ``flux.wrapper``: objects whose unknown attributes resolve to libflux functions.

A :class:`Wrapper` holds a ``handle`` (here: one of this package's objects
standing for a ``flux_t *``, ``flux_future_t *`` or ``flux_msg_t *``, or a
cffi pointer) and looks names it does not define up in ``lib`` (the
pure-Python functions of :mod:`flux.core.inner`), trying its ``prefixes``.
A function whose first parameter has the wrapper's handle type gets the
handle passed for it.  The errors are the ones code written for flux-core
catches: :class:`MissingFunctionError`, :class:`WrongNumArguments`,
:class:`InvalidArguments`.

``ffi`` and ``lib`` are loaded on first use: they bring in cffi, which costs
more to import than the whole rest of the package.
"""

from __future__ import annotations

import errno
import os
import sys
from types import MethodType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = [
    "Wrapper",
    "WrapperBase",
    "WrapperPimpl",
    "FunctionWrapper",
    "ErrorPrinter",
    "MissingFunctionError",
    "WrongNumArguments",
    "InvalidArguments",
]

NULL_HANDLE = "Attempting to call a cached, bound method that requires a handle with a NULL handle"


class MissingFunctionError(Exception):
    """A name that resolves to no libflux function was called."""

    def __init__(self, name: str, c_name: str, name_list: Sequence[str], arguments: Tuple[Any, ...]) -> None:
        frame = sys._getframe(2) if hasattr(sys, "_getframe") else None
        where = "<unknown>"
        if frame is not None:
            import linecache  # only when reporting: it is not otherwise needed

            filename, lineno = frame.f_code.co_filename, frame.f_lineno
            context = [linecache.getline(filename, lineno)] if linecache.getline(filename, lineno) else None
            where = f"inside function {frame.f_code.co_name}\n{filename}:{lineno}: {context}"
        self.name = name
        super().__init__(
            "\nA non-existent or unavailable function invocation has been detected.\n"
            "Has this function been recently removed or renamed?\n\n"
            f"Name called: {name}\n"
            f"Possible C names: {list(name_list)}\n"
            f"Arguments: {arguments}\n"
            f"Likely intended C invocation: {c_name}{arguments}\n"
            f"Invocation detail: {where}\n"
        )


class WrongNumArguments(ValueError):
    """A wrapped C function was called with the wrong number of arguments."""

    def __init__(self, name: str, signature: str, ftype: Any, arguments: Sequence[Any], htype: Any) -> None:
        super().__init__(
            "\nThe wrong number of arguments has been passed to wrapped C function:\n"
            f"Expected {len(ftype.args)} arguments, received {len(arguments)}\n"
            f"Name: {name}\n"
            f"C signature: {signature}\n"
            f"Arguments: {list(arguments)}\n"
            f"Handle type: {htype}\n"
        )


class InvalidArguments(ValueError):
    """A wrapped C function was called with arguments of the wrong type."""

    def __init__(self, name: str, signature: str, arguments: Sequence[Any]) -> None:
        super().__init__(
            "\nInvalid arguments passed to wrapped C function:\n"
            f"Name: {name}\n"
            f"C signature: {signature}\n"
            f"Arguments: {tuple(arguments)}\n"
        )


class ErrorPrinter:
    """Stands for a name that matched no function: raises MissingFunctionError when called."""

    def __init__(self, name: str, prefixes: Sequence[str]) -> None:
        self.name = name
        self.prefixes = list(prefixes)

    def __call__(self, *args: Any) -> Any:
        c_name = self.name
        if self.prefixes and not any(self.name.startswith(p) for p in self.prefixes):
            c_name = self.prefixes[0] + self.name
        raise MissingFunctionError(self.name, c_name, [p + self.name for p in self.prefixes], args)


class WrapperBase:
    """Anything with a ``handle``: wrapped functions are passed its handle in its place."""

    def __init__(self) -> None:
        self._handle: Any = None

    @property
    def handle(self) -> Any:
        return self._handle

    @handle.setter
    def handle(self, handle: Any) -> None:
        self._handle = handle


class WrapperPimpl(WrapperBase):
    """A wrapper whose handle lives in its ``pimpl`` (a :class:`Wrapper`)."""

    def __init__(self) -> None:
        self.pimpl: Any = None
        super().__init__()

    @property
    def handle(self) -> Any:
        return self.pimpl.handle

    @handle.setter
    def handle(self, handle: Any) -> None:
        self.pimpl.handle = handle

    def __enter__(self) -> Any:
        return self

    def __exit__(self, type_arg: Any, value: Any, last: Any) -> None:
        self.pimpl.__exit__(type_arg, value, last)


def _inner() -> Any:
    from .core import inner

    return inner


class _LazyInner:
    """Class attribute resolving to ``flux.core.inner.<name>`` on first read."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return getattr(_inner(), self.name)


def _is_cdata(value: Any) -> bool:
    return type(value).__module__ == "_cffi_backend"


class FunctionWrapper:
    """One libflux function bound to a wrapper: converts arguments and errors as flux-core does."""

    def __init__(self, fun: Callable[..., Any], name: str, function_type: Any, ffi: Any, add_handle: bool = False):
        self.fun = fun
        self.name = name
        self.function_type = function_type
        self.ffi = ffi
        self.add_handle = add_handle
        self.arg_trans: List[int] = []
        params = function_type.args[1:] if add_handle else function_type.args
        for i, arg in enumerate(params, start=1 if add_handle else 0):
            if arg.kind in ("array", "pointer"):
                self.arg_trans.append(i)
        self.is_error: Callable[[Any], bool] = lambda _x: False
        result = function_type.result
        if result.kind in ("pointer", "array"):
            self.is_error = lambda x: x is None
        elif result.kind == "primitive" and result.cname in (
            "char",
            "int",
            "short",
            "long",
            "long long",
            "int32_t",
            "int64_t",
        ):
            self.is_error = lambda x: x < 0

    def set_error_check(self, fun: Callable[[Any], bool]) -> None:
        self.is_error = fun

    def __call__(self, calling_object: Any, *args_in: Any) -> Any:
        ffi = self.ffi
        ffi.errno = 0
        caller = calling_object.handle
        if self.add_handle and caller is None:
            raise ValueError(NULL_HANDLE)
        args = [caller, *args_in] if self.add_handle else list(args_in)
        if len(self.function_type.args) != len(args):
            htype = _inner().typeof_handle(caller) if caller is not None else "None"
            raise WrongNumArguments(self.name, ffi.getctype(self.function_type), self.function_type, args, htype)
        for i in self.arg_trans:
            arg = args[i]
            if arg is None:
                args[i] = ffi.NULL
            elif isinstance(arg, WrapperBase):
                args[i] = arg.handle
            elif isinstance(arg, str):
                args[i] = arg.encode("utf-8", errors="surrogateescape")
        try:
            result = self.fun(*args)
        except TypeError as err:
            raise InvalidArguments(self.name, ffi.getctype(self.function_type), args_in) from err
        if _is_cdata(result):
            if result == ffi.NULL:
                result = None
            elif self.function_type.result is ffi.typeof("char *"):
                result = ffi.string(result)
        if self.is_error(result):
            errnum = ffi.errno
            if errnum != 0:
                name = errno.errorcode.get(errnum, f"Errno{errnum}")
                raise OSError(errnum, f"{name}: {os.strerror(errnum)}")
        return result


_SIGNATURES: Dict[type, Tuple[Any, ...]] = {}


class Wrapper(WrapperBase):
    """Resolves unknown attribute names against ``lib`` (bare, then with each prefix).

    ``match`` is the ctype of the handle: functions whose first parameter
    has it get the handle passed implicitly; with ``filter_match`` any other
    function is refused (AttributeError "... masks function ...").
    """

    ffi: Any = _LazyInner("ffi")
    lib: Any = _LazyInner("lib")

    def __init__(
        self,
        ffi: Any,
        lib: Any,
        handle: Any = None,
        match: Any = None,
        filter_match: bool = True,
        prefixes: Sequence[str] = (),
        destructor: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        super().__init__()
        if ffi is not None:
            self.__dict__["ffi"] = ffi
        if lib is not None:
            self.__dict__["lib"] = lib
        self._handle = handle
        self.match = match
        self.filter_match = filter_match
        self.prefixes = prefixes
        self.destructor = destructor
        # Resolved functions are cached on the class, so every instance of one
        # class must resolve names the same way.
        signature = (match, filter_match, tuple(prefixes) if prefixes else prefixes)
        known = _SIGNATURES.setdefault(type(self), signature)
        if known != signature:
            raise AssertionError(
                f"signatures do not match, create a new subclass to change matching parameters:\n"
                f"{type(self)}: mysig: {known} sig:{signature}"
            )

    def _match_ctype(self) -> Any:
        # Wrappers of this package name their handle type as a string, resolved only when
        # needed, so that making one does not load cffi.
        match = self.match
        return self.ffi.typeof(match) if isinstance(match, str) else match

    def check_handle(self, name: str, fun_type: Any) -> bool:
        if self.match is not None and self._handle is not None:
            match = self._match_ctype()
            if fun_type.kind == "function" and fun_type.args and fun_type.args[0] == match:
                return True
            if self.filter_match:
                raise AttributeError(
                    f"Flux Wrapper object {self}masks function {name} type: {fun_type} match: {match}"
                )
        return False

    def check_wrap(self, fun: Any, name: str) -> FunctionWrapper:
        fun_type = _inner().function_ctype(fun)
        return FunctionWrapper(fun, name, fun_type, self.ffi, add_handle=self.check_handle(name, fun_type))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if name in ("lib", "ffi", "_handle", "prefixes", "match"):
            raise AttributeError(name)
        llib = self.lib
        fun = getattr(llib, name, None)
        if fun is None:
            for prefix in self.prefixes or ():
                fun = getattr(llib, prefix + name, None)
                if fun is not None:
                    break
        if fun is None:
            printer = ErrorPrinter(name, self.prefixes or ())
            setattr(self, name, printer)
            return printer
        if not callable(fun):
            setattr(self, name, fun)
            return fun
        new_fun = self.check_wrap(fun, name)

        def wrap_class(self_renamed: Any, *args: Any, **kwargs: Any) -> Any:
            return new_fun(self_renamed, *args, **kwargs)

        setattr(type(self), name, wrap_class)
        return MethodType(new_fun, self)

    def _clear(self) -> None:
        handle = self.__dict__.get("_handle")
        if handle is None or self.destructor is None:
            return
        self._handle = None
        self.destructor(handle)

    @property
    def handle(self) -> Any:
        return self._handle

    @handle.setter
    def handle(self, h: Any) -> None:
        if h is not None and self.match is not None:
            htype = _inner().typeof_handle(h)
            match = self._match_ctype()
            if htype != match:
                raise TypeError(f"Invalid handle {h} of type {htype} assigned to wrapper with handle type {match}")
        if self._handle is not None:
            self._clear()
        self._handle = h

    def __del__(self) -> None:
        try:
            self._clear()
        except Exception:
            pass

    def __enter__(self) -> Any:
        return self

    def __exit__(self, type_arg: Any, value: Any, unused: Any) -> None:
        self._clear()
