"""Answer a request batch: one ApplicationResponse per requested invoice or credit note."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import attrs

from .codes import ErrorCode, StatusReasonCode
from .model import (
    ApplicationResponse,
    DocumentReference,
    DocumentResponse,
    Response,
    Status,
    parse_date,
    value,
)
from .reader import RequestBatchReader, Source
from .results import Issue
from .writer import NO_LIMITS, BatchWriter, Limits, Target

_DOCUMENT_TYPES = {"Invoice": ("380", "Invoice"), "CreditNote": ("381", "Credit note")}
_ISSUE_DATE = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}IssueDate"
_ID = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID"
DEFAULT_STATUS_DESCRIPTION = "File processed successfully"
"""What ``respond`` writes in ``FileStatus/StatusDescription`` unless told otherwise."""


@attrs.frozen
class Outcome:
    """What the vendor reports for one request: Google's status reason code and its text."""

    code: StatusReasonCode
    reason: str | None = None
    reference_id: str | None = None
    """The tax authority's id for the invoice (``cac:Response/cbc:ReferenceID``), if any."""
    reference_scheme: str | None = None

    @classmethod
    def from_dict(cls, uuid: str, data: Mapping[str, Any] | str) -> Outcome:
        """An outcome from its JSON form: a code, or an object with ``code`` and optional ``reason``,
        ``reference_id``, ``reference_scheme``. An unknown code or key raises ``ValueError`` naming ``uuid``."""
        raw = {"code": data} if isinstance(data, str) else dict(data)
        try:
            code = StatusReasonCode(str(raw.get("code", "")).strip())
        except ValueError:
            known = ", ".join(c.value for c in StatusReasonCode)
            raise ValueError(f"outcome for {uuid}: unknown status reason code {raw.get('code')!r} "
                             f"(Google's codes: {known})") from None
        unknown = set(raw) - {"code", "reason", "reference_id", "reference_scheme"}
        if unknown:
            raise ValueError(f"outcome for {uuid}: unknown keys {sorted(unknown)}")
        return cls(code, raw.get("reason"), raw.get("reference_id"), raw.get("reference_scheme"))


@attrs.frozen
class RespondReport:
    """What ``respond`` wrote, what it could not answer, and the outcomes no request asked for."""

    written: int
    not_answered: tuple[tuple[int, str], ...]
    """(index in the request batch, why) for documents that cannot be answered (no UUID, foreign)."""
    unused_outcomes: tuple[str, ...]
    file_errors: tuple[Issue, ...]


def respond(
    request_source: Source,
    outcomes: Mapping[str, Outcome | Mapping[str, Any] | str],
    target: Target,
    *,
    sender: str = "Vendor",
    receiver: str = "Google",
    default_code: StatusReasonCode = StatusReasonCode.PEN,
    issued: dt.datetime | None = None,
    invoice_number_scheme: str | None = None,
    status_description: str | None = None,
    with_id: bool = True,
    profile: str = "google",
    schema_dir: str | os.PathLike[str] | None = None,
    limits: Limits = NO_LIMITS,
) -> RespondReport:
    """Write the response batch for a request batch, streaming both.

    Each response carries the request's ``cbc:UUID`` and its invoice number (``cbc:ID``) in
    ``cac:DocumentReference/cbc:ID``, with the status reason code and text ``outcomes`` gives per
    UUID (a code, or ``{"code": "REF", "reason": "Tax ID is not correct"}``); ``default_code``
    (PEN) for the rest. With ``with_id`` each response also gets a ``cbc:ID`` (``R-<uuid>``), so
    the file passes strict UBL 2.4 as well as the google profile.

    The invoice number keeps the ``schemeID`` the request's ``cbc:ID`` has; ``invoice_number_scheme``
    is the one to use when it has none. ``status_description`` is the batch's
    ``FileStatus/StatusDescription`` (default ``File processed successfully``); an empty one raises
    ``ValueError``, since the element must say something.
    """
    if status_description is None:
        status_description = DEFAULT_STATUS_DESCRIPTION
    elif not status_description.strip():
        raise ValueError("status_description must not be empty: FileStatus/StatusDescription says what "
                         "happened to the file")
    wanted = {uuid: o if isinstance(o, Outcome) else Outcome.from_dict(uuid, o) for uuid, o in outcomes.items()}
    when = (issued or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    time = dt.time(when.hour, when.minute, when.second, tzinfo=dt.timezone(dt.timedelta(0), "Z"))
    used: set[str] = set()
    skipped: list[tuple[int, str]] = []
    with RequestBatchReader(request_source) as reader:
        if not reader.header.request_file_name:  # not a request batch, or no batchID to answer: write nothing
            errors = tuple(reader.errors) or (Issue(ErrorCode.INVALID_ENVELOPE.value, f"{reader.name}: the request "
                                                    "batch has no batchID to answer", rule="envelope:batch-id"),)
            return RespondReport(0, (), (), errors)
        writer = BatchWriter(target, request_file_name=reader.header.request_file_name or "", profile=profile,
                             status_description=status_description, schema_dir=schema_dir, limits=limits)
        with writer:
            for document in reader:
                if not document.supported or document.kind is None or document.element is None:
                    skipped.append((document.index, document.problem or "not a document"))
                    continue
                if document.uuid is None:
                    skipped.append((document.index, f"{document.kind} {document.display_id} has no cbc:UUID"))
                    continue
                used.add(document.uuid)
                outcome = wanted.get(document.uuid, Outcome(default_code))
                type_code, type_name = _DOCUMENT_TYPES[document.kind]
                issue_date = document.element.findtext(_ISSUE_DATE)
                try:
                    invoice_date = parse_date(issue_date) if issue_date else None
                except ValueError:
                    invoice_date = None
                number = document.element.find(_ID)
                scheme = number.get("schemeID") if number is not None and document.id else None
                reference = DocumentReference(
                    id=value(document.id or document.uuid, schemeID=scheme or invoice_number_scheme),
                    issue_date=invoice_date, document_type_code=type_code, document_types=[type_name])
                status = Status(reason_code=outcome.code, reasons=[outcome.reason] if outcome.reason else [])
                response = Response(reference_id=value(outcome.reference_id, schemeID=outcome.reference_scheme),
                                    statuses=[status])
                writer.write(ApplicationResponse(
                    id=f"R-{document.uuid}" if with_id else None, uuid=document.uuid, issue_date=when.date(),
                    issue_time=time, sender=sender, receiver=receiver,
                    document_responses=[DocumentResponse(response=response, document_references=[reference])]))
            if reader.errors:  # the request could not be read whole: a partial answer would look complete
                writer.abort()
                return RespondReport(0, tuple(skipped), (), tuple(reader.errors))
        return RespondReport(writer.report.written, tuple(skipped), tuple(sorted(set(wanted) - used)),
                             tuple(reader.errors))
