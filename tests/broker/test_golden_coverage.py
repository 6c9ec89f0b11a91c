"""Every row of golden.json is either reproduced by a broker test (named
there through ``golden(...)`` or a parametrised case string) or listed here
as a fact of the client library or the environment, with the reason."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Set

from tests.broker.golden import all_cases

# Rows about the Python bindings or the process environment: nothing of
# them reaches the broker's socket (see tests/client for the Python API).
NOT_BROKER = {
    "env.FLUX_URI": "the environment flux start gives its program (fakeflux.Instance.uri)",
    "env.subset": "the environment flux start gives its program",
    "repr(flux.Flux())": "Python object repr",
    "type(h.get_rank())": "Python type of a client-side conversion",
    "attr_set(1,'x') non-str name": "ValueError raised by the bindings before any traffic",
    "attr_set('a',1) non-str value": "ValueError raised by the bindings before any traffic",
    "constants": "values of the bindings' constants",
    "event_subscribe(None)": "EINVAL raised by the bindings before any traffic",
    "flux.Flux('local:///nonexistent/sock')": "connect() fails in the client: no broker involved",
    "flux.Flux('bogus://x')": "unknown connector scheme, refused by the client",
    "h.rpc(None)": "EINVAL raised by the bindings before any traffic",
    "h.rpc(5)": "TypeError raised by the bindings before any traffic",
    "h.rpc('broker.ping', nodeid=-1)": "OverflowError in the bindings before any traffic",
    "flux.Flux().close()": "RuntimeError of the bindings",
}


def strings_in_tests() -> Set[str]:
    found: Set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_golden_row_is_accounted_for() -> None:
    used = strings_in_tests()
    missing = [case for case in all_cases() if case not in used and case not in NOT_BROKER]
    assert missing == []


def test_not_broker_rows_exist_and_are_not_tested_twice() -> None:
    cases = set(all_cases())
    assert set(NOT_BROKER) <= cases
    assert not set(NOT_BROKER) & strings_in_tests()
