"""Reading a batch: the header first, then every child of the root as a ``Document``, in flat memory.

``read_batch`` and ``read_request_batch`` open a file, bytes or a binary stream on the reading
engine (``engine``) that every command shares. No DTD, entity or network is ever touched and a
DOCTYPE is refused outright. Every child of the root is accounted for, in its place: documents,
children the batch may not carry (``problem``), and children that could not be read (``error``:
not well-formed, too large), after which reading goes on. A file that ends early yields every
document before the break, then records a file-level error.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from types import TracebackType
from typing import IO, ClassVar, Union, cast

from ._pullreader import count_mismatch
from .document import Document
from .engine import MAX_DOCUMENT_BYTES, Reading
from .errors import SourceError
from .names import KINDS
from .results import BatchHeader, Issue

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""A path, the bytes of a file, or a binary file object."""

__all__ = ["MAX_DOCUMENT_BYTES", "BatchReader", "Document", "RequestBatchReader", "Source", "batch_kind",
           "count_mismatch", "open_source", "read_batch", "read_request_batch"]


class BatchReader:
    """Reads an ``ApplicationResponseBatch`` as a stream; use it as a context manager.

    ``header`` is ready on entering; iterate for the documents; ``errors`` holds the file-level
    problems found so far (complete once iteration ends).
    """

    KIND: ClassVar[str] = "response"

    def __init__(self, source: Source, *, name: str | None = None,
                 max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> None:
        self._stream, self.name, self._owned = open_source(source, name)
        try:
            self._reading = Reading(self._stream, self.name, kind=self.KIND, max_document_bytes=max_document_bytes)
        except BaseException:
            self._close_stream()
            raise

    def __enter__(self) -> BatchReader:
        self._reading.enter()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and close the source if the reader opened it."""
        self._reading.close()
        self._close_stream()

    def _close_stream(self) -> None:
        if self._owned:
            self._stream.close()

    def __iter__(self) -> Iterator[Document]:
        return iter(self._reading)

    @property
    def header(self) -> BatchHeader:
        """The batch header, ready once entered."""
        return self._reading.header

    @property
    def errors(self) -> list[Issue]:
        """File-level problems found so far; complete once iteration ends."""
        return self._reading.errors

    @property
    def bytes_read(self) -> int:
        """How many bytes of the source have been read so far (for progress reports)."""
        return self._reading.bytes_read

    @property
    def document_count(self) -> int:
        """How many children after the header have been read so far."""
        return self._reading.count


class RequestBatchReader(BatchReader):
    """Reads a ``RequestBatch`` (Google's invoice requests) as a stream, like ``BatchReader``.

    The header is the root's ``batchID`` and ``documentCount``; the documents are ``inv:Invoice``
    and ``cn:CreditNote``. A ``documentCount`` that does not match is a file-level error, found
    once the whole file is read; every document is still reported.
    """

    KIND: ClassVar[str] = "request"


def read_batch(source: Source, *, name: str | None = None) -> BatchReader:
    """Open a response batch for streaming: ``with read_batch(path) as batch: ...``.

    ``source`` is a path, the file's bytes, or a binary file object. ``batch.header`` is ready
    inside the ``with``; iterating gives each ``Document``; ``batch.errors`` lists file-level
    problems (complete after iterating).
    """
    return BatchReader(source, name=name)


def read_request_batch(source: Source, *, name: str | None = None) -> RequestBatchReader:
    """Open a request batch for streaming: ``with read_request_batch(path) as batch: ...``."""
    return RequestBatchReader(source, name=name)


def batch_kind(source: Source) -> str | None:
    """``"response"`` or ``"request"`` from the root element, or None (not a batch, unreadable)."""
    from lxml import etree

    from ._parsing import pull_parser

    stream, _, owned = open_source(source, None)
    try:
        sniffer = pull_parser(("start",))
        for _ in range(64):  # the root's start tag comes within the first few blocks of any batch
            chunk = stream.read(1 << 16)
            if not chunk:
                return None
            with contextlib.suppress(etree.XMLSyntaxError):  # whatever follows the root's start tag
                sniffer.feed(chunk)
            for _event, root in sniffer.read_events():
                return KINDS.get(root.tag)
        return None
    finally:
        if owned:
            stream.close()
        elif hasattr(stream, "seek"):
            stream.seek(0)


def open_source(source: Source, name: str | None) -> tuple[IO[bytes], str, bool]:
    """A binary stream for ``source``, the name messages use, and whether the caller must close it."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), name or "<bytes>", True
    if isinstance(source, str) and (source.lstrip().startswith("<") or "\n" in source):
        raise SourceError("this str looks like XML text, not a path: pass the document as bytes "
                          "(e.g. data.encode()) or give the file's path")
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            return open(path, "rb"), name or path, True
        except OSError as exc:
            raise SourceError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    if hasattr(source, "read"):
        return cast(IO[bytes], _Binary(source, name or str(getattr(source, "name", "<stream>")))), \
            name or str(getattr(source, "name", "<stream>")), False
    raise SourceError(f"cannot read a batch from {type(source).__name__}: give a path, bytes or a "
                      "binary file object")


class _Binary(io.RawIOBase):
    """A caller's stream, checked to give bytes."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self._name = name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise SourceError(f"{self._name}: the file object must be opened in binary mode")
        return bytes(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)
