"""RFC 19 FLUIDs: the string forms of a job id (what ``flux_job_id_parse``/``_encode`` do).

A FLUID is 64 bits: a 40-bit millisecond timestamp, a 14-bit generator id and
a 10-bit sequence number.  A parsed id is only valid when its timestamp part
(``id >> 24``) is below 2**40.  Encodings:

* ``dec`` / ``hex``: ``123`` / ``0x7b``;
* ``dothex``: four groups of 16 bits, ``0000.0000.0000.007b``; ``kvs`` is ``job.`` + dothex;
* ``f58``: base58 (Bitcoin alphabet) after the prefix ``ƒ``, or ``f`` when the locale
  is not UTF-8 or ``FLUX_F58_FORCE_ASCII`` is set; ``f58plain`` always uses ``f``;
* ``words``: mnemonicode of the 8 little-endian bytes, ``w-w-w--w-w-w``;
* ``emoji``: base 576 over a fixed table of emoji.

Errors are ``OSError`` with the errno libjob sets (EINVAL, or EPROTO for an
unknown encoding name).
"""

from __future__ import annotations

import errno
import locale
import os
import re
from typing import Dict, List, Optional

from ._alphabets import EMOJIS, MN_WORDS

_MASK64 = (1 << 64) - 1
_TS_SHIFT = 24  # 14 id bits + 10 sequence bits
_TS_LIMIT = 1 << 40

B58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_VALUE: Dict[str, int] = {c: i for i, c in enumerate(B58_DIGITS)}
_B58_MAXLEN = 12
F58_PREFIX = "\u0192"  # ƒ
F58_ASCII_PREFIX = "f"

_MN_BASE = 1626
_MN_INDEX: Dict[str, int] = {w: i for i, w in enumerate(MN_WORDS) if i}
_EMOJI_VALUE: Dict[str, int] = {e: i for i, e in enumerate(EMOJIS)}

_DOTHEX = re.compile(r"([0-9a-fA-F]{1,4})\.([0-9a-fA-F]{1,4})\.([0-9a-fA-F]{1,4})\.([0-9a-fA-F]{1,4})")


def _einval() -> OSError:
    return OSError(errno.EINVAL, os.strerror(errno.EINVAL))


def _utf8_locale() -> bool:
    if os.environ.get("FLUX_F58_FORCE_ASCII") is not None:
        return False
    try:
        codeset = locale.nl_langinfo(locale.CODESET)
    except (AttributeError, ValueError):  # pragma: no cover - platforms without nl_langinfo
        return False
    return codeset.upper().replace("-", "") == "UTF8"


# -- encoders -------------------------------------------------------------------------
def _f58(value: int, prefix: str) -> str:
    digits: List[str] = []
    while True:
        value, rem = divmod(value, 58)
        digits.append(B58_DIGITS[rem])
        if value == 0:
            break
    return prefix + "".join(reversed(digits))


def _dothex(value: int) -> str:
    return ".".join(f"{(value >> shift) & 0xFFFF:04x}" for shift in (48, 32, 16, 0))


def _words(value: int) -> str:
    data = value.to_bytes(8, "little")
    nwords = ((len(data) + 1) * 3) // 4
    words: List[str] = []
    for n in range(nwords):
        offset = (n // 3) * 4
        chunk = data[offset : offset + 4]
        x = int.from_bytes(chunk, "little")
        extra = 0
        if n % 3 == 2:
            if len(chunk) == 3:
                extra = _MN_BASE
            x //= _MN_BASE * _MN_BASE
        elif n % 3 == 1:
            x //= _MN_BASE
        words.append(MN_WORDS[x % _MN_BASE + extra + 1])
    # the default mnemonicode format "x-x-x--": a double dash between groups of three
    groups = ["-".join(words[i : i + 3]) for i in range(0, len(words), 3)]
    return "--".join(groups)


def _emoji(value: int) -> str:
    digits: List[str] = []
    while True:
        value, rem = divmod(value, 576)
        digits.append(EMOJIS[rem])
        if value == 0:
            break
    return "".join(reversed(digits))


def encode(value: int, encoding: Optional[str] = "dec") -> str:
    """``flux_job_id_encode``: the id in the named encoding (case-insensitive)."""
    value &= _MASK64
    kind = "dec" if encoding is None else encoding.lower()
    if kind == "dec":
        return str(value)
    if kind == "hex":
        return f"0x{value:x}"
    if kind == "kvs":
        return "job." + _dothex(value)
    if kind == "dothex":
        return _dothex(value)
    if kind == "words":
        return _words(value)
    if kind == "f58":
        return _f58(value, F58_PREFIX if _utf8_locale() else F58_ASCII_PREFIX)
    if kind == "f58plain":
        return _f58(value, F58_ASCII_PREFIX)
    if kind == "emoji":
        return _emoji(value)
    raise OSError(errno.EPROTO, os.strerror(errno.EPROTO))


# -- decoders -------------------------------------------------------------------------
def _decode_dothex(text: str) -> int:
    m = _DOTHEX.fullmatch(text)
    if m is None:
        raise _einval()
    value = 0
    for group in m.groups():
        value = (value << 16) | int(group, 16)
    return value


def _decode_f58(text: str) -> int:
    if text.startswith(F58_PREFIX):
        digits = text[len(F58_PREFIX) :]
    elif text.startswith(F58_ASCII_PREFIX):
        digits = text[len(F58_ASCII_PREFIX) :]
    else:
        raise _einval()
    if not digits or len(digits.encode("utf-8")) > _B58_MAXLEN:
        raise _einval()
    value = 0
    for ch in digits:
        digit = _B58_VALUE.get(ch)
        if digit is None:
            raise _einval()
        value = (value * 58 + digit) & _MASK64  # libjob's 64-bit arithmetic wraps
    return value


def _mn_tokens(text: str) -> List[int]:
    """Word indexes, stopping at the first unknown word (as mnemonicode's tokenizer)."""
    indexes: List[int] = []
    for word in re.findall(r"[A-Za-z]+", text):
        idx = _MN_INDEX.get(word[:24].lower())
        if idx is None:
            break
        indexes.append(idx)
    return indexes


def _decode_words(text: str) -> int:
    dest = bytearray(8)
    offset = 0
    for index in _mn_tokens(text):
        if index > _MN_BASE and offset % 4 != 2:
            raise _einval()  # unexpected 24-bit remainder word
        if offset >= len(dest):
            raise _einval()  # overrun
        group = offset & ~3
        x = int.from_bytes(dest[group : group + 4], "little")
        index -= 1
        pos = offset % 4
        if pos == 3:
            raise _einval()  # data after a 24-bit remainder
        if pos == 2:
            if index >= _MN_BASE:
                x += (index - _MN_BASE) * _MN_BASE * _MN_BASE
                offset += 1
            else:
                if index >= 1625 or (index == 1624 and x > 1312671):
                    raise _einval()
                x += index * _MN_BASE * _MN_BASE
                offset += 2
        elif pos == 1:
            x += index * _MN_BASE
            offset += 1
        else:
            x = index
            offset += 1
        width = min(4, len(dest) - group)
        dest[group : group + width] = (x & 0xFFFFFFFF).to_bytes(4, "little")[:width]
    # end of input: the last group must not carry more bits than its words encode
    group = offset & ~3
    x = int.from_bytes(dest[group : group + 4], "little")
    if (offset % 4 == 2 and x > 0xFFFF) or (offset % 4 == 1 and x > 0xFF):
        raise _einval()
    if offset != 8:
        raise _einval()
    return int.from_bytes(bytes(dest), "little")


def _is_emoji(text: str) -> bool:
    raw = text.encode("utf-8", "surrogateescape")
    return 4 <= len(raw) <= 28 and len(raw) % 4 == 0 and raw[0] == 0xF0 and raw[1] == 0x9F


def _decode_emoji(text: str) -> int:
    value = 0
    for ch in text:
        digit = _EMOJI_VALUE.get(ch)
        if digit is None:
            raise _einval()
        value = (value * 576 + digit) & _MASK64
    return value


def _strtoull(text: str) -> int:
    """C ``strtoull`` (base 10, or 16 after ``0x``) followed only by whitespace."""
    if text.startswith("0x"):
        m = re.match(r"0x([0-9a-fA-F]*)", text)
        if m is None or not m.group(1):
            # strtoull parses the "0" and stops at "x"
            value, rest = 0, text[1:]
        else:
            value, rest = int(m.group(1), 16), text[m.end() :]
    else:
        m = re.match(r"\+?([0-9]+)", text)
        if m is None:
            raise _einval()
        value, rest = int(m.group(1)), text[m.end() :]
    if value > _MASK64:
        raise OSError(errno.ERANGE, os.strerror(errno.ERANGE))
    if rest.strip(" \t\n\v\f\r"):
        raise _einval()
    return value


def _validate(value: int) -> int:
    if (value >> _TS_SHIFT) >= _TS_LIMIT:
        raise _einval()
    return value


def parse(text: str) -> int:
    """``flux_job_id_parse``: any FLUID string form (and ``job.``+dothex) to an int."""
    if not isinstance(text, str):
        raise TypeError(f"jobid must be a str, not {type(text).__name__}")
    if not text:
        raise _einval()
    s = text.lstrip(" \t\n\v\f\r")
    if s.startswith("job."):
        s = s[4:]
    if not s:
        raise _einval()
    if "." in s:
        return _validate(_decode_dothex(s))
    if "-" in s:
        return _validate(_decode_words(s))
    if s.startswith((F58_PREFIX, F58_ASCII_PREFIX)):
        return _validate(_decode_f58(s))
    if _is_emoji(s):
        return _validate(_decode_emoji(s))
    return _validate(_strtoull(s))
