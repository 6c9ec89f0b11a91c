"""``fakeflux start`` and friends, run as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import List

import pytest

from fakeflux.cli import client_path
from tests.rawclient import RawClient

FAKEFLUX = [sys.executable, "-m", "fakeflux"]


def run(args: List[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(FAKEFLUX + args, capture_output=True, text=True, timeout=60, **kw)  # type: ignore[call-overload]


def child(code: str) -> List[str]:
    return ["--", sys.executable, "-c", textwrap.dedent(code)]


def test_command_gets_flux_uri_and_its_exit_status_is_ours(tmp_path: Path) -> None:
    out = tmp_path / "uri"
    result = run(
        ["start", "--size", "3"]
        + child(f"""
        import os, sys
        open({str(out)!r}, "w").write(os.environ["FLUX_URI"])
        sys.exit(3)
    """)
    )
    assert result.returncode == 3, result.stderr
    uri = out.read_text()
    assert uri.startswith("local:///") and uri.endswith("/local-0")
    assert not os.path.exists(os.path.dirname(uri[len("local://") :]))  # rundir removed


def test_command_sees_attributes_config_and_the_compatible_client(tmp_path: Path) -> None:
    conf = tmp_path / "conf.toml"
    conf.write_text("[resource]\nnoverify = true\n\n[access]\nallow-guest-user = false\n")
    result = run(
        ["start", "-s", "8", "-S", "tbon.topo=kary:2", "-S", "test.x=hello", "--config-path", str(conf)]
        + child("""
        import flux
        h = flux.Flux()
        print(h.attr_get("tbon.topo"), h.attr_get("test.x"), h.attr_get("size"))
        print(h.rpc("attr.get", {"name": "tbon.level"}, nodeid=7).get()["value"])
        print(h.conf_get("resource.noverify"), h.attr_get("config.path"))
    """)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "kary:2 hello 8"
    assert lines[1] == "3"  # in a binary tree rank 7 hangs below 3, below 1, below 0
    assert lines[2] == f"True {conf}"


def test_child_killed_by_a_signal_reports_128_plus_n() -> None:
    result = run(["start"] + child("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    assert result.returncode == 128 + signal.SIGKILL


def test_missing_command_is_127() -> None:
    result = run(["start", "--", "/nonexistent/program"])
    assert result.returncode == 127
    assert "/nonexistent/program" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["start", "--size", "0"], "invalid size 0"),
        (["start", "--size", "four"], "invalid size 'four'"),
        (["start", "-S", "nosuch=1"], "nosuch: unknown attribute"),
        (["start", "-S", "rank=5"], "rank: attribute may not be set on the command line"),
        (["start", "-S", "novalue"], "expected NAME=VALUE"),
        (["start", "-S", "tbon.topo=star"], "tbon.topo 'star' is not supported"),
        (["start", "--config-path", "/nonexistent/conf.toml"], "/nonexistent/conf.toml: No such file"),
        (["start", "--size", "4", "--sockets", "1,2"], "--sockets must include rank 0"),
        (["start", "--size", "4", "--sockets", "0,9"], "--sockets: rank 9 is outside an instance of size 4"),
        (["start", "--sockets", "0,a-b"], "invalid rank list '0,a-b'"),
        (["bogus"], "invalid choice: 'bogus'"),
        ([], "required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: List[str], message: str) -> None:
    result = run(args + ["--", "true"] if args[:1] == ["start"] else args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_toml_names_file_and_line(tmp_path: Path) -> None:
    conf = tmp_path / "bad.toml"
    conf.write_text("[access]\nallow-guest-user = \n")
    result = run(["start", "--config-path", str(conf), "--", "true"])
    assert result.returncode == 2
    assert str(conf) in result.stderr and "line 2" in result.stderr


def test_serve_mode_prints_uri_then_stops_cleanly_on_sigterm() -> None:
    proc = subprocess.Popen(FAKEFLUX + ["start", "--size", "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("FLUX_URI=local://")
        uri = line.split("=", 1)[1]
        rundir = os.path.dirname(uri[len("local://") :])
        assert os.stat(rundir).st_mode & 0o777 == 0o700
        with RawClient(uri.replace("local-0", "local-1")) as client:
            assert client.rpc_json("attr.get", {"name": "local-uri"})["value"] == uri.replace("local-0", "local-1")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not os.path.exists(rundir)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_given_rundir_is_used_and_kept(tmp_path: Path) -> None:
    rundir = tmp_path / "rd"
    rundir.mkdir()
    result = run(["start", "--rundir", str(rundir)] + child("import os; print(os.environ['FLUX_URI'])"))
    assert result.stdout.strip() == f"local://{rundir}/local-0"
    assert rundir.exists() and not (rundir / "local-0").exists()


def test_sockets_only_for_the_ranks_asked_for() -> None:
    result = run(
        ["start", "--size", "64", "--sockets", "0,60-61"]
        + child("""
        import os
        rundir = os.path.dirname(os.environ["FLUX_URI"][len("local://"):])
        print(sorted(os.listdir(rundir)))
    """)
    )
    assert result.returncode == 0, result.stderr
    assert "'local-0', 'local-60', 'local-61'" in result.stdout and "local-1'" not in result.stdout


def test_pythonpath_names_the_compatible_package() -> None:
    result = run(["pythonpath"])
    assert result.returncode == 0
    entries = result.stdout.strip().split(os.pathsep)
    assert entries[0] == client_path()
    assert os.path.exists(os.path.join(entries[0], "flux", "__init__.py"))
    assert os.path.exists(os.path.join(entries[1], "fakeflux", "wire", "codec.py"))


def test_pythonpath_works_for_an_interpreter_without_fakeflux(tmp_path: Path) -> None:
    # A bare interpreter (-S: no site-packages, so no fakeflux) finds both
    # the flux package and the codec it needs through PYTHONPATH alone.
    path = run(["pythonpath"]).stdout.strip()
    code = "import flux.core.handle, fakeflux.wire; print(flux.core.handle.Flux.__module__)"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env={"PYTHONPATH": path}, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "flux.core.handle"


def test_python_client_real_without_flux_core_fails_to_import() -> None:
    # No flux-core here: with --python-client real, `import flux` finds nothing.
    result = run(["start", "--python-client", "real"] + child("import flux"))
    assert result.returncode == 1
    assert "No module named 'flux'" in result.stderr


def test_sigterm_in_command_mode_reaches_the_command_and_cleans_up(tmp_path: Path) -> None:
    marker = tmp_path / "uri"
    code = f"import os, time; open({str(marker)!r}, 'w').write(os.environ['FLUX_URI']); time.sleep(60)"
    proc = subprocess.Popen(FAKEFLUX + ["start", "--", sys.executable, "-c", code])
    try:
        for _ in range(200):
            if marker.exists() and marker.read_text():
                break

            time.sleep(0.05)
        rundir = os.path.dirname(marker.read_text()[len("local://") :])
        assert os.path.isdir(rundir)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
        assert not os.path.exists(rundir)
    finally:
        proc.kill()
        proc.wait()


def test_demo_runs_jobs_and_the_flux_command(tmp_path: Path) -> None:
    """What `make demo` shows: the example client's sections, jobs really run, `flux jobs` lists them."""
    result = run(["demo"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for section in ("attributes", "pings", "events", "services", "jobs", "the flux command"):
        assert f"\n{section}\n" in f"\n{out}"
    assert "task 0 of 2 on local://" in out and "task 1 of 2 on local://" in out
    assert "job running `false`: task(s) exited with exit code 1" in out
    assert " COMPLETED      2 sh" in out and "    FAILED      1 false" in out
