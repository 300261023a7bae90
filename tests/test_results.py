"""The result JSON in GoRoute's shape, key by key, and the delivery status."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import attrs
from conftest import FIXTURES, batch, response
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import ublbatch
from ublbatch.names import CAC, CBC
from ublbatch.results import BatchResult, DocumentResult, Issue, ResponseStatus

GOROUTE_BATCH_KEYS = ["batch_id", "total_count", "accepted_count", "rejected_count", "results"]


def test_batch_json_has_goroute_keys_first_and_extras_beside() -> None:
    data = json.loads(ublbatch.validate_batch(FIXTURES / "mixed.xml").to_json())
    assert list(data)[:5] == GOROUTE_BATCH_KEYS
    assert data["batch_id"] == "InvoiceRequest_20240202_TKD4E5F6"
    assert (data["total_count"], data["accepted_count"], data["rejected_count"]) == (6, 3, 3)
    assert data["request_file_name"] == data["batch_id"]
    assert data["file_status"] == {"code": "S", "description": "File processed successfully",
                                   "meaning": "no issue, file processed", "action": "success"}
    assert data["profile"] == "strict" and data["valid"] is False and data["file_errors"] == []
    assert data["schema"]["name"] == "OASIS UBL 2.4" and len(data["schema"]["sha256"]) == 64

    accepted, rejected = data["results"][0], data["results"][1]
    assert list(accepted)[:3] == ["id", "status", "transaction_id"]
    assert accepted["id"] == "AR-2024-0101" and accepted["status"] == "accepted"
    assert accepted["transaction_id"] == "GVR-0004-2024-000401"
    assert "error" not in accepted
    assert list(rejected)[:3] == ["id", "status", "error"]
    assert rejected["status"] == "rejected" and "transaction_id" not in rejected
    assert rejected["error"] == {"code": "VALIDATION_ERROR", "message": "Invalid value '2024-13-01' for cbc:IssueDate",
                                 "details": [{"rule": "xsd:invalid-value",
                                              "location": "/ar:ApplicationResponse/cbc:IssueDate",
                                              "message": "Invalid value '2024-13-01' for cbc:IssueDate",
                                              "level": "error"}]}
    assert rejected["index"] == 2 and rejected["line"] == 41 and rejected["uuid"] == "GVR-0004-2024-000402"
    issue = rejected["issues"][0]
    assert issue["level"] == "error" and issue["line"] == 45
    assert issue["path"] == "/ar:ApplicationResponse/cbc:IssueDate"
    assert issue["engine"] == "libxml2" and "raw" in issue
    assert accepted["response"] == {"code": "NON", "reason": "Invoice registered", "outcome": "delivered",
                                    "action": "success"}
    unsupported = data["results"][4]
    assert unsupported["error"]["code"] == "UNSUPPORTED_DOCUMENT_TYPE"


def test_id_falls_back_to_uuid_then_position() -> None:
    result = ublbatch.validate_batch(batch(response(None, "GVR-9"), response(None, None)))
    assert [r.id for r in result.results] == ["GVR-9", "#2"]


def test_round_trip_through_dict_and_json() -> None:
    for name in ("mixed.xml", "google-pending.xml", "broken/truncated.xml", "prefixes.xml"):
        result = ublbatch.validate_batch(FIXTURES / name)
        again = BatchResult.from_json(result.to_json())
        assert again == result, name
        assert again.to_dict() == result.to_dict()


def test_file_level_errors_keep_the_documents_read_before() -> None:
    data = json.loads(ublbatch.validate_batch(FIXTURES / "broken" / "truncated.xml").to_json())
    assert data["total_count"] == 2 and [r["id"] for r in data["results"]] == ["AR-T-1", "AR-T-2"]
    assert data["file_errors"][0]["code"] == "INVALID_XML" and data["file_errors"][0]["line"] == 86
    assert data["valid"] is False


def test_delivery_status_from_reason_codes() -> None:
    status = ublbatch.validate_batch(FIXTURES / "mixed.xml").delivery_status()
    # NON x3 delivered (one is schema-invalid but still says NON), CER pending, COM failed,
    # the Invoice carries no status at all and cannot count as delivered
    assert (status.delivered_count, status.pending_count, status.failed_count) == (3, 1, 2)
    assert status.status == "processing"
    items = {i.id: i.to_dict() for i in status.failed_items}
    assert items["AR-2024-0105"] == {"id": "AR-2024-0105", "error": {
        "code": "COM", "message": "Permanent failure at the tax authority"},
        "action": "manual_intervention", "retriable": False, "queue": "manual"}
    assert items["INV-NOT-HERE"]["error"]["code"] == "MISSING"


def test_delivery_status_shapes_and_events() -> None:
    errors = ublbatch.batch_status(FIXTURES / "google-document-error.xml")
    assert errors.to_dict() == {
        "batch_id": "InvoiceRequest_20240116_TK99B0E1", "status": "completed",
        "delivered_count": 0, "pending_count": 0, "failed_count": 2,
        "failed_items": [
            {"id": "GVR-0002-2024-000201", "error": {"code": "REF", "message": "Tax ID is not correct"},
             "action": "revise_rebill", "retriable": False, "queue": "retry"},
            {"id": "GVR-0002-2024-000202", "error": {"code": "SVE",
                                                      "message": "Buyer address is missing the postal code"},
             "action": "manual_intervention", "retriable": False, "queue": "manual"}],
        "file_status": {"code": "S", "description": "File processed; some invoices failed",
                        "meaning": "no issue, file processed",
                        "action": "success"},
        "file_errors": []}
    assert errors.to_event()["type"] == "batch.completed"
    failed = ublbatch.batch_status(FIXTURES / "google-file-error.xml")
    event = failed.to_event()
    assert failed.status == "failed" and (event["type"], event["event"], event["data"]) == (
        "batch.failed", "batch.failed", failed.to_dict())
    pending = ublbatch.batch_status(FIXTURES / "google-pending.xml")
    assert (pending.status, pending.pending_count) == ("processing", 1)
    success = ublbatch.batch_status(FIXTURES / "google-success.xml")
    assert (success.status, success.delivered_count, success.failed_items) == ("completed", 1, ())


def test_file_status_is_the_same_object_in_validate_and_status_json() -> None:
    for name in ("google-file-error.xml", "google-duplicate.xml", "mixed.xml"):
        result = ublbatch.validate_batch(FIXTURES / name)
        from_validation = result.to_dict()["file_status"]
        assert isinstance(from_validation, dict) and from_validation["description"]
        assert result.delivery_status().to_dict()["file_status"] == from_validation, name
        streamed = ublbatch.batch_status(FIXTURES / name).to_dict()["file_status"]
        assert {k: v for k, v in streamed.items() if k != "description"} == {
            k: v for k, v in from_validation.items() if k != "description"}, name
    failed = ublbatch.validate_batch(FIXTURES / "google-file-error.xml").delivery_status().to_dict()
    assert failed["file_status"]["code"] == "E" and failed["file_status"]["action"] == "manual_intervention"
    assert ublbatch.batch_status(b"<nothing/>").to_dict()["file_status"] is None


def test_webhook_event_has_goroute_keys_and_a_stable_id() -> None:
    status = ublbatch.batch_status(FIXTURES / "google-pending.xml")
    when = dt.datetime(2024, 5, 1, 14, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    event = status.to_event(organization_id="org_123", timestamp=when)
    assert list(event) == ["type", "event", "event_id", "timestamp", "organization_id", "data"]
    assert event["type"] == event["event"] == "batch.processing"
    assert event["timestamp"] == "2024-05-01T12:30:05Z" and event["organization_id"] == "org_123"
    assert event["data"] == status.to_dict()
    assert uuid.UUID(event["event_id"]).version == 5
    # the same outcome of the same batch: the same id, whenever and for whomever it is made
    again = ublbatch.batch_status(FIXTURES / "google-pending.xml").to_event()
    assert again["event_id"] == event["event_id"] and again["organization_id"] is None
    assert dt.datetime.fromisoformat(again["timestamp"].replace("Z", "+00:00")) >= dt.datetime.now(
        dt.timezone.utc) - dt.timedelta(minutes=5)
    ids = {ublbatch.batch_status(FIXTURES / n).event_id for n in (
        "google-pending.xml", "google-success.xml", "google-document-error.xml", "google-file-error.xml")}
    assert len(ids) == 4
    later = attrs.evolve(status, pending_count=0, delivered_count=status.delivered_count + 1, status="completed")
    assert later.event_id != status.event_id


def test_every_issue_of_a_rejected_document_is_in_error_details() -> None:
    doc = response(None, None, issue_date="2024-13-01", extra="<cbc:Foo>x</cbc:Foo>")
    result = ublbatch.validate_batch(batch(doc), profile="google")
    (item,) = result.to_dict()["results"]
    issues = result.results[0].issues
    assert len(issues) >= 3 and {i.level for i in issues} == {"error", "warning"}
    assert item["error"]["message"] == result.results[0].errors[0].message
    assert item["error"]["details"] == [
        {"rule": i.rule, "location": i.path, "message": i.message, "level": i.level} for i in issues]
    assert any(d["rule"] == "google:no-id" and d["level"] == "warning" for d in item["error"]["details"])


def test_worst_status_of_a_document_decides() -> None:
    doc = response("AR-1").replace(
        "</cac:Status>", "</cac:Status><cac:Status><cbc:StatusReasonCode>REJ</cbc:StatusReasonCode>"
        "<cbc:StatusReason>Backend said no</cbc:StatusReason></cac:Status>")
    status = ublbatch.batch_status(batch(doc))
    assert status.failed_count == 1 and status.failed_items[0].code == "REJ"


def test_codes_and_actions() -> None:
    code = ublbatch.StatusReasonCode
    assert {c.value for c in code if c.outcome is ublbatch.Outcome.PENDING} == {"PEN", "CER"}
    assert {c.value for c in code if c.outcome is ublbatch.Outcome.FAILED} == {"REF", "TER", "SVE", "OTH", "COM", "REJ"}
    assert code.TER.action is ublbatch.Action.REVISE_REBILL and code.CER.retriable
    assert ublbatch.FileStatusCode("D").action is ublbatch.Action.NO_ACTION


_TEXT = st.one_of(st.none(), st.text(max_size=30))


@settings(max_examples=300, deadline=None)
@given(shown=st.text(min_size=1, max_size=20), transaction=_TEXT, line=st.one_of(st.none(), st.integers(1, 10**9)),
       index=st.integers(1, 10**7), element=_TEXT, response=st.one_of(st.none(), st.tuples(_TEXT, _TEXT)),
       status=st.sampled_from(["accepted", "rejected"]), warned=st.booleans())
def test_result_json_is_json_dumps_of_to_dict(shown: str, transaction: str | None, line: int | None, index: int,
                                             element: str | None, response: tuple[str | None, str | None] | None,
                                             status: str, warned: bool) -> None:
    # results without issues are written without building dictionaries: byte for byte the same
    issues = (Issue("VALIDATION_ERROR", "w", level="warning"),) if warned else ()
    result = DocumentResult(index, shown, status, transaction, line, issues,
                            ResponseStatus(*response) if response else None, element)
    expected = json.dumps(result.to_dict(), ensure_ascii=False)
    assert result.to_json() == expected
    assert result.with_json().to_json() == expected


def _worst_by_hand(element: etree._Element) -> ResponseStatus | None:
    """The rule, spelled out: each cac:Status of each cac:DocumentResponse/cac:Response counts with
    its first code; the first status of the worst outcome wins; no code at all: the first reason."""
    cac, cbc = f"{{{CAC}}}", f"{{{CBC}}}"
    statuses = [s for d in element.findall(cac + "DocumentResponse") for r in d.findall(cac + "Response")
                for s in r.findall(cac + "Status")]
    if not statuses:
        return None
    rank = {c.value: ("delivered", "pending", "failed").index(c.outcome.value) for c in ublbatch.StatusReasonCode}
    ranked = [(rank.get((s.find(cbc + "StatusReasonCode").text or "").strip(), 2), n, s)
              for n, s in enumerate(statuses) if s.find(cbc + "StatusReasonCode") is not None]
    def text(e: etree._Element | None) -> str | None:
        return ("".join(e.itertext()).strip() or None) if e is not None else None
    if not ranked:
        return ResponseStatus(None, text(statuses[0].find(cbc + "StatusReason")))
    worst = max(ranked, key=lambda r: (r[0], -r[1]))[2]
    return ResponseStatus(text(worst.find(cbc + "StatusReasonCode")), text(worst.find(cbc + "StatusReason")))


def test_response_status_follows_the_rule_on_varied_documents(tmp_path: Path) -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    from generate import generate

    path = tmp_path / "varied.xml"
    generate(path, documents=400, seed=11)
    status = ("<cac:Status><cbc:StatusReasonCode>{}</cbc:StatusReasonCode><cbc:StatusReason>{}</cbc:StatusReason>"
              "</cac:Status>")
    code = "<cbc:StatusReasonCode>{}</cbc:StatusReasonCode>"
    extra = [  # a line's status never counts; a status without a code; two codes in one status
        response("L").replace("</cac:DocumentResponse>", "<cac:LineResponse><cbc:LineID>1</cbc:LineID><cac:Response>"
                              + status.format("REJ", "line") + "</cac:Response></cac:LineResponse>"
                              "</cac:DocumentResponse>"),
        response("N").replace(code.format("NON"), ""),
        response("T").replace(code.format("NON"), code.format("NON") + code.format("REJ")),
        response("U").replace(code.format("NON"), code.format(" XYZ ")),
    ]
    checked = 0
    for source in (path, batch(*extra)):
        with ublbatch.read_batch(source) as reader:
            for document in reader:
                assert document.element is not None
                assert document.response_status() == _worst_by_hand(document.element), document.id
                checked += 1
    assert checked == 404
