"""Delivery status of a response batch, read straight from the stream (no schema needed)."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import attrs

from .codes import FileStatusCode, Outcome, reason_code
from .reader import BatchReader, Source
from .results import DeliveryStatus, FailedItem, ResponseStatus


class StatusScan:
    """Delivery status as a stream: iterate for the failed items, then ``summary()`` has the counts.

    Nothing is kept per document, so memory stays flat however many documents fail.
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

    def __iter__(self) -> Iterator[FailedItem]:
        for document in self._reader:
            if not document.supported:
                continue
            response = document.response_status() or ResponseStatus(None)
            self.counts[response.outcome] += 1
            if response.outcome is Outcome.FAILED:
                yield failed_item(document.display_id, response)

    def summary(self) -> DeliveryStatus:
        """The status once every document has been read (``failed_items`` left empty)."""
        header = self._reader.header
        if header.file_status is FileStatusCode.ERROR:
            status = "failed"
        elif self.counts[Outcome.PENDING]:
            status = "processing"
        else:
            status = "completed"
        return DeliveryStatus(header.request_file_name, status, self.counts[Outcome.DELIVERED],
                              self.counts[Outcome.PENDING], self.counts[Outcome.FAILED], (),
                              header.file_status_code, tuple(self._reader.errors))


def failed_item(doc_id: str, response: ResponseStatus) -> FailedItem:
    """GoRoute's failed item for a document whose status reason code means it will not be delivered."""
    known = reason_code(response.code)
    message = response.reason or (known.meaning if known else (
        "no status reason code" if response.code is None else "unknown status reason code"))
    return FailedItem(doc_id, response.code or "MISSING", message, response.action.value, response.retriable)


def batch_status(source: Source, *, name: str | None = None) -> DeliveryStatus:
    """Where each document of a batch stands (delivered, pending, failed), GoRoute's batch status shape.

    It reads the status reason codes only, so it needs no schema and is as fast as reading.
    """
    with StatusScan(source, name=name) as scan:
        failed = tuple(scan)
    return attrs.evolve(scan.summary(), failed_items=failed)
