"""Streaming writer: ApplicationResponse documents out to a batch file, in flat memory.

The root declares the prefixes ``ar``, ``cac``, ``cbc`` and ``ext`` once; each document is brought
into those prefixes and serialised by libxml2, without declarations of its own. The file appears
atomically: it is written beside the target and renamed only when the ``with`` block ends cleanly.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from types import TracebackType
from typing import IO, Any, TypeAlias

import attrs
from lxml import etree

from ._atomic import AtomicFile
from ._parsing import safe_parser
from .codes import DOCUMENT_BYTES_LIMIT, ErrorCode, FileStatusCode
from .errors import BatchWriteError, InvalidDocumentError, LimitExceededError
from .model import NSMAP, ApplicationResponse
from .names import APPLICATION_RESPONSE, BATCH_ROOT, FILE_STATUS, REQUEST_FILE_NAME, STATUS_CODE, STATUS_DESCRIPTION
from .results import ACCEPTED, REJECTED, BatchHeader, DocumentResult, Issue
from .schemas import document_schema
from .validate import DocumentValidator

Target: TypeAlias = "str | os.PathLike[str] | IO[bytes]"
DocumentInput: TypeAlias = "ApplicationResponse | etree._Element | bytes | str"
"""What ``write`` takes: a model object, an lxml element, or the XML of one document."""

MiB = 1024 * 1024
DEFAULT_MAX_DOCUMENTS = 100
DEFAULT_MAX_BYTES = 50 * MiB
DEFAULT_MAX_DOCUMENT_BYTES = DOCUMENT_BYTES_LIMIT
"""Defaults from the GoRoute batch API's published limits; ``None`` turns a limit off."""

_SAFE = safe_parser()


def _start_tag(tag: str) -> tuple[bytes, bytes]:
    """The start tag of ``tag`` with the fixed declarations, and the same without them."""
    empty: bytes = etree.tostring(etree.Element(tag, nsmap=NSMAP), encoding="utf-8")
    with_declarations = empty[: -len(b"/>")]
    bare = with_declarations.split(b" ", 1)[0]
    return with_declarations, bare


_ROOT_START: bytes = _start_tag(BATCH_ROOT)[0] + b">"
_ROOT_END = f"</{BATCH_ROOT}>\n".encode()


@attrs.frozen
class Limits:
    """Caps on one batch. ``None`` means no limit."""

    max_documents: int | None = DEFAULT_MAX_DOCUMENTS
    max_bytes: int | None = DEFAULT_MAX_BYTES
    max_document_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES


DEFAULT_LIMITS = Limits()
NO_LIMITS = Limits(None, None, None)


@attrs.frozen
class WriteReport:
    """What a writer wrote and what it left out (``on_invalid="skip"``)."""

    target: str
    written: int
    bytes: int
    skipped: tuple[DocumentResult, ...] = ()


def _fixed_prefixes(element: etree._Element) -> bool:
    """Whether every prefix in scope at ``element`` is one of ours, bound to its namespace."""
    return bool(element.nsmap.items() <= _FIXED_ITEMS)


_FIXED_ITEMS = NSMAP.items()


def to_element(document: DocumentInput, *, owned: bool = False) -> etree._Element:
    """An ``ar:ApplicationResponse`` element in the fixed prefixes, from any accepted input.

    An element given is copied first unless ``owned`` (the caller hands it over, as the reader does).
    """
    if isinstance(document, ApplicationResponse):
        return document.to_element()
    if isinstance(document, bytes | str):
        raw = document.encode("utf-8") if isinstance(document, str) else document
        source = etree.fromstring(raw, _SAFE)
        if source.getroottree().docinfo.doctype:
            raise BatchWriteError("a document with a DOCTYPE is refused")
    elif isinstance(document, etree._Element):
        if document.tag == APPLICATION_RESPONSE and _fixed_prefixes(document):
            return document if owned else copy.deepcopy(document)  # already in the fixed prefixes
        source = document if owned else copy.deepcopy(document)
    else:
        raise TypeError(f"cannot write a {type(document).__name__}: give an ApplicationResponse, an lxml "
                        "element or the XML of one document")
    if source.tag != APPLICATION_RESPONSE:
        raise BatchWriteError(f"only UBL 2.4 ApplicationResponse documents go in a response batch, not {source.tag}")
    # lxml reuses the declarations of the new parent for moved nodes with the same namespace
    element = etree.Element(APPLICATION_RESPONSE, nsmap=NSMAP)
    for name, val in source.attrib.items():
        element.set(name, val)
    element.text = source.text
    for child in list(source):
        element.append(child)
    etree.cleanup_namespaces(element, keep_ns_prefixes=list(NSMAP))
    return element


_FIXED_DECLARATIONS = re.compile(
    b"|".join(re.escape(f' xmlns:{prefix}="{uri}"'.encode()) for prefix, uri in NSMAP.items()))


def serialise(element: etree._Element, *, pretty: bool = False) -> bytes:
    """One document as it stands inside the batch: the root's declarations are not repeated on it."""
    if pretty:
        etree.indent(element, space="  ", level=1)
    data: bytes = etree.tostring(element, encoding="utf-8", with_tail=False)
    head_end = data.find(b">") + 1
    return _FIXED_DECLARATIONS.sub(b"", data[:head_end]) + data[head_end:]


class BatchWriter:
    """Writes a response batch: ``with BatchWriter(path, request_file_name=...) as w: w.write(doc)``.

    Each document is validated first (``validate=True``); an invalid one raises
    ``InvalidDocumentError`` naming it, or with ``on_invalid="skip"`` is left out and listed in
    ``report.skipped``. A batch whose file status is E or D takes no documents.
    """

    def __init__(
        self,
        target: Target,
        *,
        request_file_name: str,
        file_status: str | FileStatusCode = FileStatusCode.SUCCESS,
        status_description: str = "",
        validate: bool = True,
        on_invalid: str = "raise",
        profile: str = "strict",
        schema_dir: str | os.PathLike[str] | None = None,
        pretty: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if not request_file_name or not request_file_name.strip():
            raise ValueError("request_file_name must not be empty")
        self.file_status = FileStatusCode(file_status)
        if on_invalid not in ("raise", "skip"):
            raise ValueError("on_invalid must be 'raise' or 'skip'")
        self.header = BatchHeader(request_file_name, self.file_status.value, status_description)
        self._target = target
        self._validator = DocumentValidator(document_schema("ApplicationResponse", profile, schema_dir)) \
            if validate else None
        self._on_invalid = on_invalid
        self._pretty = pretty
        self.limits = limits
        self._out: IO[bytes] | None = None
        self._file: AtomicFile | None = None
        self._written = 0
        self._bytes = 0
        self._skipped: list[DocumentResult] = []
        self._index = 0

    # -- the file ------------------------------------------------------------------------------

    def __enter__(self) -> BatchWriter:
        if isinstance(self._target, str | os.PathLike):
            self._file = AtomicFile(self._target)
            self._out = self._file.open()
        else:
            self._out = self._target
        self._emit(b'<?xml version="1.0" encoding="UTF-8"?>\n' + _ROOT_START + b"\n" + self._header_bytes())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def close(self) -> None:
        """Finish the file and, for a path, move it into place."""
        if self._out is None:
            return
        self._emit(_ROOT_END)
        if self._file is not None:
            self._file.commit()
            self._file = None
        self._out = None

    def abort(self) -> None:
        """Drop what was written: for a path, nothing appears at the target."""
        if self._file is not None:
            self._file.discard()
            self._file = None
        self._out = None

    def _emit(self, data: bytes) -> None:
        assert self._out is not None, "use BatchWriter as a context manager"
        self._out.write(data)
        self._bytes += len(data)

    def _header_bytes(self) -> bytes:
        name = etree.Element(REQUEST_FILE_NAME)
        name.text = self.header.request_file_name
        status = etree.Element(FILE_STATUS)
        etree.SubElement(status, STATUS_CODE).text = self.file_status.value
        etree.SubElement(status, STATUS_DESCRIPTION).text = self.header.file_status_description or ""
        if self._pretty:
            etree.indent(status, space="  ", level=1)
        indent = b"  " if self._pretty else b""
        parts: list[bytes] = [etree.tostring(part, encoding="utf-8") for part in (name, status)]
        return b"".join(indent + part + b"\n" for part in parts)

    # -- documents -----------------------------------------------------------------------------

    @property
    def written(self) -> int:
        """How many documents have been written so far."""
        return self._written

    @property
    def report(self) -> WriteReport:
        """What has been written and skipped so far; final once the ``with`` block ends."""
        return WriteReport(str(getattr(self._target, "name", self._target)), self._written, self._bytes,
                           tuple(self._skipped))

    def room_for(self, size: int) -> bool:
        """Whether a serialised document of ``size`` bytes still fits the batch limits."""
        limits = self.limits
        if limits.max_documents is not None and self._written + 1 > limits.max_documents:
            return False
        separator = 3 if self._pretty else 1
        return limits.max_bytes is None or self._bytes + size + separator + len(_ROOT_END) <= limits.max_bytes

    def write(self, document: DocumentInput) -> bool:
        """Validate and write one document; False when it was skipped as invalid."""
        if self.file_status is not FileStatusCode.SUCCESS:
            raise BatchWriteError(f"a batch with file status {self.file_status.value} "
                                  f"({self.file_status.meaning}) carries no documents")
        self._index += 1
        if (not self._pretty and isinstance(document, etree._Element) and document.tag == APPLICATION_RESPONSE
                and _fixed_prefixes(document)):
            element = document  # already in the fixed prefixes, and nothing below changes it: no copy
        else:
            element = to_element(document)
        if self._validator is not None:
            issues = self._validator.issues(element)
            if any(i.level == "error" for i in issues):
                self._refuse(element, issues)
                return False
        data = serialise(element, pretty=self._pretty)
        if self.limits.max_document_bytes is not None and len(data) > self.limits.max_document_bytes:
            message = (f"Document too large: {len(data)} bytes, the limit is {self.limits.max_document_bytes}")
            issue = Issue(ErrorCode.DOCUMENT_TOO_LARGE.value, message, rule="limit:document-bytes")
            if self._on_invalid == "skip":
                self._skipped.append(self._result(element, [issue]))
                return False
            raise LimitExceededError(f"document #{self._index} ({self._name(element)}): {message}")
        if not self.room_for(len(data)):
            raise LimitExceededError(
                f"document #{self._index} ({self._name(element)}) does not fit the batch: "
                f"{self._written} documents and {self._bytes} bytes written, limits {self.limits}")
        self.write_serialised(data)
        return True

    def write_all(self, documents: Iterable[DocumentInput]) -> WriteReport:
        """Write each document in turn (as ``write`` does) and return the report."""
        for document in documents:
            self.write(document)
        return self.report

    def write_serialised(self, data: bytes) -> None:
        """Append a document already made by ``serialise`` (no validation, no limit check)."""
        self._emit((b"  " if self._pretty else b"") + data + b"\n")
        self._written += 1

    def _refuse(self, element: etree._Element, issues: list[Issue]) -> None:
        result = self._result(element, issues)
        if self._on_invalid == "skip":
            self._skipped.append(result)
            return
        first = result.error
        raise InvalidDocumentError(
            f"document #{self._index} ({result.id}) is not valid UBL 2.4: "
            f"{first.message if first else 'rejected'}"
            + (f" at {first.path}" if first and first.path else ""), result=result)

    def _result(self, element: etree._Element, issues: list[Issue]) -> DocumentResult:
        uuid = _child_text(element, "UUID")
        return DocumentResult(self._index, self._name(element), REJECTED if issues else ACCEPTED, uuid,
                              None, tuple(issues), None, "ar:ApplicationResponse")

    def _name(self, element: etree._Element) -> str:
        return _child_text(element, "ID") or _child_text(element, "UUID") or f"#{self._index}"


def _child_text(element: etree._Element, local: str) -> str | None:
    found = element.find(f"{{{NSMAP['cbc']}}}{local}")
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def write_batch(target: Target, header: BatchHeader, documents: Iterable[DocumentInput], **options: Any) -> WriteReport:
    """Write a whole batch in one call; ``options`` are ``BatchWriter``'s."""
    writer = BatchWriter(target, request_file_name=header.request_file_name or "",
                         file_status=header.file_status_code or "S",
                         status_description=header.file_status_description or "", **options)
    with writer:
        writer.write_all(documents)
    return writer.report
