"""``Document``: one child of a batch's root after the header, as the reading engine gives it.

Every child is one ``Document``, in file order, so positions never shift: an embedded UBL document,
a child the batch may not carry (``problem`` says why), or a child that could not be read at all
(not well-formed, too large: ``element`` is None and ``error`` says what is wrong).
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

import attrs
from lxml import etree

from ._parsing import string_value
from .codes import ErrorCode, StatusReasonCode
from .model import ApplicationResponse
from .names import CAC, CBC, CBC_ID, CBC_UUID, prefixed
from .results import Issue, ResponseStatus

_REASON = f"{{{CBC}}}StatusReason"
_SEVERITY: dict[str | None, int] = {
    code.value: {"delivered": 0, "pending": 1, "failed": 2}[code.outcome.value] for code in StatusReasonCode}


_per_thread = threading.local()
_PATHS = {"codes": "c:DocumentResponse/c:Response/c:Status/b:StatusReasonCode[1]",
          "statuses": "c:DocumentResponse/c:Response/c:Status"}


def _found(element: etree._Element, what: str) -> list[etree._Element]:
    """The elements of one of ``_PATHS`` below ``element``, in document order, by a compiled XPath
    (one per thread: lxml's XPath objects are not shared between threads)."""
    find = getattr(_per_thread, what, None)
    if find is None:
        find = etree.XPath(_PATHS[what], namespaces={"c": CAC, "b": CBC})
        setattr(_per_thread, what, find)
    found = find(element)
    assert isinstance(found, list)
    return found


def own_ids(element: etree._Element) -> tuple[str | None, str | None]:
    """The document's own ``cbc:ID`` and ``cbc:UUID`` (direct children), as string values.

    One pass over the children: both come early in every UBL document.
    """
    found_id = found_uuid = None
    for child in element:
        tag = child.tag
        if tag == CBC_ID and found_id is None:
            found_id = string_value(child)
        elif tag == CBC_UUID:
            found_uuid = string_value(child)
            break
    return found_id, found_uuid


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
    """``cbc:ID`` (its string value), if present."""
    uuid: str | None
    """``cbc:UUID`` (its string value), if present: the Google Vendor Request ID."""
    element: etree._Element | None = attrs.field(repr=False, eq=False)
    """The element; None when the child could not be read (see ``error``)."""
    problem: str | None = None
    """Why this child is not a supported document, or None when it is one."""
    kind: str | None = "ApplicationResponse"
    """The UBL document type (``ApplicationResponse``, ``Invoice``, ``CreditNote``) when supported."""
    error: Issue | None = None
    """What is wrong with a child that could not be read (``INVALID_XML``, ``DOCUMENT_TOO_LARGE``)."""
    tag_name: str | None = None
    """The tag as written, for a child that could not be read."""
    line_offset: int = attrs.field(default=0, repr=False, eq=False)
    """The file's line = ``element.sourceline`` + this (each range of a file is parsed from line 1)."""

    @property
    def supported(self) -> bool:
        """Whether this child is a document the batch may carry and could be read (else see ``problem``)."""
        return self.problem is None

    @property
    def broken(self) -> bool:
        """True when the child could not be read: not well-formed, or over the size limit."""
        return self.error is not None

    def unsupported(self) -> Issue | None:
        """Why this child is not taken as a document, as an issue; None for a supported document."""
        if self.error is not None:
            return self.error
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
        if self.element is None:
            return self.tag_name or "?"
        return prefixed(self.element.tag)

    def response_status(self) -> ResponseStatus | None:
        """The status reason code that decides delivery: the first one with the worst outcome
        (each ``cac:Status`` counts with its first code)."""
        if self.kind != "ApplicationResponse" or self.element is None:
            return None
        worst: etree._Element | None = None
        worst_rank = -1
        for code in _found(self.element, "codes"):
            rank = _SEVERITY.get(string_value(code), 2)  # unknown or empty: failed
            if rank > worst_rank:
                worst, worst_rank = code, rank
                if rank == 2:
                    break
        if worst is None:  # no status has a code: the first one's reason, if there is a status
            statuses = _found(self.element, "statuses")
            return ResponseStatus(None, string_value(statuses[0].find(_REASON))) if statuses else None
        status = worst.getparent()
        reason = next(status.iterchildren(_REASON), None) if status is not None else None
        return ResponseStatus(string_value(worst), string_value(reason))

    def model(self) -> ApplicationResponse:
        """The typed model of this document, built on demand (the raw path never pays for it)."""
        if self.kind != "ApplicationResponse" or self.element is None:
            raise ValueError(f"document #{self.index} is not a readable ApplicationResponse: "
                             f"{self.problem or self.kind}")
        return ApplicationResponse.from_element(self.element)

    def to_bytes(self) -> bytes:
        """This document serialised on its own, with the namespace declarations it inherits."""
        if self.element is None:
            raise ValueError(f"document #{self.index} could not be read: {self.problem}")
        data: bytes = etree.tostring(self.element, encoding="utf-8", with_tail=False)
        return data


class HeaderFirst:
    """Documents from a generator that yields None once, when the batch header is known: ``enter``
    reads up to that point (keeping any document met on the way), iterating gives the documents."""

    def __init__(self, items: Generator[Document | None, None, None]) -> None:
        self._items = items
        self._buffer: list[Document] = []
        self._entered = False

    def enter(self) -> None:
        """Read up to the end of the header (once)."""
        if not self._entered:
            self._entered = True
            for item in self._items:
                if item is None:
                    break
                self._buffer.append(item)

    def __iter__(self) -> Iterator[Document]:
        self.enter()
        while self._buffer:
            yield self._buffer.pop(0)
        for item in self._items:
            if item is not None:
                yield item

    def close(self) -> None:
        """Stop the generator."""
        self._items.close()
