"""Scenarios: YAML files (or their msgpack form) that script a fake
instance, its services, events and faults, and what must be seen.

``load(path)`` reads and checks one (:class:`ScenarioError` says file, line
and what was expected); :class:`ScenarioRun` runs it; ``fakeflux replay`` and
``fakeflux record`` are the command-line side.  See ``scenarios/README.md``.
"""

from fakeflux.scenarios.engine import Result, ScenarioRun
from fakeflux.scenarios.model import Scenario
from fakeflux.scenarios.schema import load, loads
from fakeflux.scenarios.tree import ScenarioError

__all__ = ["Result", "Scenario", "ScenarioError", "ScenarioRun", "load", "loads"]
