"""Submission directives in scripts (RFC 36): ``# flux: -N2 --queue=batch`` lines.

flux-core's ``flux.job.directives``: ``DirectiveParser(lines)`` finds the
lines carrying a ``flux:`` (or ``FLUX:``) sentinel, splits each as a shell
would (with triple-quoted multi-line values), and keeps them as
``Directive`` objects; ``flux batch`` and ``flux submit`` take their
options from them.  Errors are ValueError with flux-core's texts, which
name the line.
"""

from __future__ import annotations

import re
import shlex
from typing import Iterable, List, Optional


class Directive:
    """One directive (sentinel removed): ``action`` is SETARGS (options in ``args``) or NOOP."""

    def __init__(self, value: str, lineno: int = -1) -> None:
        self.lineno = lineno
        # Split as a POSIX shell would, comments dropped; punctuation_chars
        # keeps "--foo" whole, and escaped single quotes must not open a quote.
        lexer = shlex.shlex(value, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.escapedquotes = "\"'"
        try:
            self.args: List[str] = list(lexer)
        except ValueError as exc:
            raise ValueError(f"line {lineno}: {value}: {exc}") from None
        if not self.args:
            self.action = "NOOP"
        elif self.args[0].startswith("-"):
            self.action = "SETARGS"
        else:
            raise ValueError(f"line {lineno}: Unknown directive: {value}")

    def __str__(self) -> str:
        return f"{self.action}({self.args})"


class MultiLine:
    """A value spread over lines between triple quotes at line ends, collected until closed."""

    def __init__(self) -> None:
        self.triplequote: Optional[str] = None
        self.inprogress = False
        self.startline = -1
        self.start: Optional[str] = None
        self.indent = ""
        self.lines: List[str] = []

    def finish(self) -> str:
        """The directive text: the first line, then the rest quoted as one shell word."""
        result = self.lines[0] + shlex.quote("\n".join(self.lines[1:]))
        if self.triplequote and self.triplequote in result:
            raise ValueError(f"improperly terminated triple quoted string at: `{self.start}'")
        self.triplequote = None
        self.lines.clear()
        self.indent = ""
        self.inprogress = False
        self.start = None
        return result

    def append(self, value: str) -> None:
        if value.startswith(self.indent):
            value = value[len(self.indent) :]
        self.lines.append(value)

    def process(self, value: str, lineno: int) -> Optional[str]:
        """Take a line ending in a triple quote: it opens or closes (returning the text) or is content."""
        quotes = value[-3:]
        closing = False
        if not self.inprogress:
            self.triplequote = quotes
            self.indent = value[: len(value) - len(value.lstrip())]
            self.inprogress = True
            self.start = value.lstrip()
            self.startline = lineno
        elif quotes != self.triplequote:
            self.append(value)  # the other kind of triple quote: content
            return None
        else:
            closing = True
        self.append(value[:-3])
        return self.finish() if closing else None


class DirectiveParser:
    """The directives of a script: ``directives`` (list of Directive) and ``script`` (the whole text)."""

    def __init__(self, inputfile: Iterable[str]) -> None:
        self.directives: List[Directive] = []
        self.script = ""
        self.re = re.compile(r"^([^\w]*)((?:flux|FLUX):)(.*)$")
        self.sentinel: Optional[str] = None
        self.prefix: Optional[str] = None
        self.line = 0

        multiline = MultiLine()
        started = False
        disabled = False
        last_directive_line = 0
        for lineno, line in enumerate(inputfile, start=1):
            self.script += line
            match = self.re.match(line)
            if not match:
                if multiline.inprogress:
                    raise ValueError(
                        f"line {lineno}: unterminated multi-line quote at"
                        f" line {multiline.startline}: `{multiline.start}'"
                    )
                # The first non-empty line not starting with the directives'
                # prefix ends the directives block.
                if started and not disabled and not line.startswith((self.prefix or "").rstrip()) and line.strip():
                    disabled = True
                    last_directive_line = lineno - 1
                continue

            started = True
            prefix, tag = match.group(1), match.group(2)
            sentinel = prefix + tag
            if disabled:
                raise ValueError(
                    f"line {lineno}: orphan '{tag}' detected: directives disabled after line {last_directive_line}"
                )
            try:
                value = self.triplequote(match.group(3))
            except ValueError as exc:
                raise ValueError(f"line {lineno}: {exc}") from None
            if self.sentinel is None:
                self.sentinel = sentinel
                self.prefix = prefix
            elif sentinel != self.sentinel:
                raise ValueError(
                    f"line {lineno}: sentinel changed from "
                    f"'{self.sentinel}' to '{sentinel}'\n\n"
                    "All directives in a file must use the same sentinel.\n\n"
                    "If you're trying to disable this directive, place a comment\n"
                    "character AFTER the sentinel, not in the prefix:\n\n"
                    f"  {self.sentinel} # {value.lstrip()}\n\n"
                    "The '#' character comments out the rest of the line, making\n"
                    "this directive a no-op while maintaining the same sentinel."
                )
            if value.endswith(('"""', "'''")):
                result = multiline.process(value, lineno)
                if result:
                    self.append(result, multiline.startline)
            elif multiline.inprogress:
                multiline.append(value)
            elif value:
                self.append(value, lineno)

    def triplequote(self, value: str) -> str:
        """Quote each paired triple-quoted part of a line for the shell split; an unpaired one must end it."""

        def paired(n: int) -> bool:
            return n > 0 and n % 2 == 0

        if paired(value.count('"""')) or paired(value.count("'''")):
            return re.sub(r"""((?:["']){3})(.*)\1""", lambda m: shlex.quote(m[2]), value)
        if re.search(r"""((?:["']){3}).""", value):
            raise ValueError(f"unclosed triple quote: {value.strip()}")
        return value

    def append(self, value: str, lineno: int) -> None:
        self.directives.append(Directive(value, lineno))
