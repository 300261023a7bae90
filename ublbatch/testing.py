"""Assertions and one-test-per-document cases for pytest suites that check batch files.

A suite that produces or receives batches wants a failing test to say *which* document broke
*which* rule, in pytest's own report, the way a compiler names file and line. These helpers
validate with the library (the same verdicts as ``ublbatch validate``) and raise
``BatchAssertionError`` with one line per problem: position, id, line, message and path inside
the document, plus file-level errors; identical problems in many documents are grouped.
Tracebacks stop at the test's own line. The plugin that pytest loads from the installed package
(``ublbatch.pytest_plugin``) adds the ``ublbatch_validator`` fixture, configured once for the
suite by ``--ublbatch-profile`` / ``--ublbatch-schemas`` (or the ini keys ``ublbatch_profile`` /
``ublbatch_schemas``), and gives ``documents()`` cases their test ids.

Example::

    from pathlib import Path

    import pytest
    from ublbatch.testing import assert_valid_batch, assert_valid_document, documents

    BATCH = Path(__file__).parent / "batches" / "responses-2024-05.xml"

    def test_batch():
        result = assert_valid_batch(BATCH, profile="google")     # the BatchResult, to assert more
        assert result.total_count == 12

    def test_known_bad_batch():
        assert_valid_batch(BATCH, expect_rejected={"GVR-0007"})  # must be rejected; the rest accepted

    @pytest.mark.parametrize("doc", documents(BATCH))             # test_document[GVR-0001], ...
    def test_document(doc):
        result = assert_valid_document(doc, profile="google")
        assert result.response.code == "NON"

    def test_as_configured(ublbatch_validator):                   # pytest --ublbatch-profile google
        ublbatch_validator.assert_valid_batch(BATCH)

A failure reads (``pytest --tb=short``; the first line is the summary, then one line per problem)::

    test_batches.py:6: in test_batch
        assert_valid_batch("fixtures/mixed.xml")
    E   ublbatch.testing.BatchAssertionError: 3 of 6 documents rejected in fixtures/mixed.xml [profile strict]
    E     #2 AR-2024-0102 (line 45): Invalid value '2024-13-01' for cbc:IssueDate at /ar:Appl[...]/cbc:IssueDate
    E     #4 GVR-0004-2024-000404 (line 109): Missing required element: cbc:ID at /ar:ApplicationResponse/cbc:ID
    E     #4 GVR-0004-2024-000404 (line 112): Unexpected element: cbc:Foo at /ar:ApplicationResponse/cbc:Foo
    E     #5 INV-NOT-HERE (line 140): Unsupported document: inv:Invoice is not a UBL 2.4 [...] at /inv:Invoice

``documents(path)`` reads the batch when the test module is collected (no schema is needed
then) and gives one ``DocumentCase`` per embedded document. Its test id is the document's id
(``cbc:ID``, else ``cbc:UUID``, else ``#<position>``), with ``#<position>`` added where ids repeat,
so every id is unique. When reading stops at a file-level problem (broken XML, envelope errors), a
last case with the id ``#file`` stands for the file itself and whatever could not be told apart
at collection, so a broken file can never pass as a short list of good documents.

The verdict on a case comes from validating its whole batch once per profile and schema location
(the last few results are kept, keyed by the file's identity, size and modification time), so a
thousand cases cost one validation and each verdict is exactly the batch's. Without the plugin,
pass ``ids=str`` to ``parametrize`` for the same ids.

The functions here use the profile and schemas their arguments name (default ``strict`` and the
library's search); the ``ublbatch_validator`` fixture uses the suite's options instead.
This module does not import pytest (any runner that treats ``AssertionError`` as a failure works).
"""

from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Collection, Sequence

import attrs

from .errors import SourceError, UblBatchError
from .profiles import PROFILES
from .reader import Source, batch_kind, read_batch, read_request_batch
from .results import BatchResult, DocumentResult, Issue, ResponseStatus
from .validate import validate_batch

FILE_CASE_ID = "#file"
"""The test id of the case that stands for the file itself (see ``documents``)."""

MAX_LINES = 30
"""Problem lines shown in one failure message; the exception's ``result`` holds every verdict."""

GROUP_AT = 3
"""An identical problem in this many documents or more is shown once, with the documents listed."""

_SHOWN_IN_GROUP = 5
_CACHE_SIZE = 8


class BatchAssertionError(AssertionError):
    """A batch or document failed its check. The message is the report pytest shows.

    It is an ``AssertionError`` so that pytest reports a failed test (not an error in the test),
    and it carries the whole verdict so a test can look closer:
    ``with pytest.raises(BatchAssertionError) as failure: ...; failure.value.result``.
    """

    def __init__(self, message: str, result: BatchResult) -> None:
        super().__init__(message)
        self.result = result
        """The ``BatchResult`` the failure was found in."""


@attrs.frozen(repr=False)
class DocumentCase:
    """One test case from ``documents()``: which document of which batch, as read at collection.

    It carries what identifies the document (``index``, ``id``, ``uuid``, ``line``) and what the
    reader sees without a schema (``element``, ``response``), so a test can branch or assert on
    them; the verdict comes from ``assert_valid_document`` / ``document_result``. ``str()`` is the
    test id. The case with ``kind == "file"`` stands for the file itself (see ``documents``).
    """

    source: str
    """The batch file, as an absolute path (collection and the test may run in other folders)."""
    test_id: str
    """Unique within its batch: the id, with ``#<position>`` added where ids repeat; ``#file``."""
    kind: str = "document"
    """``document``, or ``file`` for the case that stands for the file itself."""
    index: int | None = None
    """1-based position among the batch's documents (None for the file case)."""
    id: str | None = None
    """GoRoute's ``id``: ``cbc:ID``, else ``cbc:UUID``, else ``#<index>``."""
    uuid: str | None = None
    """``cbc:UUID``: the Google Vendor Request ID the document answers."""
    line: int | None = None
    """Line of the document's start tag in the batch file."""
    element: str | None = None
    """The element's name with its canonical prefix, e.g. ``ar:ApplicationResponse``."""
    response: ResponseStatus | None = None
    """The status reason code the document carries (known without a schema)."""
    covered: int = 0
    """File case: how many documents before the break have cases of their own."""
    problems: tuple[Issue, ...] = ()
    """File case: the file-level problems reading found at collection."""

    def __str__(self) -> str:
        return self.test_id

    def __repr__(self) -> str:  # pytest prints the test's arguments: one short line, not every field
        what = "the file itself" if self.kind == "file" else f"#{self.index} {self.id}{_where(self.line)}"
        return f"<DocumentCase {what} of {self.source}>"


def _optional_path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)


def _known_profile(_: object, __: attrs.Attribute[str], value: str) -> None:
    __tracebackhide__ = True
    if value not in PROFILES:
        raise ValueError(f"unknown profile {value!r}; choose one of: {', '.join(PROFILES)}")


@attrs.frozen
class Validator:
    """The checks bound to one profile and schema location: what the ``ublbatch_validator`` fixture gives.

    A suite states its profile and schemas once (``--ublbatch-profile``, ``--ublbatch-schemas`` or
    the ini keys) and every test uses them, so the same tests can run strict in one job and
    ``google`` in another. The module's functions build one on the spot from their arguments.
    """

    profile: str = attrs.field(default="strict", validator=_known_profile)
    """``strict`` (the official UBL 2.4 schemas) or ``google`` (see the README)."""
    schema_dir: str | None = attrs.field(default=None, converter=_optional_path)
    """An OASIS UBL 2.4 release (folder or zip); None: ``UBLBATCH_UBL_DIR``, the bundled copy, ``../shared``."""

    def validate(self, source: Source) -> BatchResult:
        """The verdict on a batch, without asserting anything (always read afresh)."""
        __tracebackhide__ = True
        try:
            return validate_batch(source, profile=self.profile, schema_dir=self.schema_dir)
        except UblBatchError as error:  # missing or altered schemas, a file that cannot be opened
            raise error.with_traceback(None) from None

    def assert_valid_batch(self, source: Source, *, allow_warnings: bool = True,
                           expect_rejected: Collection[str] = ()) -> BatchResult:
        """Fail unless the file is sound and every document is accepted; return the ``BatchResult``.

        ``expect_rejected``: documents (by id, UUID or ``#<position>``) that must be rejected, for
        fixtures that are broken on purpose; each must be in the batch and rejected, and the others
        accepted. ``allow_warnings=False`` also fails on warnings (the ``google`` profile warns about
        Google's documented deviations).
        """
        __tracebackhide__ = True
        result = self.validate(source)
        failure = _batch_failure(result, allow_warnings, expect_rejected)
        if failure is not None:
            raise failure
        return result

    def document_result(self, case: DocumentCase) -> DocumentResult:
        """The verdict on the document of a ``documents()`` case, without asserting anything.

        The whole batch is validated once per profile and schema location and kept (see the
        module's docstring); a file that changed since collection fails the test.
        """
        __tracebackhide__ = True
        if case.kind != "document" or case.index is None:
            raise ValueError(f"{case.test_id} stands for the file {case.source}, not a document: "
                             "use assert_valid_document, or validate the file")
        result = self._batch_of(case)
        if case.index > len(result.results) or result.results[case.index - 1].id != case.id:
            raise BatchAssertionError(f"document #{case.index} is no longer {case.id} in {case.source}: the file "
                                      "changed after the tests were collected; run them again", result)
        return result.results[case.index - 1]

    def assert_valid_document(self, case: DocumentCase, *, allow_warnings: bool = True) -> DocumentResult:
        """Fail unless the case's document is accepted; return its ``DocumentResult``.

        The ``#file`` case always fails: with the file-level errors and the verdicts on the
        documents that reading could not reach at collection.
        """
        __tracebackhide__ = True
        if case.kind == "file":
            result = self._batch_of(case)
            raise _file_failure(case, result)
        document = self.document_result(case)
        failure = _document_failure(case, document, self._batch_of(case), allow_warnings)
        if failure is not None:
            raise failure
        return document

    def _batch_of(self, case: DocumentCase) -> BatchResult:
        __tracebackhide__ = True
        try:
            stat = os.stat(case.source)
        except OSError as error:
            raise SourceError(f"{case.source}: cannot read: {error.strerror}") from None
        key = (case.source, stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, self.profile, self.schema_dir)
        with _cache_lock:
            found = _cache.get(key)
            if found is not None:
                _cache.move_to_end(key)
                return found
        result = self.validate(case.source)
        with _cache_lock:
            _cache[key] = result
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return result


_CacheKey = tuple[str, int, int, int, int, str, "str | None"]
_cache: OrderedDict[_CacheKey, BatchResult] = OrderedDict()
_cache_lock = threading.Lock()


def assert_valid_batch(source: Source, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                       allow_warnings: bool = True, expect_rejected: Collection[str] = ()) -> BatchResult:
    """Fail the test unless the batch is sound and every document accepted; return the ``BatchResult``.

    ``source`` is a path or the bytes of a batch. See ``Validator.assert_valid_batch`` for
    ``allow_warnings`` and ``expect_rejected``; the ``ublbatch_validator`` fixture does the same
    with the suite's configured profile and schemas.
    """
    __tracebackhide__ = True
    return Validator(profile, schema_dir).assert_valid_batch(source, allow_warnings=allow_warnings,
                                                             expect_rejected=expect_rejected)


def assert_valid_document(case: DocumentCase, *, profile: str = "strict",
                          schema_dir: str | os.PathLike[str] | None = None,
                          allow_warnings: bool = True) -> DocumentResult:
    """Fail the test unless the document of a ``documents()`` case is accepted; return its verdict."""
    __tracebackhide__ = True
    return Validator(profile, schema_dir).assert_valid_document(case, allow_warnings=allow_warnings)


def document_result(case: DocumentCase, *, profile: str = "strict",
                    schema_dir: str | os.PathLike[str] | None = None) -> DocumentResult:
    """The verdict on the document of a ``documents()`` case, for tests that expect a rejection."""
    __tracebackhide__ = True
    return Validator(profile, schema_dir).document_result(case)


def documents(source: str | os.PathLike[str]) -> list[DocumentCase]:
    """One ``DocumentCase`` per document of a batch file, for ``pytest.mark.parametrize``.

    Reading needs no schema, so collection stays fast and works before schemas are configured.
    Test ids are the documents' ids, made unique (see the module's docstring). When reading
    stops at a file-level problem, a last case ``#file`` stands for the file itself: its test fails
    with the file-level errors and the verdicts on the documents reading could not reach. The
    file-level rule of the ``google`` profile (no documents in a file with status E) needs the
    profile, so only ``assert_valid_batch`` checks it. A file that cannot be opened raises
    ``SourceError``: the test module then fails to collect.
    """
    path = os.path.abspath(os.fspath(source))
    reader = read_request_batch(path) if batch_kind(path) == "request" else read_batch(path)
    found = []
    with reader as batch:
        for doc in batch:
            found.append((doc.index, doc.display_id, doc.uuid, doc.line, doc.tag, doc.response_status()))
        problems = tuple(batch.errors)
    ids = unique_ids([(display_id, index) for index, display_id, *_ in found])
    cases = [DocumentCase(path, test_id, index=index, id=display_id, uuid=uuid, line=line, element=element,
                          response=response)
             for test_id, (index, display_id, uuid, line, element, response) in zip(ids, found, strict=True)]
    if problems:
        file_id = FILE_CASE_ID
        while file_id in ids:
            file_id += "#"
        cases.append(DocumentCase(path, file_id, kind="file", line=batch.header.line, covered=len(found),
                                  problems=problems))
    return cases


def unique_ids(ids: Sequence[tuple[str, int]]) -> list[str]:
    """Test ids from ``(id, position)`` pairs: the id, or ``id#position`` where ids repeat.

    pytest would make repeats unique by appending a counter (``GVR-1_0``, ``GVR-1_1``), which
    says nothing about the file; the position finds the document.
    """
    counts = Counter(name for name, _ in ids)
    used: set[str] = set()
    out = []
    for name, index in ids:
        candidate = name if counts[name] == 1 else f"{name}#{index}"
        while candidate in used:  # an id that happens to read like another one's id#position
            candidate = f"{candidate}#{index}"
        used.add(candidate)
        out.append(candidate)
    return out


# -- the failure messages ---------------------------------------------------------------------


def _label(document: DocumentResult) -> str:
    """``#2 AR-2024-0102``; ``#7`` alone when the document has neither ID nor UUID."""
    own = f"#{document.index}"
    return own if document.id == own else f"{own} {document.id}"


def _describe(issue: Issue) -> str:
    """The issue's sentence with its place in the document; never the engine's raw text."""
    text = issue.message if issue.level == "error" else f"{issue.level}: {issue.message}"
    return f"{text} at {issue.path}" if issue.path else text


def _line(issue: Issue, document: DocumentResult) -> int | None:
    return issue.line if issue.line is not None else document.line


def _where(line: int | None) -> str:
    return f" (line {line})" if line is not None else ""


def _file_line(error: Issue, source: str | None) -> str:
    """A file-level error as ``file, line N: ...`` (its message may already name the file)."""
    message = error.message
    if source and message.startswith(f"{source}, "):
        return f"file, {message[len(source) + 2:]}"
    return f"file, line {error.line}: {message}" if error.line is not None else f"file: {message}"


def _problem_lines(entries: list[tuple[DocumentResult, Issue]]) -> list[str]:
    """One line per problem in document order; a problem shared by many documents once, grouped."""
    holders: dict[str, list[tuple[DocumentResult, Issue]]] = {}
    for document, issue in entries:
        holders.setdefault(_describe(issue), []).append((document, issue))
    lines: list[str] = []
    shown: set[str] = set()
    for document, issue in entries:
        text = _describe(issue)
        group = holders[text]
        if len({d.index for d, _ in group}) < GROUP_AT:
            lines.append(f"{_label(document)}{_where(_line(issue, document))}: {text}")
        elif text not in shown:
            shown.add(text)
            places = [f"{_label(d)}{_where(_line(i, d))}" for d, i in group[:_SHOWN_IN_GROUP]]
            more = f" and {len(group) - _SHOWN_IN_GROUP} more" if len(group) > _SHOWN_IN_GROUP else ""
            count = len({d.index for d, _ in group})
            lines.append(f"{text}: in {count} documents: {', '.join(places)}{more}")
    return lines


def _message(heading: str, lines: list[str]) -> str:
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more (the exception's result holds them all)"]
    return "\n".join([heading, *(f"  {line}" for line in lines)])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _batch_failure(result: BatchResult, allow_warnings: bool,
                   expect_rejected: Collection[str]) -> BatchAssertionError | None:
    """What is wrong with a batch verdict, as the exception to raise; None when nothing is."""
    expected = set(expect_rejected)
    seen: set[str] = set()
    entries: list[tuple[DocumentResult, Issue]] = []
    extra: list[str] = []
    rejected = accepted_wrongly = warned = 0
    for document in result.results:
        names = {document.id, f"#{document.index}"} | ({document.uuid} if document.uuid else set())
        wanted = names & expected
        seen |= wanted
        if wanted and document.accepted:
            accepted_wrongly += 1
            entries.append((document, Issue("EXPECTED_REJECTION", "accepted, but expected to be rejected")))
        elif not wanted and not document.accepted:
            rejected += 1
            entries.extend((document, issue) for issue in document.errors)
        if not allow_warnings and not wanted:
            warnings = [i for i in document.issues if i.level == "warning"]
            warned += bool(warnings)
            entries.extend((document, issue) for issue in warnings)
    entries.sort(key=lambda entry: entry[0].index)  # stable: each document's issues stay in their order
    missing = sorted(expected - seen)
    extra.extend(f"{name!r}: expected to be rejected, but no document has this id, UUID or position"
                 for name in missing)
    parts = []
    if rejected:
        unexpectedly = " unexpectedly" if expected else ""
        parts.append(f"{rejected} of {_plural(result.total_count, 'document')} rejected{unexpectedly}")
    if accepted_wrongly:
        parts.append(f"{_plural(accepted_wrongly, 'document')} accepted that should be rejected")
    if missing:
        parts.append(f"{_plural(len(missing), 'expected rejection')} not in the batch")
    if warned:
        parts.append(f"{_plural(warned, 'document')} with warnings")
    if result.file_errors:
        parts.append(_plural(len(result.file_errors), "file error"))
    if not parts:
        return None
    lines = [_file_line(e, result.source) for e in result.file_errors] + _problem_lines(entries) + extra
    return BatchAssertionError(_message(_heading(parts, result), lines), result)


def _heading(parts: list[str], result: BatchResult) -> str:
    """What is wrong first (pytest's short summary keeps the start of this line), then where."""
    return f"{', '.join(parts)} in {result.source} [profile {result.profile}]"


def _document_failure(case: DocumentCase, document: DocumentResult, result: BatchResult,
                      allow_warnings: bool) -> BatchAssertionError | None:
    warnings = [] if allow_warnings else [i for i in document.issues if i.level == "warning"]
    if document.accepted and not warnings:
        return None
    state = "rejected" if not document.accepted else "accepted with warnings"
    heading = _heading([f"document {_label(document)}{_where(document.line)} {state}"], result)
    shown = [i for i in document.issues if i.level == "error" or i in warnings]
    lines = [f"line {_line(i, document)}: {_describe(i)}" if _line(i, document) is not None else _describe(i)
             for i in shown]
    return BatchAssertionError(_message(heading, lines), result)


def _file_failure(case: DocumentCase, result: BatchResult) -> BatchAssertionError:
    """The ``#file`` case: file-level errors, and the documents reading could not reach at collection."""
    beyond = result.results[case.covered:]
    parts = []
    if result.file_errors:
        parts.append(_plural(len(result.file_errors), "file error"))
    if beyond:
        broke = next((p.line for p in case.problems if p.line is not None), None)
        after = f" after line {broke}" if broke is not None else ""
        parts.append(f"{_plural(len(beyond), 'document')}{after} without a test of their own (reading broke there)")
    if not parts:  # reading broke at collection, validation found nothing: not the file that was read
        parts.append("nothing wrong when validated again: the file changed after the tests were collected")
    lines = [_file_line(e, result.source) for e in result.file_errors]
    lines += _problem_lines([(d, i) for d in beyond for i in d.errors])
    lines += [f"{_label(d)}{_where(d.line)}: accepted" for d in beyond if d.accepted]
    return BatchAssertionError(_message(_heading(parts, result), lines), result)


__all__ = [
    "FILE_CASE_ID",
    "BatchAssertionError",
    "DocumentCase",
    "Validator",
    "assert_valid_batch",
    "assert_valid_document",
    "document_result",
    "documents",
    "unique_ids",
]
