"""The pytest hooks and fixtures of fakeflux (entry point ``pytest11``)."""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Dict, Iterator, List, Optional

import pytest

from fakeflux import Instance
from fakeflux.cli import client_path
from fakeflux.fluxcmd import path_settings
from fakeflux.scenarios import ScenarioError, ScenarioRun
from fakeflux.scenarios import load as load_scenario

from . import options
from .diagram import render_html
from .factories import InstanceFactory

# How much of a trace a failure report shows; --flux-trace-dir gets all of it.
REPORT_LINES = 60

_USED = pytest.StashKey[List[Instance]]()
_CLIENT = pytest.StashKey[str]()
_SCENARIO = pytest.StashKey[ScenarioRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "flux_instance(size=4, attrs=None, config=None, scenario=None, exec=None): how the flux_instance fixture "
        "starts its instance (scenario: a scenario file, relative to the test file, to run in it; exec: "
        "'simulated' runs jobs as flux-core's test executor instead of as real processes)",
    )
    options.flux_size(config)  # a bad setting is a usage error now, not in every test
    choice = options.python_client(config)
    config.stash[_CLIENT] = choice
    path = client_path()
    if choice == "compat" and path not in sys.path:
        if config.getoption("--flux-python-client") == "compat" or config.getini("flux_python_client") == "compat":
            sys.path.insert(0, path)  # asked for by name: it wins over anything else
        else:
            sys.path.append(path)  # auto: only where no other `flux` package exists


class _Environment:
    """FLUX_URI (and PYTHONPATH for the compatible client) while a test runs."""

    def __init__(self, uri: str, client: str) -> None:
        names = ("FLUX_URI", "PYTHONPATH", "PATH", "FAKEFLUX_PYTHON")
        self.saved: Dict[str, Any] = {name: os.environ.get(name) for name in names}
        os.environ["FLUX_URI"] = uri
        if client == "compat":
            parts = [client_path()] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            os.environ["PYTHONPATH"] = os.pathsep.join(parts)
            os.environ.update(path_settings(os.environ))  # fakeflux's `flux` command for subprocesses

    def restore(self) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _remember(request: pytest.FixtureRequest, inst: Instance) -> None:
    request.node.stash.setdefault(_USED, []).append(inst)


class _RecordingFactory(InstanceFactory):
    def __init__(self, request: pytest.FixtureRequest, base: str, default_size: int) -> None:
        super().__init__(base, default_size=default_size)
        self.request = request

    def __call__(self, *args: Any, **kwargs: Any) -> Instance:
        inst = super().__call__(*args, **kwargs)
        _remember(self.request, inst)
        return inst


@pytest.fixture
def flux_instance_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InstanceFactory]:
    """Call it to start instances (arguments as ``fakeflux.Instance``); all
    are stopped when the test ends.  For other scopes see ``flux_instance_fixture``."""
    factory = _RecordingFactory(
        request, str(tmp_path_factory.getbasetemp()), default_size=options.flux_size(request.config)
    )
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def flux_instance(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """A started instance (4 ranks unless ``--flux-size`` or the ``flux_instance``
    marker says otherwise); ``FLUX_URI`` points at its rank 0 during the test."""
    marker = request.node.get_closest_marker("flux_instance")
    kwargs: Dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        raise pytest.UsageError(
            "@pytest.mark.flux_instance takes keyword arguments only (size=, attrs=, config=, exec=)")
    factory = _RecordingFactory(
        request, str(tmp_path_factory.getbasetemp()), default_size=options.flux_size(request.config)
    )
    run = _scenario_run(request, kwargs.pop("scenario", None))
    if run is not None:
        kwargs = {**run.instance_kwargs(), **kwargs}
    try:
        inst = factory(**kwargs)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"@pytest.mark.flux_instance: {exc}") from None
    if run is not None:
        try:
            run.attach(inst)
        except BaseException:
            factory.stop_all()
            raise
        request.node.stash[_SCENARIO] = run
    env = _Environment(inst.uri(0), request.config.stash[_CLIENT])
    report = None
    try:
        yield inst
    finally:
        env.restore()
        try:
            if run is not None and not run.checked:
                result = run.result()
                report = None if result.ok else result.report()
        finally:
            factory.stop_all()
    if report is not None:
        pytest.fail(report, pytrace=False)


def _scenario_run(request: pytest.FixtureRequest, path: Any) -> Optional[ScenarioRun]:
    """The run of the marker's ``scenario=`` (relative to the test file's folder), or None."""
    if path is None:
        return None
    full = os.path.join(os.path.dirname(str(request.node.path)), os.fspath(path))
    try:
        return ScenarioRun(load_scenario(full))
    except ScenarioError as exc:
        pytest.fail(f"@pytest.mark.flux_instance(scenario=...): {exc}", pytrace=False)


@pytest.fixture
def flux_scenario(request: pytest.FixtureRequest, flux_instance: Instance) -> ScenarioRun:
    """The running scenario of ``@pytest.mark.flux_instance(scenario="path.yaml")``:
    ``.instance``, ``.result()`` (expectations checked so far), ``.check()``
    (AssertionError with the report if one failed).  Unless the test called
    ``check()``, the expectations are checked when the test ends."""
    run = request.node.stash.get(_SCENARIO, None)
    if run is None:
        raise pytest.UsageError('flux_scenario needs @pytest.mark.flux_instance(scenario="path.yaml")')
    return run


@pytest.fixture
def flux_handle(flux_instance: Instance) -> Iterator[Any]:
    """``flux.Flux()`` on rank 0 of ``flux_instance``."""
    import flux  # type: ignore[import-not-found]  # the package chosen by --flux-python-client

    handle = flux.Flux(flux_instance.uri(0))
    try:
        yield handle
    finally:
        exit_handle = getattr(handle, "__exit__", None)
        if exit_handle is not None:
            exit_handle(None, None, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    instances = item.stash.get(_USED, [])
    if not report.failed or not instances:
        return
    folder = options.trace_dir(item.config)
    for number, inst in enumerate(instances):
        title = f"fakeflux trace: instance {number} (size {inst.size})"
        report.sections.append((title, inst.format_trace(last=REPORT_LINES)))
        if folder:
            os.makedirs(folder, exist_ok=True)
            base = os.path.join(folder, f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.nodeid)}.{report.when}.{number}")
            with open(base + ".txt", "w") as f:
                f.write(inst.format_trace() + "\n")
            with open(base + ".html", "w") as f:
                f.write(render_html(inst.trace_records(), f"{item.nodeid}: {title}", inst.trace_start))
