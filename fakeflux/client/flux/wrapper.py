"""Errors of flux-core's dynamic libflux lookup (``flux.wrapper``)."""

from __future__ import annotations

from typing import Any, Tuple


class MissingFunctionError(Exception):
    """A handle method resolved by name that this package does not provide."""

    def __init__(self, name: str, arguments: Tuple[Any, ...] = ()) -> None:
        self.name = name
        bare = name[5:] if name.startswith("flux_") else name
        super().__init__(
            f"A non-existent or unavailable function invocation has been detected.\n"
            f"Name called: {name}\n"
            f"Possible C names: ['flux_{bare}', 'FLUX_{bare}']\n"
            f"Arguments: {arguments!r}"
        )
