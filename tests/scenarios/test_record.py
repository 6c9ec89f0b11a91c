"""``fakeflux record``: a relay in front of a fakeflux instance; the recording
replays to the same client-visible results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest
import yaml

import fakeflux
from fakeflux.scenarios import load
from tests.rawclient import RawClient
from tests.scenarios.helpers import CLIENTS, FAKEFLUX, ROOT, client, replay
from tests.scenarios.helpers import fakeflux as run_fakeflux


def record_catalog(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, os.path.join(CLIENTS, "catalog_upstream.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def lines(text: str) -> List[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("suffix", [".yaml", ".msgpack"])
def test_record_then_replay_gives_the_same_client_visible_results(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"catalog{suffix}"
    recorded = record_catalog(out)
    assert recorded.returncode == 0, recorded.stderr
    assert "wrote" in recorded.stderr and "5 handler(s) in 1 service(s), 1 event(s)" in recorded.stderr
    load(str(out))  # a valid scenario
    replayed = replay(str(out), client("catalog.py"))
    assert replayed.returncode == 0, replayed.stderr
    assert lines(replayed.stdout) == lines(recorded.stdout)
    assert len(lines(recorded.stdout)) == 8


def test_the_recording_states_its_rules(tmp_path: Path) -> None:
    out = tmp_path / "catalog.yaml"
    assert record_catalog(out).returncode == 0
    text = out.read_text()
    assert text.startswith("# Recorded by `fakeflux record` from local://")
    doc = yaml.safe_load(text)
    assert doc["instance"]["size"] == 2
    handlers = doc["services"]["catalog"]
    assert [h["match"]["topic"] for h in handlers] == [
        "catalog.lookup", "catalog.lookup", "catalog.lookup", "catalog.list", "catalog.refresh",
    ]  # fmt: skip
    assert all(h["repeat"] == 1 for h in handlers)
    assert handlers[1]["error"] == {"errno": "ENOENT", "text": "no such package"}
    assert handlers[3]["stream"][0] == {"name": "gcc", "version": "13.2"}
    assert "attr" not in doc["services"] and "broker" not in doc["services"]  # replay's broker answers those
    assert doc["events"] == [
        {
            "topic": "catalog.updated",
            "payload": {"count": 3},
            "after": {"type": "request", "direction": "to-broker", "topic": "catalog.refresh"},
        }
    ]
    assert {"seen": {"type": "request", "direction": "to-broker", "topic": "catalog.lookup"}, "count": 3} in doc[
        "expect"
    ]


def test_a_request_the_recording_lacks_is_named_with_the_closest_recorded_one(tmp_path: Path) -> None:
    out = tmp_path / "catalog.yaml"
    assert record_catalog(out).returncode == 0
    script = tmp_path / "other.py"
    script.write_text(
        "import flux\nh = flux.Flux()\n"
        "try:\n    h.rpc('catalog.lookup', {'name': 'python'}).get()\n"
        "except OSError as exc:\n    print(exc.strerror)\n"
    )
    result = replay(str(out), str(script))
    assert result.returncode == 1
    assert "no handler of catalog for request catalog.lookup" in result.stdout
    assert 'UNMATCHED: request catalog.lookup nodeid=any on rank 0 {"name": "python"}' in result.stderr
    assert f"closest handler: services.catalog[0] at {out}:" in result.stderr
    assert 'payload.name is "python", not "gcc"' in result.stderr
    assert "expected: exactly 1 matching message(s)" in result.stderr  # catalog.list was never asked


def test_record_serves_until_signalled_and_keeps_timing(tmp_path: Path) -> None:
    import signal

    with fakeflux.Instance(size=1) as inst:
        inst.add_service("slow", lambda req: {"ok": True})
        inst.inject("slow.*", delay=0.05)
        out = tmp_path / "slow.yaml"
        proc = subprocess.Popen(
            FAKEFLUX + ["record", "--timing", "--upstream", inst.uri(0), "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("FLUX_URI=local://")
            with RawClient(line.strip().split("=", 1)[1]) as c:
                assert c.handshake == b"\x00"
                assert c.rpc_json("slow.get", {"x": 1}) == {"ok": True}
                resp = c.rpc("nothing.here", {})
                assert resp.errnum == 38
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0
    doc = yaml.safe_load(out.read_text())
    slow = doc["services"]["slow"][0]
    assert slow["match"] == {"topic": "slow.get", "payload": {"x": 1}}
    assert slow["respond"] == {"ok": True}
    assert 0.04 <= slow["delay"] < 1.0
    assert doc["services"]["nothing"][0]["error"]["errno"] == "ENOSYS"


def test_record_needs_an_upstream(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FLUX_URI"}
    result = subprocess.run(
        FAKEFLUX + ["record", "--out", str(tmp_path / "x.yaml"), "--", "true"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no upstream: give --upstream URI or set FLUX_URI" in result.stderr
    result = run_fakeflux(["record", "--upstream", f"local://{tmp_path}/none", "--out", str(tmp_path / "x.yaml")])
    assert result.returncode == 2
    assert "cannot relay to local://" in result.stderr
    assert not (tmp_path / "x.yaml").exists()
