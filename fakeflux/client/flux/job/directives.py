"""Submission directives in scripts (RFC 36): ``# flux: -N2 --queue=batch`` lines.

flux-core's ``flux.job.directives``: ``DirectiveParser(lines)`` scans a
script for lines carrying a ``flux:`` (or ``FLUX:``) sentinel and keeps
each as a ``Directive`` (the rest of the line split as a POSIX shell
would).  A value may span lines between triple quotes placed at line ends.
Directives form one block: the same sentinel throughout, and none after
the first line that is neither a directive nor blank nor starts with the
directives' prefix.  Errors are ValueError naming the line, with
flux-core's texts.
"""

from __future__ import annotations

import re
import shlex
from typing import Iterable, List, Optional

# prefix (no word characters), then the tag, then the directive's text
_SENTINEL_LINE = re.compile(r"^([^\w]*)((?:flux|FLUX):)(.*)$")
_TRIPLE_QUOTES = ('"""', "'''")


def _shell_words(text: str, lineno: int) -> List[str]:
    """``text`` split as a shell would: quotes, escapes and ``#`` comments honoured."""
    splitter = shlex.shlex(text, posix=True, punctuation_chars=True)
    splitter.whitespace_split = True  # "--opt=a" stays one word
    splitter.escapedquotes = "\"'"  # a backslash escapes a single quote too
    try:
        return list(splitter)
    except ValueError as exc:
        raise ValueError(f"line {lineno}: {text}: {exc}") from None


class Directive:
    """One directive: ``args`` (shell words), ``action`` (SETARGS: options; NOOP: empty), ``lineno``."""

    def __init__(self, value: str, lineno: int = -1) -> None:
        self.lineno = lineno
        self.args = _shell_words(value, lineno)
        if self.args and not self.args[0].startswith("-"):
            raise ValueError(f"line {lineno}: Unknown directive: {value}")
        self.action = "SETARGS" if self.args else "NOOP"

    def __str__(self) -> str:
        return f"{self.action}({self.args})"


class MultiLine:
    """A value between triple quotes at line ends, gathered line by line (common indent removed)."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.triplequote: Optional[str] = None  # the quotes that opened it
        self.indent = ""
        self.start: Optional[str] = None  # the opening line, for messages
        self.startline = -1

    @property
    def inprogress(self) -> bool:
        return self.triplequote is not None

    def append(self, value: str) -> None:
        self.lines.append(value[len(self.indent) :] if value.startswith(self.indent) else value)

    def process(self, value: str, lineno: int) -> Optional[str]:
        """Take a line ending in triple quotes: it opens the value, closes it (the text is returned) or is in it."""
        quotes, body = value[-3:], value[:-3]
        if not self.inprogress:
            stripped = value.lstrip()
            self.triplequote, self.start, self.startline = quotes, stripped, lineno
            self.indent = value[: len(value) - len(stripped)]
            self.append(body)
            return None
        if quotes != self.triplequote:
            self.append(value)  # the other kind of quotes is text
            return None
        self.append(body)
        return self.finish()

    def finish(self) -> str:
        """The gathered value as directive text: the first line, then the rest as one quoted word."""
        head, rest = self.lines[0], "\n".join(self.lines[1:])
        text = head + shlex.quote(rest)
        if self.triplequote is not None and self.triplequote in text:
            raise ValueError(f"improperly terminated triple quoted string at: `{self.start}'")
        # ready for the next value; startline stays: the directive's line number
        self.lines, self.triplequote, self.indent, self.start = [], None, "", None
        return text


class DirectiveParser:
    """The directives of a script: ``directives`` (Directive list) and ``script`` (the whole text)."""

    def __init__(self, inputfile: Iterable[str]) -> None:
        self.directives: List[Directive] = []
        self.script = ""
        self.re = _SENTINEL_LINE
        self.sentinel: Optional[str] = None
        self.prefix: Optional[str] = None
        self.line = 0
        self._block = MultiLine()
        self._closed_after: Optional[int] = None  # the last line of the directives block, once it ended
        for lineno, line in enumerate(inputfile, start=1):
            self.script += line
            self._scan(line, lineno)

    def _scan(self, line: str, lineno: int) -> None:
        found = _SENTINEL_LINE.match(line)
        if found is None:
            self._other_line(line, lineno)
            return
        prefix, tag, text = found.groups()
        if self._closed_after is not None:
            raise ValueError(
                f"line {lineno}: orphan '{tag}' detected: directives disabled after line {self._closed_after}"
            )
        try:
            value = self.triplequote(text)
        except ValueError as exc:
            raise ValueError(f"line {lineno}: {exc}") from None
        self._check_sentinel(prefix, tag, value, lineno)
        block = self._block
        if value.endswith(_TRIPLE_QUOTES):
            done = block.process(value, lineno)
            if done:
                self.append(done, block.startline)
        elif block.inprogress:
            block.append(value)
        elif value:
            self.append(value, lineno)

    def _other_line(self, line: str, lineno: int) -> None:
        if self._block.inprogress:
            block = self._block
            raise ValueError(f"line {lineno}: unterminated multi-line quote at line {block.startline}: `{block.start}'")
        # A line that is not blank and does not start with the directives'
        # prefix ends the block of directives.
        if self.prefix is None or self._closed_after is not None or not line.strip():
            return
        if not line.startswith(self.prefix.rstrip()):
            self._closed_after = lineno - 1

    def _check_sentinel(self, prefix: str, tag: str, value: str, lineno: int) -> None:
        sentinel = prefix + tag
        if self.sentinel is None:
            self.sentinel, self.prefix = sentinel, prefix
            return
        if sentinel == self.sentinel:
            return
        raise ValueError(
            f"line {lineno}: sentinel changed from '{self.sentinel}' to '{sentinel}'\n\n"
            "All directives in a file must use the same sentinel.\n\n"
            "If you're trying to disable this directive, place a comment\n"
            "character AFTER the sentinel, not in the prefix:\n\n"
            f"  {self.sentinel} # {value.lstrip()}\n\n"
            "The '#' character comments out the rest of the line, making\n"
            "this directive a no-op while maintaining the same sentinel."
        )

    def triplequote(self, value: str) -> str:
        """``value`` with each triple-quoted part on it made one shell word; an unpaired one must end it."""
        for quotes in _TRIPLE_QUOTES:
            count = value.count(quotes)
            if count and count % 2 == 0:
                return re.sub(r"""((?:["']){3})(.*)\1""", lambda m: shlex.quote(m[2]), value)
        if re.search(r"""((?:["']){3}).""", value):
            raise ValueError(f"unclosed triple quote: {value.strip()}")
        return value

    def append(self, value: str, lineno: int) -> None:
        self.directives.append(Directive(value, lineno))
