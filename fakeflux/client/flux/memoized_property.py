"""``memoized_property``: a property computed on first access, then stored as ``_<name>``."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

__all__ = ["memoized_property"]


def memoized_property(fget: Callable[[Any], Any]) -> property:
    """Like ``property``, but the getter runs once; its result is kept in ``self._<name>``."""
    attr_name = f"_{fget.__name__}"

    @wraps(fget)
    def getter(self: Any) -> Any:
        if not hasattr(self, attr_name):
            setattr(self, attr_name, fget(self))
        return getattr(self, attr_name)

    return property(getter)
