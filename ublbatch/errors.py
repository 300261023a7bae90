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
