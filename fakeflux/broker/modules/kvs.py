"""``kvs``: lookups, commits and namespaces (flux-core ``modules/kvs/kvs.c``),
on every rank, over the instance's one :class:`~fakeflux.broker.kvs_store.KvsStore`.

Every rank answers from the same store, so a rank never lags behind rank 0
(real Flux guarantees read-your-writes per client, and a fake that is always
current satisfies it).
"""

from __future__ import annotations

import errno
from typing import Any, Callable, Dict, List, Optional

from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C


def int_field(obj: Dict[str, Any], key: str, *, optional: bool = False) -> Optional[int]:
    value = obj.get(key)
    if value is None and optional and key not in obj:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"{key!r} must be an integer")
    return value


def str_field(obj: Dict[str, Any], key: str, *, optional: bool = False) -> Optional[str]:
    value = obj.get(key)
    if value is None and optional and key not in obj:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} must be a string")
    return c_string(value)


def c_string(value: str) -> str:
    """The string as flux-core's C code sees it (json_unpack "s" hands it a
    char *): cut at the first NUL, so ``"a\\u0000b"`` is the key ``a``."""
    nul = value.find("\0")
    return value if nul < 0 else value[:nul]


def decode_ops(ops: Any) -> List[Dict[str, Any]]:
    """txn_decode_op on every op: ``{"key":s, "flags":i, "dirent":o}``.

    kvs.c unpacks ``ops`` as any JSON value and counts its ops with
    json_array_size, which is 0 for anything but an array: a commit whose
    ``ops`` is a string, a number, an object or null commits nothing, and
    succeeds, as in real Flux."""
    if not isinstance(ops, list):
        return []
    out = []
    for op in ops:
        if not isinstance(op, dict):
            raise ServiceError(errno.EPROTO)
        key, flags, dirent = op.get("key"), op.get("flags"), op.get("dirent", ...)
        if not isinstance(key, str) or not isinstance(flags, int) or isinstance(flags, bool) or dirent is ...:
            raise ServiceError(errno.EPROTO)
        key = c_string(key)
        if not key or flags & ~K.APPEND:
            raise ServiceError(errno.EPROTO)
        if dirent is not None and not K.validate_treeobj(dirent):
            raise ServiceError(errno.EPROTO)
        out.append({"key": key, "flags": flags, "dirent": dirent})
    return out


def guest_commit_check(ops: List[Dict[str, Any]]) -> None:
    """guest_commit_authorize: guests may store values and empty directories only."""
    for op in ops:
        obj = op["dirent"]
        if obj is None or obj["type"] == "val" or (obj["type"] == "dir" and not obj["data"]):
            continue
        prefix = "non-empty " if obj["type"] == "dir" else ""
        raise ServiceError(errno.EPERM, f"guests may not commit {prefix}{obj['type']} objects")


class KvsModule(BrokerModule):
    name = "kvs"
    methods = {
        "lookup": ("lookup", C.ROLE_USER),
        "lookup-plus": ("lookup_plus", C.ROLE_USER),
        "commit": ("commit", C.ROLE_USER),
        "getroot": ("getroot", C.ROLE_USER),
        "wait-version": ("wait_version", C.ROLE_USER),
        "namespace-create": ("namespace_create", 0),
        "namespace-remove": ("namespace_remove", 0),
        "namespace-list": ("namespace_list", 0),
        "stats-get": ("stats_get", C.ROLE_USER),
        "disconnect": ("on_disconnect", C.ROLE_USER),
    }

    @property
    def store(self) -> K.KvsStore:
        return self.broker.core.kvs

    def _lookup_common(self, msg: Message) -> tuple[Optional[K.Treeobj], Callable[[], str], int]:
        """The lookup's answer, the root it read (a function: a namespace's
        root is hashed only if asked for) and that root's seq."""
        req = payload_json(msg.payload)
        key = str_field(req, "key")
        flags = int_field(req, "flags")
        ns = str_field(req, "namespace", optional=True)
        rootdir = req.get("rootdir")
        rootseq = req.get("rootseq", -1)
        assert key is not None and flags is not None
        if ns is None and rootdir is None:
            raise ServiceError(errno.EPROTO)
        rootref: Optional[str] = None
        if rootdir is not None:
            if not K.validate_treeobj(rootdir) or rootdir["type"] != "dirref":
                raise ServiceError(errno.EINVAL)
            rootref = rootdir["data"][0]
            if rootref not in self.store.blobs:
                raise ServiceError(errno.EINVAL)
        else:
            assert ns is not None
            space = self.store.namespace(ns, msg.userid, msg.rolemask)
            rootseq = space.seq
            obj = self.store.lookup(key, flags, namespace=ns, userid=msg.userid, rolemask=msg.rolemask)
            return obj, lambda: space.rootref, rootseq
        obj = self.store.lookup(key, flags, rootref=rootref, userid=msg.userid, rolemask=msg.rolemask)
        return obj, lambda: str(rootref), rootseq

    def lookup(self, msg: Message) -> None:
        obj, _, _ = self._lookup_common(msg)
        if obj is None:
            raise ServiceError(errno.ENOENT)
        self.respond_json(msg, {"val": obj})

    def lookup_plus(self, msg: Message) -> None:
        """As lookup, with the root it read; a missing key is not an error."""
        obj, rootref, rootseq = self._lookup_common(msg)
        if obj is None:
            self.respond_json(msg, {"errno": errno.ENOENT, "rootref": rootref(), "rootseq": rootseq})
        else:
            self.respond_json(msg, {"val": obj, "rootref": rootref(), "rootseq": rootseq})

    def commit(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        if "ops" not in req:
            raise ProtocolError("'ops' is required")
        ns = str_field(req, "namespace")
        flags = int_field(req, "flags")
        assert ns is not None and flags is not None
        ops = decode_ops(req["ops"])
        if not msg.rolemask & C.ROLE_OWNER:
            guest_commit_check(ops)
        self.store.namespace(ns, msg.userid, msg.rolemask)
        rootref, rootseq = self.store.commit(ns, ops, flags)
        self.respond_json(msg, {"rootref": rootref, "rootseq": rootseq})

    def getroot(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        ns = str_field(req, "namespace")
        assert ns is not None
        space = self.store.namespace(ns, msg.userid, msg.rolemask)
        self.respond_json(
            msg,
            {
                "owner": space.owner,
                "rootseq": space.seq,
                "rootref": space.rootref,
                "flags": space.flags,
                "namespace": space.name,
            },
        )

    def wait_version(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        rootseq = int_field(req, "rootseq")
        ns = str_field(req, "namespace")
        assert ns is not None and rootseq is not None
        space = self.store.namespace(ns, msg.userid, msg.rolemask)
        if space.seq >= rootseq:
            self.respond_json(msg, {"rootseq": space.seq, "rootref": space.rootref})
            return

        def check(name: str, what: str) -> None:
            current = self.store.namespaces.get(name)
            if what == "removed" or current is None:
                self.store.unwatch(name, check)
                self.respond_error(msg, errno.ENOTSUP)
            elif current.seq >= rootseq:
                self.store.unwatch(name, check)
                self.respond_json(msg, {"rootseq": current.seq, "rootref": current.rootref})

        self.store.watch(ns, check)

    def namespace_create(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        ns = str_field(req, "namespace")
        rootref = str_field(req, "rootref")
        owner = int_field(req, "owner")
        flags = int_field(req, "flags")
        assert ns is not None and rootref is not None and owner is not None and flags is not None
        self.store.namespace_create(ns, rootref, owner & 0xFFFFFFFF, flags)
        self.respond(msg)

    def namespace_remove(self, msg: Message) -> None:
        ns = str_field(payload_json(msg.payload), "namespace")
        assert ns is not None
        if ns.lower() == K.PRIMARY:
            raise ServiceError(errno.ENOTSUP)
        self.store.namespace_remove(ns)
        self.respond(msg)

    def namespace_list(self, msg: Message) -> None:
        spaces = [{"namespace": ns.name, "owner": ns.owner, "flags": ns.flags} for ns in self.store.namespaces.values()]
        self.respond_json(msg, {"namespaces": spaces})

    def stats_get(self, msg: Message) -> None:
        self.respond_json(
            msg,
            {
                "cache": {"count": len(self.store.blobs)},
                "namespace": {
                    ns.name: {
                        "#versionwaiters": 0,
                        "#no-op stores": 0,
                        "#transactions": 0,
                        "#readytransactions": 0,
                        "store revision": ns.seq,
                    }
                    for ns in self.store.namespaces.values()
                },
                "pending_requests": 0,
            },
        )

    def on_disconnect(self, msg: Message) -> None:
        pass  # nothing waits per client here except wait-version, answered as it completes
