"""``ResourceCount``: a jobspec count (RFC 14 int or range dict, RFC 45 string) and its valid values.

The three forms of a resource vertex ``count`` become one object with
``min``, ``max`` (None: unbounded) and, for stepped or non-contiguous
counts, the explicit set of values.  Schedulers iterate
:meth:`ResourceCount.valid_counts` from the largest value down.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional

from ..idset import IDset

__all__ = ["ResourceCount"]

#: Longest stepped sequence that is expanded to explicit values.
_MAX_SEQUENCE = 65536


def _check_min(mn: int) -> int:
    if mn < 1:
        raise ValueError(f"RFC 14 count: min must be >= 1, got {mn}")
    return mn


def _check_max(mn: int, mx: int) -> int:
    if mx < mn:
        raise ValueError(f"RFC 14 count: max must be >= min, got max={mx} min={mn}")
    return mx


def _expand_sequence(mn: int, mx: int, operator: str, operand: int) -> IDset:
    """The values of ``mn`` to ``mx`` stepping by ``+ operand``, ``* operand`` or ``** operand``."""
    if operator not in ("+", "*", "^"):
        raise ValueError(f"RFC 14 count: operator {operator!r} is not supported")
    if operator in ("*", "^") and operand <= 1:
        raise ValueError(f"RFC 14 count: operator {operator!r} requires operand > 1, got {operand}")
    if operator == "^" and mn < 2:
        raise ValueError(f"RFC 14 count: operator '^' requires min >= 2, got {mn}")
    if operator == "+" and operand <= 0:
        raise ValueError(f"RFC 14 count: additive operator requires operand > 0, got {operand}")
    values: List[int] = []
    value = mn
    while value <= mx:
        values.append(value)
        if operator == "+":
            value += operand
        elif operator == "*":
            value *= operand
        else:
            value **= operand
        if len(values) > _MAX_SEQUENCE:
            raise ValueError("RFC 14 count: sequence too large to expand")
    if not values:
        raise ValueError(f"RFC 14 count: empty sequence (min={mn}, max={mx})")
    return IDset(values)


def _unbounded_ok(kind: str, operator: str, operand: int) -> None:
    if operator != "+" or operand != 1:
        raise ValueError(
            f"{kind} unbounded count with operator={operator!r} operand={operand} cannot be expanded to a finite set"
        )


class ResourceCount:
    """A count: ``min``, ``max`` (None when unbounded) and explicit values for stepped/idset forms."""

    __slots__ = ("min", "max", "_values")

    def __init__(self, mn: int, mx: Optional[int], values: Optional[IDset] = None) -> None:
        self.min = mn
        self.max = mx
        self._values = values

    @classmethod
    def _bounded(cls, mn: int, mx: int, operator: str, operand: int) -> ResourceCount:
        if operator == "+" and operand == 1:
            return cls(mn, mx)
        return cls(mn, mx, _expand_sequence(mn, mx, operator, operand))

    @classmethod
    def from_count_spec(cls, v: Any, default: int = 1) -> ResourceCount:
        """A ResourceCount from a count as it appears in a decoded jobspec.

        ``4``; ``{"min": 2, "max": 8, "operator": "*", "operand": 2}``;
        ``"2-5"``, ``"2+"``, ``"2-8:2:*"``, ``"1,7-9"`` (optionally in
        brackets).  Any other type gives the fixed count ``default``.
        ValueError for counts below 1, max below min, bad operators and
        unbounded stepped ranges.
        """
        if isinstance(v, int):
            if v < 1:
                raise ValueError(f"RFC 14 count: integer count must be >= 1, got {v}")
            return cls(v, v)
        if isinstance(v, dict):
            operator = v.get("operator", "+")
            operand = int(v.get("operand", 1))
            mn = _check_min(int(v.get("min", default)))
            if v.get("max") is None:
                _unbounded_ok("RFC 14", operator, operand)
                return cls(mn, None)
            return cls._bounded(mn, _check_max(mn, int(v["max"])), operator, operand)
        if isinstance(v, str):
            return cls._from_string(v)
        return cls(default, default)

    @classmethod
    def _from_string(cls, text: str) -> ResourceCount:
        s = text.strip()
        if s.startswith("[") and s.endswith("]"):
            s = s[1:-1]
        parts = s.split(":")
        if parts[0].endswith("+"):  # "min+" or "min+:operand:operator"
            mn = _check_min(int(parts[0][:-1]))
            operand = int(parts[1]) if len(parts) > 1 else 1
            _unbounded_ok("RFC 45", parts[2] if len(parts) > 2 else "+", operand)
            return cls(mn, None)
        if len(parts) > 1:  # "min-max:operand[:operator]"
            lo_text, hi_text = parts[0].split("-")
            mn = _check_min(int(lo_text))
            mx = _check_max(mn, int(hi_text))
            return cls._bounded(mn, mx, parts[2] if len(parts) > 2 else "+", int(parts[1]))
        if "," in s:  # an idset of allowed values
            ids = IDset(s)
            return cls(_check_min(ids.first()), ids.last(), ids)
        if "-" in s:
            lo_text, hi_text = s.split("-", 1)
            mn = _check_min(int(lo_text))
            return cls(mn, _check_max(mn, int(hi_text)))
        mn = _check_min(int(s))
        return cls(mn, mn)

    def scaled(self, factor: int) -> ResourceCount:
        """This count with every value multiplied by ``factor`` (self when factor is 1)."""
        if factor == 1:
            return self
        mx = self.max * factor if self.max is not None else None
        if self._values is not None:
            return ResourceCount(self.min * factor, mx, IDset([v * factor for v in self._values]))
        return ResourceCount(self.min * factor, mx)

    def valid_counts(self, available: int) -> Iterator[int]:
        """The valid values not above ``available``, largest first (none if below min)."""
        cap = min(available, self.max) if self.max is not None else available
        if cap < self.min:
            return
        if self._values is not None:
            for value in sorted(self._values, reverse=True):
                if self.min <= value <= cap:
                    yield value
        else:
            yield from range(cap, self.min - 1, -1)

    def __repr__(self) -> str:
        if self._values is not None:
            return f"ResourceCount({self.min}, {self.max}, values={self._values!r})"
        return f"ResourceCount({self.min}, {self.max})"
