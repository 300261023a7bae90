"""Reshape batches: split one into numbered parts, merge parts back, extract single documents.

All three stream: one document in memory at a time, whatever the size of the batch.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
from lxml import etree

from .errors import BatchWriteError, LimitExceededError
from .reader import BatchReader, Document, Source
from .results import Issue
from .writer import DEFAULT_MAX_BYTES, DEFAULT_MAX_DOCUMENTS, NO_LIMITS, BatchWriter, Limits, serialise, to_element


@attrs.frozen
class LeftOut:
    """A child of the source batch that was not carried over, and why."""

    index: int
    line: int | None
    reason: str


@attrs.frozen
class ReshapeReport:
    """What a split, merge or extract produced."""

    outputs: tuple[Path, ...]
    documents: int
    left_out: tuple[LeftOut, ...] = ()
    file_errors: tuple[Issue, ...] = ()
    """File-level problems of the sources: the outputs hold what was read before them."""


def _writer(path: Path, reader: BatchReader, limits: Limits) -> BatchWriter:
    header = reader.header
    writer = BatchWriter(path, request_file_name=header.request_file_name or "",
                         file_status=header.file_status_code or "S",
                         status_description=header.file_status_description or "", validate=False, limits=limits)
    return writer.__enter__()


def split_batch(source: Source, out_dir: str | os.PathLike[str], *, max_documents: int | None = DEFAULT_MAX_DOCUMENTS,
                max_bytes: int | None = DEFAULT_MAX_BYTES, stem: str | None = None) -> ReshapeReport:
    """Stream ``source`` into ``out_dir/<stem>-part0001.xml``, ... under the limits, same header each.

    Documents are never split and keep their order; each part is a complete batch on its own.
    """
    if max_documents is not None and max_documents < 1:
        raise ValueError("max_documents must be at least 1")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    limits = Limits(max_documents, max_bytes, None)
    outputs: list[Path] = []
    left_out: list[LeftOut] = []
    count = 0
    writer: BatchWriter | None = None
    with BatchReader(source) as reader:
        base = stem or _safe_name(Path(reader.name).stem if reader.name != "<bytes>" else "")\
            or _safe_name(reader.header.request_file_name or "") or "batch"

        def next_part() -> BatchWriter:
            outputs.append(folder / f"{base}-part{len(outputs) + 1:04d}.xml")
            return _writer(outputs[-1], reader, limits)

        try:
            for document in reader:
                if not document.supported:
                    left_out.append(LeftOut(document.index, document.line, f"{document.problem}"))
                    continue
                data = serialise(to_element(document.element, owned=True))
                if writer is None or not writer.room_for(len(data)):
                    if writer is not None:
                        writer.close()  # it holds at least one document: parts open for one
                    writer = next_part()
                    if not writer.room_for(len(data)):
                        raise LimitExceededError(f"document #{document.index} ({document.display_id}) alone is "
                                                 f"{len(data)} bytes, more than max_bytes={max_bytes}")
                writer.write_serialised(data)
                count += 1
            if writer is None and reader.header.request_file_name:
                writer = next_part()  # a batch without documents splits into one part, header only
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        if writer is not None:
            writer.close()
    return _finished(outputs, count, left_out, reader.errors)


def merge_batches(sources: Sequence[Source], target: str | os.PathLike[str], *,
                  limits: Limits = NO_LIMITS, allow_duplicates: bool = False) -> ReshapeReport:
    """Join batches that share a ``RequestFileName`` (and file status) into one, in the order given.

    A ``cbc:UUID`` that would appear twice in the merged batch (the same request answered twice) raises
    ``BatchWriteError`` and nothing is written, unless ``allow_duplicates``. The UUIDs seen are kept in
    memory (one string per document) to check this.
    """
    if not sources:
        raise ValueError("merge needs at least one batch")
    seen: dict[str, str] = {}
    count = 0
    left_out: list[LeftOut] = []
    errors: list[Issue] = []
    writer: BatchWriter | None = None
    try:
        for source in sources:
            with BatchReader(source) as reader:
                header = reader.header
                if writer is None:
                    writer = _writer(Path(target), reader, limits)
                    first = header
                elif (header.request_file_name, header.file_status_code) != (
                        first.request_file_name, first.file_status_code):
                    raise BatchWriteError(
                        f"{reader.name}: RequestFileName {header.request_file_name!r} with status "
                        f"{header.file_status_code!r} does not match {first.request_file_name!r} with status "
                        f"{first.file_status_code!r}: only parts of one batch can be merged")
                for document in reader:
                    if not document.supported:
                        left_out.append(LeftOut(document.index, document.line, f"{reader.name}: {document.problem}"))
                        continue
                    if document.uuid is not None and not allow_duplicates:
                        where = f"{reader.name} #{document.index} (line {document.line})"
                        if document.uuid in seen:
                            raise BatchWriteError(
                                f"{where}: cbc:UUID {document.uuid!r} is already in the merged batch, from "
                                f"{seen[document.uuid]}: one batch answers each request once (allow duplicates "
                                "to merge anyway)")
                        seen[document.uuid] = where
                    data = serialise(to_element(document.element, owned=True))
                    if not writer.room_for(len(data)):
                        raise LimitExceededError(f"{reader.name}: document #{document.index} does not fit the limits")
                    writer.write_serialised(data)
                    count += 1
                errors.extend(reader.errors)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    assert writer is not None
    writer.close()
    return ReshapeReport((Path(target),), count, tuple(left_out), tuple(errors))


def extract_documents(source: Source, out_dir: str | os.PathLike[str], *,
                      ids: Iterable[str] | None = None) -> ReshapeReport:
    """Write each document (or those whose id, ``cbc:ID`` or ``cbc:UUID`` is in ``ids``) as its own
    standalone UBL file, declaring only the namespaces it uses."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(ids) if ids is not None else None
    outputs: list[Path] = []
    used: set[str] = set()
    found: set[str] = set()
    left_out: list[LeftOut] = []
    with BatchReader(source) as reader:
        for document in reader:
            keys = {document.display_id, document.id, document.uuid} - {None}
            if wanted is not None and not keys & wanted:
                continue
            found |= keys & (wanted or set())  # type: ignore[arg-type]
            if not document.supported:
                left_out.append(LeftOut(document.index, document.line, f"{document.problem}"))
                continue
            name = _safe_name(document.display_id) or f"document-{document.index}"
            if name in used:
                name = f"{name}-{document.index}"
            used.add(name)
            path = folder / f"{name}.xml"
            path.write_bytes(standalone(document))
            outputs.append(path)
    left_out += [LeftOut(0, None, f"no document with id {i!r}") for i in sorted((wanted or set()) - found)]
    return _finished(outputs, len(outputs), left_out, reader.errors)


def _finished(outputs: list[Path], documents: int, left_out: list[LeftOut], errors: list[Issue]) -> ReshapeReport:
    """The report; when the source could not be read to its end, the files written are removed, so
    that no partial output passes for a whole one."""
    if errors:
        for path in outputs:
            path.unlink(missing_ok=True)
        return ReshapeReport((), 0, tuple(left_out), tuple(errors))
    return ReshapeReport(tuple(outputs), documents, tuple(left_out), tuple(errors))


def standalone(document: Document) -> bytes:
    """One embedded document as a UBL file of its own, with only the declarations it uses."""
    if document.element is None:
        raise ValueError(f"document #{document.index} could not be read: {document.problem}")
    element = copy.deepcopy(document.element)
    element.tail = None
    etree.cleanup_namespaces(element)
    data: bytes = etree.tostring(element, encoding="UTF-8", xml_declaration=True)
    return data + b"\n"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:120]
