"""What every fake ``flux`` subcommand shares: error exits as flux-core prints them,
opening a handle, and the top-level wrapper of its Python commands."""

from __future__ import annotations

import errno as errno_mod
import os
import sys
from typing import Any, Callable, NoReturn, Optional


class CommandError(Exception):
    """A command's fatal error; ``message`` is printed as is (with the prefix the command uses)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def strerror(err: BaseException) -> str:
    """The C library's text for an OSError (what flux-core's log_err prints)."""
    num = getattr(err, "errno", None)
    if isinstance(num, int) and num > 0:
        return os.strerror(num)
    return getattr(err, "strerror", None) or str(err)


def die(prog: str, message: str, code: int = 1) -> NoReturn:
    """log_msg_exit: ``prog: message`` on stderr, exit 1.  Buffered output to a pipe
    comes out after it, at exit, as a C command's stdio buffer does."""
    sys.stderr.write(f"{prog}: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def die_err(prog: str, message: str, err: BaseException, code: int = 1) -> NoReturn:
    """log_err_exit: ``prog: message: strerror`` on stderr, exit 1."""
    die(prog, f"{message}: {strerror(err)}", code)


def error_text(err: OSError) -> str:
    """An error response's own text when the broker sent one, else strerror
    (what flux_future_strerror gives a C command)."""
    text = getattr(err, "strerror", None)
    return text if text else strerror(err)


def open_handle(prog: str = "flux") -> Any:
    """flux.Flux() on FLUX_URI, or the C commands' ``flux_open`` failure."""
    import flux  # type: ignore[import-not-found,unused-ignore]

    try:
        return flux.Flux()
    except OSError as exc:
        die_err(prog, "flux_open", exc)


def python_main(prog: str, body: Callable[[], Optional[int]]) -> int:
    """What flux-core's CLIMain does for its Python commands: an exception is one
    ``prog: ERROR: text`` line and exit status 1; SystemExit passes through."""
    try:
        return body() or 0
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write(f"{code}\n")
        return 1
    except KeyboardInterrupt:
        return 128 + 2
    except Exception as exc:  # noqa: BLE001 - the command's top level, as CLIMain
        message = getattr(exc, "strerror", None) or str(exc)
        filename = getattr(exc, "filename", None)
        if filename:
            message += f": '{filename}'"
        sys.stdout.flush()
        sys.stderr.write(f"{prog}: ERROR: {message}\n")
        return 1


ENOENT = errno_mod.ENOENT
