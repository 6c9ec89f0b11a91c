"""flux.constraint.parser: RFC 35 queries parsed exactly as flux-core's PLY parser parses them.

CASES were recorded from flux-core's bindings (v0.88.0-59), parsed one after the other with one
parser object: a dangling ``op:`` stays pending in flux-core's lexer and joins the next query's
first term, which the sequence shows (``''`` and ``"'a:'"`` after ``'foo and a:'``).
"""

from __future__ import annotations

import importlib
import json

import pytest

from .conftest import flux  # noqa: F401 - puts the package on sys.path

parser = importlib.import_module("flux.constraint.parser")


class TestParser(parser.ConstraintParser):  # type: ignore[name-defined]
    __test__ = False
    operator_map = {None: "t", "a": "op-a"}


CASES = [  # (query, json.dumps(result) or "ErrorType: text")
    ("a b c", '{"and": [{"t": ["a"]}, {"t": ["b"]}, {"t": ["c"]}]}'),
    ("a|b c", '{"and": [{"or": [{"t": ["a"]}, {"t": ["b"]}]}, {"t": ["c"]}]}'),
    ("a|b not c", '{"or": [{"t": ["a"]}, {"and": [{"t": ["b"]}, {"not": [{"t": ["c"]}]}]}]}'),
    ("a b not c", '{"and": [{"t": ["a"]}, {"and": [{"t": ["b"]}, {"not": [{"t": ["c"]}]}]}]}'),
    ("not a b", '{"and": [{"not": [{"t": ["a"]}]}, {"t": ["b"]}]}'),
    ("a b|c", '{"or": [{"and": [{"t": ["a"]}, {"t": ["b"]}]}, {"t": ["c"]}]}'),
    ("a|b&c", '{"or": [{"t": ["a"]}, {"and": [{"t": ["b"]}, {"t": ["c"]}]}]}'),
    ("a: b", '{"op-a": ["b"]}'),
    ("(a))", "ConstraintSyntaxError: Mismatched parentheses starting at position {self.lexer.last_rparens}."),
    ("-(a|b)", "ConstraintSyntaxError: Invalid token '(' at position 1"),
    ("a|", "ConstraintSyntaxError: Unexpected end of input in 'a|'"),
    ("a:' ", 'ConstraintSyntaxError: Unclosed quote "\'" at position 3'),
    ("(a", "ConstraintSyntaxError: Unclosed parenthesis in position 0"),
    ("4g,host:foo", "ConstraintSyntaxError: invalid character ',' in operator '4g,host:'"),
    ("foo and a:", "ConstraintSyntaxError: Missing argument to token 'a:'"),
    ("", "ConstraintSyntaxError: Missing argument to token 'a:'"),
    ("''", "ConstraintSyntaxError: Missing argument to token 'a:'"),
    ("'a:'", '{"op-a": ["a:"]}'),
    ("not:foo", '{"not": [{"": ["foo"]}]}'),
    ("nothing", '{"t": ["nothing"]}'),
    ("a&&&b", "ConstraintSyntaxError: Invalid token '&' at position 3"),
    ("AND", '{"t": ["AND"]}'),
    ("a -b", '{"and": [{"t": ["a"]}, {"not": [{"t": ["b"]}]}]}'),
    ("a|b -c", '{"or": [{"t": ["a"]}, {"and": [{"t": ["b"]}, {"not": [{"t": ["c"]}]}]}]}'),
    ("a|b (c)", '{"and": [{"or": [{"t": ["a"]}, {"t": ["b"]}]}, {"t": ["c"]}]}'),
    ("not not a", '{"not": [{"not": [{"t": ["a"]}]}]}'),
    ("a & (b | c) d", '{"and": [{"t": ["a"]}, {"or": [{"t": ["b"]}, {"t": ["c"]}]}, {"t": ["d"]}]}'),
    ("x:1 x:2 x:3", '{"and": [{"x": ["1"]}, {"x": ["2"]}, {"x": ["3"]}]}'),
    ("-a", '{"not": [{"t": ["a"]}]}'),
    ("- a", '{"not": [{"t": ["a"]}]}'),
    ("--a", "ConstraintSyntaxError: Invalid token '-' at position 1"),
    ("a:b:c", '{"op-a": ["b:c"]}'),
    ("host:x,y", '{"host": ["x,y"]}'),
    ("a\x1cb", "ConstraintSyntaxError: Illegal character '\x1c' at position 1"),
    ("a\xa0b", "ConstraintSyntaxError: Illegal character '\xa0' at position 1"),
    ('"a b" c', '{"and": [{"t": ["a b"]}, {"t": ["c"]}]}'),
    ('a:"b c"', '{"op-a": ["b c"]}'),
    ("a:'b'c", '{"and": [{"op-a": ["b"]}, {"t": ["c"]}]}'),
    ("a (b) c", '{"and": [{"t": ["a"]}, {"t": ["b"]}, {"t": ["c"]}]}'),
    ("(a b) (c d)", '{"and": [{"t": ["a"]}, {"t": ["b"]}, {"and": [{"t": ["c"]}, {"t": ["d"]}]}]}'),
    ("a or b and c or d", '{"or": [{"t": ["a"]}, {"and": [{"t": ["b"]}, {"t": ["c"]}]}, {"t": ["d"]}]}'),
    ("not (a) b", '{"and": [{"not": [{"t": ["a"]}]}, {"t": ["b"]}]}'),
    ("a & not b | c", '{"or": [{"and": [{"t": ["a"]}, {"not": [{"t": ["b"]}]}]}, {"t": ["c"]}]}'),
    (")", "ConstraintSyntaxError: Mismatched parentheses starting at position {self.lexer.last_rparens}."),
    ("(", "ConstraintSyntaxError: Unclosed parenthesis in position 0"),
    ("a)", "ConstraintSyntaxError: Mismatched parentheses starting at position {self.lexer.last_rparens}."),
    ("&a", "ConstraintSyntaxError: Invalid token '&' at position 0"),
    ("not", "ConstraintSyntaxError: Unexpected end of input in 'not'"),
    ("a not", "ConstraintSyntaxError: Unexpected end of input in 'a not'"),
    ("a: (b)", '{"op-a": ["b"]}'),
    ("op:", "ConstraintSyntaxError: Missing argument to token 'op:'"),
    ("a:x", '{"op": ["a:x"]}'),
    ("a.b@c+d-e:x", '{"a.b@c+d-e": ["x"]}'),
    ("a$:x", "ConstraintSyntaxError: invalid character '$' in operator 'a$:'"),
    ("(a|b", "ConstraintSyntaxError: Unclosed parenthesis in position 0"),
    ("((a)", "ConstraintSyntaxError: Unclosed parenthesis in position 1"),
    ('"unclosed', "ConstraintSyntaxError: Unclosed quote '\"' at position 1"),
    ('x:"y', "ConstraintSyntaxError: Unclosed quote '\"' at position 3"),
    (
        "a b and not c or -d e",
        '{"and": [{"or": [{"and": [{"t": ["a"]}, {"t": ["b"]}, {"not": [{"t": ["c"]}]}]}, '
        '{"not": [{"t": ["d"]}]}]}, {"t": ["e"]}]}',
    ),
]


def test_sequence_matches_flux_core() -> None:
    p = TestParser()
    for query, expected in CASES:
        try:
            got = json.dumps(p.parse(query))
        except parser.ConstraintSyntaxError as exc:
            got = f"ConstraintSyntaxError: {exc}"
        assert (query, got) == (query, expected)


def test_operator_required_without_default() -> None:
    with pytest.raises(parser.ConstraintSyntaxError, match='^Missing required operator in "foo"$'):
        parser.ConstraintParser().parse("foo")


def test_split_values_and_combined_terms() -> None:
    class Split(parser.ConstraintParser):  # type: ignore[name-defined]
        operator_map = {None: "t"}
        split_values = {"t": ","}

    class Combine(parser.ConstraintParser):  # type: ignore[name-defined]
        operator_map = {None: "t"}
        combined_terms = {"t"}

    assert Split().parse("xx,yy") == {"t": ["xx", "yy"]}
    assert Combine().parse("xx and yy zz") == {"t": ["xx", "yy", "zz"]}
    assert Combine().parse("not (xx and yy)") == {"not": [{"t": ["xx", "yy"]}]}
    assert Combine().parse("a:xx b:yy") == {"and": [{"a": ["xx"]}, {"b": ["yy"]}]}
