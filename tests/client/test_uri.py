"""flux.uri: URI parsing and conversion, and FluxURIResolver against a fakeflux instance."""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys

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


def test_resolve_against_an_instance(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_URI", uri)
    resolver = uri_mod.FluxURIResolver()
    assert str(resolver.resolve("jobid:")) == uri  # no job: the enclosing instance
    # a process started with FLUX_URI in its environment
    proc = subprocess.Popen(["sleep", "30"], env={**os.environ, "FLUX_URI": uri})
    try:
        assert str(resolver.resolve(f"pid:{proc.pid}")) == uri
        assert resolver.resolve(f"pid:{proc.pid}?remote").uri.startswith("ssh://")
    finally:
        proc.kill()
        proc.wait()
    sleeper = subprocess.Popen(["sleep", "30"], env={k: v for k, v in os.environ.items() if k != "FLUX_URI"})
    try:
        with pytest.raises(ValueError, match=f"^PID {sleeper.pid} doesn't seem to have a FLUX_URI$"):
            resolver.resolve(f"pid:{sleeper.pid}")
    finally:
        sleeper.kill()
        sleeper.wait()
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
            "sh",
            "-c",
            'echo "$FLUX_URI"; exec sleep 30',
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
