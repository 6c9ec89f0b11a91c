"""flux.job.JobID and id_parse/id_encode: every RFC 19 encoding (pure computation, flux-core's vectors)."""

from __future__ import annotations

import errno
import importlib
from typing import Any, Dict, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import flux

importlib.import_module("flux.job")  # explicit, as in flux-core

JobID = flux.job.JobID

# The test vectors of flux-core's t/python/t0010-job.py (test_24_jobid).
VECTORS: List[Dict[str, Any]] = [
    {
        "int": 0,
        "hex": "0x0",
        "dothex": "0000.0000.0000.0000",
        "kvs": "job.0000.0000.0000.0000",
        "f58": "ƒ1",
        "words": "academy-academy-academy--academy-academy-academy",
        "emoji": "😃",
    },
    {
        "int": 1,
        "hex": "0x1",
        "dothex": "0000.0000.0000.0001",
        "kvs": "job.0000.0000.0000.0001",
        "f58": "ƒ2",
        "words": "acrobat-academy-academy--academy-academy-academy",
        "emoji": "😄",
    },
    {
        "int": 65535,
        "hex": "0xffff",
        "dothex": "0000.0000.0000.ffff",
        "kvs": "job.0000.0000.0000.ffff",
        "f58": "ƒLUv",
        "words": "nevada-archive-academy--academy-academy-academy",
        "emoji": "💁📚",
    },
    {
        "int": 6787342413402046,
        "hex": "0x181d0d4d850fbe",
        "dothex": "0018.1d0d.4d85.0fbe",
        "kvs": "job.0018.1d0d.4d85.0fbe",
        "f58": "ƒuzzybunny",
        "words": "cake-plume-nepal--neuron-pencil-academy",
        "emoji": "👴😱🔚🎮🕙🚩",
    },
    {
        "int": 18446744073709551614,
        "hex": "0xfffffffffffffffe",
        "dothex": "ffff.ffff.ffff.fffe",
        "kvs": "job.ffff.ffff.ffff.fffe",
        "f58": "ƒjpXCZedGfVP",
        "words": "mustang-analyze-verbal--natural-analyze-verbal",
        "emoji": "🚹💗💧👗😷📷📙",
    },
]


@pytest.fixture(autouse=True)
def utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUX_F58_FORCE_ASCII", raising=False)
    monkeypatch.setattr(flux.job._fluid, "_utf8_locale", lambda: True)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: str(v["int"]))
def test_every_encoding_parses_and_prints(vector: Dict[str, Any]) -> None:
    value = vector["int"]
    for key, text in vector.items():
        jobid = JobID(text)
        assert jobid == value and repr(jobid) == f"JobID({value})"
        assert jobid.orig == str(text)
        if key != "int":
            assert getattr(jobid, key) == text
    assert JobID(value).dec == str(value)
    assert str(JobID(value)) == vector["f58"]
    assert JobID(value).f58plain == "f" + vector["f58"][1:]
    assert JobID("f" + vector["f58"][1:]) == value


@pytest.mark.parametrize(
    "text",
    [
        "invalid",
        "-1",
        "0.0.0",
        "0.0.0.0.0",
        "0.0.0.g",
        "job.0.0",
        "job.0.0.0.0.0",
        "notjob.0.0.0.0",
        "f0",
        "fO",
        "fI",
        "invalid-words-test",
        "foo-bar-baz--qux-quux-corge",
        "🦄",
        "",
        "12abc",
        "a-a-a--a-a-a",
    ],
)
def test_invalid_strings_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="is not a valid Flux jobid"):
        JobID(text)


def test_jobid_of_jobid_keeps_the_original_string() -> None:
    first = JobID("ƒ2")
    again = JobID(first)
    assert again == 1 and again.orig == "ƒ2"
    assert JobID(JobID(1234)).orig == "1234"


def test_whitespace_and_prefixes() -> None:
    assert JobID("  42") == 42
    assert JobID("42  ") == 42
    assert JobID("0x2a") == 42
    assert JobID("job.0000.0000.0000.002a") == 42
    assert JobID("ACROBAT-academy-academy--academy-academy-academy") == 1


def test_timestamp_beyond_40_bits_is_rejected() -> None:
    assert flux.job.id_parse(str((1 << 64) - 1)) == (1 << 64) - 1  # ts = 2**40 - 1: still valid
    with pytest.raises(OSError) as info:
        flux.job.id_parse(str(1 << 64))
    assert info.value.errno == errno.ERANGE


def test_id_parse_and_encode_errors() -> None:
    with pytest.raises(OSError) as info:
        flux.job.id_parse("bogus")
    assert info.value.errno == errno.EINVAL and str(info.value.strerror).startswith("EINVAL: ")
    with pytest.raises(OSError) as info:
        flux.job.id_encode(1, "base64")
    assert info.value.errno == errno.EPROTO
    assert flux.job.id_encode(255, "HEX") == "0xff"
    assert flux.job.id_encode(JobID(1)) == "ƒ2"


def test_f58_ascii_when_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    monkeypatch.setenv("FLUX_F58_FORCE_ASCII", "1")
    assert JobID(6787342413402046).f58 == "fuzzybunny"
    assert str(JobID(1)) == "f2"


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_every_encoding_round_trips(value: int) -> None:
    jobid = JobID(value)
    for enc in ("dec", "hex", "dothex", "kvs", "words", "f58", "f58plain", "emoji"):
        assert JobID(jobid.encode(enc)) == value, enc
