"""What the subcommands written in Python in flux-core (flux-jobs.py, flux-resource.py...)
share here: their argument parser and their top level (CLIMain's logging and exit codes)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Callable, NoReturn


class _CommandParser(argparse.ArgumentParser):
    """The parser flux-core's Python commands use: long options must be spelled out in full
    and help is laid out Flux's way.  argparse builds subcommand parsers from the parent's
    class, so subcommands inherit both settings without further work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import flux.util as futil  # type: ignore[import-not-found]

        settings = {"formatter_class": futil.help_formatter(), "allow_abbrev": False}
        super().__init__(*args, **{**settings, **kwargs})


def argument_parser(prog: str, **kwargs: Any) -> argparse.ArgumentParser:
    return _CommandParser(prog=prog, **kwargs)


def run(logger: logging.Logger, body: Callable[[], Any]) -> NoReturn:
    """Run ``body`` under flux.util.CLIMain: ``prog: LEVEL: text`` log lines on stderr,
    an exception is one ERROR line and exit status 1; always ends with SystemExit."""
    import flux.util as futil

    # The commands print UTF-8 (emoji, the ƒ of job ids) whatever the locale says.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    futil.CLIMain(logger)(body)
    raise SystemExit(0)  # CLIMain always exits; this keeps the type checker informed
