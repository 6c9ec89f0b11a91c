"""The plugin's fixtures, as its users meet them."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from fakeflux_pytest import InstanceFactory

from fakeflux import Instance


def test_flux_instance_defaults_to_four_ranks_and_sets_flux_uri(flux_instance: Instance) -> None:
    assert flux_instance.size == 4
    assert os.environ["FLUX_URI"] == flux_instance.uri(0)
    assert os.path.exists(flux_instance.uri(3)[len("local://") :])


@pytest.mark.flux_instance(size=2, attrs={"test.marker": "yes"}, config={"a": {"b": 1}})
def test_marker_sets_size_attrs_and_config(flux_handle: Any) -> None:
    assert flux_handle.attr_get("size") == "2"
    assert flux_handle.attr_get("test.marker") == "yes"
    assert flux_handle.conf_get("a.b") == 1


def test_subprocess_inherits_flux_uri_and_can_import_flux(flux_instance: Instance) -> None:
    code = "import flux; h = flux.Flux(); print(h.get_rank(), h.attr_get('size'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "4"]


def test_factory_makes_many_instances(flux_instance_factory: InstanceFactory) -> None:
    small = flux_instance_factory(size=1)
    big = flux_instance_factory(size=16, attrs={"tbon.topo": "kary:2"})
    assert small.uri(0) != big.uri(0)
    assert small.rundir != big.rundir
    assert os.path.exists(big.uri(15)[len("local://") :])


def test_module_scoped_fixture_is_shared_and_flux_uri_restored(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import os
        from fakeflux_pytest import flux_instance_fixture

        cluster = flux_instance_fixture(scope="module", size=3)
        seen = []

        def test_first(cluster, flux_instance):
            assert cluster.size == 3
            assert os.environ["FLUX_URI"] == flux_instance.uri(0)
            seen.append(cluster.rundir)

        def test_second(cluster):
            assert cluster.rundir == seen[0]
            assert os.environ.get("FLUX_URI") == "before"
        """
    )
    monkeypatch.setenv("FLUX_URI", "before")  # the inner run must find it again after test_first
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)
