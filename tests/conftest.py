"""Shared test configuration: hypothesis profiles.

``HYPOTHESIS_PROFILE`` selects one: ``ci`` (the default: derandomized, a
modest number of examples, so a run takes seconds and is reproducible) or
``fuzz`` (many random examples, for hunting bugs by hand).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # Failures found are saved here and replayed first by the next run (with
    # HYPOTHESIS_PROFILE=fuzz); print_blob also prints a @reproduce_failure line.
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- fake instances ------------------------------------------------------------------
from typing import Callable, Iterator, List  # noqa: E402

import pytest  # noqa: E402

import fakeflux  # noqa: E402
from tests.rawclient import RawClient  # noqa: E402


@pytest.fixture
def instance() -> Iterator[fakeflux.Instance]:
    """A started 4-rank fake instance, stopped after the test."""
    with fakeflux.Instance(size=4) as inst:
        yield inst


@pytest.fixture
def connect(instance: fakeflux.Instance) -> Iterator[Callable[..., RawClient]]:
    """``connect(rank=0)``: a raw client on a rank of ``instance``."""
    clients: List[RawClient] = []

    def make(rank: int = 0) -> RawClient:
        client = RawClient(instance.uri(rank))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
