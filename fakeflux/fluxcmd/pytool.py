"""What the subcommands written in Python in flux-core (flux-jobs.py, flux-resource.py...)
share here: their argument parser and their top level (CLIMain's logging and exit codes)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Callable, NoReturn


class FluxArgumentParser(argparse.ArgumentParser):
    """flux-core's FluxArgumentParser: no abbreviated long options, Flux's help layout
    (subcommand parsers are of this class too, so they get the same)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from flux.util import help_formatter  # type: ignore[import-not-found]

        kwargs.setdefault("formatter_class", help_formatter())
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def argument_parser(prog: str, **kwargs: Any) -> argparse.ArgumentParser:
    return FluxArgumentParser(prog=prog, **kwargs)


def run(logger: logging.Logger, body: Callable[[], Any]) -> NoReturn:
    """Run ``body`` as flux.util.CLIMain does: ``prog: LEVEL: text`` log lines on stderr,
    an exception is one ERROR line and exit status 1; always ends with SystemExit."""
    from flux.util import CLIMain

    # The commands print UTF-8 (emoji, the ƒ of job ids) whatever the locale says.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8")
    CLIMain(logger)(body)
    raise SystemExit(0)  # CLIMain always exits; this keeps the type checker informed
