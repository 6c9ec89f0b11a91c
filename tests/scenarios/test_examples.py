"""Every example scenario in scenarios/ replays with its client, over real sockets."""

from __future__ import annotations

import glob
import json
import os
import sys
from typing import Any, Dict, List, Set

import pytest
import yaml

from fakeflux.scenarios import load
from fakeflux.scenarios.recorder import write
from tests.scenarios.helpers import SCENARIOS, client, replay

# scenario -> (client, what the client prints, one JSON object per line)
EXAMPLES: Dict[str, Any] = {
    "error-then-stream.yaml": (
        "error_then_stream.py",
        [
            {"retry": "jobs.list", "error": "job list is loading, try again"},
            {"running": [{"id": 1, "state": "running"}, {"id": 2, "state": "running"}]},
            {"all": [{"id": 3, "state": "pending"}]},
            {"cancel": ["ENOENT", "no such job"]},
        ],
    ),
    "rank-failure.yaml": (
        "rank_failure.py",
        [
            {"prepare@1": {"ok": True}},
            {"compute@3": "EHOSTUNREACH"},
            {"compute@3 again": "EHOSTUNREACH"},
            {"resume@2": {"ok": True}},
            {"finish@3": {"ok": True, "final": True}},
        ],
    ),
    "event-driven.yaml": (
        "event_driven.py",
        [
            {"submitted": {"id": 7}},
            {"event": "pipeline.started", "payload": {"id": 7}},
            {"event": "pipeline.finished", "payload": {"id": 7, "status": 0}},
        ],
    ),
    "guest-denied.yaml": (
        "guest_denied.py",
        [
            {"status": {"state": "up"}},
            {"drain": ["EPERM", "only the instance owner may drain nodes"]},
            {"owner-is-someone-else": True},
        ],
    ),
    "guest-refused.yaml": ("guest_refused.py", [{"connected": False, "error": "EPERM"}]),
    "job-outcomes.yaml": (
        "job_outcomes.py",
        [
            {"job": "sim-ok", "success": True, "errstr": ""},
            {"job": "sim-fail", "success": False, "errstr": "task(s) exited with exit code 3"},
            {"job": "sim-crash", "success": False, "errstr": "Fatal exception type=exec node failure"},
            {
                "events": [
                    "submit",
                    "validate",
                    "depend",
                    "priority",
                    "alloc",
                    "start",
                    "finish",
                    "release",
                    "free",
                    "clean",
                ]
            },
            {"runtime": 3600},
        ],
    ),
    "retry-timing.yaml": (
        "retry_timing.py",
        [
            {"attempt": 1, "outcome": "EAGAIN"},
            {"attempt": 2, "outcome": "timeout"},
            {"attempt": 3, "outcome": "timeout"},
            {"attempt": 4, "outcome": {"value": 42}},
        ],
    ),
    "recorded-catalog.yaml": (
        "catalog.py",
        [
            {"size": "2"},
            {"ping rank": 1},
            {"gcc": {"name": "gcc", "version": "13.2"}},
            {"nope": ["ENOENT", "no such package"]},
            {"gcc": {"name": "gcc", "version": "13.2"}},
            {"list": ["gcc", "python", "flux-core", "ENODATA"]},
            {"refresh": {"refreshed": True}},
            {"event": "catalog.updated", "payload": {"count": 3}},
        ],
    ),
}


def lines(stdout: str) -> List[Any]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_every_example_is_run_here() -> None:
    found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SCENARIOS, "*.yaml")))
    assert found == sorted(EXAMPLES)
    assert len(found) >= 6


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_replays(name: str) -> None:
    client_name, expected = EXAMPLES[name]
    result = replay(os.path.join("scenarios", name), client(client_name))
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result.stdout) == expected
    assert ": passed (" in result.stderr


def test_the_recorded_example_replays_from_its_msgpack_form(tmp_path: Any) -> None:
    with open(os.path.join(SCENARIOS, "recorded-catalog.yaml")) as f:
        data = yaml.safe_load(f)
    packed = tmp_path / "catalog.msgpack"
    write(str(packed), data)
    assert packed.read_bytes()[:1] != b"#"  # binary, not YAML
    result = replay(str(packed), client("catalog.py"))
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == EXAMPLES["recorded-catalog.yaml"][1]


def _features(path: str) -> Set[str]:
    """The features of the format one scenario file uses, by name."""
    with open(path) as f:
        doc = yaml.safe_load(f)
    used: Set[str] = set()
    inst = doc.get("instance", {})
    used |= {f"instance.{k}" for k in inst}
    used |= {f"access.{k}" for k in inst.get("access", {})}
    for handlers in doc.get("services", {}).values():
        if isinstance(handlers, dict):
            used.add("service.ranks")
            handlers = handlers["handlers"]
        for h in handlers:
            used |= {f"match.{k}" for k in h.get("match", {})}
            used |= {f"action.{k}" for k in ("respond", "error", "stream", "no-response", "delay") if k in h}
            if isinstance(h.get("error"), dict) and isinstance(h["error"]["errno"], int):
                used.add("error.errno-number")
            if isinstance(h.get("error"), dict) and isinstance(h["error"]["errno"], str):
                used.add("error.errno-name")
            if isinstance(h.get("stream"), dict):
                used.add("stream.long-form")
            if isinstance(h.get("stream"), list):
                used.add("stream.short-form")
            r = h.get("repeat")
            used.add("repeat.always" if r in (None, "always") else "repeat.count")
    for e in doc.get("events", []):
        used |= {f"event.{k}" for k in ("at", "after", "wait") if k in e}
    for fault in doc.get("faults", []):
        used |= {f"fault.{k}" for k in ("rank-down", "rank-up", "drop", "delay", "error") if k in fault}
        used |= {f"fault-trigger.{k}" for k in ("at", "after", "wait") if k in fault}
        if isinstance(fault.get("after"), dict) and "message" in fault["after"]:
            used.add("fault-trigger.after-message-n")
    for x in doc.get("expect", []):
        used |= {f"expect.{k}" for k in x}
    return used


def test_the_examples_together_use_every_feature() -> None:
    used: Set[str] = set()
    for path in glob.glob(os.path.join(SCENARIOS, "*.yaml")):
        load(path)  # and each one is valid
        used |= _features(path)
    every = {
        "instance.size", "instance.attributes", "instance.config", "instance.access",
        "access.owner", "access.allow-guest-user", "service.ranks",
        "match.topic", "match.nodeid", "match.payload", "match.role",
        "action.respond", "action.error", "action.stream", "action.no-response", "action.delay",
        "error.errno-number", "error.errno-name", "stream.long-form", "stream.short-form",
        "repeat.always", "repeat.count", "event.at", "event.after", "event.wait",
        "fault.rank-down", "fault.rank-up", "fault.drop", "fault.delay", "fault.error",
        "fault-trigger.at", "fault-trigger.after", "fault-trigger.wait", "fault-trigger.after-message-n",
        "expect.seen", "expect.not-seen", "expect.in-order", "expect.count", "expect.at-least", "expect.at-most",
    }  # fmt: skip
    assert every - used == set()


@pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED")
def test_a_scenario_runs_in_process_too() -> None:
    """The same engine without the CLI: ScenarioRun and the compatible client in this process."""
    from fakeflux.cli import client_path
    from fakeflux.scenarios import ScenarioRun

    if client_path() not in sys.path:
        sys.path.insert(0, client_path())
    import flux  # type: ignore[import-not-found]

    with ScenarioRun(load(os.path.join(SCENARIOS, "error-then-stream.yaml"))) as run:
        assert run.instance is not None
        h = flux.Flux(run.instance.uri(0))
        with pytest.raises(OSError) as exc:
            h.rpc("jobs.list", {}).get()
        assert exc.value.strerror == "job list is loading, try again"
        result = run.result()
        assert not result.ok  # the in-order stream was never asked for
        failed = [o for o in result.outcomes if not o.ok]
        assert [o.expectation.kind for o in failed] == ["in-order", "seen", "seen"]
        assert run.instance.trace_records()  # the instance's own trace still works beside the scenario's
