"""fakeflux's pytest plugin, installed as the import name ``fakeflux_pytest``
and loaded through the ``pytest11`` entry point (no conftest needed).

Fixtures: ``flux_instance``, ``flux_instance_factory``, ``flux_handle``,
``flux_scenario``; the marker ``@pytest.mark.flux_instance(size=..., attrs=...,
config=..., scenario="path.yaml")``; and
:func:`flux_instance_fixture` to make an instance fixture of any scope.
"""

from .factories import InstanceFactory, flux_instance_fixture

__all__ = ["InstanceFactory", "flux_instance_fixture"]
