"""Delivery status of a response batch, read straight from the stream (no schema needed)."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import attrs

from .codes import Outcome
from .reader import BatchReader, Source
from .results import (
    DeliveryStatus,
    DocumentStatus,
    FailedItem,
    ResponseStatus,
    batch_state,
    failed_item,
    status_message,
)

__all__ = ["StatusScan", "batch_status", "failed_item", "status_message"]


class StatusScan:
    """Delivery status as a stream: iterate for each document's ``DocumentStatus``, then ``summary()``.

    Nothing is kept per document, so memory stays flat however many documents there are.
    """

    def __init__(self, source: Source, *, name: str | None = None) -> None:
        self._reader = BatchReader(source, name=name)
        self.counts = dict.fromkeys(Outcome, 0)

    def __enter__(self) -> StatusScan:
        self._reader.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._reader.close()

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got (for progress)."""
        return self._reader.bytes_read

    def __iter__(self) -> Iterator[DocumentStatus]:
        for document in self._reader:
            # a child that is no ApplicationResponse says nothing about delivery: failed, as in from_documents
            response = document.response_status() or ResponseStatus(None)
            self.counts[response.outcome] += 1
            yield DocumentStatus(document.index, document.display_id, document.uuid, document.line, response,
                                 status_message(response))

    def failed(self) -> Iterator[FailedItem]:
        """Only the documents that will not be delivered, as GoRoute's failed items."""
        return (failed_item(s.id, s.response) for s in self if s.outcome is Outcome.FAILED)

    def summary(self) -> DeliveryStatus:
        """The status once every document has been read (``failed_items`` left empty)."""
        header = self._reader.header
        status = batch_state(header, self.counts[Outcome.PENDING], self._reader.errors)
        return DeliveryStatus(header.request_file_name, status, self.counts[Outcome.DELIVERED],
                              self.counts[Outcome.PENDING], self.counts[Outcome.FAILED], (),
                              header.file_status_code, tuple(self._reader.errors), header.file_status_description)


def batch_status(source: Source, *, name: str | None = None) -> DeliveryStatus:
    """Where each document of a batch stands (delivered, pending, failed), GoRoute's batch status shape.

    It reads the status reason codes only, so it needs no schema and is as fast as reading.
    """
    with StatusScan(source, name=name) as scan:
        failed = tuple(scan.failed())
    return attrs.evolve(scan.summary(), failed_items=failed)
