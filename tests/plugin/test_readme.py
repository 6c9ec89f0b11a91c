"""The README's plugin examples, run as a new user would run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def plugin_examples() -> list:
    text = README.read_text()
    section = text[text.index("## In your tests") : text.index("## What the fake broker does")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_has_the_examples() -> None:
    assert len(plugin_examples()) == 3


@pytest.mark.parametrize("number", range(3))
def test_readme_example_passes(pytester: pytest.Pytester, number: int) -> None:
    pytester.makepyfile(**{f"test_readme_{number}": plugin_examples()[number]})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] >= 1
