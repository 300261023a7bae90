"""ublbatch: Google e-invoice ApplicationResponseBatch files, streamed and validated against UBL 2.4.

The public API, re-exported from the modules that hold it::

    import ublbatch
    result = ublbatch.validate_batch("batch.xml")          # BatchResult, GoRoute-shaped
    print(result.to_json(indent=2))
    with ublbatch.read_batch("batch.xml") as batch:         # streaming, flat memory
        print(batch.header.request_file_name)
        for doc in batch:
            print(doc.index, doc.display_id, doc.uuid)
    with ublbatch.BatchWriter("out.xml", request_file_name="Req_TK1") as writer:
        writer.write(ublbatch.ApplicationResponse(...))   # or an lxml element, or bytes
"""

from __future__ import annotations

from ._ubl_files import ENV_VAR as SCHEMA_ENV_VAR
from .codes import Action, ErrorCode, FileStatusCode, Outcome, StatusReasonCode
from .contract import json_schema
from .errors import (
    BatchWriteError,
    InvalidDocumentError,
    LimitExceededError,
    SchemaError,
    SchemaIntegrityError,
    SchemaNotFoundError,
    SourceError,
    UblBatchError,
)
from .model import ApplicationResponse
from .profiles import PROFILES
from .reader import BatchReader, Document, RequestBatchReader, Source, batch_kind, read_batch, read_request_batch
from .reconcile import Reconciliation, reconcile
from .respond import Outcome as ResponseOutcome
from .respond import RespondReport, respond
from .results import (
    BatchHeader,
    BatchResult,
    DeliveryStatus,
    DocumentResult,
    FailedItem,
    Issue,
    ResponseStatus,
)
from .schemas import DocumentSchema, document_schema, envelope_schema
from .split import ReshapeReport, extract_documents, merge_batches, split_batch
from .status import batch_status
from .validate import BatchValidation, DocumentValidator, validate_batch, validate_stream
from .writer import BatchWriter, Limits, WriteReport, write_batch

__version__ = "0.1.0"

__all__ = [
    "PROFILES",
    "SCHEMA_ENV_VAR",
    "Action",
    "ApplicationResponse",
    "BatchHeader",
    "BatchReader",
    "BatchResult",
    "BatchValidation",
    "BatchWriteError",
    "BatchWriter",
    "DeliveryStatus",
    "Document",
    "DocumentResult",
    "DocumentSchema",
    "DocumentValidator",
    "ErrorCode",
    "FailedItem",
    "FileStatusCode",
    "InvalidDocumentError",
    "Issue",
    "LimitExceededError",
    "Limits",
    "Outcome",
    "Reconciliation",
    "RequestBatchReader",
    "ReshapeReport",
    "RespondReport",
    "ResponseOutcome",
    "ResponseStatus",
    "SchemaError",
    "SchemaIntegrityError",
    "SchemaNotFoundError",
    "Source",
    "SourceError",
    "StatusReasonCode",
    "UblBatchError",
    "WriteReport",
    "__version__",
    "batch_kind",
    "batch_status",
    "document_schema",
    "envelope_schema",
    "extract_documents",
    "json_schema",
    "merge_batches",
    "read_batch",
    "read_request_batch",
    "reconcile",
    "respond",
    "split_batch",
    "validate_batch",
    "validate_stream",
    "write_batch",
]
