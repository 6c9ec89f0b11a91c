"""flux.idset: RFC 22 decoding/encoding, set operations and errors as libidset gives them.

Every expected value here was recorded from flux-core's real bindings (v0.88.0-59).
"""

from __future__ import annotations

import errno
import importlib
from typing import Any, Tuple

import pytest

from .conftest import flux  # noqa: F401 - puts the package on sys.path

idset = importlib.import_module("flux.idset")
IDset = idset.IDset


def test_constants() -> None:
    assert (idset.IDSET_FLAG_RANGE, idset.IDSET_FLAG_BRACKETS, idset.IDSET_INVALID_ID) == (4, 2, 4294967294)


# (input, str, len, encode(0), encode(BRACKETS), encode(RANGE|BRACKETS))
DECODE = [
    ("", "", 0, "", "", ""),
    ("[]", "", 0, "", "", ""),
    (",", "", 0, "", "", ""),
    ("[0]", "0", 1, "0", "0", "0"),
    ("[0-3]", "0-3", 4, "0,1,2,3", "[0,1,2,3]", "[0-3]"),
    ("1,,2", "1-2", 2, "1,2", "[1,2]", "[1-2]"),
    ("0-2,5,7-9", "0-2,5,7-9", 7, "0,1,2,5,7,8,9", "[0,1,2,5,7,8,9]", "[0-2,5,7-9]"),
    ("2147483647", "2147483647", 1, "2147483647", "2147483647", "2147483647"),
    ("4294967296", "0", 1, "0", "0", "0"),  # truncated to unsigned int by libidset
]


@pytest.mark.parametrize("text,encoded,count,plain,brackets,both", DECODE)
def test_decode_encode(text: str, encoded: str, count: int, plain: str, brackets: str, both: str) -> None:
    ids = idset.decode(text)
    assert (str(ids), len(ids), ids.count()) == (encoded, count, count)
    assert repr(ids) == f"IDset('{encoded}')"
    assert ids.encode(0) == plain
    assert ids.encode(idset.IDSET_FLAG_BRACKETS) == brackets
    assert ids.encode(idset.IDSET_FLAG_BRACKETS | idset.IDSET_FLAG_RANGE) == both


@pytest.mark.parametrize(
    "text",
    [
        "3,1",
        "01",
        "0-0",
        "1-3,2-4",
        "[1",
        "1]",
        "x",
        " 1",
        "1 ",
        "+1",
        "1-",
        "-1",
        "[[1]]",
        "2147483648",
        "18446744073709551616",
        "\u0663",  # a digit to str.isdigit(), not to libidset
    ],
)
def test_invalid_decode(text: str) -> None:
    with pytest.raises(ValueError) as info:
        IDset(text)
    assert str(info.value) == f"IDset(): Invalid argument: {text}"


def test_bad_encode_flags() -> None:
    with pytest.raises(RuntimeError, match="cannot use string"):
        IDset("1").encode(1)


@pytest.mark.parametrize(
    "arg,expected", [([3, 1, 2], "1-3"), ({5}, "5"), (7, "7"), (["1-3"], "1-3"), (IDset("4"), "4")]
)
def test_constructors(arg: Any, expected: str) -> None:
    assert str(IDset(arg)) == expected


@pytest.mark.parametrize("arg", [1.5, None])
def test_constructor_type_error(arg: Any) -> None:
    with pytest.raises(TypeError, match=r'can only concatenate str \(not "type"\) to str'):
        IDset(arg)


@pytest.mark.parametrize(
    "args,after_set,after_clear",
    [
        ((5,), "0-9", "0-4,6-9"),
        ((2147483647,), "0-9,2147483647", "0-9"),
        ((2147483648,), (errno.ERANGE, "ERANGE: Numerical result out of range"), "0-9"),
        ((4294967294,), (errno.EINVAL, "EINVAL: Invalid argument"), (errno.EINVAL, "EINVAL: Invalid argument")),
        ((3, 3), "0-9", "0-2,4-9"),
        ((1, 2147483648), (errno.ERANGE, "ERANGE: Numerical result out of range"), "0"),
        ((True,), "0-9", "0,2-9"),
    ],
)
def test_set_clear(args: Tuple[int, ...], after_set: Any, after_clear: Any) -> None:
    for method, expected in (("set", after_set), ("clear", after_clear)):
        ids = IDset("0-9")
        if isinstance(expected, str):
            assert str(getattr(ids, method)(*args)) == expected
        else:
            with pytest.raises(OSError) as info:
                getattr(ids, method)(*args)
            assert (info.value.errno, info.value.strerror) == expected


def test_overflow_and_argument_errors() -> None:
    ids = IDset("0-9")
    for call in (ids.set, ids.clear, ids.test, ids.next):
        with pytest.raises(OverflowError, match="does not fit '32-bit unsigned int'"):
            call(2**32)
    with pytest.raises(ValueError, match="^negative index passed to IDset.test$"):
        ids.test(-1)
    with pytest.raises(TypeError, match="^IDset.next supports integers, not <class 'str'>$"):
        ids.next("a")
    with pytest.raises(ValueError, match="^can't set range with 5 > 1$"):
        ids.set(5, 1)
    with pytest.raises(TypeError, match="^IDset setitem must be bool or 0,1 not <class 'int'>$"):
        ids[0] = 7


def test_first_last_next_iteration() -> None:
    ids = IDset("0-9")
    assert (ids.first(), ids.last(), ids.next(5), ids.next(9)) == (0, 9, 6, idset.IDSET_INVALID_ID)
    assert ids.next(4294967295) == 0  # unsigned wrap-around, as libidset
    assert ids.test(4294967295) is False
    empty = IDset()
    assert (empty.first(), empty.last(), empty.next(0)) == (idset.IDSET_INVALID_ID,) * 3
    assert list(IDset("0-3,7")) == [0, 1, 2, 3, 7] == IDset("0-3,7").expand()


def test_indexing_and_equality() -> None:
    ids = IDset("0-9")
    ids[10] = True
    ids[21] = 1
    ids[5] = False
    assert str(ids) == "0-4,6-10,21"
    assert 10 in ids and 5 not in ids
    assert IDset("1") != IDset("2")
    with pytest.raises(TypeError):
        IDset("1") == "1"  # noqa: B015 - the comparison itself raises
    with pytest.raises(TypeError):
        hash(IDset("1"))


def test_set_operations() -> None:
    ids = IDset("0-9")
    assert str(ids.copy().add("10-11").add([20, 21])) == "0-11,20-21"
    assert str(IDset("0-11,20-21").subtract("11-20")) == "0-10,21"
    assert str(IDset("0-10").intersect("0-5", "0-3")) == "0-3"
    assert str(IDset("0-10").union("5-15", "0-3")) == "0-15"
    assert str(IDset("0-10").difference("5-7", "1-3")) == "0,4,8-10"
    assert str(IDset("0-1024") - "500-600") == "0-499,601-1024"
    assert str(IDset("0-1") | "3-4") == str(IDset("0-1") + "3-4") == "0-1,3-4"
    assert str(IDset("0-1") & "1-4") == "1"
    ids -= 5
    ids += [30]
    assert str(ids) == "0-4,6-9,30"
    with pytest.raises(ValueError):
        ids.add("foo")
    with pytest.raises(TypeError):
        ids.subtract(42.0)


def test_largest_universe() -> None:
    """The whole id range is one run, not two billion ids (flux-core: a bitmap)."""
    ids = IDset("0-2147483646")
    assert (len(ids), ids.last(), ids.next(2147483645), 2147483646 in ids) == (2147483647, 2147483646, 2147483646, True)
    assert str(ids - "5-10") == "0-4,11-2147483646"
    assert str(ids.copy().clear(100, 2147483646)) == "0-99"
