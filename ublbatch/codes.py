"""Google's code lists for response batches, the expected action of each, and our error codes.

Facts from Google's e-invoice vendor interface (file status and status reason codes, which extend
the Peppol BIS 3 list) and the GoRoute batch API vocabulary for ``error.code``.
"""

from __future__ import annotations

import enum


class Outcome(str, enum.Enum):
    """Where a document stands in delivery, from its status reason code."""

    DELIVERED = "delivered"
    PENDING = "pending"
    FAILED = "failed"


class Action(str, enum.Enum):
    """What the receiver of a response is expected to do next."""

    SUCCESS = "success"
    REVISE_REBILL = "revise_rebill"
    MANUAL_INTERVENTION = "manual_intervention"
    WAIT = "wait"
    NO_ACTION = "no_action"


class FileStatusCode(str, enum.Enum):
    """``FileStatus/StatusCode`` of a response batch."""

    SUCCESS = "S"
    ERROR = "E"
    DUPLICATE = "D"

    @property
    def meaning(self) -> str:
        """What Google means by this file status, in words."""
        return _FILE_STATUS_MEANING[self]

    @property
    def action(self) -> Action:
        """What the receiver of a file with this status is expected to do."""
        return _FILE_STATUS_ACTION[self]


_FILE_STATUS_MEANING = {
    FileStatusCode.SUCCESS: "no issue, file processed",
    FileStatusCode.ERROR: "file processing error (cannot decrypt or open the file)",
    FileStatusCode.DUPLICATE: "duplicate file",
}
_FILE_STATUS_ACTION = {
    FileStatusCode.SUCCESS: Action.SUCCESS,
    FileStatusCode.ERROR: Action.MANUAL_INTERVENTION,
    FileStatusCode.DUPLICATE: Action.NO_ACTION,
}


class StatusReasonCode(str, enum.Enum):
    """``cac:Status/cbc:StatusReasonCode``: Peppol BIS 3 codes plus Google's extensions."""

    NON = "NON"
    REF = "REF"
    TER = "TER"
    SVE = "SVE"
    CER = "CER"
    OTH = "OTH"
    PEN = "PEN"
    COM = "COM"
    REJ = "REJ"

    @property
    def meaning(self) -> str:
        """What the code means, in words (Peppol's and Google's published meaning)."""
        return _REASONS[self][0]

    @property
    def outcome(self) -> Outcome:
        """Where a document with this code stands in delivery: delivered, pending or failed."""
        return _REASONS[self][1]

    @property
    def action(self) -> Action:
        """What the receiver is expected to do about a document with this code."""
        return _REASONS[self][2]

    @property
    def retriable(self) -> bool:
        """True where the same request may still succeed without anyone changing it."""
        return self in (StatusReasonCode.CER, StatusReasonCode.PEN)


_REASONS: dict[StatusReasonCode, tuple[str, Outcome, Action]] = {
    StatusReasonCode.NON: ("no issue", Outcome.DELIVERED, Action.SUCCESS),
    StatusReasonCode.REF: ("incorrect references", Outcome.FAILED, Action.REVISE_REBILL),
    StatusReasonCode.TER: ("past the time limit to process", Outcome.FAILED, Action.REVISE_REBILL),
    StatusReasonCode.SVE: (
        "request syntax violation, invalid format or missing data",
        Outcome.FAILED,
        Action.MANUAL_INTERVENTION,
    ),
    StatusReasonCode.CER: (
        "transient communication error, the vendor will retry",
        Outcome.PENDING,
        Action.WAIT,
    ),
    StatusReasonCode.OTH: ("reason not defined by a code", Outcome.FAILED, Action.MANUAL_INTERVENTION),
    StatusReasonCode.PEN: ("invoice generation pending", Outcome.PENDING, Action.WAIT),
    StatusReasonCode.COM: (
        "permanent communication failure, the vendor will not retry",
        Outcome.FAILED,
        Action.MANUAL_INTERVENTION,
    ),
    StatusReasonCode.REJ: ("backend system rejection, fatal", Outcome.FAILED, Action.MANUAL_INTERVENTION),
}


_BY_VALUE = {code.value: code for code in StatusReasonCode}


def reason_code(value: str | None) -> StatusReasonCode | None:
    """The known reason code for ``value`` (whitespace ignored), or None."""
    if value is None:
        return None
    known = _BY_VALUE.get(value)
    if known is not None:
        return known
    try:
        return StatusReasonCode(value.strip())
    except ValueError:
        return None


class ErrorCode(str, enum.Enum):
    """``error.code`` values: GoRoute's vocabulary first, then the ones ublbatch adds."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    """The document breaks its schema or a profile rule."""
    INVALID_XML = "INVALID_XML"
    """The document or file is not well-formed XML (or ends early)."""
    UNSUPPORTED_DOCUMENT_TYPE = "UNSUPPORTED_DOCUMENT_TYPE"
    """A child of the batch root that is not a UBL ApplicationResponse."""
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    """A document bigger than the configured limit."""
    INVALID_ENVELOPE = "INVALID_ENVELOPE"
    """The batch header or root breaks the envelope rules (file-level)."""
    FORBIDDEN_DOCTYPE = "FORBIDDEN_DOCTYPE"
    """The file has a DOCTYPE; ublbatch never processes DTDs or entities (file-level)."""
    NOT_A_BATCH = "NOT_A_BATCH"
    """The root element is not a batch this call reads (file-level)."""
    UNREADABLE = "UNREADABLE"
    """The file could not be read (file-level)."""


DOCUMENT_BYTES_LIMIT = 15 * 1024 * 1024
"""GoRoute's limit on one document: the writer's default cap and the reader's default reading cap."""
