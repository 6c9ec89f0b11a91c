"""The instance's KVS as one in-process object (flux-core ``modules/kvs``),
shared by the ``kvs`` and ``kvs-watch`` services of every rank and by the
job services, which write job eventlogs straight into it.

As in flux-core the store is content addressed (RFC 10/11): every directory
is a blob named by its hash (``sha1-<hex>``, the default ``content.hash``),
a namespace is a root reference plus a sequence number, and a commit copies
the path it changes, unrolls new directories into ``dirref`` objects and
values longer than a blobref into ``valref`` objects (kvstxn.c), so lookups
see the same tree objects a real instance gives.

Hashing is lazy: a commit leaves the directories it changed in memory, as
``dir`` objects standing where their ``dirref`` will be (a stored tree never
holds a ``dir`` otherwise, so the two cannot be confused).  Their blobrefs are
computed only when something outside the store can see one (a namespace's
``rootref``, a lookup with TREEOBJ or READDIR), and then the pending object
is turned into its ``dirref`` in place, for every tree sharing it.  What
clients see is the same as with hashing on every commit: refs of the same
content, in the same places; only roots no one asked for are never hashed.
Directories are kept decoded next to their blobs, and treated as immutable
(a commit copies what it changes).

Nothing here does IO; watchers are plain callbacks run after each commit.
"""

from __future__ import annotations

import base64
import copy
import errno
import hashlib
import json
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from fakeflux.broker.errors import ServiceError

Treeobj = Dict[str, Any]

PRIMARY = "primary"
USERID_UNKNOWN = 0xFFFFFFFF

# lookup and commit flags (libkvs kvs.h)
READDIR = 1
READLINK = 2
WATCH = 4
WAITCREATE = 8
TREEOBJ = 16
APPEND = 32
WATCH_FULL = 64
WATCH_UNIQ = 128
WATCH_APPEND = 256
STREAM = 512
WATCH_INITIAL_SENTINEL = 1024
NO_MERGE = 1
SYNC = 4

BLOBREF_MAX_STRING_SIZE = 72  # libutil/blobref.h: longer val data becomes a valref
SYMLINK_CYCLE_LIMIT = 10  # lookup.c

_TYPES = ("val", "valref", "dir", "dirref", "symlink")


def normalize_key(key: str) -> str:
    """kvs_util_normalize_key: collapse runs of '.', drop one leading and one
    trailing separator."""
    while ".." in key:
        key = key.replace("..", ".")
    if len(key) > 1 and key.startswith("."):
        key = key[1:]
    if len(key) > 1 and key.endswith("."):
        key = key[:-1]
    return key


def val(data: bytes) -> Treeobj:
    return {"ver": 1, "type": "val", "data": base64.b64encode(data).decode("ascii")}


def empty_dir() -> Treeobj:
    return {"ver": 1, "type": "dir", "data": {}}


def dirref(ref: str) -> Treeobj:
    return {"ver": 1, "type": "dirref", "data": [ref]}


def encode_treeobj(obj: Treeobj) -> bytes:
    """treeobj_encode: jansson's JSON_COMPACT|JSON_SORT_KEYS."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def blobref(data: bytes) -> str:
    return "sha1-" + hashlib.sha1(data).hexdigest()


def validate_treeobj(obj: Any) -> bool:
    """treeobj_validate, as far as the shapes go."""
    if not isinstance(obj, dict) or obj.get("ver") != 1 or obj.get("type") not in _TYPES:
        return False
    kind, data = obj["type"], obj.get("data")
    if kind == "val":
        if not isinstance(data, str):
            return False
        try:
            base64.b64decode(data, validate=True)
        except ValueError:
            return False
        return True
    if kind in ("valref", "dirref"):
        if not isinstance(data, list) or not all(isinstance(r, str) for r in data):
            return False
        return kind == "valref" and len(data) > 0 or kind == "dirref" and len(data) == 1
    if kind == "dir":
        return isinstance(data, dict) and all(validate_treeobj(v) for v in data.values())
    if kind == "symlink":
        return (
            isinstance(data, dict)
            and isinstance(data.get("target"), str)
            and isinstance(data.get("namespace", ""), str)
        )
    return False


def copy_treeobj(obj: Treeobj) -> Treeobj:
    """copy.deepcopy of a validated tree object, several times faster (one
    is copied for every KVS write)."""
    data = obj["data"]
    if type(data) is str:
        data_copy: Any = data
    elif type(data) is list:
        data_copy = list(data)
    elif obj["type"] == "dir":
        data_copy = {k: copy_treeobj(v) for k, v in data.items()}
    else:
        data_copy = copy.deepcopy(data)
    out = dict(obj)
    out["data"] = data_copy
    return out


def stored_form(obj: Any) -> Any:
    """A deep copy with every object's keys in sorted order: what a real KVS
    hands back of anything it read from its store (blobs are encoded with
    sorted keys, and jansson keeps the order it decoded).  Objects the real
    lookup makes afresh (the root's dirref, a valref's joined val) keep
    treeobj_create_*'s order: ver, type, data."""
    if type(obj) is dict:
        return {k: stored_form(obj[k]) for k in sorted(obj)}
    if type(obj) is list:
        return [stored_form(v) for v in obj]
    return obj


def _mark_fresh(obj: Treeobj, fresh: Dict[int, Treeobj]) -> None:
    if obj["type"] == "dir":
        fresh[id(obj)] = obj
        for entry in obj["data"].values():
            _mark_fresh(entry, fresh)


class _Txn:
    """One commit's working state: the directories it made (its own to
    change; the others are shared), by id; which of them copy a directory the
    namespace's last commit unrolled, and the names it set in each; the blobs
    of appended data (stored when every op succeeded)."""

    __slots__ = ("fresh", "clean", "touched", "pending", "unrolled", "_before")

    def __init__(self, before: Dict[int, Treeobj]) -> None:
        self.fresh: Dict[int, Treeobj] = {}
        self.clean: Set[int] = set()
        self.touched: Dict[int, Dict[str, None]] = {}  # names in the order first set
        self.pending: List[Tuple[str, bytes]] = []
        self.unrolled: Dict[int, Treeobj] = {}  # what _unroll went through
        self._before = before  # the last commit's unrolled directories, by id

    def copy_of(self, original: Treeobj, copy: Treeobj) -> Treeobj:
        """``copy``, a new dir object of ``original``'s entries, is this commit's."""
        if original["type"] == "dir" and self._before.get(id(original)) is original:
            self.clean.add(id(copy))
        self.fresh[id(copy)] = copy
        return copy

    def touch(self, directory: Treeobj, name: str) -> None:
        self.touched.setdefault(id(directory), {})[name] = None


class Namespace:
    """A namespace's root: a blobref, or a directory not hashed yet (``root``)."""

    __slots__ = ("name", "owner", "flags", "seq", "root", "_ref", "_store", "unrolled")

    def __init__(self, store: KvsStore, name: str, owner: int, flags: int, rootref: str) -> None:
        self.name = name
        self.owner = owner
        self.flags = flags
        self.seq = 0
        self._store = store
        self._ref: Optional[str] = rootref
        self.root: Treeobj = dirref(rootref)  # or a pending dir (lazy hashing)
        # The directories the last commit made and unrolled, by id (all in the
        # current tree): a later commit's copy of one needs only its own
        # changes unrolled, not every entry again.
        self.unrolled: Dict[int, Treeobj] = {}

    @property
    def rootref(self) -> str:
        if self._ref is None:
            self._ref = self._store.seal(self.root)
            self.root = dirref(self._ref)
        return self._ref

    def set_root(self, root: Treeobj) -> None:
        """A commit's new root directory, to be hashed when asked for."""
        self.root = root
        self._ref = None


# A watcher callback: (namespace name, event) with event "commit", "created"
# or "removed"; on "commit" the store's ``last_keys`` holds the changed keys.
WatchCallback = Callable[[str, str], None]


class KvsStore:
    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.blobs: Dict[str, bytes] = {}
        self.dirs: Dict[str, Dict[str, Treeobj]] = {}  # blobref -> a stored directory's entries, decoded
        self.namespaces: Dict[str, Namespace] = {}
        self.watchers: Dict[str, List[WatchCallback]] = {}
        self.last_keys: Set[str] = set()
        self.empty_root = self.store(encode_treeobj(empty_dir()))
        self.namespaces[PRIMARY] = Namespace(self, PRIMARY, owner, 0, self.empty_root)

    # -- content ---------------------------------------------------------------------
    def store(self, data: bytes) -> str:
        ref = blobref(data)
        self.blobs[ref] = data
        return ref

    def load_dir(self, ref: str) -> Treeobj:
        """The directory stored as ``ref``: a new dir object (its entries
        shared, never to be changed in place)."""
        entries = self.dirs.get(ref)
        if entries is None:
            data = self.blobs.get(ref)
            if data is None:
                raise ServiceError(errno.ENOENT)  # content.load of an unknown blob
            obj = json.loads(data)
            if not isinstance(obj, dict) or obj.get("type") != "dir":
                raise ServiceError(errno.ENOTRECOVERABLE)
            entries = self.dirs[ref] = obj["data"]
        # in flux-core's own key order (treeobj_create_*: ver, type, data)
        return {"ver": 1, "type": "dir", "data": dict(entries)}

    def seal(self, directory: Treeobj) -> str:
        """The blobref of a pending directory: its pending subdirectories
        sealed first and turned into their dirrefs in place (kvstxn_unroll's
        hashing, done when a ref is first needed)."""
        entries = directory["data"]
        for entry in entries.values():
            if entry["type"] == "dir":
                ref = self.seal(entry)
                # in place: every tree holding this pending directory now holds its dirref
                entry["type"] = "dirref"
                entry["data"] = [ref]
        ref = self.store(encode_treeobj({"ver": 1, "type": "dir", "data": entries}))
        self.dirs.setdefault(ref, dict(entries))
        return ref

    def _sealed(self, obj: Treeobj) -> Treeobj:
        """A directory entry for a client, in its stored form: a pending dir
        becomes its dirref."""
        if obj["type"] == "dir":
            return {"data": [self.seal(obj)], "type": "dirref", "ver": 1}
        return stored_form(obj)

    def valref_data(self, obj: Treeobj) -> bytes:
        out = []
        for ref in obj["data"]:
            data = self.blobs.get(ref)
            if data is None:
                raise ServiceError(errno.ENOENT)
            out.append(data)
        return b"".join(out)

    # -- namespaces ---------------------------------------------------------------------
    def namespace(self, name: str, userid: int, rolemask: int) -> Namespace:
        ns = self.namespaces.get(name)
        if ns is None:
            raise ServiceError(errno.ENOTSUP)
        if not rolemask & 1 and userid != ns.owner:  # kvsroot_check_user
            raise ServiceError(errno.EPERM)
        return ns

    def namespace_create(self, name: str, rootref: str, owner: int, flags: int) -> None:
        if name in self.namespaces:
            raise ServiceError(errno.EEXIST)
        if owner == USERID_UNKNOWN:
            owner = self.owner
        self.namespaces[name] = Namespace(self, name, owner, flags, rootref)
        self._notify(name, "created")

    def namespace_remove(self, name: str) -> None:
        if name == PRIMARY:
            raise ServiceError(errno.ENOTSUP)
        if self.namespaces.pop(name, None) is not None:
            self._notify(name, "removed")

    # -- lookup ---------------------------------------------------------------------------
    def lookup(
        self,
        key: str,
        flags: int,
        *,
        namespace: Optional[str] = None,
        rootref: Optional[str] = None,
        userid: int = 0,
        rolemask: int = 1,
    ) -> Optional[Treeobj]:
        """lookup.c: the tree object at ``key``, or None when there is none
        (the service answers ENOENT); errors as ServiceError."""
        if rootref is not None:
            root = dirref(rootref)
        else:
            assert namespace is not None
            root = self.namespace(namespace, userid, rolemask).root
        path = normalize_key(key)
        if path == ".":  # lookup.c's special case: READLINK plays no part
            if flags & TREEOBJ:
                return dirref(root["data"][0] if root["type"] == "dirref" else self.seal(root))
            if not flags & READDIR:
                raise ServiceError(errno.EISDIR)
            return self._listing(root)
        dirent = self._walk(root, path, flags, 0, userid, rolemask)
        if dirent is None:
            return None
        return self._value(dirent, flags)

    def _walk(
        self, root: Treeobj, path: str, flags: int, depth: int, userid: int, rolemask: int
    ) -> Optional[Treeobj]:
        comps = path.split(".")
        current = root
        for i, name in enumerate(comps):
            last = i == len(comps) - 1
            if current["type"] == "dirref":
                directory = self.load_dir(current["data"][0])
            elif current["type"] == "dir":
                directory = current
            elif current["type"] in ("val", "valref"):
                return None  # a value in the middle of the path: not found
            else:
                raise ServiceError(errno.ENOTRECOVERABLE)
            entry = directory["data"].get(name)
            if entry is None:
                return None
            if entry["type"] == "symlink" and (not last or not flags & (READLINK | TREEOBJ)):
                if depth == SYMLINK_CYCLE_LIMIT:
                    raise ServiceError(errno.ELOOP)
                target = entry["data"]["target"]
                ns_name = entry["data"].get("namespace")
                top = root if ns_name is None else self.namespace(ns_name, userid, rolemask).root
                if target == ".":
                    entry = top
                else:
                    resolved = self._walk(top, normalize_key(target), flags & ~(READLINK | TREEOBJ), depth + 1,
                                          userid, rolemask)
                    if resolved is None:
                        return None
                    entry = resolved
            current = entry
        return current

    def _listing(self, dirent: Treeobj) -> Treeobj:
        """READDIR's answer for a dirref or a pending dir (its subdirectories as dirrefs)."""
        entries = self.load_dir(dirent["data"][0])["data"] if dirent["type"] == "dirref" else dirent["data"]
        return {"data": {k: self._sealed(entries[k]) for k in sorted(entries)}, "type": "dir", "ver": 1}

    def _value(self, dirent: Treeobj, flags: int) -> Treeobj:
        """lookup.c LOOKUP_STATE_VALUE."""
        if flags & TREEOBJ:
            return self._sealed(dirent)
        kind = dirent["type"]
        if kind in ("dirref", "dir"):
            if flags & READLINK:
                raise ServiceError(errno.EINVAL)
            if not flags & READDIR:
                raise ServiceError(errno.EISDIR)
            return self._listing(dirent)
        if kind in ("valref", "val"):
            if flags & READLINK:
                raise ServiceError(errno.EINVAL)
            if flags & READDIR:
                raise ServiceError(errno.ENOTDIR)
            return val(self.valref_data(dirent)) if kind == "valref" else stored_form(dirent)
        # symlink at the end of the path, READLINK asked
        if flags & READDIR:
            raise ServiceError(errno.ENOTDIR)
        return stored_form(dirent)

    # -- commit ------------------------------------------------------------------------------
    def commit(self, namespace: str, ops: List[Dict[str, Any]], flags: int) -> Tuple[str, int]:
        """kvstxn.c: apply ``ops`` (already unpacked and validated) atomically;
        returns the new (rootref, rootseq)."""
        ref, seq = self._apply(namespace, ops, flags, seal=True)
        assert ref is not None
        return ref, seq

    def apply(self, namespace: str, ops: List[Dict[str, Any]], flags: int = 0) -> int:
        """As commit(), for writers that need no blobref (the job services):
        the new root stays unhashed until someone asks.  Returns the rootseq.

        Their ops are made here (:func:`val`, :func:`dirref`), never read from
        a client, so their dirents are not validated again; an op may carry
        its value's bytes as ``raw`` as well, which an append then hashes
        without decoding the base64 it was just encoded into."""
        return self._apply(namespace, ops, flags, seal=False, trusted=True)[1]

    def _apply(self, namespace: str, ops: List[Dict[str, Any]], flags: int, seal: bool,
               trusted: bool = False) -> Tuple[Optional[str], int]:
        ns = self.namespaces.get(namespace)
        if ns is None:
            raise ServiceError(errno.ENOTSUP)
        if flags & SYNC and namespace != PRIMARY:
            raise ServiceError(errno.EINVAL)
        txn = _Txn(ns.unrolled)
        root = txn.copy_of(ns.root, self._copy_dir(ns.root))
        keys: Set[str] = set()
        for op in ops:
            name = normalize_key(op["key"])
            self._link(root, namespace, name, op["dirent"], op["flags"], txn,
                       trusted, op.get("raw") if trusted else None)
            keys.add(name)
        for blob_ref, data in txn.pending:
            self.blobs[blob_ref] = data
        self._unroll(root, txn)
        ns.unrolled = txn.unrolled
        ns.set_root(root)
        ns.seq += 1
        ref, seq = ns.rootref if seal else None, ns.seq
        self.last_keys = keys
        self._notify(namespace, "commit")
        return ref, seq

    def _copy_dir(self, obj: Treeobj) -> Treeobj:
        """A new dir object with ``obj``'s entries (a pending dir, or a dirref loaded)."""
        if obj["type"] == "dirref":
            return self.load_dir(obj["data"][0])
        return {"ver": 1, "type": "dir", "data": dict(obj["data"])}

    def _link(self, root: Treeobj, namespace: str, name: str, dirent: Optional[Treeobj], flags: int,
              txn: _Txn, trusted: bool = False, raw: Optional[bytes] = None) -> None:
        """Put ``dirent`` at ``name`` (normalized); ``trusted``: made by
        fakeflux, valid; ``raw``: the bytes of its val, if known."""
        if name == ".":
            raise ServiceError(errno.EINVAL)
        comps = name.split(".")
        directory = root
        for i, comp in enumerate(comps[:-1]):
            entry = directory["data"].get(comp)
            if entry is None or entry["type"] in ("val", "valref"):
                if dirent is None:
                    return  # unlinking something that is not there
                sub = empty_dir()
            elif entry["type"] == "dir":
                sub = entry if id(entry) in txn.fresh else txn.copy_of(entry, self._copy_dir(entry))
            elif entry["type"] == "dirref":
                sub = self.load_dir(entry["data"][0])
            elif entry["type"] == "symlink":
                target_ns = entry["data"].get("namespace")
                if target_ns is not None and target_ns != namespace:
                    raise ServiceError(errno.EINVAL)  # can't cross into a new namespace
                rest = ".".join(comps[i + 1 :])
                self._link(root, namespace, normalize_key(f"{entry['data']['target']}.{rest}"), dirent, flags,
                           txn, trusted, raw)
                return
            else:
                raise ServiceError(errno.ENOTRECOVERABLE)
            txn.fresh[id(sub)] = sub
            directory["data"][comp] = sub
            txn.touch(directory, comp)
            directory = sub
        last = comps[-1]
        if dirent is None:
            directory["data"].pop(last, None)
            return
        if not trusted and not validate_treeobj(dirent):
            raise ServiceError(errno.EINVAL)
        if not flags & APPEND:
            directory["data"][last] = new_entry = copy_treeobj(dirent)
            txn.touch(directory, last)
            _mark_fresh(new_entry, txn.fresh)
            return
        # kvstxn_append
        if dirent["type"] != "val":
            raise ServiceError(errno.EPROTO)
        entry = directory["data"].get(last)
        txn.touch(directory, last)
        if entry is None:
            directory["data"][last] = dict(dirent)
        elif entry["type"] in ("valref", "val"):
            new = raw if raw is not None else base64.b64decode(dirent["data"])
            new_ref = blobref(new)
            txn.pending.append((new_ref, new))
            if entry["type"] == "valref":
                refs = [*entry["data"], new_ref]
            else:
                old = base64.b64decode(entry["data"])
                old_ref = blobref(old)
                txn.pending.insert(-1, (old_ref, old))
                refs = [old_ref, new_ref]
            directory["data"][last] = {"ver": 1, "type": "valref", "data": refs}
        elif entry["type"] == "symlink":
            raise ServiceError(errno.EOPNOTSUPP)
        else:
            raise ServiceError(errno.EISDIR)

    def _unroll(self, directory: Treeobj, txn: _Txn) -> None:
        """kvstxn_unroll: long values in new directories become valrefs; the
        new directories stay pending (dir objects) until seal() hashes them.
        Of a copy of a directory the last commit unrolled, only the entries
        this commit set are looked at (the others were looked at then; a
        job's directory holds thousands of them after a while)."""
        data = directory["data"]
        txn.unrolled[id(directory)] = directory
        names = txn.touched.get(id(directory), {}) if id(directory) in txn.clean else data
        for name in names:
            entry = data.get(name)
            if entry is None:  # set, then unlinked by a later op
                continue
            if entry["type"] == "dir":
                if id(entry) in txn.fresh:
                    self._unroll(entry, txn)
            elif entry["type"] == "val" and len(entry["data"]) > BLOBREF_MAX_STRING_SIZE:
                data[name] = {"ver": 1, "type": "valref", "data": [self.store(base64.b64decode(entry["data"]))]}

    # -- watching ------------------------------------------------------------------------------
    def watch(self, namespace: str, callback: WatchCallback) -> None:
        self.watchers.setdefault(namespace, []).append(callback)

    def unwatch(self, namespace: str, callback: WatchCallback) -> None:
        callbacks = self.watchers.get(namespace)
        if callbacks and callback in callbacks:
            callbacks.remove(callback)
            if not callbacks:
                del self.watchers[namespace]

    def _notify(self, namespace: str, what: str) -> None:
        for callback in list(self.watchers.get(namespace, ())):
            callback(namespace, what)

    # -- conveniences for the job services (owner's writes, no RPC) --------------------------
    def put(self, namespace: str, key: str, data: bytes, *, append: bool = False) -> None:
        self.apply(namespace, [{"key": key, "flags": APPEND if append else 0, "dirent": val(data)}])

    def put_many(self, namespace: str, items: Iterable[Tuple[str, Optional[bytes], int]]) -> None:
        ops = [{"key": k, "flags": f, "dirent": None if d is None else val(d)} for k, d, f in items]
        self.apply(namespace, ops)

    def get(self, namespace: str, key: str) -> Optional[bytes]:
        """The value at ``key`` (appended pieces joined), or None."""
        try:
            obj = self.lookup(key, 0, namespace=namespace)
        except ServiceError:
            return None
        if obj is None or obj["type"] != "val":
            return None
        return base64.b64decode(obj["data"])
