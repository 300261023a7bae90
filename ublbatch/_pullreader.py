"""The pull reader: one byte sequence (a whole file, or a range of one re-opened in the root's start
tag) parsed as a stream, the header first, then one child of the root at a time.

It never recovers: the first error ends it, and what it yielded before is what was read in full.
``engine`` cuts files into ranges, runs this reader on each and takes apart the ones that break.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import IO, ClassVar

import attrs
from lxml import etree

from ._parsing import pull_parser, safe_parser
from .codes import ErrorCode
from .document import Document, HeaderFirst, own_ids
from .errors import SourceError
from .names import (
    BATCH_ROOT,
    DOCUMENTS,
    FILE_STATUS,
    REQUEST_BATCH_ROOT,
    REQUEST_FILE_NAME,
    STATUS_CODE,
    STATUS_DESCRIPTION,
    XSI,
    prefixed,
    split_tag,
)
from .results import BatchHeader, Issue

CHUNK_SIZE = 1 << 16
_ALLOWED_XSI = {f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"}
_VALID_FILE_STATUS = ("S", "E", "D")
_LINE = re.compile(r"\bline (\d+)")


def shift_lines(text: str, offset: int) -> str:
    """libxml2's text with every ``line N`` it quotes moved by ``offset`` (a range's lines -> the file's)."""
    return _LINE.sub(lambda m: f"line {int(m.group(1)) + offset}", text) if offset else text


class PullReader:
    """Reads one byte stream of an ``ApplicationResponseBatch``; use it as a context manager.

    ``header`` is ready on entering; iterate for the documents; ``errors`` holds the file-level
    problems found so far (complete once iteration ends). ``failed`` tells whether the XML broke
    off (then the documents yielded are those read in full before the break).
    """

    ROOT: ClassVar[str] = BATCH_ROOT
    KIND: ClassVar[str] = "response"
    EVENT_TAGS: ClassVar[tuple[str, ...]] = (REQUEST_FILE_NAME, FILE_STATUS, "{*}ApplicationResponse")
    DOCUMENTS: ClassVar[dict[str, str]] = DOCUMENTS["response"]
    """The documents this batch carries: Clark tag -> document kind (the schema to use)."""

    def __init__(self, stream: IO[bytes], name: str, *, chunk_size: int = CHUNK_SIZE,
                 continuation: BatchHeader | None = None, line_offset: int = 0, index_base: int = 0,
                 partial: bool = False, max_document_bytes: int | None = None,
                 errors: list[Issue] | None = None) -> None:
        self._stream, self.name = stream, name
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
        self.errors: list[Issue] = [] if errors is None else errors
        """File-level problems, in the caller's list when it gave one (it sees them at once)."""
        self.root_nsmap: dict[str | None, str] = {}
        self._state = "start"  # -> "file_status" -> "documents"
        self._count = index_base
        self._base = index_base
        self.failed = False
        self._root: etree._Element | None = None
        self._last: etree._Element | None = None
        self._broken: etree._Element | None = None
        self._documents = HeaderFirst(self._run())

    def __enter__(self) -> PullReader:
        self._documents.enter()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading (the stream stays open: it is the caller's)."""
        self._documents.close()

    def __iter__(self) -> Iterator[Document]:
        return iter(self._documents)

    @property
    def document_count(self) -> int:
        """How many children after the header have been read so far."""
        return self._count - self._base

    def read_whole(self, data: bytes) -> list[Document] | None:
        """``data`` (a later range of a batch, whole in memory) parsed as one tree: its documents,
        with the same checks as the stream makes, and no events to handle one by one.

        None when it does not parse or holds a header element: the stream then reads it, and says
        what is wrong. Nothing is recorded in that case.
        """
        try:
            root = etree.fromstring(data, safe_parser())
        except etree.XMLSyntaxError:
            return None
        mark = len(self.errors)
        if self._continuation is None or not self._check_root(root):
            del self.errors[mark:]
            return None
        self._check_text(root.text, self.ROOT, root)  # the tree is not kept: the documents hold it
        documents = []
        for child in root:
            tag = child.tag
            if isinstance(tag, str):
                if tag in (REQUEST_FILE_NAME, FILE_STATUS):
                    del self.errors[mark:]
                    self._count = self._base
                    return None
                documents.append(self._document(child))
            self._check_text(child.tail, self.ROOT, child)
        return documents

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
        parser = pull_parser(("end",), list(self.EVENT_TAGS))
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
                self.failed = True
                return
            if failure is not None:
                # libxml2 may go on past an error and queue events for what it patched up (lxml >= 6.2
                # does): nothing after a failure is trusted; the engine reads those parts again
                self.failed = True
                self._broken = self._child_at(failure.lineno)
                self._syntax_error(failure)
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
                self.failed = True
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
        sniffer = pull_parser(("start",))
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

    def _child_at(self, line: int | None) -> etree._Element | None:
        """The child of the root whose start tag is the last one before ``line``."""
        root = self._root
        if root is None or not line:
            return None
        found = None
        for child in root:
            if child.sourceline is not None and child.sourceline <= line:
                found = child
        return found

    def _syntax_error(self, exc: etree.XMLSyntaxError) -> None:
        line = exc.lineno if exc.lineno else None
        text = shift_lines(getattr(exc, "msg", None) or str(exc), self._line_offset)
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
        found_id, found_uuid = own_ids(element)
        return Document(self._count, self._in_file(element.sourceline), found_id, found_uuid, element, problem, kind,
                        line_offset=self._line_offset)

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

class RequestPullReader(PullReader):
    """Reads a ``RequestBatch`` (Google's invoice requests) as a stream, like ``BatchReader``.

    The header is the root's ``batchID`` and ``documentCount``; the documents are ``inv:Invoice``
    and ``cn:CreditNote``. A ``documentCount`` that does not match is a file-level error, found
    once the whole file is read; every document is still reported.
    """

    ROOT: ClassVar[str] = REQUEST_BATCH_ROOT
    KIND: ClassVar[str] = "request"
    EVENT_TAGS: ClassVar[tuple[str, ...]] = ("{*}Invoice", "{*}CreditNote")
    DOCUMENTS: ClassVar[dict[str, str]] = DOCUMENTS["request"]

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
