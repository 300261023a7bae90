"""The content models of UBL's aggregate elements, read from the schema files, and a structural check.

UBL's naming and design rules make every aggregate a flat ``xsd:sequence`` of global element
references, each with its own ``minOccurs``/``maxOccurs`` and no two with the same name. That lets
us walk a document's children against the sequence directly and name *every* missing,
unexpected or misplaced element. libxml2 stops at the first such error inside each parent and
cannot tell a missing element from an unexpected one; the schema engine still gives the verdict,
this module only explains it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
from lxml import etree

from ._parsing import safe_parser
from .names import prefixed

_XSD = "http://www.w3.org/2001/XMLSchema"


@attrs.frozen
class Particle:
    """One ``xsd:element ref`` in a sequence."""

    tag: str
    min: int
    max: int | None  # None: unbounded


@attrs.frozen
class Finding:
    """A structural problem, located by the element it concerns."""

    rule: str  # "missing-element" | "unexpected-element" | "misplaced-element" | "too-many" | "unexpected-text"
    message: str
    element: etree._Element  # the unexpected element, or the parent of a missing one
    missing: str | None = None  # tag of the missing element
    line: int | None = None
    text: bool = False  # character data in element-only content, inside ``element``

    @property
    def parent(self) -> etree._Element | None:
        """The element whose content is wrong: the one missing a child, or the misplaced one's parent."""
        return self.element if self.missing is not None or self.text else self.element.getparent()


class ContentModel:
    """Element tag -> the sequence its type allows, for every flat-sequence type in the files."""

    def __init__(self, sequences: Mapping[str, tuple[Particle, ...]]) -> None:
        self._sequences = dict(sequences)
        self._positions = {
            tag: {p.tag: i for i, p in enumerate(seq)} for tag, seq in self._sequences.items()
        }

    @classmethod
    def from_schemas(cls, documents: Iterable[bytes]) -> ContentModel:
        """The sequence of every global element whose named type is a flat sequence, from the schema files' bytes."""
        element_types: dict[str, str] = {}
        type_sequences: dict[str, tuple[Particle, ...]] = {}
        parser = safe_parser()
        for data in documents:
            root = etree.fromstring(data, parser)
            tns = root.get("targetNamespace", "")
            for decl in root.iterfind(f"{{{_XSD}}}element"):
                type_ref = decl.get("type")
                if decl.get("name") and type_ref:
                    element_types[f"{{{tns}}}{decl.get('name')}"] = _resolve(decl, type_ref)
            for ctype in root.iterfind(f"{{{_XSD}}}complexType"):
                seq = _flat_sequence(ctype)
                if seq is not None:
                    type_sequences[f"{{{tns}}}{ctype.get('name')}"] = seq
        return cls(
            {tag: type_sequences[t] for tag, t in element_types.items() if t in type_sequences}
        )

    def sequence(self, tag: str) -> tuple[Particle, ...] | None:
        """The sequence the element ``tag`` (Clark notation) allows, or None when it is not a flat sequence."""
        return self._sequences.get(tag)

    def check(self, element: etree._Element) -> list[Finding]:
        """Every structural problem in ``element`` and below, in document order."""
        findings: list[Finding] = []
        self._check(element, findings)
        return findings

    def _check(self, element: etree._Element, out: list[Finding]) -> None:
        seq = self._sequences.get(element.tag) if isinstance(element.tag, str) else None
        if seq is None:
            return  # a leaf, or content we do not model (extension content, signatures)
        positions = self._positions[element.tag]
        where = prefixed(element.tag)
        stray = _stray_text_line(element)
        if stray is not None:  # libxml2 says it only when nothing else is wrong before it in the document
            out.append(Finding("unexpected-text", f"Unexpected text in {where} (element content only)", element,
                               line=stray, text=True))
        pos, count = -1, 0
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comment or processing instruction
            j = positions.get(tag)
            if j is None:
                out.append(Finding("unexpected-element", f"Unexpected element: {prefixed(tag)}", child,
                                   line=child.sourceline))
                continue
            if j == pos:
                count += 1
                limit = seq[j].max
                if limit is not None and count > limit:
                    times = "once" if limit == 1 else f"{limit} times"
                    out.append(Finding(
                        "too-many",
                        f"Unexpected element: {prefixed(tag)} (allowed at most {times} in {where})",
                        child, line=child.sourceline))
            elif j < pos:
                out.append(Finding(
                    "misplaced-element",
                    f"Unexpected element: {prefixed(tag)} (out of order: it must come before "
                    f"{prefixed(seq[pos].tag)})",
                    child, line=child.sourceline))
            else:
                self._missing(seq[pos + 1 : j], element, child.sourceline, out)
                pos, count = j, 1
            self._check(child, out)
        self._missing(seq[pos + 1 :], element, element.sourceline, out)

    @staticmethod
    def _missing(particles: Iterable[Particle], parent: etree._Element, line: int | None,
                 out: list[Finding]) -> None:
        for particle in particles:
            if particle.min > 0:
                out.append(Finding("missing-element", f"Missing required element: {prefixed(particle.tag)}",
                                   parent, missing=particle.tag, line=line))


def _stray_text_line(element: etree._Element) -> int | None:
    """The line of the first character data (other than white space) among ``element``'s children, if any."""
    holder: etree._Element | None = element if (element.text or "").strip() else None
    for child in element if holder is None else ():
        if (child.tail or "").strip():
            holder = child  # the text follows this child (a comment too)
            break
    line: int | None = None if holder is None else holder.sourceline
    return line


def _resolve(context: etree._Element, qname: str) -> str:
    prefix, _, local = qname.rpartition(":")
    return f"{{{context.nsmap.get(prefix or None, '')}}}{local}"


def _flat_sequence(ctype: etree._Element) -> tuple[Particle, ...] | None:
    """The particles of a type that is exactly one sequence of element refs, else None."""
    children = [c for c in ctype if isinstance(c.tag, str) and c.tag != f"{{{_XSD}}}annotation"]
    if len(children) != 1 or children[0].tag != f"{{{_XSD}}}sequence":
        return None
    particles = []
    for item in children[0]:
        if not isinstance(item.tag, str) or item.tag == f"{{{_XSD}}}annotation":
            continue
        ref = item.get("ref")
        if item.tag != f"{{{_XSD}}}element" or ref is None:
            return None
        high = item.get("maxOccurs", "1")
        particles.append(Particle(_resolve(item, ref), int(item.get("minOccurs", "1")),
                                  None if high == "unbounded" else int(high)))
    return tuple(particles)
