"""The google profile, request batches, respond and reconcile."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, batch, conformance_documents, embeddable, response, run_cli
from lxml import etree

import ublbatch


def rules_of(result: ublbatch.DocumentResult) -> list[tuple[str | None, str]]:
    return [(i.rule, i.level) for i in result.issues]


# -- the google profile --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["google-success.xml", "google-pending.xml", "google-document-error.xml",
                                  "google-file-error.xml", "google-duplicate.xml"])
def test_google_accepts_the_documented_deviations_with_warnings(name: str) -> None:
    strict = ublbatch.validate_batch(FIXTURES / name)
    google = ublbatch.validate_batch(FIXTURES / name, profile="google")
    assert google.ok and google.profile == "google"
    assert strict.ok == (strict.total_count == 0)
    for doc in google.results:
        assert {level for _, level in rules_of(doc)} == {"warning"}
        assert ("google:no-id", "warning") in rules_of(doc)
    pending = ublbatch.validate_batch(FIXTURES / "google-pending.xml", profile="google").results[0]
    if name == "google-pending.xml":
        assert rules_of(pending) == [("google:no-id", "warning"), ("google:no-document-reference", "warning")]
        assert pending.issues[1].path == "/ar:ApplicationResponse/cac:DocumentResponse/cac:DocumentReference"


def test_google_schema_is_derived_not_edited() -> None:
    strict, google = ublbatch.document_schema(), ublbatch.document_schema(profile="google")
    assert strict.xsd is not google.xsd and strict.files is google.files  # one verified set, two schemas
    particles = {p.tag.split("}")[1]: p.min for p in google.model.sequence(google.root_tag) or ()}
    assert particles["ID"] == 0 and particles["IssueDate"] == 1
    assert {p.tag.split("}")[1]: p.min for p in strict.model.sequence(strict.root_tag) or ()}["ID"] == 1


def test_google_still_enforces_everything_else() -> None:
    doc = response(doc_id=None, issue_date="2024-02-30")
    result = ublbatch.validate_batch(batch(doc), profile="google").results[0]
    assert not result.accepted
    assert [i.message for i in result.issues if i.level == "error"] == ["Invalid value '2024-02-30' for cbc:IssueDate"]


# each google rule: a document that breaks only it carries it, one that does not, does not
RULE_CASES = {
    "google:uuid-required": (response(uuid=None), response()),
    "google:reason-code": (response(code="XYZ"), response(code="REJ")),
    "google:status-required": (
        response().replace("<cac:Status><cbc:StatusReasonCode>NON</cbc:StatusReasonCode></cac:Status>", ""),
        response()),
    "google:no-id": (response(doc_id=None), response()),
    "google:no-document-reference": (response(document_reference=False), response()),
}


@pytest.mark.parametrize("rule", RULE_CASES)
def test_each_google_rule(rule: str) -> None:
    breaking, keeping = RULE_CASES[rule]
    broken = ublbatch.validate_batch(batch(breaking), profile="google").results[0]
    kept = ublbatch.validate_batch(batch(keeping), profile="google").results[0]
    assert rule in [r for r, _ in rules_of(broken)]
    assert rule not in [r for r, _ in rules_of(kept)]
    level = dict(rules_of(broken))[rule]
    assert broken.accepted == (level == "warning")
    issue = next(i for i in broken.issues if i.rule == rule)
    assert issue.line is not None and issue.path and issue.message
    # strict knows nothing of these rules
    assert rule not in [r for r, _ in rules_of(ublbatch.validate_batch(batch(breaking)).results[0])]


def test_reason_code_message() -> None:
    issue = next(i for i in ublbatch.validate_batch(batch(response(code="XYZ")), profile="google").results[0].issues
                 if i.rule == "google:reason-code")
    assert issue.message.startswith("Invalid value 'XYZ' for cbc:StatusReasonCode: Google's codes are NON, REF")
    assert issue.path == "/ar:ApplicationResponse/cac:DocumentResponse/cac:Response/cac:Status/cbc:StatusReasonCode"


def test_error_file_with_documents() -> None:
    data = batch(response(), status="E")
    assert ublbatch.validate_batch(data).file_errors == ()
    google = ublbatch.validate_batch(data, profile="google")
    assert [e.rule for e in google.file_errors] == ["google:error-file-documents"]
    assert not google.ok and google.results[0].accepted
    assert ublbatch.validate_batch(FIXTURES / "google-file-error.xml", profile="google").file_errors == ()


def test_file_status_code_rule_holds_in_both_profiles() -> None:
    for profile in ublbatch.PROFILES:
        result = ublbatch.validate_batch(batch(response(), status="X"), profile=profile)
        assert [e.rule for e in result.file_errors] == ["envelope:status-code"]


def test_writer_with_the_google_profile() -> None:
    import io

    out = io.BytesIO()
    doc = etree.fromstring(batch(response(doc_id=None)))[2]
    with ublbatch.BatchWriter(out, request_file_name="R") as strict_writer, pytest.raises(
            ublbatch.InvalidDocumentError):
        strict_writer.write(doc)
    out = io.BytesIO()
    with ublbatch.BatchWriter(out, request_file_name="R", profile="google") as google_writer:
        assert google_writer.write(doc)
    assert ublbatch.validate_batch(out.getvalue(), profile="google").ok


# -- request batches ----------------------------------------------------------------------------


def test_request_batch_with_invoices_and_credit_notes() -> None:
    result = ublbatch.validate_batch(FIXTURES / "google-request.xml")
    assert result.ok and result.header.kind == "request" and result.header.document_count == 3
    assert result.batch_id == "InvoiceRequest_20240301_TKR0001"
    assert [(r.id, r.uuid, r.element) for r in result.results] == [
        ("4512500001", "GVR-R-0001", "inv:Invoice"), ("4512500002", "GVR-R-0002", "inv:Invoice"),
        ("4512500003", "GVR-R-0003", "cn:CreditNote")]
    data = result.to_dict()
    assert data["kind"] == "request" and data["document_count"] == 3
    assert ublbatch.BatchResult.from_dict(data) == result


def request(*documents: bytes, count: int | None = None, batch_id: str = "Req_TK1") -> bytes:
    declared = len(documents) if count is None else count
    return (f'<RequestBatch batchID="{batch_id}" documentCount="{declared}">'.encode()
            + b"\n".join(documents) + b"</RequestBatch>")


def test_peppol_invoices_and_credit_note_in_a_request_batch() -> None:
    files = conformance_documents("peppol-invoice")
    result = ublbatch.validate_batch(request(*(embeddable(f.read_bytes()) for f in files)))
    assert result.total_count == 9 and result.ok, [(r.id, r.issues) for r in result.results if not r.accepted]
    assert sorted(r.element for r in result.results).count("cn:CreditNote") == 1
    damaged = embeddable(files[0].read_bytes()).replace(b"<cbc:IssueDate>", b"<cbc:IssueDate>x", 1)
    bad = ublbatch.validate_batch(request(damaged)).results[0]
    assert bad.error is not None and bad.error.message.startswith("Invalid value 'x")


def test_document_count_mismatch_still_reports_every_document() -> None:
    invoice = (FIXTURES / "google-request.xml").read_bytes()
    root = etree.fromstring(invoice)
    docs = [etree.tostring(child) for child in root]
    result = ublbatch.validate_batch(request(*docs, count=5))
    assert result.total_count == 3 and result.accepted_count == 3
    assert [e.rule for e in result.file_errors] == ["envelope:document-count-mismatch"]
    assert "documentCount says 5 documents, the file holds 3" in result.file_errors[0].message
    assert ublbatch.validate_batch(request(*docs)).file_errors == ()


def test_request_envelope_problems_and_foreign_children() -> None:
    docs = [etree.tostring(c) for c in etree.fromstring((FIXTURES / "google-request.xml").read_bytes())]
    data = (b'<RequestBatch documentCount="two" extra="1">' + docs[0]
            + b'<ar:ApplicationResponse xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:'
              b'ApplicationResponse-2"/></RequestBatch>')
    result = ublbatch.validate_batch(data)
    assert [e.rule for e in result.file_errors] == ["envelope:batch-id", "envelope:document-count",
                                                    "envelope:attribute"]
    assert [r.status for r in result.results] == ["accepted", "rejected"]
    assert result.results[1].error is not None and result.results[1].error.code == "UNSUPPORTED_DOCUMENT_TYPE"
    schema = ublbatch.envelope_schema("request")
    assert not schema.validate(etree.fromstring(data))
    assert schema.validate(etree.fromstring((FIXTURES / "google-request.xml").read_bytes()))


def test_google_profile_on_requests_wants_uuids() -> None:
    docs = [etree.tostring(c) for c in etree.fromstring((FIXTURES / "google-request.xml").read_bytes())]
    no_uuid = docs[0].replace(b"<cbc:UUID>GVR-R-0001</cbc:UUID>", b"")
    assert ublbatch.validate_batch(request(no_uuid)).ok
    google = ublbatch.validate_batch(request(no_uuid), profile="google").results[0]
    assert [i.rule for i in google.issues] == ["google:uuid-required"]


# -- respond and reconcile ----------------------------------------------------------------------


def test_respond_answers_every_request(tmp_path: Path) -> None:
    target = tmp_path / "response.xml"
    report = ublbatch.respond(FIXTURES / "google-request.xml",
                              {"GVR-R-0002": {"code": "REF", "reason": "Tax ID is not correct"},
                               "GVR-R-0003": "NON", "GVR-NOBODY": "NON"},
                              target, sender="Acme", issued=dt.datetime(2024, 3, 2, 10, 0, tzinfo=dt.timezone.utc))
    assert report.written == 3 and report.unused_outcomes == ("GVR-NOBODY",) and report.not_answered == ()
    for profile in ublbatch.PROFILES:
        assert ublbatch.validate_batch(target, profile=profile).ok
    with ublbatch.read_batch(target) as reader:
        assert reader.header.request_file_name == "InvoiceRequest_20240301_TKR0001"
        models = [d.model() for d in reader]
    assert [m.uuid for m in models] == ["GVR-R-0001", "GVR-R-0002", "GVR-R-0003"]
    assert [next(m.statuses()).reason_code for m in models] == ["PEN", "REF", "NON"]
    assert next(models[1].statuses()).reason == "Tax ID is not correct"
    reference = models[2].document_responses[0].document_references[0]
    assert (reference.id, reference.document_type_code, reference.issue_date) == (
        "4512500003", "381", dt.date(2024, 3, 1))
    assert models[0].issue_time == dt.time(10, 0, tzinfo=dt.timezone.utc) and models[0].sender is not None
    assert models[0].sender.name == "Acme"
    with pytest.raises(ValueError, match="unknown status reason code 'BAD'"):
        ublbatch.respond(FIXTURES / "google-request.xml", {"GVR-R-0001": "BAD"}, tmp_path / "x.xml")
    assert not (tmp_path / "x.xml").exists()


def test_reconcile(tmp_path: Path) -> None:
    first, second = tmp_path / "first.xml", tmp_path / "second.xml"
    request_file = FIXTURES / "google-request.xml"
    ublbatch.respond(request_file, {"GVR-R-0001": "CER"}, first,
                     issued=dt.datetime(2024, 3, 2, 10, 0, tzinfo=dt.timezone.utc))
    with ublbatch.read_batch(first) as reader:
        docs = [d.to_bytes() for d in reader]
    # a later answer to request 1 only, plus a UUID the request does not hold
    later = docs[0].replace(b"CER", b"NON").replace(b"2024-03-02", b"2024-03-03")
    stray = docs[1].replace(b"GVR-R-0002", b"GVR-STRAY")
    ublbatch.write_batch(second, ublbatch.BatchHeader("InvoiceRequest_20240301_TKR0001", "S", ""), [later, stray])
    only_first = ublbatch.reconcile(request_file, [first])
    assert only_first.complete and only_first.latest == {"GVR-R-0001": "CER", "GVR-R-0002": "PEN",
                                                         "GVR-R-0003": "PEN"}
    both = ublbatch.reconcile(request_file, [second, first])  # order given does not beat issue time
    data = both.to_dict()
    assert data["missing"] == [] and data["unmatched"] == ["GVR-STRAY"]
    assert data["duplicates"] == {}  # CER, then NON: the documented lifecycle, not a second answer
    assert data["latest"]["GVR-R-0001"] == "NON" and data["pending"] == ["GVR-R-0002", "GVR-R-0003"]
    assert data["counts"] == {"requests": 3, "responses": 5, "answered": 3, "missing": 0, "unmatched": 1,
                              "duplicates": 0, "pending": 2, "mismatched_batches": 0}
    none = ublbatch.reconcile(request_file, [FIXTURES / "google-success.xml"])
    assert none.missing == ("GVR-R-0001", "GVR-R-0002", "GVR-R-0003") and none.latest == {}


def test_cli_respond_and_reconcile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = tmp_path / "outcomes.json"
    outcomes.write_text(json.dumps({"GVR-R-0002": {"code": "REF", "reason": "Tax ID is not correct"}}))
    out = tmp_path / "response.xml"
    request = str(FIXTURES / "google-request.xml")
    assert run_cli(capsys, "respond", request, "--outcomes", str(outcomes), "-o", str(out))[0] == 0
    assert run_cli(capsys, "validate", str(out), "--profile", "google")[0] == 0
    assert run_cli(capsys, "validate", request)[0] == 0
    code, printed, _ = run_cli(capsys, "reconcile", request, str(out), "--format", "json")
    assert code == 0
    assert json.loads(printed)["latest"] == {"GVR-R-0001": "PEN", "GVR-R-0002": "REF", "GVR-R-0003": "PEN"}
    code, text, _ = run_cli(capsys, "reconcile", request, str(FIXTURES / "google-success.xml"))
    assert code == 1 and "3 missing, 1 unmatched" in text and "missing: GVR-R-0001" in text
    outcomes.write_text(json.dumps({"GVR-R-0002": "NOPE"}))
    assert run_cli(capsys, "respond", request, "--outcomes", str(outcomes), "-o", str(out))[0] == 2


def test_respond_refuses_what_is_not_a_request_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "answer.xml"
    code, _, err = run_cli(capsys, "respond", str(FIXTURES / "google-success.xml"), "-o", str(out))
    assert code == 2 and "not a request batch" in err and not out.exists()
    bad = tmp_path / "outcomes.json"
    bad.write_text('{"GVR-1": {"code": "REF",}}')
    code, _, err = run_cli(capsys, "respond", str(FIXTURES / "google-request.xml"), "--outcomes", str(bad),
                           "-o", str(out))
    assert code == 2 and f"{bad}, line 1: not JSON" in err and not out.exists()
