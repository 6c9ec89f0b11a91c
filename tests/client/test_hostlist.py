"""flux.hostlist: RFC 29 parsing, encoding, sort/uniq, find/delete as libhostlist does them.

Every expected value here was recorded from flux-core's real bindings (v0.88.0-59).
"""

from __future__ import annotations

import errno
import importlib
from typing import Any, List, Tuple

import pytest

from .conftest import flux  # noqa: F401 - puts the package on sys.path

hostlist = importlib.import_module("flux.hostlist")
idset = importlib.import_module("flux.idset")
Hostlist = hostlist.Hostlist

# (input, str() after decode, len, str() after sort(), (str, len) after uniq())
DECODE: List[Tuple[str, str, int, str, Tuple[str, int]]] = [
    ("", "", 0, "", ("", 0)),
    ("foo0,foo1", "foo[0-1]", 2, "foo[0-1]", ("foo[0-1]", 2)),
    ("foo[00-10]", "foo[00-10]", 11, "foo[00-10]", ("foo[00-10]", 11)),
    ("foo[8-9],foo10", "foo[8-10]", 3, "foo[8-10]", ("foo[8-10]", 3)),
    ("foo[1-2]bar", "foo1bar,foo2bar", 2, "foo1bar,foo2bar", ("foo1bar,foo2bar", 2)),
    ("foo[5x-7]", "foo[05-07]", 3, "foo[05-07]", ("foo[05-07]", 3)),
    ("foo[5-]", "foo5", 1, "foo5", ("foo5", 1)),
    ("foo[ 1, 2]", "foo[01-02]", 2, "foo[01-02]", ("foo[01-02]", 2)),
    ("foo[1-3,1-5]", "foo[1-3,1-5]", 8, "foo[1,1-2,2-3,3-5]", ("foo[1-5]", 5)),
    ("foo1,foo01,foo001", "foo[1,01,001]", 3, "foo[1,01,001]", ("foo[1,01,001]", 3)),
    ("a,b,c,a", "a,b,c,a", 4, "a,a,b,c", ("a,b,c", 3)),
    ("foo99999999999999999999999", "", 0, "", ("", 0)),
    ("foo[9-11],foo012", "foo[9-11,012]", 4, "foo[9-11,012]", ("foo[9-11,012]", 4)),
    ("[1-2]", "[1-2]", 2, "[1-2]", ("[1-2]", 2)),
    ("a b\tc", "a,b,c", 3, "a,b,c", ("a,b,c", 3)),
    ("n\u0663,n\u0664", "n\u0663,n\u0664", 2, "n\u0663,n\u0664", ("n\u0663,n\u0664", 2)),  # not ASCII digits
    ("\u00fc1,\u00fc2", "\u00fc[1-2]", 2, "\u00fc[1-2]", ("\u00fc[1-2]", 2)),
    ("foo[1-2]]", "foo1],foo2]", 2, "foo1],foo2]", ("foo1],foo2]", 2)),
    (
        "foo[1-7,1-7,1-7]",
        "foo[1-7,1-7,1-7]",
        21,
        "foo[1,1,1-2,2,2-3,3,3-4,4,4-5,5,5-6,6,6-7,7,7]",
        ("foo[1-7]", 7),
    ),
    (
        "bar,foo[1-3],bar,foo[2-5],foo1,b1,b",
        "bar,foo[1-3],bar,foo[2-5,1],b1,b",
        12,
        "b,b1,bar,bar,foo[1,1-2,2-3,3-5]",
        ("b,b1,bar,foo[1-5]", 8),
    ),
    (
        "n[1-3],n[2-4],n[10-12],n[009-011]",
        "n[1-3,2-4,10-12,009-011]",
        12,
        "n[1-2,2-3,3-4,10-12,009-011]",
        ("n[1-4,10-12,009-011]", 10),
    ),
    ("host-[1-3]-x", "host-1-x,host-2-x,host-3-x", 3, "host-1-x,host-2-x,host-3-x", ("host-1-x,host-2-x,host-3-x", 3)),
]


@pytest.mark.parametrize("text,encoded,count,sorted_,uniq", DECODE)
def test_decode_encode_sort_uniq(text: str, encoded: str, count: int, sorted_: str, uniq: Tuple[str, int]) -> None:
    hl = Hostlist(text)
    assert (str(hl), len(hl), hl.count()) == (encoded, count, count)
    assert repr(hl) == f"Hostlist('{encoded}')"
    assert str(hl.copy().sort()) == sorted_
    unique = hl.copy().uniq()
    assert (str(unique), len(unique)) == uniq
    assert str(hl) == encoded  # copies are independent


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "foo[]",
        "foo[",
        "foo[1,3",
        "foo[[1,3]",
        "foo]",
        "foo[x-y]",
        "foo[0-1,2--5]",
        "foo[3-1]",
        "foo[0-1048576]",
        "foo[1,,2]",
        "foo[-1]",
    ],
)
def test_invalid_decode(text: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid hostlist: '.*'$"):
        Hostlist(text)


@pytest.mark.parametrize("arg", [42, 1.0, b"foo", ["foo", 42]])
def test_decode_type_errors(arg: Any) -> None:
    with pytest.raises(TypeError, match="^Hostlist\\(\\): expected string or Iterable, got <class '(int|float)'>$"):
        hostlist.decode(arg)


def test_iterables_and_append() -> None:
    assert str(hostlist.decode(["foo1", "foo2"])) == "foo[1-2]"
    hl = Hostlist("")
    assert hl.append("foo[0-3]") == 4
    assert hl.append("foo[7-9]") == 3
    assert hl.append(Hostlist("foo1,bar")) == 2
    hl.append(["bar0", "bar1"])
    assert str(hl) == "foo[0-3,7-9,1],bar,bar[0-1]"
    assert Hostlist("foo[0-9]").append("bar", ["x1", "x2"], Hostlist("foo[10-11]")) == 5


def test_indexing() -> None:
    hl = Hostlist("foo[0-9]")
    assert (hl[0], hl[-1]) == ("foo0", "foo9")
    assert str(hl[2:5]) == "foo[2-4]"
    assert str(hl[::-2]) == "foo[9,7,5,3,1]"
    assert str(hl[[1, 3]]) == "foo[1,3]"
    assert str(hl[idset.IDset("0-1")]) == "foo[0-1]"
    for bad, exc, text in [
        (10, IndexError, "Hostlist index out of range"),
        (-11, IndexError, "Hostlist index out of range"),
        ("a", TypeError, "Invalid Hostlist index 'a'"),
        ((1, "x"), TypeError, "Invalid Hostlist index 'x'"),
        (1.5, TypeError, "Hostlist index must be integer or slice"),
    ]:
        with pytest.raises(exc) as info:
            hl[bad]
        assert str(info.value) == text
    assert list(hl) == hl.expand() == [f"foo{i}" for i in range(10)]


@pytest.mark.parametrize(
    "text,host,position",
    [
        ("foo[00-10]", "foo01", 1),
        ("foo[00-10]", "foo10", 10),
        ("foo1,foo01,foo001", "foo01", 1),
        ("foo1,foo01,foo001", "foo001", 2),
        ("f00[1-2]", "f001", 0),
        ("n[1-3],n[2-4],n[10-12],n[009-011]", "n010", 10),
        ("n[1-3],n[2-4],n[10-12],n[009-011]", "n10", 6),
    ],
)
def test_find(text: str, host: str, position: int) -> None:
    assert Hostlist(text).find(host) == position
    assert host in Hostlist(text)


def test_find_errors() -> None:
    hl = Hostlist("foo[0-3]")
    with pytest.raises(FileNotFoundError) as info:
        hl.find("foo4")
    assert (info.value.errno, info.value.strerror) == (errno.ENOENT, "ENOENT: No such file or directory")
    assert "foo" not in hl
    with pytest.raises(OSError) as bad:
        "a,b" in hl  # noqa: B015 - the membership test itself raises
    assert (bad.value.errno, bad.value.strerror) == (errno.EINVAL, "EINVAL: Invalid argument")


@pytest.mark.parametrize(
    "text,hosts,result",
    [
        ("foo[0-10]", "foo1,foo3", (2, "foo[0,2,4-10]", 9)),
        ("foo[1-3,1-5]", "foo[1-3]", (3, "foo[1-5]", 5)),
        ("foo[1-3,1-5]", "foo1", (1, "foo[2-3,1-5]", 7)),
        ("a,b,c,a", "a", (1, "b,c,a", 3)),
        ("n[1-3],n[2-4],n[10-12],n[009-011]", "n[2-3]", (2, "n[1,2-4,10-12,009-011]", 10)),
        ("a,b,c,a", "n[1]]", (-1, "a,b,c,a", 4)),  # libhostlist counts an unparsable host as -1
    ],
)
def test_delete(text: str, hosts: str, result: Tuple[int, str, int]) -> None:
    hl = Hostlist(text)
    assert (hl.delete(hosts), str(hl), len(hl)) == result


def test_delete_invalid() -> None:
    with pytest.raises(OSError) as info:
        Hostlist("foo1").delete("foo[")
    assert info.value.errno == errno.EINVAL


def test_index_method() -> None:
    hl = Hostlist("foo[0-10]")
    assert hl.index("foo[1,5,7]") == [1, 5, 7]
    assert hl.index("foo[9-11]", ignore_nomatch=True) == [9, 10]
    with pytest.raises(FileNotFoundError, match=r"^hosts 'foo\[11-12\]' not found$"):
        hl.index("foo[9-12]")
    with pytest.raises(FileNotFoundError, match=r"^host 'foo20' not found$"):
        hl.index("foo20")
