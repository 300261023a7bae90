"""Byte ranges of a batch file for an engine that distributes the work (``ublbatch.dask``, your own).

``plan_chunks`` cuts a file where documents start (one forward scan, see ``engine``) and gives
small, serialisable ``Chunk`` values; ``validate_chunk`` validates one anywhere (a process, a
machine with the same file), recovering past documents that are not well-formed exactly as a
one-process run does; ``merge_chunks`` puts the parts of one file back in order as one
``BatchResult``. ``validate_stream(path, jobs=N)`` does all of it in local worker processes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from .engine import LINES_PER_RANGE, MAX_DOCUMENT_BYTES, RANGE_BYTES, Context, Range, Reading, cut, whole_file_errors
from .profiles import file_rules
from .results import BatchHeader, BatchResult, DocumentResult, Issue
from .schemas import document_schema, schema_info
from .validate import RangeOutcome, renumbered, validate_range

CHUNK_TARGET = RANGE_BYTES
"""Bytes per range unless asked otherwise."""

__all__ = ["CHUNK_TARGET", "LINES_PER_RANGE", "Chunk", "ChunkResult", "merge_chunks", "plan_chunks", "validate_chunk"]


@attrs.frozen
class Chunk:
    """One byte range of a batch file, serialisable, with what is needed to read it alone."""

    source: str
    index: int
    start: int
    end: int
    line: int
    """Line of the file at ``start``."""
    context: Context = attrs.field(repr=False)
    cuts: tuple[int, ...] | None = attrs.field(repr=False)
    """Candidate document starts, relative to ``start``; None when the range was cut without a scan."""
    last: bool = False
    oversized: bool = False
    """A child over the size limit: only its first bytes are read."""
    size: int = 0

    @property
    def first(self) -> bool:
        """True for the range that starts the file (it holds the header)."""
        return self.index == 0

    @property
    def kind(self) -> str:
        """``response`` or ``request``."""
        return self.context.kind


@attrs.frozen
class ChunkResult:
    """What one range gave: its documents (numbered from 1 within the range) and file errors."""

    chunk: Chunk
    results: tuple[DocumentResult, ...]
    file_errors: tuple[Issue, ...]
    header: BatchHeader


def plan_chunks(source: str | os.PathLike[str], n: int = 1, *, chunk_bytes: int | None = None,
                max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> list[Chunk]:
    """Cut a batch file into ranges of about ``size / n`` bytes (or ``chunk_bytes``) at document starts.

    More ranges where one would pass ``engine.LINES_PER_RANGE`` lines; [] for a file that cannot be
    cut (another encoding, a DOCTYPE, not a batch), which must be validated in one pass.
    """
    path = Path(source)
    size = path.stat().st_size
    target = chunk_bytes or max(1, -(-size // max(n, 1)))
    with path.open("rb") as handle:
        reading = Reading(handle, str(path), max_document_bytes=max_document_bytes)
        if reading.prolog is None:
            return []
        context = Context(str(path), reading.kind, reading.prolog, max_document_bytes)
        return [Chunk(str(path), part.index, part.start, part.end, part.line, context, part.cuts, part.last,
                      part.oversized, part.size)
                for part in cut(handle, reading.prolog, reading.head, range_bytes=target,
                                max_document_bytes=max_document_bytes, first_range_bytes=target)]


def validate_chunk(chunk: Chunk, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                   explain: bool = False) -> ChunkResult:
    """Validate one range as if it stood alone in its batch; lines are those of the file."""
    with open(chunk.source, "rb") as handle:
        handle.seek(chunk.start)
        data = handle.read(min(chunk.end - chunk.start, 64 * 1024) if chunk.oversized else chunk.end - chunk.start)
    part = Range(chunk.index, chunk.start, chunk.line, data, chunk.cuts, chunk.last, chunk.oversized, chunk.size)
    outcome: RangeOutcome = validate_range(chunk.context, part, profile=profile,
                                           schema_dir=None if schema_dir is None else str(schema_dir),
                                           explain=explain)
    return ChunkResult(chunk, outcome.results, outcome.errors, outcome.header)


def merge_chunks(parts: Sequence[ChunkResult], *, profile: str = "strict",
                 schema_dir: str | os.PathLike[str] | None = None) -> BatchResult | None:
    """One ``BatchResult`` from all the ranges of one file, in order; None when ``parts`` is empty."""
    if not parts:
        return None
    ordered = sorted(parts, key=lambda p: p.chunk.index)
    results: list[DocumentResult] = []
    errors: list[Issue] = []
    for part in ordered:
        results.extend(renumbered(r, len(results) + 1) for r in part.results)
        errors.extend(part.file_errors)
    first = ordered[0]
    header, kind = first.header, first.chunk.kind
    name = first.chunk.context.name
    errors.extend(whole_file_errors(kind, header, len(results), name, errors))
    if kind == "response":
        errors.extend(file_rules(profile, header.file_status_code, len(results), header.line))
    files = document_schema("ApplicationResponse" if kind == "response" else "Invoice", profile, schema_dir).files
    return BatchResult(header, tuple(results), tuple(errors), profile, schema_info(files), name)
