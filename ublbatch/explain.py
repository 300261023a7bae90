"""The opt-in second engine: xmlschema's account of a rejected document (``explain=True``).

xmlschema is pure Python and about fifty times slower than libxml2, but it goes on after the first
error in an element and says which elements it expected, so it explains what libxml2 only rejects.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from typing import Any, ClassVar

from lxml import etree

from .codes import ErrorCode
from .messages import padded_temporal, shorten, with_prefixes
from .names import prefixed
from .results import Issue
from .schemas import DocumentSchema


class XmlschemaExplainer:
    """The pure-Python xmlschema engine, as a second opinion that lists what was expected."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _loaded: ClassVar[dict[tuple[str, str], Any]] = {}

    def __init__(self, xs: Any) -> None:
        self._xs = xs

    @classmethod
    def for_schema(cls, schema: DocumentSchema) -> XmlschemaExplainer:
        """An explainer for the same verified files as ``schema``; loaded once per process (it takes seconds)."""
        import xmlschema

        key = (schema.files.sha256, schema.kind)
        with cls._lock:
            if key not in cls._loaded:
                # xmlschema reads from files: give it the verified bytes in a private folder
                folder = tempfile.mkdtemp(prefix="ublbatch-xsd-")
                atexit.register(shutil.rmtree, folder, True)
                for name, data in schema.files.files.items():
                    target = os.path.join(folder, *name.split("/"))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target, "wb") as out:
                        out.write(data)
                main = os.path.join(folder, schema.files.variant, "maindoc", f"UBL-{schema.kind}-2.4.xsd")
                cls._loaded[key] = xmlschema.XMLSchema10(main, allow="local", defuse="always")
            return cls(cls._loaded[key])

    def explain(self, element: etree._Element) -> list[Issue]:
        """xmlschema's account of ``element``: every error it finds, with lines in the batch file.

        Where the engines disagree it says so instead of staying silent: a date or time with white
        space around it, which libxml2 rejects, gets a warning that xmlschema accepts it and why.
        """
        copy = etree.fromstring(etree.tostring(element))  # on its own, so paths start at the document
        issues = []
        for error in self._xs.iter_errors(copy):
            issues.append(Issue(ErrorCode.VALIDATION_ERROR.value, with_prefixes(error.reason or str(error.message)),
                                rule="xmlschema", line=_line_in_batch(element, error.sourceline),
                                path=error.path, raw=str(error), engine="xmlschema"))
        faulted = {issue.path for issue in issues}
        for node in copy.iter():
            if not isinstance(node.tag, str) or node.text is None or not padded_temporal(node.text):
                continue
            path = "/" + "/".join(prefixed(n.tag) for n in reversed([node, *node.iterancestors()]))
            kind = self._temporal_type(node.tag)
            if kind is None or path in faulted:
                continue
            issues.append(Issue(
                ErrorCode.VALIDATION_ERROR.value,
                f"xmlschema accepts '{shorten(node.text)}' for {prefixed(node.tag)}: {kind} has "
                "whiteSpace=collapse, so XSD removes the white space around it before checking; libxml2 does "
                "not collapse white space for date and time values and rejects it, and its verdict stands",
                level="warning", rule="xmlschema", line=_line_in_batch(element, node.sourceline), path=path,
                engine="xmlschema"))
        return issues

    def _temporal_type(self, tag: str) -> str | None:
        """``xs:date``, ``xs:time`` or ``xs:dateTime`` when the global element ``tag`` holds one, else None."""
        declared = self._xs.maps.elements.get(tag)
        if declared is None:
            return None
        kind = declared.type
        simple = kind.content if kind.has_simple_content() and not kind.is_simple() else kind
        name = getattr(getattr(simple, "primitive_type", None), "local_name", None)
        return f"xs:{name}" if name in ("date", "time", "dateTime") else None


def _line_in_batch(element: etree._Element, line_in_copy: int | None) -> int | None:
    if line_in_copy is None or element.sourceline is None:
        return None
    return int(element.sourceline) + line_in_copy - 1
