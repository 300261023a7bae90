"""Delivery status of a response batch, read straight from the stream (no schema needed)."""

from __future__ import annotations

import attrs

from .reader import BatchReader, Source
from .results import DeliveryStatus


def batch_status(source: Source, *, name: str | None = None) -> DeliveryStatus:
    """Where each document of a batch stands (delivered, pending, failed), GoRoute's batch status shape.

    It reads the status reason codes only, so it needs no schema and is as fast as reading.
    """
    with BatchReader(source, name=name) as reader:
        items = ((d.display_id, d.response_status()) for d in reader if d.supported)  # streamed: counts only
        counted = DeliveryStatus.from_documents(reader.header, items, ())
        return attrs.evolve(counted, file_errors=tuple(reader.errors), batch_id=reader.header.request_file_name,
                            file_status=reader.header.file_status_code)
