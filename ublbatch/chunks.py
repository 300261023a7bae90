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

import contextlib
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
from .results import REJECTED, BatchHeader, BatchResult, DocumentResult, Issue, Tally
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
    name: str | None = None
    """How messages and results name the file, when not by ``source`` (a spilled copy of bytes)."""

    @property
    def first(self) -> bool:
        """True for the range that starts the file (it holds the header)."""
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
    """Cut a batch file into ``n`` ranges at document boundaries, or [] when it cannot be cut.

    Fewer when documents are too few or too big to cut there; more when a range would hold over
    ``LINES_PER_RANGE`` lines, so that every line reported stays exact. It reads the prolog, the
    header, the end of the file and a little at each cut, then counts lines in one sequential
    pass; nothing of the file stays in memory.
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
        cuts, lines = _within_line_limit(handle, patterns, cuts)
    chunks = [Chunk(str(path), i, cuts[i], cuts[i + 1], lines[i], wrapper, kind, header)
              for i in range(len(cuts) - 1)]
    return chunks


LINES_PER_RANGE = 60_000
"""libxml2 keeps 16 bits of line number per element (lines past 65,535 are derived, sometimes one
late); a range is parsed on its own, counting from 1, so ranges stay under this many lines."""


def _within_line_limit(handle: IO[bytes], patterns: list[bytes], cuts: list[int]) -> tuple[list[int], list[int]]:
    """More cuts where a range holds too many lines (pretty-printed files); the line at every cut."""
    lines = _lines_between(handle, 0, [*cuts, cuts[-1]])
    for _ in range(4):  # byte targets split lines unevenly: a few rounds settle it
        extra = []
        for i in range(len(cuts) - 1):
            count = lines[i + 1] - lines[i]
            if count <= LINES_PER_RANGE:
                continue
            pieces = -(-count // (LINES_PER_RANGE * 3 // 4))
            for k in range(1, pieces):
                found = _next_candidate(handle, patterns, cuts[i] + (cuts[i + 1] - cuts[i]) * k // pieces,
                                        cuts[i + 1])
                if found is not None and cuts[i] < found < cuts[i + 1]:
                    extra.append(found)
        if not extra:
            break
        cuts = sorted({*cuts, *extra})
        lines = _lines_between(handle, 0, [*cuts, cuts[-1]])
    return cuts, lines


def validate_chunk(chunk: Chunk, *, profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                   explain: bool = False, max_document_bytes: int | None = MAX_DOCUMENT_BYTES) -> ChunkResult:
    """Validate one range as if it stood alone in its batch; lines are those of the file."""
    from .validate import BatchValidation  # validate imports this module

    stream = cast(IO[bytes], _RangeStream(chunk))
    continuation = None if chunk.first else chunk.header
    with stream, BatchValidation(stream, profile=profile, schema_dir=schema_dir, explain=explain,
                                 name=chunk.name or chunk.source,
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
    return validate_chunk(chunk, profile=profile, schema_dir=schema_dir, explain=explain, max_document_bytes=cap)


class ChunkedValidation(Tally):
    """Validation of a batch file range by range, in this process or in ``jobs`` worker processes.

    It has the interface of ``BatchValidation`` (``header``, iteration, ``file_errors``, counts,
    ``result()``). Results come in source order with their indices and lines in the file. When a
    range does not parse, it finishes with the one-pass reader, so the results are the same.
    """

    def __init__(self, source: str | os.PathLike[str], chunks: list[Chunk], *, jobs: int = 1,
                 profile: str = "strict", schema_dir: str | os.PathLike[str] | None = None,
                 explain: bool = False, keep: bool = False,
                 max_document_bytes: int | None = MAX_DOCUMENT_BYTES, name: str | None = None,
                 spilled: bool = False) -> None:
        self.source = name or str(source)
        self._path = str(source)
        self._spilled = spilled
        if name is not None:
            chunks = [attrs.evolve(c, name=name) for c in chunks]
        self._cap = max_document_bytes
        self.profile = profile
        self._chunks = chunks
        self._jobs = jobs
        self._schema_dir = schema_dir
        self._explain = explain
        Tally.__init__(self, keep)
        self.bytes_read = 0
        """The file is validated up to this offset (for progress reports)."""
        self.kind = chunks[0].kind
        self.header = chunks[0].header
        self.file_errors: list[Issue] = []
        documents = ("ApplicationResponse",) if self.kind == "response" else ("Invoice", "CreditNote")
        compiled = [document_schema(d, profile, schema_dir) for d in documents]  # before any worker forks
        self.schema = compiled[0]

    def __enter__(self) -> ChunkedValidation:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._spilled:
            with contextlib.suppress(OSError):
                os.unlink(self._path)

    @property
    def source_name(self) -> str:
        """The file's name as reports show it."""
        return self.source

    def schema_info(self) -> dict[str, str]:
        """Name, variant, SHA-256 and location of the schemas in use, for the result's ``schema``."""
        return schema_info(self.schema.files)

    def header_dict(self) -> dict[str, object]:
        """The first line of the NDJSON stream: what is known before the documents."""
        return {"batch_id": self.header.request_file_name, "kind": self.kind, **self.header.to_dict(),
                "profile": self.profile, "schema": self.schema_info(), "source": self.source}

    def _parts(self) -> Iterator[ChunkResult]:
        schema_dir = None if self._schema_dir is None else str(self._schema_dir)
        jobs: list[Job] = [(c, self.profile, schema_dir, self._explain, self._cap) for c in self._chunks]
        if self._jobs <= 1:
            yield from map(_validate_chunk_job, jobs)
            return
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        pool = ProcessPoolExecutor(max_workers=self._jobs, mp_context=multiprocessing.get_context(method))
        try:
            yield from pool.map(_validate_chunk_job, jobs)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # after a recovery the rest is not needed

    def __iter__(self) -> Iterator[DocumentResult]:

        emitted = 0
        for part in self._parts():
            if not part.sound:
                # a document breaks the XML, or a cut fell inside a comment or CDATA section: the ranges
                # before are sound, so this cut is real; take the rest of the file apart as one range
                rest = attrs.evolve(part.chunk, end=self._chunks[-1].end)
                part = recover_chunk(rest, profile=self.profile, schema_dir=self._schema_dir, explain=self._explain,
                                     max_document_bytes=self._cap)
            if part.chunk.first:
                self.header = part.header
            self.bytes_read = part.chunk.end
            for result in placed(part, emitted):
                emitted += 1
                yield self.count(result)
            self.file_errors.extend(part.file_errors)
            if part.recovered:
                break
        self.file_errors.extend(whole_file_errors(self.kind, self.profile, self.header, emitted, self.source))

    def result(self) -> BatchResult:
        """The whole verdict (needs ``keep=True`` for the per-document results)."""
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

    The range is cut at every document start tag that stands outside comments, CDATA sections and
    processing instructions. Each piece that parses gives its results. A piece that does not is
    read up to its first document's end tag: that document is rejected with ``INVALID_XML`` (or
    ``DOCUMENT_TOO_LARGE``) in its place, and what follows is read again the same way.
    """
    options = {"profile": profile, "schema_dir": schema_dir, "explain": explain,
               "max_document_bytes": max_document_bytes}
    with open(chunk.source, "rb") as handle:
        cuts = [chunk.start, *_real_candidates(handle, _patterns(chunk.wrapper, chunk.kind), chunk.start + 1,
                                              chunk.end), chunk.end]
        lines = [line + chunk.line - 1 for line in _lines_between(handle, chunk.start, cuts)]
        results: list[DocumentResult] = []
        errors: list[Issue] = []
        header = chunk.header
        for i in range(len(cuts) - 1):
            piece: Chunk | None = attrs.evolve(chunk, index=chunk.index if i == 0 else max(chunk.index, 1),
                                               start=cuts[i], end=cuts[i + 1], line=lines[i])
            while piece is not None:
                part = validate_chunk(piece, **options)  # type: ignore[arg-type]
                if part.chunk.first:
                    header = part.header
                results.extend(placed(part, len(results)))
                if part.sound:
                    errors.extend(part.file_errors)
                    break
                errors.extend(e for e in part.file_errors if e.code not in _BROKEN)
                if part.chunk.first and not part.results:  # the header's own piece: a file-level problem
                    errors.extend(e for e in part.file_errors if e.code in _BROKEN)
                    break
                piece = _take_broken(handle, piece, part, results, max_document_bytes)
    return ChunkResult(chunk, tuple(results), tuple(errors), header, recovered=True)


_BROKEN = (ErrorCode.INVALID_XML.value, ErrorCode.DOCUMENT_TOO_LARGE.value)
_HEAD = 64 * 1024


def _take_broken(handle: IO[bytes], piece: Chunk, part: ChunkResult, results: list[DocumentResult],
                 cap: int | None) -> Chunk | None:
    """Report the document that broke ``piece`` (after the ones that parsed) and give what follows it."""
    for _ in part.results:  # skip the documents that parsed: the broken one starts after their end tags
        skipped = _after_end_tag(handle, piece)
        if skipped is None:
            return None
        piece = skipped
    size = piece.end - piece.start
    handle.seek(piece.start)
    head = handle.read(min(size, _HEAD))
    too_large = cap is not None and size > cap
    results.append(_broken_result(piece, head, size, part, len(results) + 1, too_large))
    return None if too_large else _after_end_tag(handle, piece)


def _real_candidates(handle: IO[bytes], patterns: list[bytes], start: int, end: int) -> list[int]:
    """Document start tags in [start, end) that stand outside comments, CDATA sections and PIs."""
    if not patterns:
        return []
    openers = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
    guard = max(len(p) for p in patterns) + 16
    found: list[int] = []
    closing: bytes | None = None
    position = start
    while position < end:
        handle.seek(position)
        block = handle.read(min(4 * _BLOCK, end - position))
        if not block:
            break
        last = position + len(block) >= end
        limit = len(block) if last else len(block) - guard
        i = 0
        while i < limit:
            if closing is not None:
                j = block.find(closing, i)
                if j < 0:
                    i = limit
                    break
                i, closing = j + len(closing), None
                continue
            opener = min(((j, close) for o, close in openers if (j := block.find(o, i, limit)) >= 0),
                         default=None)
            candidate = None
            for pattern in patterns:
                j = block.find(pattern, i, limit)
                while j >= 0 and block[j + len(pattern):j + len(pattern) + 1] not in _FOLLOWERS:
                    j = block.find(pattern, j + 1, limit)
                if j >= 0 and (candidate is None or j < candidate):
                    candidate = j
            if opener is not None and (candidate is None or opener[0] < candidate):
                i, closing = opener[0] + 2, opener[1]
            elif candidate is not None:
                found.append(position + candidate)
                i = candidate + 1
            else:
                i = limit
        position += max(i, 1)
    return found


_FOLLOWERS = (b" ", b"\t", b"\r", b"\n", b">", b"/")


def _after_end_tag(handle: IO[bytes], piece: Chunk) -> Chunk | None:
    """The rest of a piece after the end tag of the element it starts with, if anything is left."""
    handle.seek(piece.start)
    head = handle.read(min(piece.end - piece.start, 4096))
    start = _first_element(head)
    name = head[start + 1:].split(None, 1)[0].split(b">", 1)[0].rstrip(b"/") if start >= 0 else b""
    if not name:
        return None
    needle, position, newlines = b"</" + name + b">", piece.start, 0
    while position < piece.end:
        handle.seek(position)
        block = handle.read(min(_BLOCK, piece.end - position) + len(needle))
        j = block.find(needle)
        if j >= 0 and position + j < piece.end:
            after = position + j + len(needle)
            newlines += block[:j + len(needle)].count(b"\n")
            handle.seek(after)
            if not handle.read(min(piece.end - after, _BLOCK)).strip():
                return None
            return attrs.evolve(piece, index=max(piece.index, 1), start=after, line=piece.line + newlines)
        newlines += block[:_BLOCK].count(b"\n")
        position += _BLOCK
    return None


def _first_element(head: bytes) -> int:
    """Where the first element's start tag begins, past white space, comments and PIs; -1 if unseen."""
    position = head.find(b"<")
    while position >= 0:
        if head.startswith(b"<!--", position):
            end = head.find(b"-->", position)
            position = head.find(b"<", end + 3) if end >= 0 else -1
        elif head.startswith(b"<?", position):
            end = head.find(b"?>", position)
            position = head.find(b"<", end + 2) if end >= 0 else -1
        else:
            return position
    return -1


_ID_TEXT = re.compile(rb"<(?:[\w.-]+:)?ID>\s*([^<]{1,200}?)\s*</")
_UUID_TEXT = re.compile(rb"<(?:[\w.-]+:)?UUID>\s*([^<]{1,200}?)\s*</")
_AGGREGATE = re.compile(rb"<(?:[\w.-]+:)?[A-Z]\w*(?:Party|Response|Reference)[\s>]")


def _broken_result(piece: Chunk, head: bytes, size: int, attempt: ChunkResult, index: int,
                   too_large: bool) -> DocumentResult:
    """A document that is not well-formed (or too big): rejected in place, named by what its text says."""
    start = _first_element(head)
    own = head[: m.start()] if (m := _AGGREGATE.search(head, start + 1)) else head  # its own ID/UUID come first
    found_id, found_uuid = _ID_TEXT.search(own), _UUID_TEXT.search(own)
    uuid = found_uuid.group(1).decode("utf-8", "replace") if found_uuid else None
    name = found_id.group(1).decode("utf-8", "replace") if found_id else uuid or f"#{index}"
    line = piece.line + head[:max(start, 0)].count(b"\n")
    tag = head[start + 1:].split(None, 1)[0].split(b">", 1)[0].decode("utf-8", "replace") if start >= 0 else "?"
    error = next((e for e in attempt.file_errors if e.code in _BROKEN), None)
    if too_large or (error is not None and error.code == ErrorCode.DOCUMENT_TOO_LARGE.value):
        issue = Issue(ErrorCode.DOCUMENT_TOO_LARGE.value, f"Document too large: {size} bytes, more than the "
                      "reading limit", rule="limit:document-bytes", line=line, engine="ublbatch")
    else:
        text = error.message.split(": the XML is not well-formed: ", 1)[-1] if error else "not well-formed"
        issue = Issue(ErrorCode.INVALID_XML.value,
                      f"The document is not well-formed XML: {re.sub(r', line [0-9]+, column [0-9]+$', '', text)}",
                      rule="xml:not-well-formed", line=error.line if error else line, engine="libxml2")
    return DocumentResult(index, name, REJECTED, uuid, line, (issue,), None, tag)


def chunked_validation(source: str | os.PathLike[str], *, jobs: int = 1, profile: str = "strict",
                       schema_dir: str | os.PathLike[str] | None = None, explain: bool = False, keep: bool = False,
                       chunk_bytes: int = CHUNK_TARGET, max_document_bytes: int | None = MAX_DOCUMENT_BYTES,
                       name: str | None = None, spilled: bool = False) -> ChunkedValidation | None:
    """A ``ChunkedValidation`` of a file, or None where it cannot be cut (use the one-pass reader)."""
    size = os.path.getsize(source)
    chunks = plan_chunks(source, max(jobs, math.ceil(size / chunk_bytes)))
    if not chunks:
        return None
    return ChunkedValidation(source, chunks, jobs=jobs, profile=profile, schema_dir=schema_dir, explain=explain,
                             keep=keep, max_document_bytes=max_document_bytes, name=name, spilled=spilled)


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
    declared = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", head[pos:pos + 200])
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return None  # ranges are read as UTF-8: another encoding is read in one pass
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
