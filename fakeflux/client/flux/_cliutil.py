"""argparse helpers and the main-function wrapper of flux-core's Python tools.

Re-exported by :mod:`flux.util` (``CLIMain``, ``help_formatter``, the
``*Action`` classes); separate so that ``import flux`` does not load argparse.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from typing import Any, Callable, Optional, Sequence, Tuple

from .util import set_treedict

__all__ = [
    "help_formatter",
    "TreedictAction",
    "FilterAction",
    "FilterActionSetUpdate",
    "FilterActionUser",
    "FilterTrueAction",
    "YesNoAction",
    "ColorAction",
    "CLIMain",
]


class _FluxHelpFormatter(argparse.HelpFormatter):
    """Options shown as ``-l, --long=ARG``; a long-only option is indented to line up."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings:  # a positional argument: its metavar alone
            return str(self._metavar_formatter(action, action.dest)(1)[0])
        hidden = getattr(action, "hidden_option_strings", ())
        shown = [opt for opt in action.option_strings if opt not in hidden]
        names = ", ".join(shown)
        if len(shown) == 1 and len(shown[0]) > len("-x"):
            names = " " * 4 + names  # where "-x, " would be
        takes_value = action.nargs != 0
        return names + "=" + self._format_args(action, action.dest.upper()) if takes_value else names


class _FluxRawDescriptionHelpFormatter(_FluxHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def help_formatter(argwidth: int = 40, raw_description: bool = False) -> Callable[[str], argparse.HelpFormatter]:
    """A ``formatter_class`` for ArgumentParser: Flux's option layout, help column at ``argwidth``."""
    cls = _FluxRawDescriptionHelpFormatter if raw_description else _FluxHelpFormatter
    return lambda prog: cls(prog, max_help_position=argwidth)


def _json_or_text(text: str) -> Any:
    """A ``KEY=VALUE`` value: what it means as JSON, else the text itself."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


class _RecordingAction(argparse.Action):
    """Stores a value in ``dest`` and sets each of ``marks`` to True on the namespace
    (``filtered``: the listing is restricted, which changes a command's defaults)."""

    marks: Tuple[str, ...] = ()

    def _record(self, namespace: Any, value: Any) -> None:
        for mark in self.marks:
            setattr(namespace, mark, True)
        setattr(namespace, self.dest, value)


class TreedictAction(argparse.Action):
    """``KEY=VALUE`` arguments into a nested dict (dotted keys; values parsed as JSON if they are)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: Optional[str] = None,
    ) -> None:
        tree: dict = {}
        for item in values:
            key, equals, text = item.partition("=")
            if not equals:
                raise ValueError(f"Missing required value for key {item}")
            set_treedict(tree, key, _json_or_text(text))
            # (stored after each item, so that what came before an error is kept)
            vars(namespace)[self.dest] = tree


class FilterAction(_RecordingAction):
    """Store the value and mark the namespace ``filtered``."""

    marks = ("filtered",)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        self._record(namespace, values)


class FilterActionSetUpdate(argparse.Action):
    """Add comma-separated values to the set in ``dest`` and mark ``filtered``."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        namespace.filtered = True
        wanted = getattr(namespace, self.dest)
        wanted.update(values.split(","))


class FilterActionUser(_RecordingAction):
    """Store a user filter; marks ``filtered`` and ``filtereduser``."""

    marks = ("filtered", "filtereduser")

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        self._record(namespace, values)


class FilterTrueAction(_RecordingAction):
    """A flag (``store_true``-like, stores ``const``) that also marks ``filtered``."""

    marks = ("filtered",)

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        const: Any = True,
        default: Any = False,
        required: bool = False,
        help: Optional[str] = None,  # noqa: A002 - argparse's name
        metavar: Optional[str] = None,
    ) -> None:
        # a flag: no argument; ``required`` and ``metavar`` are accepted and ignored
        super().__init__(option_strings=option_strings, dest=dest, nargs=0, const=const, default=default, help=help)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        self._record(namespace, self.const)


class YesNoAction(_RecordingAction):
    """An option taking ``yes`` or ``no``, stored as a bool."""

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        help: Optional[str] = None,  # noqa: A002 - argparse's name
        metavar: str = "[yes|no]",
    ) -> None:
        super().__init__(option_strings=option_strings, dest=dest, help=help, metavar=metavar)

    def __call__(self, parser: Any, namespace: Any, value: Any, option_string: Optional[str] = None) -> None:
        answers = {"yes": True, "no": False}
        if value not in answers:
            raise ValueError(f"{option_string} requires either 'yes' or 'no'")
        self._record(namespace, answers[value])


_COLOR_WHEN = ("auto", "always", "never")


class ColorAction(argparse.Action):
    """``--color[=WHEN]``: ``always``, ``never`` or ``auto``; bare ``--color`` means always.

    Unused, it defaults to ``auto``, or ``never`` when ``NO_COLOR`` is set
    and non-empty.  The value is a :class:`ColorAction.ColorWhen` string with
    an ``enabled`` property (``auto``: stdout is a terminal).
    """

    class ColorWhen(str):
        @property
        def enabled(self) -> bool:
            fixed = {"always": True, "never": False}.get(str(self))
            return sys.stdout.isatty() if fixed is None else fixed

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        nargs: Any = "?",
        default: Any = "auto",
        metavar: Any = "WHEN",
        help: Optional[str] = "Use color; WHEN can be 'never', 'always' or 'auto' (default)",  # noqa: A002
        **kwargs: Any,
    ) -> None:
        if default == "auto" and os.environ.get("NO_COLOR"):
            default = "never"
        super().__init__(
            option_strings,
            dest,
            nargs=nargs,
            default=self.ColorWhen(default),
            metavar=metavar,
            help=help,
            **kwargs,
        )

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        when = "always" if values is None else values  # a bare --color
        if when not in _COLOR_WHEN:
            parser.error(f"Invalid argument to --color: '{when}'")
        setattr(namespace, self.dest, self.ColorWhen(when))


class CLIMain:
    """Decorator-style runner for a tool's main: logging set up, errors logged, ``sys.exit``.

    An exception is logged as ``name: ERROR: message`` (an OSError as its
    strerror, plus ``: 'filename'``) and exits 1; the traceback is logged at
    debug level.  ``FLUX_PYCLI_LOGLEVEL`` sets the log level.
    """

    def __init__(self, logger: Optional[logging.Logger] = None) -> None:
        self.logger = logger if logger is not None else logging.getLogger()

    def __call__(self, main_func: Callable[[], Any]) -> None:
        level = int(os.environ.get("FLUX_PYCLI_LOGLEVEL", logging.INFO))
        logging.basicConfig(level=level, format="%(name)s: %(levelname)s: %(message)s")
        exit_code: Any = 0
        try:
            main_func()
        except SystemExit as ex:
            exit_code = ex
        except Exception as ex:  # a tool's error becomes one log line and exit 1
            exit_code = 1
            message = str(getattr(ex, "strerror", None) or ex)
            filename = getattr(ex, "filename", None)
            if filename:
                message += f": '{filename}'"
            self.logger.error(message)
            self.logger.debug("%s", traceback.format_exc())
        finally:
            logging.shutdown()
            sys.exit(exit_code)
