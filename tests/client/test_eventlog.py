"""flux.eventlog: EventLogEvent and EventLogFormatter output, recorded from flux-core's bindings (TZ=UTC)."""

from __future__ import annotations

import importlib
from typing import List

import pytest

from .conftest import flux  # noqa: F401 - puts the package on sys.path

eventlog = importlib.import_module("flux.eventlog")

EVENTS = [
    {
        "timestamp": 1700000000.123456,
        "name": "submit",
        "context": {"userid": 1, "urgency": 16, "flags": 0, "version": 1},
    },
    {
        "timestamp": 1700000000.5,
        "name": "exception",
        "context": {"type": "cancel", "severity": 0, "note": "x y", "f": 1.5, "l": [1], "n": None},
    },
    '{"timestamp": 1700000075.25, "name": "clean"}',
    {"timestamp": 1700000076.0, "name": "memo", "context": {}},
]
CONTEXT = 'type="cancel" severity=0 note="x y" f=1.5 l=[1] n=null'
EXPECTED = {
    ("text", "iso"): [
        "2023-11-14T22:13:20.123456Z submit userid=1 urgency=16 flags=0 version=1",
        f"2023-11-14T22:13:20.500000Z exception {CONTEXT}",
        "2023-11-14T22:14:35.250000Z clean",
        "2023-11-14T22:14:36.000000Z memo",
    ],
    ("text", "human"): [
        "[Nov14 22:13] submit userid=1 urgency=16 flags=0 version=1",
        f"[  +0.376544] exception {CONTEXT}",
        "[Nov14 22:14] clean",
        "[  +0.750000] memo",
    ],
    ("text", "offset"): [
        "       0.000000 submit userid=1 urgency=16 flags=0 version=1",
        f"       0.376544 exception {CONTEXT}",
        "      75.126544 clean",
        "      75.876544 memo",
    ],
    ("json", "raw"): [
        '{"timestamp":1700000000.123456,"name":"submit","context":{"userid":1,"urgency":16,"flags":0,"version":1}}',
        '{"timestamp":1700000000.5,"name":"exception","context":{"type":"cancel","severity":0,"note":"x y",'
        '"f":1.5,"l":[1],"n":null}}',
        '{"timestamp":1700000075.25,"name":"clean"}',
        '{"timestamp":1700000076.0,"name":"memo"}',
    ],
}


@pytest.mark.parametrize("fmt,stamps", list(EXPECTED))
def test_formats(fmt: str, stamps: str, utc: None) -> None:
    formatter = eventlog.EventLogFormatter(format=fmt, timestamp_format=stamps, color="never")
    lines: List[str] = [formatter.format(event) for event in EVENTS]
    assert lines == EXPECTED[(fmt, stamps)]


def test_color() -> None:
    formatter = eventlog.EventLogFormatter(color="always")
    assert formatter.format(EVENTS[0]) == (
        "\x1b[32m1700000000.123456\x1b[0m \x1b[33msubmit\x1b[0m \x1b[34muserid\x1b[0m=\x1b[37m1\x1b[0m "
        "\x1b[34murgency\x1b[0m=\x1b[37m16\x1b[0m \x1b[34mflags\x1b[0m=\x1b[37m0\x1b[0m "
        "\x1b[34mversion\x1b[0m=\x1b[37m1\x1b[0m"
    )
    assert formatter.format(EVENTS[1]).startswith("\x1b[32m1700000000.500000\x1b[0m \x1b[1m\x1b[31mexception\x1b[0m")
    reltime = eventlog.EventLogFormatter(timestamp_format="reltime", color="never")
    assert reltime.timestamp_format == "human"


@pytest.mark.parametrize(
    "kwargs,text",
    [
        ({"format": "x"}, "Invalid entry_fmt: x"),
        ({"timestamp_format": "x"}, "Invalid timestamp_fmt: x"),
        ({"color": "x"}, "Invalid color: x"),
    ],
)
def test_invalid_arguments(kwargs: dict, text: str) -> None:
    with pytest.raises(ValueError) as info:
        eventlog.EventLogFormatter(**kwargs)
    assert str(info.value) == text


def test_event() -> None:
    event = eventlog.EventLogEvent(EVENTS[1])
    assert str(event) == (
        "1700000000.50000: exception {'type': 'cancel', 'severity': 0, 'note': 'x y', 'f': 1.5, 'l': [1], 'n': None}"
    )
    assert event.context_string == '{"f":1.5,"l":[1],"n":null,"note":"x y","severity":0,"type":"cancel"}'
    assert eventlog.EventLogEvent('{"timestamp": 1, "name": "x"}').context_string == ""
