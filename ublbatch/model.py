"""A typed model of the UBL 2.4 ApplicationResponse, lossless both ways.

The classes cover what Google's interface uses and the UBL parts around it. Everything else in a
document (extensions, signatures, the rarer UBL elements) is kept as ``Extra``: the element's XML
and its place in the parent's UBL sequence, so ``to_xml(from_xml(x))`` gives back equivalent XML
for any valid document, with the elements in UBL order.

String leaves are ``Value`` objects: plain ``str`` that also carry the element's attributes
(``schemeID``, ``listID``, ``languageID``, ...), so ``doc.id == "AR-1"`` works and nothing is lost.
Dates and times are ``datetime.date`` and ``datetime.time`` values; a time keeps its offset.
"""

from __future__ import annotations

import base64
import binascii
import copy as copy_module
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import attrs
from lxml import etree

from ._parsing import safe_parser
from .codes import StatusReasonCode
from .names import AR, CAC, CBC, EXT, prefixed

NSMAP = {"ar": AR, "cac": CAC, "cbc": CBC, "ext": EXT}
"""The prefixes every element ublbatch writes uses, declared once on the batch root."""

_SAFE = safe_parser()

Attributes = tuple[tuple[str, str], ...]


class Value(str):
    """A text leaf: a ``str`` with the element's attributes (Clark names, in document order)."""

    attributes: Attributes

    def __new__(cls, value: str, attributes: Mapping[str, str] | Attributes = ()) -> Value:
        self = super().__new__(cls, value)
        self.attributes = tuple(attributes.items()) if isinstance(attributes, Mapping) else tuple(attributes)
        return self

    def attribute(self, name: str) -> str | None:
        """The value of attribute ``name`` (Clark notation for a namespaced one), or None."""
        return next((v for k, v in self.attributes if k == name), None)

    @property
    def scheme_id(self) -> str | None:
        """``schemeID``: which identifier scheme the value belongs to (e.g. ``GoogleInvoiceNumber``)."""
        return self.attribute("schemeID")

    @property
    def list_id(self) -> str | None:
        """``listID``: which code list the value comes from."""
        return self.attribute("listID")

    @property
    def language_id(self) -> str | None:
        """``languageID``: the language of the text."""
        return self.attribute("languageID")

    def __repr__(self) -> str:
        text = super().__repr__()
        return f"Value({text}, {dict(self.attributes)!r})" if self.attributes else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (Value, (str(self), self.attributes))


def value(text: str | None, **attributes: str | None) -> Value | None:
    """``value("4512", schemeID="GoogleInvoiceNumber")``: a leaf with attributes, or None."""
    return None if text is None else Value(text, {k: v for k, v in attributes.items() if v is not None})


class ZonedDate(dt.date):
    """An ``xsd:date`` with a timezone (``2024-01-15+05:30``): a ``date`` that remembers it."""

    zone: str

    def __new__(cls, year: int, month: int, day: int, zone: str = "") -> ZonedDate:
        self = super().__new__(cls, year, month, day)
        self.zone = zone
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (ZonedDate, (self.year, self.month, self.day, self.zone))


def _pairs(raw: Iterable[tuple[str, str]]) -> Attributes:
    return tuple(raw)


@attrs.frozen
class BinaryObject:
    """``cbc:EmbeddedDocumentBinaryObject``: decoded bytes and their attributes."""

    data: bytes
    mime_code: str
    filename: str | None = None
    attributes: Attributes = attrs.field(default=(), converter=_pairs)
    """Other attributes (``encodingCode``, ``characterSetCode``, ``format``, ``uri``)."""


@attrs.frozen
class Extra:
    """A child element the model does not cover, or stray text, kept to be written back in place."""

    position: int
    """Index in the parent's UBL sequence where it stands (-1: before any known element)."""
    xml: bytes
    """The element, serialised on its own (empty for stray text)."""
    text: str | None = None
    """Character data found among the children, as written (``xml`` is then empty). UBL aggregates
    allow none; one of Google's examples has some in ``cac:Response``. Keeping it here instead of
    keeping the whole aggregate as XML lets the model still read what the aggregate says."""

    @classmethod
    def stray(cls, position: int, text: str) -> Extra:
        """Stray character data at ``position``."""
        return cls(position, b"", text)

    @property
    def tag(self) -> str:
        """The kept element's name in Clark notation, to tell extras apart (``#text`` for stray text)."""
        if self.text is not None:
            return "#text"
        return str(etree.fromstring(self.xml, _SAFE).tag)


# -- lexical forms --------------------------------------------------------------------------

_DATE = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?$")
_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")
_UTC_Z = dt.timezone(dt.timedelta(0), "Z")


def parse_date(text: str) -> dt.date:
    """An ``xsd:date`` as a ``date``; one with a timezone becomes a ``ZonedDate`` that keeps it."""
    match = _DATE.match(text.strip())
    if match is None:
        raise ValueError(f"not an xsd:date: {text!r}")
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    return ZonedDate(year, month, day, match[4]) if match[4] else dt.date(year, month, day)


def format_date(value: dt.date) -> str:
    """The ``xsd:date`` text of a date, with the timezone a ``ZonedDate`` kept."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}{getattr(value, 'zone', '')}"


def parse_time(text: str) -> dt.time:
    """An ``xsd:time`` as a ``time``, with its offset (``Z`` kept as such); at most microseconds."""
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(f"not an xsd:time: {text!r}")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    fraction = match[4] or ""
    if len(fraction.rstrip("0")) > 6:
        raise ValueError(f"more precision than microseconds: {text!r}")
    micro = int((fraction + "000000")[:6]) if fraction else 0
    zone = match[5]
    tz: dt.tzinfo | None = None
    if zone == "Z":
        tz = _UTC_Z
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return dt.time(hour, minute, second, micro, tzinfo=tz)


def format_time(value: dt.time) -> str:
    """The ``xsd:time`` text of a time: fractions only when present, ``Z`` or the offset as it was."""
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset()
    if offset is not None:
        if value.tzinfo is not None and value.tzinfo.tzname(None) == "Z":
            text += "Z"
        else:
            minutes = int(offset.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text


# -- the generic mechanism: each class declares its UBL sequence and which parts it models ----


@attrs.frozen
class _Part:
    """A modelled child: field ``name`` holds element ``tag`` of ``kind``."""

    name: str
    tag: str
    kind: Any  # "text" | "date" | "time" | "binary" | ("wrap", inner tag) | a model class
    many: bool = False


_M = TypeVar("_M", bound="_Aggregate")


_LAYOUTS: dict[type[_Aggregate], tuple[dict[str, int], dict[str, _Part]]] = {}


def _layout(cls: type[_Aggregate]) -> tuple[dict[str, int], dict[str, _Part]]:
    """Each class's place of every tag in its UBL sequence and its parts by tag, built once."""
    found = _LAYOUTS.get(cls)
    if found is None:
        found = _LAYOUTS[cls] = ({tag: i for i, tag in enumerate(cls.ORDER)},
                                              {p.tag: p for p in cls.PARTS})
    return found


class _Aggregate:
    """Shared behaviour of the model classes (each is an attrs class with an ``extras`` field)."""

    TAG: ClassVar[str]
    ORDER: ClassVar[tuple[str, ...]]
    PARTS: ClassVar[tuple[_Part, ...]]

    extras: tuple[Extra, ...]

    @classmethod
    def from_element(cls: type[_M], element: etree._Element) -> _M:
        """Read ``element`` (any prefixes) into the model; what it does not cover goes to ``extras``."""
        positions, parts = _layout(cls)
        found: dict[str, Any] = {p.name: [] for p in cls.PARTS if p.many}
        extras: list[Extra] = []
        spilled: set[str] = set()  # once one of a repeated element is an extra, the later ones are too
        last = -1
        if (element.text or "").strip():
            extras.append(Extra.stray(-1, element.text or ""))
        for child in element:
            if (child.tail or "").strip():  # after this child: kept once the child is placed
                tail: Extra | None = Extra.stray(-2, child.tail or "")
            else:
                tail = None
            if not isinstance(child.tag, str):
                if tail is not None:
                    extras.append(attrs.evolve(tail, position=last))
                continue  # comments and processing instructions are not content
            position = positions.get(child.tag, last)
            last = max(last, position)
            part = parts.get(child.tag)
            fits = part is not None and (part.many or part.name not in found) and child.tag not in spilled
            parsed = _read(part, child) if fits and part is not None else _NO
            if parsed is _NO:
                spilled.add(child.tag)  # extras come back after the named items of their place: order kept
                extras.append(Extra(position, _serialise(child)))
            elif part is not None and part.many:
                found[part.name].append(parsed)
            elif part is not None:
                found[part.name] = parsed
            if tail is not None:
                extras.append(attrs.evolve(tail, position=position))
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in found.items()}
        return cls(**values, extras=tuple(extras))  # type: ignore[call-arg]  # attrs subclasses

    def to_element(self, parent: etree._Element | None = None) -> etree._Element:
        """This object as an element in the fixed prefixes (a new root, or a child of ``parent``)."""
        element = (etree.SubElement(parent, self.TAG) if parent is not None
                   else etree.Element(self.TAG, nsmap=NSMAP))
        placed: dict[int, list[Extra]] = {}
        for extra in self.extras:
            placed.setdefault(extra.position, []).append(extra)
        parts = _layout(type(self))[1]
        for extra in placed.get(-1, ()):
            _place(extra, element)
        for position, tag in enumerate(self.ORDER):
            part = parts.get(tag)
            if part is not None:
                current = getattr(self, part.name)
                for item in (current if part.many else () if current is None else (current,)):
                    _write(part, item, element)
            for extra in placed.get(position, ()):
                _place(extra, element)
        if parent is None:
            etree.cleanup_namespaces(element, keep_ns_prefixes=list(NSMAP))
        return element

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: leaves as strings (with ``attributes`` where present)."""
        out: dict[str, Any] = {}
        for part in self.PARTS:
            current = getattr(self, part.name)
            if part.many:
                if current:
                    out[part.name] = [_to_json(part, item) for item in current]
            elif current is not None:
                out[part.name] = _to_json(part, current)
        if self.extras:
            out["_extra"] = [{"position": e.position, "text": e.text} if e.text is not None
                             else {"position": e.position, "xml": e.xml.decode("utf-8")} for e in self.extras]
        return out

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build the object back from ``to_dict()``'s data; unknown keys are an error, not ignored."""
        values: dict[str, Any] = {}
        for part in cls.PARTS:
            if part.name in data and data[part.name] is not None:
                raw = data[part.name]
                values[part.name] = (tuple(_from_json(part, item) for item in raw) if part.many
                                     else _from_json(part, raw))
        extras = tuple(_extra(cls, e) for e in data.get("_extra", ()))
        unknown = set(data) - {p.name for p in cls.PARTS} - {"_extra"}
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
        return cls(**values, extras=extras)  # type: ignore[call-arg]  # attrs subclasses


def _place(extra: Extra, element: etree._Element) -> None:
    """Write ``extra`` as the last content of ``element`` so far: an element, or text after the last child."""
    if extra.text is None:
        element.append(etree.fromstring(extra.xml, _SAFE))
    elif len(element):
        last = element[-1]
        last.tail = (last.tail or "") + extra.text
    else:
        element.text = (element.text or "") + extra.text


class _NoValue:
    pass


_NO: Any = _NoValue()


def _extra(cls: type[_Aggregate], data: Mapping[str, Any]) -> Extra:
    """An ``_extra`` entry from JSON, which may come from anywhere: one element, no DOCTYPE, no
    entity, at a place the class has (an entry that fits nowhere would be dropped on writing)."""
    position, xml, text = data.get("position"), data.get("xml"), data.get("text")
    if not isinstance(position, int) or isinstance(position, bool) or not -1 <= position < len(cls.ORDER):
        raise ValueError(f"{cls.__name__}: _extra position {position!r} is not one of -1..{len(cls.ORDER) - 1}")
    if text is not None or "text" in data:
        if not isinstance(text, str) or xml is not None:
            raise ValueError(f"{cls.__name__}: _extra text must be a string, without xml beside it")
        try:
            etree.Element("text").text = text
        except ValueError as exc:
            raise ValueError(f"{cls.__name__}: _extra text is not XML character data: {exc}") from None
        return Extra.stray(position, text)
    if not isinstance(xml, str):
        raise ValueError(f"{cls.__name__}: _extra xml must be a string")
    raw = xml.encode("utf-8")
    try:
        element = etree.fromstring(raw, _SAFE)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{cls.__name__}: _extra xml is not one well-formed element: {exc}") from exc
    if element.getroottree().docinfo.doctype or any(
            isinstance(node, etree._Entity) for node in element.iter(etree.Entity)):
        raise ValueError(f"{cls.__name__}: _extra xml may not carry a DOCTYPE or entities")
    return Extra(position, raw)


def _serialise(element: etree._Element) -> bytes:
    """An Extra's bytes, the same whatever the source's prefixes and indentation were.

    The copy is placed under the fixed prefixes (lxml then reuses them) and loses the white space
    between elements, which UBL's element-only content makes insignificant; leaf text is kept.
    """
    holder = etree.Element("holder", nsmap=NSMAP)
    copy = copy_module.deepcopy(element)
    copy.tail = None
    holder.append(copy)
    for node in copy.iter():
        if len(node):
            if node.text is not None and not node.text.strip():
                node.text = None
            for child in node:
                if child.tail is not None and not child.tail.strip():
                    child.tail = None
    etree.cleanup_namespaces(holder)
    data: bytes = etree.tostring(copy, encoding="utf-8", with_tail=False)
    return data.split(b"?>", 1)[1].lstrip() if data.startswith(b"<?xml") else data


def _read(part: _Part, element: etree._Element) -> Any:
    """The field value of ``element``, or ``_NO`` when it does not fit the model (kept as Extra)."""
    kind = part.kind
    if isinstance(kind, type) and issubclass(kind, _Aggregate):
        return kind.from_element(element) if not element.attrib else _NO  # stray text: kept as an Extra
    if isinstance(kind, tuple):  # ("wrap", inner): an aggregate that only wraps one leaf
        children = [c for c in element if isinstance(c.tag, str)]
        stray = (element.text or "").strip() or any((c.tail or "").strip() for c in element)
        if element.attrib or stray or len(children) != 1 or children[0].tag != kind[1] or len(children[0]):
            return _NO  # kept whole, as written
        return _read(_Part(part.name, kind[1], "text"), children[0])
    if len(element) or (element.text is None and kind in ("date", "time")):
        return _NO
    text = element.text or ""
    try:
        if kind == "date":
            return _NO if element.attrib else parse_date(text)
        if kind == "time":
            return _NO if element.attrib else parse_time(text)
        if kind == "binary":
            attributes = dict(element.attrib)
            mime = attributes.pop("mimeCode", None)
            if mime is None:
                return _NO
            filename = attributes.pop("filename", None)
            return BinaryObject(base64.b64decode("".join(text.split()), validate=True), mime, filename,
                                tuple(attributes.items()))
    except (ValueError, binascii.Error):
        return _NO
    leaf = Value(text, dict(element.attrib))
    if kind == "reason_code" and not leaf.attributes:
        try:
            return StatusReasonCode(text)
        except ValueError:
            return leaf
    return leaf


def _write(part: _Part, item: Any, parent: etree._Element) -> None:
    kind = part.kind
    if isinstance(kind, type) and issubclass(kind, _Aggregate):
        item.to_element(parent)
        return
    if isinstance(kind, tuple):
        parent = etree.SubElement(parent, part.tag)
        tag = kind[1]
    else:
        tag = part.tag
    element = etree.SubElement(parent, tag)
    if kind == "date":
        element.text = format_date(item)
    elif kind == "time":
        element.text = format_time(item)
    elif kind == "binary":
        element.set("mimeCode", item.mime_code)
        if item.filename is not None:
            element.set("filename", item.filename)
        for name, val in item.attributes:
            element.set(name, val)
        element.text = base64.b64encode(item.data).decode("ascii")
    else:
        for name, val in getattr(item, "attributes", ()):
            element.set(name, val)
        element.text = str(item.value) if isinstance(item, StatusReasonCode) else str(item)


def _to_json(part: _Part, item: Any) -> Any:
    kind = part.kind
    if isinstance(kind, type) and issubclass(kind, _Aggregate):
        return item.to_dict()
    if kind == "date":
        return format_date(item)
    if kind == "time":
        return format_time(item)
    if kind == "binary":
        out = {"data": base64.b64encode(item.data).decode("ascii"), "mime_code": item.mime_code}
        if item.filename is not None:
            out["filename"] = item.filename
        if item.attributes:
            out["attributes"] = dict(item.attributes)
        return out
    text = str(item.value) if isinstance(item, StatusReasonCode) else str(item)
    attributes = getattr(item, "attributes", ())
    return {"value": text, "attributes": dict(attributes)} if attributes else text


def _from_json(part: _Part, raw: Any) -> Any:
    kind = part.kind
    if isinstance(kind, type) and issubclass(kind, _Aggregate):
        return kind.from_dict(raw)
    if kind == "date":
        return parse_date(raw)
    if kind == "time":
        return parse_time(raw)
    if kind == "binary":
        return BinaryObject(base64.b64decode(raw["data"]), raw["mime_code"], raw.get("filename"),
                            tuple(raw.get("attributes", {}).items()))
    if isinstance(raw, Mapping):
        return _leaf(raw["value"], raw.get("attributes", {}), kind)
    return _leaf(raw, {}, kind)


def _leaf(text: str, attributes: Mapping[str, str], kind: Any) -> Any:
    if kind == "reason_code" and not attributes:
        try:
            return StatusReasonCode(text)
        except ValueError:
            pass
    return Value(text, attributes)


# -- converters: accept plain Python values where the model stores richer ones ---------------


def _opt_value(raw: Any) -> Value | None:
    if raw is None or isinstance(raw, Value):
        return raw
    return Value(str(raw))


def _values(raw: Iterable[Any] | str | None) -> tuple[Value, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = (raw,)
    return tuple(item if isinstance(item, Value) else Value(str(item)) for item in raw)


def _reason(raw: Any) -> StatusReasonCode | Value | None:
    if raw is None or isinstance(raw, StatusReasonCode | Value):
        return raw
    return _leaf(str(raw), {}, "reason_code")  # type: ignore[no-any-return]


def _tuple(raw: Iterable[Any] | None) -> tuple[Any, ...]:
    return () if raw is None else tuple(raw)


def _ext(tag: str) -> str:
    return f"{{{EXT}}}{tag}"


def _cbc(tag: str) -> str:
    return f"{{{CBC}}}{tag}"


def _cac(tag: str) -> str:
    return f"{{{CAC}}}{tag}"


def _order(*names: str) -> tuple[str, ...]:
    """UBL sequence from ``prefix:Name`` strings (facts from the UBL 2.4 schemas)."""
    spaces = {"cbc": CBC, "cac": CAC, "ext": EXT}
    return tuple(f"{{{spaces[n.split(':')[0]]}}}{n.split(':')[1]}" for n in names)


# -- the classes ------------------------------------------------------------------------------


@attrs.frozen
class ExternalReference(_Aggregate):
    """``cac:ExternalReference``: where the invoice file is (URI, format, file name)."""

    TAG: ClassVar[str] = _cac("ExternalReference")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:URI", "cbc:DocumentHash", "cbc:HashAlgorithmMethod", "cbc:ExpiryDate",
        "cbc:ExpiryTime", "cbc:MimeCode", "cbc:FormatCode", "cbc:EncodingCode", "cbc:CharacterSetCode",
        "cbc:FileName", "cbc:Description")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("uri", _cbc("URI"), "text"), _Part("mime_code", _cbc("MimeCode"), "text"),
        _Part("format_code", _cbc("FormatCode"), "text"), _Part("file_name", _cbc("FileName"), "text"))

    uri: Value | None = attrs.field(default=None, converter=_opt_value)
    mime_code: Value | None = attrs.field(default=None, converter=_opt_value)
    format_code: Value | None = attrs.field(default=None, converter=_opt_value)
    file_name: Value | None = attrs.field(default=None, converter=_opt_value)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class Attachment(_Aggregate):
    """``cac:Attachment``: an external reference or an embedded binary object."""

    TAG: ClassVar[str] = _cac("Attachment")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:EmbeddedDocumentBinaryObject", "cbc:EmbeddedDocument", "cac:ExternalReference")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("embedded", _cbc("EmbeddedDocumentBinaryObject"), "binary"),
        _Part("external_reference", _cac("ExternalReference"), ExternalReference))

    embedded: BinaryObject | None = None
    external_reference: ExternalReference | None = None
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class DocumentReference(_Aggregate):
    """``cac:DocumentReference``: the invoice a response is about (Google's invoice number in ``id``)."""

    TAG: ClassVar[str] = _cac("DocumentReference")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:ID", "cbc:CopyIndicator", "cbc:UUID", "cbc:IssueDate", "cbc:IssueTime",
        "cbc:DocumentTypeCode", "cbc:DocumentType", "cbc:XPath", "cbc:LanguageID", "cbc:LocaleCode",
        "cbc:VersionID", "cbc:DocumentStatusCode", "cbc:DocumentDescription", "cac:Attachment",
        "cac:ValidityPeriod", "cac:IssuerParty", "cac:ResultOfVerification")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("id", _cbc("ID"), "text"), _Part("uuid", _cbc("UUID"), "text"),
        _Part("issue_date", _cbc("IssueDate"), "date"), _Part("issue_time", _cbc("IssueTime"), "time"),
        _Part("document_type_code", _cbc("DocumentTypeCode"), "text"),
        _Part("document_types", _cbc("DocumentType"), "text", many=True),
        _Part("attachment", _cac("Attachment"), Attachment))

    id: Value | None = attrs.field(default=None, converter=_opt_value)
    uuid: Value | None = attrs.field(default=None, converter=_opt_value)
    issue_date: dt.date | None = None
    issue_time: dt.time | None = None
    document_type_code: Value | None = attrs.field(default=None, converter=_opt_value)
    document_types: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    attachment: Attachment | None = None
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)

    @property
    def document_type(self) -> Value | None:
        """The first ``cbc:DocumentType``, the one Google's files carry."""
        return self.document_types[0] if self.document_types else None


@attrs.frozen
class Status(_Aggregate):
    """``cac:Status``: the status reason code (Google's list where it applies) and its text."""

    TAG: ClassVar[str] = _cac("Status")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:ConditionCode", "cbc:ReferenceDate", "cbc:ReferenceTime", "cbc:Description",
        "cbc:StatusReasonCode", "cbc:StatusReason", "cbc:SequenceID", "cbc:Text", "cbc:IndicationIndicator",
        "cbc:Percent", "cbc:ReliabilityPercent", "cac:SubStatus", "cac:Condition")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("condition_code", _cbc("ConditionCode"), "text"),
        _Part("descriptions", _cbc("Description"), "text", many=True),
        _Part("reason_code", _cbc("StatusReasonCode"), "reason_code"),
        _Part("reasons", _cbc("StatusReason"), "text", many=True))

    reason_code: StatusReasonCode | Value | None = attrs.field(default=None, converter=_reason)
    reasons: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    condition_code: Value | None = attrs.field(default=None, converter=_opt_value)
    descriptions: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)

    @property
    def reason(self) -> Value | None:
        """The first ``cbc:StatusReason``: the text that goes with the code."""
        return self.reasons[0] if self.reasons else None


@attrs.frozen
class Response(_Aggregate):
    """``cac:Response``: the tax authority's reference and the statuses."""

    TAG: ClassVar[str] = _cac("Response")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:ReferenceID", "cbc:ResponseCode", "cbc:Description", "cbc:EffectiveDate",
        "cbc:EffectiveTime", "cac:Status")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("reference_id", _cbc("ReferenceID"), "text"), _Part("response_code", _cbc("ResponseCode"), "text"),
        _Part("descriptions", _cbc("Description"), "text", many=True),
        _Part("effective_date", _cbc("EffectiveDate"), "date"),
        _Part("effective_time", _cbc("EffectiveTime"), "time"),
        _Part("statuses", _cac("Status"), Status, many=True))

    reference_id: Value | None = attrs.field(default=None, converter=_opt_value)
    response_code: Value | None = attrs.field(default=None, converter=_opt_value)
    descriptions: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    effective_date: dt.date | None = None
    effective_time: dt.time | None = None
    statuses: tuple[Status, ...] = attrs.field(default=(), converter=_tuple)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)

    @property
    def description(self) -> Value | None:
        """The first ``cbc:Description``."""
        return self.descriptions[0] if self.descriptions else None


@attrs.frozen
class LineReference(_Aggregate):
    """``cac:LineReference``: the line of the referenced document a line response is about."""

    TAG: ClassVar[str] = _cac("LineReference")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:LineID", "cbc:UUID", "cbc:LineStatusCode", "cac:DocumentReference")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("line_id", _cbc("LineID"), "text"), _Part("uuid", _cbc("UUID"), "text"),
        _Part("line_status_code", _cbc("LineStatusCode"), "text"),
        _Part("document_reference", _cac("DocumentReference"), DocumentReference))

    line_id: Value | None = attrs.field(default=None, converter=_opt_value)
    uuid: Value | None = attrs.field(default=None, converter=_opt_value)
    line_status_code: Value | None = attrs.field(default=None, converter=_opt_value)
    document_reference: DocumentReference | None = None
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class LineResponse(_Aggregate):
    """``cac:LineResponse``: responses about one line."""

    TAG: ClassVar[str] = _cac("LineResponse")
    ORDER: ClassVar[tuple[str, ...]] = _order("ext:UBLExtensions", "cac:LineReference", "cac:Response")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("line_reference", _cac("LineReference"), LineReference),
        _Part("responses", _cac("Response"), Response, many=True))

    line_reference: LineReference | None = None
    responses: tuple[Response, ...] = attrs.field(default=(), converter=_tuple)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class DocumentResponse(_Aggregate):
    """``cac:DocumentResponse``: the response and the documents it refers to."""

    TAG: ClassVar[str] = _cac("DocumentResponse")
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cac:Response", "cac:DocumentReference", "cac:IssuerParty", "cac:RecipientParty",
        "cac:LineResponse")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("response", _cac("Response"), Response),
        _Part("document_references", _cac("DocumentReference"), DocumentReference, many=True),
        _Part("line_responses", _cac("LineResponse"), LineResponse, many=True))

    response: Response | None = None
    document_references: tuple[DocumentReference, ...] = attrs.field(default=(), converter=_tuple)
    line_responses: tuple[LineResponse, ...] = attrs.field(default=(), converter=_tuple)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)


_PARTY_ORDER = _order(
    "ext:UBLExtensions", "cbc:MarkCareIndicator", "cbc:MarkAttentionIndicator", "cbc:WebsiteURI",
    "cbc:LogoReferenceID", "cbc:EndpointID", "cbc:IndustryClassificationCode", "cac:PartyIdentification",
    "cac:PartyName", "cac:Language", "cac:PostalAddress", "cac:PhysicalLocation", "cac:PartyTaxScheme",
    "cac:PartyLegalEntity", "cac:Contact", "cac:Person", "cac:AgentParty", "cac:ServiceProviderParty",
    "cac:PowerOfAttorney", "cac:PartyAuthorization", "cac:FinancialAccount", "cac:AdditionalWebSite",
    "cac:SocialMediaProfile")
_PARTY_PARTS = (
    _Part("endpoint_id", _cbc("EndpointID"), "text"),
    _Part("identifiers", _cac("PartyIdentification"), ("wrap", _cbc("ID")), many=True),
    _Part("names", _cac("PartyName"), ("wrap", _cbc("Name")), many=True))


@attrs.frozen
class Party(_Aggregate):
    """A party: its names, endpoint and identifiers. Set ``TAG`` through ``SenderParty``/``ReceiverParty``."""

    TAG: ClassVar[str] = _cac("Party")
    ORDER: ClassVar[tuple[str, ...]] = _PARTY_ORDER
    PARTS: ClassVar[tuple[_Part, ...]] = _PARTY_PARTS

    names: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    endpoint_id: Value | None = attrs.field(default=None, converter=_opt_value)
    identifiers: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)

    @property
    def name(self) -> Value | None:
        """The first party name: the vendor or Google, in Google's files."""
        return self.names[0] if self.names else None


@attrs.frozen
class SenderParty(Party):
    """``cac:SenderParty``: the vendor, in Google's files."""

    TAG: ClassVar[str] = _cac("SenderParty")


@attrs.frozen
class ReceiverParty(Party):
    """``cac:ReceiverParty``: Google, in Google's files."""

    TAG: ClassVar[str] = _cac("ReceiverParty")


def _sender(raw: Any) -> SenderParty | None:
    return _party(raw, SenderParty)  # type: ignore[return-value]


def _receiver(raw: Any) -> ReceiverParty | None:
    return _party(raw, ReceiverParty)  # type: ignore[return-value]


def _party(raw: Any, cls: type[Party]) -> Party | None:
    if raw is None or type(raw) is cls:
        return raw
    if isinstance(raw, str):
        return cls(names=(raw,))
    if isinstance(raw, Party):
        return cls(raw.names, raw.endpoint_id, raw.identifiers, raw.extras)
    raise TypeError(f"a party must be a Party or a name, not {type(raw).__name__}")


@attrs.frozen
class ApplicationResponse(_Aggregate):
    """``ar:ApplicationResponse``: one response in a batch. ``uuid`` is Google's Vendor Request ID."""

    TAG: ClassVar[str] = f"{{{AR}}}ApplicationResponse"
    ORDER: ClassVar[tuple[str, ...]] = _order(
        "ext:UBLExtensions", "cbc:UBLVersionID", "cbc:CustomizationID", "cbc:ProfileID", "cbc:ProfileExecutionID",
        "cbc:ID", "cbc:UUID", "cbc:IssueDate", "cbc:IssueTime", "cbc:ResponseDate", "cbc:ResponseTime",
        "cbc:Note", "cbc:VersionID", "cac:Signature", "cac:SenderParty", "cac:ReceiverParty",
        "cac:DocumentResponse")
    PARTS: ClassVar[tuple[_Part, ...]] = (
        _Part("ubl_version_id", _cbc("UBLVersionID"), "text"),
        _Part("customization_id", _cbc("CustomizationID"), "text"),
        _Part("profile_id", _cbc("ProfileID"), "text"),
        _Part("id", _cbc("ID"), "text"), _Part("uuid", _cbc("UUID"), "text"),
        _Part("issue_date", _cbc("IssueDate"), "date"), _Part("issue_time", _cbc("IssueTime"), "time"),
        _Part("notes", _cbc("Note"), "text", many=True),
        _Part("sender", _cac("SenderParty"), SenderParty), _Part("receiver", _cac("ReceiverParty"), ReceiverParty),
        _Part("document_responses", _cac("DocumentResponse"), DocumentResponse, many=True))

    id: Value | None = attrs.field(default=None, converter=_opt_value)
    uuid: Value | None = attrs.field(default=None, converter=_opt_value)
    issue_date: dt.date | None = None
    issue_time: dt.time | None = None
    notes: tuple[Value, ...] = attrs.field(default=(), converter=_values)
    sender: SenderParty | None = attrs.field(default=None, converter=_sender)
    receiver: ReceiverParty | None = attrs.field(default=None, converter=_receiver)
    document_responses: tuple[DocumentResponse, ...] = attrs.field(default=(), converter=_tuple)
    ubl_version_id: Value | None = attrs.field(default=None, converter=_opt_value)
    customization_id: Value | None = attrs.field(default=None, converter=_opt_value)
    profile_id: Value | None = attrs.field(default=None, converter=_opt_value)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=_tuple)

    @classmethod
    def from_xml(cls, data: bytes | str) -> ApplicationResponse:
        """Parse one standalone ApplicationResponse document (no DTD, no entities, no network)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        element = etree.fromstring(raw, _SAFE)
        if element.getroottree().docinfo.doctype:
            raise ValueError("a DOCTYPE is not allowed in an ApplicationResponse")
        if element.tag != cls.TAG:
            raise ValueError(f"not a UBL 2.4 ApplicationResponse: {prefixed(element.tag)}")
        return cls.from_element(element)

    def to_xml(self, *, pretty: bool = False, xml_declaration: bool = True) -> bytes:
        """This document on its own, in the fixed prefixes, UTF-8."""
        element = self.to_element()
        if pretty:
            etree.indent(element)
        data: bytes = etree.tostring(element, encoding="utf-8", xml_declaration=xml_declaration)
        return data

    def statuses(self) -> Iterator[Status]:
        """Every ``cac:Status`` in every document response."""
        for response in self.document_responses:
            if response.response is not None:
                yield from response.response.statuses


__all__ = [
    "NSMAP",
    "ApplicationResponse",
    "Attachment",
    "BinaryObject",
    "DocumentReference",
    "DocumentResponse",
    "ExternalReference",
    "Extra",
    "LineReference",
    "LineResponse",
    "Party",
    "ReceiverParty",
    "Response",
    "SenderParty",
    "Status",
    "Value",
    "ZonedDate",
    "format_date",
    "format_time",
    "parse_date",
    "parse_time",
    "value",
]
