"""``@pytest.mark.flux_instance(scenario=...)`` and the ``flux_scenario`` fixture, through pytester."""

from __future__ import annotations

import pytest

SCENARIO = """\
version: 1
instance: {size: 2}
services:
  jobs:
    - match: {topic: jobs.list}
      respond: {jobs: [1, 2]}
expect:
  - seen: {type: request, topic: jobs.list}
    count: 1
"""

TESTS = """\
import pytest

@pytest.mark.flux_instance(scenario="s.yaml")
def test_meets_it(flux_scenario, flux_handle, flux_instance):
    assert flux_scenario.instance is flux_instance
    assert flux_instance.size == 2
    assert flux_handle.rpc("jobs.list", {}).get() == {"jobs": [1, 2]}
    assert flux_scenario.check().ok

@pytest.mark.flux_instance(scenario="s.yaml")
def test_misses_it_and_teardown_says_so(flux_handle):
    flux_handle.rpc("jobs.list", {}).get()
    flux_handle.rpc("jobs.list", {}).get()

@pytest.mark.flux_instance(scenario="s.yaml", size=3)
def test_marker_overrides(flux_scenario, flux_instance):
    assert flux_instance.size == 3
    with pytest.raises(AssertionError) as exc:
        flux_scenario.check()
    assert "expected: exactly 1 matching message(s)" in str(exc.value)

@pytest.mark.flux_instance(scenario="missing.yaml")
def test_missing_scenario(flux_instance):
    pass

def test_fixture_needs_the_marker(flux_scenario):
    pass
"""


def test_scenario_marker_and_fixture(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", s=SCENARIO)
    pytester.makepyfile(test_it=TESTS)
    result = pytester.runpytest_subprocess("--flux-python-client", "compat", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=3)
    out = result.stdout.str()
    assert "ERROR at teardown of test_misses_it_and_teardown_says_so" in out
    assert "seen:     2 matching" in out
    assert "missing.yaml: cannot read the scenario: No such file or directory" in out
    assert 'flux_scenario needs @pytest.mark.flux_instance(scenario="path.yaml")' in out
