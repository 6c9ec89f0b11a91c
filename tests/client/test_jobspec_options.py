"""flux.job submission options as flux-core's: apply_options, from_submit/alloc/batch, per_resource,
BatchConfig, the option helpers of flux.job._utils, directives (RFC 36), output eventlog parsing,
journal events and the progress bar.

Each case runs in a fixed environment; ``EXPECTED`` is what flux-core 0.88.0-59 (4a5e79f) answered
for the same calls (its Python bindings, recorded once with the same case functions): values, or
exception type and text.  Jobspecs are compared without environment, rlimits and cwd, which
depend on the machine.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import os
import types
from typing import Any, Callable, Dict, List, Tuple

import pytest

from .conftest import flux

importlib.import_module("flux.job")
JobspecV1 = flux.job.JobspecV1
BatchConfig = flux.job.BatchConfig
U = importlib.import_module("flux.job._utils")
DirectiveParser = importlib.import_module("flux.job.directives").DirectiveParser
output = importlib.import_module("flux.job.output")
journal = importlib.import_module("flux.job.journal")
JournalEventBase = importlib.import_module("flux.abc").JournalEventBase
progress = importlib.import_module("flux.progress")

ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "FOO": "bar", "LANG": "C.UTF-8"}


def _js() -> Any:
    return JobspecV1.from_command(["app", "x"])


def _strip(js: Any) -> Any:
    doc = json.loads(json.dumps(js.jobspec))
    system = doc["attributes"]["system"]
    system.pop("environment", None)
    system.get("shell", {}).get("options", {}).pop("rlimit", None)
    if "cwd" in system:
        system["cwd"] = "CWD"
    return doc


CASES: Dict[str, Callable[[], Any]] = {
    "ao_basic": lambda: _strip(
        _js().apply_options(
            signal="USR2@1m",
            taskmap="cyclic",
            dependency=["afterok:123", "afterany:ƒ2?x=1&x=2"],
            shell_options={"verbose": 2},
            time_limit="1.5h",
            attributes={"foo": 1, ".user.x": "y", "user.z": 2, "system.q": 3},
        )
    ),
    "ao_ns": lambda: _strip(
        _js().apply_options(
            types.SimpleNamespace(
                setopt=["a", "b=2", 'c={"x":1}'], setattr=["k=v", ".user.u=1"], env=["-*", "A=1", "B={{id}}"]
            )
        )
    ),
    "ao_env": lambda: _js().apply_options(env=["-*", "X=$FOO:1", "FOO", "Y={{rank}}"]).jobspec["attributes"]["system"],
    "ao_env_bad": lambda: _js().apply_options(env=["X=$NOPE"]),
    "ao_env_bad2": lambda: _js().apply_options(env=["X=$"]),
    "ao_rl": lambda: sorted(
        _js().apply_options(rlimit=["-*", "nofile=100", "core=unlimited"]).getattr("shell.options.rlimit").items()
    ),
    "ao_rl_bad": lambda: _js().apply_options(rlimit=["bogus=1"]),
    "ao_rl_bad2": lambda: _js().apply_options(rlimit=["nofile=x"]),
    "ao_rl_bad3": lambda: _js().apply_options(rlimit=["nosuch"]),
    "ao_sig_bad": lambda: _js().apply_options(signal="NOPE@1"),
    "ao_sig_bad2": lambda: _js().apply_options(signal="USR1@x"),
    "ao_sig_zero": lambda: _js().apply_options(signal="0"),
    "ao_dep_bad": lambda: _js().apply_options(dependency=["::"]),
    "ao_tm_bad": lambda: _js().apply_options(taskmap=""),
    "ao_req": lambda: _js().apply_options(requires=["host:a[1-2]", "rank:0", "x,y"]).getattr("constraints"),
    "ao_req_bad": lambda: _js().apply_options(requires=["a & (b"]),
    "ao_kw_bad": lambda: _js().apply_options(bogus=1, other=2),
    "ao_addfile": lambda: _js().apply_options(add_file=["n1=line1\\nline2\\n", "n2:0755=text\n"]).getattr("files"),
    "ao_addfile_bad": lambda: _js().apply_options(add_file=["a\nb"]),
    "ao_addfile_missing": lambda: _js().apply_options(add_file=["/no/such/file"]),
    "ao_tl_bad": lambda: _js().apply_options(time_limit="1x"),
    "submit": lambda: _strip(
        JobspecV1.from_submit(
            ["a"],
            ntasks=4,
            nodes=2,
            cores_per_task=2,
            name="n",
            queue="q",
            output="o",
            label_io=True,
            shell_options={"s": 1},
        )
    ),
    "alloc": lambda: _strip(
        JobspecV1.from_alloc(nodes=2, bg=True, conf="resource.noverify=true", broker_opts=["-Sx=1"])
    ),
    "alloc_bad": lambda: JobspecV1.from_alloc(),
    "batch": lambda: _strip(JobspecV1.from_batch(content="echo hi\n", wrap=True, nslots=2, conf={"a": 1})),
    "batch_noshebang": lambda: JobspecV1.from_batch(content="echo hi\n"),
    "batch_both": lambda: JobspecV1.from_batch("x", content="y"),
    "perres": lambda: _strip(
        JobspecV1.per_resource(
            ["a"], ncores=4, nnodes=2, per_resource_type="node", per_resource_count=2, gpus_per_node=1
        )
    ),
}


def _batch_config(value: str) -> Any:
    return BatchConfig().update(value).config


def _uri_entry(uri: str) -> Any:
    return U.URIArg(uri, "dependency").entry


_PER_RESOURCE_BAD: List[Dict[str, Any]] = [
    {"per_resource_type": "node"},
    {"per_resource_count": 1},
    {"ncores": 3, "nnodes": 2},
    {"ncores": 1, "nnodes": 2},
    {"nnodes": 2},
    {},
    {"per_resource_type": "gpu", "per_resource_count": 1, "ncores": 1},
    {"exclusive": True, "ncores": 1},
    {"gpus_per_node": 1, "ncores": 1},
]
for _i, _kw in enumerate(_PER_RESOURCE_BAD):
    CASES[f"perres_bad{_i}"] = functools.partial(JobspecV1.per_resource, ["a"], **_kw)
for _v in [
    "a.b=1",
    "a.c=x",
    '{"x": {"y": 1}}\n',
    "x = 1\n[t]\ny=2\n",
    "bad\n{",
    "nosuchname",
    "/no/such.toml",
    "/no/such.yaml",
]:
    CASES["bc_" + _v] = functools.partial(_batch_config, _v)
CASES["bc_get"] = lambda: BatchConfig().update("a.b.c=1").get("a.b")
CASES["bc_type"] = lambda: BatchConfig().update("a=1").update("a.b=2").config
for _s in ["USR1", "SIGTERM", "9", "NOPE", 15]:
    CASES[f"sig_{_s}"] = functools.partial(U.decode_signal, _s)
for _o in [None, "@30s", "TERM", "HUP@2m", "@"]:
    CASES[f"sigopt_{_o}"] = functools.partial(U.parse_signal_option, _o)
for _u in ["afterok:123", "after:1", "singleton", "begin-time:@now?x=1.5&y=a", ":x", "a:"]:
    CASES[f"uri_{_u}"] = functools.partial(_uri_entry, _u)
for _kv in ["a", "a=1", "a=x", 'a={"b":[1]}', "a=", "a=b=c"]:
    CASES[f"kv_{_kv}"] = functools.partial(U.parse_jobspec_keyval, "--setopt", _kv)
CASES["fd"] = lambda: U.filter_dict({"A1": 1, "A2": 2, "B": 3}, "A*")
CASES["fd_re"] = lambda: U.filter_dict({"A1": 1, "A2": 2, "B": 3}, "/A[1]/", False)
CASES["ls"] = lambda: U.list_split(["a,b", "c"])
CASES["nc"] = lambda: U.normalize_conf("a=1")

SCRIPTS = {
    "basic": "#!/bin/sh\n# flux: -N2 --queue=debug\n#flux: --setattr=x='a b'\n# FLUX: -n1\necho hi\n# flux: -n4\n",
    "multi": '#!/bin/sh\n# flux: --conf="""\n# flux: [resource]\n# flux: noverify = true\n# flux: """\n# flux: -N1\n',
    "sentinel": "#!/bin/sh\n# flux: -N1\n## flux: -n1\n",
    "unknown": "# flux: foo\n",
    "unterm": '# flux: --x="""\nfoo\n',
    "quote": "# flux: --x='unterminated\n",
    "inline3": '# flux: --setattr=x="""a "b" c"""\n',
    "unclosed3": '# flux: --x="""abc\n',
    "py": '#!/usr/bin/env python3\n"""\nflux: -N2\n"""\nprint(1)\n',
    "comment": "# flux: -N1 # comment\n#   flux: -n2\n",
}


def _parse_directives(text: str) -> Any:
    parser = DirectiveParser(io.StringIO(text))
    found = [[d.action, d.args, d.lineno, str(d)] for d in parser.directives]
    return [*found, parser.script == text, parser.sentinel, parser.prefix]


for _k, _text in SCRIPTS.items():
    CASES["dir_" + _k] = functools.partial(_parse_directives, _text)

_OUTPUT_LOG = "\n".join(
    json.dumps(x)
    for x in [
        {
            "timestamp": 1.0,
            "name": "header",
            "context": {
                "version": 1,
                "encoding": {"stdout": "UTF-8", "stderr": "UTF-8"},
                "count": {"stdout": 2, "stderr": 2},
                "options": {},
            },
        },
        {"timestamp": 1.1, "name": "data", "context": {"stream": "stdout", "rank": "0", "data": "a\nb\n"}},
        {
            "timestamp": 1.2,
            "name": "data",
            "context": {"stream": "stderr", "rank": "1", "data": "ZXJyCg==", "encoding": "base64"},
        },
        {
            "timestamp": 1.3,
            "name": "data",
            "context": {"stream": "stdout", "rank": "[0-1]", "data": "r\n", "repeat": 2},
        },
        {
            "timestamp": 1.4,
            "name": "log",
            "context": {"rank": 0, "level": 4, "message": "warned", "component": "comp", "file": "f.c", "line": 3},
        },
        {"timestamp": 1.5, "name": "log", "context": {"rank": 1, "level": 6, "message": "dbg"}},
        {"timestamp": 1.6, "name": "redirect", "context": {"stream": "stdout", "rank": "0-1", "path": "/tmp/x"}},
        {"timestamp": 1.7, "name": "data", "context": {"stream": "stdout", "rank": "1", "eof": True}},
    ]
)
CASES["out_all"] = lambda: output._parse_output_eventlog(_OUTPUT_LOG)
CASES["out_label"] = lambda: output._parse_output_eventlog(_OUTPUT_LOG, tasks="1", labelio=True, log_stderr_level=4)
CASES["out_quiet"] = lambda: output._parse_output_eventlog(_OUTPUT_LOG, tasks="0", log_stderr_level=-1)
CASES["log_render"] = lambda: output.LogEvent(
    {"timestamp": 1, "name": "log", "context": {"rank": 0, "level": 3, "message": "m", "file": "f", "line": 2}}
).render(True)
CASES["exc_render"] = lambda: output.JobExceptionEvent(
    {"timestamp": 1, "name": "exception", "context": {"severity": 0, "type": "cancel", "note": "bye"}}
).render()
CASES["exc_in_log"] = lambda: output._parse_output_eventlog(
    json.dumps({"timestamp": 1, "name": "exception", "context": {"severity": 0, "type": "t", "note": ""}})
)
CASES["bad_event"] = lambda: output._parse_output_eventlog(json.dumps({"timestamp": 1, "name": "other"}))
CASES["redirect_bad"] = lambda: output.RedirectEvent({"timestamp": 1, "name": "data"})
CASES["je_str"] = lambda: str(
    journal.JournalEvent(1234, {"timestamp": 2.5, "name": "submit", "context": {"a": 1}}, jobspec={"x": 1}, R={"r": 1})
)
CASES["je_str2"] = lambda: str(
    journal.JournalEvent(1234, {"timestamp": 2.5, "name": "alloc"}, jobspec={"x": 1}, R={"r": 1})
)
CASES["je_sent"] = lambda: [str(journal.SENTINEL_EVENT), journal.SENTINEL_EVENT.is_empty()]
CASES["jeb"] = lambda: [
    str(JournalEventBase({"timestamp": 3.0, "name": "x", "context": {"b": 2}})),
    JournalEventBase({}).is_empty(),
]


def _progress_bar() -> Any:
    bar = progress.ProgressBar(total=10, before="{count}/{total} ", after=" {percent:5.1f}%", x=1)
    bar.update(advance=3)
    bar._t0 = 0
    return [bar._formatter(bar, 40), bar.x, progress.Bottombar(a=1, b="c")._format(None, 0)]


CASES["pb"] = _progress_bar


def _outcome(fn: Callable[[], Any]) -> Tuple[Any, ...]:
    try:
        value = fn()
    except Exception as exc:
        return ("err", type(exc).__name__, str(exc))
    return ("ok", json.loads(json.dumps(value, default=str)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_as_flux_core(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    assert _outcome(CASES[case]) == EXPECTED[case]


def test_every_recorded_case_is_run() -> None:
    assert set(CASES) == set(EXPECTED)


EXPECTED: Dict[str, Tuple[Any, ...]] = {
    "alloc": (
        "ok",
        {
            "attributes": {
                "system": {
                    "cwd": "CWD",
                    "duration": 0,
                    "files": {"conf.json": {"data": {"resource": {"noverify": True}}, "mode": 33152}},
                    "shell": {
                        "options": {
                            "exit-timeout": "none",
                            "mpi": "none",
                            "per-resource": {"type": "node"},
                            "pty": {"capture": 1},
                        }
                    },
                }
            },
            "resources": [
                {
                    "count": 2,
                    "exclusive": True,
                    "type": "node",
                    "with": [{"count": 1, "label": "task", "type": "slot", "with": [{"count": 1, "type": "core"}]}],
                }
            ],
            "tasks": [
                {
                    "command": ["flux", "broker", "-Sx=1", "-Sbroker.rc2_none=1", "-c{{tmpdir}}/conf.json"],
                    "count": {"per_slot": 1},
                    "slot": "task",
                }
            ],
            "version": 1,
        },
    ),
    "alloc_bad": ("err", "ValueError", "from_alloc() requires nslots or nodes"),
    "ao_addfile": (
        "ok",
        {
            "n1": {"data": "line1\nline2\n", "encoding": "utf-8", "mode": 33152},
            "n2": {"data": "text\n", "encoding": "utf-8", "mode": 33261},
        },
    ),
    "ao_addfile_bad": ("err", "ValueError", "--add-file: file name missing"),
    "ao_addfile_missing": (
        "err",
        "ValueError",
        "--add-file=/no/such/file: [Errno 2] No such file or directory: '/no/such/file'",
    ),
    "ao_basic": (
        "ok",
        {
            "attributes": {
                "system": {
                    "dependencies": [
                        {"scheme": "afterok", "value": "123"},
                        {"scheme": "afterany", "value": "ƒ2", "x": [1, 2]},
                    ],
                    "duration": 5400.0,
                    "foo": 1,
                    "q": 3,
                    "shell": {
                        "options": {
                            "signal": {"signum": 12, "timeleft": 60.0},
                            "taskmap": {"scheme": "cyclic", "value": ""},
                            "verbose": 2,
                        }
                    },
                },
                "user": {"x": "y", "z": 2},
            },
            "resources": [{"count": 1, "label": "task", "type": "slot", "with": [{"count": 1, "type": "core"}]}],
            "tasks": [{"command": ["app", "x"], "count": {"per_slot": 1}, "slot": "task"}],
            "version": 1,
        },
    ),
    "ao_dep_bad": ("err", "ValueError", 'Invalid dependency URI "::"'),
    "ao_env": (
        "ok",
        {
            "duration": 0,
            "environment": {"FOO": "bar", "X": "bar:1"},
            "shell": {"options": {"env-expand": {"Y": "{{rank}}"}}},
        },
    ),
    "ao_env_bad": ("err", "ValueError", "--env: Variable 'NOPE' not found in X=$NOPE"),
    "ao_env_bad2": ("err", "ValueError", "--env: Unable to substitute X=$"),
    "ao_kw_bad": ("err", "TypeError", "apply_options() got unexpected keyword argument(s): 'bogus', 'other'"),
    "ao_ns": (
        "ok",
        {
            "attributes": {
                "system": {
                    "duration": 0,
                    "k": "v",
                    "shell": {"options": {"a": 1, "b": 2, "c": {"x": 1}, "env-expand": {"B": "{{id}}"}}},
                },
                "user": {"u": 1},
            },
            "resources": [{"count": 1, "label": "task", "type": "slot", "with": [{"count": 1, "type": "core"}]}],
            "tasks": [{"command": ["app", "x"], "count": {"per_slot": 1}, "slot": "task"}],
            "version": 1,
        },
    ),
    "ao_req": ("ok", {"and": [{"hostlist": ["a[1-2]"]}, {"ranks": ["0"]}, {"properties": ["x", "y"]}]}),
    "ao_req_bad": ("err", "ValueError", "--requires='a & (b': Unclosed parenthesis in position 4"),
    "ao_rl": ("ok", [["core", -1], ["nofile", 100]]),
    "ao_rl_bad": ("err", "ValueError", 'Invalid rlimit "bogus"'),
    "ao_rl_bad2": ("err", "ValueError", "Invalid value in nofile=x"),
    "ao_rl_bad3": ("err", "ValueError", 'No corresponding rlimit matching "nosuch"'),
    "ao_sig_bad": ("err", "ValueError", "--signal=NOPE@1: signal 'NOPE' is invalid"),
    "ao_sig_bad2": ("err", "ValueError", "--signal=USR1@x: invalid Flux standard duration"),
    "ao_sig_zero": ("err", "ValueError", "--signal=0: signal must be > 0"),
    "ao_tl_bad": ("err", "ValueError", "invalid Flux standard duration"),
    "ao_tm_bad": ("err", "ValueError", 'Invalid taskmap URI ":"'),
    "bad_event": ("err", "ValueError", "event other is not a supported output event type"),
    "batch": (
        "ok",
        {
            "attributes": {
                "system": {
                    "cwd": "CWD",
                    "duration": 0,
                    "files": {
                        "conf.json": {"data": {"a": 1}, "mode": 33152},
                        "script": {"data": "#!/bin/sh\necho hi\n", "encoding": "utf-8", "mode": 33216},
                    },
                    "job": {"name": "batch"},
                    "shell": {
                        "options": {
                            "exit-timeout": "none",
                            "mpi": "none",
                            "output": {"stdout": {"path": "flux-{{id}}.out", "type": "file"}},
                            "per-resource": {"type": "node"},
                        }
                    },
                }
            },
            "resources": [{"count": 2, "label": "task", "type": "slot", "with": [{"count": 1, "type": "core"}]}],
            "tasks": [
                {
                    "command": ["flux", "broker", "-c{{tmpdir}}/conf.json", "{{tmpdir}}/script"],
                    "count": {"per_slot": 1},
                    "slot": "task",
                }
            ],
            "version": 1,
        },
    ),
    "batch_both": ("err", "TypeError", "from_batch() accepts 'script' or 'content', not both"),
    "batch_noshebang": ("err", "ValueError", "batch does not appear to start with '#!'"),
    "bc_/no/such.toml": ("err", "ValueError", "--conf: [Errno 2] No such file or directory: '/no/such.toml'"),
    "bc_/no/such.yaml": ("err", "ValueError", "--conf: named config '/no/such.yaml' not found"),
    "bc_a.b=1": ("ok", {"a": {"b": 1}}),
    "bc_a.c=x": ("ok", {"a": {"c": "x"}}),
    "bc_bad\n{": ("err", "ValueError", "--conf: failed to parse multiline as TOML or JSON"),
    "bc_get": ("ok", {"c": 1}),
    "bc_nosuchname": ("err", "ValueError", "--conf: named config 'nosuchname' not found"),
    "bc_type": ("err", "TypeError", "failed to set a.b to 2: 'int' object does not support item assignment"),
    "bc_x = 1\n[t]\ny=2\n": ("ok", {"t": {"y": 2}, "x": 1}),
    'bc_{"x": {"y": 1}}\n': ("ok", {"x": {"y": 1}}),
    "dir_basic": (
        "err",
        "ValueError",
        "line 3: sentinel changed from '# flux:' to '#flux:'\n"
        "\n"
        "All directives in a file must use the same sentinel.\n"
        "\n"
        "If you're trying to disable this directive, place a comment\n"
        "character AFTER the sentinel, not in the prefix:\n"
        "\n"
        "  # flux: # --setattr=x='a b'\n"
        "\n"
        "The '#' character comments out the rest of the line, making\n"
        "this directive a no-op while maintaining the same sentinel.",
    ),
    "dir_comment": (
        "err",
        "ValueError",
        "line 2: sentinel changed from '# flux:' to '#   flux:'\n"
        "\n"
        "All directives in a file must use the same sentinel.\n"
        "\n"
        "If you're trying to disable this directive, place a comment\n"
        "character AFTER the sentinel, not in the prefix:\n"
        "\n"
        "  # flux: # -n2\n"
        "\n"
        "The '#' character comments out the rest of the line, making\n"
        "this directive a no-op while maintaining the same sentinel.",
    ),
    "dir_inline3": (
        "ok",
        [["SETARGS", ['--setattr=x=a "b" c'], 1, "SETARGS(['--setattr=x=a \"b\" c'])"], True, "# flux:", "# "],
    ),
    "dir_multi": (
        "ok",
        [
            [
                "SETARGS",
                ["--conf=[resource]\nnoverify = true\n"],
                2,
                "SETARGS(['--conf=[resource]\\nnoverify = true\\n'])",
            ],
            ["SETARGS", ["-N1"], 6, "SETARGS(['-N1'])"],
            True,
            "# flux:",
            "# ",
        ],
    ),
    "dir_py": ("ok", [["SETARGS", ["-N2"], 3, "SETARGS(['-N2'])"], True, "flux:", ""]),
    "dir_quote": ("err", "ValueError", "line 1:  --x='unterminated: No closing quotation"),
    "dir_sentinel": (
        "err",
        "ValueError",
        "line 3: sentinel changed from '# flux:' to '## flux:'\n"
        "\n"
        "All directives in a file must use the same sentinel.\n"
        "\n"
        "If you're trying to disable this directive, place a comment\n"
        "character AFTER the sentinel, not in the prefix:\n"
        "\n"
        "  # flux: # -n1\n"
        "\n"
        "The '#' character comments out the rest of the line, making\n"
        "this directive a no-op while maintaining the same sentinel.",
    ),
    "dir_unclosed3": ("err", "ValueError", 'line 1: unclosed triple quote: --x="""abc'),
    "dir_unknown": ("err", "ValueError", "line 1: Unknown directive:  foo"),
    "dir_unterm": ("err", "ValueError", 'line 2: unterminated multi-line quote at line 1: `--x="""\''),
    "exc_in_log": ("err", "AttributeError", "'JobExceptionEvent' object has no attribute 'rank'"),
    "exc_render": ("ok", "job.exception: type=cancel severity=0 bye"),
    "fd": ("ok", {"B": 3}),
    "fd_re": ("ok", {"A1": 1}),
    "je_sent": ("ok", ["-1: End of historical data stream", True]),
    "je_str": ("ok", "ƒNH: 2.50000 submit {\"a\":1} jobspec={'x': 1}"),
    "je_str2": ("ok", "ƒNH: 2.50000 alloc R={'r': 1}"),
    "jeb": ("ok", ['3.00000 x {"b":2}', True]),
    "kv_a": ("ok", ["a", 1]),
    "kv_a=": ("ok", ["a", ""]),
    "kv_a=1": ("ok", ["a", 1]),
    "kv_a=b=c": ("ok", ["a", "b=c"]),
    "kv_a=x": ("ok", ["a", "x"]),
    'kv_a={"b":[1]}': ("ok", ["a", {"b": [1]}]),
    "log_render": ("ok", "flux-shell[0]: ERROR: f:2: m"),
    "ls": ("ok", ["a", "b", "c"]),
    "nc": ("ok", {"a": 1}),
    "out_all": ("ok", ["a\nb\nr\nr\n", "err\nflux-shell[0]:  WARN: comp: warnedflux-shell[1]: DEBUG: dbg", ""]),
    "out_label": (
        "ok",
        ["0-1: r\n0-1: r\n", "1: err\nflux-shell[0]:  WARN: comp: warned", "flux-shell[1]: DEBUG: dbg"],
    ),
    "out_quiet": ("ok", ["a\nb\nr\nr\n", "", "flux-shell[0]:  WARN: comp: warnedflux-shell[1]: DEBUG: dbg"]),
    "pb": ("ok", ["3/10 │███████▉                  │  30.0%", 1, "a=1 b=c"]),
    "perres": (
        "ok",
        {
            "attributes": {
                "system": {"duration": 0, "shell": {"options": {"per-resource": {"count": 2, "type": "node"}}}}
            },
            "resources": [
                {
                    "count": 2,
                    "type": "node",
                    "with": [
                        {
                            "count": 1,
                            "label": "task",
                            "type": "slot",
                            "with": [{"count": 2, "type": "core"}, {"count": 1, "type": "gpu"}],
                        }
                    ],
                }
            ],
            "tasks": [{"command": ["a"], "count": {"per_slot": 1}, "slot": "task"}],
            "version": 1,
        },
    ),
    "perres_bad0": ("err", "ValueError", "must specify a per_resource_count with per_resource_type"),
    "perres_bad1": ("err", "ValueError", "must specify a per_resource_type with per_resource_count"),
    "perres_bad2": ("err", "ValueError", "number of cores must be evenly divisible by node count"),
    "perres_bad3": ("err", "ValueError", "number of cores cannot be less than nnodes"),
    "perres_bad4": ("err", "ValueError", "Specifying nnodes also requires ncores or exclusive"),
    "perres_bad5": ("err", "ValueError", "must specify node or core count with per_resource"),
    "perres_bad6": ("err", "ValueError", "Invalid per_resource_type='gpu' specified"),
    "perres_bad7": ("err", "ValueError", "exclusive can only be set with a node count"),
    "perres_bad8": ("err", "ValueError", "gpus_per_node must be specified with nnodes"),
    "redirect_bad": ("err", "ValueError", "event {self.name} is not a redirect event"),
    "sig_15": ("ok", 15),
    "sig_9": ("ok", 9),
    "sig_NOPE": ("err", "ValueError", "signal 'NOPE' is invalid"),
    "sig_SIGTERM": ("ok", 15),
    "sig_USR1": ("ok", 10),
    "sigopt_@": ("ok", {"signum": 10, "timeleft": 60}),
    "sigopt_@30s": ("ok", {"signum": 10, "timeleft": 30.0}),
    "sigopt_HUP@2m": ("ok", {"signum": 1, "timeleft": 120.0}),
    "sigopt_None": ("ok", {"signum": 10, "timeleft": 60}),
    "sigopt_TERM": ("ok", {"signum": 15, "timeleft": 60}),
    "submit": (
        "ok",
        {
            "attributes": {
                "system": {
                    "duration": 0,
                    "job": {"name": "n"},
                    "queue": "q",
                    "shell": {"options": {"output": {"stdout": {"label": True, "path": "o", "type": "file"}}, "s": 1}},
                }
            },
            "resources": [
                {
                    "count": 2,
                    "type": "node",
                    "with": [{"count": 2, "label": "task", "type": "slot", "with": [{"count": 2, "type": "core"}]}],
                }
            ],
            "tasks": [{"command": ["a"], "count": {"per_slot": 1}, "slot": "task"}],
            "version": 1,
        },
    ),
    "uri_:x": ("err", "ValueError", 'Invalid dependency URI ":x"'),
    "uri_a:": ("ok", {"scheme": "a", "value": ""}),
    "uri_after:1": ("ok", {"scheme": "after", "value": "1"}),
    "uri_afterok:123": ("ok", {"scheme": "afterok", "value": "123"}),
    "uri_begin-time:@now?x=1.5&y=a": ("ok", {"scheme": "begin-time", "value": "@now", "x": 1.5, "y": "a"}),
    "uri_singleton": ("ok", {"scheme": "singleton", "value": ""}),
}


# More scripts, parsed by flux-core 0.88's DirectiveParser: directives, then sentinel and prefix,
# or the exception.
MORE_SCRIPTS = {
    "clean": (
        "#!/bin/sh\n# flux: -N2 --queue=debug\n# flux: --setattr=x='a b'\n#\n"
        "# flux: -n1 # trailing comment\n\necho hi\n"
    ),
    "orphan": "#!/bin/sh\n# flux: -N2\necho hi\n# flux: -n4\n",
    "blank_then": "# flux: -N2\n\n# flux: -n4\n",
    "prefix_line": "# flux: -N2\n# just a comment\n# flux: -n4\n",
    "improper": '# flux: --x="""\n# flux: a"""b\n# flux: """\n',
    "mixed": "# flux: --x='''\n# flux: has \"\"\" inside\n# flux: '''\n",
    "indent": '# flux: --conf="""\n# flux:   [a]\n# flux:   b = 1\n# flux:   """\n',
    "noop": "# flux:\n# flux: # only a comment\n",
    "dquote": '# flux: --setattr=x="a \\"b\\" c"\n',
    "squote_esc": "# flux: --setattr=x='it\\'s'\n",
    "empty": "",
    "nodirs": "#!/bin/sh\necho\n",
}

MORE_EXPECTED: Dict[str, Any] = {
    "blank_then": [
        ["SETARGS", ["-N2"], 1, "SETARGS(['-N2'])"],
        ["SETARGS", ["-n4"], 3, "SETARGS(['-n4'])"],
        "# flux:",
        "# ",
    ],
    "clean": [
        ["SETARGS", ["-N2", "--queue=debug"], 2, "SETARGS(['-N2', '--queue=debug'])"],
        ["SETARGS", ["--setattr=x=a b"], 3, "SETARGS(['--setattr=x=a b'])"],
        ["SETARGS", ["-n1"], 5, "SETARGS(['-n1'])"],
        "# flux:",
        "# ",
    ],
    "dquote": [["SETARGS", ['--setattr=x=a "b" c'], 1, "SETARGS(['--setattr=x=a \"b\" c'])"], "# flux:", "# "],
    "empty": [None, None],
    "improper": ["ValueError", 'line 2: unclosed triple quote: a"""b'],
    "indent": [
        ["SETARGS", ["--conf=  [a]\n  b = 1\n  "], 1, "SETARGS(['--conf=  [a]\\n  b = 1\\n  '])"],
        "# flux:",
        "# ",
    ],
    "mixed": ["ValueError", 'line 2: unclosed triple quote: has """ inside'],
    "nodirs": [None, None],
    "noop": [["NOOP", [], 2, "NOOP([])"], "# flux:", "# "],
    "orphan": ["ValueError", "line 4: orphan 'flux:' detected: directives disabled after line 2"],
    "prefix_line": [
        ["SETARGS", ["-N2"], 1, "SETARGS(['-N2'])"],
        ["SETARGS", ["-n4"], 3, "SETARGS(['-n4'])"],
        "# flux:",
        "# ",
    ],
    "squote_esc": [["SETARGS", ["--setattr=x=it's"], 1, 'SETARGS(["--setattr=x=it\'s"])'], "# flux:", "# "],
}


@pytest.mark.parametrize("name", sorted(MORE_SCRIPTS))
def test_directives_as_flux_core(name: str) -> None:
    try:
        parser = DirectiveParser(io.StringIO(MORE_SCRIPTS[name]))
    except ValueError as exc:
        got: Any = ["ValueError", str(exc)]
    else:
        got = [[d.action, d.args, d.lineno, str(d)] for d in parser.directives] + [parser.sentinel, parser.prefix]
    assert got == MORE_EXPECTED[name]
