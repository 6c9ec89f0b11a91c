"""flux.util: OutputFormat and friends, durations, parse_datetime, Tree, UtilConfig, argparse helpers.

Expected values were recorded from flux-core's real bindings (v0.88.0-59) with TZ=UTC.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest

from .conftest import (
    client_path,
    flux,  # noqa: F401 - puts the package on sys.path
)

util = importlib.import_module("flux.util")

HEADINGS = {"s": "STRING", "i": "INT", "f": "FLOAT", "d": "DATE", "n": "NAME"}


class Item:
    def __init__(self, s: str = "abc", i: Any = 5, f: Any = 1.5, d: float = 1e9, n: str = "") -> None:
        self.s, self.i, self.f, self.d, self.n = s, i, f, d, n


ITEMS = [Item(), Item("longer-string", 12345, 0.001, 0.0, "nm"), Item("", 0, 2.5, 1.5e9, "")]


def test_import_flux_does_not_load_the_library_modules() -> None:
    """``import flux`` stays cheap: these load only when used, as in flux-core."""
    lazy = [
        "flux._outputformat",
        "flux._cliutil",
        "flux._tree",
        "flux._utilconfig",
        "flux._datetime",
        "flux.hostlist",
        "flux.idset",
        "flux.resource",
        "flux.uri",
        "flux.constraint",
        "argparse",
    ]
    code = f"import sys, flux, flux.util; print([m for m in {lazy!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": client_path()}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# format -> (header, filter(items), [format(item) for item in ITEMS])
FORMATS = {
    "{s:>10} {i:<5d} {f:.2f}": (
        "    STRING INT   FLOAT",
        "{s:>10} {i:<5d} {f:.2f}",
        ["       abc 5     1.50", "longer-string 12345 0.00", "           0     2.50"],
    ),
    "?:{n:>5} {s}": ("?: NAME STRING", "{n:>5} {s}", ["?:      abc", "?:   nm longer-string", "?:      "]),
    "+:{s:5.5} ?+:{n} {i}": (
        "+:STRING ?+:NAME INT",
        "{s:13.13} {n:4} {i}",
        ["+:abc   ?+: 5", "+:longe ?+:nm 12345", "+:      ?+: 0"],
    ),
    "{d!D} {d!d:%H:%M::>8} {d!F}": (
        "DATE     DATE DATE",
        "{d!D} {d!d:%H:%M::>8} {d!F}",
        ["2001-09-09T01:46:40    01:46 1.157e+04d", "          0s", "2017-07-14T02:40:00    02:40 1.736e+04d"],
    ),
    "{f!H} {f!P} {i!F}": (
        "FLOAT FLOAT INT",
        "{f!H} {f!P} {i!F}",
        ["0:00:02 150% 5.000s", "0:00:01 0.10% 3.429h", "0:00:02 250% 0s"],
    ),
    "{s:h} {n:h} {n:>5h}": (
        "STRING NAME  NAME",
        "{s:h} {n:h} {n:>5h}",
        ["abc -     -", "longer-string nm    nm", "- -     -"],
    ),
    "{s:3.3+} {s:20.20+}": (
        "STRING STRING              ",
        "{s:3.3+} {s:20.20+}",
        ["abc abc                 ", "lo+ longer-string       ", "                        "],
    ),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_output_format(fmt: str, utc: None) -> None:
    header, filtered, lines = FORMATS[fmt]
    formatter = util.OutputFormat(fmt, headings=HEADINGS)
    assert formatter.header() == header
    assert [formatter.format(item) for item in ITEMS] == lines
    assert formatter.filter(ITEMS) == filtered


def test_print_items(capsys: pytest.CaptureFixture[str], utc: None) -> None:
    util.OutputFormat("+:{s:5.5} ?+:{n} {i}", headings=HEADINGS).print_items(list(ITEMS), width=30)
    assert (
        capsys.readouterr().out
        == "STRING        NAME INT\nabc                5\nlonger-string nm   12345\n                   0\n"
    )
    util.OutputFormat("{d!D} {d!d:%H:%M::>8} {d!F}", headings=HEADINGS).print_items(list(ITEMS), width=30)
    assert capsys.readouterr().out == (
        "DATE     DATE DATE\n2001-09-09T01:46:40    01:46 +\n          0s\n2017-07-14T02:40:00    02:40 +\n"
    )


def test_output_format_errors() -> None:
    with pytest.raises(ValueError, match="^Unknown format field: bogus$"):
        util.OutputFormat("{bogus}", headings=HEADINGS)
    with pytest.raises(ValueError, match="^Invalid sort key: x$"):
        util.OutputFormat("sort:x {s}", headings=HEADINGS)
    with pytest.raises(KeyError, match="Invalid format field 's' for <class"):
        util.OutputFormat("{s}", headings=HEADINGS, prepend="").format(Item())


def test_sort_prefix_and_copy() -> None:
    fmt = util.OutputFormat("sort:-i,s {s} {i}", headings=HEADINGS)
    assert fmt.get_format() == "sort:-i,s {0.s} {0.i}"
    assert sorted(fmt.fields) == ["i", "s"]
    items = fmt.sort_items([Item("b", 1), Item("a", 1), Item("c", 2)])
    assert [x.s for x in items] == ["c", "a", "b"]
    assert util.OutputFormat("+:{s:5.5} {i:4d}", headings=HEADINGS).copy(nullify_expansion=True).get_format_prepended(
        ""
    ) == ("{s} {i:4d}")


def test_display_value_order() -> None:
    values = sorted([util.DisplayValue(x) for x in [3, "b", None, "1e2", True, "-", 2.5, "a"]])
    assert [v.value for v in values] == [None, "-", True, 2.5, 3, "1e2", "a", "b"]


def test_deduplicator() -> None:
    dedup = util.Deduplicator(
        util.OutputFormat("{s} {i}", headings=HEADINGS),
        except_fields=["i"],
        combine=lambda a, b: setattr(a, "i", a.i + b.i),
    )
    for item in (Item("a", 1), Item("b", 2), Item("a", 3)):
        dedup.append(item)
    assert [(x.s, x.i) for x in dedup] == [("a", 4), ("b", 2)]
    assert [(x.s, x.i) for x in dedup] == [("a", 4), ("b", 2)]  # iterable again


@pytest.mark.parametrize(
    "secs,text",
    [
        (0, "0s"),
        (0.0005, "0s"),
        (0.001, "0.001s"),
        (9.9996, "10.000s"),
        (59.99, "59.99s"),
        (61, "1.017m"),
        (3599, "59.98m"),
        (86399, "24h"),
        (1e9, "1.157e+04d"),
        (float("inf"), "inf"),
    ],
)
def test_fsd(secs: float, text: str) -> None:
    assert util.fsd(secs) == text


@pytest.mark.parametrize(
    "text,secs",
    [("1.5", 1.5), ("2m", 120.0), ("0.5h", 1800.0), ("1ms", 0.001), ("1e3", 1000.0), ("INFINITY", float("inf"))],
)
def test_parse_fsd(text: str, secs: float) -> None:
    assert util.parse_fsd(text) == secs


@pytest.mark.parametrize("text", ["-1", "nan", "1e400", "x", "", "1h ", "ms"])
def test_parse_fsd_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="^invalid Flux standard duration$"):
        util.parse_fsd(text)


# parse_datetime(text, now=2021-06-10 08:00:00, a Thursday), as flux-core (parsedatetime) reads it
DATETIMES = {
    "tomorrow": "2021-06-11 00:00:00",
    "today": "2021-06-10 00:00:00",
    "noon tomorrow": "2021-06-11 12:00:00",
    "last wed": "2021-06-09 00:00:00",
    "next wed": "2021-06-16 00:00:00",
    "next fri": "2021-06-18 00:00:00",
    "last thu": "2021-06-03 00:00:00",
    "wed": "2021-06-16 08:00:00",
    "thu": "2021-06-17 08:00:00",
    "fri": "2021-06-11 08:00:00",
    "next week": "2021-06-17 00:00:00",
    "next month": "2021-07-01 00:00:00",
    "last year": "2020-01-01 00:00:00",
    "this month": "2021-06-30 00:00:00",
    "next hour": "2021-06-10 09:00:00",
    "in 10 min": "2021-06-10 08:10:00",
    "in 1 month": "2021-07-10 08:00:00",
    "a day ago": "2021-06-09 08:00:00",
    "2 weeks": "2021-06-24 08:00:00",
    "5:30pm": "2021-06-10 17:30:00",
    "24:00": "2021-06-10 00:00:00",
    "100": "2021-06-10 01:00:00",
    "6/9": "2022-06-09 08:00:00",
    "2021-06-10": "2021-06-10 08:00:00",
    "10.06.2021": "2021-10-06 08:00:00",
    "june": "2022-06-01 08:00:00",
    "Jun 10, 2021 8am": "2021-06-10 08:00:00",
    "Dec 31 2021 11:59pm": "2021-12-31 23:59:00",
    "sat 9am": "2021-06-12 09:00:00",
    "eom": "2021-06-30 00:00:00",
    "-1.5h": "2021-06-10 06:30:00",
    "5pm midnight": "2021-06-10 17:00:00",
    "2021-06-10T08:00:00": "2021-06-10 20:21:00",  # sic: parsedatetime reads "2021" as 20:21
    "2359-06-10T01:00:00": "2021-06-10 23:59:00",
}


@pytest.mark.parametrize("text", list(DATETIMES))
def test_parse_datetime(text: str, utc: None) -> None:
    now = datetime(2021, 6, 10, 8, 0, 0)
    assert util.parse_datetime(text, now).strftime("%Y-%m-%d %H:%M:%S") == DATETIMES[text]


@pytest.mark.parametrize(
    "text", ["blursday", "6/45/2021", "25:00", "next minute", "thurs", "sept 5", "feb 29", "10", "1999-01-02T03:04:05"]
)
def test_parse_datetime_invalid(text: str) -> None:
    with pytest.raises(ValueError, match=f'^Invalid datetime: "{text}"$'):
        util.parse_datetime(text, datetime(2021, 6, 10, 8))


def test_tree(capsys: pytest.CaptureFixture[str]) -> None:
    tree = util.Tree("root", prefix="P")
    child = tree.append("a")
    child.append("a1")
    child.append("a2").append("deep")
    tree.append("b")
    combined = util.Tree("combined", combine_children=True)
    for label in ("x", "x", "y", "x"):
        combined.append(label)
    tree.render(style="ascii")
    combined.render(style="box", skip_root=True)
    tree.render(style="compact", level=1)
    assert capsys.readouterr().out == (
        "P root\n|-- a\n|   |-- a1\n|   `-- a2\n|       `-- deep\n`-- b\n3*[x]\ny\nP root\n├─a\n└─b\n"
    )


def test_help_formatter_and_actions() -> None:
    parser = argparse.ArgumentParser(prog="x", formatter_class=util.help_formatter())
    parser.add_argument("-a", "--alpha", help="alpha option", metavar="N")
    parser.add_argument("--long-only", action="store_true", help="a flag")
    parser.add_argument("--yn", action=util.YesNoAction)
    parser.add_argument("--set", action=util.TreedictAction, nargs="+")
    helptext = parser.format_help()
    assert "  -a, --alpha=N" in helptext
    assert "      --long-only" in helptext
    args = parser.parse_args(["--yn", "no", "--set", "a.b=1", "a.c=x", 'd={"k":1}'])
    assert args.yn is False
    assert args.set == {"a": {"b": 1, "c": "x"}, "d": {"k": 1}}
    with pytest.raises(ValueError, match="^--yn requires either 'yes' or 'no'$"):
        parser.parse_args(["--yn", "maybe"])


def test_treedicts() -> None:
    assert util.get_treedict({"a": {"b": 1}}, "a.x", 5) == 5
    with pytest.raises(AttributeError):
        util.get_treedict({"a": 1}, "a.b")
    d: dict = {}
    util.set_treedict(d, "a.b.c", 42)
    util.del_treedict(d, "a.b.c", remove_empty=True)
    assert d == {}
    assert util.dict_merge({"a": {"b": 1}}, {"a": {"c": 2}, "e": 3}) == {"a": {"b": 1, "c": 2}, "e": 3}


def test_util_config(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    user, system = tmp_path / "user", tmp_path / "sys"
    (user / "flux").mkdir(parents=True)
    (system / "flux").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(system))
    (system / "flux" / "tool.toml").write_text('[formats.sys]\ndescription = "system"\nformat = "{s}"\n')
    (user / "flux" / "tool.json").write_text('{"formats": {"user": {"format": "{i}"}}, "x": 1}')
    config = util.UtilConfig("tool", initial_dict={"formats": {"default": {"format": "{d}"}}}).load()
    assert json.dumps(config.dict, sort_keys=True) == (
        '{"formats": {"default": {"format": "{d}"}, "sys": {"description": "system", "format": "{s}"}, '
        '"user": {"format": "{i}"}}, "x": 1}'
    )
    assert config.get_format_string("user") == "{i}"
    monkeypatch.setenv("TOOL_FORMAT_DEFAULT", "user")
    assert config.get_format_string("default") == "{i}"
    with pytest.raises(ValueError, match=r"^--format: No such format nope bad \(Did you mean '\{nope\} \{bad\}'\?\)$"):
        config.get_format_string("nope bad")
    (user / "flux" / "tool.json").write_text("{")
    with pytest.raises(ValueError, match="tool.json: Expecting property name"):
        util.UtilConfig("tool").load()


def test_climain_logs_error_and_exits(caplog: pytest.LogCaptureFixture) -> None:
    def main() -> None:
        raise FileNotFoundError(2, "No such file or directory", "/nope")

    with pytest.raises(SystemExit) as info:
        util.CLIMain()(main)
    assert info.value.code == 1
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("ERROR", "No such file or directory: '/nope'")]
