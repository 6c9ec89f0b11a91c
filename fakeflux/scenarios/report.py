"""A scenario's result as text: for each failed expectation what was
expected, what was seen and the nearest miss; requests no handler took."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

from fakeflux.scenarios.expect import Outcome

if TYPE_CHECKING:
    from fakeflux.scenarios.engine import Result

_KIND_TEXT = {"seen": "seen", "not-seen": "not seen", "in-order": "seen in order"}


def _outcome_lines(number: int, o: Outcome, start: float) -> List[str]:
    exp = o.expectation
    status = "ok" if o.ok else "FAILED"
    patterns = "; ".join(p.text for p in exp.patterns)
    count = f" ({exp.count_text()})" if exp.kind == "seen" else ""
    lines = [f"{status}: expect[{number}] at {exp.where}: {_KIND_TEXT[exp.kind]}{count} {patterns}"]
    if o.ok:
        return lines
    lines.append(f"    expected: {o.expected}")
    lines.append(f"    seen:     {o.seen}")
    for s in o.examples:
        lines.append(f"      {s.format(start)}")
    if o.near is not None:
        near, differences = o.near
        lines.append(f"    nearest miss: {near.format(start)}")
        lines.append(f"      which differs: {'; '.join(differences)}")
    elif exp.kind != "not-seen":
        lines.append("    nearest miss: none (no message came close)")
    return lines


def format_result(result: Result, *, verbose: bool = False) -> str:
    scenario = result.scenario
    failed = [o for o in result.outcomes if not o.ok]
    title = scenario.name or scenario.source
    parts: List[str] = []
    if result.ok:
        parts.append(f"scenario {title}: passed ({len(result.outcomes)} expectations met, {len(result.seen)} messages)")
    else:
        problems = []
        if failed:
            problems.append(f"{len(failed)} of {len(result.outcomes)} expectations failed")
        if result.unmatched:
            problems.append(f"{len(result.unmatched)} request(s) matched no handler")
        if result.errors:
            problems.append(f"{len(result.errors)} action(s) failed")
        parts.append(f"scenario {title} ({scenario.source}): FAILED: {', '.join(problems)}")
    for i, o in enumerate(result.outcomes):
        if verbose or not o.ok:
            parts.extend(_outcome_lines(i, o, result.start))
    for miss in result.unmatched:
        parts.append(f"UNMATCHED: {miss.describe_request()}: no handler of service {miss.service} took it")
        parts.append(f"    {miss.describe_closest()}")
    for error in result.errors:
        parts.append(f"ERROR: {error}")
    if not result.ok or verbose:
        if result.pending:
            parts.append("never triggered: " + "; ".join(result.pending))
        if result.fired:
            parts.append("triggered: " + "; ".join(f"{f.what} at +{f.time - result.start:.3f}s" for f in result.fired))
    return "\n".join(parts)
