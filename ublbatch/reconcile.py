"""Reconcile a request batch with the response batches that answer it, by Google Vendor Request ID.

It streams every file and keeps only UUIDs, so memory grows with the number of requests, not with
the size of the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from .codes import Outcome as CodeOutcome
from .codes import reason_code
from .model import parse_date, parse_time
from .reader import BatchReader, RequestBatchReader, Source
from .results import Issue

_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


@attrs.frozen
class BatchMismatch:
    """A response batch whose ``RequestFileName`` is not the request batch's ``batchID``."""

    source: str
    """The response batch's file name."""
    request_file_name: str | None
    """Its ``RequestFileName`` as written (None when it has none)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``source`` and ``request_file_name``."""
        return {"source": self.source, "request_file_name": self.request_file_name}


@attrs.frozen
class Reconciliation:
    """Requests without a response, responses without a request, double answers, latest statuses.

    Google's documented lifecycle for one request is any number of pending answers (PEN, CER) and then
    one final answer (NON or a failure code): that is not a duplicate. ``duplicates`` holds the UUIDs
    whose answers break it: two final answers (a revision), or a pending answer after a final one.
    """

    request_batch: str | None
    requests: int
    responses: int
    missing: tuple[str, ...]
    """UUIDs requested and never answered, in request order."""
    unmatched: tuple[str, ...]
    """UUIDs answered that the request batch does not hold, in the order first seen."""
    duplicates: dict[str, tuple[str, ...]]
    """UUID -> the response batches (file names) that answer it, when its answers are not the lifecycle
    (pending answers, then at most one final answer)."""
    latest: dict[str, str | None]
    """Requested UUID -> the status reason code of its latest response (by issue date and time, then order)."""
    file_errors: tuple[Issue, ...] = ()
    pending: tuple[str, ...] = ()
    """Requested UUIDs whose latest response is still pending (PEN, CER), in request order."""
    mismatched: tuple[BatchMismatch, ...] = ()
    """Response batches whose ``RequestFileName`` is not the request's ``batchID`` (their UUIDs still count)."""

    @property
    def complete(self) -> bool:
        """Every request answered (pending answers, then at most one final one), nothing else answered,
        every response batch naming the request batch, no file error. Pending requests do not make it
        incomplete: see ``settled``."""
        return not (self.missing or self.unmatched or self.duplicates or self.mismatched or self.file_errors)

    @property
    def settled(self) -> bool:
        """``complete`` and no request still pending: every request has its final answer."""
        return self.complete and not self.pending

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the counts (what ``ublbatch reconcile --format json`` prints)."""
        return {
            "request_batch": self.request_batch,
            "missing": list(self.missing),
            "unmatched": list(self.unmatched),
            "duplicates": {k: list(v) for k, v in self.duplicates.items()},
            "pending": list(self.pending),
            "mismatched_batches": [m.to_dict() for m in self.mismatched],
            "latest": dict(self.latest),
            "counts": {"requests": self.requests, "responses": self.responses,
                       "answered": len(self.latest) - sum(1 for u in self.missing if u in self.latest),
                       "missing": len(self.missing), "unmatched": len(self.unmatched),
                       "duplicates": len(self.duplicates), "pending": len(self.pending),
                       "mismatched_batches": len(self.mismatched)},
            "complete": self.complete,
            "settled": self.settled,
            "file_errors": [e.to_dict() for e in self.file_errors],
        }

    def summary(self) -> str:
        """A few lines for people: the counts, the latest codes, then each problem UUID."""
        counts = self.to_dict()["counts"]
        lines = [f"{self.request_batch or '(request batch)'}: {counts['requests']} requests, "
                 f"{counts['responses']} responses; {counts['missing']} missing, {counts['unmatched']} unmatched, "
                 f"{counts['duplicates']} answered more than once, {counts['pending']} still pending"]
        by_code: dict[str, int] = {}
        for code in self.latest.values():
            by_code[code or "none"] = by_code.get(code or "none", 0) + 1
        if by_code:
            lines.append("  latest status: " + ", ".join(f"{code} {n}" for code, n in sorted(by_code.items())))
        lines += [f"  batch: {m.source} answers {m.request_file_name!r}, not {self.request_batch!r}"
                  for m in self.mismatched]
        lines += [f"  missing: {uuid}" for uuid in self.missing]
        lines += [f"  unmatched: {uuid}" for uuid in self.unmatched]
        lines += [f"  duplicate: {uuid} in {', '.join(names)}" for uuid, names in self.duplicates.items()]
        lines += [f"  pending: {uuid}" for uuid in self.pending]
        return "\n".join(lines)


@attrs.frozen
class _Answer:
    key: tuple[Any, ...]  # (issued, file order, index): later answers sort last
    code: str | None
    source: str

    @property
    def pending(self) -> bool:
        known = reason_code(self.code)
        return known is not None and known.outcome is CodeOutcome.PENDING


def reconcile(request_source: Source, response_sources: Sequence[Source]) -> Reconciliation:
    """Match responses to requests by ``cbc:UUID`` (the Google Vendor Request ID).

    Pending answers (PEN, CER) followed by one final answer are the documented lifecycle, not
    duplicates; ``pending`` lists the requests whose latest answer is still pending; a response batch
    whose ``RequestFileName`` is not the request's ``batchID`` is listed in ``mismatched``.
    """
    errors: list[Issue] = []
    requested: dict[str, None] = {}
    with RequestBatchReader(request_source) as reader:
        batch_id = reader.header.request_file_name
        for document in reader:
            if document.supported and document.uuid:
                requested[document.uuid] = None
        errors.extend(reader.errors)
    answers: dict[str, list[_Answer]] = {}
    mismatched: list[BatchMismatch] = []
    responses = 0
    for order, source in enumerate(response_sources):
        with BatchReader(source) as responses_reader:
            named = responses_reader.header.request_file_name
            if batch_id is not None and named != batch_id:
                mismatched.append(BatchMismatch(responses_reader.name, named))
            for document in responses_reader:
                if not document.supported or not document.uuid:
                    continue
                responses += 1
                status = document.response_status()
                answers.setdefault(document.uuid, []).append(_Answer(
                    (_issued(document.element), order, document.index), status.code if status else None,
                    responses_reader.name))
            errors.extend(responses_reader.errors)
    ordered = {uuid: sorted(found, key=lambda a: a.key) for uuid, found in answers.items()}
    latest = {u: ordered[u][-1].code for u in requested if u in ordered}
    return Reconciliation(
        batch_id, len(requested), responses,
        tuple(u for u in requested if u not in answers),
        tuple(u for u in answers if u not in requested),
        {u: tuple(a.source for a in answers[u]) for u in answers if not _lifecycle(ordered[u])},
        latest,
        tuple(errors),
        tuple(u for u in requested if u in ordered and ordered[u][-1].pending),
        tuple(mismatched),
    )


def _lifecycle(answers: Sequence[_Answer]) -> bool:
    """Pending answers, then at most one final answer, in time order."""
    finals = [i for i, a in enumerate(answers) if not a.pending]
    return not finals or (len(finals) == 1 and finals[0] == len(answers) - 1)


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
