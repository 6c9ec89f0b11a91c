"""``kvs-watch``: streaming lookups (flux-core ``modules/kvs-watch``), on
every rank: ``kvs-watch.lookup`` with WATCH, WAITCREATE, STREAM and the
WATCH_FULL / WATCH_UNIQ / WATCH_APPEND / WATCH_INITIAL_SENTINEL flags,
``kvs-watch.cancel`` and the disconnect notice."""

from __future__ import annotations

import base64
import errno
from typing import TYPE_CHECKING, Dict, List, Optional

from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.broker.modules.kvs import int_field, str_field
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

_WATCH_ONLY = K.WATCH_FULL | K.WATCH_UNIQ | K.WATCH_APPEND | K.WATCH_INITIAL_SENTINEL


class Watcher:
    """One kvs-watch.lookup stream (kvs-watch.c ``struct watcher``)."""

    def __init__(self, module: KvsWatchModule, msg: Message, ns: str, key: str, flags: int) -> None:
        self.module = module
        self.msg = msg
        self.ns = ns
        self.key = key
        self.nkey = K.normalize_key(key)
        self.flags = flags
        self.responded = False
        self.finished = False
        self.sentinel_sent = False
        self.prev: Optional[K.Treeobj] = None
        self.index = -1  # last valref blob index sent (APPEND/STREAM)

    # -- helpers ---------------------------------------------------------------------------
    @property
    def store(self) -> K.KvsStore:
        return self.module.broker.core.kvs

    def send(self, obj: K.Treeobj) -> None:
        self.module.respond_json(self.msg, {"val": obj})
        self.responded = True

    def sentinel(self) -> None:
        if self.flags & K.WATCH_INITIAL_SENTINEL and not self.sentinel_sent:
            self.module.respond(self.msg)
            self.sentinel_sent = True

    def fail(self, errnum: int, text: Optional[str] = None) -> None:
        self.module.respond_error(self.msg, errnum, text)
        self.finish()

    def finish(self) -> None:
        self.finished = True
        self.store.unwatch(self.ns, self.on_change)
        if self in self.module.watchers:
            self.module.watchers.remove(self)

    def lookup(self) -> Optional[K.Treeobj]:
        flags = self.flags & (K.READDIR | K.READLINK | K.TREEOBJ)
        if self.flags & (K.WATCH_APPEND | K.STREAM):
            flags |= K.TREEOBJ
        return self.store.lookup(self.key, flags, namespace=self.ns, userid=self.msg.userid,
                                 rolemask=self.msg.rolemask)

    # -- the stream --------------------------------------------------------------------------
    def start(self) -> None:
        self.store.watch(self.ns, self.on_change)
        if self.ns not in self.store.namespaces:
            if not self.flags & K.WAITCREATE:
                self.fail(errno.ENOTSUP)
            return
        self.update(initial=True)

    def on_change(self, ns: str, what: str) -> None:
        if self.finished:
            return
        if what == "removed":
            self.fail(errno.ENOTSUP)
        elif what == "created":
            self.update(initial=True)
        elif self.flags & K.WATCH_FULL or self.nkey in self.store.last_keys:
            self.update(initial=False)

    def update(self, *, initial: bool) -> None:
        try:
            obj = self.lookup()
        except ServiceError as exc:
            self.fail(exc.errnum, exc.text)
            return
        if obj is None:
            if self.flags & K.WAITCREATE and not self.responded:
                if initial:
                    self.sentinel()
                return
            self.fail(errno.ENOENT)
            return
        if self.flags & (K.WATCH_APPEND | K.STREAM):
            self.append_response(obj)
        elif self.flags & (K.WATCH_FULL | K.WATCH_UNIQ):
            if not self.responded or obj != self.prev:
                self.prev = obj
                self.send(obj)
        else:
            self.send(obj)
        if self.finished:
            return
        if self.flags & K.STREAM:
            self.fail(errno.ENODATA)
        elif self.responded and self.flags & K.WAITCREATE and not self.flags & K.WATCH:
            self.finish()

    def append_response(self, obj: K.Treeobj) -> None:
        what = "watched with WATCH_APPEND" if self.flags & K.WATCH_APPEND else "streamed"
        if obj["type"] == "val":
            if self.responded:
                if self.flags & K.STREAM:
                    return
                self.fail(errno.EINVAL, "value of key watched with WATCH_APPEND overwritten")
                return
            self.send(obj)
            self.index = 0
            self.sentinel()
            return
        if obj["type"] != "valref":
            text = f"{obj['type']} cannot be {what}" if not self.responded else None
            if self.responded and self.flags & K.STREAM:
                return
            if self.responded:
                self.fail(errno.EINVAL, "value of key watched with WATCH_APPEND overwritten")
                return
            self.fail(errno.EISDIR if obj["type"] in ("dir", "dirref") else errno.EINVAL, text)
            return
        refs: List[str] = obj["data"]
        end = len(refs) - 1
        if end < self.index:
            self.fail(errno.EINVAL, "key watched with WATCH_APPEND shortened")
            return
        for ref in refs[self.index + 1 :]:
            data = self.store.blobs.get(ref, b"")
            self.send({"ver": 1, "type": "val", "data": base64.b64encode(data).decode("ascii")})
        self.index = end
        self.sentinel()

    def matches(self, sender: Optional[str], matchtag: Optional[int] = None) -> bool:
        return self.msg.sender == sender and (matchtag is None or self.msg.matchtag == matchtag)


class KvsWatchModule(BrokerModule):
    name = "kvs-watch"
    methods = {
        "lookup": ("lookup", C.ROLE_USER),
        "cancel": ("cancel", C.ROLE_USER),
        "disconnect": ("on_disconnect", C.ROLE_USER),
        "stats-get": ("stats_get", C.ROLE_USER),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        self.watchers: List[Watcher] = []

    def lookup(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        ns = str_field(req, "namespace")
        key = str_field(req, "key")
        flags = int_field(req, "flags")
        assert ns is not None and key is not None and flags is not None
        streaming = bool(msg.flags & C.FLAG_STREAMING)
        if flags & K.WATCH and not streaming:
            raise ServiceError(errno.EPROTO, "KVS watch request rejected without streaming RPC flag")
        if flags & K.STREAM and not streaming:
            raise ServiceError(errno.EPROTO, "KVS stream request rejected without streaming RPC flag")
        if flags & K.WATCH and flags & K.STREAM:
            raise ServiceError(errno.EINVAL, "Cannot KVS watch and stream at the same time")
        if not flags & K.WATCH and flags & _WATCH_ONLY:
            raise ServiceError(errno.EINVAL, "Must set KVS watch flag with other watch flags")
        if not flags & K.WATCH_APPEND and flags & K.WATCH_INITIAL_SENTINEL:
            raise ServiceError(errno.EINVAL, "Must set KVS watch append flag with initial sentinel flag")
        watcher = Watcher(self, msg, ns, key, flags)
        self.watchers.append(watcher)
        watcher.start()

    def cancel(self, msg: Message) -> None:
        matchtag = payload_json(msg.payload).get("matchtag")
        if not isinstance(matchtag, int):
            raise ProtocolError("'matchtag' must be an integer")
        for w in [w for w in self.watchers if w.matches(msg.sender, matchtag)]:
            w.fail(errno.ENODATA)
        # no response to a cancel, as in flux-core

    def on_disconnect(self, msg: Message) -> None:
        for w in [w for w in self.watchers if w.matches(msg.sender)]:
            w.finish()

    def stats_get(self, msg: Message) -> None:
        namespaces: Dict[str, Dict[str, int]] = {}
        for w in self.watchers:
            entry = namespaces.setdefault(w.ns, {"owner": self.broker.core.owner, "watchers": 0})
            entry["watchers"] += 1
        self.respond_json(msg, {"watchers": len(self.watchers), "namespace-count": len(namespaces),
                                "namespaces": namespaces})
