"""Stray text inside an aggregate (Google's slip in cac:Response): reported under strict with every
other problem, and kept by the model without hiding what the aggregate says."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, batch, response, run_cli

import ublbatch
from ublbatch.convert import from_json, to_json
from ublbatch.model import ApplicationResponse, Extra

STRAY = FIXTURES / "google-stray-text.xml"
RESPONSE = "/ar:ApplicationResponse/cac:DocumentResponse/cac:Response"


def test_strict_reports_the_text_beside_the_missing_id() -> None:
    doc = ublbatch.validate_batch(STRAY).results[0]
    assert [(i.rule, i.message, i.path, i.line) for i in doc.issues] == [
        ("xsd:missing-element", "Missing required element: cbc:ID", "/ar:ApplicationResponse/cbc:ID", 9),
        ("xsd:unexpected-text", "Unexpected text in cac:Response (element content only)", RESPONSE, 23)]


def test_google_reports_the_text_once() -> None:
    doc = ublbatch.validate_batch(STRAY, profile="google").results[0]
    assert [(i.level, i.rule) for i in doc.issues] == [
        ("warning", "google:no-id"), ("error", "xsd:unexpected-text")]
    assert doc.error is not None and doc.error.path == RESPONSE


def test_text_after_a_child_and_other_errors_are_all_named() -> None:
    doc = response(issue_date="2024-13-01").replace("</cac:Status>", "</cac:Status>late", 1)
    issues = ublbatch.validate_batch(batch(doc)).results[0].issues
    assert [i.message for i in issues] == ["Invalid value '2024-13-01' for cbc:IssueDate",
                                           "Unexpected text in cac:Response (element content only)"]


def test_the_cli_text_report_shows_it_without_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(STRAY))
    assert code == 1
    assert "line 23: Unexpected text in cac:Response (element content only)" in out


def test_the_model_keeps_the_status_and_the_text() -> None:
    with ublbatch.read_batch(STRAY) as reader:
        document = next(iter(reader))
        model = document.model()
        status = document.response_status()
    (response_part,) = [r.response for r in model.document_responses]
    assert response_part is not None and status is not None
    assert [s.reason_code for s in model.statuses()] == ["NON"] == [status.code]
    assert response_part.extras == (Extra.stray(-1, "\n        Invoice registered with the tax authority\n        "),)
    data = model.to_dict()["document_responses"][0]["response"]
    assert data["statuses"][0]["reason_code"] == "NON"
    assert data["_extra"] == [{"position": -1, "text": "\n        Invoice registered with the tax authority\n        "}]
    again = ApplicationResponse.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    written = again.to_element().find("{*}DocumentResponse/{*}Response")
    assert written is not None and (written.text or "").strip() == "Invoice registered with the tax authority"


def test_text_after_a_child_goes_back_after_it(tmp_path: Path) -> None:
    doc = response().replace("</cac:Status>", "</cac:Status>late", 1)
    source = tmp_path / "late.xml"
    source.write_bytes(batch(doc))
    out = io.StringIO()
    to_json(source, out, ndjson=True)
    middle = tmp_path / "late.ndjson"
    middle.write_text(out.getvalue())
    from_json(middle, tmp_path / "back.xml", validate=False)
    with ublbatch.read_batch(tmp_path / "back.xml") as reader:
        back = next(iter(reader)).element
    status = back.find("{*}DocumentResponse/{*}Response/{*}Status")
    assert status is not None and status.tail == "late"


def test_stray_text_from_json_is_checked() -> None:
    base = {"statuses": [{"reason_code": "NON"}]}
    for extra, why in [({"position": 0, "text": 5}, "must be a string"),
                       ({"position": 0, "text": "a", "xml": "<a/>"}, "without xml"),
                       ({"position": 0, "text": "\x01"}, "not XML character data")]:
        with pytest.raises(ValueError, match=why):
            ublbatch.model.Response.from_dict({**base, "_extra": [extra]})


def test_text_in_a_wrapping_aggregate_is_kept_whole() -> None:
    doc = response().replace("<cac:PartyName><cbc:Name>Vendor", "<cac:PartyName>odd<cbc:Name>Vendor", 1)
    with ublbatch.read_batch(batch(doc)) as reader:
        model = next(iter(reader)).model()
    assert model.sender is not None and model.sender.names == ()
    assert b">odd<" in model.to_xml()
