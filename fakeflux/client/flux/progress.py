"""A status line kept on a terminal's last line, and a progress bar on it (flux-core's ``flux.progress``).

``Bottombar(formatter, **kwargs)`` keeps a line drawn by
``formatter(bbar, width)`` at the bottom of a vt100 terminal, the rest of
the screen scrolling above it; extra keywords are attributes of the bar.
``ProgressBar(total, style, before, after, autostop, **kwargs)`` draws a bar
between ``before`` and ``after`` format strings (given ``total``,
``count``, ``percent``, ``elapsed`` and the keywords).  ``flux submit
--progress`` and ``JobWatcher`` use them.
"""

from __future__ import annotations

import atexit
import datetime
import sys
import time
from typing import Any, Callable, Optional


class ElapsedTime(float):
    """Seconds elapsed; ``dt`` is the same as a ``datetime.timedelta`` of whole seconds."""

    @property
    def dt(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=round(self))


# vt100 sequences
_SAVE = "\0337"  # save cursor and attributes
_RESTORE = "\0338"
_RESET_REGION = "\033[r"  # scroll region: whole screen (moves the cursor)


class Bottombar:
    """A status line on the terminal's last line (vt100), redrawn on ``update(**kwargs)``."""

    def __init__(self, formatter: Optional[Callable[[Any, int], str]] = None, **kwargs: Any) -> None:
        self.size: Any = None
        self.formatter = formatter if formatter is not None else self._format
        self.kwargs = kwargs
        self._running = False
        self._t0: Optional[float] = None

    def __getattr__(self, attr: str) -> Any:
        if attr == "elapsed":
            return ElapsedTime(time.time() - (self._t0 or 0.0))
        # (a KeyError for an unknown name, as in flux-core)
        return self.__dict__["kwargs"][attr]

    def _format(self, _bbar: Any, _width: int) -> str:
        return " ".join(f"{key}={val}" for key, val in self.kwargs.items())

    def __str__(self) -> str:
        return self.formatter(self, self.size.columns)

    def _setup_terminal(self, size: Any = None) -> None:
        # Keep the last line out of the scroll region.
        if size:
            self.size = size
        sys.stdout.write(
            f"{_SAVE}{_RESET_REGION}{_RESTORE}"
            "\033D\033M"  # scroll down one line and back up: room for the bar
            f"{_SAVE}\033[1;{self.size.lines - 1}r{_RESTORE}"
        )

    def _reset_terminal(self) -> None:
        # Whole-screen scrolling again, the final bar left on the last line.
        sys.stdout.write(f"{_SAVE}\033[{self.size.lines};1H\033[K{_RESET_REGION}{_RESTORE}{self}\n")
        atexit.unregister(self._reset_terminal)

    def redraw(self) -> None:
        """Draw the bar again, as it is."""
        import shutil  # (only when drawing: not loaded with flux.job)

        size = shutil.get_terminal_size()
        if self.size != size:
            self._setup_terminal(size)
        sys.stdout.write(
            f"{_SAVE}\033[{self.size.lines};1H\033[2K"
            "\033[?7l"  # no line wrap while drawing
            f"\033[0m{self}"
            f"\033[?7h{_RESTORE}"
        )
        sys.stdout.flush()

    def start(self) -> Bottombar:
        """Start drawing (the terminal is reset at exit if ``stop`` is not called)."""
        self._running = True
        if self._t0 is None:
            self._t0 = time.time()
        self.redraw()
        atexit.register(self._reset_terminal)
        return self

    def stop(self) -> None:
        """Reset the terminal, leaving the final bar and a newline."""
        if self._running:
            self._reset_terminal()
            self._running = False

    def update(self, **kwargs: Any) -> None:
        """Update the keywords and redraw if running."""
        self.kwargs.update(kwargs)
        if self._running:
            self.redraw()


class ProgressBar(Bottombar):
    """A progress bar of ``count`` out of ``total`` on the last line; ``update(advance=1, **kwargs)``."""

    bar_style = {
        "line": "─━",
        "bar": "─█",
        "dots": "⣀⣄⣤⣦⣶⣷⣿",
        "steps": " ▁▂▃▄▅▆▇█",
        "vertbars": " ▏▎▍▌▋▊▉█",
    }

    def __init__(
        self,
        total: int = 100,
        style: str = "vertbars",
        before: str = "",
        after: str = " {percent:5.1f}%",
        autostop: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(self._formatter, **kwargs)
        self.count = 0
        self.total = total
        self.before = before
        self.after = after
        self.style = self.bar_style[style]
        self.autostop = autostop

    def _formatter(self, bbar: Any, width: int) -> str:
        style = self.style
        fraction = float(self.count / self.total) if self.total else 0.0
        fields = dict(total=self.total, count=self.count, elapsed=self.elapsed, percent=100 * fraction)
        before = self.before.format(**fields, **bbar.kwargs)
        after = self.after.format(**fields, **bbar.kwargs)
        length = width - len(before) - len(after) - 2
        fraction = min(fraction, 1.0)
        fill = int(length * fraction)
        filled = style[-1] * fill
        # the partly filled cell, in the style's steps
        part = int(length * len(style) * fraction) - fill * len(style)
        if part:
            fill += 1
            if part >= len(style):
                part = -1
            filled += style[part]
        return f"{before}\u2502{filled}{style[0] * (length - fill)}\u2502{after}"

    def update(self, advance: int = 1, **kwargs: Any) -> None:
        """Advance by ``advance``, update the keywords, redraw; stop at ``total`` with ``autostop``."""
        self.count += advance
        super().update(**kwargs)
        if self.count == self.total and self.autostop:
            self.stop()
