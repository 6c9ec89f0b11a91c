"""A jobspec's JSON read as job-ingest reads it (jansson, flags 0): the same
values are accepted and refused, and a refusal carries jansson's text.

jansson differs from Python's json in what it accepts: the top level must be
an object or an array, integers must fit in int64, reals must be finite, and
NaN/Infinity are not JSON.  Its message names the token it stopped at
("... near 'TOKEN'") only when that token is at most 20 characters long."""

from __future__ import annotations

import json
import re
from typing import Any

_NEAR_LIMIT = 20  # jansson's error_set() leaves out longer tokens
_MAX_DEPTH = 2048  # jansson's JSON_PARSER_MAX_DEPTH
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_FIRST_TOKEN = re.compile(r'-?[0-9][0-9.eE+-]*|[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"?|.', re.S)


class JanssonError(ValueError):
    """A refusal, worded as jansson words it."""


def _near(message: str, token: str) -> JanssonError:
    if token and len(token) <= _NEAR_LIMIT:
        return JanssonError(f"{message} near '{token}'")
    return JanssonError(message)


def _int64(text: str) -> int:
    value = int(text)
    if value > 0x7FFFFFFFFFFFFFFF:
        raise _near("too big integer", text)
    if value < -0x8000000000000000:
        raise _near("too big negative integer", text)
    return value


def _real(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _near("real number overflow", text)
    return value


def _constant(name: str) -> Any:
    # jansson's lexer stops at the '-' of -Infinity, at the word otherwise
    raise _near("invalid token", "-" if name.startswith("-") else name)


def _refuse_nul(text: str) -> None:
    """Without JSON_ALLOW_NUL a string holding \\u0000 is refused, naming the
    string as it appears in the text."""
    if "\\u0000" not in text:
        return
    for match in _JSON_STRING.finditer(text):
        token = match.group(0)
        if re.search(r"(?<!\\)(?:\\\\)*\\u0000", token):
            raise _near("\\u0000 is not allowed without JSON_ALLOW_NUL", token)


def _undecodable(data: bytes, exc: UnicodeDecodeError) -> JanssonError:
    """jansson names the string token read so far when a byte is not UTF-8."""
    before = data[: exc.start].decode("utf-8", "replace")
    inside = [m.end() for m in re.finditer(r'(?<!\\)(?:\\\\)*"', before)]
    token = before[inside[-1] - 1 :] if len(inside) % 2 else ""
    return _near(f"unable to decode byte 0x{data[exc.start]:x}", token)


def _check_depth(text: str) -> None:
    """jansson stops at the bracket that opens level 2049 (Python's parser
    would overflow the stack first)."""
    depth = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                raise _near("maximum parsing depth reached", token)
        elif token in "]}":
            depth -= 1


def loads(data: bytes) -> Any:
    """The decoded value, or JanssonError with jansson's text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc) from None
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise JanssonError("'[' or '{' expected near end of file")
    if stripped[0] not in "[{":
        match = _FIRST_TOKEN.match(stripped)
        raise _near("'[' or '{' expected", match.group(0) if match else stripped[0])
    _refuse_nul(text)
    _check_depth(text)
    try:
        return json.loads(text, parse_int=_int64, parse_float=_real, parse_constant=_constant)
    except JanssonError:
        raise
    except ValueError as exc:  # other syntax errors keep Python's wording
        raise JanssonError(str(exc)) from None
