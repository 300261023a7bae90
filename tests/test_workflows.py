"""Issue 13, "fit the users' real workflows": GoRoute fidelity, the request/response lifecycle, Python
ergonomics and honest date/time messages, each through the command line and the Python API."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

import ublbatch
from ublbatch.status import StatusScan

# --- 1. GoRoute fidelity -------------------------------------------------------------------------


def test_cli_event_has_both_names_an_id_a_timestamp_and_the_organization(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "google-document-error.xml")
    code, out, _ = run_cli(capsys, "status", path, "--format", "json", "--event", "--organization-id", "org_42")
    event = json.loads(out)
    assert code == 0
    assert list(event) == ["type", "event", "event_id", "timestamp", "organization_id", "data"]
    assert event["type"] == event["event"] == "batch.completed" and event["organization_id"] == "org_42"
    status = ublbatch.batch_status(FIXTURES / "google-document-error.xml")
    assert event["data"] == status.to_dict() and len(event["data"]["failed_items"]) == 2
    assert event["event_id"] == status.event_id == str(uuid.UUID(event["event_id"]))
    made = dt.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
    assert abs(made - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    _, again, _ = run_cli(capsys, "status", path, "--format", "json", "--event")
    assert json.loads(again)["event_id"] == event["event_id"] and json.loads(again)["organization_id"] is None


def test_cli_status_json_file_status_is_the_validate_object(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "google-duplicate.xml")
    _, validated, _ = run_cli(capsys, "validate", path, "--format", "json")
    _, status, _ = run_cli(capsys, "status", path, "--format", "json")
    _, ndjson, _ = run_cli(capsys, "status", path, "--format", "ndjson")
    from_validate = json.loads(validated)["file_status"]
    assert from_validate["code"] == "D" and from_validate["action"] == "no_action"
    for shown in (json.loads(status)["file_status"], json.loads(ndjson.splitlines()[-1])["file_status"]):
        assert shown["code"] == "D" and set(shown) == set(from_validate)
        assert (shown["meaning"], shown["action"]) == (from_validate["meaning"], from_validate["action"])


def test_cli_rejected_results_carry_every_issue_in_error_details(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "google-document-error.xml")
    for form in ("json", "ndjson"):
        code, out, _ = run_cli(capsys, "validate", path, "--format", form, "--profile", "strict")
        results = json.loads(out)["results"] if form == "json" else [
            json.loads(line) for line in out.splitlines() if json.loads(line)["type"] == "result"]
        assert code == 1 and len(results) == 2
        for item in results:
            assert item["status"] == "rejected"
            details = item["error"]["details"]
            assert details[0]["message"] == item["error"]["message"]
            assert [d["message"] for d in details] == [i["message"] for i in item["issues"]]
            assert {"rule": "xsd:missing-element", "location": "/ar:ApplicationResponse/cbc:ID",
                    "message": "Missing required element: cbc:ID", "level": "error"} in details


# --- 4. lifecycle --------------------------------------------------------------------------------

REQUEST = FIXTURES / "google-request.xml"
REQUEST_ID = "InvoiceRequest_20240301_TKR0001"


def _answer(tmp_path: Path, name: str, outcomes: dict[str, str], day: int, *, batch_id: str = REQUEST_ID,
            only: tuple[str, ...] = ()) -> Path:
    """A response batch written by ``respond`` on 2024-03-<day>, keeping only the UUIDs in ``only`` (all when
    empty), under the RequestFileName ``batch_id``."""
    full = tmp_path / f"{name}-full.xml"
    ublbatch.respond(REQUEST, outcomes, full, issued=dt.datetime(2024, 3, day, 9, 0, tzinfo=dt.timezone.utc))
    with ublbatch.read_batch(full) as reader:
        documents = [d.to_bytes() for d in reader if not only or d.uuid in only]
    target = tmp_path / f"{name}.xml"
    ublbatch.write_batch(target, ublbatch.BatchHeader(batch_id, "S", "File processed successfully"), documents)
    return target


def test_reconcile_takes_pending_then_final_as_the_lifecycle(tmp_path: Path) -> None:
    pending = _answer(tmp_path, "pending", {"GVR-R-0003": "CER"}, 2)  # PEN, PEN, CER
    final = _answer(tmp_path, "final", {"GVR-R-0001": "NON", "GVR-R-0002": "REF"}, 4,
                    only=("GVR-R-0001", "GVR-R-0002"))
    result = ublbatch.reconcile(REQUEST, [final, pending])  # the order given does not matter: issue time does
    assert result.duplicates == {} and result.missing == () and result.mismatched == ()
    assert result.latest == {"GVR-R-0001": "NON", "GVR-R-0002": "REF", "GVR-R-0003": "CER"}
    assert result.pending == ("GVR-R-0003",)
    assert result.complete and not result.settled
    data = result.to_dict()
    assert data["pending"] == ["GVR-R-0003"] and data["counts"]["pending"] == 1 and data["settled"] is False
    # a second final answer is a revision, and a pending answer after a final one goes back: both duplicates
    revised = _answer(tmp_path, "revised", {"GVR-R-0002": "NON"}, 6, only=("GVR-R-0002",))
    backwards = _answer(tmp_path, "backwards", {}, 7, only=("GVR-R-0001",))  # PEN after NON
    again = ublbatch.reconcile(REQUEST, [pending, final, revised, backwards])
    assert again.duplicates == {"GVR-R-0002": (str(pending), str(final), str(revised)),
                                "GVR-R-0001": (str(pending), str(final), str(backwards))}
    assert again.pending == ("GVR-R-0001", "GVR-R-0003") and not again.complete


def test_reconcile_reports_a_response_batch_for_another_request(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    right = _answer(tmp_path, "right", {"GVR-R-0001": "NON"}, 2, only=("GVR-R-0001",))
    wrong = _answer(tmp_path, "wrong", {"GVR-R-0002": "NON", "GVR-R-0003": "NON"}, 2,
                    batch_id="InvoiceRequest_20240301_TKOTHER", only=("GVR-R-0002", "GVR-R-0003"))
    result = ublbatch.reconcile(REQUEST, [right, wrong])
    assert [m.to_dict() for m in result.mismatched] == [
        {"source": str(wrong), "request_file_name": "InvoiceRequest_20240301_TKOTHER"}]
    assert result.missing == () and result.file_errors == () and not result.complete  # reported, not fatal
    code, out, err = run_cli(capsys, "reconcile", str(REQUEST), str(right), str(wrong))
    assert code == 1 and err == ""
    assert f"  batch: {wrong} answers 'InvoiceRequest_20240301_TKOTHER', not '{REQUEST_ID}'" in out.splitlines()
    code, out, _ = run_cli(capsys, "reconcile", str(REQUEST), str(right), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["mismatched_batches"] == [] and data["missing"] == ["GVR-R-0002", "GVR-R-0003"]


def test_cli_reconcile_lists_pending_requests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _answer(tmp_path, "first", {}, 2)
    final = _answer(tmp_path, "final", {"GVR-R-0002": "NON"}, 3, only=("GVR-R-0002",))
    code, out, _ = run_cli(capsys, "reconcile", str(REQUEST), str(first), str(final))
    assert code == 0
    assert out.splitlines() == [
        f"{REQUEST_ID}: 3 requests, 4 responses; 0 missing, 0 unmatched, 0 answered more than once, 2 still pending",
        "  latest status: NON 1, PEN 2", "  pending: GVR-R-0001", "  pending: GVR-R-0003"]


def test_merge_refuses_a_uuid_twice_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = ublbatch.split_batch(FIXTURES / "strict-valid.xml", tmp_path / "parts", max_documents=2).outputs
    assert len(parts) == 2
    target = tmp_path / "twice.xml"
    with pytest.raises(ublbatch.BatchWriteError, match=r"cbc:UUID 'GVR-0003-2024-000301' is already in the "
                       r"merged batch, from .*part0001.xml #1 \(line \d+\)"):
        ublbatch.merge_batches([parts[0], parts[1], parts[0]], target)
    assert not target.exists()
    report = ublbatch.merge_batches([parts[0], parts[1], parts[0]], target, allow_duplicates=True)
    assert report.documents == 5
    with ublbatch.read_batch(target) as reader:
        uuids = [d.uuid for d in reader]
    assert len(uuids) == 5 and len(set(uuids)) == 3
    assert ublbatch.merge_batches(parts, tmp_path / "once.xml").documents == 3  # parts of one batch: fine
    code, _, err = run_cli(capsys, "merge", str(parts[1]), str(parts[1]), "-o", str(tmp_path / "cli.xml"))
    assert code == 2 and "is already in the merged batch" in err and not (tmp_path / "cli.xml").exists()
    code, _, _ = run_cli(capsys, "merge", str(parts[1]), str(parts[1]), "-o", str(tmp_path / "cli.xml"),
                         "--allow-duplicates", "-q")
    assert code == 0 and (tmp_path / "cli.xml").exists()


@pytest.mark.parametrize("fail_on,expected", [
    (None, {"google-success.xml": 0, "google-pending.xml": 0, "google-document-error.xml": 0}),
    ("failed", {"google-success.xml": 0, "google-pending.xml": 0, "google-document-error.xml": 1}),
    ("pending", {"google-success.xml": 0, "google-pending.xml": 1, "google-document-error.xml": 1}),
])
def test_cli_status_fail_on(capsys: pytest.CaptureFixture[str], fail_on: str | None,
                            expected: dict[str, int]) -> None:
    option = ["--fail-on", fail_on] if fail_on else []
    for name, code in expected.items():
        for form in ("text", "json", "ndjson"):
            assert run_cli(capsys, "status", str(FIXTURES / name), "--format", form, *option)[0] == code, (name, form)
    # a file that cannot be read stays exit 2 whatever --fail-on says
    assert run_cli(capsys, "status", str(FIXTURES / "broken" / "not-a-batch.xml"), *option)[0] == 2


def test_respond_keeps_the_scheme_and_writes_a_status_description(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    request = tmp_path / "request.xml"
    request.write_bytes(REQUEST.read_bytes().replace(
        b"<cbc:ID>4512500001</cbc:ID>", b'<cbc:ID schemeID="GoogleInvoiceNumber">4512500001</cbc:ID>', 1))
    target = tmp_path / "response.xml"
    ublbatch.respond(request, {}, target, invoice_number_scheme="Fallback")
    with ublbatch.read_batch(target) as reader:
        assert reader.header.file_status_description == "File processed successfully"
        ids = [d.model().document_responses[0].document_references[0].id for d in reader]
    assert [(str(i), i.attribute("schemeID")) for i in ids if i is not None] == [
        ("4512500001", "GoogleInvoiceNumber"), ("4512500002", "Fallback"), ("4512500003", "Fallback")]
    assert ublbatch.validate_batch(target, profile="google").ok
    code, _, _ = run_cli(capsys, "respond", str(request), "-o", str(target), "--status-description",
                         "Processed by Acme, batch 7", "-q")
    assert code == 0 and b"<StatusDescription>Processed by Acme, batch 7</StatusDescription>" in target.read_bytes()
    assert b'<cbc:ID schemeID="GoogleInvoiceNumber">4512500001</cbc:ID>' in target.read_bytes()
    with pytest.raises(ValueError, match="status_description must not be empty"):
        ublbatch.respond(request, {}, tmp_path / "empty.xml", status_description="  ")
    code, _, err = run_cli(capsys, "respond", str(request), "-o", str(tmp_path / "empty.xml"),
                           "--status-description", "")
    assert code == 2 and "must not be empty" in err and not (tmp_path / "empty.xml").exists()


# --- 5. Python ergonomics ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><ApplicationResponseBatch/>',
    "  \n<ApplicationResponseBatch/>",
    "not xml\nbut two lines",
])
def test_xml_text_as_str_is_refused_with_a_hint(text: str) -> None:
    for call in (ublbatch.validate_batch, ublbatch.batch_status, ublbatch.read_batch):
        with pytest.raises(ublbatch.SourceError, match=r"pass the document as bytes \(e\.g\. data\.encode\(\)\)"):
            call(text)


def test_xml_text_from_a_real_file_works_as_bytes_and_not_as_str() -> None:
    text = (FIXTURES / "strict-valid.xml").read_text(encoding="utf-8")
    with pytest.raises(ublbatch.SourceError, match="looks like XML text, not a path"):
        ublbatch.validate_batch(text)
    assert ublbatch.validate_batch(text.encode()).ok
    assert ublbatch.validate_batch(str(FIXTURES / "strict-valid.xml")).ok  # a path as str still is a path


def test_cli_file_name_that_does_not_exist_is_still_a_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "validate", str(tmp_path / "<odd>.xml"))
    assert code == 2 and "cannot open" in err and "bytes" not in err


def test_batch_result_has_a_length_and_iterates_over_its_results() -> None:
    result = ublbatch.validate_batch(FIXTURES / "mixed.xml")
    assert len(result) == result.total_count == 6
    assert list(result) == list(result.results)
    assert [r.id for r in result if not r.accepted] == ["AR-2024-0102", "GVR-0004-2024-000404", "INV-NOT-HERE"]
    empty = ublbatch.validate_batch(FIXTURES / "google-file-error.xml")
    assert len(empty) == 0 and list(empty) == [] and bool(empty) is True  # a result is there even when empty


def test_document_and_result_ids_follow_the_same_fallback(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import batch, response

    data = batch(response("AR-1", "GVR-1"), response(None, "GVR-2"), response(None, None),
                 response("  AR-4  ", None))
    with ublbatch.read_batch(data) as reader:
        documents = [(d.id, d.uuid, d.display_id) for d in reader]
    assert documents == [("AR-1", "GVR-1", "AR-1"), (None, "GVR-2", "GVR-2"), (None, None, "#3"),
                         ("AR-4", None, "AR-4")]
    assert [r.id for r in ublbatch.validate_batch(data, profile="google")] == [d[2] for d in documents]
    with StatusScan(data) as scan:
        assert [row.id for row in scan] == [d[2] for d in documents]


# --- 6. dates and times with white space; extension content ---------------------------------------

WHITESPACE = FIXTURES / "whitespace-dates.xml"
HINT = ("(white space around it: XSD collapses white space in xsd:date and xsd:time values, but libxml2 does not "
        "and rejects them; remove it)")


def test_padded_dates_are_rejected_with_the_white_space_shown_and_why() -> None:
    result = ublbatch.validate_batch(WHITESPACE)
    assert [(r.id, r.status) for r in result] == [("AR-WS-1", "accepted"), ("AR-WS-2", "rejected"),
                                                  ("AR-WS-3", "rejected"), ("AR-WS-4", "rejected")]
    assert result.results[1].error is not None and result.results[2].error is not None
    assert result.results[1].error.message == f"Invalid value ' 2025-03-11 ' for cbc:IssueDate {HINT}"
    assert result.results[2].error.message == f"Invalid value '\\n      10:15:00Z\\n    ' for cbc:IssueTime {HINT}"
    assert (result.results[1].error.line, result.results[2].error.line) == (41, 71)
    # a wrong date keeps its plain message: trimming would not fix it
    from conftest import batch, response

    wrong = ublbatch.validate_batch(batch(response(issue_date=" 2024-13-01 "))).results[0].error
    assert wrong is not None and wrong.message == "Invalid value ' 2024-13-01 ' for cbc:IssueDate"


def test_empty_extension_content_is_named() -> None:
    error = ublbatch.validate_batch(WHITESPACE).results[3].error
    assert error is not None and error.rule == "xsd:missing-element"
    assert error.message == ("Missing required element: the extension's content inside ext:ExtensionContent "
                             "(an element from a namespace other than ext:)")
    assert "##other" not in error.message and "{" not in error.message


def test_explain_says_that_xmlschema_accepts_a_padded_date_and_why() -> None:
    plain = ublbatch.validate_batch(WHITESPACE)
    explained = ublbatch.validate_batch(WHITESPACE, explain=True)
    assert [r.status for r in explained] == [r.status for r in plain]  # the verdict stays libxml2's
    for index, (kind, value, name) in {1: ("xs:date", "' 2025-03-11 '", "cbc:IssueDate"),
                                       2: ("xs:time", "'\\n      10:15:00Z\\n    '", "cbc:IssueTime")}.items():
        result = explained.results[index]
        assert result.error == plain.results[index].error
        notes = [i for i in result.issues if i.engine == "xmlschema"]
        assert [(n.level, n.path) for n in notes] == [("warning", f"/ar:ApplicationResponse/{name}")]
        assert notes[0].message == (
            f"xmlschema accepts {value} for {name}: {kind} has whiteSpace=collapse, so XSD removes the white space "
            "around it before checking; libxml2 does not collapse white space for date and time values and "
            "rejects it, and its verdict stands")
        assert notes[0].line == result.error.line
    assert not [i for i in explained.results[3].issues if i.level == "warning"]  # engines agree there


def test_cli_shows_the_padded_value_and_the_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(WHITESPACE))
    assert code == 1
    assert (f"  rejected #2 AR-WS-2 (line 37): Invalid value ' 2025-03-11 ' for cbc:IssueDate {HINT} "
            "at /ar:ApplicationResponse/cbc:IssueDate") in out.splitlines()
    assert "note:" not in out
    code, out, _ = run_cli(capsys, "validate", str(WHITESPACE), "--explain")
    notes = [line for line in out.splitlines() if "note:" in line]
    assert code == 1 and len(notes) == 2
    assert notes[0].startswith("      line 41: note: xmlschema accepts ' 2025-03-11 ' for cbc:IssueDate: xs:date")
    code, out, _ = run_cli(capsys, "validate", str(WHITESPACE), "--explain", "--format", "json")
    details = json.loads(out)["results"][1]["error"]["details"]
    assert [(d["level"], d["rule"]) for d in details] == [("error", "xsd:invalid-value"), ("warning", "xmlschema")]
