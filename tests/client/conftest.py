"""Fixtures for the ``flux`` client package tests: real fake instances, real sockets.

The package lives in ``fakeflux/client/flux`` and is imported as ``flux``,
the way applications import it (``PYTHONPATH=$(fakeflux pythonpath)``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Iterator, List

import pytest

import fakeflux


def client_path() -> str:
    """The folder that holds the ``flux`` package (what ``fakeflux pythonpath`` prints)."""
    return os.path.join(os.path.dirname(os.path.abspath(fakeflux.__file__)), "client")


if client_path() not in sys.path:
    sys.path.insert(0, client_path())

import flux  # type: ignore[import-not-found]  # noqa: E402


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test (dates print as recorded), then as before."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture(scope="module")
def shared_instance() -> Iterator[fakeflux.Instance]:
    """One 4-rank instance for a whole test module (tests must not depend on each other)."""
    with fakeflux.Instance(size=4) as inst:
        yield inst


@pytest.fixture
def uri(shared_instance: fakeflux.Instance) -> str:
    return shared_instance.uri(0)


@pytest.fixture
def open_handle(shared_instance: fakeflux.Instance) -> Iterator[Callable[..., Any]]:
    """``open_handle(rank=0)``: a ``flux.Flux`` on a rank of the shared instance."""
    handles: List[Any] = []

    def make(rank: int = 0) -> Any:
        h = flux.Flux(shared_instance.uri(rank))
        handles.append(h)
        return h

    yield make
    for h in handles:
        h.__exit__(None, None, None)


@pytest.fixture
def h(open_handle: Callable[..., Any]) -> Any:
    """A handle on rank 0 of the shared instance."""
    return open_handle(0)
