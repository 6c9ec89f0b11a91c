"""``memoized_property``: a read-only property whose getter runs once per object.

The value is kept on the object as ``_<name>`` (code elsewhere may read or
preset that attribute, as flux-core's may).
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any, Callable

__all__ = ["memoized_property"]


def memoized_property(fget: Callable[[Any], Any]) -> property:
    """Decorate a getter: the first access computes and stores, later ones read back."""
    store = "_" + fget.__name__

    def first_or_stored(obj: Any) -> Any:
        try:
            return getattr(obj, store)
        except AttributeError:  # not computed yet
            value = fget(obj)
            setattr(obj, store, value)
            return value

    return property(update_wrapper(first_or_stored, fget))
