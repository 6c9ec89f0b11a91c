"""flux-core's ``flux.util``: payload/topic encoding, tree dicts, durations and datetimes,
and (loaded on first use) the output formatting, argparse and config helpers of its tools.

``import flux`` imports this module (messages need the encoders), so the
heavier parts live in private modules that are imported only when one of
their names is first looked up here.
"""

from __future__ import annotations

import errno
import functools
import importlib
import json
import math
import os
import re
import stat
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, TypeVar, Union

if TYPE_CHECKING:
    from datetime import datetime

    from ._cliutil import (
        CLIMain as CLIMain,
    )
    from ._cliutil import (
        ColorAction as ColorAction,
    )
    from ._cliutil import (
        FilterAction as FilterAction,
    )
    from ._cliutil import (
        FilterActionSetUpdate as FilterActionSetUpdate,
    )
    from ._cliutil import (
        FilterActionUser as FilterActionUser,
    )
    from ._cliutil import (
        FilterTrueAction as FilterTrueAction,
    )
    from ._cliutil import (
        TreedictAction as TreedictAction,
    )
    from ._cliutil import (
        YesNoAction as YesNoAction,
    )
    from ._cliutil import (
        help_formatter as help_formatter,
    )
    from ._outputformat import (
        AltField as AltField,
    )
    from ._outputformat import (
        Deduplicator as Deduplicator,
    )
    from ._outputformat import (
        DisplayValue as DisplayValue,
    )
    from ._outputformat import (
        OutputFormat as OutputFormat,
    )
    from ._outputformat import (
        UtilDatetime as UtilDatetime,
    )
    from ._outputformat import (
        UtilFormatter as UtilFormatter,
    )
    from ._outputformat import (
        empty_outputs as empty_outputs,
    )
    from ._tree import Tree as Tree
    from ._utilconfig import UtilConfig as UtilConfig
    from ._utilconfig import dict_merge as dict_merge
    from ._utilconfig import xdg_searchpath as xdg_searchpath

__all__ = [
    "check_future_error",
    "encode_payload",
    "encode_topic",
    "CLIMain",
    "parse_fsd",
]

#: Names defined in the private modules, imported on first use (PEP 562).
_LAZY = {
    "_outputformat": (
        "AltField",
        "Deduplicator",
        "DisplayValue",
        "OutputFormat",
        "UtilDatetime",
        "UtilFormatter",
        "empty_outputs",
    ),
    "_cliutil": (
        "CLIMain",
        "ColorAction",
        "FilterAction",
        "FilterActionSetUpdate",
        "FilterActionUser",
        "FilterTrueAction",
        "TreedictAction",
        "YesNoAction",
        "help_formatter",
    ),
    "_tree": ("Tree",),
    "_utilconfig": ("UtilConfig", "dict_merge", "xdg_searchpath"),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY_NAMES))


_F = TypeVar("_F", bound=Callable[..., Any])


def check_future_error(func: _F) -> _F:
    """Decorator: an OSError from ``func`` gets the future's own error text when it has one."""

    @functools.wraps(func)
    def wrapper(calling_obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(calling_obj, *args, **kwargs)
        except OSError as error:
            future = calling_obj if hasattr(calling_obj, "error_string") else getattr(calling_obj, "handle", None)
            try:
                text = future.error_string() if future is not None else None
            except (OSError, AttributeError):
                raise error from None
            if text is None:
                raise error from None
            raise OSError(error.errno, text) from None

    return wrapper  # type: ignore[return-value]


def interruptible(func: _F) -> _F:
    """Decorator for blocking Future methods: Ctrl-C interrupts them (main thread, outside a reactor)."""

    @functools.wraps(func)
    def wrapper(future: Any, *args: Any, **kwargs: Any) -> Any:
        import signal  # here: import flux should not pay for these
        import threading

        handle = future.get_flux()
        active = (
            threading.current_thread() is threading.main_thread()
            and handle is not None
            and not handle.reactor_running()
        )
        if active:
            previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            return func(future, *args, **kwargs)
        finally:
            if active:
                signal.signal(signal.SIGINT, previous)

    return wrapper  # type: ignore[return-value]


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
    """``d["a"]["b"]["c"]`` for ``key="a.b.c"``, or ``default`` when a key is missing.

    As in flux-core, a level that is not a mapping raises (AttributeError/TypeError).
    """
    node: Any = in_dict
    parts = key.split(".")
    for part in parts[:-1]:
        try:
            node = node[part]
        except KeyError:
            return default
    return node.get(parts[-1], default)


def set_treedict(in_dict: Dict[str, Any], key: str, val: Any) -> None:
    """Set ``d["a"]["b"]["c"] = val`` for ``key="a.b.c"``, creating levels as needed."""
    node = in_dict
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = val


def del_treedict(in_dict: Dict[str, Any], key: str, remove_empty: bool = False) -> None:
    """Delete ``d["a"]["b"]["c"]`` for ``key="a.b.c"`` (KeyError if missing).

    With ``remove_empty``, levels left empty by the deletion go too.
    """
    node: Union[Dict[str, Any], Any] = in_dict
    parts = key.split(".")
    path = []
    for part in parts[:-1]:
        path.append((node, part))
        node = node[part]
    del node[parts[-1]]
    if remove_empty:
        for parent, part in reversed(path):
            if parent[part]:
                break
            del parent[part]


def parse_fsd(fsd_string: str) -> float:
    """Seconds in a Flux Standard Duration (RFC 23): ``"1.5h"``, ``"30"``, ``"2ms"``, ``"inf"``.

    ValueError("invalid Flux standard duration") for anything else, or a
    negative, NaN or infinite value given with a unit.
    """
    if fsd_string in ("inf", "infinity", "INF", "INFINITY"):
        return float("inf")
    m = re.match(r"(.*?)(s|m|h|d|ms)$", fsd_string)
    try:
        value = float(m.group(1) if m else fsd_string)
    except (TypeError, ValueError):
        raise ValueError("invalid Flux standard duration") from None
    unit = m.group(2) if m else "s"
    if unit == "s":
        seconds = value
    else:
        # timedelta, as flux-core: rounds to microseconds and refuses inf/NaN/huge values
        from datetime import timedelta

        keyword = {"m": "minutes", "h": "hours", "d": "days", "ms": "milliseconds"}[unit]
        seconds = timedelta(**{keyword: value}).total_seconds()
    if seconds < 0 or math.isnan(seconds) or math.isinf(seconds):
        raise ValueError("invalid Flux standard duration")
    return seconds


def fsd(secs: float) -> str:
    """Seconds as a short Flux Standard Duration string (``"1.5m"``, ``"0s"``, ``"inf"``)."""
    if math.isinf(secs):
        return "inf"
    if secs < 1.0e-3:  # below a millisecond shows as zero
        return "0s"
    if secs < 10.0:
        return f"{secs:.03f}s"
    for limit, div, unit in ((60.0, 1.0, "s"), (3600.0, 60.0, "m"), (86400.0, 3600.0, "h")):
        if secs < limit:
            return f"{secs / div:.4g}{unit}"
    return f"{secs / 86400.0:.4g}d"


def parse_datetime(string: str, now: Optional[datetime] = None) -> datetime:
    """A datetime from ``now``, ``+FSD``/``-FSD`` (an offset from ``now``) or a date/time in words.

    ``now`` defaults to the current local time.  ValueError for anything
    unreadable (``Invalid datetime: "..."``, or the FSD error for a bad offset).
    """
    from datetime import datetime

    if now is None:
        now = datetime.now().astimezone()
    if string == "now":
        return now
    if string.startswith(("+", "-")):
        seconds = parse_fsd(string[1:])
        stamp = now.timestamp() + (seconds if string[0] == "+" else -seconds)
        return datetime.fromtimestamp(stamp).astimezone()
    from ._datetime import parse_natural

    return parse_natural(string, now).astimezone()


class Fileref(dict):
    """An RFC 37 file object: ``Fileref(data, perms=0o600, encoding=None)``.

    A dict ``data`` is stored as is; with ``encoding`` ("utf-8" or "base64")
    ``data`` is content already encoded; otherwise ``data`` is a path whose
    content is read (utf-8 if it decodes, else base64).
    """

    def __init__(self, data: Any, perms: int = 0o600, encoding: Optional[str] = None) -> None:
        ref: Dict[str, Any] = {"mode": perms | stat.S_IFREG}
        if isinstance(data, dict):
            ref["data"] = data
        elif encoding is not None:
            if encoding not in ("base64", "utf-8"):
                raise ValueError("invalid encoding: {encoding}")
            ref["data"] = data
            ref["encoding"] = encoding
        else:
            st = os.stat(data)
            ref["size"] = st.st_size
            ref["mode"] = st.st_mode
            with open(data, "rb") as infp:
                raw = infp.read()
            try:
                ref["data"] = raw.decode("utf-8")
                ref["encoding"] = "utf-8"
            except UnicodeError:
                import base64

                ref["data"] = base64.b64encode(raw).decode("utf-8")
                ref["encoding"] = "base64"
        super().__init__(**ref)
