"""Issue 13, "fit the users' real workflows": GoRoute fidelity, the request/response lifecycle, Python
ergonomics and honest date/time messages, each through the command line and the Python API."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from conftest import FIXTURES, run_cli

import ublbatch

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
