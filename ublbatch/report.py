"""Reports: validation verdicts and delivery status written as text, JSON, NDJSON or CSV as they come.

The command line only calls these, so a Python user of ``validate_stream`` or ``StatusScan`` gets
the very same output. Every format keeps memory flat: NDJSON and CSV write each item at once;
JSON, whose counts come first, and text, whose summary line comes first, spool the items to a
temporary file and copy them after.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable
from typing import IO, Any

from .results import BatchResult, DeliveryStatus, DocumentResult, DocumentStatus, Issue, failed_item
from .tables import RESULT_COLUMNS, STATUS_COLUMNS, CsvWriter, result_row, status_row
from .validate import BatchValidation

FORMATS = ("text", "json", "ndjson", "csv")

Painter = Callable[[str, str], str]
"""Colours a text (``paint(text, style)``); ``plain`` leaves it as it is."""


def plain(text: str, style: str) -> str:
    """No colour."""
    return text


def plural(count: int, word: str) -> str:
    """``1 document``, ``2 documents``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def json_line(out: IO[str], payload: dict[str, Any]) -> None:
    """One NDJSON line."""
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")


def json_with_list(out: IO[str], body: dict[str, Any], key: str, lines: IO[str], end: str = "\n") -> None:
    """``body`` as indented JSON whose (empty) list ``key``, at any depth, is filled from JSON lines, one
    at a time. JSON escapes every quote inside a string, so ``"key": []`` can only be the key itself."""
    text = json.dumps(body, indent=2, ensure_ascii=False)
    marker = f'"{key}": []'
    at = text.index(marker)
    indent = at - text.rindex("\n", 0, at) - 1
    out.write(text[:at] + f'"{key}": [')
    count = 0
    for line in lines:
        out.write(("," if count else "") + "\n" + " " * (indent + 2) + line.strip())
        count += 1
    out.write(("\n" + " " * indent + "]" if count else "]") + text[at + len(marker):] + end)


_COMMON_MESSAGES = 10_000
"""The text report counts this many distinct first messages at most (memory stays bounded)."""


class ValidationReport:
    """Writes the results of a ``BatchValidation`` in one of ``FORMATS``: ``begin``, ``add`` each
    result as it comes, then ``end``. ``live`` tells whether results reach ``out`` as they come."""

    def __init__(self, out: IO[str], fmt: str, *, paint: Painter = plain) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
        self._out = out
        self.format = fmt
        self._paint = paint
        self._spool: IO[str] | None = None
        self._rows: CsvWriter | None = None
        self._common: Counter[str] = Counter()

    @property
    def live(self) -> bool:
        """True when each result is written as it comes (NDJSON, CSV)."""
        return self.format in ("ndjson", "csv")

    def begin(self, validation: BatchValidation) -> None:
        """What comes before the results: the NDJSON header line, the CSV header row."""
        if self.format == "ndjson":
            json_line(self._out, {"type": "header", **validation.header_dict()})
        elif self.format == "csv":
            self._rows = CsvWriter(self._out, RESULT_COLUMNS)
        else:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115  # closed by end()

    def add(self, result: DocumentResult) -> None:
        """One result."""
        if self.format == "ndjson":
            self._out.write('{"type": "result", ' + result.to_json()[1:] + "\n")
        elif self._rows is not None:
            self._rows.write(result_row(result))
        elif self._spool is not None and (self.format == "json" or not result.accepted):
            self._spool.write(result.to_json() + "\n")
            error = result.error
            if self.format == "text" and error is not None and (
                    error.message in self._common or len(self._common) < _COMMON_MESSAGES):
                self._common[error.message] += 1

    def end(self, validation: BatchValidation) -> None:
        """The summary, and for JSON and text the spooled results."""
        valid = not validation.file_errors and not validation.rejected_count
        try:
            if self.format == "ndjson":
                json_line(self._out, {"type": "summary", "batch_id": validation.header.request_file_name,
                                      "total_count": validation.total_count,
                                      "accepted_count": validation.accepted_count,
                                      "rejected_count": validation.rejected_count,
                                      "file_errors": [e.to_dict() for e in validation.file_errors], "valid": valid})
            elif self.format == "json" and self._spool is not None:
                body = BatchResult(validation.header, (), tuple(validation.file_errors), validation.profile,
                                   validation.schema_info(), validation.source_name).to_dict()
                body.update(total_count=validation.total_count, accepted_count=validation.accepted_count,
                            rejected_count=validation.rejected_count, valid=valid)
                self._spool.seek(0)
                json_with_list(self._out, body, "results", self._spool)
            elif self.format == "text" and self._spool is not None:
                self._text(validation)
        finally:
            if self._spool is not None:
                self._spool.close()
                self._spool = None

    def _text(self, validation: BatchValidation) -> None:
        assert self._spool is not None
        out, paint = self._out, self._paint
        header = validation.header
        accepted, rejected = validation.accepted_count, validation.rejected_count
        about = (f"request batch, documentCount {header.document_count}" if header.kind == "request"
                 else f"file status {header.file_status_code or '?'}")
        verdict = (paint(f"{accepted} accepted", "green") + ", "
                   + paint(f"{rejected} rejected", "bold red" if rejected else "green"))
        out.write(f"{paint(str(validation.source_name), 'bold')}: {header.request_file_name or '(no batch id)'} "
                  f"({about}), {plural(accepted + rejected, 'document')}: {verdict} [{validation.profile}]\n")
        for message, count in self._common.most_common(5):
            if count > 1:
                out.write(f"  {paint(f'{count} documents:', 'yellow')} {message}\n")
        self._spool.seek(0)
        for line in self._spool:
            document_lines(out, paint, DocumentResult.from_dict(json.loads(line)))
        if validation.file_errors:
            out.write(f"  {paint(f'{len(validation.file_errors)} file-level error(s)', 'bold red')}, on stderr\n")


def document_lines(out: IO[str], paint: Painter, result: DocumentResult) -> None:
    """A rejected document in the text report: its first error, then the others, then --explain's notes."""
    errors = result.errors
    first = errors[0] if errors else None
    out.write(f"  {paint(f'rejected #{result.index} {result.id}', 'red')} (line {result.line}): "
              f"{first.message if first else 'rejected'}{paint(_where(first), 'dim')}\n")
    for issue in errors[1:]:
        out.write(f"      line {issue.line}: {issue.message}{paint(_where(issue), 'dim')}\n")
    for issue in result.issues:  # --explain: where xmlschema disagrees with the verdict, it says why
        if issue.level == "warning" and issue.engine == "xmlschema":
            out.write(f"      line {issue.line}: note: {issue.message}{paint(_where(issue), 'dim')}\n")


def _where(issue: Issue | None) -> str:
    return f" at {issue.path}" if issue is not None and issue.path else ""


_STATUS_STYLE = {"completed": "green", "processing": "yellow", "failed": "bold red"}


class StatusReport:
    """Writes a delivery status scan in one of ``FORMATS`` (``failed_only``: only the failed documents
    in NDJSON and CSV; text and JSON list only the failed ones anyway)."""

    def __init__(self, out: IO[str], fmt: str, *, paint: Painter = plain, failed_only: bool = False,
                 event: bool = False, organization_id: str | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
        self._out = out
        self.format = fmt
        self._paint = paint
        self._failed_only = failed_only
        self._event = event
        self._organization_id = organization_id
        self._rows = CsvWriter(out, STATUS_COLUMNS) if fmt == "csv" else None
        self._spool: IO[str] | None = (tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
                                       if fmt == "json" else None)

    @property
    def live(self) -> bool:
        """True when lines reach ``out`` as documents come (all but JSON)."""
        return self.format != "json"

    def add(self, document: DocumentStatus) -> None:
        """One document's status."""
        failed = document.queue is not None
        if self.format == "ndjson":
            if failed or not self._failed_only:
                json_line(self._out, {"type": "document", **document.to_dict()})
        elif self._rows is not None:
            if failed or not self._failed_only:
                self._rows.write(status_row(document))
        elif not failed:
            return
        elif self._spool is not None:
            self._spool.write(json.dumps(failed_item(document.id, document.response).to_dict(),
                                         ensure_ascii=False) + "\n")
        else:
            item = failed_item(document.id, document.response)
            queue = self._paint(f"[{document.queue}]", "yellow" if item.queue == "retry" else "red")
            self._out.write(f"  {item.id}: {item.code} {item.message} -> {item.action} {queue}\n")

    def end(self, status: DeliveryStatus, source: str) -> None:
        """The summary (JSON: the whole answer with the spooled failed items)."""
        out, paint = self._out, self._paint
        try:
            if self._spool is not None:
                self._spool.seek(0)
                body = status.to_event(organization_id=self._organization_id) if self._event else status.to_dict()
                json_with_list(out, body, "failed_items", self._spool)
            elif self.format == "ndjson":
                summary = status.to_dict()
                del summary["failed_items"]
                json_line(out, {"type": "summary", **summary})
            elif self.format == "text":
                out.write(f"{paint(source, 'bold')}: {status.batch_id or '(no RequestFileName)'} "
                          f"{paint(status.status, _STATUS_STYLE[status.status])}: "
                          f"{status.delivered_count} delivered, {status.pending_count} pending, "
                          f"{status.failed_count} failed\n")
                if status.file_errors:
                    out.write(f"  {paint(f'{len(status.file_errors)} file-level error(s)', 'bold red')}, "
                              "on stderr\n")
        finally:
            if self._spool is not None:
                self._spool.close()
                self._spool = None
