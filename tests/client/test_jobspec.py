"""JobspecV1 construction, setters and validation (pure computation, as flux-core's t0010/t0011)."""

from __future__ import annotations

import datetime
import importlib
import json
import pathlib
from typing import Any

import pytest

from .conftest import flux

importlib.import_module("flux.job")  # explicit, as in flux-core

JobspecV1 = flux.job.JobspecV1


def test_from_command_minimal_shape() -> None:
    js = JobspecV1.from_command(["sleep", "0"], environment={"A": "1"})
    assert js.resources == [{"type": "slot", "count": 1, "label": "task", "with": [{"type": "core", "count": 1}]}]
    assert js.tasks == [{"command": ["sleep", "0"], "slot": "task", "count": {"per_slot": 1}}]
    assert js.attributes == {"system": {"duration": 0, "environment": {"A": "1"}}}
    assert js.version == 1
    assert json.loads(js.dumps()) == js.jobspec


def test_environment_defaults_to_a_copy_of_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEFLUX_TEST_ENV", "yes")
    js = JobspecV1.from_command(["true"])
    assert js.environment["FAKEFLUX_TEST_ENV"] == "yes"


def test_nodes_gpus_and_uneven_spread() -> None:
    js = JobspecV1.from_command(["a"], num_tasks=4, cores_per_task=2, gpus_per_task=1, num_nodes=2, exclusive=True)
    node = js.resources[0]
    assert node["type"] == "node" and node["count"] == 2 and node["exclusive"] is True
    slot = node["with"][0]
    assert slot == {
        "type": "slot",
        "count": 2,
        "label": "task",
        "with": [{"type": "core", "count": 2}, {"type": "gpu", "count": 1}],
    }
    assert js.tasks[0]["count"] == {"per_slot": 1}
    uneven = JobspecV1.from_command(["a"], num_tasks=5, num_nodes=2)
    assert uneven.tasks[0]["count"] == {"total": 5}
    assert uneven.resources[0]["with"][0]["count"] == 3
    assert dict(uneven.resource_counts()) == {"node": 2, "slot": 6, "core": 6}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_tasks": 0}, "task count must be a integer >= 1"),
        ({"cores_per_task": 0}, "cores per task must be an integer >= 1"),
        ({"gpus_per_task": -1}, "gpus per task must be an integer >= 0"),
        ({"num_nodes": 0}, "node count must be an integer >= 1"),
        ({"num_tasks": 1, "num_nodes": 2}, "node count must not be greater than task count"),
        ({"exclusive": True}, "exclusive can only be set with a node count"),
    ],
)
def test_from_command_validation(kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JobspecV1.from_command(["a"], **kwargs)


def test_setters_and_aliases(tmp_path: pathlib.Path) -> None:
    js = JobspecV1.from_command(["a"], name="job1", queue="batch", cwd=tmp_path, rlimits={"nofile": 10})
    js.duration = "1.5m"
    assert js.duration == 90.0
    js.duration = datetime.timedelta(hours=1)
    assert js.getattr("duration") == 3600.0
    js.duration = 5
    assert js.duration == 5.0
    js.stdout = tmp_path / "out"
    js.stderr = "err"
    js.stdin = "in"
    assert js.output == str(tmp_path / "out") and js.error == "err" and js.input == "in"
    opts = js.attributes["system"]["shell"]["options"]
    assert opts["output"]["stdout"] == {"type": "file", "path": str(tmp_path / "out")}
    assert opts["input"]["stdin"] == {"type": "file", "path": "in"}
    assert opts["rlimit"] == {"nofile": 10}
    assert js.cwd == str(tmp_path) and js.queue == "batch"
    assert js.getattr("system.job.name") == "job1"
    js.setattr("user.mine", {"x": 1})
    assert js.getattr("user.mine.x") == 1 and js.attributes["user"] == {"mine": {"x": 1}}
    with pytest.raises(KeyError):
        js.getattr("nope")


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
                                      ("-1s", ValueError), ("x", ValueError), ([1], TypeError)])  # fmt: skip
def test_bad_durations(bad: Any, exc: type) -> None:
    js = JobspecV1.from_command(["a"])
    with pytest.raises(exc):
        js.duration = bad


def test_unbuffered_sets_and_clears() -> None:
    js = JobspecV1.from_command(["a"], unbuffered=True)
    assert js.unbuffered is True
    assert js.getattr("shell.options.output.batch-timeout") == 0.05
    js.unbuffered = False
    assert js.unbuffered is False
    assert "shell" not in js.attributes["system"]
    with pytest.raises(TypeError):
        js.unbuffered = 1


def test_bad_types_for_setters() -> None:
    js = JobspecV1.from_command(["a"])
    with pytest.raises(ValueError, match="cwd must be a string"):
        js.cwd = 3
    with pytest.raises(ValueError, match="environment must be a mapping"):
        js.environment = ["A=1"]
    with pytest.raises(TypeError, match="must be a string or pathlib object"):
        js.stdout = 3
    with pytest.raises(TypeError, match="queue must be a string"):
        js.queue = 3


@pytest.mark.parametrize(
    "resources, tasks, attributes, exc",
    [
        ([], [], {}, ValueError),  # no attributes.system
        ([], [], {"system": {}}, ValueError),  # no duration
        ([{"type": "slot", "count": 1}], [], {"system": {"duration": 0}}, ValueError),  # slot without label
        ([{"type": "core", "count": 0}], [], {"system": {"duration": 0}}, ValueError),
        ([{"type": "core", "count": 1.5}], [], {"system": {"duration": 0}}, TypeError),
        ([], [{"command": "ls", "slot": "task", "count": {"per_slot": 1}}], {"system": {"duration": 0}}, TypeError),
        ([], [{"command": [], "slot": "task", "count": {"per_slot": 1}}], {"system": {"duration": 0}}, TypeError),
        ([], [{"command": ["a"], "slot": "task", "count": {"per_resource": 1}}], {"system": {"duration": 0}},
         ValueError),
        ([], [], {"system": {"duration": 0}, "other": {}}, ValueError),
        ({}, [], {"system": {"duration": 0}}, TypeError),
    ],
)  # fmt: skip
def test_constructor_validation(resources: Any, tasks: Any, attributes: Any, exc: type) -> None:
    with pytest.raises(exc):
        JobspecV1(resources, tasks, attributes)


def test_version_must_be_1() -> None:
    with pytest.raises(ValueError, match="version must be 1"):
        JobspecV1([], [], {"system": {"duration": 0}}, version=2)


def test_validate_jobspec_and_yaml() -> None:
    js = JobspecV1.from_command(["a"], environment={})
    ok, obj = flux.job.validate_jobspec(js.dumps())
    assert ok is True and isinstance(obj, JobspecV1) and obj.jobspec == js.jobspec
    again = JobspecV1.from_yaml_stream(js.dumps())  # JSON is YAML
    assert again.jobspec == js.jobspec
    with pytest.raises(ValueError, match="Missing key"):
        flux.job.validate_jobspec(json.dumps({"version": 1}))


def test_from_batch_command_and_nest() -> None:
    js = JobspecV1.from_batch_command("#!/bin/sh\necho hi\n", "mybatch", args=["x"], num_slots=2, environment={})
    assert js.tasks[0]["command"] == ["flux", "broker", "{{tmpdir}}/script", "x"]
    files = js.attributes["system"]["files"]
    assert files["script"] == {"mode": 0o100700, "data": "#!/bin/sh\necho hi\n", "encoding": "utf-8"}
    assert js.getattr("shell.options.per-resource.type") == "node"
    assert js.getattr("job.name") == "mybatch"
    with pytest.raises(ValueError, match="does not appear to start with"):
        JobspecV1.from_batch_command("echo", "j")


def test_iteration_and_walk() -> None:
    js = JobspecV1.from_command(["a"], num_tasks=2, num_nodes=2, cores_per_task=3)
    assert [r["type"] for r in js] == ["node", "slot", "core"]
    assert [(p and p["type"], r["type"], n) for p, r, n in js.resource_walk()] == [
        (None, "node", 2),
        ("node", "slot", 2),
        ("slot", "core", 6),
    ]
    assert repr(js).startswith("JobspecV1([")
