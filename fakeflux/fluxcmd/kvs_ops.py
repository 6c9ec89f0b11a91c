"""The KVS requests ``flux kvs`` makes (flux-core's libkvs, over fakeflux's ``flux`` handle):
lookups returning RFC 11 tree objects and commits of staged operations."""

from __future__ import annotations

import base64
import binascii
import errno
import os
from typing import Any, Dict, List, Optional

from flux import constants as C  # type: ignore[import-not-found,unused-ignore]

STREAM_FLAGS = C.FLUX_KVS_WATCH | C.FLUX_KVS_WAITCREATE | C.FLUX_KVS_STREAM


def namespace(ns: Optional[str]) -> str:
    return ns if ns is not None else (os.environ.get("FLUX_KVS_NAMESPACE") or "primary")


def lookup_send(h: Any, ns: Optional[str], flags: int, key: str, at: Optional[str] = None) -> Any:
    payload: Dict[str, Any] = {"key": key, "namespace": namespace(ns), "flags": flags}
    if at is not None:
        import json

        try:
            payload["rootdir"] = json.loads(at)
        except ValueError:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL)) from None
        del payload["namespace"]
    topic = "kvs-watch.lookup" if flags & STREAM_FLAGS else "kvs.lookup"
    rpc_flags = C.FLUX_RPC_STREAMING if flags & (C.FLUX_KVS_WATCH | C.FLUX_KVS_STREAM) else 0
    return h.rpc(topic, payload, flags=rpc_flags)


def treeobj(future: Any) -> Dict[str, Any]:
    """The tree object of a lookup response (raises OSError as the request failed)."""
    val = future.get()["val"]
    if not isinstance(val, dict) or "type" not in val:
        raise OSError(errno.EPROTO, os.strerror(errno.EPROTO))
    return val


def lookup(h: Any, ns: Optional[str], flags: int, key: str, at: Optional[str] = None) -> Dict[str, Any]:
    return treeobj(lookup_send(h, ns, flags, key, at))


def val_bytes(obj: Dict[str, Any]) -> bytes:
    """A ``val`` object's data; EISDIR for a directory, EINVAL otherwise."""
    kind = obj.get("type")
    if kind in ("dir", "dirref"):
        raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
    if kind != "val":
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
    try:
        return base64.b64decode(obj["data"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise OSError(errno.EPROTO, os.strerror(errno.EPROTO)) from None


def val_string(obj: Dict[str, Any]) -> Optional[str]:
    """flux_kvs_lookup_get: the value as a C string (None for an empty value): libkvs
    terminates it, so text stored without a NUL reads back whole and one with a NUL
    reads up to it."""
    data = val_bytes(obj)
    if not data:
        return None
    return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def is_dir(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") in ("dir", "dirref")


def key_at(directory: str, name: str) -> str:
    if directory == ".":
        return name
    return directory + name if directory.endswith(".") else f"{directory}.{name}"


def entries(obj: Dict[str, Any]) -> List[str]:
    """A dir object's names in libkvs's iteration order (sorted by bytes)."""
    data = obj.get("data")
    if obj.get("type") != "dir" or not isinstance(data, dict):
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    return sorted(data, key=lambda k: k.encode("utf-8", "surrogateescape"))


class Txn:
    """flux_kvs_txn_t: staged operations committed together."""

    def __init__(self) -> None:
        self.ops: List[Dict[str, Any]] = []

    def put(self, key: str, data: bytes, flags: int = 0) -> None:
        self.ops.append({"key": key, "flags": flags, "dirent": val_dirent(data)})

    def put_treeobj(self, key: str, obj: Dict[str, Any]) -> None:
        self.ops.append({"key": key, "flags": 0, "dirent": obj})

    def mkdir(self, key: str) -> None:
        self.ops.append({"key": key, "flags": 0, "dirent": {"ver": 1, "type": "dir", "data": {}}})

    def unlink(self, key: str) -> None:
        self.ops.append({"key": key, "flags": 0, "dirent": None})

    def symlink(self, key: str, ns: Optional[str], target: str) -> None:
        data: Dict[str, Any] = {"target": target} if ns is None else {"namespace": ns, "target": target}
        self.ops.append({"key": key, "flags": 0, "dirent": {"ver": 1, "type": "symlink", "data": data}})

    def commit(self, h: Any, ns: Optional[str], flags: int = 0) -> Dict[str, Any]:
        result = h.rpc("kvs.commit", {"namespace": namespace(ns), "flags": flags, "ops": self.ops}).get()
        return result if isinstance(result, dict) else {}


def val_dirent(data: bytes) -> Dict[str, Any]:
    return {"ver": 1, "type": "val", "data": base64.b64encode(data).decode("ascii")}
