"""flux-core's ``flux.core.inner``: ``ffi``, ``lib`` and ``raw``.

``ffi`` is a genuine cffi ``FFI`` (in-line mode, nothing compiled) declaring
libflux's types, so ``ffi.NULL``, ``ffi.new("flux_error_t[1]")``,
``ffi.string``, ``ffi.cast`` and ``ffi.typeof`` behave as with flux-core.
``lib`` holds libflux's functions (those that flux-core's tests and common
user code call) as Python functions over this package's objects: a
``flux_t *`` is a handle core, a ``flux_future_t *`` a future core, a
``flux_msg_t *`` a wire message.  As in C they report failure by returning
``-1`` or ``NULL`` with ``ffi.errno`` set.  ``raw`` wraps ``lib`` like
flux-core's (prefixes ``flux_``/``FLUX_``, wrapper objects unwrapped,
errors raised as OSError).

Importing this module loads cffi (tens of milliseconds), which is why the
rest of the package reaches it only on demand.
"""

from __future__ import annotations

import collections
import errno
import os
import weakref
from typing import Any, Callable, Deque, Dict, Optional

import cffi  # type: ignore[import-untyped]  # (no stubs: types-cffi is not a dependency)

from fakeflux.wire import Message as WireMessage
from fakeflux.wire import constants as W

from .. import constants as _constants
from .._dispatch import Core as _HandleCore
from .._errors import c_error
from .._futurecore import FutureCore
from .._reactor import Reactor
from ..wrapper import Wrapper

__all__ = ["ffi", "lib", "raw", "Core", "typeof_handle", "function_ctype"]

class FluxFFI(cffi.FFI):
    """A cffi ``FFI`` whose ``typeof`` also knows this package's handle objects.

    ``ffi.typeof(h.handle)`` gives ``flux_t *`` for a handle, as with flux-core
    where handles are cdata; other objects raise the TypeError flux-core's
    compiled module raises.
    """

    def typeof(self, cdecl: Any) -> Any:
        if isinstance(cdecl, str) or type(cdecl).__module__ == "_cffi_backend":
            return super().typeof(cdecl)
        for cls, cname in _HANDLE_TYPES.items():
            if isinstance(cdecl, cls):
                return super().typeof(cname)
        raise TypeError(f"expected a string or cdata object, got '{type(cdecl).__name__}'")


ffi = FluxFFI()
ffi.cdef(
    """
    typedef struct flux_handle flux_t;
    typedef struct flux_future flux_future_t;
    typedef struct flux_msg flux_msg_t;
    typedef struct flux_reactor flux_reactor_t;
    typedef struct flux_watcher flux_watcher_t;
    typedef struct flux_msg_handler flux_msg_handler_t;
    typedef struct flux_kvs_txn flux_kvs_txn_t;
    typedef struct flux_kvsdir flux_kvsdir_t;
    typedef struct flux_kvsitr flux_kvsitr_t;
    typedef uint64_t flux_jobid_t;
    typedef struct { char text[160]; } flux_error_t;
    struct flux_match { int typemask; uint32_t matchtag; const char *topic_glob; };
    struct flux_msg_cred { uint32_t userid; uint32_t rolemask; };
    typedef void (*flux_free_f)(void *arg);
    typedef void (*flux_continuation_f)(flux_future_t *f, void *arg);
    typedef void (*flux_future_init_f)(flux_future_t *f, void *arg);
    typedef void (*flux_msg_handler_f)(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg);
    typedef void (*flux_watcher_f)(flux_reactor_t *r, flux_watcher_t *w, int revents, void *arg);
    """
)

# The C type each of this package's objects stands for.
_HANDLE_TYPES: Dict[type, str] = {
    _HandleCore: "flux_t *",
    FutureCore: "flux_future_t *",
    WireMessage: "flux_msg_t *",
    Reactor: "flux_reactor_t *",
}


def typeof_handle(h: Any) -> Any:
    """``ffi.typeof`` of a handle object (kept for code written against earlier versions)."""
    return ffi.typeof(h)


def function_ctype(fun: Any) -> Any:
    """The cffi function type of a ``lib`` function (or of a real cffi function)."""
    decl = getattr(fun, "__cdecl__", None)
    if decl is None:
        return ffi.typeof(fun)
    ctype = _CTYPES.get(decl)
    if ctype is None:
        ctype = _CTYPES[decl] = ffi.typeof(decl)
    return ctype


_CTYPES: Dict[str, Any] = {}

# -- arguments as C would take them ------------------------------------------------------------


def _is_null(value: Any) -> bool:
    return value is None or (type(value).__module__ == "_cffi_backend" and value == ffi.NULL)


def _str_arg(value: Any, ctype: str = "char *") -> Optional[str]:
    """A ``const char *`` argument: bytes, a cffi char pointer/array, or NULL (None)."""
    if _is_null(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if type(value).__module__ == "_cffi_backend":
        return ffi.string(ffi.cast("char *", value)).decode("utf-8", "surrogateescape")
    raise TypeError(f"initializer for ctype '{ctype}' must be a cdata pointer, not {type(value).__name__}")


def _obj_arg(value: Any, cls: type, cname: str) -> Any:
    if isinstance(value, cls):
        return value
    if _is_null(value):
        return None
    raise TypeError(f"initializer for ctype '{cname}' must be a cdata pointer, not {type(value).__name__}")


def _int_arg(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an integer is required, not {type(value).__name__}")
    return value


# C strings handed out must outlive the call: they live as long as the object they came
# from (futures, handles), or among the most recent ones (messages cannot hold a reference).
_OWNED: weakref.WeakKeyDictionary[Any, Dict[str, Any]] = weakref.WeakKeyDictionary()
_RECENT: Deque[Any] = collections.deque(maxlen=4096)


def _c_string(text: Optional[str], owner: Any = None, key: str = "") -> Any:
    if text is None:
        return ffi.NULL
    buf = ffi.new("char[]", text.encode("utf-8", "surrogateescape"))
    if owner is not None:
        _OWNED.setdefault(owner, {})[key] = buf
    else:
        _RECENT.append(buf)
    return ffi.cast("char *", buf)


def _store(out: Any, value: Any) -> None:
    """Write through an out-parameter pointer unless it is NULL."""
    if not _is_null(out):
        out[0] = value


# -- the functions -----------------------------------------------------------------------------


class _Lib:
    """libflux's functions and constants, as Python (see the module docstring)."""


lib: Any = _Lib()


def _cfun(decl: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a ``lib`` function with its C type ``decl`` (a function-pointer type).

    An OSError it raises becomes the C failure return (NULL or -1) with ``ffi.errno`` set.
    """
    result_is_pointer = decl.split("(", 1)[0].strip().endswith("*")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except OSError as exc:
                ffi.errno = exc.errno or errno.EINVAL
                return ffi.NULL if result_is_pointer else -1

        call.__name__ = call.__qualname__ = fn.__name__
        call.__doc__ = fn.__doc__
        call.__cdecl__ = decl  # type: ignore[attr-defined]
        setattr(_Lib, fn.__name__, staticmethod(call))
        return call

    return register


for _name in dir(_constants):
    if _name.startswith("FLUX_"):
        setattr(_Lib, _name, getattr(_constants, _name))


def _flux(h: Any) -> _HandleCore:
    core = _obj_arg(h, _HandleCore, "struct flux_handle *")
    if core is None:
        raise c_error(errno.EINVAL)
    return core


def _future(f: Any) -> FutureCore:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is None:
        raise c_error(errno.EINVAL)
    return fc


def _msg(m: Any) -> WireMessage:
    msg = _obj_arg(m, WireMessage, "struct flux_msg *")
    if msg is None:
        raise c_error(errno.EINVAL)
    return msg


def _handle_obj(core: _HandleCore) -> Any:
    from .handle import Flux

    return Flux(handle=core)


# handles


@_cfun("flux_t *(*)(char *, int)")
def flux_open(uri: Any, flags: Any) -> Any:
    from .handle import open_core

    return open_core(_str_arg(uri), _int_arg(flags))


@_cfun("flux_t *(*)(char *, int, flux_error_t *)")
def flux_open_ex(uri: Any, flags: Any, error: Any) -> Any:
    from .._connection import ConnectError
    from .handle import open_core

    try:
        return open_core(_str_arg(uri), _int_arg(flags))
    except ConnectError as exc:
        if not _is_null(error):
            error[0].text = (exc.strerror or "").encode("utf-8")[:159]
        raise


@_cfun("void(*)(flux_t *)")
def flux_close(h: Any) -> None:
    core = _obj_arg(h, _HandleCore, "struct flux_handle *")
    if core is not None:
        core.decref()


@_cfun("int(*)(flux_t *, int, char *)")
def flux_log(h: Any, level: Any, fmt: Any) -> int:
    _handle_obj(_flux(h)).log(_int_arg(level), _str_arg(fmt) or "")
    return 0


@_cfun("char *(*)(flux_t *, char *)")
def flux_attr_get(h: Any, name: Any) -> Any:
    from ..rpc import attr_get

    core = _flux(h)
    text = _str_arg(name)
    if text is None:
        raise c_error(errno.EINVAL)
    return _c_string(attr_get(core, text), core, f"attr:{text}")


@_cfun("int(*)(flux_t *, char *, char *)")
def flux_attr_set(h: Any, name: Any, value: Any) -> int:
    _handle_obj(_flux(h)).attr_set(_str_arg(name), _str_arg(value))
    return 0


@_cfun("int(*)(flux_t *, uint32_t *)")
def flux_get_rank(h: Any, rank: Any) -> int:
    from ..rpc import attr_get

    _store(rank, int(attr_get(_flux(h), "rank")))
    return 0


@_cfun("int(*)(flux_t *, uint32_t *)")
def flux_get_size(h: Any, size: Any) -> int:
    from ..rpc import attr_get

    _store(size, int(attr_get(_flux(h), "size")))
    return 0


_OPT_CREDS = {"flux::testing_userid": "testing_userid", "flux::testing_rolemask": "testing_rolemask"}


@_cfun("int(*)(flux_t *, char *, void *, size_t)")
def flux_opt_set(h: Any, option: Any, val: Any, size: Any) -> int:
    """Connector options: the testing credentials (both connectors), ``flux::attr_redirect`` (loop)."""
    from .._loop import LoopConnection

    conn = _flux(h).conn
    name = _str_arg(option)
    if name is None:
        raise c_error(errno.EINVAL)
    attr = _OPT_CREDS.get(name)
    if attr is not None:
        if _int_arg(size) != 4 or _is_null(val):
            raise c_error(errno.EINVAL)
        setattr(conn, attr, int(ffi.cast("uint32_t *", val)[0]))
        return 0
    if name == "flux::attr_redirect" and isinstance(conn, LoopConnection):
        if not _is_null(val) or _int_arg(size) > 0:
            raise c_error(errno.EINVAL)
        conn.attr_redirect = True
        return 0
    raise c_error(errno.EINVAL)


@_cfun("int(*)(flux_t *, char *, void *, size_t)")
def flux_opt_get(h: Any, option: Any, val: Any, size: Any) -> int:
    """Only the loop connector answers (its credentials); the local one has no getopt."""
    from .._loop import LoopConnection

    conn = _flux(h).conn
    name = _str_arg(option)
    attr = _OPT_CREDS.get(name or "")
    if attr is None or not isinstance(conn, LoopConnection) or _int_arg(size) != 4 or _is_null(val):
        raise c_error(errno.EINVAL)
    ffi.cast("uint32_t *", val)[0] = getattr(conn, attr)
    return 0


@_cfun("flux_reactor_t *(*)(flux_t *)")
def flux_get_reactor(h: Any) -> Any:
    return _flux(h).reactor


@_cfun("int(*)(flux_reactor_t *, int)")
def flux_reactor_run(r: Any, flags: Any) -> int:
    reactor = _obj_arg(r, Reactor, "struct flux_reactor *")
    if reactor is None:
        raise c_error(errno.EINVAL)
    return int(reactor.run(_int_arg(flags)))


@_cfun("void(*)(flux_reactor_t *)")
def flux_reactor_stop(r: Any) -> None:
    reactor = _obj_arg(r, Reactor, "struct flux_reactor *")
    if reactor is not None:
        reactor.stop()


@_cfun("void(*)(flux_reactor_t *)")
def flux_reactor_stop_error(r: Any) -> None:
    reactor = _obj_arg(r, Reactor, "struct flux_reactor *")
    if reactor is not None:
        reactor.stop_error()


@_cfun("int(*)(flux_t *, flux_msg_t *, int)")
def flux_send(h: Any, msg: Any, flags: Any) -> int:
    _flux(h).conn.send(_msg(msg))
    _int_arg(flags)
    return 0


@_cfun("flux_future_t *(*)(flux_t *, char *, char *, uint32_t, int)")
def flux_rpc(h: Any, topic: Any, s: Any, nodeid: Any, flags: Any) -> Any:
    from ..rpc import send_request

    text = _str_arg(topic)
    if text is None:
        raise c_error(errno.EINVAL)
    payload = _str_arg(s)
    data = None if payload is None else payload.encode("utf-8", "surrogateescape") + b"\x00"
    return send_request(_flux(h), text, data, _int_arg(nodeid), _int_arg(flags))


@_cfun("int(*)(flux_t *, flux_msg_t *, char *)")
def flux_respond(h: Any, msg: Any, s: Any) -> int:
    req = _msg(msg)
    if req.type != W.MSGTYPE_REQUEST:
        raise c_error(errno.EINVAL)
    payload = _str_arg(s)
    if not req.flags & W.FLAG_NORESPONSE:
        data = None if payload is None else payload.encode("utf-8", "surrogateescape") + b"\x00"
        _flux(h).conn.send(req.derive_response(data))
    return 0


@_cfun("int(*)(flux_t *, flux_msg_t *, int, char *)")
def flux_respond_error(h: Any, msg: Any, errnum: Any, errstr: Any) -> int:
    req = _msg(msg)
    if req.type != W.MSGTYPE_REQUEST:
        raise c_error(errno.EINVAL)
    _flux(h).respond_error(req, _int_arg(errnum), _str_arg(errstr))
    return 0


@_cfun("int(*)(flux_t *, char *)")
def flux_event_subscribe(h: Any, topic: Any) -> int:
    _handle_obj(_flux(h)).event_subscribe(_str_arg(topic))
    return 0


@_cfun("int(*)(flux_t *, char *)")
def flux_event_unsubscribe(h: Any, topic: Any) -> int:
    _handle_obj(_flux(h))._event_unsubscribe(_str_arg(topic))
    return 0


@_cfun("flux_future_t *(*)(flux_t *, char *)")
def flux_service_register(h: Any, name: Any) -> Any:
    return _keep(_handle_obj(_flux(h)).service_register(_str_arg(name)))


@_cfun("flux_future_t *(*)(flux_t *, char *)")
def flux_service_unregister(h: Any, name: Any) -> Any:
    return _keep(_handle_obj(_flux(h)).service_unregister(_str_arg(name)))


def _keep(future: Any) -> FutureCore:
    """The future core of a Python future, with a reference of its own for the C caller."""
    fc: FutureCore = future.handle
    fc.incref()
    return fc


# messages


def _payload(s: Any) -> Optional[bytes]:
    text = _str_arg(s)
    return None if text is None else text.encode("utf-8", "surrogateescape") + b"\x00"


@_cfun("flux_msg_t *(*)(char *, char *)")
def flux_request_encode(topic: Any, s: Any) -> Any:
    text = _str_arg(topic)
    payload = _payload(s)
    if text is None:
        raise c_error(errno.EINVAL)
    return WireMessage.request(text, payload)


@_cfun("flux_msg_t *(*)(char *, char *)")
def flux_event_encode(topic: Any, s: Any) -> Any:
    text = _str_arg(topic)
    payload = _payload(s)
    if text is None:
        raise c_error(errno.EINVAL)
    return WireMessage.event(text, payload, routes=[])


@_cfun("flux_msg_t *(*)(int)")
def flux_msg_create(type_: Any) -> Any:
    mtype = _int_arg(type_)
    if mtype not in (W.MSGTYPE_REQUEST, W.MSGTYPE_RESPONSE, W.MSGTYPE_EVENT, W.MSGTYPE_CONTROL):
        raise c_error(errno.EINVAL)
    return WireMessage(mtype)


@_cfun("void(*)(flux_msg_t *)")
def flux_msg_destroy(msg: Any) -> None:
    _obj_arg(msg, WireMessage, "struct flux_msg *")


@_cfun("flux_msg_t *(*)(flux_msg_t *)")
def flux_msg_incref(msg: Any) -> Any:
    return _msg(msg)


@_cfun("void(*)(flux_msg_t *)")
def flux_msg_decref(msg: Any) -> None:
    _obj_arg(msg, WireMessage, "struct flux_msg *")


@_cfun("flux_msg_t *(*)(flux_msg_t *, _Bool)")
def flux_msg_copy(msg: Any, payload: Any) -> Any:
    copy = _msg(msg).copy()
    if not payload:
        copy.payload = None
    return copy


@_cfun("char *(*)(int)")
def flux_msg_typestr(type_: Any) -> Any:
    from ..message import msg_typestr

    return _c_string(msg_typestr(_int_arg(type_)), _TYPESTR_OWNER, str(type_))


class _Owner:
    """Keeps the C strings of static texts (type names, error strings) alive."""


_TYPESTR_OWNER = _Owner()


@_cfun("int(*)(flux_msg_t *, char * *)")
def flux_msg_get_topic(msg: Any, topic: Any) -> int:
    m = _msg(msg)
    if m.topic is None:
        raise c_error(errno.EPROTO)
    _store(topic, _c_string(m.topic))
    return 0


@_cfun("int(*)(flux_msg_t *, char *)")
def flux_msg_set_topic(msg: Any, topic: Any) -> int:
    _msg(msg).topic = _str_arg(topic)
    return 0


@_cfun("int(*)(flux_msg_t *, int *)")
def flux_msg_get_type(msg: Any, type_: Any) -> int:
    _store(type_, _msg(msg).type)
    return 0


@_cfun("int(*)(flux_msg_t *, uint32_t *)")
def flux_msg_get_userid(msg: Any, userid: Any) -> int:
    _store(userid, _msg(msg).userid)
    return 0


@_cfun("int(*)(flux_msg_t *, uint32_t)")
def flux_msg_set_userid(msg: Any, userid: Any) -> int:
    _msg(msg).userid = _int_arg(userid)
    return 0


@_cfun("int(*)(flux_msg_t *, uint32_t *)")
def flux_msg_get_rolemask(msg: Any, rolemask: Any) -> int:
    _store(rolemask, _msg(msg).rolemask)
    return 0


@_cfun("int(*)(flux_msg_t *, uint32_t)")
def flux_msg_set_rolemask(msg: Any, rolemask: Any) -> int:
    _msg(msg).rolemask = _int_arg(rolemask)
    return 0


@_cfun("int(*)(flux_msg_t *, uint32_t *)")
def flux_msg_get_matchtag(msg: Any, matchtag: Any) -> int:
    m = _msg(msg)
    if m.type not in (W.MSGTYPE_REQUEST, W.MSGTYPE_RESPONSE):
        raise c_error(errno.EPROTO)
    _store(matchtag, m.aux2)
    return 0


@_cfun("int(*)(flux_msg_t *, char * *)")
def flux_msg_get_string(msg: Any, s: Any) -> int:
    from ..message import _c_string as payload_text

    _store(s, _c_string(payload_text(_msg(msg).payload)))
    return 0


@_cfun("int(*)(flux_msg_t *, char *)")
def flux_msg_set_string(msg: Any, s: Any) -> int:
    _msg(msg).payload = _payload(s)
    return 0


def _decode(msg: Any, mtype: int, topic: Any, s: Any) -> int:
    from ..message import _c_string as payload_text

    m = _msg(msg)
    if m.type != mtype or m.topic is None:
        raise c_error(errno.EPROTO)
    if mtype == W.MSGTYPE_RESPONSE and m.aux1:
        raise c_error(m.aux1)
    _store(topic, _c_string(m.topic))
    _store(s, _c_string(payload_text(m.payload)))
    return 0


@_cfun("int(*)(flux_msg_t *, char * *, char * *)")
def flux_request_decode(msg: Any, topic: Any, s: Any) -> int:
    return _decode(msg, W.MSGTYPE_REQUEST, topic, s)


@_cfun("int(*)(flux_msg_t *, char * *, char * *)")
def flux_response_decode(msg: Any, topic: Any, s: Any) -> int:
    return _decode(msg, W.MSGTYPE_RESPONSE, topic, s)


@_cfun("int(*)(flux_msg_t *, char * *, char * *)")
def flux_event_decode(msg: Any, topic: Any, s: Any) -> int:
    return _decode(msg, W.MSGTYPE_EVENT, topic, s)


# futures


@_cfun("flux_future_t *(*)(flux_future_init_f, void *)")
def flux_future_create(init: Any, arg: Any) -> Any:
    if not _is_null(init):
        # A C init callback cannot be run on this package's futures.
        raise c_error(errno.ENOSYS)
    return FutureCore()


@_cfun("void(*)(flux_future_t *)")
def flux_future_destroy(f: Any) -> None:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is not None:
        fc.decref()


@_cfun("void(*)(flux_future_t *)")
def flux_future_incref(f: Any) -> None:
    _future(f).incref()


@_cfun("void(*)(flux_future_t *)")
def flux_future_decref(f: Any) -> None:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is not None:
        fc.decref()


@_cfun("_Bool(*)(flux_future_t *)")
def flux_future_is_ready(f: Any) -> bool:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    return fc is not None and fc.is_ready()


@_cfun("int(*)(flux_future_t *, double)")
def flux_future_wait_for(f: Any, timeout: Any) -> int:
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
        raise TypeError(f"must be real number, not {type(timeout).__name__}")
    _future(f).wait_for(float(timeout))
    return 0


def _value_pointer(fc: FutureCore, value: Any) -> Any:
    if value is None or _is_null(value):
        return ffi.NULL
    if type(value).__module__ == "_cffi_backend":
        return ffi.cast("void *", value)
    if isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
        return ffi.cast("void *", _c_string(text, fc, "result"))
    if isinstance(value, WireMessage):
        return ffi.cast("void *", _c_string(None))
    return ffi.NULL


@_cfun("int(*)(flux_future_t *, void * *)")
def flux_future_get(f: Any, result: Any) -> int:
    fc = _future(f)
    value = fc.get()
    _store(result, _value_pointer(fc, value))
    return 0


@_cfun("void(*)(flux_future_t *, void *, flux_free_f)")
def flux_future_fulfill(f: Any, result: Any, free_fn: Any) -> None:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is not None:
        fc.fulfill(None if _is_null(result) else result)


@_cfun("void(*)(flux_future_t *, int, char *)")
def flux_future_fulfill_error(f: Any, errnum: Any, errstr: Any) -> None:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is not None:
        fc.fulfill_error(_int_arg(errnum), _str_arg(errstr))


@_cfun("char *(*)(flux_future_t *)")
def flux_future_error_string(f: Any) -> Any:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is None:
        return ffi.NULL
    return _c_string(fc.error_string(), fc, "error")


@_cfun("void(*)(flux_future_t *)")
def flux_future_reset(f: Any) -> None:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    if fc is not None:
        fc.reset()


@_cfun("flux_t *(*)(flux_future_t *)")
def flux_future_get_flux(f: Any) -> Any:
    core = _future(f).get_flux()
    if core is None:
        raise c_error(errno.EINVAL)
    return core


@_cfun("void(*)(flux_future_t *, flux_t *)")
def flux_future_set_flux(f: Any, h: Any) -> None:
    _future(f).set_flux(_obj_arg(h, _HandleCore, "struct flux_handle *"))


@_cfun("flux_reactor_t *(*)(flux_future_t *)")
def flux_future_get_reactor(f: Any) -> Any:
    reactor = _future(f).get_reactor()
    if reactor is None:
        raise c_error(errno.EINVAL)
    return reactor


@_cfun("int(*)(flux_future_t *, char * *)")
def flux_rpc_get(f: Any, s: Any) -> int:
    from ..message import _c_string as payload_text

    fc = _future(f)
    msg = fc.get()
    if not isinstance(msg, WireMessage):
        raise c_error(errno.EINVAL)
    _store(s, _c_string(payload_text(msg.payload), fc, "rpc"))
    return 0


@_cfun("uint32_t(*)(flux_future_t *)")
def flux_rpc_get_matchtag(f: Any) -> int:
    fc = _obj_arg(f, FutureCore, "struct flux_future *")
    return fc.get_matchtag() if fc is not None else W.MATCHTAG_NONE


@_cfun("char *(*)(int)")
def flux_strerror(errnum: Any) -> Any:
    return _c_string(os.strerror(_int_arg(errnum)), _TYPESTR_OWNER, f"strerror:{errnum}")


class Core(Wrapper):
    """Wrapper over every ``lib`` function (prefixes ``flux_``, ``FLUX_``), as flux-core's."""

    def __init__(self) -> None:
        super().__init__(ffi, lib, prefixes=["flux_", "FLUX_"])


raw = Core()
