"""Helpers shared by the handle, messages and futures (flux-core's ``flux.util`` subset)."""

from __future__ import annotations

import errno
import json
from typing import Any, Dict, Mapping, Optional, Union

__all__ = [
    "encode_payload",
    "encode_topic",
    "get_treedict",
    "set_treedict",
    "del_treedict",
]


def encode_payload(payload: Any) -> Optional[bytes]:
    """Payload as libflux receives it: None stays None (no payload frame),
    str is UTF-8 encoded unchanged, bytes pass through, anything else is
    ``json.dumps(payload, ensure_ascii=False)`` (TypeError if unserialisable)."""
    if payload is None:
        return None
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogateescape")


def encode_topic(topic: Any) -> bytes:
    """Topic as UTF-8 bytes: None raises OSError(EINVAL), non-str/bytes TypeError."""
    if topic is None:
        raise OSError(errno.EINVAL, "Topic must not be None/NULL")
    if isinstance(topic, str):
        return topic.encode("utf-8")
    if isinstance(topic, bytes):
        return topic
    raise TypeError(errno.EINVAL, f"Topic must be a string, not {type(topic)}")


def topic_str(topic: Any) -> str:
    """A validated topic (see :func:`encode_topic`) as the str the codec carries."""
    if isinstance(topic, str):
        return topic
    return encode_topic(topic).decode("utf-8", "surrogateescape")


def payload_bytes(payload: Any) -> Optional[bytes]:
    """A payload as it travels in a frame: :func:`encode_payload` plus the C NUL.

    libflux sends payloads as C strings, so the text ends at its first NUL.
    """
    data = encode_payload(payload)
    if data is None:
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        data = data[:nul]
    return data + b"\x00"


def get_treedict(in_dict: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``d["a"]["b"]["c"]`` for ``key="a.b.c"``, or ``default`` when a level is missing."""
    node: Any = in_dict
    parts = key.split(".")
    for part in parts[:-1]:
        try:
            node = node[part]
        except (KeyError, TypeError):
            return default
    try:
        return node.get(parts[-1], default)
    except AttributeError:
        return default


def set_treedict(in_dict: Dict[str, Any], key: str, val: Any) -> None:
    """Set ``d["a"]["b"]["c"] = val`` for ``key="a.b.c"``, creating levels as needed."""
    node = in_dict
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = val


def del_treedict(in_dict: Dict[str, Any], key: str) -> None:
    """Delete ``d["a"]["b"]["c"]`` for ``key="a.b.c"`` (KeyError if missing)."""
    node: Union[Dict[str, Any], Any] = in_dict
    parts = key.split(".")
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]
