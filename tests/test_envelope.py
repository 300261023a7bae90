"""Our envelope schema and the streaming reader enforce the same rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, NAMESPACES, batch, header, response
from lxml import etree

import ublbatch

FIXTURE_FILES = sorted(FIXTURES.rglob("*.xml"))


ROOTS = {"response": "ApplicationResponseBatch", "request": "RequestBatch"}


def xsd_verdict(data: bytes, kind: str = "response") -> bool:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return False
    if tree.getroottree().docinfo.doctype:
        return False
    # the companion schemas declare the documents globally too, so the root is checked by name
    return tree.tag == ROOTS[kind] and bool(ublbatch.envelope_schema(kind).validate(tree))


def reader_verdict(data: bytes, kind: str = "response") -> bool:
    reader_class = ublbatch.RequestBatchReader if kind == "request" else ublbatch.BatchReader
    with reader_class(data) as reader:
        unsupported = [d for d in reader if not d.supported]
    # documentCount is beyond what an XSD can say: the one rule the schema leaves to the reader
    return not [e for e in reader.errors if e.rule != "envelope:document-count-mismatch"] and not unsupported


def test_every_fixture_is_covered() -> None:
    assert len(FIXTURE_FILES) >= 15


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_reader_and_envelope_schema_agree_on_fixtures(path: Path) -> None:
    data = path.read_bytes()
    for kind in ROOTS:
        assert reader_verdict(data, kind) == xsd_verdict(data, kind), kind


REQUEST_DOC = etree.tostring(etree.fromstring((FIXTURES / "google-request.xml").read_bytes())[0])
REQUEST_MUTATIONS = {
    "valid": b'<RequestBatch batchID="R_T" documentCount="1">' + REQUEST_DOC + b"</RequestBatch>",
    "empty": b'<RequestBatch batchID="R_T" documentCount="0"/>',
    "no batchID": b'<RequestBatch documentCount="0"/>',
    "blank batchID": b'<RequestBatch batchID=" " documentCount="0"/>',
    "no documentCount": b'<RequestBatch batchID="R"/>',
    "negative count": b'<RequestBatch batchID="R" documentCount="-1"/>',
    "extra attribute": b'<RequestBatch batchID="R" documentCount="0" x="1"/>',
    "text": b'<RequestBatch batchID="R" documentCount="0">text</RequestBatch>',
    "foreign child": b'<RequestBatch batchID="R" documentCount="1"><Invoice/></RequestBatch>',
    "response in request": b'<RequestBatch batchID="R" documentCount="1"><ar:ApplicationResponse xmlns:ar="urn:'
                           b'oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"/></RequestBatch>',
}


@pytest.mark.parametrize("name", REQUEST_MUTATIONS)
def test_reader_and_request_envelope_schema_agree(name: str) -> None:
    data = REQUEST_MUTATIONS[name]
    assert reader_verdict(data, "request") == xsd_verdict(data, "request"), name


def test_both_accept_the_valid_fixtures() -> None:
    for name in ("strict-valid.xml", "google-success.xml", "google-file-error.xml", "prefixes.xml"):
        data = (FIXTURES / name).read_bytes()
        assert reader_verdict(data) and xsd_verdict(data), name


BODY = response("AR-1")
MUTATIONS = {
    "valid": batch(BODY),
    "no documents": batch(),
    "status E": batch(status="E"),
    "status with spaces": header().replace("<StatusCode>S", "<StatusCode> D ").encode()
    + b"</ApplicationResponseBatch>",
    "status lowercase": batch(BODY, status="s"),
    "status unknown": batch(BODY, status="X"),
    "empty request file name": batch(BODY, request_file_name="  "),
    "no RequestFileName": header().replace("<RequestFileName>InvoiceRequest_20240101_TKTEST01</RequestFileName>",
                                           "").encode() + b"</ApplicationResponseBatch>",
    "no FileStatus": (f"<ApplicationResponseBatch {NAMESPACES}><RequestFileName>F_T</RequestFileName>"
                      "</ApplicationResponseBatch>").encode(),
    "header swapped": (f"<ApplicationResponseBatch {NAMESPACES}><FileStatus><StatusCode>S</StatusCode>"
                       "<StatusDescription/></FileStatus><RequestFileName>F_T</RequestFileName>"
                       "</ApplicationResponseBatch>").encode(),
    "no StatusDescription": header().replace("<StatusDescription>File processed</StatusDescription>", "")
    .encode() + b"</ApplicationResponseBatch>",
    "extra in FileStatus": header().replace("</FileStatus>", "<Extra/></FileStatus>").encode()
    + b"</ApplicationResponseBatch>",
    "second RequestFileName": batch(BODY, "<RequestFileName>again</RequestFileName>"),
    "unknown element": batch(BODY, "<Foo/>"),
    "foreign namespace document": batch('<x:ApplicationResponse xmlns:x="urn:x"/>'),
    "no-namespace document": batch("<ApplicationResponse/>"),
    "invoice": batch('<inv:Invoice xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'),
    "text between documents": batch(BODY, "stray", BODY),
    "attribute on root": header().replace("<ApplicationResponseBatch ", '<ApplicationResponseBatch id="1" ')
    .encode() + b"</ApplicationResponseBatch>",
    "xsi:schemaLocation on root": header().replace(
        "<ApplicationResponseBatch ", '<ApplicationResponseBatch xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="http://example.invalid/never-fetched.xsd" ').encode()
    + b"</ApplicationResponseBatch>",
    "attribute on StatusCode": header().replace("<StatusCode>", '<StatusCode x="1">').encode()
    + b"</ApplicationResponseBatch>",
    "child in RequestFileName": header().replace("TKTEST01<", "TKTEST01<b/><").encode()
    + b"</ApplicationResponseBatch>",
    "comments everywhere": header().replace("<FileStatus>", "<!-- c --><FileStatus><!-- d -->").encode()
    + b"<!-- e -->" + BODY.encode() + b"<?pi x?></ApplicationResponseBatch>",
    "wrong root": b"<RequestBatch/>",
    "namespaced root": b'<b:ApplicationResponseBatch xmlns:b="urn:b"/>',
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_reader_and_envelope_schema_agree_on_mutations(name: str) -> None:
    data = MUTATIONS[name]
    assert reader_verdict(data) == xsd_verdict(data), name


def test_mutations_cover_both_verdicts() -> None:
    verdicts = [xsd_verdict(d) for d in MUTATIONS.values()]
    assert verdicts.count(True) >= 5 and verdicts.count(False) >= 15
