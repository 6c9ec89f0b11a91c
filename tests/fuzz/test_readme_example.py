"""The README's fuzzing example, run as a user would run it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def fuzzing_example() -> str:
    text = README.read_text()
    section = text[text.index("## Fuzzing your services") :]
    section = section[: section.index("\n## ")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_fuzzing_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fuzz_shop=fuzzing_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] == 1
