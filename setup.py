"""Package discovery, which pyproject.toml alone cannot express here: the pytest
plugin lives in the folder pytest_plugin/ but installs under the import name
fakeflux_pytest, so it can never clash with another distribution's generic
``pytest_plugin`` module.  Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

setup(
    packages=find_namespace_packages(include=["fakeflux", "fakeflux.*"]) + ["fakeflux_pytest"],
    package_dir={"fakeflux_pytest": "pytest_plugin"},
)
