"""XML namespaces of the batch formats and the prefixes ublbatch uses to name elements.

Messages and paths always use these canonical prefixes, whatever prefixes a file declares, so that
``cbc:ID`` means the same thing in every report.
"""

from __future__ import annotations

AR = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
INV = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CN = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

PREFIXES: dict[str, str] = {
    AR: "ar",
    CAC: "cac",
    CBC: "cbc",
    EXT: "ext",
    INV: "inv",
    CN: "cn",
    XSI: "xsi",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2": "sig",
    "urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2": "sac",
    "urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2": "sbc",
    "http://www.w3.org/2000/09/xmldsig#": "ds",
}

BATCH_ROOT = "ApplicationResponseBatch"
REQUEST_BATCH_ROOT = "RequestBatch"
REQUEST_FILE_NAME = "RequestFileName"
FILE_STATUS = "FileStatus"
STATUS_CODE = "StatusCode"
STATUS_DESCRIPTION = "StatusDescription"
APPLICATION_RESPONSE = f"{{{AR}}}ApplicationResponse"
CBC_ID = f"{{{CBC}}}ID"
CBC_UUID = f"{{{CBC}}}UUID"
DOCUMENT_RESPONSE = f"{{{CAC}}}DocumentResponse"
STATUS_REASON_CODE = f"{{{CBC}}}StatusReasonCode"


def split_tag(tag: str) -> tuple[str, str]:
    """``'{ns}local'`` -> ``('ns', 'local')``; a tag without namespace has ``''``."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def prefixed(tag: str) -> str:
    """Render a Clark-notation tag with the canonical prefix (``cbc:ID``).

    A namespace ublbatch has no prefix for stays in Clark notation, so nothing is hidden.
    """
    ns, local = split_tag(tag)
    if not ns:
        return local
    prefix = PREFIXES.get(ns)
    return f"{prefix}:{local}" if prefix else tag


KINDS: dict[str, str] = {BATCH_ROOT: "response", REQUEST_BATCH_ROOT: "request"}
"""Root element -> the kind of batch it starts."""
ROOTS: dict[str, str] = {kind: root for root, kind in KINDS.items()}
DOCUMENTS: dict[str, dict[str, str]] = {
    "response": {APPLICATION_RESPONSE: "ApplicationResponse"},
    "request": {f"{{{INV}}}Invoice": "Invoice", f"{{{CN}}}CreditNote": "CreditNote"},
}
"""What each kind of batch carries: Clark tag -> document kind (the name of its schema)."""
