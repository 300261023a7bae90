"""What the command line adds at a terminal: a progress bar on stderr and colours.

Both come from ``rich`` (the ``[cli]`` extra) and are off without it: the output is the same text,
plainly. Neither ever reaches a pipe or a file unless asked for with ``--color always``, so
scripts reading ublbatch's output see no escape codes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

PROGRESS_MIN_BYTES = 4 * 1000**2
"""Smaller files are done before a bar would be worth drawing."""

_REFRESH = 0.1  # seconds between updates of the bar: a cheap check per document


def _rich() -> Any | None:
    try:
        import rich
    except ImportError:
        return None
    return rich


def use_color(mode: str, stream: IO[str]) -> bool:
    """``always``, ``never``, or ``auto``: a terminal, unless ``NO_COLOR`` is set (no-color.org)."""
    if mode == "never" or _rich() is None:
        return False
    if mode == "always":
        return True
    return not os.environ.get("NO_COLOR") and _isatty(stream)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Painter:
    """Styles text for one stream: ``paint("3 rejected", "red")``; the text unchanged when off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._styles: dict[str, Callable[[str], str]] = {}

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled or not text:
            return text
        render = self._styles.get(style)
        if render is None:
            from rich.color import ColorSystem
            from rich.style import Style

            parsed = Style.parse(style)
            render = self._styles[style] = lambda t: parsed.render(t, color_system=ColorSystem.STANDARD)
        return render(text)


def painter(mode: str, stream: IO[str]) -> Painter:
    return Painter(use_color(mode, stream))


class Progress:
    """Documents done, bytes done, rate and time left, redrawn on stderr at most ten times a second.

    The no-op base is what pipes, ``--quiet``, small files and installs without ``rich`` get.
    """

    def update(self, documents: int, done_bytes: int) -> None:
        """Called once per document; cheap when there is nothing to redraw."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


class _Bar(Progress):
    def __init__(self, what: str, total: int, color: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(file=sys.stderr, no_color=not color)
        self._bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[documents]:,} docs, {task.fields[rate]:,.0f} docs/s"),
            DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
            console=console, transient=True, redirect_stdout=False, redirect_stderr=False,
        )
        self._task = self._bar.add_task(what, total=total, documents=0, rate=0.0)
        self._started = self._next = time.monotonic()

    def update(self, documents: int, done_bytes: int) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + _REFRESH
        self._bar.update(self._task, completed=done_bytes, documents=documents,
                         rate=documents / max(now - self._started, 1e-9))

    def __enter__(self) -> Progress:
        self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.stop()


def progress(what: str, path: str, *, quiet: bool, color_mode: str, stdout_busy: bool) -> Progress:
    """A bar for reading ``path`` when it is worth one and nobody reads stderr as data.

    ``stdout_busy``: results are printed while the file is read; a bar on the same terminal would
    tear those lines, so there is none then.
    """
    if quiet or _rich() is None or not _isatty(sys.stderr) or (stdout_busy and _isatty(sys.stdout)):
        return Progress()
    try:
        size = os.path.getsize(path)
    except (OSError, TypeError, ValueError):
        return Progress()
    if size < PROGRESS_MIN_BYTES:
        return Progress()
    return _Bar(what, size, use_color(color_mode, sys.stderr))
