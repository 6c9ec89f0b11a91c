"""``fakeflux replay`` exit statuses and report text, as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.rawclient import RawClient
from tests.scenarios.helpers import FAKEFLUX, ROOT, client, fakeflux, replay

FAILING = """\
version: 1
instance: {size: 2}
services:
  jobs:
    - match: {topic: jobs.list, payload: {state: running}}
      respond: {jobs: []}
expect:
  - seen: {type: response, topic: jobs.list, errnum: EAGAIN}
    count: 1
  - not-seen: {type: request, topic: jobs.list}
  - in-order:
      - {type: request, topic: jobs.list}
      - {type: event, topic: jobs.done}
"""

CLIENT = """\
import flux
h = flux.Flux()
print(h.rpc("jobs.list", {"state": "running"}).get())
try:
    h.rpc("jobs.list", {"state": "done"}).get()
except OSError as exc:
    print("error", exc.errno)
"""


def test_failed_expectations_exit_1_with_a_report(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(FAILING)
    script = tmp_path / "c.py"
    script.write_text(CLIENT)
    result = replay(str(scenario), str(script))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["{'jobs': []}", "error 38"]
    err = result.stderr
    assert "FAILED: 3 of 3 expectations failed, 1 request(s) matched no handler" in err
    # what was expected, what was seen, the nearest miss and how it differs
    assert f"FAILED: expect[0] at {scenario}:8: seen (exactly 1)" in err
    assert "    expected: exactly 1 matching message(s)\n    seen:     0 matching\n" in err
    assert "    nearest miss: message #2: " in err and "<- response jobs.list" in err
    assert "      which differs: errnum is 0, not 11 (EAGAIN)" in err
    assert f"FAILED: expect[1] at {scenario}:10: not seen" in err
    assert "    seen:     2 matching messages" in err
    assert "seen:     step 1 in order, then nothing matching step 2 after message #1" in err
    # the request no handler took, and the closest handler
    assert (
        'UNMATCHED: request jobs.list nodeid=any on rank 0 {"state": "done"}: no handler of service jobs took it' in err
    )
    assert f"closest handler: services.jobs[0] at {scenario}:5" in err
    assert 'payload.state is "done", not "running"' in err


def test_the_unmatched_request_gets_an_error_naming_it_and_the_closest_handler(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(FAILING)
    script = tmp_path / "c.py"
    script.write_text(
        "import flux\ntry:\n    flux.Flux().rpc('jobs.list', {'state': 'done'}).get()\n"
        "except OSError as exc:\n    print(exc.strerror)\n"
    )
    result = replay(str(scenario), str(script))
    text = result.stdout.strip()
    assert text.startswith('scenario: no handler of jobs for request jobs.list nodeid=any on rank 0 {"state": "done"}')
    assert "closest handler: services.jobs[0]" in text


def test_the_command_status_wins(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("version: 1\n")
    result = fakeflux(["replay", str(scenario), "--", sys.executable, "-c", "import sys; sys.exit(7)"])
    assert result.returncode == 7
    assert "passed (0 expectations met" in result.stderr


def test_bad_scenario_exits_2_with_file_and_line(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("version: 1\nevents:\n  - topic: a.b\n    at: soon\n")
    result = fakeflux(["replay", str(scenario), "--", "true"])
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"fakeflux replay: {scenario}:4: events[0].at: expected a number of seconds (0 or more), got 'soon'"
    )


def test_options_after_the_scenario_are_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("version: 1\n")
    result = fakeflux(["replay", str(scenario), "-v", "--", "true"])
    assert result.returncode == 2
    assert "option -v must come before the scenario" in result.stderr


def test_verbose_lists_every_expectation() -> None:
    result = replay("scenarios/guest-denied.yaml", client("guest_denied.py"), "-v")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("ok: expect[") == 4


def test_serves_until_signalled_then_reports(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "version: 1\nservices:\n  jobs:\n    - respond: {n: 1}\n"
        "expect:\n  - seen: {type: request, topic: jobs.list}\n    count: 2\n"
    )
    proc = subprocess.Popen(
        FAKEFLUX + ["replay", str(scenario)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("FLUX_URI=local://")
        with RawClient(line.strip().split("=", 1)[1]) as c:
            assert c.rpc_json("jobs.list", {}) == {"n": 1}
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert "expected: exactly 2 matching message(s)\n    seen:     1 matching" in err


def test_help_lists_the_new_commands() -> None:
    result = fakeflux(["--help"])
    assert "replay" in result.stdout and "record" in result.stdout
    assert os.path.isdir(os.path.join(ROOT, "scenarios"))
