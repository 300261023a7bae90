"""Validation: each streamed document against its UBL 2.4 schema, and the batch as a whole.

libxml2 (through lxml) gives the verdict. When it rejects a document, the structural check of
``contentmodel`` names every missing, unexpected or misplaced element (libxml2 stops at the first
one in each parent), and ``messages`` puts libxml2's other errors into plain sentences.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import attrs
from lxml import etree

from .chunks import ChunkedValidation, chunked_validation
from .codes import ErrorCode
from .explain import XmlschemaExplainer
from .messages import translate
from .names import prefixed
from .profiles import file_rules, request_rules, response_rules
from .reader import MAX_DOCUMENT_BYTES, BatchReader, Document, RequestBatchReader, Source, batch_kind
from .results import ACCEPTED, REJECTED, BatchHeader, BatchResult, DocumentResult, Issue, Tally
from .schemas import DocumentSchema, check_profile, document_schema, schema_info


class DocumentValidator:
    """Validates single documents against one compiled schema. One per thread."""

    def __init__(self, schema: DocumentSchema, *, explain: bool = False) -> None:
        self.schema = schema
        self._explainer = XmlschemaExplainer.for_schema(schema) if explain else None

    def issues(self, element: etree._Element) -> list[Issue]:
        """Every issue found in ``element``: the schema's, then the profile's rules (warnings too)."""
        issues = self.schema_issues(element)
        rules = response_rules(self.schema.profile, element) if self.schema.kind == "ApplicationResponse" \
            else request_rules(self.schema.profile, element, prefixed(self.schema.root_tag))
        if rules:
            issues = sorted(issues + rules, key=lambda i: i.line if i.line is not None else 1 << 62)
        return issues

    def schema_issues(self, element: etree._Element) -> list[Issue]:
        """What the schema finds in ``element``; empty when it accepts it."""
        xsd = self.schema.xsd
        if xsd.validate(element):
            return []
        entries = [(e.message, e.line, e.path) for e in xsd.error_log]
        findings = self.schema.model.check(element)
        issues = []
        explained: set[str] = set()
        for finding in findings:
            parent = finding.parent
            parent_path = _path(parent, element) if parent is not None else ""
            explained.add(parent_path)
            path = f"{parent_path}/{prefixed(finding.missing)}" if finding.missing else _path(finding.element, element)
            issues.append(Issue(ErrorCode.VALIDATION_ERROR.value, finding.message, rule=f"xsd:{finding.rule}",
                                line=finding.line, path=path, engine="ublbatch"))
        for raw, line, libxml2_path in entries:
            said = translate(raw)
            located = _locate(element, libxml2_path, said.element, line)
            path = _path(located, element) if located is not None else libxml2_path
            if said.structural and located is not None:
                parent = located if said.rule == "xsd:missing-element" else located.getparent()
                if parent is not None and _path(parent, element) in explained:
                    continue  # the structural check already said it, more precisely
            issues.append(Issue(ErrorCode.VALIDATION_ERROR.value, said.message, rule=said.rule,
                                line=line or None, path=path, raw=raw, engine="libxml2"))
        if not issues:  # never reject without a reason
            issues.append(Issue(ErrorCode.VALIDATION_ERROR.value, "The schema rejects this document",
                                rule="xsd:other", line=element.sourceline, engine="libxml2"))
        issues.sort(key=_by_line)
        if self._explainer is not None:  # after ours: the document's ``error`` stays the same with --explain
            issues.extend(sorted(self._explainer.explain(element), key=_by_line))
        return issues

    def check(self, document: Document, *, line_offset: int = 0) -> DocumentResult:
        """The verdict on one document from the reader (``line_offset``: see ``BatchReader``)."""
        unsupported = document.unsupported()
        if unsupported is not None:
            issues = [unsupported]
        else:
            issues = self.issues(document.element)
            if line_offset:
                issues = [attrs.evolve(i, line=i.line + line_offset) if i.line else i for i in issues]
        status = ACCEPTED if not any(i.level == "error" for i in issues) else REJECTED
        return DocumentResult(document.index, document.display_id, status, document.uuid, document.line,
                              tuple(issues), document.response_status(), document.tag)


class BatchValidation(Tally):
    """Validates a batch as it streams: iterate for each ``DocumentResult`` in source order.

    ``kind`` is ``"response"`` (ApplicationResponseBatch), ``"request"`` (RequestBatch) or None to
    tell from the root element. ``header`` is ready on entering; ``file_errors`` and the counts are
    complete after iterating. Results are not kept unless ``keep=True``, so memory stays flat.
    """

    def __init__(self, source: Source, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                 explain: bool = False, name: str | None = None, keep: bool = False,
                 kind: str | None = None, continuation: BatchHeader | None = None, line_offset: int = 0,
                 partial: bool = False, max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> None:
        self.profile = check_profile(profile)
        kind = kind or batch_kind(source) or "response"
        if kind not in ("response", "request"):
            raise ValueError(f"unknown batch kind {kind!r}: 'response' or 'request'")
        reader_class = RequestBatchReader if kind == "request" else BatchReader
        self._schema_dir = schema_dir
        self._explain = explain
        self._validators: dict[str, DocumentValidator] = {}
        for document_kind in reader_class.DOCUMENTS.values():  # load the schemas before reading anything
            self._validator(document_kind)
        self.schema = next(iter(self._validators.values())).schema
        self._reader = reader_class(source, name=name, continuation=continuation, line_offset=line_offset,
                                    partial=partial, max_document_bytes=max_document_bytes)
        self._line_offset = line_offset
        self._partial = partial
        self._continuation = continuation
        Tally.__init__(self, keep)
        self._file_rule_errors: list[Issue] = []

    def _validator(self, document_kind: str) -> DocumentValidator:
        found = self._validators.get(document_kind)
        if found is None:
            schema = document_schema(document_kind, self.profile, self._schema_dir)
            found = self._validators[document_kind] = DocumentValidator(schema, explain=self._explain)
        return found

    def __enter__(self) -> BatchValidation:
        self._reader.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._reader.close()

    @property
    def kind(self) -> str:
        """``response`` or ``request``: the kind of batch being read."""
        return self._reader.KIND

    @property
    def header(self) -> BatchHeader:
        """The batch header, ready once the validation is entered."""
        return self._reader.header

    @property
    def source_name(self) -> str:
        """The file's name as reports show it."""
        return self._reader.name

    @property
    def bytes_read(self) -> int:
        """How far into the source reading has got (for progress reports)."""
        return self._reader.bytes_read

    @property
    def file_errors(self) -> list[Issue]:
        """File-level problems found so far: reading's and the profile's; complete after iterating."""
        return self._reader.errors + self._file_rule_errors

    def schema_info(self) -> dict[str, str]:
        """Name, variant, SHA-256 and location of the schemas in use, for the result's ``schema``."""
        return schema_info(self.schema.files)

    def __iter__(self) -> Iterator[DocumentResult]:
        for document in self._reader:
            validator = self._validators[document.kind or ""] if document.supported else self._any_validator()
            yield self.count(validator.check(document, line_offset=self._line_offset))
        if self.kind == "response" and not self._partial:
            self._file_rule_errors = file_rules(self.profile, self.header.file_status_code, self.total_count,
                                                self.header.line)

    def _any_validator(self) -> DocumentValidator:
        return next(iter(self._validators.values()))

    def header_dict(self) -> dict[str, Any]:
        """The first line of the NDJSON stream: what is known before the documents."""
        return {"batch_id": self.header.request_file_name, "kind": self.kind, **self.header.to_dict(),
                "profile": self.profile, "schema": self.schema_info(), "source": self.source_name}

    def result(self) -> BatchResult:
        """The whole verdict (needs ``keep=True`` for the per-document results)."""
        return BatchResult(self.header, tuple(self.results), tuple(self.file_errors), self.profile,
                           self.schema_info(), self.source_name)


def validate_stream(source: Source, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                    explain: bool = False, name: str | None = None, kind: str | None = None, jobs: int = 1,
                    keep: bool = False,
                    max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> BatchValidation | ChunkedValidation:
    """Validate as a stream: ``with validate_stream(path) as v: for result in v: ...``.

    A file is read in ranges cut at document boundaries (``jobs`` > 1: in that many processes),
    which keeps line numbers exact past 65,535 lines; anything else, or a file that cannot be cut
    safely, is read in one pass. Both give the same results.
    """
    check_profile(profile)
    options: dict[str, Any] = {"jobs": jobs, "profile": profile, "schema_dir": schema_dir, "explain": explain,
                               "keep": keep, "max_document_bytes": max_document_bytes}
    chunked = None
    if isinstance(source, str | os.PathLike) and name is None and os.path.isfile(source):
        chunked = chunked_validation(source, **options)
    elif isinstance(source, bytes | bytearray | memoryview) and len(source) > 0:
        # bytes are spilled to a private file so that ranges, and recovery past broken documents, apply
        handle, path = tempfile.mkstemp(prefix="ublbatch-", suffix=".xml")
        with os.fdopen(handle, "wb") as spill:
            spill.write(source)
        chunked = chunked_validation(path, name=name or "<bytes>", spilled=True, **options)
        if chunked is None:
            os.unlink(path)
    if chunked is not None:
        if kind in (None, chunked.kind):
            return chunked
        chunked.__exit__(None, None, None)
    return BatchValidation(source, profile=profile, schema_dir=schema_dir, explain=explain, name=name, kind=kind,
                           keep=keep, max_document_bytes=max_document_bytes)


def validate_batch(source: Source, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                   explain: bool = False, name: str | None = None, kind: str | None = None,
                   jobs: int = 1, max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> BatchResult:
    """Validate every document of a response (or request) batch and return the whole verdict.

    The kind of batch is told from its root element unless ``kind`` says it. ``explain=True`` adds
    the xmlschema engine's account of each rejected document (slower; it lists the elements
    expected where one is wrong). ``jobs`` > 1 validates ranges of a file in that many processes,
    with the same results.
    """
    with validate_stream(source, profile=profile, schema_dir=schema_dir, explain=explain, name=name, kind=kind,
                         jobs=jobs, keep=True, max_document_bytes=max_document_bytes) as validation:
        for _ in validation:
            pass
    return validation.result()


def _by_line(issue: Issue) -> int:
    return issue.line if issue.line is not None else 1 << 62


def _path(element: etree._Element, root: etree._Element) -> str:
    """``/ar:ApplicationResponse/cac:DocumentResponse[2]/cac:Response``, canonical prefixes."""
    steps = []
    node: etree._Element | None = element
    while node is not None:
        step = prefixed(node.tag)
        parent = node.getparent()
        if node is not root and parent is not None:
            same = [c for c in parent.iterchildren(node.tag)]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        if node is root:
            break
        node = parent
    return "/" + "/".join(reversed(steps))


def _locate(root: etree._Element, libxml2_path: str | None, tag: str | None, line: int) -> etree._Element | None:
    """The element a libxml2 error is about: by its path, else by its name and line."""
    steps = (libxml2_path or "").split("/")[2:]
    if libxml2_path and not steps:
        return root
    if steps:
        namespaces = {k: v for k, v in root.nsmap.items() if k}
        try:
            found = root.xpath("./" + "/".join(steps), namespaces=namespaces)
        except etree.XPathError:
            found = []
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return found[0]
    if tag:
        for candidate in root.iter(tag):
            if candidate.sourceline == line:
                return candidate
    return None
