"""Turn libxml2's schema errors into one human sentence each, naming the element by its prefix.

libxml2 writes ``Element '{urn:...CommonBasicComponents-2}IssueDate': '2023-13-01' is not a valid
value of the local atomic type.``; users read ``Invalid value '2023-13-01' for cbc:IssueDate``.
The raw text is kept beside the sentence for experts.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from .names import prefixed

_ENTRY = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<rest>.*)$",
                    re.DOTALL)
_CLARK = re.compile(r"\{[^{}]*\}[\w.\-]+")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (?P<names>.*) \)\.")
_VALUE = re.compile(r"^'(?P<value>.*)' is not a valid value of (?P<what>.*?)\.?$", re.DOTALL)
_FACET = re.compile(r"^\[facet '(?P<facet>\w+)'\] The value '(?P<value>.*?)' (?P<why>.*?)\.?$", re.DOTALL)

MAX_VALUE = 80


@attrs.frozen
class Translation:
    """What one libxml2 error says, in our words."""

    rule: str
    message: str
    element: str | None  # Clark tag of the element the error names
    structural: bool = False  # a content-model error: the structural check may explain it better
    expected: tuple[str, ...] = ()


def shorten(value: str) -> str:
    """A value as quoted in a message: white space inside collapsed, white space around it kept and
    visible (line breaks and tabs as ``\\n``, ``\\t``), cut to ``MAX_VALUE`` characters."""
    core = " ".join(value.split())
    lead = value[: len(value) - len(value.lstrip())]
    trail = value[len(value.rstrip()):] if core else ""
    shown = _visible(lead) + core + _visible(trail)
    return shown if len(shown) <= MAX_VALUE else shown[: MAX_VALUE - 1] + "…"


def _visible(space: str) -> str:
    return space.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


_DATE = r"-?\d{4,}-\d{2}-\d{2}"
_TIME = r"\d{2}:\d{2}:\d{2}(?:\.\d+)?"
_ZONE = r"(?:Z|[+-]\d{2}:\d{2})?"
_TEMPORAL = re.compile(rf"(?:{_DATE}(?:T{_TIME})?|{_TIME}){_ZONE}")

PADDED_TEMPORAL_HINT = ("white space around it: XSD collapses white space in xsd:date and xsd:time values, "
                        "but libxml2 does not and rejects them; remove it")


def padded_temporal(value: str) -> bool:
    """True for a date, time or dateTime written with white space around it (``' 2024-01-01 '``): valid by
    the XSD rules (whitespace="collapse"), refused by libxml2."""
    stripped = value.strip()
    if stripped == value or _TEMPORAL.fullmatch(stripped) is None:
        return False
    day = re.match(r"\d{4}-\d{2}-\d{2}", stripped)
    clock = re.search(r"\d{2}:\d{2}:\d{2}", stripped)
    try:  # only a value that is right once trimmed: otherwise trimming is not the fix
        if day is not None:
            dt.date.fromisoformat(day.group(0))
        if clock is not None:
            dt.time.fromisoformat(clock.group(0))
    except ValueError:
        return False
    return True


def expected_name(name: str) -> str:
    """An expected particle of a libxml2 message in our words: ``cbc:ID``, or for a wildcard
    (``##other{ns}*``, ``{ns}*``, ``##any``) the kind of element it stands for."""
    other = re.fullmatch(r"##other\{(?P<ns>[^{}]*)\}\*", name)
    if other is not None:
        prefix = prefixed(f"{{{other['ns']}}}x").rpartition(":")[0] or other["ns"]
        return f"an element from a namespace other than {prefix}:"
    within = re.fullmatch(r"\{(?P<ns>[^{}]*)\}\*", name)
    if within is not None:
        prefix = prefixed(f"{{{within['ns']}}}x").rpartition(":")[0] or within["ns"]
        return f"an element of {prefix}:"
    if name in ("##any", "*"):
        return "an element"
    return prefixed(name)


def with_prefixes(text: str) -> str:
    """Replace every ``{namespace}name`` in ``text`` by its canonical prefixed name."""
    return _CLARK.sub(lambda m: prefixed(m.group(0)), text)


def translate(raw: str) -> Translation:
    """libxml2's error text as one plain sentence naming the element, with its rule id."""
    match = _ENTRY.match(raw.strip())
    if match is None:
        return Translation("xsd:other", with_prefixes(raw.strip()), None)
    tag, attribute, rest = match["element"], match["attribute"], match["rest"].strip()
    name = prefixed(tag)
    expected_match = _EXPECTED.search(rest)
    expected = tuple(n.strip() for n in expected_match["names"].split(",")) if expected_match else ()
    if attribute is not None:
        target = f"attribute {attribute} of {name}"
        if "is not allowed" in rest:
            return Translation("xsd:unexpected-attribute", f"Unexpected attribute: {attribute} on {name}", tag)
        if "is required but missing" in rest:
            return Translation("xsd:missing-attribute", f"Missing required attribute: {attribute} on {name}", tag)
    else:
        target = name
    if rest.startswith("This element is not expected"):
        return Translation("xsd:unexpected-element", f"Unexpected element: {name}", tag, True, expected)
    if rest.startswith("Missing child element(s)"):
        names = " or ".join(expected_name(e) for e in expected) or "a child element"
        if any(e.startswith(("#", "{")) or e == "*" for e in expected):  # a wildcard: say where it is missing
            names = (f"the extension's content inside ext:ExtensionContent ({names})"
                     if name == "ext:ExtensionContent" else f"{names} in {name}")
        return Translation("xsd:missing-element", f"Missing required element: {names}", tag, True, expected)
    for pattern in (_VALUE, _FACET):
        value = pattern.match(rest)
        if value is not None:
            hint = f" ({PADDED_TEMPORAL_HINT})" if padded_temporal(value["value"]) else ""
            return Translation("xsd:invalid-value",
                               f"Invalid value '{shorten(value['value'])}' for {target}{hint}", tag)
    if rest.startswith("Character content other than whitespace is not allowed"):
        return Translation("xsd:unexpected-text", f"Unexpected text in {name} (element content only)", tag)
    if rest.startswith("Element content is not allowed"):
        return Translation("xsd:unexpected-element", f"Unexpected child element in {name} (text only)", tag)
    if rest.startswith("No matching global declaration available for the validation root"):
        return Translation("xsd:unknown-root", f"Unexpected element: {name} (not a document this schema "
                           "defines)", tag)
    return Translation("xsd:other", f"Invalid {target}: {with_prefixes(rest)}", tag)
