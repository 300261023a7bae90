"""Reports: validation verdicts and delivery status written as text, JSON, NDJSON or CSV as they come.

The command line only calls these, so a Python user of ``validate_stream`` or ``StatusScan`` gets
the very same output. Every format keeps memory flat: NDJSON and CSV write each item at once;
JSON, whose counts come first, and text, whose summary line comes first, spool the items to a
temporary file and copy them after.

One report object can take several files, one after the other (``several=True``): JSON becomes an
array with one object per file, NDJSON the lines of each file in turn (every line naming its
source where the shape has no header line), CSV one header row and a leading ``source`` column,
text each file's report then a total line; ``finish`` closes the whole.
"""

from __future__ import annotations

import io
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

    def __init__(self, out: IO[str], fmt: str, *, paint: Painter = plain, max_errors: int | None = None,
                 summary: bool = False, several: bool = False) -> None:
        """``max_errors``: the text report lists at most this many rejected documents (and says how many
        more there were); ``summary``: it lists none, only the summary lines. Either way only the listed
        ones are spooled. ``several``: more than one file will be reported (see the module's note)."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
        if (max_errors is not None or summary) and fmt != "text":
            raise ValueError("max_errors and summary shape the text report only")
        if max_errors is not None and max_errors < 0:
            raise ValueError("max_errors must be 0 or more")
        self._out = out
        self.format = fmt
        self._paint = paint
        self._limit = 0 if summary else max_errors
        self._several = several
        self._spool: IO[str] | None = None
        self._rows: CsvWriter | None = None
        self._common: Counter[str] = Counter()
        self._listed = 0
        self._source = ""
        self.files = 0
        self.totals: Counter[str] = Counter()
        """Over every file so far: ``documents``, ``accepted``, ``rejected``, ``files_with_errors``."""

    @property
    def live(self) -> bool:
        """True when each result is written as it comes (NDJSON, CSV)."""
        return self.format in ("ndjson", "csv")

    @property
    def shows_response(self) -> bool:
        """True when the results' ``response`` is written (JSON, NDJSON); text and CSV leave it out."""
        return self.format in ("json", "ndjson")

    def begin(self, validation: BatchValidation) -> None:
        """What comes before the results: the NDJSON header line, the CSV header row."""
        self.files += 1
        self._source = validation.source_name
        self._common.clear()
        self._listed = 0
        if self.format == "ndjson":
            json_line(self._out, {"type": "header", **validation.header_dict()})
        elif self.format == "csv":
            if self._rows is None:
                self._rows = CsvWriter(self._out, ("source", *RESULT_COLUMNS) if self._several else RESULT_COLUMNS)
        else:
            if self.format == "json" and self._several:
                self._out.write("[\n" if self.files == 1 else ",\n")
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115  # closed by end()

    def add(self, result: DocumentResult) -> None:
        """One result."""
        if self.format == "ndjson":
            self._out.write('{"type": "result", ' + result.to_json()[1:] + "\n")
        elif self._rows is not None:
            row = result_row(result)
            self._rows.write((self._source, *row) if self._several else row)
        elif self._spool is not None and (self.format == "json" or not result.accepted):
            error = result.error
            if self.format == "text" and error is not None and (
                    error.message in self._common or len(self._common) < _COMMON_MESSAGES):
                self._common[error.message] += 1
            if self.format == "text" and self._limit is not None and self._listed >= self._limit:
                return  # counted above and in the validation, not listed
            self._listed += 1
            self._spool.write(result.to_json() + "\n")

    def end(self, validation: BatchValidation) -> None:
        """The summary, and for JSON and text the spooled results."""
        valid = not validation.file_errors and not validation.rejected_count
        self.totals.update(documents=validation.total_count, accepted=validation.accepted_count,
                           rejected=validation.rejected_count, files_with_errors=int(bool(validation.file_errors)))
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
                json_with_list(self._out, body, "results", self._spool, end="" if self._several else "\n")
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
        more = rejected - self._listed
        if more > 0:
            option = "--summary" if self._limit == 0 else f"--max-errors {self._limit}"
            note = (plural(more, "rejected document") if self._limit == 0
                    else f"... and {plural(more, 'more rejected document')}")
            out.write(f"  {paint(note, 'yellow')} not listed ({option})\n")
        if validation.file_errors:
            out.write(f"  {paint(f'{len(validation.file_errors)} file-level error(s)', 'bold red')}, on stderr\n")


    def finish(self) -> None:
        """After the last file: with ``several``, the closing bracket of the JSON array, or the text
        report's total line."""
        if not self._several:
            return
        if self.format == "json" and self.files:
            self._out.write("\n]\n")
        elif self.format == "text":
            self._out.write(totals_line(self._paint, self.files, self.totals, (
                ("accepted", "green"), ("rejected", "bold red" if self.totals["rejected"] else "green"))))


def totals_line(paint: Painter, files: int, totals: Counter[str], parts: tuple[tuple[str, str], ...]) -> str:
    """``total: 3 files, 12 documents: 10 accepted, 2 rejected; 1 file with file-level errors``."""
    counts = ", ".join(paint(f"{totals[name]} {name}", style) for name, style in parts)
    broken = totals["files_with_errors"]
    tail = f"; {plural(broken, 'file')} with file-level errors" if broken else ""
    return (f"{paint('total', 'bold')}: {plural(files, 'file')}, {plural(totals['documents'], 'document')}: "
            f"{counts}{tail}\n")


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
                 event: bool = False, organization_id: str | None = None, several: bool = False) -> None:
        """``several``: more than one file will be reported, each opened with ``begin`` (see the module's note)."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
        self._out = out
        self.format = fmt
        self._paint = paint
        self._failed_only = failed_only
        self._event = event
        self._organization_id = organization_id
        self._several = several
        self._source = ""
        self.files = 0
        self.totals: Counter[str] = Counter()
        """Over every file so far: ``documents``, ``delivered``, ``pending``, ``failed``, ``files_with_errors``."""
        self._rows = (CsvWriter(out, ("source", *STATUS_COLUMNS) if several else STATUS_COLUMNS)
                      if fmt == "csv" else None)
        self._spool: IO[str] | None = None

    def begin(self, source: str) -> None:
        """Before the documents of the file ``source`` (needed with ``several``; harmless without)."""
        self.files += 1
        self._source = source
        if self.format == "json":
            if self._several:
                self._out.write("[\n" if self.files == 1 else ",\n")
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115  # closed by end()

    @property
    def live(self) -> bool:
        """True when lines reach ``out`` as documents come (all but JSON)."""
        return self.format != "json"

    def add(self, document: DocumentStatus) -> None:
        """One document's status."""
        failed = document.queue is not None
        if self.format == "ndjson":
            if failed or not self._failed_only:
                json_line(self._out, {"type": "document", **document.to_dict(), **self._named()})
        elif self._rows is not None:
            if failed or not self._failed_only:
                row = status_row(document)
                self._rows.write((self._source, *row) if self._several else row)
        elif not failed:
            return
        elif self.format == "json":
            if self._spool is None:  # begin() was not called: one file
                self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115  # closed by end()
            self._spool.write(json.dumps(failed_item(document.id, document.response).to_dict(),
                                         ensure_ascii=False) + "\n")
        else:
            item = failed_item(document.id, document.response)
            queue = self._paint(f"[{document.queue}]", "yellow" if item.queue == "retry" else "red")
            self._out.write(f"  {item.id}: {item.code} {item.message} -> {item.action} {queue}\n")

    def end(self, status: DeliveryStatus, source: str) -> None:
        """The summary (JSON: the whole answer with the spooled failed items)."""
        out, paint = self._out, self._paint
        self.totals.update(documents=status.delivered_count + status.pending_count + status.failed_count,
                           delivered=status.delivered_count, pending=status.pending_count,
                           failed=status.failed_count, files_with_errors=int(bool(status.file_errors)))
        try:
            if self.format == "json":
                spool = self._spool or io.StringIO()
                spool.seek(0)
                body = status.to_event(organization_id=self._organization_id) if self._event else status.to_dict()
                if self._several:
                    (body["data"] if self._event else body)["source"] = source
                json_with_list(out, body, "failed_items", spool, end="" if self._several else "\n")
            elif self.format == "ndjson":
                summary = status.to_dict()
                del summary["failed_items"]
                json_line(out, {"type": "summary", **summary, **self._named()})
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

    def _named(self) -> dict[str, str]:
        return {"source": self._source} if self._several else {}

    def finish(self) -> None:
        """After the last file: with ``several``, the closing bracket of the JSON array, or the text total."""
        if not self._several:
            return
        if self.format == "json" and self.files:
            self._out.write("\n]\n")
        elif self.format == "text":
            self._out.write(totals_line(self._paint, self.files, self.totals, (
                ("delivered", "green"), ("pending", "yellow"), ("failed", "bold red"))))
