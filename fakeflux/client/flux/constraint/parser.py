"""RFC 35 constraint queries to RFC 31 constraint objects: ``a|b -host:foo`` -> ``{"or": [...]}``.

flux-core builds this parser with PLY (an LALR parser generator); this is a
hand-written lexer and shift-reduce parser that takes the same decisions,
so results and error texts are the same, quirks included:

* juxtaposition means AND, with AND's precedence, but a term following an
  ``a|b`` (or ``a&b``) closes it first: ``a|b c`` is ``(a|b) c`` while
  ``a|b -c`` and ``a|b not c`` are ``a|(b -c)``;
* a term ending in ``:`` waits for the next term (``op: "quoted value"``),
  and a dangling one stays pending in the lexer, even for the next parse.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

__all__ = ["ConstraintSyntaxError", "ConstraintLexer", "ConstraintParser"]


class ConstraintSyntaxError(Exception):
    """A constraint query that does not parse."""


class _Token:
    """A lexer token: ``type``, ``value`` and ``lexpos`` (offset in the query)."""

    __slots__ = ("type", "value", "lexpos")

    def __init__(self, type_: str, value: str, lexpos: int) -> None:
        self.type = type_
        self.value = value
        self.lexpos = lexpos

    def __repr__(self) -> str:
        return f"LexToken({self.type},{self.value!r},1,{self.lexpos})"


# The INITIAL state's rules, tried in this order at each position (as PLY combines them).
_RULES = [
    ("NEGATE", re.compile(r"-")),
    ("NOT", re.compile(r"not\b")),
    ("AND", re.compile(r"&{1,2}|and\b")),
    ("OR", re.compile(r"\|{1,2}|or\b")),
    ("LPAREN", re.compile(r"\(")),
    ("RPAREN", re.compile(r"\)")),
    ("TOKEN", re.compile(r"[^()|&\s\"\']+")),
    ("QUOTE", re.compile(r"'|\"")),
]
_IGNORE = " \t\r\n\f\v"


def _match_rule(data: str, pos: int) -> Tuple[str, re.Match[str]]:
    """The first INITIAL rule matching at ``pos``; ConstraintSyntaxError if none does."""
    for kind, pattern in _RULES:
        match = pattern.match(data, pos)
        if match:
            return kind, match
    raise ConstraintSyntaxError(f"Illegal character '{data[pos]}' at position {pos}")


_QUOTED = {"'": re.compile(r"[^']+"), '"': re.compile(r'[^"]+')}


class ConstraintLexer:
    """Splits a query into NOT, AND, OR, NEGATE, LPAREN, RPAREN and TOKEN tokens.

    Quoted text becomes (part of) a TOKEN; quotes themselves produce no token.
    """

    tokens = ("NOT", "AND", "OR", "NEGATE", "LPAREN", "RPAREN", "TOKEN", "QUOTE")

    def __init__(self, **kw_args: Any) -> None:
        self.parens_level = 0
        self.last_lparens = 0
        self.last_rparens = 0
        self.last_quote: Optional[int] = None
        self.quote_start: Optional[int] = None
        self.pending_token: Optional[_Token] = None
        self._tokens: Iterator[_Token] = iter(())

    def input(self, data: str) -> None:
        """Start lexing ``data`` (``pending_token`` is deliberately kept, as in flux-core)."""
        self.parens_level = 0
        self.last_lparens = 0
        self.last_rparens = 0
        self.last_quote = None
        self.quote_start = None
        self._tokens = self._lex(data)

    def token(self) -> Optional[_Token]:
        """The next token, or None at the end."""
        return next(self._tokens, None)

    def _term(self, value: str, pos: int) -> Optional[_Token]:
        """A TOKEN, joined to a pending ``op:`` before it; a new ``op:`` is held back."""
        if self.pending_token is not None:
            token = _Token("TOKEN", self.pending_token.value + value, pos)
            self.pending_token = None
            return token
        if value.endswith(":"):
            self.pending_token = _Token("TOKEN", value, pos)
            return None
        return _Token("TOKEN", value, pos)

    def _lex(self, data: str) -> Iterator[_Token]:
        pos = 0
        quote: Optional[str] = None
        while True:
            if quote is not None:
                if pos >= len(data):
                    if quote == "'":
                        raise ConstraintSyntaxError(f'Unclosed quote "\'" at position {self.quote_start}')
                    raise ConstraintSyntaxError(f"Unclosed quote '\"' at position {self.quote_start}")
                if data[pos] == quote:
                    self.last_quote = None
                    quote = None
                    pos += 1
                    continue
                match = _QUOTED[quote].match(data, pos)
                assert match is not None
                token = self._term(match.group(), pos)
                pos = match.end()
                if token is not None:
                    yield token
                continue
            while pos < len(data) and data[pos] in _IGNORE:
                pos += 1
            if pos >= len(data):
                if self.pending_token is not None:
                    raise ConstraintSyntaxError(f"Missing argument to token '{self.pending_token.value}'")
                return
            kind, match = _match_rule(data, pos)
            start, pos = pos, match.end()
            value = match.group()
            if kind == "QUOTE":
                self.quote_start = pos
                self.last_quote = start
                quote = value
                continue
            if kind == "TOKEN":
                token = self._term(value, start)
                if token is not None:
                    yield token
                continue
            if kind == "LPAREN":
                self.parens_level += 1
                self.last_lparens = start
            elif kind == "RPAREN":
                self.parens_level -= 1
                self.last_rparens = start
            yield _Token(kind, value, start)


#: Operator precedence (level, associativity); anything else is level 0.
_PRECEDENCE = {"OR": (1, "left"), "AND": (2, "left"), "NOT": (3, "right"), "NEGATE": (4, "right")}
_STARTS_EXPRESSION = ("TOKEN", "LPAREN", "NOT", "NEGATE")
_EXPR = "expression"


class ConstraintParser:
    r"""An RFC 35 query parser giving RFC 31 constraint objects (dicts).

    Terms are ``[operator:]operand``; terms side by side, or joined by
    ``&``, ``&&``, ``and``, must all match; ``|``, ``||``, ``or`` give
    alternatives; ``not EXPR`` and ``-term`` negate; parentheses group.

    Subclasses set ``operator_map`` (``{None: "default-op", "short": "long"}``),
    ``split_values`` (``{"op": ","}`` splits that operator's values) and
    ``combined_terms`` (operators whose AND-ed terms merge into one list).
    ConstraintSyntaxError for anything that does not parse.
    """

    precedence = (("left", "OR"), ("left", "AND"), ("right", "NOT"), ("right", "NEGATE"))
    operator_map: Dict[Any, str] = {}
    split_values: Dict[str, str] = {}
    combined_terms: Set[str] = set()

    def __init__(
        self,
        lexer: Optional[ConstraintLexer] = None,
        optimize: bool = True,
        debug: bool = False,
        write_tables: bool = False,
        **kw_args: Any,
    ) -> None:
        self.lexer = ConstraintLexer() if lexer is None else lexer
        self.tokens = self.lexer.tokens
        self.query: Optional[str] = None

    # -- the grammar's actions -------------------------------------------------------------------
    def combine_like_terms(self, p1: Dict[str, Any], p2: Dict[str, Any]) -> Dict[str, Any]:
        """``p1 AND p2``: extends an "and" on the left, merges ``combined_terms`` operators."""
        entries = [p1, p2]
        if "and" in p1:
            p1["and"].append(p2)
            entries = [p1]
        merged: Dict[str, List[Any]] = {}
        terms = []
        for entry in entries:
            key = list(entry)[0]
            if key not in self.combined_terms:
                terms.append(entry)
            elif key not in merged:
                merged[key] = entry[key]
                terms.append(entry)
            else:
                merged[key].extend(entry[key])
        return terms[0] if len(terms) == 1 else {"and": terms}

    @staticmethod
    def invalid_operator(op: str) -> Optional[str]:
        """The first character not allowed in an operator name, or None."""
        match = re.search(r"[^\w.+@-]", op)
        return match[0] if match else None

    def _term(self, text: str) -> Dict[str, List[str]]:
        op, colon, value = text.partition(":")
        if not colon:
            if None not in self.operator_map:
                raise ConstraintSyntaxError(f'Missing required operator in "{text}"')
            op, value = self.operator_map[None], text
        elif op in self.operator_map:
            op = self.operator_map[op]
        invalid = self.invalid_operator(op)
        if invalid:
            raise ConstraintSyntaxError(f"invalid character '{invalid}' in operator '{op}:'")
        if op in self.split_values:
            return {op: value.split(self.split_values[op])}
        return {op: [value]}

    def _error(self, token: Optional[_Token]) -> ConstraintSyntaxError:
        if token is None:
            if self.lexer.parens_level > 0:
                return ConstraintSyntaxError(f"Unclosed parenthesis in position {self.lexer.last_lparens}")
            return ConstraintSyntaxError(f"Unexpected end of input in '{self.query}'")
        if self.lexer.parens_level < 0:
            # sic: flux-core's message is not an f-string
            return ConstraintSyntaxError("Mismatched parentheses starting at position {self.lexer.last_rparens}.")
        return ConstraintSyntaxError(f"Invalid token '{token.value}' at position {token.lexpos}")

    # -- shift-reduce parsing --------------------------------------------------------------------
    @staticmethod
    def _handle(stack: List[Tuple[str, Any]]) -> Optional[Tuple[int, str, str]]:
        """The reducible rule ending at the top expression: (length, kind, precedence token)."""
        below = stack[-2][0] if len(stack) >= 2 else None
        if below == "NOT":
            return 2, "not", "NOT"
        if below in ("AND", "OR") and len(stack) >= 3 and stack[-3][0] == _EXPR:
            return 3, below.lower(), below
        if below == _EXPR:
            return 2, "and", "AND"  # juxtaposition: "%prec AND"
        return None

    def _reduce(self, stack: List[Tuple[str, Any]], length: int, kind: str) -> None:
        right = stack[-1][1]
        if kind == "not":
            result: Dict[str, Any] = {"not": [right]}
        else:
            left = stack[-length][1]
            if kind == "and":
                result = self.combine_like_terms(left, right)
            elif "or" in left:
                left["or"].append(right)
                result = left
            else:
                result = {"or": [left, right]}
        del stack[-length:]
        stack.append((_EXPR, result))

    def _should_reduce(self, rule_token: str, lookahead: Optional[_Token]) -> bool:
        """yacc's shift/reduce choice: reduce unless the lookahead binds tighter."""
        if lookahead is None or lookahead.type == "RPAREN":
            return True
        rule_level, assoc = _PRECEDENCE[rule_token]
        token_level = _PRECEDENCE.get(lookahead.type, (0, "right"))[0]
        return token_level < rule_level or (token_level == rule_level and assoc == "left")

    def parse(self, query: str, **kw_args: Any) -> Dict[str, Any]:
        """The RFC 31 constraint object of ``query``; ConstraintSyntaxError if it does not parse."""
        self.query = query
        self.lexer.input(query)
        stack: List[Tuple[str, Any]] = []
        lookahead = self.lexer.token()
        while True:
            top = stack[-1][0] if stack else None
            if top == _EXPR:
                handle = self._handle(stack)
                if handle is not None and self._should_reduce(handle[2], lookahead):
                    self._reduce(stack, handle[0], handle[1])
                    continue
                if lookahead is None:
                    if len(stack) == 1:
                        return stack[0][1]
                    raise self._error(None)
                if lookahead.type == "RPAREN":
                    if len(stack) >= 2 and stack[-2][0] == "LPAREN":
                        value = stack[-1][1]
                        del stack[-2:]
                        stack.append((_EXPR, value))
                        lookahead = self.lexer.token()
                        continue
                    raise self._error(lookahead)
                # AND, OR, or the start of another expression
            elif top == "TOKEN":
                # like PLY, the term's action runs once the next token has been read
                term = self._term(stack.pop()[1].value)
                if stack and stack[-1][0] == "NEGATE":
                    stack[-1] = (_EXPR, {"not": [term]})
                else:
                    stack.append((_EXPR, term))
                continue
            elif top == "NEGATE":
                if lookahead is None or lookahead.type != "TOKEN":
                    raise self._error(lookahead)
            elif lookahead is None or lookahead.type not in _STARTS_EXPRESSION:
                raise self._error(lookahead)
            stack.append((lookahead.type, lookahead))
            lookahead = self.lexer.token()
