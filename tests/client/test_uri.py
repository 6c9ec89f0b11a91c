"""flux.uri: URI parsing and conversion, and FluxURIResolver against a fakeflux instance."""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys
from typing import Dict

import pytest

from .conftest import flux

uri_mod = importlib.import_module("flux.uri")


def test_job_uri_conversions() -> None:
    remote = uri_mod.JobURI("ssh://foo.com/tmp/foo?tag=bar&x=y")
    assert (remote.remote, remote.local, remote.netloc, remote.path, remote.query) == (
        "ssh://foo.com/tmp/foo?tag=bar&x=y",
        "local:///tmp/foo",
        "foo.com",
        "/tmp/foo",
        "tag=bar&x=y",
    )
    assert remote.query_dict == {"tag": ["bar"], "x": ["y"]}
    local = uri_mod.JobURI("local:////tmp//foo")
    assert (local.path, local.remote) == ("/tmp/foo", f"ssh://{platform.uname()[1]}/tmp/foo")
    assert uri_mod.JobURI("local:///tmp/foo", remote_hostname="h").remote == "ssh://h/tmp/foo"
    with pytest.raises(ValueError, match="^Cannot convert JobURI with scheme foo to remote$"):
        _ = uri_mod.JobURI("foo:///x").remote
    with pytest.raises(ValueError, match="^JobURI '' does not have a valid scheme$"):
        uri_mod.JobURI("")


def test_resolver_uri_keeps_numeric_paths() -> None:
    uri = uri_mod.URIResolverURI("jobid:1234")
    assert (uri.scheme, uri.path) == ("jobid", "1234")


def test_resolver_plugins_and_errors() -> None:
    resolver = uri_mod.FluxURIResolver()
    assert resolver.plugins() == {
        "jobid": "Get URI for a given Flux JOBID",
        "pid": "Get FLUX_URI for a given local PID",
    }
    assert str(resolver.resolve("local:///tmp/x")) == "local:///tmp/x"
    with pytest.raises(NotImplementedError, match="^No plugin for URI scheme slurm$"):
        resolver.resolve("slurm:123")
    with pytest.raises(ValueError, match="^Only one of 'local' or 'remote' is allowed$"):
        resolver.resolve("pid:1?local&remote")


def _waiting_process(env: Dict[str, str]) -> subprocess.Popen[str]:
    """A process that has said it runs. Popen returns while the child's exec may still be
    under way, when its /proc/PID/environ can read empty (seen under load)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
                            env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "up\n"
    return proc


def _end(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_resolve_against_an_instance(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_URI", uri)
    resolver = uri_mod.FluxURIResolver()
    assert str(resolver.resolve("jobid:")) == uri  # no job: the enclosing instance
    # a process started with FLUX_URI in its environment
    proc = _waiting_process({**os.environ, "FLUX_URI": uri})
    try:
        assert str(resolver.resolve(f"pid:{proc.pid}")) == uri
        assert resolver.resolve(f"pid:{proc.pid}?remote").uri.startswith("ssh://")
    finally:
        _end(proc)
    sleeper = _waiting_process({k: v for k, v in os.environ.items() if k != "FLUX_URI"})
    try:
        with pytest.raises(ValueError, match=f"^PID {sleeper.pid} doesn't seem to have a FLUX_URI$"):
            resolver.resolve(f"pid:{sleeper.pid}")
    finally:
        _end(sleeper)
    with pytest.raises(ValueError, match="^notajob is not a valid Flux jobid$"):
        resolver.resolve("notajob")


def test_resolve_a_broker_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    """``flux uri pid:BROKER`` names the instance that broker runs (from its initial program,
    as flux-core reads a flux-broker's first child), here for a ``fakeflux start`` broker,
    whose own environment carries no FLUX_URI or the enclosing instance's. (Real flux-core
    0.88: ``flux uri pid:$(flux getattr broker.pid)`` in an instance prints its local-uri.)"""
    monkeypatch.delenv("FLUX_URI", raising=False)
    broker = subprocess.Popen(
        [
            sys.executable,
            os.path.join(os.path.dirname(sys.executable), "fakeflux"),
            "start",
            "--size",
            "1",
            "--",
            # one process that prints, then waits: a shell that exec'd after its echo would be
            # read mid-exec, when /proc/PID/environ can be briefly empty (seen under load)
            sys.executable,
            "-c",
            "import os, time; print(os.environ['FLUX_URI'], flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert broker.stdout is not None
        inner_uri = broker.stdout.readline().strip()
        assert inner_uri.startswith("local://")
        assert str(uri_mod.FluxURIResolver().resolve(f"pid:{broker.pid}")) == inner_uri
    finally:
        broker.terminate()  # forwarded to the initial program; the instance then stops
        broker.wait()
        if broker.stdout is not None:
            broker.stdout.close()


def test_resolve_jobs(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A running job without an instance of its own has no URI; as a real instance answers."""
    job = importlib.import_module("flux.job")
    monkeypatch.setenv("FLUX_URI", uri)
    handle = flux.Flux(uri)
    jobid = job.submit(handle, job.JobspecV1.from_command(["sleep", "30"]))
    try:
        job.event_wait(handle, jobid, "start")
        resolver = uri_mod.FluxURIResolver()
        with pytest.raises(ValueError, match=f"^URI not found for job {job.JobID(jobid).f58}$"):
            resolver.resolve(job.JobID(jobid).f58)
        with pytest.raises(ValueError, match="^jobid f123456789 not found$"):
            resolver.resolve("jobid:f123456789")
    finally:
        job.cancel(handle, jobid)
