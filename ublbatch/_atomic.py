"""Output files that appear whole or not at all.

A batch or a JSON export is written to a new file beside the target and renamed over it only when
complete, so a failure never leaves half a file nor destroys the previous one. Targets that are not
regular files (a FIFO, ``/dev/stdout``, a device) are written directly: renaming over them would
replace the node itself. A symlink is followed, so the file it points to is the one replaced.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import IO

from .errors import SourceError


class AtomicFile:
    """``open()`` gives a binary handle; ``commit()`` puts the file in place, ``discard()`` drops it."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(os.path.realpath(target))
        self._temp: Path | None = None
        self._handle: IO[bytes] | None = None

    def open(self) -> IO[bytes]:
        try:
            info = self.target.stat()
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise SourceError(f"{self.target}: cannot write: {exc.strerror}") from exc
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise SourceError(f"{self.target}: is a folder, not a file")
        if info is not None and not stat.S_ISREG(info.st_mode):
            try:
                self._handle = self.target.open("wb")
            except OSError as exc:
                raise SourceError(f"{self.target}: cannot write: {exc.strerror}") from exc
            return self._handle
        while True:
            temp = self.target.with_name(f".{self.target.name}.{secrets.token_hex(6)}.part")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            try:
                fd = os.open(temp, flags, 0o666)  # the umask applies, as for any new file
            except FileExistsError:
                continue
            except OSError as exc:
                raise SourceError(f"{self.target}: cannot write: {exc.strerror}") from exc
            break
        if info is not None:
            os.chmod(temp, stat.S_IMODE(info.st_mode))  # replacing a file keeps its mode
        self._temp = temp
        self._handle = os.fdopen(fd, "wb")
        return self._handle

    def commit(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        if self._temp is None:
            handle.close()
            return
        try:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(self._temp, self.target)
        except OSError as exc:
            self._temp.unlink(missing_ok=True)
            raise SourceError(f"{self.target}: cannot write: {exc.strerror}") from exc
        finally:
            self._temp = None

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when both name one existing file (an output must not overwrite its own input)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
