"""Byte ranges of a batch at document boundaries: parallel validation and any-engine scale-out.

A batch is cut only where a document's start tag stands at the root level. Candidates are found
by a text search for the document start tags the root declares (``<ar:ApplicationResponse``), and
each cut is then *proven by the parser*: every range is parsed on its own, re-opened inside the
root's original start tag, and a cut inside a comment, CDATA section or processing instruction
leaves a range that is not well-formed. If any range fails, the whole file is validated in one
pass instead, so the results are always those of the one-process run.

``plan_chunks`` and ``validate_chunk`` are the public pieces for an engine that distributes the
work (see ``ublbatch.dask``); ``validate_parallel`` runs them in local worker processes.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, cast

import attrs
from lxml import etree

from .codes import ErrorCode
from .names import AR, BATCH_ROOT, CN, INV, REQUEST_BATCH_ROOT
from .profiles import file_rules
from .reader import MAX_DOCUMENT_BYTES, BatchReader, RequestBatchReader, batch_kind, count_mismatch
from .results import REJECTED, BatchHeader, BatchResult, DocumentResult, Issue
from .schemas import document_schema, schema_info

CHUNK_TARGET = 2 * 1024 * 1024
"""Bytes per range. Small enough that a range stays under 65,535 lines (past which libxml2 keeps
no exact line per element) and that a worker's results stay small."""

_ROOTS = {"response": BATCH_ROOT, "request": REQUEST_BATCH_ROOT}
_DOCUMENTS = {"response": ((AR, "ApplicationResponse"),), "request": ((INV, "Invoice"), (CN, "CreditNote"))}


@attrs.frozen
class Chunk:
    """One byte range of a batch file, serialisable, with what is needed to parse it alone."""

    source: str
    index: int
    start: int
    end: int
    line: int
    """Line of the file at ``start``: results are shifted by it."""
    wrapper: bytes
    """The root's start tag (declarations and all), on one line."""
    kind: str
    header: BatchHeader
    """The header as read from the first range; later ranges take it as known."""

    @property
    def first(self) -> bool:
        return self.index == 0


@attrs.frozen
class ChunkResult:
    """What one range gave: its documents (numbered from 1 within the range) and file errors."""

    chunk: Chunk
    results: tuple[DocumentResult, ...]
    file_errors: tuple[Issue, ...]
    header: BatchHeader
    recovered: bool = False
    """Taken apart document by document (``recover_chunk``)."""

    @property
    def sound(self) -> bool:
        """False when the range did not parse: the cut (or the file) is not what it seemed."""
        unreadable = (ErrorCode.INVALID_XML.value, ErrorCode.UNREADABLE.value, ErrorCode.DOCUMENT_TOO_LARGE.value)
        return self.recovered or not any(e.code in unreadable for e in self.file_errors)


def plan_chunks(source: str | os.PathLike[str], n: int) -> list[Chunk]:
    """Cut a batch file into at most ``n`` ranges at document boundaries, or [] when it cannot be cut.

    It reads the prolog, the header, the end of the file and a little at each cut, then counts
    lines in one sequential pass; nothing of the file stays in memory.
    """
    path = Path(source)
    kind = batch_kind(path)
    if kind is None or n < 1:
        return []
    header = _header(path, kind)
    if header is None:
        return []
    root = _ROOTS[kind].encode()
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        span = _root_start(handle.read(_BLOCK), root)
        body_end = _root_end(handle, size, root)
        if span is None or body_end is None or body_end <= span[0]:
            return []
        body_start, wrapper = span
        patterns = _patterns(wrapper, kind)
        if not patterns:
            return []
        cuts = [body_start]
        for k in range(1, n):
            target = max(body_start + (body_end - body_start) * k // n, cuts[-1] + 1)
            found = _next_candidate(handle, patterns, target, body_end)
            if found is not None and found > cuts[-1]:
                cuts.append(found)
        cuts.append(body_end)
        lines = _lines_at(handle, cuts)
    chunks = [Chunk(str(path), i, cuts[i], cuts[i + 1], lines[i], wrapper, kind, header)
              for i in range(len(cuts) - 1)]
    return chunks


def validate_chunk(chunk: Chunk, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                   explain: bool = False, max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> ChunkResult:
    """Validate one range as if it stood alone in its batch; lines are those of the file."""
    from .validate import BatchValidation  # validate imports this module

    stream = cast(IO[bytes], _RangeStream(chunk))
    continuation = None if chunk.first else chunk.header
    with BatchValidation(stream, profile=profile, schema_dir=schema_dir, explain=explain, name=chunk.source,
                         keep=True, kind=chunk.kind, continuation=continuation, line_offset=chunk.line - 1,
                         partial=True, max_document_bytes=max_document_bytes) as validation:
        for _ in validation:
            pass
    header = validation.header if chunk.first else chunk.header
    return ChunkResult(chunk, tuple(validation.results), tuple(validation.file_errors), header)


def merge_chunks(parts: Sequence[ChunkResult], *, profile: str = "strict",
                 schema_dir: str | os.PathLike[str] | None = None) -> BatchResult | None:
    """One ``BatchResult`` from the ranges of one file, in order; None if a range did not parse."""
    if not parts or not all(p.sound for p in parts):
        return None
    results: list[DocumentResult] = []
    errors: list[Issue] = []
    for part in sorted(parts, key=lambda p: p.chunk.index):
        results.extend(placed(part, len(results)))
        errors.extend(part.file_errors)
    first = parts[0]
    header = first.header
    errors.extend(whole_file_errors(first.chunk.kind, profile, header, len(results), first.chunk.source))
    kind_of_document = "ApplicationResponse" if first.chunk.kind == "response" else "Invoice"
    files = document_schema(kind_of_document, profile, schema_dir).files
    return BatchResult(header, tuple(results), tuple(errors), profile, schema_info(files), first.chunk.source)


Job = tuple[Chunk, str, "str | None", bool, "int | None"]


def _validate_chunk_job(job: Job) -> ChunkResult:
    chunk, profile, schema_dir, explain, cap = job
    part = validate_chunk(chunk, profile=profile, schema_dir=schema_dir, explain=explain, max_document_bytes=cap)
    if not part.sound:  # a document breaks the XML: take the range apart, document by document
        part = recover_chunk(chunk, profile=profile, schema_dir=schema_dir, explain=explain, max_document_bytes=cap)
    return part


class ChunkedValidation:
    """Validation of a batch file range by range, in this process or in ``jobs`` worker processes.

    It has the interface of ``BatchValidation`` (``header``, iteration, ``file_errors``, counts,
    ``result()``). Results come in source order with their indices and lines in the file. When a
    range does not parse, it finishes with the one-pass reader, so the results are the same.
    """

    def __init__(self, source: str | os.PathLike[str], chunks: list[Chunk], *, jobs: int = 1,
                 profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                 explain: bool = False, keep: bool = False,
                 max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> None:
        self.source = str(source)
        self._cap = max_document_bytes
        self.profile = profile
        self._chunks = chunks
        self._jobs = jobs
        self._schema_dir = schema_dir
        self._explain = explain
        self._keep = keep
        self.kind = chunks[0].kind
        self.header = chunks[0].header
        self.results: list[DocumentResult] = []
        self.file_errors: list[Issue] = []
        self.accepted_count = 0
        self.rejected_count = 0
        documents = ("ApplicationResponse",) if self.kind == "response" else ("Invoice", "CreditNote")
        compiled = [document_schema(d, profile, schema_dir) for d in documents]  # before any worker forks
        self.schema = compiled[0]

    def __enter__(self) -> ChunkedValidation:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @property
    def source_name(self) -> str:
        return self.source

    @property
    def total_count(self) -> int:
        return self.accepted_count + self.rejected_count

    def schema_info(self) -> dict[str, str]:
        return schema_info(self.schema.files)

    def header_dict(self) -> dict[str, object]:
        return {"batch_id": self.header.request_file_name, "kind": self.kind, **self.header.to_dict(),
                "profile": self.profile, "schema": self.schema_info(), "source": self.source}

    def _parts(self) -> Iterator[ChunkResult]:
        schema_dir = None if self._schema_dir is None else str(self._schema_dir)
        jobs: list[Job] = [(c, self.profile, schema_dir, self._explain, self._cap) for c in self._chunks]
        if self._jobs <= 1:
            yield from map(_validate_chunk_job, jobs)
            return
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=self._jobs, mp_context=multiprocessing.get_context(method)) as pool:
            yield from pool.map(_validate_chunk_job, jobs)

    def _count(self, result: DocumentResult) -> DocumentResult:
        if result.accepted:
            self.accepted_count += 1
        else:
            self.rejected_count += 1
        if self._keep:
            self.results.append(result)
        return result

    def __iter__(self) -> Iterator[DocumentResult]:

        emitted = 0
        for part in self._parts():
            if part.chunk.first:
                self.header = part.header
            for result in placed(part, emitted):
                emitted += 1
                yield self._count(result)
            self.file_errors.extend(part.file_errors)
        self.file_errors.extend(whole_file_errors(self.kind, self.profile, self.header, emitted, self.source))

    def result(self) -> BatchResult:
        return BatchResult(self.header, tuple(self.results), tuple(self.file_errors), self.profile,
                           self.schema_info(), self.source)


def whole_file_errors(kind: str, profile: str, header: BatchHeader, count: int, name: str) -> list[Issue]:
    """The checks that need every range: the profile's file rules, a request's documentCount."""
    if kind == "response":
        return file_rules(profile, header.file_status_code, count, header.line)
    mismatch = count_mismatch(header, count, name)
    return [mismatch] if mismatch is not None else []


def recover_chunk(chunk: Chunk, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                  explain: bool = False, max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> ChunkResult:
    """A range that does not parse, validated document by document: nothing good is lost.

    The range is cut at every candidate document start; each piece that parses gives its results,
    a piece that does not is tried together with the next ones (a candidate inside a comment or
    CDATA section is no boundary), and a piece that still does not parse becomes one rejected
    document with ``INVALID_XML``, in its place.
    """
    patterns = _patterns(chunk.wrapper, chunk.kind)
    with open(chunk.source, "rb") as handle:
        cuts = [chunk.start]
        while patterns:
            found = _next_candidate(handle, patterns, cuts[-1] + 1, chunk.end)
            if found is None:
                break
            cuts.append(found)
        cuts.append(chunk.end)
        lines = [line + chunk.line - 1 for line in _lines_between(handle, chunk.start, cuts)]
        pieces = [attrs.evolve(chunk, index=chunk.index if i == 0 else max(chunk.index, 1), start=cuts[i],
                               end=cuts[i + 1], line=lines[i]) for i in range(len(cuts) - 1)]
        results: list[DocumentResult] = []
        errors: list[Issue] = []
        header = chunk.header
        i = 0
        while i < len(pieces):
            attempt = None
            for j in range(i, min(i + 3, len(pieces))):
                joined = attrs.evolve(pieces[i], end=pieces[j].end)
                attempt = validate_chunk(joined, profile=profile, schema_dir=schema_dir, explain=explain,
                                 max_document_bytes=max_document_bytes)
                if attempt.sound:
                    break
            assert attempt is not None
            if attempt.sound:
                if attempt.chunk.first:
                    header = attempt.header
                results.extend(placed(attempt, len(results)))
                errors.extend(attempt.file_errors)
                i = j + 1
                continue
            broken = validate_chunk(pieces[i], profile=profile, schema_dir=schema_dir, explain=explain,
                                 max_document_bytes=max_document_bytes)
            complete = [r for r in broken.results if r.element is not None]
            results.extend(placed(broken, len(results)))
            if complete:  # the document itself was whole: what broke is the text after it
                errors.extend(e for e in broken.file_errors if e.code == ErrorCode.INVALID_XML.value)
            else:
                piece = pieces[i]
                handle.seek(piece.start)
                data = handle.read(piece.end - piece.start)
                results.append(_broken_result(piece, data, broken, len(results) + 1))
                rest = _after_end_tag(piece, data)
                if rest is not None:  # what follows the broken document's end tag, up to the next one
                    after = validate_chunk(rest, profile=profile, schema_dir=schema_dir, explain=explain,
                                 max_document_bytes=max_document_bytes)
                    if after.sound:
                        results.extend(placed(after, len(results)))
                        errors.extend(after.file_errors)
            i += 1
    return ChunkResult(chunk, tuple(results), tuple(errors), header, recovered=True)


_ID_TEXT = re.compile(rb"<(?:[\w.-]+:)?ID>\s*([^<]{1,200}?)\s*</")
_UUID_TEXT = re.compile(rb"<(?:[\w.-]+:)?UUID>\s*([^<]{1,200}?)\s*</")
_AGGREGATE = re.compile(rb"<(?:[\w.-]+:)?[A-Z]\w*(?:Party|Response|Reference)[\s>]")


def _after_end_tag(piece: Chunk, data: bytes) -> Chunk | None:
    """The rest of a piece after the first end tag of the document it starts with, if any."""
    start = data.find(b"<")
    name = data[start + 1:].split(None, 1)[0].split(b">", 1)[0].rstrip(b"/") if start >= 0 else b""
    close = data.find(b"</" + name + b">", start) if name else -1
    if close < 0:
        return None
    end = close + len(name) + 3
    if not data[end:].strip():
        return None
    return attrs.evolve(piece, index=max(piece.index, 1), start=piece.start + end,
                        line=piece.line + data[:end].count(b"\n"))


def _broken_result(piece: Chunk, data: bytes, attempt: ChunkResult, index: int) -> DocumentResult:
    """A document that is not well-formed: rejected with INVALID_XML, named by what its text says."""
    start = data.find(b"<")
    head = data[: m.start()] if (m := _AGGREGATE.search(data, start + 1)) else data  # its own ID/UUID come first
    found_id, found_uuid = _ID_TEXT.search(head), _UUID_TEXT.search(head)
    uuid = found_uuid.group(1).decode("utf-8", "replace") if found_uuid else None
    name = found_id.group(1).decode("utf-8", "replace") if found_id else uuid or f"#{index}"
    too_large = next((e for e in attempt.file_errors if e.code == ErrorCode.DOCUMENT_TOO_LARGE.value), None)
    error = too_large or next((e for e in attempt.file_errors if e.code == ErrorCode.INVALID_XML.value), None)
    text = error.message.split(": the XML is not well-formed: ", 1)[-1] if error else "not well-formed"
    line = piece.line + data[:max(start, 0)].count(b"\n")
    tag = data[start + 1:].split(None, 1)[0].split(b">", 1)[0].decode("utf-8", "replace") if start >= 0 else "?"
    text = re.sub(r", line \d+, column \d+$", "", text)
    if too_large is not None:
        issue = Issue(ErrorCode.DOCUMENT_TOO_LARGE.value, f"Document too large: {len(data)} bytes, more than "
                      "the reading limit", rule="limit:document-bytes", line=line, engine="ublbatch")
    else:
        issue = Issue(ErrorCode.INVALID_XML.value, f"The document is not well-formed XML: {text}",
                      rule="xml:not-well-formed", line=error.line if error else line, engine="libxml2")
    return DocumentResult(index, name, REJECTED, uuid, line, (issue,), None, tag)


def chunked_validation(source: str | os.PathLike[str], *, jobs: int = 1, profile: str = "strict",
                       schema_dir: str | os.PathLike[str] | None = None, explain: bool = False, keep: bool = False,
                       chunk_bytes: int = CHUNK_TARGET,
                       max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> ChunkedValidation | None:
    """A ``ChunkedValidation`` of a file, or None where it cannot be cut (use the one-pass reader)."""
    size = os.path.getsize(source)
    chunks = plan_chunks(source, max(jobs, math.ceil(size / chunk_bytes)))
    if not chunks:
        return None
    return ChunkedValidation(source, chunks, jobs=jobs, profile=profile, schema_dir=schema_dir, explain=explain,
                             keep=keep, max_document_bytes=max_document_bytes)


# -- the byte-level pieces ----------------------------------------------------------------------


class _RangeStream(io.RawIOBase):
    """The root's start tag, the range's bytes, the root's end tag: a batch of its own."""

    def __init__(self, chunk: Chunk) -> None:
        self._handle: IO[bytes] = open(chunk.source, "rb")  # noqa: SIM115  # closed with the stream
        self._handle.seek(chunk.start)
        self._left = chunk.end - chunk.start
        self._head = chunk.wrapper
        self._tail = f"</{_ROOTS[chunk.kind]}>".encode()
        self.name = chunk.source

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        if self._left > 0:
            data = self._handle.read(min(self._left, size if size > 0 else self._left))
            self._left -= len(data)
            if data:
                return data
            self._left = 0
        out, self._tail = self._tail, b""
        return out

    def close(self) -> None:
        self._handle.close()
        super().close()


def _header(path: Path, kind: str) -> BatchHeader | None:
    """The header, if it is sound and complete before the first document."""
    reader_class = RequestBatchReader if kind == "request" else BatchReader
    with reader_class(path) as reader:
        header = reader.header
        # a document that breaks the XML may already be in the first block: that is the ranges' business
        problems = [e for e in reader.errors if e.code != ErrorCode.INVALID_XML.value or reader.document_count == 0]
        if problems or header.request_file_name is None or (kind == "response" and header.file_status_code is None):
            return None
    return header


_BLOCK = 1 << 20


def _root_start(head: bytes, root: bytes) -> tuple[int, bytes] | None:
    """Offset just after the root's start tag, and that tag on one line; None for odd prologs."""
    pos = 3 if head[:3] == b"\xef\xbb\xbf" else 0
    while True:
        while pos < len(head) and head[pos:pos + 1] in b" \t\r\n":
            pos += 1
        if head[pos:pos + 2] == b"<?":
            end = head.find(b"?>", pos)
            pos = end + 2
        elif head[pos:pos + 4] == b"<!--":
            end = head.find(b"-->", pos)
            pos = end + 3
        else:
            break
        if end < 0:
            return None
    name_end = pos + 1 + len(root)
    if head[pos:name_end] != b"<" + root or head[name_end:name_end + 1] not in (b" ", b"\t", b"\r", b"\n", b">"):
        return None  # a DOCTYPE, another encoding or another root: leave it to the one-pass reader
    quote = None
    for i in range(name_end, len(head)):
        byte = head[i:i + 1]
        if quote:
            if byte == quote:
                quote = None
        elif byte in (b'"', b"'"):
            quote = byte
        elif byte == b">":
            if head[i - 1:i] == b"/":
                return None  # an empty root: nothing to cut
            return i + 1, head[pos:i + 1].replace(b"\r", b" ").replace(b"\n", b" ")
    return None


def _root_end(handle: IO[bytes], size: int, root: bytes) -> int | None:
    start = max(0, size - 65536)
    handle.seek(start)
    tail = handle.read()
    found = tail.rfind(b"</" + root)
    if found < 0 or tail[found + 2 + len(root):].strip() != b">":
        return None
    return start + found


def _patterns(wrapper: bytes, kind: str) -> list[bytes]:
    """The start tags of documents as the root's declarations spell them."""
    try:
        root = etree.fromstring(wrapper + b"</" + wrapper[1:].split()[0].rstrip(b">") + b">",
                                etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        return []
    patterns = []
    for namespace, local in _DOCUMENTS[kind]:
        for prefix, uri in root.nsmap.items():
            if uri == namespace:
                patterns.append(b"<" + (prefix.encode() + b":" if prefix else b"") + local.encode())
    return patterns


def _next_candidate(handle: IO[bytes], patterns: list[bytes], start: int, end: int) -> int | None:
    """The first document start tag at or after ``start`` (a candidate cut, still to be proven)."""
    overlap = max(len(p) for p in patterns)
    position = start
    while position < end:
        handle.seek(position)
        block = handle.read(min(_BLOCK, end - position) + overlap + 1)
        best = None
        for pattern in patterns:
            found = block.find(pattern)
            while found >= 0:
                follower = block[found + len(pattern):found + len(pattern) + 1]
                if follower in (b" ", b"\t", b"\r", b"\n", b">", b"/"):
                    best = found if best is None else min(best, found)
                    break
                found = block.find(pattern, found + 1)
        if best is not None and position + best < end:
            return position + best
        position += _BLOCK
    return None


def _lines_at(handle: IO[bytes], offsets: list[int]) -> list[int]:
    """The line number at each offset (ascending), counting newlines in one pass."""
    return _lines_between(handle, 0, offsets)


def _lines_between(handle: IO[bytes], start: int, offsets: list[int]) -> list[int]:
    """Lines at each offset (ascending) counted from ``start`` (line 1 there)."""
    handle.seek(start)
    lines, position, line = [], start, 1
    for offset in offsets[:-1]:
        while position < offset:
            block = handle.read(min(_BLOCK, offset - position))
            if not block:
                break
            line += block.count(b"\n")
            position += len(block)
        lines.append(line)
    return lines


def placed(part: ChunkResult, before: int) -> Iterator[DocumentResult]:
    """A range's results (numbered from 1 within it) numbered in the file, after ``before`` documents."""
    for r in part.results:
        index = r.index + before
        yield DocumentResult(index, f"#{index}" if r.id == f"#{r.index}" else r.id, r.status, r.uuid, r.line,
                             r.issues, r.response, r.element)
