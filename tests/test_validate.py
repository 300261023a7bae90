"""Validation verdicts and messages on our fixtures and on the external Peppol corpus."""

from __future__ import annotations

import re

import attrs
import pytest
from conftest import FIXTURES, batch, conformance_documents, embeddable, response

import ublbatch
from ublbatch.schemas import document_schema


def messages(result: ublbatch.DocumentResult) -> list[str]:
    return [i.message for i in result.issues]


def test_google_success_example_fails_strict_only_for_missing_id() -> None:
    result = ublbatch.validate_batch(FIXTURES / "google-success.xml")
    assert result.batch_id == "InvoiceRequest_20240115_TK7F3A9C"
    assert (result.total_count, result.accepted_count, result.rejected_count) == (1, 0, 1)
    doc = result.results[0]
    assert doc.id == "GVR-0001-2024-000118"  # no cbc:ID: the id falls back to cbc:UUID
    assert messages(doc) == ["Missing required element: cbc:ID"]
    assert doc.issues[0].path == "/ar:ApplicationResponse/cbc:ID"
    assert doc.issues[0].line == 9  # where cbc:ID should have stood: the cbc:UUID line
    assert doc.response is not None and doc.response.code == "NON"


def test_google_pending_example_also_lacks_document_reference() -> None:
    doc = ublbatch.validate_batch(FIXTURES / "google-pending.xml").results[0]
    assert messages(doc) == ["Missing required element: cbc:ID", "Missing required element: cac:DocumentReference"]
    assert doc.issues[1].path == "/ar:ApplicationResponse/cac:DocumentResponse/cac:DocumentReference"
    assert doc.response is not None and doc.response.code == "PEN"


def test_google_error_batch_two_documents() -> None:
    result = ublbatch.validate_batch(FIXTURES / "google-document-error.xml")
    assert [r.id for r in result.results] == ["GVR-0002-2024-000201", "GVR-0002-2024-000202"]
    assert [r.response.code for r in result.results if r.response] == ["REF", "SVE"]
    assert all(messages(r) == ["Missing required element: cbc:ID"] for r in result.results)


@pytest.mark.parametrize("name,code", [("google-file-error.xml", "E"), ("google-duplicate.xml", "D")])
def test_file_status_batches_without_documents(name: str, code: str) -> None:
    result = ublbatch.validate_batch(FIXTURES / name)
    assert result.header.file_status_code == code
    assert result.total_count == 0 and result.ok and not result.file_errors


def test_fully_valid_strict_batch() -> None:
    result = ublbatch.validate_batch(FIXTURES / "strict-valid.xml")
    assert result.ok
    assert [r.id for r in result.results] == ["AR-2024-0001", "AR-2024-0002", "AR-2024-0003"]
    assert [r.uuid for r in result.results] == ["GVR-0003-2024-000301", "GVR-0003-2024-000302",
                                                "GVR-0003-2024-000303"]
    assert all(r.issues == () for r in result.results)
    assert result.schema is not None and result.schema["variant"] == "xsdrt"


def test_mixed_batch_reports_each_document_in_place() -> None:
    result = ublbatch.validate_batch(FIXTURES / "mixed.xml")
    assert [(r.index, r.id, r.status) for r in result.results] == [
        (1, "AR-2024-0101", "accepted"),
        (2, "AR-2024-0102", "rejected"),
        (3, "AR-2024-0103", "accepted"),
        (4, "GVR-0004-2024-000404", "rejected"),
        (5, "INV-NOT-HERE", "rejected"),
        (6, "AR-2024-0105", "accepted"),
    ]
    by_index = {r.index: r for r in result.results}
    assert messages(by_index[2]) == ["Invalid value '2024-13-01' for cbc:IssueDate"]
    assert by_index[2].issues[0].raw is not None and "2024-13-01" in by_index[2].issues[0].raw
    # both problems in one parent: libxml2 alone would only name the first
    assert messages(by_index[4]) == ["Missing required element: cbc:ID", "Unexpected element: cbc:Foo"]
    assert by_index[5].error is not None and by_index[5].error.code == "UNSUPPORTED_DOCUMENT_TYPE"
    assert by_index[5].error.message == "Unsupported document: inv:Invoice is not a UBL 2.4 ApplicationResponse"


def test_prefixes_that_differ_from_the_root_are_named_canonically() -> None:
    result = ublbatch.validate_batch(FIXTURES / "prefixes.xml")
    first, second = result.results
    assert first.accepted and first.id == "AR-PREFIX-1" and first.element == "ar:ApplicationResponse"
    assert messages(second) == ["Invalid value '2024-02-31' for cbc:IssueDate",
                                "Missing required element: cac:DocumentReference"]
    assert second.issues[1].path == "/ar:ApplicationResponse/cac:DocumentResponse/cac:DocumentReference"


@pytest.mark.parametrize(
    "change,expected",
    [
        (dict(doc_id=None), ["Missing required element: cbc:ID"]),
        (dict(issue_date="2023-13-01"), ["Invalid value '2023-13-01' for cbc:IssueDate"]),
        (dict(extra="<cbc:Foo>x</cbc:Foo>"), ["Unexpected element: cbc:Foo"]),
        (dict(extra="<cbc:IssueTime>25:00:00</cbc:IssueTime>"), ["Invalid value '25:00:00' for cbc:IssueTime"]),
        (dict(extra="<cbc:UUID>again</cbc:UUID>"),
         ["Unexpected element: cbc:UUID (out of order: it must come before cbc:IssueDate)"]),
        (dict(extra="<cbc:IssueTime>10:00:00</cbc:IssueTime><cbc:IssueTime>11:00:00</cbc:IssueTime>"),
         ["Unexpected element: cbc:IssueTime (allowed at most once in ar:ApplicationResponse)"]),
        (dict(document_reference=False), ["Missing required element: cac:DocumentReference"]),
        (dict(doc_id=None, issue_date="x", extra="<cbc:Bar/>"),
         ["Missing required element: cbc:ID", "Unexpected element: cbc:Bar"]),
    ],
)
def test_messages_name_the_element(change: dict[str, object], expected: list[str]) -> None:
    result = ublbatch.validate_batch(batch(response(**change)))  # type: ignore[arg-type]
    assert messages(result.results[0]) == expected
    assert all(i.line is not None and i.path for i in result.results[0].issues)


def test_attribute_and_text_messages() -> None:
    doc = response(extra="").replace("<cbc:ID>AR-1</cbc:ID>", '<cbc:ID foo="1">AR-1</cbc:ID>')
    doc = doc.replace("<cac:Response>", "<cac:Response>stray")
    result = ublbatch.validate_batch(batch(doc))
    assert messages(result.results[0]) == ["Unexpected attribute: foo on cbc:ID",
                                           "Unexpected text in cac:Response (element content only)"]


def test_explain_adds_the_xmlschema_account() -> None:
    doc = response(doc_id=None, issue_date="2023-13-01")
    plain = ublbatch.validate_batch(batch(doc)).results[0]
    explained = ublbatch.validate_batch(batch(doc), explain=True).results[0]
    assert [i.engine for i in plain.issues] == ["ublbatch"]  # libxml2 stops at the first error
    engines = {i.engine for i in explained.issues}
    assert engines == {"ublbatch", "xmlschema"}
    xmlschema_paths = [i.path for i in explained.issues if i.engine == "xmlschema"]
    assert "/ar:ApplicationResponse/cbc:IssueDate" in xmlschema_paths  # the bad date libxml2 never reached


# -- the external corpus: documents nobody on this project wrote --------------------------------


def test_peppol_application_responses_are_accepted_when_embedded() -> None:
    files = conformance_documents()
    assert len(files) == 18
    result = ublbatch.validate_batch(batch(*(embeddable(f.read_bytes()) for f in files)))
    assert result.total_count == 18 and not result.file_errors
    rejected = [(f.name, r.issues) for f, r in zip(files, result.results, strict=True) if not r.accepted]
    assert rejected == []
    ids = [r.id for r in result.results]
    assert ids[files.index(next(f for f in files if f.name == "MLR-snippet-1.xml"))] == "TheMLR-ID123"


def test_content_model_finds_nothing_in_valid_documents() -> None:
    from lxml import etree

    schema = document_schema()
    for path in conformance_documents():
        root = etree.parse(str(path)).getroot()
        assert schema.xsd.validate(root), path.name
        assert schema.model.check(root) == [], path.name


_FIRST_ID = re.compile(rb"<cbc:ID>[^<]*</cbc:ID>")
_FIRST_DATE = re.compile(rb"<cbc:IssueDate>[^<]*</cbc:IssueDate>")


def test_damaged_peppol_documents_are_rejected_in_place() -> None:
    files = conformance_documents()
    docs = []
    for i, path in enumerate(files):
        data = embeddable(path.read_bytes())
        if i % 3 == 1:
            data = _FIRST_ID.sub(b"", data, count=1)
        elif i % 3 == 2:
            data = _FIRST_DATE.sub(b"<cbc:IssueDate>2017-02-30</cbc:IssueDate>", data, count=1)
        docs.append(data)
    result = ublbatch.validate_batch(batch(*docs))
    assert result.total_count == len(files)
    for i, doc in enumerate(result.results):
        if i % 3 == 0:
            assert doc.accepted, files[i].name
        elif i % 3 == 1:
            assert messages(doc) == ["Missing required element: cbc:ID"], files[i].name
        else:
            assert messages(doc) == ["Invalid value '2017-02-30' for cbc:IssueDate"], files[i].name


def test_unknown_profile_is_misuse() -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        ublbatch.validate_batch(FIXTURES / "strict-valid.xml", profile="lenient")


def test_explain_adds_issues_but_keeps_the_verdict_and_its_error() -> None:
    for name in ("mixed.xml", "google-document-error.xml", "broken/malformed-document.xml"):
        plain = ublbatch.validate_batch(FIXTURES / name)
        explained = ublbatch.validate_batch(FIXTURES / name, explain=True)
        assert [(r.status, r.error) for r in explained.results] == [(r.status, r.error) for r in plain.results]
        more = sum(len(r.issues) for r in explained.results) - sum(len(r.issues) for r in plain.results)
        assert more > 0 if name != "broken/malformed-document.xml" else more == 0, name  # no tree: no schema


@pytest.mark.parametrize("jobs", [1, 2])
def test_response_status_left_out_on_request(jobs: int) -> None:
    # text and CSV never show it: the CLI asks for it only for JSON and NDJSON
    path = FIXTURES / "mixed.xml"
    full = ublbatch.validate_batch(path).results
    with ublbatch.validate_stream(path, response_status=False, jobs=jobs) as validation:
        bare = list(validation)
    assert any(r.response is not None for r in full) and all(r.response is None for r in bare)
    assert bare == [attrs.evolve(r, response=None) for r in full]
