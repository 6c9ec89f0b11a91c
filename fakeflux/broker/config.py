"""The instance configuration: TOML from a file or a directory of files, as
``flux start --config-path`` reads it."""

from __future__ import annotations

import datetime
import os
import sys
from typing import Any, Dict, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file."""


def _json_ready(value: Any) -> Any:
    """TOML dates and times as the strings flux-core's config holds them
    (``1979-05-27T07:32:00Z``); tables and arrays recursively."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def _load_file(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return _json_ready(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries the line and column.
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None


def load_path(path: str) -> Dict[str, Any]:
    """Parse ``path``: one TOML file, or every ``*.toml`` in a directory,
    merged at the top level (a table defined in two files is an error)."""
    if not os.path.isdir(path):
        return _load_file(path)
    merged: Dict[str, Any] = {}
    origin: Dict[str, str] = {}
    for entry in sorted(os.listdir(path)):
        if not entry.endswith(".toml"):
            continue
        fpath = os.path.join(path, entry)
        for key, value in _load_file(fpath).items():
            if key in merged:
                raise ConfigError(f"{fpath}: key '{key}' is already defined in {origin[key]}")
            merged[key] = value
            origin[key] = fpath
    return merged


class Config:
    """The config object every rank serves, and where it came from."""

    def __init__(self, data: Optional[Dict[str, Any]] = None, path: Optional[str] = None) -> None:
        self.path = path
        if path is not None and data is None:
            data = load_path(path)
        self.data: Dict[str, Any] = data or {}

    def reload(self) -> None:
        if self.path is not None:
            self.data = load_path(self.path)

    def lookup(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node
