"""Validation: each streamed document against its UBL 2.4 schema, and the batch as a whole.

libxml2 (through lxml) gives the verdict. When it rejects a document, the structural check of
``contentmodel`` names every missing, unexpected or misplaced element (libxml2 stops at the first
one in each parent), and ``messages`` puts libxml2's other errors into plain sentences.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import stat
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import IO, Any

import attrs
from lxml import etree

from .codes import ErrorCode
from .document import Document
from .engine import MAX_DOCUMENT_BYTES, Context, Range, RangeReading, Reading, cut, whole_file_errors
from .explain import XmlschemaExplainer
from .messages import translate
from .names import DOCUMENTS, prefixed
from .profiles import file_rules, google_shaped, request_rules, response_rules
from .reader import Source, open_source
from .results import ACCEPTED, REJECTED, BatchHeader, BatchResult, DocumentResult, Issue, ResponseStatus, Tally
from .schemas import DocumentSchema, check_profile, document_schema, schema_info
from .seen import SeenIndex


class DocumentValidator:
    """Validates single documents against one compiled schema. One per thread."""

    def __init__(self, schema: DocumentSchema, *, explain: bool = False, responses: bool = True) -> None:
        self.schema = schema
        self._explainer = XmlschemaExplainer.for_schema(schema) if explain else None
        self._responses = responses

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
            if not finding.text:  # stray text says nothing about the children
                explained.add(parent_path)
            path = f"{parent_path}/{prefixed(finding.missing)}" if finding.missing else _path(finding.element, element)
            issues.append(Issue(ErrorCode.VALIDATION_ERROR.value, finding.message, rule=f"xsd:{finding.rule}",
                                line=finding.line, path=path, engine="ublbatch"))
        said_already = {(i.rule, i.path) for i in issues}
        for raw, line, libxml2_path in entries:
            said = translate(raw)
            located = _locate(element, libxml2_path, said.element, line)
            path = _path(located, element) if located is not None else libxml2_path
            if (said.rule, path) in said_already:
                continue  # stray text the structural check found too
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

    def check(self, document: Document) -> DocumentResult:
        """The verdict on one document from the reader, with the file's lines."""
        unsupported = document.unsupported()
        if unsupported is not None or document.element is None:
            issues = [unsupported] if unsupported is not None else []
        else:
            issues = self.issues(document.element)
            if document.line_offset:
                shift = document.line_offset
                issues = [attrs.evolve(i, line=i.line + shift) if i.line else i for i in issues]
        status = ACCEPTED if not any(i.level == "error" for i in issues) else REJECTED
        return DocumentResult(document.index, document.display_id, status, document.uuid, document.line,
                              tuple(issues), document.response_status() if self._responses else None, document.tag)


@attrs.frozen
class Checks:
    """What a validation checks and gives, alike in every process that takes part in it."""

    kind: str
    """``response`` or ``request``: the batch kind, which says which schemas."""
    profile: str = "strict"
    schema_dir: str | None = None
    explain: bool = False
    responses: bool = True
    """Whether each result gets its ``response`` (the status reason code that decides delivery)."""


class Validators:
    """One ``DocumentValidator`` per document kind of a batch kind, compiled before anything is read."""

    def __init__(self, checks: Checks) -> None:
        self.by_kind = {k: DocumentValidator(document_schema(k, checks.profile, checks.schema_dir),
                                             explain=checks.explain, responses=checks.responses)
                        for k in DOCUMENTS[checks.kind].values()}
        self.first = next(iter(self.by_kind.values()))

    @classmethod
    def of(cls, checks: Checks) -> Validators:
        """The validators for ``checks`` in this thread (a compiled schema serves one thread): those
        last ``kept``, else compiled now and kept. Forked workers inherit those of the thread that
        starts them."""
        validators = _kept().get(checks)
        return validators if validators is not None else cls(checks).kept(checks)

    def kept(self, checks: Checks) -> Validators:
        """Keep these as this thread's validators for ``checks``."""
        _kept()[checks] = self
        return self

    def check(self, document: Document) -> DocumentResult:
        """The verdict on ``document`` by the schema of its kind."""
        return self.by_kind.get(document.kind or "", self.first).check(document)


class BatchValidation(Tally):
    """Validates a batch as it streams: iterate for each ``DocumentResult`` in source order.

    ``kind`` is ``"response"`` (ApplicationResponseBatch), ``"request"`` (RequestBatch) or None to
    tell from the root element. ``header`` is ready on entering; ``file_errors`` and the counts are
    complete after iterating. Results are not kept unless ``keep=True``, so memory stays flat.
    ``jobs`` > 1 validates the file's ranges in that many processes (this one and ``jobs - 1`` workers), at
    most ``4 * jobs`` ranges ahead of the results handed out, with the same results in the same order.
    ``response_status=False`` leaves each result's ``response`` out (None): less work where nothing
    reads it, as in the CLI's text and CSV output.
    """

    def __init__(self, source: Source, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                 explain: bool = False, name: str | None = None, keep: bool = False,
                 kind: str | None = None, jobs: int = 1,
                 max_document_bytes: int | None = MAX_DOCUMENT_BYTES, response_status: bool = True) -> None:
        self.profile = check_profile(profile)
        if kind not in (None, "response", "request"):
            raise ValueError(f"unknown batch kind {kind!r}: 'response' or 'request'")
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self._stream, self._name, self._owned = open_source(source, name)
        try:
            self._reading = Reading(self._stream, self._name, kind=kind, max_document_bytes=max_document_bytes)
            self._checks = Checks(self._reading.kind, self.profile, None if schema_dir is None else str(schema_dir),
                                  explain, response_status)
            self._validators = Validators(self._checks)
        except BaseException:
            self._close()
            raise
        self.schema = self._validators.first.schema
        self._jobs = jobs
        self._parallel_header: BatchHeader | None = None
        self._context: Context | None = None
        self._ranges: Iterator[Range] = iter(())
        self._first: list[DocumentResult] = []
        self._parallel_errors: list[Issue] = []
        self._parallel_read = 0
        Tally.__init__(self, keep)
        self._file_rule_errors: list[Issue] = []
        self._google_shaped = 0

    def _close(self) -> None:
        if self._owned:
            self._stream.close()

    def __enter__(self) -> BatchValidation:
        if self._jobs <= 1 or self._reading.prolog is None:
            self._jobs = 1
            self._reading.enter()
        else:
            self._enter_parallel()
        return self

    def _enter_parallel(self) -> None:
        """Cut the file, and validate its first range here: it is small and holds the header, which
        is then known on entering, as with one job."""
        reading = self._reading
        assert reading.prolog is not None
        self._context = Context(self._name, reading.kind, reading.prolog, reading.max_document_bytes)
        self._ranges = cut(reading.stream, reading.prolog, reading.head,
                           max_document_bytes=reading.max_document_bytes, progress=reading.progress)
        first = RangeReading(self._context, next(self._ranges), None, 0, self._parallel_errors)
        self._first = [self._validators.check(document) for document in first if document is not None]
        self._parallel_header = first.header

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._reading.close()
        self._close()

    @property
    def kind(self) -> str:
        """``response`` or ``request``: the kind of batch being read."""
        return self._reading.kind

    @property
    def header(self) -> BatchHeader:
        """The batch header, ready once the validation is entered (with ``jobs`` > 1: once the first
        range is validated)."""
        return self._parallel_header or self._reading.header

    @property
    def source_name(self) -> str:
        """The file's name as reports show it."""
        return self._name

    @property
    def bytes_read(self) -> int:
        """How far into the source reading has got (for progress reports)."""
        return self._reading.bytes_read

    @property
    def file_errors(self) -> list[Issue]:
        """File-level problems found so far: reading's and the profile's; complete after iterating."""
        return self._reading.errors + self._parallel_errors + self._file_rule_errors

    def schema_info(self) -> dict[str, str]:
        """Name, variant, SHA-256 and location of the schemas in use, for the result's ``schema``."""
        return schema_info(self.schema.files)

    def __iter__(self) -> Iterator[DocumentResult]:
        seen = SeenIndex()
        if self._jobs > 1:
            for result in self._in_workers():
                yield self._counted(duplicate_uuid(result, seen))
        else:
            for document in self._reading:
                yield self._counted(duplicate_uuid(self._validators.check(document), seen))
        if self.kind == "response":
            self._file_rule_errors = file_rules(self.profile, self.header.file_status_code, self.total_count,
                                                self.header.line)

    def _counted(self, result: DocumentResult) -> DocumentResult:
        if not result.accepted and google_shaped(result):
            self._google_shaped += 1
        return self.count(result)

    @property
    def google_profile_fits(self) -> bool:
        """True when the ``strict`` profile rejected every document of a response batch and each of them
        leaves out what Google's documents leave out (``cbc:ID``, ``cac:DocumentReference``): a Google
        file, for which ``profile="google"`` is likely what was meant. Complete after iterating."""
        return (self.profile == "strict" and self.kind == "response" and self.total_count > 0
                and self._google_shaped == self.rejected_count == self.total_count)

    def _in_workers(self) -> Iterator[DocumentResult]:
        self._validators.kept(self._checks)  # for the ranges this process takes, and the forked workers
        yield from self._first
        emitted, self._first = len(self._first), []
        context = self._context
        assert context is not None
        path = _regular_file(self._stream)
        jobs = ((context, *_sent(part, path), self._checks) for part in self._ranges)
        for rows, errors in run_ahead(_validate_range, jobs, self._jobs, here=_validate_here):
            self._parallel_errors.extend(errors)
            for row in rows:
                emitted += 1
                yield renumbered(row, emitted) if isinstance(row, DocumentResult) else _unpacked(row, emitted)
        self._parallel_errors.extend(whole_file_errors(self.kind, self.header, emitted, self._name,
                                                       self._parallel_errors))

    def header_dict(self) -> dict[str, Any]:
        """The first line of the NDJSON stream: what is known before the documents."""
        return {"batch_id": self.header.request_file_name, "kind": self.kind, **self.header.to_dict(),
                "profile": self.profile, "schema": self.schema_info(), "source": self.source_name}

    def result(self) -> BatchResult:
        """The whole verdict (needs ``keep=True`` for the per-document results)."""
        return BatchResult(self.header, tuple(self.results), tuple(self.file_errors), self.profile,
                           self.schema_info(), self.source_name)


DUPLICATE_UUID = "batch:duplicate-uuid"
"""The rule id of the warning on a document whose ``cbc:UUID`` an earlier document of the batch carries."""


def duplicate_uuid(result: DocumentResult, seen: SeenIndex) -> DocumentResult:
    """``result``, with a warning when an earlier document of the batch had the same ``cbc:UUID``.

    ``seen`` knows the position of the first document of each UUID met so far: the one thing a
    validation keeps per document (a digest and a number, 27 to 54 bytes each: ``seen``), so that the check
    holds across ranges and worker processes. A warning does not reject the document.
    """
    uuid = result.uuid
    if not uuid:
        return result
    first = seen.first(uuid, result.index)
    if first == result.index:
        return result
    warning = Issue(ErrorCode.VALIDATION_ERROR.value,
                    f"Duplicate cbc:UUID {uuid}: document #{first} of this batch has it too",
                    level="warning", rule=DUPLICATE_UUID, line=result.line,
                    path=f"/{result.element or 'ar:ApplicationResponse'}/cbc:UUID", engine="ublbatch")
    return attrs.evolve(result, issues=(*result.issues, warning), json_parts=None)  # the JSON changes too


@attrs.frozen
class RangeOutcome:
    """What one range gave in a worker: its results (numbered from 1), file errors, and the header."""

    part_index: int
    results: tuple[DocumentResult, ...]
    errors: tuple[Issue, ...]
    header: BatchHeader


_per_thread = threading.local()


def _kept() -> dict[Checks, Validators]:
    kept: dict[Checks, Validators] = _per_thread.__dict__.setdefault("validators", {})
    return kept

Job = tuple[Context, Range, "str | None", int, Checks]
"""A range to validate in a worker; with a path and a length, the worker reads the range's bytes
from the file itself (they are left out of the range), which spares the parent sending them."""


def validate_range(context: Context, part: Range, *, profile: str = "strict", schema_dir: str | None = None,
                   explain: bool = False) -> RangeOutcome:
    """Validate one range of a file as if it stood alone (anywhere: a worker, another machine)."""
    results, reading = _checked(context, part, Checks(context.kind, profile, schema_dir, explain))
    return RangeOutcome(part.index, tuple(r.with_json() for r in results), tuple(reading.errors), reading.header)


def _checked(context: Context, part: Range, checks: Checks) -> tuple[list[DocumentResult], RangeReading]:
    validators = Validators.of(checks)
    reading = RangeReading(context, part, BatchHeader(None, None) if part.index else None, 0)
    return [validators.check(document) for document in reading if document is not None], reading


Row = tuple[str | None, str, str | None, int | None, tuple[Issue, ...], tuple[str | None, str | None] | None,
            str | None, tuple[str, str] | None]
"""A result as a worker sends it: its fields as plain values (an id of None is its position), no index.
Tuples of strings pickle and load several times faster than objects, and the parent gives each its
index in the file as it builds it, once."""
Packed = tuple[tuple[Row, ...] | tuple[DocumentResult, ...], tuple[Issue, ...]]
"""A range's results and file errors: rows from a worker, results (numbered from 1) from this process."""


def _packed(result: DocumentResult) -> Row:
    response = result.response
    return (None if result.id == f"#{result.index}" else result.id, result.status, result.uuid, result.line,
            result.issues, None if response is None else (response.code, response.reason), result.element,
            result.json_around_index())


def _unpacked(row: Row, index: int) -> DocumentResult:
    shown, status, uuid, line, issues, response, element, json_parts = row
    return DocumentResult(index, f"#{index}" if shown is None else shown, status, uuid, line, issues,
                          None if response is None else ResponseStatus(*response), element, json_parts)


def _sent(part: Range, path: str | None) -> tuple[Range, str | None, int]:
    if path is None or part.oversized:
        return part, None, 0
    return attrs.evolve(part, data=b""), path, len(part.data)


def _regular_file(stream: IO[bytes]) -> str | None:
    """The path of ``stream`` when it is a regular file opened by name (workers can read it too)."""
    name = getattr(stream, "name", None)
    if not isinstance(name, str):
        return None
    try:
        return os.path.abspath(name) if stat.S_ISREG(os.fstat(stream.fileno()).st_mode) else None
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _validate_range(job: Job) -> Packed:
    results, errors = _validate_here(job)
    return tuple(_packed(r) for r in results), errors


def _validate_here(job: Job) -> tuple[tuple[DocumentResult, ...], tuple[Issue, ...]]:
    context, part, path, length, checks = job
    if path is not None:
        with open(path, "rb") as handle:
            part = attrs.evolve(part, data=os.pread(handle.fileno(), length, part.start))
    results, reading = _checked(context, part, checks)
    return tuple(results), tuple(reading.errors)


def run_ahead(function: Callable[[Job], Packed], jobs: Iterable[Job], processes: int, *,
              here: Callable[[Job], Packed] | None = None) -> Iterator[Packed]:
    """``map(function, jobs)`` in order, in ``processes`` processes: this one (calling ``here`` when
    given, else ``function``) and ``processes - 1`` workers.

    The workers are kept four jobs ahead each; whenever they are, this process takes the next job
    itself instead of waiting, so two processes on two cores both validate all the time. At most
    ``4 * processes`` jobs' results (ranges of ``engine.RANGE_BYTES``) wait to be handed out.
    """
    workers = processes - 1
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pending: deque[Future[Packed] | Packed] = deque()
    if method == "fork":
        gc.freeze()  # what forked workers inherit stays out of their collections: no copy-on-write of it
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
            try:
                for job in jobs:
                    busy = sum(1 for p in pending if isinstance(p, Future) and not p.done())
                    pending.append(pool.submit(function, job) if busy < 4 * workers else (here or function)(job))
                    while pending and (len(pending) > 4 * processes or _ready(pending[0])):
                        yield _outcome(pending.popleft())
                while pending:
                    yield _outcome(pending.popleft())
            finally:
                for item in pending:
                    if isinstance(item, Future):
                        item.cancel()
    finally:
        if method == "fork":
            gc.unfreeze()


def _ready(item: Future[Packed] | Packed) -> bool:
    return not isinstance(item, Future) or item.done()


def _outcome(item: Future[Packed] | Packed) -> Packed:
    return item.result() if isinstance(item, Future) else item


def renumbered(result: DocumentResult, index: int) -> DocumentResult:
    """A result numbered within its range, numbered in the file (a ``#n`` id follows)."""
    if result.index == index:
        return result
    return DocumentResult(index, f"#{index}" if result.id == f"#{result.index}" else result.id, result.status,
                          result.uuid, result.line, result.issues, result.response, result.element,
                          result.json_parts)


def validate_stream(source: Source, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                    explain: bool = False, name: str | None = None, kind: str | None = None, jobs: int = 1,
                    keep: bool = False, max_document_bytes: int | None = MAX_DOCUMENT_BYTES,
                    response_status: bool = True) -> BatchValidation:
    """Validate as a stream: ``with validate_stream(path) as v: for result in v: ...``.

    Every source (a path, bytes, a binary stream) is read by the engine every command shares, in
    ranges cut at document boundaries, recovering past documents that are not well-formed;
    ``jobs`` > 1 validates the ranges in that many processes (this one among them), with the same results.
    ``response_status=False`` skips each result's ``response`` where nothing reads it.
    """
    return BatchValidation(source, profile=profile, schema_dir=schema_dir, explain=explain, name=name, kind=kind,
                           keep=keep, jobs=jobs, max_document_bytes=max_document_bytes,
                           response_status=response_status)


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
