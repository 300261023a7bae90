"""Shared test helpers: paths, the external corpus in ../shared, batch builders, and the CLI runner
that holds every JSON output to the published contract (schemas/*.schema.json)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ublbatch.cli import _parser, main
from ublbatch.contract import JSON_SCHEMA_FILES, json_schema

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


@functools.cache
def contract_registry() -> Registry[Any]:
    """Both published schemas, under their ``$id``s, so a ``$ref`` can name any of their ``$defs``."""
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in map(json_schema, JSON_SCHEMA_FILES))


@functools.cache
def contract_validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for the schema ``name`` (``batch-result``, ``delivery-status``) or one of its ``$defs``."""
    ref = json_schema(name)["$id"] + (f"#/$defs/{definition}" if definition else "")
    return Draft202012Validator({"$ref": ref}, registry=contract_registry())


def contract_errors(data: object, name: str, definition: str | None = None) -> list[str]:
    """Every way ``data`` breaks the contract, as ``<json path>: <message>`` (empty when it conforms)."""
    errors = sorted(contract_validator(name, definition).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]


def assert_contract(data: object, name: str, definition: str | None = None, what: str = "") -> None:
    """Fail the test when ``data`` does not follow the published schema (or ``$defs`` entry)."""
    errors = contract_errors(data, name, definition)
    if errors:
        target = f"{name}.schema.json" + (f"#/$defs/{definition}" if definition else "")
        pytest.fail(f"{what or 'output'} breaks {target}:\n  " + "\n  ".join(errors[:10]), pytrace=False)


_NDJSON_LINES = {
    "validate": ("batch-result", {"header": "NdjsonHeader", "result": "NdjsonResult", "summary": "NdjsonSummary"},
                 "header"),
    "status": ("delivery-status", {"document": "NdjsonDocument", "summary": "NdjsonSummary"}, None),
}
"""Command -> (schema, line type -> its ``$defs`` entry, the type the first line must have)."""


def check_cli_json(args: Sequence[str], code: int, out: str) -> None:
    """Hold what a command printed to the contract, when it printed JSON (``--format json|ndjson``)."""
    options = _parser().parse_args(list(args))
    command, form = options.command, getattr(options, "format", None)
    what = "ublbatch " + " ".join(args)
    if command not in _NDJSON_LINES or form not in ("json", "ndjson"):
        return
    if not out:
        if code != 2:  # only a file that cannot be processed at all may leave stdout empty
            pytest.fail(f"{what}: exit {code} and no {form} output", pytrace=False)
        return
    if form == "json":
        data = json.loads(out)
        for item in data if isinstance(data, list) else [data]:  # several files: an array of answers
            if command == "validate":
                assert_contract(item, "batch-result", what=what)
            else:
                assert_contract(item, "delivery-status", "Event" if options.event else None, what=what)
        return
    lines = [json.loads(line) for line in out.splitlines()]
    start = 0
    for end, line in enumerate(lines, 1):  # several files: the lines of each, one file after the other
        if len(options.files) > 1 and isinstance(line, dict) and line.get("type") == "summary":
            _check_ndjson(command, what, lines[start:end])
            start = end
    if start < len(lines) or not lines:
        _check_ndjson(command, what, lines[start:])


def _check_ndjson(command: str, what: str, lines: list[Any]) -> None:
    name, definitions, first = _NDJSON_LINES[command]
    if not lines:
        pytest.fail(f"{what}: no NDJSON lines", pytrace=False)
    types = [line.get("type") if isinstance(line, dict) else None for line in lines]
    if types[-1] != "summary" or "summary" in types[:-1] or (first and (types[0] != first or first in types[1:])):
        pytest.fail(f"{what}: NDJSON line types out of order: {types}", pytrace=False)
    for number, (line, kind) in enumerate(zip(lines, types, strict=True), 1):
        if kind not in definitions:
            pytest.fail(f"{what}: NDJSON line {number} has type {kind!r}, not one of {sorted(definitions)}",
                        pytrace=False)
        assert_contract(line, name, definitions[kind], what=f"{what}, NDJSON line {number}")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``ublbatch ARGS`` in-process: (exit code, stdout, stderr), its JSON checked against the contract.

    Every in-process run of the command line goes through here, so every JSON output any test
    produces is also a test of the published schemas (``validate``/``status`` with ``--format json``
    or ``ndjson``, ``--event``). Argument errors raise ``SystemExit`` as ``main`` does.
    """
    code = main(list(args))
    out, err = capsys.readouterr()
    check_cli_json(args, code, out)
    return code, out, err
