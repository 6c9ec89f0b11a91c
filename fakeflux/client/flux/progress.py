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
import sys
import time
from datetime import timedelta
from typing import Any, Callable, Optional


class ElapsedTime(float):
    """Seconds elapsed; ``dt`` is the same as a ``datetime.timedelta`` of whole seconds."""

    @property
    def dt(self) -> timedelta:
        whole_seconds = round(self)
        return timedelta(seconds=whole_seconds)


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
        width = self.size.columns
        return self.formatter(self, width)

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
        atexit.unregister(self._reset_terminal)  # done: nothing left to reset at exit

    def redraw(self) -> None:
        """Draw the bar again, as it is."""
        import shutil  # (only when drawing: not loaded with flux.job)

        current = shutil.get_terminal_size()
        if current != self.size:  # first drawing, or the terminal was resized
            self._setup_terminal(current)
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
        for name, value in kwargs.items():
            self.kwargs[name] = value
        if self._running:
            self.redraw()


def _bar(style: str, cells: int, fraction: float) -> str:
    """``cells`` characters, ``fraction`` of them full (``style[-1]``), then one partly
    full (a step of ``style``) where the fraction ends, the rest empty (``style[0]``)."""
    steps = len(style)
    full = int(cells * fraction)
    step = int(cells * steps * fraction) - full * steps
    drawn = style[-1] * full
    if step:
        drawn += style[min(step, steps - 1)]
        full += 1
    return drawn + style[0] * (cells - full)


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
        Bottombar.__init__(self, self._formatter, **kwargs)
        self.style = self.bar_style[style]  # KeyError for an unknown style, as in flux-core
        self.count, self.total = 0, total
        self.before, self.after = before, after
        self.autostop = autostop

    def _formatter(self, bbar: Any, width: int) -> str:
        fraction = float(self.count / self.total) if self.total else 0.0
        ours = {"total": self.total, "count": self.count, "elapsed": self.elapsed, "percent": 100 * fraction}

        def fill(template: str) -> str:  # a keyword also among ours is a TypeError, as in flux-core
            return template.format(**ours, **bbar.kwargs)

        left, right = fill(self.before), fill(self.after)
        inside = width - len(left) - len(right) - 2  # the two frame characters
        return f"{left}\u2502{_bar(self.style, inside, min(fraction, 1.0))}\u2502{right}"

    def update(self, advance: int = 1, **kwargs: Any) -> None:
        """Advance by ``advance``, update the keywords, redraw; stop at ``total`` with ``autostop``."""
        self.count += advance
        super().update(**kwargs)
        if self.count == self.total and self.autostop:
            self.stop()
