"""Malformed scenarios: every error names the file, the line, the key path and
what was expected there; nothing in a scenario is executed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fakeflux.scenarios import ScenarioError, load
from fakeflux.scenarios.recorder import dump_msgpack

# name -> (scenario text, line, the error after "FILE:LINE: ")
CASES = {
    "syntax": (
        "version: 1\nservices:\n  jobs: [\n    {respond: 1}\n",
        5,
        "not valid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
    ),
    "empty": ("", 1, "the file is empty: expected a mapping with 'version: 1'"),
    "not a mapping": ("- version: 1\n", 1, "expected a scenario: a mapping with 'version: 1', got a list"),
    "no version": ("name: x\n", 1, "missing key 'version' (expected 'version: 1' first)"),
    "future version": ("version: 2\n", 1, "version: expected a format version fakeflux reads (1), got 2"),
    "misspelt key": (
        "version: 1\nservics: {}\n",
        2,
        "servics: unknown key 'servics' (did you mean 'services'?): expected one of version, name, "
        "description, instance, services, events, faults, expect, jobs",
    ),
    "two actions": (
        "version: 1\nservices:\n  jobs:\n    - respond: {a: 1}\n      error: ENOENT\n",
        5,
        "services.jobs[0].error: expected one action per handler, but this one also has 'respond' "
        "(one of respond, error, stream, no-response)",
    ),
    "no action": (
        "version: 1\nservices:\n  jobs:\n    - match: {topic: jobs.x}\n",
        4,
        "services.jobs[0]: expected an action in the handler: one of respond, error, stream, no-response; got none",
    ),
    "bad errno": (
        "version: 1\nservices:\n  jobs:\n    - error: {errno: ENOENTT}\n",
        4,
        "services.jobs[0].error.errno: expected an errno name such as ENOENT or a positive number, "
        "got 'ENOENTT' (did you mean ENOENT?)",
    ),
    "repeat 0": (
        "version: 1\nservices:\n  jobs:\n    - respond: 1\n      repeat: 0\n",
        5,
        "services.jobs[0].repeat: expected a repeat count (1 or more) or 'always', got 0",
    ),
    "python tag": (
        'version: 1\nname: !!python/object/apply:os.system ["touch {marker}"]\n',
        2,
        "name: the tag tag:yaml.org,2002:python/object/apply:os.system is not allowed here (plain YAML data only)",
    ),
    "set tag": (
        "version: 1\nexpect: !!set {a: null}\n",
        2,
        "expect: the tag tag:yaml.org,2002:set is not allowed here (plain YAML data only)",
    ),
    "duplicate key": (
        "version: 1\ninstance:\n  size: 2\n  size: 3\n",
        4,
        "instance.size: duplicate key (first given on line 3)",
    ),
    "merge key": (
        "version: 1\nbase: &b {size: 2}\ninstance:\n  <<: *b\n",
        4,
        "instance: expected a plain key (merge keys and complex keys are not allowed)",
    ),
    "recursive alias": (
        "version: 1\nname: x\nexpect: &e\n  - seen: *e\n",
        4,
        "expect[0].seen: recursive alias: *e is used inside its own value",
    ),
    "recursive alias in a mapping": (
        "version: 1\ninstance: &m\n  size: 2\n  config: {self: *m}\n",
        4,
        "instance.config.self: recursive alias: *m is used inside its own value",
    ),
    "builtin service": (
        "version: 1\nservices:\n  attr:\n    - respond: 1\n",
        4,
        "services.attr: fakeflux emulates the service 'attr' itself: a scenario cannot script it",
    ),
    "rank 0 down": (
        "version: 1\ninstance: {size: 4}\nfaults:\n  - rank-down: 0\n",
        4,
        "faults[0].rank-down: expected a rank number (1 or more: rank 0 is the instance itself), got 0",
    ),
    "rank outside": (
        "version: 1\ninstance: {size: 4}\nfaults:\n  - rank-down: 4\n",
        4,
        "faults[0].rank-down: expected a rank below the instance size 4, got 4",
    ),
    "count with not-seen": (
        "version: 1\nexpect:\n  - not-seen: {topic: a.b}\n    count: 2\n",
        4,
        "expect[0].count: 'count' goes with 'seen', not with 'not-seen'",
    ),
    "negative delay": (
        "version: 1\nservices:\n  jobs:\n    - respond: 1\n      delay: -1\n",
        5,
        "services.jobs[0].delay: expected a number of seconds (0 or more), got -1",
    ),
    "read-only attribute": (
        "version: 1\ninstance:\n  attributes:\n    rank: 3\n",
        4,
        "instance.attributes.rank: attribute cannot be set: rank: attribute may not be set on the command line",
    ),
    "stream without responses": (
        "version: 1\nservices:\n  jobs:\n    - stream: {interval: 1}\n",
        4,
        "services.jobs[0].stream: missing key 'responses' (expected a list, or a mapping with keys "
        "responses, end, interval)",
    ),
    "topic of another service": (
        "version: 1\nservices:\n  jobs:\n    - match: {topic: kvs.get}\n      respond: 1\n",
        4,
        "services.jobs[0].match.topic: expected a topic of service jobs (jobs.METHOD or a glob of it), got 'kvs.get'",
    ),
    "bad message type": (
        "version: 1\nexpect:\n  - seen: {type: reply}\n",
        3,
        "expect[0].seen.type: expected request, response or event, got 'reply'",
    ),
    "size 0": (
        "version: 1\ninstance:\n  size: 0\n",
        3,
        "instance.size: expected a number of ranks of at least 1, got 0",
    ),
    "at and after": (
        "version: 1\nevents:\n  - topic: a.b\n    at: 1\n    after: {topic: x.y}\n",
        5,
        "events[0].after: expected either 'at' or 'after', not both",
    ),
    "misspelt action": (
        "version: 1\nservices:\n  jobs:\n    - respnd: 1\n",
        4,
        "services.jobs[0].respnd: unknown key 'respnd' (did you mean 'respond'?): expected one of match, "
        "respond, error, stream, no-response, delay, repeat, note",
    ),
    "at-least above at-most": (
        "version: 1\nexpect:\n  - seen: {topic: a.b}\n    at-least: 3\n    at-most: 1\n",
        3,
        "expect[0]: expected at-least (3) not above at-most (1)",
    ),
    "config not a mapping": (
        "version: 1\ninstance:\n  config: [1]\n",
        3,
        "instance.config: expected the configuration as a mapping of tables, got a list",
    ),
    "fault without kind": (
        "version: 1\nfaults:\n  - at: 1\n",
        3,
        "faults[0]: expected exactly one of rank-down, rank-up, drop, delay, error in a fault, got none",
    ),
    "delay fault without seconds": (
        "version: 1\nfaults:\n  - delay: {topic: a.b}\n",
        3,
        "faults[0].delay: missing key 'seconds' (expected a delay fault with keys topic, rank, count, seconds)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_scenario_gets_file_line_and_what_was_expected(name: str, tmp_path: Path) -> None:
    text, line, message = CASES[name]
    marker = tmp_path / "EXECUTED"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("{marker}", str(marker)))
    with pytest.raises(ScenarioError) as exc:
        load(str(path))
    assert str(exc.value) == f"{path}:{line}: {message}"
    assert exc.value.line == line
    assert not marker.exists()  # nothing in a scenario runs


def test_relative_paths_are_reported_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "s.yaml").write_text("version: 1\nexpect:\n  - seen: {topic: 3}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as exc:
        load(os.path.join("sub", "s.yaml"))
    assert str(exc.value) == "sub/s.yaml:3: expect[0].seen.topic: expected a topic glob such as kvs.*, got 3 (a number)"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as exc:
        load(str(tmp_path / "nope.yaml"))
    assert str(exc.value) == f"{tmp_path / 'nope.yaml'}: cannot read the scenario: No such file or directory"


def test_msgpack_errors_name_the_path_inside_the_document(tmp_path: Path) -> None:
    path = tmp_path / "bad.msgpack"
    path.write_bytes(dump_msgpack({"version": 1, "services": {"jobs": [{"respond": 1, "repeat": "often"}]}}))
    with pytest.raises(ScenarioError) as exc:
        load(str(path))
    assert str(exc.value) == (
        f"{path}: services.jobs[0].repeat: expected a repeat count (1 or more) or 'always', got 'often'"
    )
    assert exc.value.line is None


def test_garbage_msgpack(tmp_path: Path) -> None:
    path = tmp_path / "bad.msgpack"
    path.write_bytes(b"\x81\xc1")
    with pytest.raises(ScenarioError) as exc:
        load(str(path))
    assert str(exc.value).startswith(f"{path}: not a valid msgpack scenario: ")


def test_binary_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"version: 1\nname: \xff\xfe\n")
    with pytest.raises(ScenarioError) as exc:
        load(str(path))
    assert str(exc.value) == f"{path}:2: not UTF-8 text (a scenario is YAML, or msgpack named *.msgpack)"


@pytest.mark.parametrize(
    "jobs, message",
    [
        ("  - exit-code: 300", "jobs[0].exit-code: expected an exit code from 0 to 255, got 300"),
        ("  - exception: {type: exec, at: later}", "jobs[0].exception.at: expected one of depend, sched"),
        ("  - delays: {running: 5}", "jobs[0].delays"),
        ("  - exception: {note: x}", "jobs[0].exception"),
    ],
)
def test_bad_job_outcomes_are_named_precisely(tmp_path: Path, jobs: str, message: str) -> None:
    bad = tmp_path / "jobs.yaml"
    bad.write_text("version: 1\njobs:\n" + jobs + "\n")
    with pytest.raises(ScenarioError) as exc:
        load(str(bad))
    assert f"{bad}:3: " in str(exc.value)
    assert message in str(exc.value)


def test_alias_expansion_is_bounded(tmp_path: Path) -> None:
    # "Billion laughs": 400 bytes that would expand to 10**9 values.
    lines = ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as exc:
        load(str(path))
    assert str(exc.value) == f"{path}:6: e[7][8][9][0][2]: aliases (here *d) expand to more than 100000 values: refused"


def test_aliases_within_the_bound_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "version: 1\nservices:\n  jobs:\n    - match: {topic: jobs.a}\n      respond: &r {ok: true, n: [1, 2]}\n"
        "    - match: {topic: jobs.b}\n      respond: *r\n"
    )
    rules = load(str(path)).services[0].rules
    assert [rule.action.payload for rule in rules] == [{"ok": True, "n": [1, 2]}] * 2


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("version: 1\nname: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError) as exc:
        load(str(path))
    assert str(path) in str(exc.value) and "nested too deeply" in str(exc.value)
