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


_ESCAPES = set('"\\/bfnrtu')
_HEX = set("0123456789abcdefABCDEF")


class _Lexer:
    """jansson's lexer, far enough to word a syntax error as it does: each
    token's text as read ("saved text"), a lexing error stopping at once."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.token, self.saved = "", ""

    def scan(self) -> str:
        text, i = self.text, self.pos
        while i < len(text) and text[i] in " \t\n\r":
            i += 1
        start = i
        if i >= len(text):
            self.pos, self.token, self.saved = i, "eof", ""
            return self.token
        c = text[i]
        if c in "{}[]:,":
            self.pos, self.token, self.saved = i + 1, c, c
        elif c == '"':
            self._string(start)
        elif c == "-" or c.isdigit():
            self._number(start)
        elif c.isascii() and c.isalpha():
            while i < len(text) and text[i].isascii() and text[i].isalpha():
                i += 1
            word = text[start:i]
            self.pos, self.saved = i, word
            self.token = "value" if word in ("true", "false", "null") else "invalid"
        else:
            self.pos, self.token, self.saved = i + 1, "invalid", c
        return self.token

    def _string(self, start: int) -> None:
        text, i = self.text, start + 1
        while True:
            if i >= len(text):
                raise _near("premature end of input", text[start:i])
            c = text[i]
            if c == '"':
                self.pos, self.token, self.saved = i + 1, "string", text[start : i + 1]
                return
            if ord(c) < 0x20:
                raise _near(f"control character 0x{ord(c):x}", text[start:i])
            if c == "\\":
                nxt = text[i + 1 : i + 2]
                if nxt not in _ESCAPES or not nxt:
                    raise _near("invalid escape", text[start : i + 2])
                if nxt == "u":
                    digits = text[i + 2 : i + 6]
                    if len(digits) < 4 or not set(digits) <= _HEX:
                        bad = next((k for k, d in enumerate(digits) if d not in _HEX), len(digits))
                        raise _near("invalid escape", text[start : i + 3 + bad])
                    i += 4
                i += 2
                continue
            i += 1

    def _number(self, start: int) -> None:
        text, i = self.text, start

        def digits(k: int) -> int:
            while k < len(text) and text[k].isdigit():
                k += 1
            return k

        def stop(k: int) -> None:  # the character at k ends an invalid number
            self.pos, self.token, self.saved = k, "invalid", text[start:k]

        if text[i] == "-":
            i += 1
        if i < len(text) and text[i] == "0":
            i += 1
            if i < len(text) and text[i].isdigit():
                return stop(i)
        elif i < len(text) and text[i].isdigit():
            i = digits(i)
        else:
            return stop(i)
        if i < len(text) and text[i] == ".":
            if not text[i + 1 : i + 2].isdigit():
                return stop(i + 1)
            i = digits(i + 1)
        if i < len(text) and text[i] in "eE":
            i += 1
            if i < len(text) and text[i] in "+-":
                i += 1
            if not text[i : i + 1].isdigit():
                return stop(i)
            i = digits(i)
        self.pos, self.token, self.saved = i, "value", text[start:i]
        return None

    def fail(self, message: str) -> JanssonError:
        return _near(message, self.saved) if self.saved else JanssonError(f"{message} near end of file")


def _syntax_error(text: str) -> JanssonError:
    """The first error jansson's parser (flags 0) reports in ``text``."""
    lex = _Lexer(text)

    def value() -> None:
        if lex.token == "{":
            if lex.scan() == "}":
                return
            while True:
                if lex.token != "string":
                    raise lex.fail("string or '}' expected")
                if lex.scan() != ":":
                    raise lex.fail("':' expected")
                lex.scan()
                value()
                if lex.scan() == "}":
                    return
                if lex.token != ",":
                    raise lex.fail("'}' expected")
                lex.scan()
        elif lex.token == "[":
            if lex.scan() == "]":
                return
            while True:
                value()
                if lex.scan() == "]":
                    return
                if lex.token != ",":
                    raise lex.fail("']' expected")
                lex.scan()
        elif lex.token == "invalid":
            raise lex.fail("invalid token")
        elif lex.token not in ("string", "value"):
            raise lex.fail("unexpected token")

    if lex.scan() not in "[{" or lex.token == "":
        raise lex.fail("'[' or '{' expected")
    value()
    if lex.scan() != "eof":
        raise lex.fail("end of file expected")
    return JanssonError("invalid JSON")  # not reached when Python's json refused the text


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
    except ValueError:
        try:
            raise _syntax_error(text) from None
        except RecursionError:  # deeper than Python goes: the caller's concern
            raise RecursionError("jobspec nesting") from None
