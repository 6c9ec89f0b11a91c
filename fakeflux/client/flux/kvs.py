"""The key-value store (flux-core's ``flux.kvs``).

Reads are ``kvs.lookup`` RPCs (``kvs-watch.lookup`` for watches); writes are
staged in a transaction (``h.aux_txn`` by default, or a :class:`KVSTxn`) and
sent as one ``kvs.commit``.  Values travel as RFC 11 tree objects:
``{"ver":1,"type":"val","data":<base64>}``, ``{"ver":1,"type":"dir","data":{...}}``,
``{"ver":1,"type":"symlink","data":{"target":...}}``; a null dirent unlinks.

``namespace=None`` means ``$FLUX_KVS_NAMESPACE``, or ``"primary"``.
"""

from __future__ import annotations

import base64
import binascii
import collections.abc as abc
import errno
import json
import os
import weakref
from abc import ABC, abstractmethod
from typing import Any, Dict, Iterator, List, Literal, Mapping, Optional, Tuple, Union

from . import constants
from ._errors import c_error
from ._futurecore import FutureCore
from ._rpcjson import rpc_get_str, rpc_get_unpack, rpc_pack
from .constants import FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE, FLUX_RPC_STREAMING
from .future import Future
from .rpc import RPC

__all__ = [
    "get_key_direct",
    "exists",
    "isdir",
    "get_dir",
    "get",
    "put",
    "put_mkdir",
    "put_unlink",
    "put_symlink",
    "commit",
    "commit_async",
    "namespace_create",
    "namespace_remove",
    "namespace_list",
    "KVSTxn",
    "KVSDir",
    "join",
    "walk",
    "WatchImplementation",
    "KVSWatchFuture",
    "kvs_watch_async",
    "kvs_checkpoint_lookup",
]

_WATCH_ONLY_FLAGS = (
    constants.FLUX_KVS_WATCH_FULL
    | constants.FLUX_KVS_WATCH_UNIQ
    | constants.FLUX_KVS_WATCH_APPEND
    | constants.FLUX_KVS_WATCH_INITIAL_SENTINEL
)
_STREAM_FLAGS = constants.FLUX_KVS_WATCH | constants.FLUX_KVS_WAITCREATE | constants.FLUX_KVS_STREAM


def _namespace(namespace: Optional[str]) -> str:
    if namespace is not None:
        return namespace
    return os.environ.get("FLUX_KVS_NAMESPACE") or "primary"


def _text(value: Any, what: str = "char *") -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if not isinstance(value, str):
        raise TypeError(f"initializer for ctype '{what}' must be a str or bytes, not {type(value).__name__}")
    return value


# -- tree objects (RFC 11) ------------------------------------------------------------
def treeobj_val(data: bytes) -> Dict[str, Any]:
    return {"ver": 1, "type": "val", "data": base64.b64encode(data).decode("ascii")}


def treeobj_dir() -> Dict[str, Any]:
    return {"ver": 1, "type": "dir", "data": {}}


def treeobj_symlink(namespace: Optional[str], target: str) -> Dict[str, Any]:
    data: Dict[str, Any] = {"target": target} if namespace is None else {"namespace": namespace, "target": target}
    return {"ver": 1, "type": "symlink", "data": data}


def _treeobj_type(obj: Any) -> Optional[str]:
    """The type of a valid tree object, else None."""
    if not isinstance(obj, dict) or set(obj) != {"ver", "type", "data"} or obj["ver"] != 1:
        return None
    kind = obj["type"]
    data = obj["data"]
    if kind == "val" and isinstance(data, str):
        return kind
    if kind == "dir" and isinstance(data, dict):
        return kind
    if kind == "symlink" and isinstance(data, dict) and isinstance(data.get("target"), str):
        return kind
    if kind in ("valref", "dirref") and isinstance(data, list):
        return kind
    return None


def _decode_val(obj: Any) -> bytes:
    if _treeobj_type(obj) != "val":
        raise c_error(errno.EINVAL)
    try:
        return base64.b64decode(obj["data"], validate=True)
    except (binascii.Error, ValueError):
        raise c_error(errno.EINVAL) from None


# -- lookups ----------------------------------------------------------------------------
def _check_lookup_flags(flags: int) -> None:
    if (flags & _WATCH_ONLY_FLAGS) and not (flags & constants.FLUX_KVS_WATCH):
        raise c_error(errno.EINVAL)
    rest = flags & ~(_STREAM_FLAGS | _WATCH_ONLY_FLAGS)
    valid = (
        0,
        constants.FLUX_KVS_TREEOBJ,
        constants.FLUX_KVS_READDIR,
        constants.FLUX_KVS_READDIR | constants.FLUX_KVS_TREEOBJ,
        constants.FLUX_KVS_READLINK,
    )
    if rest not in valid:
        raise c_error(errno.EINVAL)


def lookup(flux_handle: Any, namespace: Optional[str], flags: int, key: Any) -> FutureCore:
    """``flux_kvs_lookup``: send the lookup now (``kvs-watch.lookup`` for watches)."""
    if key is None:
        raise c_error(errno.EINVAL)
    key = _text(key)
    if not key:
        raise c_error(errno.EINVAL)
    _check_lookup_flags(flags)
    topic = "kvs-watch.lookup" if flags & _STREAM_FLAGS else "kvs.lookup"
    rpc_flags = FLUX_RPC_STREAMING if flags & (constants.FLUX_KVS_WATCH | constants.FLUX_KVS_STREAM) else 0
    fc = rpc_pack(
        flux_handle,
        topic,
        {"key": key, "namespace": _namespace(namespace), "flags": flags},
        FLUX_NODEID_ANY,
        rpc_flags,
    )
    _LOOKUP_INFO[fc] = (key, flags)
    return fc


# key and flags of each lookup (the C library keeps them in the future's aux)
_LOOKUP_INFO: weakref.WeakKeyDictionary[FutureCore, Tuple[str, int]] = weakref.WeakKeyDictionary()


def _lookup_treeobj(fc: FutureCore) -> Optional[Dict[str, Any]]:
    """The tree object of the current response (None: a WATCH_INITIAL_SENTINEL response)."""
    try:
        obj = rpc_get_unpack(fc)
    except OSError as err:
        if err.errno == errno.EPROTO:
            flags = _LOOKUP_INFO.get(fc, ("", 0))[1]
            if flags & constants.FLUX_KVS_WATCH_INITIAL_SENTINEL:
                if rpc_get_str(fc) is None:
                    return None
        raise
    val = obj.get("val")
    if _treeobj_type(val) is None:
        raise c_error(errno.EPROTO)
    assert isinstance(val, dict)
    return val


def lookup_get_raw(fc: FutureCore) -> Optional[bytes]:
    """``flux_kvs_lookup_get``: the value's bytes (None for an empty value)."""
    obj = _lookup_treeobj(fc)
    if obj is None:
        return None
    data = _decode_val(obj)
    return data if data else None


def lookup_get_dir(fc: FutureCore, key: str) -> _Dir:
    obj = _lookup_treeobj(fc)
    if obj is None or _treeobj_type(obj) != "dir":
        raise c_error(errno.EINVAL)
    return _Dir(key, obj)


def lookup_cancel(fc: FutureCore) -> None:
    """``flux_kvs_lookup_cancel``: ``kvs-watch.cancel {"matchtag"}`` without a response."""
    info = _LOOKUP_INFO.get(fc)
    if info is None or not (info[1] & _STREAM_FLAGS) or fc.core is None:
        raise c_error(errno.EINVAL)
    payload = {"matchtag": fc.get_matchtag()}
    cancel = rpc_pack(fc.core, "kvs-watch.cancel", payload, FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE)
    cancel.destroy()


def _get_value(data: bytes) -> Any:
    """A value as the Python API returns it: JSON if it decodes, else str, else bytes."""
    data = data.split(b"\x00", 1)[0]  # the C API hands the value over as a C string
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def get_key_direct(flux_handle: Any, key: Any, namespace: Optional[str] = None) -> Any:
    """The value at ``key`` (OSError ENOENT if missing, EISDIR for a directory)."""
    fc = lookup(flux_handle, namespace, 0, key)
    try:
        data = lookup_get_raw(fc)
    finally:
        _forget(fc)
    if data is None:
        return None
    return _get_value(data)


def _forget(fc: FutureCore) -> None:
    fc.destroy()


def exists(flux_handle: Any, key: Any, namespace: Optional[str] = None) -> bool:
    """True if ``key`` exists (as a value or a directory)."""
    try:
        get_key_direct(flux_handle, key, namespace=namespace)
        return True
    except OSError as err:
        if err.errno == errno.ENOENT:
            return False
        if err.errno == errno.EISDIR:
            return True
        raise


def isdir(flux_handle: Any, key: Any, namespace: Optional[str] = None) -> bool:
    """True if ``key`` is a directory."""
    try:
        get_key_direct(flux_handle, key, namespace=namespace)
    except OSError as err:
        if err.errno == errno.ENOENT:
            return False
        if err.errno == errno.EISDIR:
            return True
        raise
    return False


def get_dir(flux_handle: Any, key: str = ".", namespace: Optional[str] = None, _kvstxn: Any = None) -> KVSDir:
    """The directory at ``key`` as a :class:`KVSDir`."""
    return KVSDir(path=key, flux_handle=flux_handle, namespace=namespace, _kvstxn=_kvstxn)


def get(flux_handle: Any, key: Any, namespace: Optional[str] = None, _kvstxn: Any = None) -> Any:
    """The value at ``key``: decoded JSON, else str, else bytes; a :class:`KVSDir` for a directory."""
    try:
        return get_key_direct(flux_handle, key, namespace=namespace)
    except OSError as err:
        if err.errno != errno.EISDIR:
            raise
    return get_dir(flux_handle, key, namespace=namespace, _kvstxn=_kvstxn)


# -- transactions -----------------------------------------------------------------------
class _Txn:
    """``flux_kvs_txn_t``: an ordered list of ``{"key","flags","dirent"}`` operations."""

    __slots__ = ("ops",)

    def __init__(self) -> None:
        self.ops: List[Dict[str, Any]] = []

    def _append(self, key: Any, flags: int, dirent: Optional[Dict[str, Any]], allowed: int = 0) -> None:
        if key is None:
            raise c_error(errno.EINVAL)
        key = _text(key)
        if not key or (flags & allowed) != flags:
            raise c_error(errno.EINVAL)
        self.ops.append({"key": key, "flags": flags, "dirent": dirent})

    def put(self, flags: int, key: Any, value: Union[str, bytes]) -> None:
        data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
        self._append(key, flags, treeobj_val(data), constants.FLUX_KVS_APPEND)

    def mkdir(self, flags: int, key: Any) -> None:
        self._append(key, flags, treeobj_dir())

    def unlink(self, flags: int, key: Any) -> None:
        self._append(key, flags, None)

    def symlink(self, flags: int, key: Any, namespace: Optional[str], target: Any) -> None:
        if target is None:
            raise c_error(errno.EINVAL)
        self._append(key, flags, treeobj_symlink(namespace, _text(target)))

    def clear(self) -> None:
        self.ops.clear()

    def is_empty(self) -> bool:
        return not self.ops


def _get_kvstxn(flux_handle: Any, _kvstxn: Any) -> _Txn:
    if _kvstxn is None:
        if flux_handle.aux_txn is None:
            flux_handle.aux_txn = _Txn()
        txn = flux_handle.aux_txn
    elif isinstance(_kvstxn, KVSTxn):
        txn = _kvstxn.txn
    else:
        txn = _kvstxn
    if not isinstance(txn, _Txn):
        raise TypeError(f"not a KVS transaction: {txn!r}")
    return txn


def put(flux_handle: Any, key: Any, value: Any, _kvstxn: Any = None, raw: bool = False) -> None:
    """Stage ``key = value`` (JSON-encoded; bytes and ``raw=True`` values are stored as is)."""
    txn = _get_kvstxn(flux_handle, _kvstxn)
    if raw:
        if not isinstance(value, bytes):
            value = value.encode("utf-8")
        txn.put(0, key, value)
        return
    try:
        json_str = json.dumps(value)
    except TypeError:
        if isinstance(value, bytes):
            txn.put(0, key, value)
            return
        raise TypeError from None
    txn.put(0, key, json_str)


def put_mkdir(flux_handle: Any, key: Any, _kvstxn: Any = None) -> None:
    """Stage the creation of an empty directory at ``key``."""
    _get_kvstxn(flux_handle, _kvstxn).mkdir(0, key)


def put_unlink(flux_handle: Any, key: Any, _kvstxn: Any = None) -> None:
    """Stage the removal of ``key``."""
    _get_kvstxn(flux_handle, _kvstxn).unlink(0, key)


def put_symlink(flux_handle: Any, key: Any, target: Any, _kvstxn: Any = None) -> None:
    """Stage a symlink ``key`` -> ``target``."""
    _get_kvstxn(flux_handle, _kvstxn).symlink(0, key, None, target)


def _commit_send(flux_handle: Any, namespace: Optional[str], flags: int, txn: _Txn) -> FutureCore:
    # FLUX_KVS_TXN_COMPACT is a client-side flag: libkvs compacts the ops and drops it.
    # This package sends the operations as staged.
    flags &= ~constants.FLUX_KVS_TXN_COMPACT
    ops = [dict(op) for op in txn.ops]
    return rpc_pack(flux_handle, "kvs.commit", {"namespace": _namespace(namespace), "flags": flags, "ops": ops})


def commit(flux_handle: Any, flags: int = 0, namespace: Optional[str] = None, _kvstxn: Any = None) -> None:
    """Send the staged changes as one ``kvs.commit`` and wait for it.

    Without ``_kvstxn`` the handle's default transaction is used, and
    discarded whether or not the commit succeeds; nothing staged, no RPC.
    """
    if _kvstxn is None:
        if flux_handle.aux_txn is None:
            return
        try:
            fc = _commit_send(flux_handle, namespace, flags, flux_handle.aux_txn)
            try:
                fc.get()
            finally:
                fc.destroy()
        finally:
            flux_handle.aux_txn = None
        return
    txn = _kvstxn.txn if isinstance(_kvstxn, KVSTxn) else _kvstxn
    fc = _commit_send(flux_handle, namespace, flags, txn)
    try:
        fc.get()
    finally:
        fc.destroy()


def commit_async(flux_handle: Any, flags: int = 0, namespace: Optional[str] = None, _kvstxn: Any = None) -> Future:
    """As :func:`commit`, returning a Future (an empty default transaction is still sent)."""
    if _kvstxn is None:
        if flux_handle.aux_txn is None:
            flux_handle.aux_txn = _Txn()
        fc = _commit_send(flux_handle, namespace, flags, flux_handle.aux_txn)
        flux_handle.aux_txn = None
        return Future(fc)
    txn = _kvstxn.txn if isinstance(_kvstxn, KVSTxn) else _kvstxn
    return Future(_commit_send(flux_handle, namespace, flags, txn))


# -- namespaces -----------------------------------------------------------------------------
def _empty_dir_blobref(hash_name: str) -> str:
    import hashlib  # here, not at the top: it costs more to load than all of flux.kvs

    encoded = json.dumps(treeobj_dir(), separators=(",", ":"), sort_keys=True).encode("utf-8")
    try:
        digest = hashlib.new(hash_name, encoded).hexdigest()
    except ValueError:
        raise c_error(errno.EINVAL) from None
    return f"{hash_name}-{digest}"


def namespace_create(flux_handle: Any, namespace: Any, owner: int = os.getuid(), flags: int = 0) -> None:
    """Create a KVS namespace (``kvs.namespace-create`` on rank 0), rooted at an empty directory."""
    if namespace is None or flags:
        raise c_error(errno.EINVAL)
    hash_name = flux_handle.attr_get("content.hash")
    rootref = _empty_dir_blobref(hash_name)
    owner_int = owner - (1 << 32) if owner >= (1 << 31) else owner  # libkvs casts the uint32 to int
    fc = rpc_pack(
        flux_handle,
        "kvs.namespace-create",
        {"namespace": _text(namespace), "rootref": rootref, "owner": owner_int, "flags": flags},
        0,
    )
    try:
        fc.get()
    finally:
        fc.destroy()


def namespace_remove(flux_handle: Any, namespace: Any) -> None:
    """Remove a KVS namespace (in the background: it may linger briefly)."""
    if namespace is None:
        raise c_error(errno.EINVAL)
    fc = rpc_pack(flux_handle, "kvs.namespace-remove", {"namespace": _text(namespace)}, 0)
    try:
        fc.get()
    finally:
        fc.destroy()


def namespace_list(flux_handle: Any) -> List[str]:
    """The names of the KVS namespaces."""
    rsp = RPC(flux_handle, "kvs.namespace-list").get()
    return [ns["namespace"] for ns in rsp["namespaces"]]


class KVSTxn:
    """A transaction of its own: ``KVSTxn(flux_handle, path=".", namespace=None)``.

    Keys are relative to ``path``.  As a context manager it commits on exit.
    """

    def __init__(self, flux_handle: Any = None, path: str = ".", namespace: Optional[str] = None) -> None:
        self.fhdl = flux_handle
        self.path = path
        if not path or path == ".":
            self._path = ""
        else:
            self._path = path if path[-1] == "." else path + "."
        self.namespace = namespace
        self.txn = _Txn()

    def commit(self, flags: int = 0) -> None:
        """Send the staged changes (nothing staged: no RPC); the transaction is cleared either way."""
        if self.txn.is_empty():
            return
        try:
            commit(self.fhdl, flags=flags, namespace=self.namespace, _kvstxn=self.txn)
        finally:
            self.clear()

    def commit_async(self, flags: int = 0) -> Future:
        future = commit_async(self.fhdl, flags=flags, namespace=self.namespace, _kvstxn=self.txn)
        self.clear()
        return Future(future)

    def put(self, key: str, value: Any, raw: bool = False) -> None:
        put(self.fhdl, self._path + key, value, _kvstxn=self.txn, raw=raw)

    def mkdir(self, key: str) -> None:
        put_mkdir(self.fhdl, self._path + key, _kvstxn=self.txn)

    def unlink(self, key: str) -> None:
        put_unlink(self.fhdl, self._path + key, _kvstxn=self.txn)

    def symlink(self, key: str, target: str) -> None:
        put_symlink(self.fhdl, self._path + key, target, _kvstxn=self.txn)

    def clear(self) -> None:
        self.txn.clear()

    def __enter__(self) -> KVSTxn:
        return self

    def __exit__(self, *_exc: Any) -> Literal[False]:
        self.commit()
        return False


class _Dir:
    """``flux_kvsdir_t``: one directory tree object and the key it was read at."""

    __slots__ = ("key", "dirobj")

    def __init__(self, key: str, dirobj: Dict[str, Any]) -> None:
        self.key = key
        self.dirobj = dirobj

    def entries(self) -> Dict[str, Any]:
        data = self.dirobj["data"]
        assert isinstance(data, dict)
        return data

    def key_at(self, name: str) -> str:
        if self.key == ".":
            return name
        if self.key.endswith("."):
            return self.key + name
        return f"{self.key}.{name}"

    def isdir(self, name: str) -> bool:
        return _treeobj_type(self.entries().get(name)) in ("dir", "dirref")

    def names(self) -> List[str]:
        return sorted(self.entries(), key=lambda k: k.encode("utf-8", "surrogateescape"))


class KVSDir(abc.MutableMapping):
    """A KVS directory as a mutable mapping.

    Construction reads the directory at once (OSError ENOENT, or ENOTDIR
    for a value).  ``d[k]`` is a value or a sub-``KVSDir`` (KeyError if
    missing); ``d[k] = v`` and ``del d[k]`` are staged in a transaction that
    sub-directories obtained through ``d[k]`` share, and that
    :meth:`commit` (or leaving a ``with`` block) sends.
    """

    def __init__(
        self,
        flux_handle: Any = None,
        path: str = ".",
        handle: Optional[_Dir] = None,
        namespace: Optional[str] = None,
        _kvstxn: Optional[KVSTxn] = None,
    ) -> None:
        self.fhdl = flux_handle
        self.path = path
        if not path or path == ".":
            self._path = ""
        else:
            self._path = path if path[-1] == "." else path + "."
        self.namespace = namespace
        if flux_handle is None and handle is None:
            raise ValueError("flux_handle must be a valid Flux object orhandle must be a valid kvsdir cdata pointer")
        if handle is None:
            fc = lookup(flux_handle, namespace, constants.FLUX_KVS_READDIR, path)
            try:
                handle = lookup_get_dir(fc, _text(path))
            finally:
                _forget(fc)
        self.pimpl = handle
        self.kvstxn = _kvstxn if _kvstxn else KVSTxn(self.fhdl, ".", namespace=self.namespace)

    @property
    def handle(self) -> _Dir:
        return self.pimpl

    def commit(self, flags: int = 0) -> None:
        """Send the changes staged through this directory (and its sub-directories)."""
        try:
            self.kvstxn.commit(flags=flags)
        finally:
            self.kvstxn.clear()

    def commit_async(self, flags: int = 0) -> Future:
        future = self.kvstxn.commit_async(flags=flags)
        self.kvstxn.clear()
        return Future(future)

    def key_at(self, key: str) -> str:
        """The full key of ``key`` in this directory."""
        return self.pimpl.key_at(key)

    def exists(self, name: str) -> bool:
        return exists(self.fhdl, self._path + name, namespace=self.namespace)

    def __getitem__(self, key: str) -> Any:
        try:
            return get(self.fhdl, self.key_at(key), namespace=self.namespace, _kvstxn=self.kvstxn)
        except OSError:
            raise KeyError(f"{key} not found under directory {self.key_at('')}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        self.kvstxn.put(self._path + key, value)

    def __delitem__(self, key: str) -> None:
        self.kvstxn.unlink(self._path + key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.pimpl.names())

    def __len__(self) -> int:
        return len(self.pimpl.entries())

    def fill(self, contents: Mapping[str, Any]) -> None:
        """Stage every ``key: value`` of ``contents`` (``a.b`` keys make sub-directories), then commit."""
        if contents is None:
            raise ValueError("contents must be non-None")
        try:
            for key, val in contents.items():
                self[key] = val
        finally:
            self.commit()

    def mkdir(self, key: str, contents: Optional[Mapping[str, Any]] = None) -> None:
        """Create (and commit) a sub-directory, optionally filled with ``contents``."""
        self.kvstxn.mkdir(self._path + key)
        self.commit()
        if contents is not None:
            new_kvsdir = KVSDir(self.fhdl, key, namespace=self.namespace)
            new_kvsdir.fill(contents)

    def files(self) -> Iterator[str]:
        for k in self:
            if not self.pimpl.isdir(k):
                yield k

    def directories(self) -> Iterator[str]:
        for k in self:
            if self.pimpl.isdir(k):
                yield k

    def list_all(self) -> Tuple[List[str], List[str]]:
        files: List[str] = []
        dirs: List[str] = []
        for k in self:
            (dirs if self.pimpl.isdir(k) else files).append(k)
        return (files, dirs)

    def __enter__(self) -> KVSDir:
        return self

    def __exit__(self, *_exc: Any) -> Literal[False]:
        self.commit()
        return False


def join(*args: str) -> str:
    """Join key components with ``.``, skipping empty ones (for :func:`walk`)."""
    return ".".join(a for a in args if len(a) > 0)


def _inner_walk(
    kvsdir: KVSDir, curr_dir: str, topdown: bool = False, namespace: Optional[str] = None
) -> Iterator[Tuple[str, Iterator[str], Iterator[str]]]:
    if topdown:
        yield (curr_dir, kvsdir.directories(), kvsdir.files())
    for directory in kvsdir.directories():
        path = join(curr_dir, directory)
        key = kvsdir.key_at(directory)
        yield from _inner_walk(get_dir(kvsdir.fhdl, key, namespace=namespace), path, topdown, namespace=namespace)
    if not topdown:
        yield (curr_dir, kvsdir.directories(), kvsdir.files())


def walk(
    directory: Union[str, KVSDir], topdown: bool = False, flux_handle: Any = None, namespace: Optional[str] = None
) -> Iterator[Tuple[str, Iterator[str], Iterator[str]]]:
    """Walk a directory like ``os.walk``: ``(path, directories, files)`` per directory.

    ``directories`` and ``files`` are generators.  A key needs ``flux_handle``.
    """
    if not isinstance(directory, KVSDir):
        if flux_handle is None:
            raise ValueError("If directory is a key, flux_handle must be specified")
        directory = KVSDir(flux_handle, directory, namespace=namespace)
    return _inner_walk(directory, "", topdown, namespace=namespace)


class WatchImplementation(Future, ABC):
    """Base of the streaming watch futures: ``get()`` returns the next value, None at the end."""

    def __init__(self, future_handle: Any) -> None:
        super().__init__(future_handle)
        self.needs_cancel = True

    def __del__(self) -> None:
        if getattr(self, "needs_cancel", False) is not False:
            try:
                self.cancel()
            except Exception:
                pass
        super().__del__()

    @abstractmethod
    def watch_get(self, future: FutureCore) -> Any:
        """Decode the current response of ``future``."""

    @abstractmethod
    def watch_cancel(self, future: FutureCore) -> None:
        """Ask the service to end the stream."""

    def get(self, autoreset: bool = True) -> Any:
        """The next value, or None when the stream has ended (ENODATA).

        The future is reset afterwards unless ``autoreset=False``, so the
        next call waits for the next value.
        """
        try:
            self.wait_for()
            ret = self.watch_get(self._fc())
        except OSError as exc:
            if exc.errno == errno.ENODATA:
                self.needs_cancel = False
                return None
            self.raise_if_handle_exception()
            text = self.error_string()
            if text is not None:
                exc.strerror = text
            raise
        if autoreset is True:
            self.reset()
        return ret

    def cancel(self, stop: bool = False) -> None:
        """Ask for the end of the stream; ``stop=True`` also stops ``then`` callbacks."""
        self.watch_cancel(self._fc())
        self.needs_cancel = False
        if stop:
            self.stop()


class KVSWatchFuture(WatchImplementation):
    """The future :func:`kvs_watch_async` returns; ``get()`` gives each new value."""

    def watch_get(self, future: FutureCore) -> Any:
        data = lookup_get_raw(future)
        if data is None:
            return None
        return _get_value(data)

    def watch_cancel(self, future: FutureCore) -> None:
        lookup_cancel(future)


def kvs_watch_async(
    flux_handle: Any,
    key: Any,
    namespace: Optional[str] = None,
    waitcreate: bool = False,
    uniq: bool = False,
    full: bool = False,
) -> KVSWatchFuture:
    """Watch ``key``: a :class:`KVSWatchFuture` that yields its value now and after each change."""
    flags = constants.FLUX_KVS_WATCH
    if waitcreate:
        flags |= constants.FLUX_KVS_WAITCREATE
    if uniq:
        flags |= constants.FLUX_KVS_WATCH_UNIQ
    if full:
        flags |= constants.FLUX_KVS_WATCH_FULL
    return KVSWatchFuture(lookup(flux_handle, namespace, flags, key))


def kvs_checkpoint_lookup(flux_handle: Any, cache_bypass: bool = False) -> List[Any]:
    """The KVS checkpoints (``content.checkpoint-get``, or the backing store's)."""
    topic = "content-backing.checkpoint-get" if cache_bypass else "content.checkpoint-get"
    value = RPC(flux_handle, topic).get()["value"]
    if isinstance(value, dict):
        return [value]
    assert isinstance(value, list)
    return value
