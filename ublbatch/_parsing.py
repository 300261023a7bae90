"""The one place where ublbatch's XML parsers are made: nothing outside the given bytes is ever read.

Every parser refuses to load a DTD, resolve an entity or touch the network, and keeps libxml2's
fixed limits (``huge_tree`` off: nesting depth 256, text nodes of 10 MB).
"""

from __future__ import annotations

from lxml import etree

PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": False,
    "remove_pis": False,
}
"""Explicit, not lxml's defaults."""


def safe_parser(**extra: bool) -> etree.XMLParser:
    """A tree parser with ``PARSER_OPTIONS`` (plus ``extra``, e.g. ``remove_blank_text``)."""
    return etree.XMLParser(**{**PARSER_OPTIONS, **extra})


def pull_parser(events: tuple[str, ...], tag: list[str] | None = None) -> etree.XMLPullParser:
    """A feed parser with ``PARSER_OPTIONS`` giving ``events`` (for ``tag`` only, when given)."""
    if tag is None:
        return etree.XMLPullParser(events=events, **PARSER_OPTIONS)
    return etree.XMLPullParser(events=events, tag=tag, **PARSER_OPTIONS)


def string_value(element: etree._Element | None) -> str | None:
    """An element's XPath string value (text and CDATA of all descendants, never comments or
    PIs), white space collapsed at the ends; None when absent or empty."""
    if element is None:
        return None
    text = element.text if len(element) == 0 else "".join(element.itertext())
    if text is None:
        return None
    return text.strip() or None
