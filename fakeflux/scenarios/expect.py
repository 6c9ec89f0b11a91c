"""Checking a scenario's expectations against the messages seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from fakeflux.scenarios.match import Seen, diff_seen, matches, nearest
from fakeflux.scenarios.model import Expectation


@dataclass
class Outcome:
    expectation: Expectation
    ok: bool
    expected: str  # what was expected, in words
    seen: str  # what was seen, in words
    examples: List[Seen] = field(default_factory=list)  # offending or matching messages
    near: Optional[Tuple[Seen, List[str]]] = None  # the nearest miss and how it differs
    near_after: Optional[int] = None  # in-order: the nearest miss is sought after this message


def check(exp: Expectation, seen: List[Seen]) -> Outcome:
    if exp.kind == "in-order":
        return _in_order(exp, seen)
    pattern = exp.patterns[0]
    hits = [s for s in seen if matches(pattern, s)]
    n = len(hits)
    if exp.kind == "not-seen":
        return Outcome(exp, n == 0, "no matching message", f"{n} matching message{'s' if n != 1 else ''}", hits[:3])
    ok = True
    if exp.exactly is not None:
        ok = n == exp.exactly
    else:
        low = 1 if exp.at_least is None and exp.at_most is None else exp.at_least
        if low is not None and n < low:
            ok = False
        if exp.at_most is not None and n > exp.at_most:
            ok = False
    outcome = Outcome(exp, ok, f"{exp.count_text()} matching message(s)", f"{n} matching", hits[-3:] if not ok else [])
    if not ok and (n == 0 or (exp.exactly is not None and n < exp.exactly) or (exp.at_least and n < exp.at_least)):
        outcome.near = nearest(pattern, seen)
    return outcome


def _in_order(exp: Expectation, seen: List[Seen]) -> Outcome:
    pos = 0
    found: List[Seen] = []
    for step, pattern in enumerate(exp.patterns):
        index = next((i for i in range(pos, len(seen)) if not diff_seen(pattern, seen[i])), None)
        if index is None:
            after = found[-1].number if found else None
            rest = seen[pos:]
            earlier = next((s for s in seen[:pos] if not diff_seen(pattern, s)), None)
            text = (
                f"{'step 1' if step == 1 else f'steps 1-{step}'} in order, then nothing matching step {step + 1}"
                if step
                else "nothing matching step 1"
            )
            if earlier is not None:
                text += f" after message #{after} (one was seen earlier: message #{earlier.number})"
            elif after is not None:
                text += f" after message #{after}"
            return Outcome(
                exp,
                False,
                f"{len(exp.patterns)} messages in this order; step {step + 1}: {pattern.text}",
                text,
                found,
                nearest(pattern, rest),
                after,
            )
        found.append(seen[index])
        pos = index + 1
    return Outcome(exp, True, f"{len(exp.patterns)} messages in order", "all, in order", found)
