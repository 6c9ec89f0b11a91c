"""Fixtures shared by the job tests: a 4-rank instance whose jobs are
simulated (two cores a rank), and a raw client on its rank 0. A module that
needs another instance defines its own ``inst``."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

import fakeflux
from tests.rawclient import RawClient

SIMULATED_CONF: Dict[str, Any] = {"fakeflux": {"cores-per-rank": 2, "exec": "simulated"}}


@pytest.fixture
def inst() -> Iterator[fakeflux.Instance]:
    with fakeflux.Instance(size=4, config=SIMULATED_CONF) as i:
        yield i


@pytest.fixture
def client(inst: fakeflux.Instance) -> Iterator[RawClient]:
    with RawClient(inst.uri(0)) as c:
        yield c
