"""Batches as JSON and back, every document through the typed model, nothing lost.

The JSON form of a batch (``to_json``)::

    {"request_file_name": "InvoiceRequest_...", "file_status": {"code": "S", "description": "..."},
     "documents": [{"index": 1, "line": 8, "id": "GVR-1", "document": {...}}, ...],
     "skipped": [{"index": 3, "line": 40, "id": "#3", "error": {"code": "INVALID_XML", "message": "..."}}],
     "file_errors": [...]}

and its NDJSON form has one object per line, told apart by ``type``: one ``header``, one ``document``
per document, one ``skipped`` per child that is no ApplicationResponse (or does not parse), and a
``summary``. Each ``document`` is ``ApplicationResponse.to_dict()``: named fields for what the model
covers and, under ``_extra``, every other element as XML with its place in the UBL sequence, so the
batch built back (``from_json``) carries the same content. NDJSON streams both ways; a JSON file is
read whole when building back, so prefer NDJSON for big batches.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from .errors import SourceError
from .model import ApplicationResponse
from .reader import BatchReader, Source
from .results import BatchHeader, Issue
from .writer import NO_LIMITS, BatchWriter, Limits, Target, WriteReport

JSON_SUFFIXES = (".json", ".ndjson", ".jsonl")


@attrs.frozen
class Skipped:
    """A child of the batch that could not become a document model (unsupported or broken)."""

    index: int
    id: str
    line: int | None
    error: Issue

    def to_dict(self) -> dict[str, Any]:
        """As the ``skipped`` entries of the JSON forms carry it."""
        return {"index": self.index, "id": self.id, "line": self.line,
                "error": {"code": self.error.code, "message": self.error.message}}


@attrs.frozen
class ConvertReport:
    """What ``to_json`` wrote: how many documents, which children it skipped, the file-level errors."""

    header: BatchHeader
    converted: int
    skipped: tuple[Skipped, ...]
    file_errors: tuple[Issue, ...]

    @property
    def complete(self) -> bool:
        """Every child became a document and the file had no error."""
        return not self.skipped and not self.file_errors

    def to_dict(self) -> dict[str, Any]:
        """The ``summary`` of the NDJSON form and the tail of the JSON form."""
        return {"converted": self.converted, "skipped": [s.to_dict() for s in self.skipped],
                "file_errors": [e.to_dict() for e in self.file_errors]}


def header_dict(header: BatchHeader) -> dict[str, Any]:
    """The header fields a batch needs to be written again."""
    return {"request_file_name": header.request_file_name,
            "file_status": {"code": header.file_status_code, "description": header.file_status_description}}


class JsonConversion:
    """A batch read as a stream of JSON-ready entries: iterate, then ``report()``.

    Entries are ``{"index", "line", "id", "document"}`` for documents and ``Skipped`` for the
    rest, in source order; only the skipped ones are kept, so memory stays flat.
    """

    def __init__(self, source: Source, *, name: str | None = None) -> None:
        self._reader = BatchReader(source, name=name)
        self._converted = 0
        self._skipped: list[Skipped] = []

    def __enter__(self) -> JsonConversion:
        self._reader.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._reader.close()

    @property
    def header(self) -> BatchHeader:
        """The batch header, ready on entering."""
        return self._reader.header

    @property
    def bytes_read(self) -> int:
        """How far into the source reading has got (for progress reports)."""
        return self._reader.bytes_read

    def __iter__(self) -> Iterator[dict[str, Any] | Skipped]:
        for document in self._reader:
            issue = document.unsupported()
            if issue is None:
                self._converted += 1
                yield {"index": document.index, "line": document.line, "id": document.display_id,
                       "document": document.model().to_dict()}
            else:
                skipped = Skipped(document.index, document.display_id, document.line, issue)
                self._skipped.append(skipped)
                yield skipped

    def report(self) -> ConvertReport:
        """What was converted and skipped; complete once iteration ends."""
        return ConvertReport(self._reader.header, self._converted, tuple(self._skipped), tuple(self._reader.errors))


def to_json(source: Source, out: IO[str], *, ndjson: bool = False, name: str | None = None) -> ConvertReport:
    """Write a response batch as JSON (one object) or NDJSON (one object per line) to ``out``.

    Documents are written as they are read, so memory stays flat on any size of batch.
    """
    with JsonConversion(source, name=name) as conversion:
        head = header_dict(conversion.header)
        if ndjson:
            _line(out, {"type": "header", **head})
        else:
            out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "documents": [')
        written = 0
        for entry in conversion:
            if isinstance(entry, Skipped):
                if ndjson:
                    _line(out, {"type": "skipped", **entry.to_dict()})
                continue
            if ndjson:
                _line(out, {"type": "document", **entry})
            else:
                out.write(("," if written else "") + "\n  " + json.dumps(entry, ensure_ascii=False))
            written += 1
        report = conversion.report()
    if ndjson:
        _line(out, {"type": "summary", **report.to_dict()})
    else:
        tail = json.dumps({"skipped": [s.to_dict() for s in report.skipped],
                           "file_errors": [e.to_dict() for e in report.file_errors]}, ensure_ascii=False)
        out.write(("\n]" if written else "]") + ", " + tail[1:] + "\n")
    return report


def read_json(path: str | os.PathLike[str] | IO[str], *, ndjson: bool | None = None,
              ) -> tuple[dict[str, Any], Iterator[ApplicationResponse]]:
    """The header fields and the documents of a batch in JSON or NDJSON (by default told by the suffix).

    The documents may be ``to_json`` entries (``{"document": {...}}``) or bare model dicts, which
    is what ``ublbatch build`` has always taken. NDJSON is read line by line as documents are used.
    ``path`` may also be an open text stream (standard input): NDJSON unless ``ndjson=False``.
    """
    stream = None if isinstance(path, (str, os.PathLike)) else path
    if stream is not None:
        path = Path(getattr(stream, "name", None) or "<stream>")
        if path.name == "<stdin>" or str(path) in ("0", "-"):
            path = Path("<stdin>")
    path = Path(path)  # type: ignore[arg-type]  # a path by now
    if ndjson is None:
        ndjson = stream is not None or path.suffix.lower() != ".json"
    if not ndjson:
        try:
            data = json.loads(stream.read() if stream is not None else path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{path}: cannot read the JSON: {exc}") from exc
        if isinstance(data, list):
            return {}, _documents(path, ((f"document {n}", d) for n, d in enumerate(data, 1)))
        if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
            raise SourceError(f"{path}: expected a list of documents or an object with a 'documents' list")
        return data, _documents(path, ((f"document {n}", d) for n, d in enumerate(data["documents"], 1)))
    if stream is not None:
        handle: IO[str] = stream
    else:
        try:
            handle = path.open(encoding="utf-8-sig")
        except OSError as exc:
            raise SourceError(f"{path}: cannot read: {exc}") from exc
    lines = _ndjson_lines(path, handle)
    first = next(lines, None)
    if first is not None and first[1].get("type") == "header":
        return first[1], _documents(path, lines)
    return {}, _documents(path, iter(() if first is None else [first]), lines)


def _ndjson_lines(path: Path, handle: IO[str]) -> Iterator[tuple[str, Any]]:
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield f"line {number}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise SourceError(f"{path}, line {number}: not JSON: {exc.msg}") from exc


def _documents(path: Path, *sources: Iterable[tuple[str, Any]]) -> Iterator[ApplicationResponse]:
    for source in sources:
        for where, item in source:
            if not isinstance(item, dict):
                raise SourceError(f"{path}, {where}: expected a JSON object")
            kind = item.get("type")
            if kind in ("skipped", "summary"):
                continue
            body = item.get("document") if kind == "document" or "document" in item else item
            if not isinstance(body, dict):
                raise SourceError(f"{path}, {where}: a document entry without its 'document' object")
            try:
                yield ApplicationResponse.from_dict(body)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise SourceError(f"{path}, {where}: not an ApplicationResponse: {exc}") from exc


def from_json(source: str | os.PathLike[str] | IO[str], target: Target, *, ndjson: bool | None = None,
              request_file_name: str | None = None,
              file_status: str | None = None, status_description: str | None = None, validate: bool = True,
              on_invalid: str = "raise", profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
              pretty: bool = False, limits: Limits = NO_LIMITS) -> WriteReport:
    """Build the XML batch from its JSON or NDJSON form (``to_json``'s output or bare model dicts).

    ``ndjson``: None tells the form from the suffix (``.json`` is JSON, anything else NDJSON).
    The header comes from the JSON unless given here. Documents are validated before they are
    written, as ``BatchWriter`` does; the batch is written atomically. No size limits by default:
    the batch is rebuilt as it was (``split_batch`` fits it to Google's limits).
    """
    head, documents = read_json(source, ndjson=ndjson)
    found = head.get("file_status")
    status: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = request_file_name or head.get("request_file_name")
    if not name:
        raise SourceError(f"{source}: the JSON names no request_file_name; give one")
    writer = BatchWriter(target, request_file_name=name, file_status=file_status or status.get("code") or "S",
                         status_description=status_description if status_description is not None
                         else status.get("description") or "",
                         validate=validate, on_invalid=on_invalid, profile=profile, schema_dir=schema_dir,
                         pretty=pretty, limits=limits)
    with writer:
        writer.write_all(documents)
    return writer.report


def _line(out: IO[str], payload: Mapping[str, Any]) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")


__all__ = ["JSON_SUFFIXES", "ConvertReport", "JsonConversion", "Skipped", "from_json", "header_dict", "read_json",
           "to_json"]
