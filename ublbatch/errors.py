"""The exception hierarchy.

Exceptions are for misuse and for inputs that cannot be processed at all. A batch whose documents
are invalid is not exceptional: validation returns its verdicts as data (see ``results``).
"""

from __future__ import annotations


class UblBatchError(Exception):
    """Base class of every exception ublbatch raises on purpose."""


class SchemaError(UblBatchError):
    """The UBL 2.4 schemas cannot be used."""


class SchemaNotFoundError(SchemaError):
    """No copy of the OASIS UBL 2.4 schemas was found where ublbatch looked."""


class SchemaIntegrityError(SchemaError):
    """A schema file is missing from a release or differs from its pinned SHA-256 sum."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class SourceError(UblBatchError):
    """A batch source cannot be opened or read (missing file, I/O error, wrong type)."""


class BatchWriteError(UblBatchError):
    """A batch cannot be written as asked (wrong header, documents in an E or D batch, misuse)."""


class InvalidDocumentError(BatchWriteError):
    """A document given to the writer fails validation; ``result`` holds the verdict."""

    def __init__(self, message: str, *, result: object) -> None:
        super().__init__(message)
        self.result = result


class LimitExceededError(BatchWriteError):
    """A document or the batch would pass a configured limit (documents, bytes)."""
