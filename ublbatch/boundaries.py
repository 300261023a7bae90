"""Where documents start in a batch file, found by text search and never trusted blindly.

The root's start tag is found in the file's first bytes (``read_prolog``). After it, ``Scanner``
looks for start tags whose local name is a document's (``ApplicationResponse``, ``Invoice``,
``CreditNote``) under any prefix or none, so documents written with the envelope's prefixes,
with their own default namespace or with a prefix of their own are all found; comments, CDATA
sections and processing instructions are stepped over. One pass, linear in the file's size.
These are candidates: the parser proves every cut (``engine``).
"""

from __future__ import annotations

import re

import attrs

from .names import DOCUMENTS, KINDS, split_tag

HEAD_BYTES = 1 << 20
"""The root's start tag must end within this many bytes of the file's start to cut the file."""

_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*)[\s>/]")
_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_FOLLOWERS = frozenset(b" \t\r\n>/")
_SPECIAL = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


@attrs.frozen
class Prolog:
    """What the first bytes of a batch file say: its kind and the root's start tag."""

    kind: str
    """``response`` or ``request``."""
    body_start: int
    """Offset just after the root's start tag."""
    wrapper: bytes
    """The root's start tag on one line: later ranges are parsed inside it."""


def read_prolog(head: bytes) -> Prolog | None:
    """The root's start tag, if the file can be cut: UTF-8 (or ASCII), no DOCTYPE, a batch root.

    Anything else is None and is read in one pass, where the reader reports what is wrong.
    """
    pos = 3 if head[:3] == b"\xef\xbb\xbf" else 0
    declared = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", head[pos:pos + 200])
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return None
    if head[pos:pos + 2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[pos:pos + 4]:
        return None  # UTF-16 and the like
    while True:
        while pos < len(head) and head[pos] in b" \t\r\n":
            pos += 1
        closer = next((c for o, c in _SPECIAL if head.startswith(o, pos) and o != b"<![CDATA["), None)
        if closer is None:
            break
        end = head.find(closer, pos)
        if end < 0:
            return None
        pos = end + len(closer)
    found = _ROOT_TAG.match(head, pos)
    if found is None:
        return None  # a DOCTYPE, text, or no element within the head
    kind = KINDS.get(found.group(1).decode("ascii", "replace"))
    if kind is None:
        return None
    quote = None
    for i in range(found.end() - 1, len(head)):
        byte = head[i]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in b"\"'":
            quote = byte
        elif byte == 0x3E:  # '>'
            if head[i - 1] == 0x2F:  # '/': an empty root, nothing to cut
                return None
            return Prolog(kind, i + 1, head[pos:i + 1].replace(b"\r", b" ").replace(b"\n", b" "))
    return None


def document_names(kind: str) -> tuple[bytes, ...]:
    """The local names of the documents a batch of ``kind`` carries, as bytes."""
    return tuple(split_tag(tag)[1].encode() for tag in DOCUMENTS[kind])


class Scanner:
    """Finds document start tags in a byte stream, outside comments, CDATA sections and PIs.

    Feed it the same growing buffer (``scan``) and it keeps its place and whether it stands inside
    a comment (or CDATA section, or PI) between calls; ``rebase`` when the buffer's front is dropped.
    """

    GUARD = 256
    """Bytes left unscanned at the end of a buffer that may still grow (a tag may be cut there)."""

    def __init__(self, names: tuple[bytes, ...], position: int = 0) -> None:
        self._names = names
        self.position = position
        self._closing: bytes | None = None
        self._clear = position  # no comment, CDATA section or PI opens before this offset

    def skip_to(self, position: int) -> None:
        """Go on from ``position``, known to stand outside any comment, CDATA section or PI."""
        self.position = self._clear = position
        self._closing = None

    def rebase(self, dropped: int) -> None:
        """The buffer lost its first ``dropped`` bytes."""
        self.position -= dropped
        self._clear -= dropped

    def scan(self, data: bytes | bytearray, final: bool) -> list[int]:
        """Candidate offsets in ``data`` from where the last call stopped; all of it when ``final``."""
        limit = len(data) if final else max(self.position, len(data) - self.GUARD)
        found: list[int] = []
        pos = self.position
        special = self._next_special(data, pos, limit)
        while pos < limit:
            if self._closing is not None:
                end = data.find(self._closing, pos)
                if end < 0 or end >= limit:
                    pos = max(pos, limit - len(self._closing) + 1)
                    break
                pos, self._closing = end + len(self._closing), None
                special = self._next_special(data, pos, limit)
                continue
            stop = special[0] if special is not None else limit
            found.extend(self._names_between(data, pos, stop))
            if special is None:
                pos = limit
                break
            pos, self._closing = special[0] + 2, special[1]
        self.position = pos
        return found

    def _names_between(self, data: bytes | bytearray, pos: int, stop: int) -> list[int]:
        """Every document start tag whose "<" stands in [pos, stop), a stretch free of comments, CDATA
        sections and PIs: one ``find`` per occurrence of a name, nothing else done per byte."""
        found: list[int] = []
        find, size = data.find, len(data)
        for name in self._names:
            width = len(name)
            at = find(name, pos + 1, stop)
            while at >= 0:
                before = data[at - 1]
                if before == 0x3C:  # '<'
                    start: int | None = at - 1
                else:
                    start = _tag_start(data, at, pos) if before == 0x3A else None  # ':' (a prefix)
                if start is not None and start >= pos and at + width < size and data[at + width] in _FOLLOWERS:
                    found.append(start)
                at = find(name, at + width, stop)
        if len(self._names) > 1:
            found.sort()
        return found

    def _next_special(self, data: bytes | bytearray, pos: int, limit: int) -> tuple[int, bytes] | None:
        """The next comment, CDATA section or PI; the stretch found free of them is not searched again."""
        best: tuple[int, bytes] | None = None
        start = max(pos, self._clear)
        for opener, closer in _SPECIAL:
            at = data.find(opener, start, limit)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, closer)
        if best is None:
            self._clear = max(self._clear, limit - len(_SPECIAL[1][0]))
        return best


def _tag_start(data: bytes | bytearray, at: int, floor: int) -> int | None:
    """Where the start tag holding the name at ``at`` begins (``<name`` or ``<prefix:name``), if it is one."""
    before = data[at - 1]
    if before == 0x3C:  # '<'
        return at - 1
    if before != 0x3A:  # ':'
        return None
    i = at - 2
    while i >= floor and data[i] in _NAME_CHARS:
        i -= 1
    if i < floor or data[i] != 0x3C or i == at - 2:
        return None
    return i


def follows_a_child(data: bytes | bytearray, at: int, names: tuple[bytes, ...]) -> bool:
    """Whether the start tag at ``at`` comes right after a root child: after white space only, the
    end tag of a document (or of ``FileStatus``, the header's last). A document's name nested inside
    another (an ApplicationResponse in ext:ExtensionContent) is a candidate for recovery, never a cut,
    unless it too comes right after such an end tag."""
    i = at - 1
    while i >= 0 and data[i] in b" \t\r\n":
        i -= 1
    if i < 1 or data[i] != 0x3E:  # '>'
        return False
    opened = data.rfind(b"</", max(0, i - 512), i)
    if opened < 0:
        return False
    name = bytes(data[opened + 2:i]).strip()
    if not name or b"<" in name or b">" in name:
        return False
    local = name.rsplit(b":", 1)[-1]
    return local in names or local == b"FileStatus"


def next_cut(data: bytes | bytearray, begin: int, end: int, names: tuple[bytes, ...]) -> int | None:
    """The first document start tag in data[begin:end] that ``follows_a_child``, found without
    scanning what lies before ``begin``: the caller makes sure no comment, CDATA section or PI
    stands open there (``free_of_markup``). None if there is none."""
    best: int | None = None
    for name in names:
        width = len(name)
        at = data.find(name, begin + 1, end)
        while at >= 0 and (best is None or at < best):
            start = _tag_start(data, at, begin)
            if start is not None and at + width < len(data) and data[at + width] in _FOLLOWERS \
                    and follows_a_child(data, start, names):
                best = start
                break
            at = data.find(name, at + width, end)
    return best


_MARKUP_HITS = 64


def free_of_markup(data: bytes | bytearray, begin: int, end: int) -> bool:
    """Whether data[begin:end] opens no comment, CDATA section or PI ("<!", "<?").

    "!" and "?" are rare in business documents, so each is looked for on its own (memchr speed)
    and its neighbour checked; where they are common, "<!" and "<?" are searched whole instead.
    """
    for mark, opener in ((0x21, b"<!"), (0x3F, b"<?")):
        byte = bytes((mark,))
        at, hits = data.find(byte, begin + 1, end), 0
        while at >= 0:
            if data[at - 1] == 0x3C:  # '<'
                return False
            hits += 1
            if hits == _MARKUP_HITS:
                if data.find(opener, at, end) >= 0:
                    return False
                break
            at = data.find(byte, at + 1, end)
    return True
