"""``ResourceCount``: a jobspec count (RFC 14 int or range dict, RFC 45 string) and its valid values.

Whatever its form, a resource vertex ``count`` becomes ``min``, ``max``
(None: unbounded) and, when not every value between them is allowed (a
stepped range, a list of values), the set of allowed values. Schedulers try
:meth:`ResourceCount.valid_counts` from the largest value down.
"""

from __future__ import annotations

import operator as _op
from typing import Any, Callable, Dict, Iterator, List, Optional

from ..idset import IDset

__all__ = ["ResourceCount"]

#: Longest stepped sequence that is expanded to explicit values.
_MAX_SEQUENCE = 65536

#: how each RFC 14 operator gets from one value to the next
_NEXT_VALUE: Dict[str, Callable[[int, int], int]] = {"+": _op.add, "*": _op.mul, "^": _op.pow}


def _at_least_one(mn: int) -> int:
    if mn < 1:
        raise ValueError(f"RFC 14 count: min must be >= 1, got {mn}")
    return mn


def _not_below(mn: int, mx: int) -> int:
    if mx < mn:
        raise ValueError(f"RFC 14 count: max must be >= min, got max={mx} min={mn}")
    return mx


def _validate_step(mn: int, operator: str, operand: int) -> Callable[[int, int], int]:
    step = _NEXT_VALUE.get(operator)
    if step is None:
        raise ValueError(f"RFC 14 count: operator {operator!r} is not supported")
    if operator == "+":
        if operand <= 0:
            raise ValueError(f"RFC 14 count: additive operator requires operand > 0, got {operand}")
        return step
    if operand <= 1:  # multiplying or raising by 1 (or less) never ends
        raise ValueError(f"RFC 14 count: operator {operator!r} requires operand > 1, got {operand}")
    if operator == "^" and mn < 2:
        raise ValueError(f"RFC 14 count: operator '^' requires min >= 2, got {mn}")
    return step


def _stepped_values(mn: int, mx: int, operator: str, operand: int) -> IDset:
    """``mn``, then each value from the previous by ``operator operand``, up to ``mx``."""
    step = _validate_step(mn, operator, operand)
    values: List[int] = []
    current = mn
    while current <= mx:
        if len(values) == _MAX_SEQUENCE:
            raise ValueError("RFC 14 count: sequence too large to expand")
        values.append(current)
        current = step(current, operand)
    if not values:
        raise ValueError(f"RFC 14 count: empty sequence (min={mn}, max={mx})")
    return IDset(values)


def _require_plain_step(rfc: str, operator: str, operand: int) -> None:
    """An unbounded count can only step by +1: another step has no finite set of values."""
    if (operator, operand) != ("+", 1):
        raise ValueError(
            f"{rfc} unbounded count with operator={operator!r} operand={operand} cannot be expanded to a finite set"
        )


def _strip_brackets(text: str) -> str:
    text = text.strip()
    return text[1:-1] if text[:1] == "[" and text[-1:] == "]" else text


class ResourceCount:
    """A count: ``min``, ``max`` (None when unbounded) and explicit values for stepped/idset forms."""

    __slots__ = ("min", "max", "_values")

    def __init__(self, mn: int, mx: Optional[int], values: Optional[IDset] = None) -> None:
        self.min = mn
        self.max = mx
        self._values = values

    @classmethod
    def _range(cls, mn: int, mx: int, operator: str = "+", operand: int = 1) -> ResourceCount:
        """A bounded range; explicit values unless it steps by +1."""
        plain = (operator, operand) == ("+", 1)
        return cls(mn, mx, None if plain else _stepped_values(mn, mx, operator, operand))

    @classmethod
    def from_count_spec(cls, v: Any, default: int = 1) -> ResourceCount:
        """A ResourceCount from a count as it appears in a decoded jobspec.

        ``4``; ``{"min": 2, "max": 8, "operator": "*", "operand": 2}``;
        ``"2-5"``, ``"2+"``, ``"2-8:2:*"``, ``"1,7-9"`` (optionally in
        brackets). Any other type gives the fixed count ``default``.
        ValueError for counts below 1, max below min, bad operators and
        unbounded stepped ranges.
        """
        if isinstance(v, int):
            if v < 1:
                raise ValueError(f"RFC 14 count: integer count must be >= 1, got {v}")
            return cls(v, v)
        if isinstance(v, dict):
            return cls._from_mapping(v, default)
        if isinstance(v, str):
            return cls._from_string(v)
        return cls(default, default)

    @classmethod
    def _from_mapping(cls, spec: Dict[str, Any], default: int) -> ResourceCount:
        operator = spec.get("operator", "+")
        operand = int(spec.get("operand", 1))
        mn = _at_least_one(int(spec.get("min", default)))
        if spec.get("max") is None:
            _require_plain_step("RFC 14", operator, operand)
            return cls(mn, None)
        return cls._range(mn, _not_below(mn, int(spec["max"])), operator, operand)

    @classmethod
    def _from_string(cls, text: str) -> ResourceCount:
        """RFC 45: ``N``, ``N+``, ``N-M``, ``N-M:operand[:operator]``, ``N+:operand[:operator]``
        or an idset of allowed values."""
        body = _strip_brackets(text)
        head, *step = body.split(":")
        if head.endswith("+"):
            mn = _at_least_one(int(head[:-1]))
            _require_plain_step("RFC 45", step[1] if len(step) > 1 else "+", int(step[0]) if step else 1)
            return cls(mn, None)
        if step:
            low, high = head.split("-")
            mn = _at_least_one(int(low))
            return cls._range(mn, _not_below(mn, int(high)), step[1] if len(step) > 1 else "+", int(step[0]))
        if "," in body:
            allowed = IDset(body)
            return cls(_at_least_one(allowed.first()), allowed.last(), allowed)
        low, dash, high = body.partition("-")
        mn = _at_least_one(int(low))
        return cls(mn, _not_below(mn, int(high)) if dash else mn)

    def scaled(self, factor: int) -> ResourceCount:
        """This count with every value multiplied by ``factor`` (self when factor is 1)."""
        if factor == 1:
            return self
        values = None if self._values is None else IDset([value * factor for value in self._values])
        return ResourceCount(self.min * factor, None if self.max is None else self.max * factor, values)

    def valid_counts(self, available: int) -> Iterator[int]:
        """The valid values not above ``available``, largest first (none if below min)."""
        top = available if self.max is None else min(available, self.max)
        if top < self.min:
            return
        if self._values is None:
            yield from range(top, self.min - 1, -1)
            return
        yield from (value for value in sorted(self._values, reverse=True) if self.min <= value <= top)

    def __repr__(self) -> str:
        extra = "" if self._values is None else f", values={self._values!r}"
        return f"ResourceCount({self.min}, {self.max}{extra})"
