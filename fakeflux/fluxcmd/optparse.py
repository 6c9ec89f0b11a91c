"""Option parsing as flux-core's C commands do it (its liboptparse over GNU getopt_long).

flux-core's builtins (``flux getattr``) and C commands (``flux-kvs``, ``flux-ping``)
share one option parser whose behaviour users see: parsing stops at the first
non-option (POSIXLY_CORRECT), long options may be abbreviated to a unique
prefix, ``-h/--help`` prints the usage and exits 0, and a bad option prints
``PROG: unrecognized option '--x'`` and ``Try `PROG --help' ...`` and exits 1.
This module reproduces that, so the fake commands fail the way real ones do.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, List, NoReturn, Optional, Sequence, Tuple

NO_ARG, REQUIRED_ARG, OPTIONAL_ARG = 0, 1, 2


class Option:
    """One option: ``name`` is the long form, ``key`` the one-letter short form.
    (A plain class: importing dataclasses costs a command tens of milliseconds.)"""

    __slots__ = ("name", "key", "has_arg", "arginfo", "usage", "autosplit", "hidden", "short_optional_arg")

    def __init__(
        self,
        name: str,
        key: str = "",
        has_arg: int = NO_ARG,
        arginfo: str = "",
        usage: str = "",
        autosplit: bool = False,  # "-S a=1,b=2" counts as two values
        hidden: bool = False,
        # An optional argument applies to the short form only with flux-core's
        # OPTPARSE_OPT_SHORTOPT_OPTIONAL_ARG; without it "-vv" is -v twice.
        short_optional_arg: bool = True,
    ) -> None:
        self.name = name
        self.key = key
        self.has_arg = has_arg
        self.arginfo = arginfo
        self.usage = usage
        self.autosplit = autosplit
        self.hidden = hidden
        self.short_optional_arg = short_optional_arg


class Parsed:
    """The options found (name -> values, one entry per use) and the operands."""

    __slots__ = ("values", "args")

    def __init__(
        self, values: Optional[Dict[str, List[Optional[str]]]] = None, args: Optional[List[str]] = None
    ) -> None:
        self.values: Dict[str, List[Optional[str]]] = values if values is not None else {}
        self.args: List[str] = args if args is not None else []

    def has(self, name: str) -> bool:
        return name in self.values

    def count(self, name: str) -> int:
        return len(self.values.get(name, []))

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The last value given (as optparse_get_str does)."""
        found = self.values.get(name)
        if not found or found[-1] is None:
            return default
        return found[-1]

    def all(self, name: str) -> List[str]:
        return [v for v in self.values.get(name, []) if v is not None]


HELP = Option("help", "h", usage="Display this message.")


class OptParser:
    """A parser for one command or subcommand; ``fullname`` is what messages are prefixed with."""

    def __init__(
        self,
        fullname: str,
        usage: Optional[str] = None,
        options: Sequence[Option] = (),
        description: Optional[str] = None,
    ) -> None:
        self.fullname = fullname
        self.usage = usage
        self.description = description  # a subcommand's one-line doc, printed under the usage
        self.options: List[Option] = [HELP, *options]
        # Commands on plain getopt_long (flux-logger) print their own usage after an
        # option error instead of the "Try ... --help" line, and exit 1 on --help too.
        self.getopt_usage: Optional[str] = None

    # -- messages -------------------------------------------------------------------------
    def usage_text(self) -> str:
        lines = [f"Usage: {self.fullname} {self.usage if self.usage is not None else '[OPTIONS]...'}"]
        if self.description:
            lines.append(self.description)
        columns = _term_columns()
        for opt in self.options:
            if not opt.hidden:
                lines.extend(_option_lines(opt, columns))
        return "\n".join(lines) + "\n"

    def print_usage(self) -> None:
        sys.stderr.write(self.usage_text())

    def fatal_usage(self, code: int = 1, message: Optional[str] = None) -> NoReturn:
        """optparse_fatal_usage: an optional ``fullname: message`` line, the usage, exit."""
        if message:
            sys.stderr.write(f"{self.fullname}: {message}\n")
        self.print_usage()
        sys.stderr.flush()
        raise SystemExit(code)

    def _try_help(self) -> NoReturn:
        if self.getopt_usage is not None:
            sys.stderr.write(self.getopt_usage)
        else:
            sys.stderr.write(f"Try `{self.fullname} --help' for more information.\n")
        raise SystemExit(1)

    def _unrecognized(self, text: str) -> NoReturn:
        sys.stderr.write(f"{self.fullname}: unrecognized option '{text}'\n")
        self._try_help()

    def _missing(self, text: str) -> NoReturn:
        if self.getopt_usage is not None:
            sys.stderr.write(f"{self.fullname}: option requires an argument -- '{text.lstrip('-')}'\n")
            self._try_help()
        sys.stderr.write(f"{self.fullname}: '{text}' missing argument\n")
        raise SystemExit(1)

    # -- parsing --------------------------------------------------------------------------
    def _long(self, name: str, text: str) -> Option:
        exact = [o for o in self.options if o.name == name]
        if exact:
            return exact[0]
        matches = [o for o in self.options if o.name.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            sys.stderr.write(f"{self.fullname}: option '{text}' is ambiguous\n")
            self._try_help()
        self._unrecognized(text)

    def _short(self, key: str) -> Optional[Option]:
        for opt in self.options:
            if opt.key == key:
                return opt
        return None

    def parse(self, argv: Sequence[str]) -> Parsed:
        """Parse ``argv`` (without the command name); exits on errors and on --help."""
        result = Parsed()
        i = 0
        while i < len(argv):
            arg = argv[i]
            if arg == "--":
                i += 1
                break
            if arg.startswith("--"):
                name, eq, value = arg[2:].partition("=")
                opt = self._long(name, arg.split("=", 1)[0])
                if opt.has_arg == NO_ARG and eq:
                    sys.stderr.write(f"{self.fullname}: option '--{opt.name}' doesn't allow an argument\n")
                    self._try_help()
                optarg: Optional[str] = value if eq else None
                if opt.has_arg == REQUIRED_ARG and not eq:
                    if i + 1 >= len(argv):
                        self._missing(arg)
                    i += 1
                    optarg = argv[i]
                self._found(result, opt, optarg)
                i += 1
                continue
            if arg.startswith("-") and arg != "-":
                j = 1
                while j < len(arg):
                    found = self._short(arg[j])
                    if found is None:
                        self._unrecognized(f"-{arg[j]}")
                    if found.has_arg == NO_ARG or (found.has_arg == OPTIONAL_ARG and not found.short_optional_arg):
                        self._found(result, found, None)
                        j += 1
                        continue
                    rest = arg[j + 1 :]
                    if rest:
                        self._found(result, found, rest)
                    elif found.has_arg == REQUIRED_ARG:
                        if i + 1 >= len(argv):
                            self._missing(arg)
                        i += 1
                        self._found(result, found, argv[i])
                    else:
                        self._found(result, found, None)
                    break
                i += 1
                continue
            break  # POSIXLY_CORRECT: the first operand ends the options
        result.args = list(argv[i:])
        if result.has("help"):
            if self.getopt_usage is not None:
                self._try_help()
            self.print_usage()
            raise SystemExit(0)
        return result

    @staticmethod
    def _found(result: Parsed, opt: Option, value: Optional[str]) -> None:
        values = result.values.setdefault(opt.name, [])
        if opt.autosplit and value is not None:
            values.extend(value.split(","))
        else:
            values.append(value)


def command_list_usage(prog: str, listed: Sequence[Tuple[str, str]]) -> str:
    """The usage of a command of subcommands (flux job, flux kvs): its own
    options, then ``Common commands from PROG:`` with one line each."""
    lines = [OptParser(prog, "[OPTIONS] COMMAND ARGS").usage_text(), f"\nCommon commands from {prog}:\n"]
    lines.extend(f"   {name:<15} {doc}\n" for name, doc in listed)
    return "".join(lines)


def _term_columns() -> int:
    try:
        cols = int(os.environ.get("COLUMNS", "80"))
    except ValueError:
        cols = 80
    return cols if 16 < cols < 256 else 80


def _wrap(text: str, width: int) -> List[str]:
    lines: List[str] = []
    while len(text) > width:
        cut = text.rfind(" ", 0, width + 1)
        if cut <= 0:
            lines.append(text[: width - 1] + "-")
            text = text[width - 1 :]
            continue
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        lines.append(text)
    return lines


def _option_lines(opt: Option, columns: int, left: int = 2, width: int = 25) -> List[str]:
    arg = f"={opt.arginfo}" if opt.arginfo else ""
    if opt.key:
        info = f"{'':{left}}-{opt.key}, --{opt.name}{arg}"
    else:
        info = f"{'':{left + 4}}--{opt.name}{arg}"
    segments = _wrap(opt.usage, columns - width) or [""]
    if len(info) < width:
        out = [f"{info:<{width}}{segments[0]}"]
    else:
        out = [info, f"{'':{width}}{segments[0]}"]
    out.extend(f"{'':{width}}{s}" for s in segments[1:])
    return out


def split_first(argv: Sequence[str]) -> Tuple[str, List[str]]:
    """The subcommand name and its arguments."""
    return argv[0], list(argv[1:])


class SubcommandGroup:
    """A C command with subcommands (``flux config get``, ``flux-kvs put``): usage
    lists ``Usage: NAME SUB USAGE`` then ``   or: ...`` lines, then the group's options."""

    def __init__(self, fullname: str, options: Sequence[Option] = (), description: Optional[str] = None) -> None:
        self.parser = OptParser(fullname, None, options)
        self.description = description
        self.fullname = fullname
        self.subs: List[Tuple[str, str, Sequence[Option], str]] = []

    def add(self, name: str, usage: str, options: Sequence[Option] = (), description: str = "") -> None:
        self.subs.append((name, usage, options, description))

    def usage_text(self) -> str:
        lines = []
        for i, (name, usage, _opts, _doc) in enumerate(self.subs):
            lines.append(f"{'Usage' if i == 0 else 'or':>5}: {self.fullname} {name} {usage or '[OPTIONS]'}")
        if self.description:
            lines.append(self.description)
        columns = _term_columns()
        for opt in self.parser.options:
            if not opt.hidden:
                lines.extend(_option_lines(opt, columns))
        return "\n".join(lines) + "\n"

    def fatal_usage(self, code: int, message: Optional[str] = None) -> NoReturn:
        if message:
            sys.stderr.write(f"{self.fullname}: {message}\n")
        sys.stderr.write(self.usage_text())
        raise SystemExit(code)

    def parse(self, argv: Sequence[str]) -> Tuple[Parsed, str, OptParser, Parsed]:
        """Group options, then the subcommand and its options."""
        self.parser.usage_text = self.usage_text  # type: ignore[method-assign]
        top = self.parser.parse(argv)
        if not top.args:
            self.fatal_usage(1, "missing subcommand")
        name = top.args[0]
        for sub, usage, options, doc in self.subs:
            if sub == name:
                parser = OptParser(f"{self.fullname} {sub}", usage, options, doc or None)
                return top, name, parser, parser.parse(top.args[1:])
        self.fatal_usage(1, f"Unknown subcommand: {name}")
