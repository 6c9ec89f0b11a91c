"""Field parsing for PMI-1 request lines, with the quirks of flux-core's parser.

A request is ``key=value`` words separated by white space.  flux-core finds a
field by searching for ``key=`` at the start of the line or after white space
anywhere in it, and its rules are what MPI clients have been tested against,
so they are kept here exactly:

* a command matches by prefix (``cmd=getfoo`` is ``get``), so the order in
  which the server tests commands matters;
* numbers are read as C's ``strtoul`` reads them (leading space and a sign
  allowed, an empty number is 0, a negative one is out of range);
* a word ends at white space and must be shorter than its buffer
  (:data:`LEN_EXCEEDED` otherwise); a string value runs to the end of the line.

Everything works on bytes: the wire carries no encoding.
"""

from __future__ import annotations

from typing import Final, Union

# C's isspace() in the C locale
_SPACE: Final = frozenset(b" \t\n\v\f\r")
_UINT_MAX: Final = 2**32 - 1
_ULONG_MAX: Final = 2**64 - 1


class _LenExceeded:
    """The value does not fit its buffer (libpmi's EKV_VAL_LEN)."""

    def __repr__(self) -> str:
        return "LEN_EXCEEDED"


LEN_EXCEEDED: Final = _LenExceeded()
Parsed = Union[bytes, None, _LenExceeded]


def _value_at(line: bytes, key: bytes) -> int | None:
    """Offset just past ``key=`` where ``key`` starts the line or follows white space."""
    start = 0
    while True:
        at = line.find(key, start)
        if at < 0:
            return None
        after = at + len(key)
        if after < len(line) and line[after] == 0x3D and (at == 0 or line[at - 1] in _SPACE):
            return after + 1
        start = at + 1


def is_word(line: bytes, key: bytes, match: bytes) -> bool:
    """Whether the value of ``key`` starts with ``match``."""
    at = _value_at(line, key)
    return at is not None and line.startswith(match, at)


def parse_uint(line: bytes, key: bytes) -> int | None:
    """The unsigned int value of ``key``; None if absent or not a valid number."""
    at = _value_at(line, key)
    if at is None:
        return None
    pos = at
    while pos < len(line) and line[pos] in _SPACE:
        pos += 1
    negative = False
    if pos < len(line) and line[pos] in b"+-":
        negative = line[pos] == 0x2D
        pos += 1
    digits_start = pos
    while pos < len(line) and 0x30 <= line[pos] <= 0x39:
        pos += 1
    if pos == digits_start:
        # strtoul read nothing: the value is 0 and parsing resumes where it began
        value, end = 0, at
    else:
        value, end = int(line[digits_start:pos]), pos
        if value > _ULONG_MAX:
            return None  # ERANGE
        if negative:
            value = (_ULONG_MAX + 1 - value) % (_ULONG_MAX + 1)
    if end < len(line) and line[end] not in _SPACE:
        return None
    if value > _UINT_MAX:
        return None
    return value


def parse_word(line: bytes, key: bytes, size: int) -> Parsed:
    """The value of ``key`` up to white space; it must hold fewer than ``size`` bytes."""
    at = _value_at(line, key)
    if at is None:
        return None
    end = at
    while end < len(line) and line[end] not in _SPACE:
        end += 1
    if end - at >= size:
        return LEN_EXCEEDED
    return line[at:end]


def parse_string(line: bytes, key: bytes, size: int) -> Parsed:
    """The value of ``key`` up to the end of the line (spaces included); fewer
    than ``size`` bytes."""
    at = _value_at(line, key)
    if at is None:
        return None
    end = line.find(b"\n", at)
    if end < 0:
        end = len(line)
    if end - at >= size:
        return LEN_EXCEEDED
    value = line[at:end]
    # flux-core drops this suffix, which mpiexec.hydra of MPICH 4.1.1/4.2.0
    # appends to values by mistake (flux-core#6072)
    if key == b"value" and value.endswith(b" found=TRUE"):
        value = value[: -len(b" found=TRUE")]
    return value
