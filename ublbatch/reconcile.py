"""Reconcile a request batch with the response batches that answer it, by Google Vendor Request ID.

It streams every file and keeps only UUIDs, so memory grows with the number of requests, not with
the size of the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from .model import parse_date, parse_time
from .reader import BatchReader, RequestBatchReader, Source
from .results import Issue

_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


@attrs.frozen
class Reconciliation:
    """Requests without a response, responses without a request, double answers, latest statuses."""

    request_batch: str | None
    requests: int
    responses: int
    missing: tuple[str, ...]
    """UUIDs requested and never answered, in request order."""
    unmatched: tuple[str, ...]
    """UUIDs answered that the request batch does not hold, in the order first seen."""
    duplicates: dict[str, tuple[str, ...]]
    """UUID -> the response batches (file names) that answer it, when more than once."""
    latest: dict[str, str | None]
    """Requested UUID -> the status reason code of its latest response (by issue date and time, then order)."""
    file_errors: tuple[Issue, ...] = ()

    @property
    def complete(self) -> bool:
        """Every request answered exactly once, nothing else answered, no file error."""
        return not (self.missing or self.unmatched or self.duplicates or self.file_errors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the counts (what ``ublbatch reconcile --format json`` prints)."""
        return {
            "request_batch": self.request_batch,
            "missing": list(self.missing),
            "unmatched": list(self.unmatched),
            "duplicates": {k: list(v) for k, v in self.duplicates.items()},
            "latest": dict(self.latest),
            "counts": {"requests": self.requests, "responses": self.responses,
                       "answered": len(self.latest) - sum(1 for u in self.missing if u in self.latest),
                       "missing": len(self.missing), "unmatched": len(self.unmatched),
                       "duplicates": len(self.duplicates)},
            "complete": self.complete,
            "file_errors": [e.to_dict() for e in self.file_errors],
        }

    def summary(self) -> str:
        """A few lines for people: the counts, the latest codes, then each problem UUID."""
        counts = self.to_dict()["counts"]
        lines = [f"{self.request_batch or '(request batch)'}: {counts['requests']} requests, "
                 f"{counts['responses']} responses; {counts['missing']} missing, {counts['unmatched']} unmatched, "
                 f"{counts['duplicates']} answered more than once"]
        by_code: dict[str, int] = {}
        for code in self.latest.values():
            by_code[code or "none"] = by_code.get(code or "none", 0) + 1
        if by_code:
            lines.append("  latest status: " + ", ".join(f"{code} {n}" for code, n in sorted(by_code.items())))
        lines += [f"  missing: {uuid}" for uuid in self.missing]
        lines += [f"  unmatched: {uuid}" for uuid in self.unmatched]
        lines += [f"  duplicate: {uuid} in {', '.join(names)}" for uuid, names in self.duplicates.items()]
        return "\n".join(lines)


def reconcile(request_source: Source, response_sources: Sequence[Source]) -> Reconciliation:
    """Match responses to requests by ``cbc:UUID`` (the Google Vendor Request ID)."""
    errors: list[Issue] = []
    requested: dict[str, None] = {}
    with RequestBatchReader(request_source) as reader:
        batch_id = reader.header.request_file_name
        for document in reader:
            if document.supported and document.uuid:
                requested[document.uuid] = None
        errors.extend(reader.errors)
    answers: dict[str, list[str]] = {}
    latest: dict[str, tuple[tuple[Any, ...], str | None]] = {}
    responses = 0
    for order, source in enumerate(response_sources):
        with BatchReader(source) as responses_reader:
            for document in responses_reader:
                if not document.supported or not document.uuid:
                    continue
                responses += 1
                answers.setdefault(document.uuid, []).append(responses_reader.name)
                status = document.response_status()
                key = (_issued(document.element), order, document.index)
                if document.uuid not in latest or key >= latest[document.uuid][0]:
                    latest[document.uuid] = (key, status.code if status else None)
            errors.extend(responses_reader.errors)
    return Reconciliation(
        batch_id, len(requested), responses,
        tuple(u for u in requested if u not in answers),
        tuple(u for u in answers if u not in requested),
        {u: tuple(names) for u, names in answers.items() if len(names) > 1},
        {u: latest[u][1] for u in requested if u in latest},
        tuple(errors),
    )


def _issued(element: Any) -> tuple[int, float]:
    """When a response was issued, comparable across offsets; responses without a date sort first."""
    try:
        day = parse_date(element.findtext(f"{_CBC}IssueDate") or "")
    except ValueError:
        return (0, 0.0)
    text = element.findtext(f"{_CBC}IssueTime")
    try:
        time = parse_time(text) if text else dt.time(0, 0)
    except ValueError:
        time = dt.time(0, 0)
    moment = dt.datetime.combine(day, time.replace(tzinfo=time.tzinfo or dt.timezone.utc))
    return (1, moment.timestamp())
