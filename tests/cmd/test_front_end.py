"""The front end as users meet it: on PATH where fakeflux's package is chosen (fakeflux
start, the plugin, ``fakeflux env``) and nowhere else; ``flux start`` with and without an
instance around; ``flux exec``; the shell workflow example.  flux exec expectations were
recorded from flux-core v0.88.0-59 (``flux start --test-size=4``)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from fakeflux.cli import client_path
from fakeflux.fluxcmd import bin_dir

from .fluxrun import FLUX, flux, flux_env, shell

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = "import os, flux; h = flux.Flux(); print('size', h.attr_get('size'), os.environ['FLUX_URI'])\n"


def test_workflow_example() -> None:
    result = shell(f"sh {ROOT}/examples/workflow.sh")
    assert (result.returncode, result.stdout, result.stderr) == (0, "sum=385\n", "")


def test_flux_start_without_an_instance(tmp_path: Any) -> None:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [FLUX, "start", "--test-size=3", sys.executable, str(script)],
        env=flux_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.startswith("size 3 local://"), result.stderr


def test_nested_flux_start(tmp_path: Any) -> None:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    result = shell(
        f'echo "outer $FLUX_URI"; flux start --test-size=3 -Stest.x=1 {sys.executable} {script}; '
        f'flux start -s 2 sh -c "flux getattr test.y; exit 5"; echo "inner-rc=$?"; flux getattr size'
    )
    lines = result.stdout.splitlines()
    outer = lines[0].split()[1]
    size, inner = lines[1].split()[1:]
    assert (size, inner != outer, lines[2:]) == ("3", True, ["inner-rc=5", "4"])
    assert _no_stamp(result.stderr) == (
        "flux-getattr: test.y: No such file or directory\n"
        "STAMP broker.err[0]: rc2.0: sh -c flux getattr test.y; exit 5 Exited (rc=5) T.Ts\n"
    )


def test_flux_start_errors() -> None:
    bogus = flux(None, "start", "--bogus")
    assert (bogus.returncode, bogus.stderr) == (
        1,
        "flux-start: unrecognized option '--bogus'\nTry `flux-start --help' for more information.\n",
    )
    unknown = flux(None, "start", "-Sfoo.bar=1", "true")
    assert (unknown.returncode, unknown.stderr) == (1, "flux-broker: foo.bar: unknown attribute\n")
    conf = flux(None, "start", "--conf", "access.allow-guest-user=true", "flux", "config", "get")
    assert (conf.returncode, conf.stdout) == (0, '{"access":{"allow-guest-user":true}}\n')


def test_fakeflux_env_puts_the_command_first() -> None:
    out = subprocess.run([sys.executable, "-m", "fakeflux", "env"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0].startswith(f"export PATH={bin_dir()}:")
    script = f'eval "$({sys.executable} -m fakeflux env)"; command -v flux; flux version | head -1'
    env = {k: v for k, v in os.environ.items() if k not in ("FLUX_URI", "PYTHONPATH")}
    got = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert got.stdout == f"{FLUX}\ncommands:    \t\t0.88.0-59-g4a5e79f56\n"


def test_not_on_path_by_default() -> None:
    """Installing fakeflux puts no `flux` on PATH: only its own bin folder holds one."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and folder != bin_dir():
            assert not os.path.realpath(os.path.join(folder, "flux")).startswith(os.path.realpath(bin_dir()))


def test_plugin_environment(flux_instance: Any) -> None:
    """While a test runs with fakeflux's package, subprocesses find fakeflux's `flux`."""
    compat = client_path() in os.environ.get("PYTHONPATH", "").split(os.pathsep)
    path = os.environ["PATH"].split(os.pathsep)
    if compat:
        assert path[0] == bin_dir()
        got = subprocess.run(["flux", "getattr", "size"], capture_output=True, text=True, timeout=60)
        assert (got.returncode, got.stdout) == (0, "4\n")
    else:
        assert bin_dir() not in path


def test_exec(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    everywhere = flux(uri, "exec", "-r", "all", "echo", "hi")
    assert (everywhere.returncode, everywhere.stdout) == (0, "hi\n" * 4)
    labelled = flux(uri, "exec", "-l", "-r", "0-1", "sh", "-c", "echo out; echo err >&2")
    assert sorted(labelled.stdout.splitlines()) == ["0: out", "1: out"]
    assert sorted(labelled.stderr.splitlines()) == ["0: err", "1: err"]
    cases = [
        (["-r", "1", "sh", "-c", "exit 3"], 3, "", "1: Exit 3\n"),
        (
            ["-r", "2", "nosuchcmd"],
            127,
            "",
            "flux-exec: Error: rank 2: nosuchcmd: error launching process: No such file or directory\n",
        ),
        (["-r", "9", "true"], 1, "", "flux-exec: One or more invalid --ranks specified: 9\n"),
        (["-r", "0", "sh", "-c", "kill -9 $$"], 137, "", "0: Killed\n"),
        (["-x", "0", "-r", "0-1", "sh", "-c", "echo r"], 0, "r\n", ""),
        (["-d", "/tmp", "-r", "0", "pwd"], 0, "/tmp\n", ""),
        (
            ["--bogus"],
            1,
            "",
            "flux-exec: unrecognized option '--bogus'\nTry `flux-exec --help' for more information.\n",
        ),
    ]
    for args, status, out, err in cases:
        got = flux(uri, "exec", *args)
        assert (args, got.returncode, got.stdout, got.stderr) == (args, status, out, err)
    rank1 = flux(uri, "exec", "-r", "1", "printenv", "FLUX_URI").stdout.strip()
    assert rank1 == flux_instance.uri(1)


def test_fakeflux_start_auto_chooses_the_command_with_the_package() -> None:
    """`auto`: fakeflux's `flux` command exactly where fakeflux's `flux` package is chosen."""
    env = flux_env(None)
    env.pop("PYTHONPATH", None)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != bin_dir())
    script = "command -v flux || echo none; python -c 'import flux; print(flux.__file__)'"
    got = subprocess.run(
        [sys.executable, "-m", "fakeflux", "start", "--", "sh", "-c", script.replace("python", sys.executable)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    which, package = got.stdout.splitlines()
    if package.startswith(client_path()):
        assert which == FLUX
    else:  # flux-core's package is importable here: its own command stays in charge
        assert which != FLUX
    real = subprocess.run(
        [
            sys.executable,
            "-m",
            "fakeflux",
            "start",
            "--python-client",
            "real",
            "--",
            "sh",
            "-c",
            "command -v flux || echo none",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert real.stdout.strip() != FLUX


def _no_stamp(text: str) -> str:
    import re

    text = re.sub(r"^\w{3} \d\d \d\d:\d\d:\d\d\.\d{6} \w+ \d{4} ", "STAMP ", text, flags=re.M)
    return re.sub(r"\) \d+\.\ds$", ") T.Ts", text, flags=re.M)


def test_flux_start_initial_program_as_flux_core_runs_it() -> None:
    """A lone word goes through $SHELL -c; failures get the broker's rc2 log line (recorded)."""
    env = {"SHELL": "/bin/bash"}
    missing = flux(None, "start", "nosuchcmd", extra_env=env)
    shell_says, broker_says = _no_stamp(missing.stderr).splitlines()
    assert (missing.returncode, broker_says) == (127, "STAMP broker.err[0]: rc2.0: nosuchcmd Exited (rc=127) T.Ts")
    assert shell_says.startswith("/bin/bash: ") and shell_says.endswith("nosuchcmd: command not found")
    killed = flux(None, "start", "sh", "-c", "kill -TERM $$", extra_env=env)
    assert (killed.returncode, _no_stamp(killed.stderr)) == (
        143,
        "STAMP broker.err[0]: rc2.0: sh -c kill -TERM $$ Terminated (rc=143) T.Ts\n",
    )
    no_tty = flux(None, "start", extra_env=env)
    assert (no_tty.returncode, _no_stamp(no_tty.stderr)) == (
        1,
        "STAMP broker.crit[0]: stdin is not a tty - can't run interactive shell\n",
    )
    words = flux(None, "start", "echo a  b", extra_env=env)
    assert (words.returncode, words.stdout) == (0, "a b\n")
