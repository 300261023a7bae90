"""The reading engine every command and the Python API share: bytes -> ranges -> documents.

A batch file is read forward once. ``boundaries`` finds where documents start; the file is cut
there into ranges of about ``RANGE_BYTES`` (and under ``LINES_PER_RANGE`` lines, so every line
libxml2 reports stays exact). Each range is parsed on its own by the pull reader, re-opened inside
the root's original start tag, which proves the cuts: a range that parses holds whole documents.

A range that does not parse is taken apart: piece by piece between its candidate start tags, and a
piece that still breaks, child by child. A child that is not well-formed becomes a ``Document``
with ``error`` set (``INVALID_XML``), in its place and named by the ID in its text, and reading
goes on after it; a child over ``max_document_bytes`` becomes ``DOCUMENT_TOO_LARGE`` without ever
being held whole. Nothing good is lost, nothing is reported twice, and lines are the file's.

Files that cannot be cut (another encoding, a DOCTYPE, not a batch) are read in one pass by the
same pull reader, which then reports what is wrong with them.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Generator, Iterable, Iterator
from typing import IO, cast

import attrs

from ._pullreader import PullReader, RequestPullReader, count_mismatch
from .boundaries import (
    HEAD_BYTES,
    Prolog,
    Scanner,
    document_names,
    follows_a_child,
    free_of_markup,
    next_cut,
    read_prolog,
)
from .codes import DOCUMENT_BYTES_LIMIT, ErrorCode
from .document import Document, HeaderFirst
from .names import ROOTS
from .results import BatchHeader, Issue

RANGE_BYTES = 1 << 20
"""Bytes per range: small enough that a worker's results stay small and memory flat."""
LINES_PER_RANGE = 60_000
"""libxml2 keeps 16 bits of line number per element (lines past 65,535 are derived, sometimes one
late); each range is parsed counting from its own first line, so ranges stay under this many."""
MAX_DOCUMENT_BYTES = DOCUMENT_BYTES_LIMIT
"""The default cap on one document's size while reading (GoRoute's per-document limit); None: no cap.
libxml2's own limits also hold, as ``huge_tree`` is never switched on: nesting depth 256, text nodes
of 10 MB."""
READ_BYTES = 1 << 20
FIRST_READ_BYTES = 1 << 16
FIRST_RANGE_BYTES = 1 << 15
"""The first range is small: the header is known after the first block or two."""
_FAST_WINDOW = 1 << 20
"""How far past its target size a range's end is looked for without scanning the range."""

_READERS: dict[str, type[PullReader]] = {"response": PullReader, "request": RequestPullReader}


@attrs.frozen
class Range:
    """Part of a batch file that holds whole root children (if the cuts are real), with its bytes."""

    index: int
    start: int
    """Offset in the file."""
    line: int
    """The file's line at ``start``."""
    data: bytes = attrs.field(repr=False)
    cuts: tuple[int, ...] | None = attrs.field(repr=False)
    """Offsets (in ``data``) of every document start tag the scan found in it; None when the range
    was cut without a scan (it then holds no comment, CDATA section or PI), to be scanned if it breaks."""
    last: bool = False
    """The range that runs to the end of the file (it holds the root's end tag, if any)."""
    oversized: bool = False
    """A child longer than the cap: ``data`` is only its first bytes."""
    size: int = 0
    """The child's real length, when ``oversized``."""

    @property
    def end(self) -> int:
        """Offset in the file just past the range."""
        return self.start + (self.size if self.oversized else len(self.data))


@attrs.frozen
class Context:
    """What every range of one file needs to be read on its own (small; sent to worker processes)."""

    name: str
    kind: str
    prolog: Prolog
    max_document_bytes: int | None = MAX_DOCUMENT_BYTES


def cut(stream: IO[bytes], prolog: Prolog, head: bytes, *, range_bytes: int | None = None,
        max_document_bytes: int | None = MAX_DOCUMENT_BYTES, progress: list[int] | None = None,
        first_range_bytes: int | None = None) -> Iterator[Range]:
    """The ranges of a file, in order, read forward from ``stream`` (``head`` already read from it).

    Memory holds one range (plus the block being read); a child longer than ``max_document_bytes``
    gets a range of its own that keeps only its first bytes, and is never held whole. The first
    range is small, so the header is known after the first few blocks.
    """
    range_bytes = range_bytes or RANGE_BYTES  # looked up now: tests make ranges small
    first_range_bytes = first_range_bytes or FIRST_RANGE_BYTES
    scanner = Scanner(document_names(prolog.kind), prolog.body_start)
    buf = bytearray(head)
    start, line, index = 0, 1, 0
    names = document_names(prolog.kind)
    cuts: list[int] = []  # candidates in buf
    lines: list[int] = []  # newlines in buf before each candidate
    level: list[bool] = []  # whether each candidate may be a cut (it follows a child's end)
    counted, newlines = 0, 0  # newlines in buf[:counted]
    done = False
    cap = max_document_bytes
    sparse = cap is None or cap >= range_bytes + _FAST_WINDOW
    fresh = False  # the range being gathered has not been scanned: it may be cut without a scan (the
    # first range, small and holding the header, always is)

    def split(at: int, at_lines: int, *, oversized: int = 0, scanned: bool = True) -> Range:
        """The range buf[:at] (or an oversized child of ``oversized`` bytes there); buf keeps the rest."""
        nonlocal start, line, index, cuts, lines, level, counted, newlines
        keep = sum(1 for c in cuts if c < at)
        if oversized:
            part = Range(index, start, line, bytes(buf[:min(at, _HEAD)]), (0,), oversized=True, size=at)
        else:
            part = Range(index, start, line, bytes(buf[:at]), tuple(cuts[:keep]) if scanned else None)
        del buf[:at]
        start, line, index = start + at, line + at_lines, index + 1
        scanner.rebase(at)
        cuts = [c - at for c in cuts[keep:]]
        lines = [n - at_lines for n in lines[keep:]]
        level = level[keep:]
        counted, newlines = counted - at, newlines - at_lines
        return part

    def oversize(end: int, end_lines: int) -> Iterator[Range]:
        """The child at cuts[-1] runs to ``end`` past the cap: what precedes it, then the child alone."""
        at = cuts[-1]
        if at > 0:
            at_lines = lines[-1]
            yield split(at, at_lines)
            end, end_lines = end - at, end_lines - at_lines
        yield split(end, end_lines, oversized=end)

    while True:
        if not done:
            block = stream.read(READ_BYTES if index else FIRST_READ_BYTES)
            if progress is not None:
                progress[0] += len(block)
            done = not block
            buf += block
        if fresh:
            # the range is cut where a document follows a child, past its target size, without
            # scanning it, when it holds no comment, CDATA section or PI that could hide a tag
            target = range_bytes
            limit = len(buf) if done else len(buf) - Scanner.GUARD
            at = next_cut(buf, target, limit, names) if limit > target else None
            if at is None and not done and limit - target < _FAST_WINDOW:
                continue  # the document at the target goes on: read more
            at_lines = -1
            if at is not None and (cap is None or at <= cap) and free_of_markup(buf, scanner.position, at):
                at_lines = buf.count(b"\n", 0, at)
            if 0 <= at_lines < LINES_PER_RANGE and at is not None:
                yield split(at, at_lines, scanned=False)
                scanner.skip_to(1)  # past the "<" of the document that starts the next range
                cuts, lines, level, counted, newlines = [0], [0], [True], 0, 0
                continue
            fresh = False  # scan this range: its cut needs the full rules
        shift, resume = 0, False
        for found in scanner.scan(buf, done):
            candidate = found - shift  # buf loses its front at each split
            newlines += buf.count(b"\n", counted, candidate)
            counted = candidate
            if cap is not None and cuts and candidate - cuts[-1] > cap:
                before = len(buf)
                yield from oversize(candidate, newlines)
                moved = before - len(buf)
                shift, candidate = shift + moved, candidate - moved
            cuttable = follows_a_child(buf, candidate, names)
            if cuts and cuts[-1] > 0 and level[-1] and newlines >= LINES_PER_RANGE:
                at = cuts[-1]  # the range would pass the line limit: end it before
                yield split(at, lines[-1])
                shift, candidate = shift + at, candidate - at
            if cuts and cuttable and candidate >= (range_bytes if index else first_range_bytes):
                yield split(candidate, newlines)
                shift, candidate = shift + candidate, 0
                resume = True
            cuts.append(candidate)
            lines.append(newlines)
            level.append(cuttable)
        if resume and sparse and not done and (cap is None or len(buf) <= cap):
            # the next range starts unscanned: what was scanned past its start is scanned again
            # only if it cannot be cut fast
            scanner.skip_to(1)
            cuts, lines, level, counted, newlines = [0], [0], [True], 0, 0
            fresh = True
            continue
        if cap is not None and cuts and len(buf) - cuts[-1] > cap and not done:
            # the last child runs on past the cap: step over it, keeping only its first bytes
            if cuts[-1] > 0:
                yield split(cuts[-1], lines[-1])
            first, size, skipped = bytes(buf[:_HEAD]), 0, 0
            while True:
                ahead = [c for c in scanner.scan(buf, done) if c > 0]
                if ahead or done:
                    stop = ahead[0] if ahead else len(buf)
                    size, skipped = size + stop, skipped + buf.count(b"\n", 0, stop)
                    del buf[:stop]
                    scanner.rebase(stop)
                    break
                drop = max(0, len(buf) - Scanner.GUARD)
                size, skipped = size + drop, skipped + buf.count(b"\n", 0, drop)
                del buf[:drop]
                scanner.rebase(drop)
                block = stream.read(READ_BYTES)
                if progress is not None:
                    progress[0] += len(block)
                done = not block
                buf += block
            yield Range(index, start, line, first, (0,), oversized=True, size=size)
            start, line, index = start + size, line + skipped, index + 1
            cuts, lines, level, counted, newlines = ([0], [0], [True], 0, 0) if buf else ([], [], [], 0, 0)
            if not buf:
                yield Range(index, start, line, b"", (), last=True)
                return
            continue
        if done:
            if cap is not None and cuts and len(buf) - cuts[-1] > cap:
                yield from oversize(len(buf), newlines + buf.count(b"\n", counted))
                yield Range(index, start, line, bytes(buf), (), last=True)
                return
            yield Range(index, start, line, bytes(buf), tuple(cuts), last=True)
            return


class Reading:
    """One pass over a batch: ``header`` once entered, then every root child as a ``Document``.

    ``errors`` holds the file-level problems (complete after iterating); ``bytes_read`` how far
    reading has got. Documents carry the file's positions and lines.
    """

    def __init__(self, stream: IO[bytes], name: str, *, kind: str | None = None,
                 max_document_bytes: int | None = MAX_DOCUMENT_BYTES, range_bytes: int | None = None) -> None:
        self.name = name
        self.stream = stream
        self.max_document_bytes = max_document_bytes
        self._range_bytes = range_bytes
        self.progress = [0]
        head = b""
        while len(head) < HEAD_BYTES:
            block = stream.read(FIRST_READ_BYTES)
            self.progress[0] += len(block)
            if not block:
                break
            head += block
            if read_prolog(head) is not None:
                break
        self.prolog = read_prolog(head)
        self.kind = kind or (self.prolog.kind if self.prolog is not None else _sniff_kind(head)) or "response"
        if self.prolog is not None and self.prolog.kind != self.kind:
            self.prolog = None  # the reader says what is wrong with the root
        self.head = head
        self.header = BatchHeader(None, None)
        self.errors: list[Issue] = []
        self.count = 0
        self._staged = HeaderFirst(self._documents())

    @property
    def bytes_read(self) -> int:
        """How many bytes of the source have been read so far (for progress reports)."""
        return self.progress[0]

    def enter(self) -> None:
        """Read up to the end of the header."""
        self._staged.enter()

    def __iter__(self) -> Iterator[Document]:
        return iter(self._staged)

    def close(self) -> None:
        """Stop reading."""
        self._staged.close()

    def _documents(self) -> Generator[Document | None, None, None]:
        if self.prolog is None:
            yield from self._one_pass()
            return
        context = Context(self.name, self.kind, self.prolog, self.max_document_bytes)
        header_known = False
        for part in cut(self.stream, self.prolog, self.head, range_bytes=self._range_bytes,
                        max_document_bytes=self.max_document_bytes, progress=self.progress):
            reading = RangeReading(context, part, self.header if part.index else None, self.count, self.errors)
            for item in reading:
                if item is None:
                    continue
                if not header_known:
                    header_known = True
                    self.header = reading.header
                    yield None
                self.count += 1
                yield item
            if part.index == 0:
                self.header = reading.header
            if not header_known:
                header_known = True
                yield None
        self.errors.extend(whole_file_errors(self.kind, self.header, self.count, self.name, self.errors))

    def _one_pass(self) -> Iterator[Document | None]:
        stream = cast(IO[bytes], _Chained(self.head, self.stream, self.progress))
        reader = _READERS[self.kind](stream, self.name, partial=True, max_document_bytes=self.max_document_bytes,
                                     errors=self.errors)
        with reader:
            self.header = reader.header
            yield None
            for document in reader:
                self.count += 1
                yield document
        self.header = reader.header
        if not reader.failed:
            self.errors.extend(whole_file_errors(self.kind, self.header, self.count, self.name))


def whole_file_errors(kind: str, header: BatchHeader, count: int, name: str,
                      errors: Iterable[Issue] = ()) -> list[Issue]:
    """Reading's checks that need every document: a request's ``documentCount`` (not for a file that
    could not be read to its end, given its file-level ``errors``: the count then means nothing)."""
    if kind != "request" or any(e.code in _BROKEN for e in errors):
        return []
    mismatch = count_mismatch(header, count, name)
    return [mismatch] if mismatch is not None else []


_BROKEN = (ErrorCode.INVALID_XML.value, ErrorCode.DOCUMENT_TOO_LARGE.value, ErrorCode.UNREADABLE.value)


class RangeReading:
    """The documents of one range, numbered after ``before`` documents; the header for range 0.

    Used in this process by ``Reading`` and in worker processes for parallel validation alike.
    """

    def __init__(self, context: Context, part: Range, header: BatchHeader | None, before: int,
                 errors: list[Issue] | None = None) -> None:
        self.context = context
        self.part = part
        self.header = header or BatchHeader(None, None)
        self._continuation = header if part.index else None
        self.before = before
        self._counted = (0, part.line)  # (offset, the file's line there): see _line_at
        self.errors: list[Issue] = [] if errors is None else errors
        """File-level problems, in the caller's list when it gave one (it sees the header's at once)."""

    def __iter__(self) -> Iterator[Document | None]:
        part = self.part
        if part.oversized:
            yield self._too_large()
            return
        if part.last:
            part = self.part = self._without_trailer(part)
        if part.index:  # a later range, whole in memory: one tree when it parses, the stream when not
            documents = self._whole()
            if documents is not None:
                for document in documents:
                    yield document
                    if document.element is not None:
                        # released once used, as the stream does: validation registers each xsd:ID
                        # value (a signature's Id) in the tree, where the next document's would clash
                        document.element.clear(keep_tail=True)
                return
        mark = len(self.errors)
        reader = self._reader(0, len(part.data), self.before, first=part.index == 0, errors=self.errors)
        yielded = 0
        with reader:
            if part.index == 0:
                self.header = reader.header
                yield None
            for document in reader:
                yielded += 1
                yield document
        if part.index == 0:
            self.header = reader.header
        if not reader.failed:
            return
        self.errors[mark:] = [e for e in self.errors[mark:] if e.code not in _BROKEN]
        yield from self._recover(yielded)
        if part.last and part.data and _root_end(part.data, 0, len(part.data)) < 0 and \
                not any(e.code in _BROKEN for e in self.errors[mark:]):
            line = self._line_at(len(part.data))
            root = ROOTS[self.context.kind]
            self.errors.append(Issue(ErrorCode.INVALID_XML.value, f"{self.context.name}, line {line}: the XML is "
                                     f"not well-formed: the file ends before {root} is closed",
                                     rule="xml:not-well-formed", line=line, engine="ublbatch"))

    # -- taking a broken range apart ---------------------------------------------------------

    def _reader(self, start: int, end: int, before: int, *, first: bool,
                errors: list[Issue] | None = None) -> PullReader:
        part, context = self.part, self.context
        data = memoryview(part.data)[start:end]
        line = self._line_at(start)
        tail = b"" if part.last and end == len(part.data) else f"</{ROOTS[context.kind]}>".encode()
        if first:
            stream = cast(IO[bytes], _Pieces(bytes(data), tail))
            return _READERS[context.kind](stream, context.name, line_offset=line - 1, index_base=before,
                                          partial=True, errors=errors)
        stream = cast(IO[bytes], _Pieces(context.prolog.wrapper, bytes(data), tail))
        return _READERS[context.kind](stream, context.name, continuation=self.header, line_offset=line - 1,
                                      index_base=before, partial=True, errors=errors)

    def _without_trailer(self, part: Range) -> Range:
        """The last range, up to the root's end tag when something other than white space, comments
        and PIs follows it: that is a file-level error, and no element there is a document."""
        root = ROOTS[self.context.kind].encode()
        data, end = part.data, len(part.data)
        while True:  # the last end tag of the root that no comment, PI or CDATA section holds
            at = data.rfind(b"</" + root, 0, end)
            if at < 0:
                return part
            opened = max(data.rfind(b"<!--", 0, at), data.rfind(b"<?", 0, at), data.rfind(b"<![CDATA[", 0, at))
            if opened > max(data.rfind(b"-->", 0, at), data.rfind(b"?>", 0, at), data.rfind(b"]]>", 0, at)):
                end = opened
                continue
            closed = _ROOT_END.match(data, at)
            if closed is not None:
                break
            end = at
        after = data[closed.end():]
        text = _MARKUP.sub(b"", after).strip()
        if not text:
            return part
        where = closed.end() + len(after) - len(after.lstrip())
        line = self._line_at(where)
        shown = text[:40].decode("utf-8", "replace")
        self.errors.append(Issue(ErrorCode.INVALID_XML.value, f"{self.context.name}, line {line}: the XML is not "
                                 f"well-formed: content after the end of {root.decode()}: {shown!r}",
                                 rule="xml:not-well-formed", line=line, engine="ublbatch"))
        self._counted = (0, part.line)
        return attrs.evolve(part, data=data[:closed.end()])

    def _whole(self) -> list[Document] | None:
        part, context = self.part, self.context
        tail = b"" if part.last else f"</{ROOTS[context.kind]}>".encode()
        reader = _READERS[context.kind](io.BytesIO(), context.name, continuation=self.header,
                                        line_offset=part.line - 1, index_base=self.before, partial=True,
                                        errors=self.errors)
        try:
            return reader.read_whole(b"".join((context.prolog.wrapper, part.data, tail)))
        finally:
            reader.close()  # its generator, never started, holds it: no cycle left for the collector

    def _recover(self, skip: int) -> Iterator[Document]:
        """Piece by piece between the range's candidate start tags; skip what was already yielded."""
        part = self.part
        cuts = [c for c in self._candidates() if c > 0]
        bounds = [0, *cuts, len(part.data)]
        number = self.before
        for a, b in itertools.pairwise(bounds):
            if a == b:
                continue
            first = part.index == 0 and a == 0
            reader = self._reader(a, b, number, first=first)
            seen = 0
            with reader:
                if first:
                    self.header = reader.header
                for document in reader:  # yielded before any failure: read in full
                    seen += 1
                    number += 1
                    if number - self.before > skip:
                        yield document
            if first:
                self.header = reader.header
            if not reader.failed:
                self.errors.extend(reader.errors)
                continue
            self.errors.extend(e for e in reader.errors if e.code not in _BROKEN)
            if first:
                # the header's own piece: the prolog or header is broken, a file-level problem
                self.errors.extend(e for e in reader.errors if e.code in _BROKEN)
                continue
            position: int | None = a
            for _ in range(seen):  # past the children the reader gave before it broke off
                begin = _first_element(part.data, position, b) if position is not None else -1
                position = _end_of_child(part.data, begin, b) if begin >= 0 else None
            if position is None:
                continue
            for document in self._children(position, b, number):
                number += 1
                if number - self.before > skip:
                    yield document

    def _candidates(self) -> tuple[int, ...]:
        part = self.part
        if part.cuts is not None:
            return part.cuts
        begin = self.context.prolog.body_start if part.index == 0 else 0
        return tuple(Scanner(document_names(self.context.kind), begin).scan(part.data, True))

    def _children(self, start: int, end: int, before: int) -> Iterator[Document]:
        """A piece that does not parse, child by child: each that parses alone is kept, in place."""
        data = self.part.data
        pos = start
        count = before
        while pos < end:
            begin = _first_element(data, pos, end)
            if begin < 0:
                self._stray(pos, end)
                return
            self._stray(pos, begin)
            following = data.find(b"<", begin + 1)  # past the piece: a piece may end right there
            closing = data.find(b">", begin + 1)
            if not _QNAME.fullmatch(_tag_name(data, begin)) and (closing < 0 or following == end < closing):
                # a "<" that starts no tag, right before a document's start tag ("<x:<ar:ApplicationResponse
                # ..."): stray markup, not a child
                pos = end if following < 0 else min(following, end)
                self._stray(begin, pos)
                continue
            after = _end_of_child(data, begin, end)
            reader = self._reader(begin, after if after is not None else end, count, first=False)
            with reader:
                for document in reader:
                    count += 1
                    yield document
            if not reader.failed:
                self.errors.extend(reader.errors)
                pos = after if after is not None else end
                continue
            failure = next((e for e in reader.errors if e.code in _BROKEN), None)
            stop = after if after is not None else end
            inside = next((at for at in self._starts_within(begin, stop)
                           if _after_an_end_tag(data, at) and self._reads_alone(at, stop)), None)
            if inside is not None:
                # a child that breaks and runs over a whole document (a comment or an end tag it never
                # closes) ends where that one starts, and it is read on its own; a start tag right
                # inside an element (ext:ExtensionContent) is a nested document, and remains of a
                # damaged tag that read as no document are part of the broken one
                stop = inside
            elif after is None and self.part.last and end == len(data) and _root_end(data, begin, end) < 0:
                self._truncated(begin, end, count, failure)
                return
            count += 1
            yield self._broken(begin, stop, count, failure)
            pos = stop

    def _line_at(self, offset: int) -> int:
        """The file's line at ``offset`` in the range; counted on from the last offset asked (recovery
        asks in ascending order, so taking a range apart stays linear)."""
        known, line = self._counted
        if offset < known:
            known, line = 0, self.part.line
        line += self.part.data.count(b"\n", known, offset)
        self._counted = (offset, line)
        return line

    def _stray(self, start: int, end: int) -> None:
        """Text between children that is neither white space, a comment nor a PI: a file-level error."""
        text = _ROOT_END.sub(b"", _MARKUP.sub(b"", self.part.data[start:end])).strip()
        if text:
            shown = text[:40].decode("utf-8", "replace")
            line = self._line_at(start + len(self.part.data[start:end]) - len(self.part.data[start:end].lstrip()))
            self.errors.append(Issue(ErrorCode.INVALID_XML.value, f"{self.context.name}, line {line}: the XML is "
                                     f"not well-formed: unexpected text {shown!r} between documents",
                                     rule="xml:not-well-formed", line=line, engine="ublbatch"))

    def _truncated(self, begin: int, end: int, count: int, failure: Issue | None) -> None:
        line = self._line_at(begin)
        tag = _tag_name(self.part.data, begin)
        said = _reason(failure)
        where = failure.line if failure is not None and failure.line else self._line_at(end)
        self.errors.append(Issue(ErrorCode.INVALID_XML.value, f"{self.context.name}, line {where}, in {tag} "
                                 f"#{count + 1} (from line {line}): the XML is not well-formed: {said}",
                                 rule="xml:not-well-formed", line=where, engine="libxml2"))

    def _broken(self, begin: int, end: int, index: int, failure: Issue | None) -> Document:
        data = self.part.data
        found_id, found_uuid = ids_in_text(data, begin, min(end, begin + _HEAD))
        said = _reason(failure)
        line = self._line_at(begin)
        issue = Issue(ErrorCode.INVALID_XML.value, f"The document is not well-formed XML: {said}",
                      rule="xml:not-well-formed", line=failure.line if failure is not None else line,
                      engine="libxml2")
        return Document(index, line, found_id, found_uuid, None, f"not well-formed XML: {said}", None, issue,
                        _tag_name(data, begin))

    def _reads_alone(self, at: int, end: int) -> bool:
        """Whether the child starting at ``at`` is well-formed on its own, ending before ``end``."""
        after = _end_of_child(self.part.data, at, end)
        if after is None:
            return False
        reader = self._reader(at, after, 0, first=False, errors=[])
        with reader:
            for _ in reader:
                pass
        return not reader.failed

    def _starts_within(self, begin: int, end: int) -> list[int]:
        """Offsets of document start tags after the one at ``begin`` and before ``end``, by text alone
        (inside comments too): where the documents a broken child runs over start."""
        names = b"|".join(re.escape(n) for n in document_names(self.context.kind))
        pattern = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:" + names + rb")[\s>/]")
        return [m.start() for m in pattern.finditer(self.part.data, begin + 1, end)]

    def _too_large(self) -> Document:
        part = self.part
        found_id, found_uuid = ids_in_text(part.data, 0, len(part.data))
        cap = self.context.max_document_bytes
        issue = Issue(ErrorCode.DOCUMENT_TOO_LARGE.value, f"Document too large: {part.size} bytes, more than "
                      f"the reading limit of {cap} bytes", rule="limit:document-bytes", line=part.line,
                      engine="ublbatch")
        return Document(self.before + 1, part.line, found_id, found_uuid, None,
                        f"larger than max_document_bytes={cap}", None, issue, _tag_name(part.data, 0))


_HEAD = 64 * 1024
_MARKUP = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.S)


def _reason(failure: Issue | None) -> str:
    if failure is None:
        return "not well-formed"
    text = failure.message.split(": the XML is not well-formed: ", 1)[-1]
    return re.sub(r", line [0-9]+, column [0-9]+$", "", text)


def _after_an_end_tag(data: bytes, at: int) -> bool:
    """Whether only white space separates ``at`` from an end tag before it (a sibling's place)."""
    i = at - 1
    while i >= 0 and data[i] in b" \t\r\n":
        i -= 1
    if i < 0 or data[i] != 0x3E:  # '>'
        return False
    opened = data.rfind(b"<", max(0, i - 512), i)
    return opened >= 0 and data.startswith(b"</", opened)


def _first_element(data: bytes, pos: int, end: int) -> int:
    """Where the next element's start tag begins, past white space, text, comments and PIs; -1 if none."""
    while True:
        at = data.find(b"<", pos, end)
        if at < 0:
            return -1
        if data.startswith(b"<!--", at):
            close = data.find(b"-->", at + 4, end)
            if close < 0:
                return -1
            pos = close + 3
        elif data.startswith(b"<?", at):
            close = data.find(b"?>", at + 2, end)
            if close < 0:
                return -1
            pos = close + 2
        elif data.startswith(b"</", at):
            pos = at + 2  # a stray end tag: part of what is broken, not a child
        else:
            return at


_QNAME = re.compile(r"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?")


def _tag_name(data: bytes, begin: int) -> str:
    found = re.match(rb"<([^\s/>]+)", data[begin:begin + 512])
    return found.group(1).decode("utf-8", "replace") if found else "?"


def _end_of_child(data: bytes, begin: int, end: int) -> int | None:
    """Just past the end tag that closes the child starting at ``begin``, or None. Elements of the same
    name nested inside it (an Invoice in an extension) are counted, so their end tags do not end it."""
    name = _tag_name(data, begin).encode()
    close = data.find(b">", begin, end)
    if close > 0 and data[close - 1] == 0x2F:  # an empty element: <foo/>
        return close + 1
    opener, closer = b"<" + name, b"</" + name
    depth, position = 1, close + 1 if close > 0 else begin + 1
    while True:
        shut = data.find(closer, position, end)
        if shut < 0:
            return None
        inner = data.find(opener, position, shut)
        while inner >= 0:  # start tags of the same name before that end tag
            after = inner + len(opener)
            stop = data.find(b">", after, end)
            if after < len(data) and data[after] in b" \t\r\n/>" and stop > 0 and data[stop - 1] != 0x2F:
                depth += 1
            inner = data.find(opener, after, shut)
        stop = data.find(b">", shut, end)
        if stop < 0:
            return None
        position = stop + 1
        if not data[shut + len(closer):stop].strip():
            depth -= 1
            if depth == 0:
                return position


_ROOT_END = re.compile(rb"</(?:ApplicationResponseBatch|RequestBatch)\s*>")


def _root_end(data: bytes, begin: int, end: int) -> int:
    """Where the root's end tag stands in data[begin:end], or -1."""
    found = _ROOT_END.search(data, begin, end)
    return found.start() if found else -1


_ID_TEXT = re.compile(rb"<(?:[\w.-]+:)?ID(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?ID\s*>", re.S)
_UUID_TEXT = re.compile(rb"<(?:[\w.-]+:)?UUID(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?UUID\s*>", re.S)
_AGGREGATE = re.compile(rb"<(?:[\w.-]+:)?[A-Z]\w*(?:Party|Response|Reference|Line|Period)[\s>]")
_CDATA = re.compile(rb"<!\[CDATA\[(.*?)\]\]>", re.S)
_ENTITY = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}


def ids_in_text(data: bytes, begin: int, end: int) -> tuple[str | None, str | None]:
    """A broken document's own ``cbc:ID`` and ``cbc:UUID`` read from its text, as string values."""
    first = data.find(b">", begin, end)
    aggregate = _AGGREGATE.search(data, first + 1 if first >= 0 else begin, end)
    own = data[begin:aggregate.start() if aggregate else end]  # its own ID/UUID come before any aggregate
    found_id, found_uuid = _ID_TEXT.search(own), _UUID_TEXT.search(own)
    return (_string_value(found_id.group(1)) if found_id else None,
            _string_value(found_uuid.group(1)) if found_uuid else None)


def _string_value(raw: bytes) -> str | None:
    parts: list[bytes] = []
    position = 0
    for section in _CDATA.finditer(raw):
        parts.append(_MARKUP.sub(b"", raw[position:section.start()]))
        parts.append(section.group(1).replace(b"&", b"&amp;"))
        position = section.end()
    parts.append(_MARKUP.sub(b"", raw[position:]))
    text = b"".join(parts)
    if b"<" in text:
        return None  # child elements: not a text leaf
    decoded = re.sub(rb"&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);", _entity, text).decode("utf-8", "replace")
    return decoded.strip() or None


def _entity(found: re.Match[bytes]) -> bytes:
    name = found.group(1)
    try:
        if name.startswith(b"#x"):
            return chr(int(name[2:], 16)).encode()
        if name.startswith(b"#"):
            return chr(int(name[1:])).encode()
    except (ValueError, OverflowError):
        return found.group(0)
    known = _ENTITY.get(name)
    return known.encode() if known else found.group(0)


def _sniff_kind(head: bytes) -> str | None:
    for root, kind in (("ApplicationResponseBatch", "response"), ("RequestBatch", "request")):
        if re.search(rb"<" + root.encode() + rb"[\s>/]", head[:HEAD_BYTES]):
            return kind
    return None


class _Pieces(io.RawIOBase):
    """A few byte strings read as one stream."""

    def __init__(self, *parts: bytes) -> None:
        self._parts = [p for p in parts if p]

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self._parts:
            return b""
        first = self._parts[0]
        if size < 0 or size >= len(first):
            return self._parts.pop(0)
        self._parts[0] = first[size:]
        return first[:size]


class _Chained(io.RawIOBase):
    """The head already read, then the rest of the stream (the one-pass path)."""

    def __init__(self, head: bytes, stream: IO[bytes], progress: list[int]) -> None:
        self._head = head
        self._stream = stream
        self._progress = progress

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        data = self._stream.read(size)
        if isinstance(data, bytes | bytearray | memoryview):
            self._progress[0] += len(data)
        return bytes(data)
