"""Streaming reader: the header first, then one embedded document at a time, in flat memory.

The parser never loads a DTD, resolves an entity or touches the network, and a DOCTYPE is refused
outright. Every child of the root is accounted for: header elements, documents, and anything else
(reported as an unsupported document, never skipped). A file that turns malformed or ends early
still yields every document completed before the break, then records a file-level error.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import IO, ClassVar, Union

import attrs
from lxml import etree

from .codes import ErrorCode, StatusReasonCode
from .errors import SourceError
from .model import ApplicationResponse
from .names import (
    APPLICATION_RESPONSE,
    BATCH_ROOT,
    CAC,
    CBC,
    CN,
    FILE_STATUS,
    INV,
    REQUEST_BATCH_ROOT,
    REQUEST_FILE_NAME,
    STATUS_CODE,
    STATUS_DESCRIPTION,
    XSI,
    prefixed,
    split_tag,
)
from .results import BatchHeader, Issue, ResponseStatus

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""A path, the bytes of a file, or a binary file object."""

CHUNK_SIZE = 1 << 16
MAX_DOCUMENT_BYTES = 15 * 1024 * 1024
"""The default cap on one document's size while reading (GoRoute's per-document limit); None: no cap.
libxml2's own limits also hold, as ``huge_tree`` is never switched on: nesting depth 256, text nodes
of 10 MB."""

PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": False,
    "remove_pis": False,
}
"""Explicit, not lxml's defaults: nothing outside the bytes given is ever read."""

_ALLOWED_XSI = {f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"}
_ID = f"{{{CBC}}}ID"
_UUID = f"{{{CBC}}}UUID"
_STATUSES = f"{{{CAC}}}DocumentResponse/{{{CAC}}}Response/{{{CAC}}}Status"
_REASON_CODE = f"{{{CBC}}}StatusReasonCode"
_REASON_CODES = etree.XPath("cac:DocumentResponse/cac:Response/cac:Status/cbc:StatusReasonCode",
                            namespaces={"cac": CAC, "cbc": CBC})
_REASON = f"{{{CBC}}}StatusReason"
_VALID_FILE_STATUS = ("S", "E", "D")
_SEVERITY: dict[str | None, int] = {
    code.value: {"delivered": 0, "pending": 1, "failed": 2}[code.outcome.value] for code in StatusReasonCode}


@attrs.frozen
class Document:
    """One child of the batch root after the header, as it streams by.

    ``element`` is only valid until the next document is read: the reader then releases it.
    """

    index: int
    """1-based position among the batch's documents."""
    line: int | None
    """Line of the document's start tag in the batch file."""
    id: str | None
    """``cbc:ID``, if present."""
    uuid: str | None
    """``cbc:UUID``, if present: the Google Vendor Request ID."""
    element: etree._Element = attrs.field(repr=False, eq=False)
    problem: str | None = None
    """Why this child is not a supported document, or None when it is one."""
    kind: str | None = "ApplicationResponse"
    """The UBL document type (``ApplicationResponse``, ``Invoice``, ``CreditNote``) when supported."""

    @property
    def supported(self) -> bool:
        """Whether this child is a document the batch may carry (else see ``problem``)."""
        return self.problem is None

    def unsupported(self) -> Issue | None:
        """Why this child is not taken as a document, as an issue; None for a supported document."""
        if self.problem is None:
            return None
        return Issue(ErrorCode.UNSUPPORTED_DOCUMENT_TYPE.value, f"Unsupported document: {self.problem}",
                     rule="batch:unsupported-document", line=self.line, path=f"/{self.tag}", engine="ublbatch")

    @property
    def display_id(self) -> str:
        """GoRoute's ``id``: ``cbc:ID``, else ``cbc:UUID``, else ``#<index>``."""
        return self.id or self.uuid or f"#{self.index}"

    @property
    def tag(self) -> str:
        """The element's name with its canonical prefix, e.g. ``ar:ApplicationResponse``."""
        return prefixed(self.element.tag)

    def response_status(self) -> ResponseStatus | None:
        """The status reason code that decides delivery: the first one with the worst outcome."""
        if self.kind != "ApplicationResponse":
            return None
        worst: etree._Element | None = None
        worst_rank = -1
        for code in _REASON_CODES(self.element):  # compiled XPath: the document-level statuses only
            text = code.text
            rank = _SEVERITY.get(text.strip() if text else None, 2)  # unknown or missing: failed
            if rank > worst_rank:
                worst, worst_rank = code.getparent(), rank
                if rank == 2:
                    break
        if worst is None:
            if self.element.find(_STATUSES) is None:
                return None
            return ResponseStatus(None, _text(self.element.find(f"{_STATUSES}/{_REASON}")))
        return ResponseStatus(_text(worst.find(_REASON_CODE)), _text(worst.find(_REASON)))

    def model(self) -> ApplicationResponse:
        """The typed model of this document, built on demand (the raw path never pays for it)."""
        if self.kind != "ApplicationResponse":
            raise ValueError(f"document #{self.index} is not an ApplicationResponse: {self.problem or self.kind}")
        return ApplicationResponse.from_element(self.element)

    def to_bytes(self) -> bytes:
        """This document serialised on its own, with the namespace declarations it inherits."""
        data: bytes = etree.tostring(self.element, encoding="utf-8", with_tail=False)
        return data


class BatchReader:
    """Reads an ``ApplicationResponseBatch`` as a stream; use it as a context manager.

    ``header`` is ready on entering; iterate for the documents; ``errors`` holds the file-level
    problems found so far (complete once iteration ends).
    """

    ROOT: ClassVar[str] = BATCH_ROOT
    KIND: ClassVar[str] = "response"
    EVENT_TAGS: ClassVar[tuple[str, ...]] = (REQUEST_FILE_NAME, FILE_STATUS, "{*}ApplicationResponse")
    DOCUMENTS: ClassVar[dict[str, str]] = {APPLICATION_RESPONSE: "ApplicationResponse"}
    """The documents this batch carries: Clark tag -> document kind (the schema to use)."""

    def __init__(self, source: Source, *, name: str | None = None, chunk_size: int = CHUNK_SIZE,
                 continuation: BatchHeader | None = None, line_offset: int = 0, partial: bool = False,
                 max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> None:
        self._stream, self.name, self._owned = _open(source, name)
        self._continuation = continuation
        """Set when ``source`` is a later byte range of a batch (see ``chunks``): the header is known."""
        self._line_offset = line_offset
        """Lines in ``source`` are this many lines after the file's (a range of a batch: ``chunks``)."""
        self._partial = partial
        """``source`` holds only some of the batch's documents: no whole-file checks."""
        self.bytes_read = 0
        """How many bytes of the source have been read so far (for progress reports)."""
        self._chunk_size = chunk_size
        self._max_document_bytes = max_document_bytes
        self._since_document = 0  # bytes read since a child of the root last ended
        self.header = BatchHeader(None, None)
        self.errors: list[Issue] = []
        self.root_nsmap: dict[str | None, str] = {}
        self._state = "start"  # -> "file_status" -> "documents"
        self._count = 0
        self._root: etree._Element | None = None
        self._last: etree._Element | None = None
        self._broken: etree._Element | None = None
        self._buffer: list[Document] = []
        self._events = self._run()
        self._entered = False

    def __enter__(self) -> BatchReader:
        if not self._entered:
            self._entered = True
            for item in self._events:  # read up to the end of the header
                if item is None:
                    break
                self._buffer.append(item)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and close the source if the reader opened it."""
        self._events.close()
        if self._owned:
            self._stream.close()

    def __iter__(self) -> Iterator[Document]:
        self.__enter__()
        while self._buffer:
            yield self._buffer.pop(0)
        for item in self._events:
            if item is not None:
                yield item

    @property
    def document_count(self) -> int:
        """How many children after the header have been read so far."""
        return self._count

    # -- the parse -------------------------------------------------------------------------

    def _error(self, code: ErrorCode, rule: str, message: str, line: int | None) -> None:
        self.errors.append(Issue(code.value, message, rule=rule, line=self._in_file(line), engine="ublbatch"))

    def _in_file(self, line: int | None) -> int | None:
        return line + self._line_offset if line else line

    def _run(self) -> Generator[Document | None, None, None]:
        """Documents as they complete; None once, when the header is known."""
        chunks: list[bytes] = []
        if not self._check_prolog(chunks):
            yield None
            return
        if self._state == "documents":
            yield None  # the header came with the root's start tag
        parser = etree.XMLPullParser(events=("end",), tag=list(self.EVENT_TAGS), **PARSER_OPTIONS)
        pending = iter(chunks)
        while True:
            failure: etree.XMLSyntaxError | None = None
            try:
                chunk = next(pending, None)
                if chunk is None:
                    chunk = self._read()
                if chunk:
                    parser.feed(chunk)
                else:
                    root = parser.close()
                    if self._root is None:  # no child ever ended: the root is known only now
                        self._root = root
                        self._check_text(root.text, self.ROOT, root)
            except etree.XMLSyntaxError as exc:
                failure = exc
            except OSError as exc:
                self._error(ErrorCode.UNREADABLE, "io:read", f"{self.name}: reading failed: {exc}", None)
                return
            ended = self._count
            for _event, element in parser.read_events():
                yield from self._handle(element)
            self._since_document = 0 if self._count != ended else self._since_document + len(chunk or b"")
            cap = self._max_document_bytes
            if cap is not None and self._since_document > cap and failure is None:
                where = self._in_file(self._last.sourceline) if self._last is not None else None
                self._error(ErrorCode.DOCUMENT_TOO_LARGE, "limit:document-bytes",
                            f"{self.name}: document #{self._count + 1} (after line {where}) is larger than "
                            f"max_document_bytes={cap}; reading stops here", where)
                return
            if failure is not None:
                yield from self._account(None, complete=False)
                self._syntax_error(failure)
                return
            if not chunk:
                yield from self._account(None, complete=True)
                break
        if self._state != "documents":
            self._header_missing(None)
            yield None
        self._finish()

    def _finish(self) -> None:
        """Checks that need the whole file (none for response batches)."""

    def _read(self) -> bytes:
        data = self._stream.read(self._chunk_size)
        self.bytes_read += len(data)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise SourceError(f"{self.name}: the file object must be opened in binary mode")
        return bytes(data)

    def _check_prolog(self, chunks: list[bytes]) -> bool:
        """Parse up to the root's start tag: refuse a DOCTYPE or a foreign root before anything else."""
        sniffer = etree.XMLPullParser(events=("start",), **PARSER_OPTIONS)
        while True:
            failure: etree.XMLSyntaxError | None = None
            try:
                chunk = self._read()
                chunks.append(chunk)
                if chunk:
                    sniffer.feed(chunk)
                else:
                    sniffer.close()
            except etree.XMLSyntaxError as exc:
                failure = exc  # reported by the main parse if it comes after the root's start tag
            except OSError as exc:
                self._error(ErrorCode.UNREADABLE, "io:read", f"{self.name}: reading failed: {exc}", None)
                return False
            for _event, root in sniffer.read_events():
                return self._check_root(root)
            if failure is not None or not chunk:
                if not any(c.strip() for c in chunks):
                    what = "is empty" if not any(chunks) else "holds only white space"
                    self._error(ErrorCode.INVALID_XML, "xml:empty", f"{self.name}: the file {what}", None)
                elif failure is not None:
                    self._syntax_error(failure)
                else:
                    self._error(ErrorCode.INVALID_XML, "xml:not-well-formed",
                                f"{self.name}: the file holds no XML element", None)
                return False

    def _check_root(self, root: etree._Element) -> bool:
        at = f"{self.name}, line {self._in_file(root.sourceline)}"
        if root.getroottree().docinfo.doctype:
            self._error(ErrorCode.FORBIDDEN_DOCTYPE, "xml:doctype",
                        f"{at}: the file has a DOCTYPE before its root element "
                        f"{prefixed(root.tag)}; ublbatch never processes DTDs or entities, so the file is "
                        "refused", root.sourceline)
            return False
        self.root_nsmap = dict(root.nsmap)
        if root.tag != self.ROOT:
            self._error(ErrorCode.NOT_A_BATCH, "envelope:root",
                        f"{at}: the root element is {prefixed(root.tag)}, "
                        f"not {self.ROOT}: this is not a {self.KIND} batch", root.sourceline)
            return False
        if self._continuation is not None:
            self.header, self._state = self._continuation, "documents"
        else:
            self._start(root)
        return True

    def _start(self, root: etree._Element) -> None:
        """The header as far as the root's start tag gives it."""
        self.header = BatchHeader(None, None, None, self._in_file(root.sourceline))
        self._check_attributes(root, allow_xsi=True)

    def _syntax_error(self, exc: etree.XMLSyntaxError) -> None:
        line = exc.lineno if exc.lineno else None
        text = getattr(exc, "msg", None) or str(exc)
        where = f"{self.name}, line {self._in_file(line)}" if line else self.name
        broken = self._broken
        if broken is not None and isinstance(broken.tag, str) and broken is not self._last:
            number = "" if broken.tag in (REQUEST_FILE_NAME, FILE_STATUS) else f" #{self._count + 1}"
            where += f", in {prefixed(broken.tag)}{number} (from line {self._in_file(broken.sourceline)})"
        self._error(ErrorCode.INVALID_XML, "xml:not-well-formed", f"{where}: the XML is not well-formed: {text}",
                    line)

    def _handle(self, element: etree._Element) -> Iterator[Document | None]:
        if self._root is None:
            self._root = element.getroottree().getroot()
            self._check_text(self._root.text, self.ROOT, self._root)
        if element.getparent() is not self._root:
            return  # nested inside another child: handled with it
        previous, last = element.getprevious(), self._last
        if last is not None and previous is last and last.getprevious() is None:
            self._check_text(last.tail, self.ROOT, last)  # the usual case: only the last one is left
            del self._root[0]
        elif previous is not None:
            yield from self._account(element, complete=True)
        tag = element.tag
        if tag == REQUEST_FILE_NAME and self.KIND == "response":
            self._request_file_name(element)
        elif tag == FILE_STATUS and self.KIND == "response":
            self._file_status(element)
            if self._state == "documents":
                yield None
        else:
            if self._state != "documents":
                self._header_missing(element)
                yield None
            yield self._document(element)
        self._last = element
        element.clear(keep_tail=True)

    def _account(self, upto: etree._Element | None, *, complete: bool) -> Iterator[Document | None]:
        """Report the root's children before ``upto`` that no event covered, then release them."""
        root = self._root
        if root is None:
            return
        children = list(root) if upto is None else []
        if upto is not None:
            for child in root:
                if child is upto:
                    break
                children.append(child)
        if not complete and children:
            self._broken = children.pop()  # the child being parsed when the file broke off
        for child in children:
            if child is not self._last and isinstance(child.tag, str):
                if self._state != "documents":
                    self._header_missing(child)
                    yield None
                yield self._document(child)
            self._check_text(child.tail, self.ROOT, child)
        del root[: len(children)]

    def _document(self, element: etree._Element) -> Document:
        self._count += 1
        problem = None
        kind = self.DOCUMENTS.get(element.tag)
        if kind is None:
            ns, local = split_tag(element.tag)
            expected = " or ".join(f"a UBL 2.4 {k}" for k in self.DOCUMENTS.values())
            if local in self.DOCUMENTS.values():
                problem = f"{local} in namespace {ns or '(none)'!r} is not {expected}"
            else:
                problem = f"{prefixed(element.tag)} is not {expected}"
        return Document(self._count, self._in_file(element.sourceline), _text(element.find(_ID)),
                        _text(element.find(_UUID)), element, problem, kind)

    # -- the header ------------------------------------------------------------------------

    def _envelope(self, message: str, element: etree._Element | None, rule: str) -> None:
        line = element.sourceline if element is not None else None
        self._error(ErrorCode.INVALID_ENVELOPE, rule, f"{self.name}, line {self._in_file(line)}: {message}"
                    if line else f"{self.name}: {message}", line)

    def _header_missing(self, at: etree._Element | None, *, upto: str = "documents") -> None:
        """Report the header elements not seen before ``at``, and move the state on to ``upto``."""
        if self._state == "start":
            self._envelope(f"Missing required element: {REQUEST_FILE_NAME}", at,
                           "envelope:missing-request-file-name")
        if self._state in ("start", "file_status") and upto == "documents":
            self._envelope(f"Missing required element: {FILE_STATUS}", at, "envelope:missing-file-status")
        self._state = upto

    def _out_of_place(self, element: etree._Element) -> bool:
        if self._state == "documents" or (element.tag == REQUEST_FILE_NAME) != (self._state == "start"):
            self._envelope(f"Unexpected element: {element.tag} (the header is RequestFileName then "
                           "FileStatus, once, before the documents)", element, "envelope:header-order")
            return True
        return False

    def _request_file_name(self, element: etree._Element) -> None:
        if self._out_of_place(element):
            return
        value = self._leaf(element)
        if not value:
            self._envelope("RequestFileName is empty", element, "envelope:request-file-name")
        self.header = attrs.evolve(self.header, request_file_name=value or None)
        self._state = "file_status"

    def _file_status(self, element: etree._Element) -> None:
        if self._state == "start":
            self._header_missing(element, upto="file_status")
        if self._out_of_place(element):
            return
        self._state = "documents"
        self._check_attributes(element)
        self._check_text(element.text, FILE_STATUS, element)
        parts = [c for c in element if isinstance(c.tag, str)]
        for child in element:
            self._check_text(child.tail, FILE_STATUS, child)
        if [c.tag for c in parts] != [STATUS_CODE, STATUS_DESCRIPTION]:
            found = ", ".join(prefixed(c.tag) for c in parts) or "nothing"
            self._envelope(f"FileStatus must hold StatusCode then StatusDescription; found {found}",
                           element, "envelope:file-status-content")
        code_el = next((c for c in parts if c.tag == STATUS_CODE), None)
        desc_el = next((c for c in parts if c.tag == STATUS_DESCRIPTION), None)
        code = self._leaf(code_el, collapse=True) if code_el is not None else None
        description = self._leaf(desc_el, collapse=False) if desc_el is not None else None
        if code_el is not None and code not in _VALID_FILE_STATUS:
            self._envelope(f"Invalid value {code!r} for StatusCode: expected S, E or D", code_el,
                           "envelope:status-code")
        self.header = attrs.evolve(self.header, file_status_code=code,
                                   file_status_description=description)

    def _leaf(self, element: etree._Element, *, collapse: bool = True) -> str:
        """The text of a header element that may hold text only."""
        self._check_attributes(element)
        for child in element:
            if isinstance(child.tag, str):
                self._envelope(f"Unexpected element: {prefixed(child.tag)} inside {element.tag} "
                               "(text only)", child, "envelope:text-only")
        text = "".join(element.itertext()) if len(element) else (element.text or "")
        return " ".join(text.split()) if collapse else text

    def _check_attributes(self, element: etree._Element, *, allow_xsi: bool = False) -> None:
        for name in element.attrib:
            if not (allow_xsi and name in _ALLOWED_XSI):
                self._envelope(f"Unexpected attribute: {prefixed(name)} on {element.tag}", element,
                               "envelope:attribute")

    def _check_text(self, text: str | None, container: str, element: etree._Element) -> None:
        if text and text.strip():
            self._envelope(f"Unexpected text {text.strip()[:40]!r} in {container} (element content only)",
                           element, "envelope:text")

class RequestBatchReader(BatchReader):
    """Reads a ``RequestBatch`` (Google's invoice requests) as a stream, like ``BatchReader``.

    The header is the root's ``batchID`` and ``documentCount``; the documents are ``inv:Invoice``
    and ``cn:CreditNote``. A ``documentCount`` that does not match is a file-level error, found
    once the whole file is read; every document is still reported.
    """

    ROOT: ClassVar[str] = REQUEST_BATCH_ROOT
    KIND: ClassVar[str] = "request"
    EVENT_TAGS: ClassVar[tuple[str, ...]] = ("{*}Invoice", "{*}CreditNote")
    DOCUMENTS: ClassVar[dict[str, str]] = {f"{{{INV}}}Invoice": "Invoice", f"{{{CN}}}CreditNote": "CreditNote"}

    def _start(self, root: etree._Element) -> None:
        self._state = "documents"
        batch_id = " ".join((root.get("batchID") or "").split())
        count_text = (root.get("documentCount") or "").strip()
        count: int | None = None
        if not batch_id:
            self._envelope("Missing required attribute: batchID on RequestBatch", root, "envelope:batch-id")
        if not count_text:
            self._envelope("Missing required attribute: documentCount on RequestBatch", root,
                           "envelope:document-count")
        elif count_text.isdigit():
            count = int(count_text)
        else:
            self._envelope(f"Invalid value {count_text!r} for documentCount: expected a whole number", root,
                           "envelope:document-count")
        for name in root.attrib:
            if name not in ("batchID", "documentCount") and name not in _ALLOWED_XSI:
                self._envelope(f"Unexpected attribute: {prefixed(name)} on RequestBatch", root, "envelope:attribute")
        self.header = BatchHeader(batch_id or None, None, None, self._in_file(root.sourceline), document_count=count,
                                  kind="request")

    def _finish(self) -> None:
        broken = any(e.code == ErrorCode.INVALID_XML.value for e in self.errors)
        mismatch = None if self._partial or broken else count_mismatch(self.header, self._count, self.name)
        if mismatch is not None:
            self.errors.append(mismatch)


def count_mismatch(header: BatchHeader, count: int, name: str) -> Issue | None:
    """The file-level error for a request batch whose ``documentCount`` is not what it holds."""
    declared = header.document_count
    if header.kind != "request" or declared is None or declared == count:
        return None
    return Issue(ErrorCode.INVALID_ENVELOPE.value, f"{name}, line {header.line}: documentCount says {declared} "
                 f"documents, the file holds {count}", rule="envelope:document-count-mismatch", line=header.line,
                 engine="ublbatch")


def read_request_batch(source: Source, *, name: str | None = None) -> RequestBatchReader:
    """Open a request batch for streaming: ``with read_request_batch(path) as batch: ...``."""
    return RequestBatchReader(source, name=name)


def batch_kind(source: Source) -> str | None:
    """``"response"`` or ``"request"`` from the root element, or None (not a batch, unreadable)."""
    stream, _, owned = _open(source, None)
    try:
        sniffer = etree.XMLPullParser(events=("start",), **PARSER_OPTIONS)
        for _ in range(64):  # the root's start tag comes within the first few chunks of any batch
            chunk = stream.read(CHUNK_SIZE)
            if not chunk:
                return None
            with contextlib.suppress(etree.XMLSyntaxError):  # whatever follows the root's start tag
                sniffer.feed(chunk)
            for _event, root in sniffer.read_events():
                return {BATCH_ROOT: "response", REQUEST_BATCH_ROOT: "request"}.get(root.tag)
        return None
    finally:
        if owned:
            stream.close()
        elif hasattr(stream, "seek"):
            stream.seek(0)


def read_batch(source: Source, *, name: str | None = None) -> BatchReader:
    """Open a response batch for streaming: ``with read_batch(path) as batch: ...``.

    ``source`` is a path, the file's bytes, or a binary file object. ``batch.header`` is ready
    inside the ``with``; iterating gives each ``Document``; ``batch.errors`` lists file-level
    problems (complete after iterating).
    """
    return BatchReader(source, name=name)


def _open(source: Source, name: str | None) -> tuple[IO[bytes], str, bool]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), name or "<bytes>", True
    if isinstance(source, str) and (source.lstrip().startswith("<") or "\n" in source):
        raise SourceError("this str looks like XML text, not a path: pass the document as bytes "
                          "(e.g. data.encode()) or give the file's path")
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            return open(path, "rb"), name or path, True
        except OSError as exc:
            raise SourceError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    if hasattr(source, "read"):
        return source, name or str(getattr(source, "name", "<stream>")), False
    raise SourceError(f"cannot read a batch from {type(source).__name__}: give a path, bytes or a "
                      "binary file object")


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None
