"""Shared test helpers: paths, the external corpus in ../shared, and batch builders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"
UBL_RELEASE = SHARED / "ubl-2.4"

NAMESPACES = (
    'xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"'
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run long tests (gigabyte files)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long run: use --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def shared_path(*parts: str) -> Path:
    """A path in ../shared; fails (never skips) when the checkout has no ../shared beside it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: these tests need the project's ../shared folder (the OASIS UBL 2.4 "
                    "schemas and the conformance corpus) beside the checkout")
    return path


def conformance_documents(folder: str = "peppol-applicationresponse") -> list[Path]:
    files = sorted(shared_path("conformance", folder).glob("*.xml"))
    if not files:
        pytest.fail(f"no conformance documents in {CONFORMANCE / folder}")
    return files


_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")


def embeddable(document: bytes) -> bytes:
    """A standalone XML document without its XML declaration, ready to sit inside a batch."""
    return _DECLARATION.sub(b"", document, count=1)


def header(request_file_name: str = "InvoiceRequest_20240101_TKTEST01", status: str = "S",
           description: str = "File processed") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ApplicationResponseBatch {NAMESPACES}>\n'
            f"<RequestFileName>{request_file_name}</RequestFileName>\n"
            f"<FileStatus><StatusCode>{status}</StatusCode><StatusDescription>{description}"
            "</StatusDescription></FileStatus>\n")


def batch(*documents: bytes | str, request_file_name: str = "InvoiceRequest_20240101_TKTEST01",
          status: str = "S") -> bytes:
    body = b"\n".join(d.encode() if isinstance(d, str) else d for d in documents)
    return header(request_file_name, status).encode() + body + b"\n</ApplicationResponseBatch>\n"


def response(doc_id: str | None = "AR-1", uuid: str | None = "GVR-1", code: str = "NON",
             issue_date: str = "2024-03-01", document_reference: bool = True, extra: str = "") -> str:
    """One ApplicationResponse in the batch's prefixes (``None`` leaves the element out)."""
    parts = ["<ar:ApplicationResponse>"]
    if doc_id is not None:
        parts.append(f"<cbc:ID>{doc_id}</cbc:ID>")
    if uuid is not None:
        parts.append(f"<cbc:UUID>{uuid}</cbc:UUID>")
    parts.append(f"<cbc:IssueDate>{issue_date}</cbc:IssueDate>{extra}")
    parts.append("<cac:SenderParty><cac:PartyName><cbc:Name>Vendor</cbc:Name></cac:PartyName></cac:SenderParty>")
    parts.append("<cac:ReceiverParty><cac:PartyName><cbc:Name>Google</cbc:Name></cac:PartyName></cac:ReceiverParty>")
    parts.append(f"<cac:DocumentResponse><cac:Response><cac:Status><cbc:StatusReasonCode>{code}"
                 "</cbc:StatusReasonCode></cac:Status></cac:Response>")
    if document_reference:
        parts.append("<cac:DocumentReference><cbc:ID>4500000001</cbc:ID></cac:DocumentReference>")
    parts.append("</cac:DocumentResponse></ar:ApplicationResponse>")
    return "\n".join(parts)
