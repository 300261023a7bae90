"""Verdicts as data, in the shape of the GoRoute batch API.

``BatchResult.to_dict()`` has exactly GoRoute's keys (``batch_id``, ``total_count``,
``accepted_count``, ``rejected_count``, ``results[{id, status, transaction_id, error{code,
message}}]``) plus extras beside them, never instead of them, so code written for that API reads
Google files unchanged. ``DeliveryStatus`` is the shape of GoRoute's batch status answer and of
its webhook events.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuid_module
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from .codes import Action, ErrorCode, FileStatusCode, Outcome, reason_code

ACCEPTED = "accepted"
REJECTED = "rejected"
EVENT_NAMESPACE = uuid_module.UUID("3f1c0a52-6b7e-5d2a-9e41-0b8d7c6a5e13")
"""The namespace of the UUIDs (version 5) that ``DeliveryStatus.event_id`` derives."""


@attrs.frozen
class Issue:
    """One problem found, with where it is: in the style of xmlschema's error objects."""

    code: str
    """``error.code`` vocabulary (``VALIDATION_ERROR``, ``INVALID_XML``, ...)."""
    message: str
    """One sentence naming the element with its canonical prefix."""
    level: str = "error"
    """``error`` decides a verdict; ``warning`` does not."""
    rule: str | None = None
    """A stable id of the check (``xsd:missing-element``, ``envelope:status-code``, ...)."""
    line: int | None = None
    """Line in the batch file (1-based)."""
    path: str | None = None
    """XPath-like location inside the document, with canonical prefixes."""
    raw: str | None = None
    """The engine's own text, for experts."""
    engine: str | None = None
    """Who found it: ``libxml2``, ``ublbatch`` (structure, envelope), ``xmlschema``."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pickled as a call with the fields, much faster to load than attrs' state protocol: results
        # come back from worker processes by the hundred thousand
        return (type(self), tuple(getattr(self, f.name) for f in attrs.fields(type(self))))

    def to_dict(self) -> dict[str, Any]:
        """The issue's fields that are set (None ones left out, to keep JSON small)."""
        return {name: value for name in _ISSUE_FIELDS if (value := getattr(self, name)) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Issue:
        """Read an issue back from ``to_dict()`` data; unknown keys are ignored."""
        return cls(**{f.name: data[f.name] for f in attrs.fields(cls) if f.name in data})


_ISSUE_FIELDS = tuple(f.name for f in attrs.fields(Issue))


@attrs.frozen
class ResponseStatus:
    """What an ApplicationResponse says about its invoice request."""

    code: str | None
    """``cbc:StatusReasonCode`` as written (the first, or the first of the worst outcome)."""
    reason: str | None = None
    """``cbc:StatusReason`` beside it."""

    @property
    def outcome(self) -> Outcome:
        """Delivered, pending or failed; an unknown or missing code counts as failed."""
        known = reason_code(self.code)
        return known.outcome if known else Outcome.FAILED

    @property
    def action(self) -> Action:
        """What the vendor does next; unknown or missing codes need a person."""
        known = reason_code(self.code)
        return known.action if known else Action.MANUAL_INTERVENTION

    @property
    def retriable(self) -> bool:
        """True when the same request may still succeed as it is (pending codes only)."""
        known = reason_code(self.code)
        return known.retriable if known else False

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pickled as a call with the fields, much faster to load than attrs' state protocol: results
        # come back from worker processes by the hundred thousand
        return (type(self), tuple(getattr(self, f.name) for f in attrs.fields(type(self))))

    def to_dict(self) -> dict[str, Any]:
        """Code, reason, outcome and action, as the result JSON carries them."""
        return {"code": self.code, "reason": self.reason, "outcome": self.outcome.value,
                "action": self.action.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseStatus:
        """Read it back from ``to_dict()`` data."""
        return cls(data.get("code"), data.get("reason"))


@attrs.frozen
class DocumentResult:
    """The verdict on one embedded document."""

    index: int
    """1-based position among the batch's documents."""
    id: str
    """``cbc:ID``, else ``cbc:UUID``, else ``#<index>``."""
    status: str
    """``accepted`` or ``rejected``."""
    uuid: str | None = None
    """``cbc:UUID``: the Google Vendor Request ID this document answers."""
    line: int | None = None
    issues: tuple[Issue, ...] = ()
    response: ResponseStatus | None = None
    element: str | None = None
    """The element's name with its canonical prefix (``ar:ApplicationResponse``)."""
    json_parts: tuple[str, str] | None = attrs.field(default=None, eq=False, repr=False)
    """``to_json()`` made ahead (by a worker process) around the index: head + index + tail."""

    @property
    def accepted(self) -> bool:
        """True when no issue is an error (warnings do not reject)."""
        return self.status == ACCEPTED

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that decide the verdict, in document order."""
        return tuple(i for i in self.issues if i.level == "error")

    @property
    def error(self) -> Issue | None:
        """The issue GoRoute's ``error`` field shows: the first error."""
        errs = self.errors
        return errs[0] if errs else None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pickled as a call with the fields, much faster to load than attrs' state protocol: results
        # come back from worker processes by the hundred thousand
        return (type(self), tuple(getattr(self, f.name) for f in attrs.fields(type(self))))

    def to_dict(self) -> dict[str, Any]:
        """GoRoute's result item (``id``, ``status``, ``transaction_id`` or ``error``) with our extras beside."""
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.accepted:
            out["transaction_id"] = self.uuid
        else:
            err = self.error
            if err is not None:
                out["error"] = {"code": err.code, "message": err.message,
                                "details": [detail(issue) for issue in self.issues]}
        out["index"] = self.index
        out["line"] = self.line
        out["uuid"] = self.uuid
        if self.element is not None:
            out["element"] = self.element
        if self.response is not None:
            out["response"] = self.response.to_dict()
        out["issues"] = [i.to_dict() for i in self.issues]
        return out

    def to_json(self) -> str:
        """``to_dict()`` as one line of JSON (the one ``report`` writes), made once."""
        if self.json_parts is not None:
            head, tail = self.json_parts
            return f"{head}{self.index}{tail}"
        return self._json()

    def _json(self) -> str:
        if self.issues or not self.accepted:
            return json.dumps(self.to_dict(), ensure_ascii=False)
        # a result without issues, nearly every one: written straight, byte for byte what json.dumps
        # makes of to_dict(), without building the dictionaries first
        response = self.response
        made = (f'{{"id": {_string(self.id)}, "status": {_string(self.status)}, '
                f'"transaction_id": {_value(self.uuid)}, "index": {self.index}, '
                f'"line": {_value(self.line)}, "uuid": {_value(self.uuid)}')
        if self.element is not None:
            made += f', "element": {_string(self.element)}'
        if response is not None:
            made += (f', "response": {{"code": {_value(response.code)}, "reason": {_value(response.reason)}, '
                     f'"outcome": {_string(response.outcome.value)}, "action": {_string(response.action.value)}}}')
        return made + ', "issues": []}'

    def with_json(self) -> DocumentResult:
        """This result carrying its JSON made now, so that a parent process only adds the index
        (a result whose id is its position has none: the position changes)."""
        parts = self.json_around_index()
        return self if parts is None else attrs.evolve(self, json_parts=parts)

    def json_around_index(self) -> tuple[str, str] | None:
        """``to_json()`` cut around the index: what ``json_parts`` holds; None when the id is the
        position (the JSON then changes with it)."""
        if self.id == f"#{self.index}":
            return None
        text = self._json()
        at = text.index(f'"index": {self.index}, ') + len('"index": ')
        return text[:at], text[at + len(str(self.index)):]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentResult:
        """Read a result back from ``to_dict()`` data."""
        response = data.get("response")
        return cls(
            index=data["index"],
            id=data["id"],
            status=data["status"],
            uuid=data.get("uuid", data.get("transaction_id")),
            line=data.get("line"),
            issues=tuple(Issue.from_dict(i) for i in data.get("issues", ())),
            response=ResponseStatus.from_dict(response) if response else None,
            element=data.get("element"),
        )


_string = json.encoder.encode_basestring  # the C encoder json.dumps uses


def _value(value: str | int | None) -> str:
    if value is None:
        return "null"
    return str(value) if isinstance(value, int) else str(_string(value))


def detail(issue: Issue) -> dict[str, Any]:
    """One entry of GoRoute's ``error.details[]``: ``rule`` (the check's id, else the issue's code),
    ``location`` (the path inside the document, else None), ``message``, and the issue's ``level`` beside."""
    return {"rule": issue.rule or issue.code, "location": issue.path, "message": issue.message,
            "level": issue.level}


class Tally:
    """Counts verdicts as they stream by, keeping them only when asked (shared by the validators)."""

    def __init__(self, keep: bool) -> None:
        self._keep = keep
        self.results: list[DocumentResult] = []
        self.accepted_count = 0
        self.rejected_count = 0

    @property
    def total_count(self) -> int:
        """Results counted so far."""
        return self.accepted_count + self.rejected_count

    def count(self, result: DocumentResult) -> DocumentResult:
        """Count one result (and keep it when asked to), then hand it on."""
        if result.accepted:
            self.accepted_count += 1
        else:
            self.rejected_count += 1
        if self._keep:
            self.results.append(result)
        return result


def file_status_object(code: str | None, description: str | None) -> dict[str, Any] | None:
    """``file_status`` as both ``validate`` and ``status`` JSON carry it: ``code`` and ``description`` as
    written, the ``meaning`` and ``action`` of a known code (S, E, D; else None); None without either."""
    if code is None and description is None:
        return None
    try:
        known: FileStatusCode | None = FileStatusCode(code) if code else None
    except ValueError:
        known = None
    return {"code": code, "description": description, "meaning": known.meaning if known else None,
            "action": known.action.value if known else None}


@attrs.frozen
class BatchHeader:
    """The header of a response batch, as read (values may be invalid: see file errors)."""

    request_file_name: str | None
    file_status_code: str | None
    file_status_description: str | None = None
    line: int | None = None
    document_count: int | None = None
    """A request batch's declared ``documentCount``."""
    kind: str = "response"
    """``response`` (ApplicationResponseBatch) or ``request`` (RequestBatch, whose id is ``batchID``)."""

    @property
    def file_status(self) -> FileStatusCode | None:
        """The status code as a ``FileStatusCode``; None when missing or not one of S, E, D."""
        try:
            return FileStatusCode(self.file_status_code) if self.file_status_code else None
        except ValueError:
            return None

    def file_status_dict(self) -> dict[str, Any] | None:
        """The ``file_status`` object of the result JSON (code, description, meaning, action)."""
        return file_status_object(self.file_status_code, self.file_status_description)

    def to_dict(self) -> dict[str, Any]:
        """The header as the result JSON carries it."""
        return {"request_file_name": self.request_file_name, "file_status": self.file_status_dict(),
                "line": self.line}


@attrs.frozen
class BatchResult:
    """The verdict on a whole batch: one ``DocumentResult`` per document, plus file-level errors."""

    header: BatchHeader
    results: tuple[DocumentResult, ...]
    file_errors: tuple[Issue, ...] = ()
    """Problems with the file itself (envelope, DOCTYPE, broken XML): each makes the file invalid."""
    profile: str = "strict"
    schema: Mapping[str, str] | None = None
    source: str | None = None

    def __len__(self) -> int:
        """The number of results (``total_count``)."""
        return len(self.results)

    def __iter__(self) -> Iterator[DocumentResult]:
        """Each document's result, in batch order."""
        return iter(self.results)

    def __bool__(self) -> bool:
        """Always true, even for a batch without documents (``ok`` is the verdict): a result is never
        mistaken for the None that ``merge_chunks`` and friends return when there is none."""
        return True

    @property
    def batch_id(self) -> str | None:
        """GoRoute's ``batch_id``: the batch's RequestFileName (a request batch's batchID)."""
        return self.header.request_file_name

    @property
    def total_count(self) -> int:
        """GoRoute's ``total_count``: every child of the batch, supported or not."""
        return len(self.results)

    @property
    def accepted_count(self) -> int:
        """GoRoute's ``accepted_count``."""
        return sum(1 for r in self.results if r.accepted)

    @property
    def rejected_count(self) -> int:
        """GoRoute's ``rejected_count``."""
        return self.total_count - self.accepted_count

    @property
    def ok(self) -> bool:
        """True when the file is sound and every document is accepted (zero documents included)."""
        return not self.file_errors and self.rejected_count == 0

    def to_dict(self) -> dict[str, Any]:
        """The GoRoute-shaped JSON data; ``schemas/batch-result.schema.json`` is its contract."""
        return {
            "batch_id": self.batch_id,
            "total_count": self.total_count,
            "accepted_count": self.accepted_count,
            "rejected_count": self.rejected_count,
            "results": [r.to_dict() for r in self.results],
            "valid": self.ok,
            "kind": self.header.kind,
            "request_file_name": self.header.request_file_name,
            "file_status": self.header.file_status_dict(),
            "header_line": self.header.line,
            "document_count": self.header.document_count,
            "file_errors": [e.to_dict() for e in self.file_errors],
            "profile": self.profile,
            "schema": dict(self.schema) if self.schema is not None else None,
            "source": self.source,
        }

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict()`` as JSON text (keyword arguments go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchResult:
        """Read a result back from ``to_dict()`` data (or the JSON of ``validate --format json``)."""
        status = data.get("file_status") or {}
        return cls(
            header=BatchHeader(data.get("request_file_name", data.get("batch_id")), status.get("code"),
                               status.get("description"), data.get("header_line"), data.get("document_count"),
                               data.get("kind", "response")),
            results=tuple(DocumentResult.from_dict(r) for r in data["results"]),
            file_errors=tuple(Issue.from_dict(e) for e in data.get("file_errors", ())),
            profile=data.get("profile", "strict"),
            schema=data.get("schema"),
            source=data.get("source"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> BatchResult:
        """Read a result back from its JSON text."""
        return cls.from_dict(json.loads(text))

    def delivery_status(self) -> DeliveryStatus:
        """Where each document stands in delivery, from its status reason code."""
        return DeliveryStatus.from_documents(
            self.header, ((r.id, r.response) for r in self.results), self.file_errors
        )


@attrs.frozen
class FailedItem:
    """A document whose status reason code means it will not be delivered as it is."""

    id: str
    code: str
    message: str
    action: str
    retriable: bool

    @property
    def queue(self) -> str:
        """Where GoRoute's partial-failure pattern sends it: ``retry`` or ``manual`` (see ``queue_for``)."""
        return queue_for(self.retriable, self.action)

    def to_dict(self) -> dict[str, Any]:
        """GoRoute's failed item, with the queue it goes to."""
        return {"id": self.id, "error": {"code": self.code, "message": self.message},
                "action": self.action, "retriable": self.retriable, "queue": self.queue}


def queue_for(retriable: bool, action: str) -> str:
    """``retry`` when the request can go again without a person looking at it, as it is (retriable)
    or revised and rebilled by the vendor's own system (REF, TER); ``manual`` for the rest (SVE, OTH,
    COM, REJ, a missing or unknown code)."""
    return "retry" if retriable or action == Action.REVISE_REBILL.value else "manual"


@attrs.frozen
class DocumentStatus:
    """Where one document stands in delivery: one row of ``ublbatch status`` in CSV and NDJSON."""

    index: int
    id: str
    uuid: str | None
    line: int | None
    response: ResponseStatus
    message: str
    """The status reason as written, else the meaning of the code."""

    @property
    def outcome(self) -> Outcome:
        """Delivered, pending or failed, from the status reason code."""
        return self.response.outcome

    @property
    def queue(self) -> str | None:
        """``retry`` or ``manual`` for a failed document; None for the others."""
        if self.outcome is not Outcome.FAILED:
            return None
        return queue_for(self.response.retriable, self.response.action.value)

    def to_dict(self) -> dict[str, Any]:
        """One line of ``status --format ndjson`` (without its ``type``)."""
        return {"index": self.index, "id": self.id, "uuid": self.uuid, "line": self.line,
                "code": self.response.code, "outcome": self.outcome.value, "action": self.response.action.value,
                "retriable": self.response.retriable, "queue": self.queue, "message": self.message}


def status_message(response: ResponseStatus) -> str:
    """The reason as written, else what the code means."""
    known = reason_code(response.code)
    return response.reason or (known.meaning if known else (
        "no status reason code" if response.code is None else "unknown status reason code"))


def failed_item(doc_id: str, response: ResponseStatus) -> FailedItem:
    """GoRoute's failed item for a document whose status reason code means it will not be delivered."""
    return FailedItem(doc_id, response.code or "MISSING", status_message(response), response.action.value,
                      response.retriable)


def batch_state(header: BatchHeader, pending: int, file_errors: Sequence[Issue]) -> str:
    """GoRoute's batch ``status``: ``failed`` when Google's file status is E or the file could not be
    read as a batch (file errors), ``processing`` while a document is pending, else ``completed``."""
    if header.file_status is FileStatusCode.ERROR or file_errors:
        return "failed"
    return "processing" if pending else "completed"


@attrs.frozen
class DeliveryStatus:
    """GoRoute's batch status answer: ``processing`` | ``completed`` | ``failed`` with counts."""

    batch_id: str | None
    status: str
    delivered_count: int
    pending_count: int
    failed_count: int
    failed_items: tuple[FailedItem, ...]
    file_status: str | None = None
    """``FileStatus/StatusCode`` as written (the JSON carries it as the object ``validate`` gives)."""
    file_errors: tuple[Issue, ...] = ()
    file_status_description: str | None = None
    """``FileStatus/StatusDescription`` as written, when known."""

    @classmethod
    def from_documents(
        cls,
        header: BatchHeader,
        documents: Iterable[tuple[str, ResponseStatus | None]],
        file_errors: Iterable[Issue] = (),
    ) -> DeliveryStatus:
        """Count outcomes from ``(id, ResponseStatus)`` pairs; the failed ones become failed items."""
        counts = dict.fromkeys(Outcome, 0)
        failed = []
        for doc_id, response in documents:
            response = response or ResponseStatus(None)
            counts[response.outcome] += 1
            if response.outcome is Outcome.FAILED:
                failed.append(failed_item(doc_id, response))
        file_errors = tuple(file_errors)
        status = batch_state(header, counts[Outcome.PENDING], file_errors)
        return cls(header.request_file_name, status, counts[Outcome.DELIVERED], counts[Outcome.PENDING],
                   counts[Outcome.FAILED], tuple(failed), header.file_status_code, file_errors,
                   header.file_status_description)

    def to_dict(self) -> dict[str, Any]:
        """GoRoute's status JSON data; ``schemas/delivery-status.schema.json`` is its contract."""
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "delivered_count": self.delivered_count,
            "pending_count": self.pending_count,
            "failed_count": self.failed_count,
            "failed_items": [f.to_dict() for f in self.failed_items],
            "file_status": file_status_object(self.file_status, self.file_status_description),
            "file_errors": [e.to_dict() for e in self.file_errors],
        }

    @property
    def event_id(self) -> str:
        """The id of this status's webhook event: a UUID (version 5) derived from the batch id, the status,
        the three counts and the file status code, so the same outcome of the same batch always gets the
        same id (a receiver can drop repeats) and any change of outcome gets a new one."""
        key = "|".join(str(part) for part in (self.batch_id, self.status, self.delivered_count,
                                              self.pending_count, self.failed_count, self.file_status))
        return str(uuid_module.uuid5(EVENT_NAMESPACE, key))

    def to_event(self, *, organization_id: str | None = None,
                 timestamp: dt.datetime | None = None) -> dict[str, Any]:
        """A GoRoute webhook event: ``batch.completed``, ``batch.processing`` or ``batch.failed``.

        Both spellings of the event name are there: ``type`` (what GoRoute's batch guide reads) and
        ``event`` (its webhook reference), with ``event_id`` (see ``event_id``), ``timestamp`` (ISO 8601
        in UTC, now unless given), ``organization_id`` (None unless given) and the status as ``data``.
        """
        name = f"batch.{self.status}"
        when = (timestamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        return {"type": name, "event": name, "event_id": self.event_id,
                "timestamp": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "organization_id": organization_id, "data": self.to_dict()}

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict()`` as JSON text (keyword arguments go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


__all__ = [
    "ACCEPTED",
    "REJECTED",
    "BatchHeader",
    "BatchResult",
    "DeliveryStatus",
    "DocumentResult",
    "DocumentStatus",
    "ErrorCode",
    "FailedItem",
    "Issue",
    "ResponseStatus",
]
