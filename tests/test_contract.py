"""The published JSON Schemas (schemas/*.schema.json): sound, faithful to the code, and strict enough to
catch drift. Every CLI test checks its JSON output against them too (``conftest.run_cli``)."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    FIXTURES,
    ROOT,
    assert_contract,
    check_cli_json,
    contract_errors,
    contract_registry,
    run_cli,
)
from jsonschema import Draft202012Validator

import ublbatch
from ublbatch import _ubl_files
from ublbatch.codes import Action, ErrorCode, FileStatusCode, Outcome, StatusReasonCode
from ublbatch.contract import JSON_SCHEMA_FILES, json_schema
from ublbatch.profiles import PROFILES
from ublbatch.results import DocumentResult, DocumentStatus, FailedItem, ResponseStatus
from ublbatch.status import StatusScan, failed_item

NAMES = sorted(JSON_SCHEMA_FILES)
BATCHES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.xml"))
SHARED_DEFS = ("Action", "BatchId", "Count", "ErrorCode", "FileErrors", "FileStatus", "Issue", "Outcome",
               "OutcomeAction")
"""``$defs`` both files carry (each schema stands alone), which must never differ between them."""


VERSIONS = {"batch-result": "1.1.0", "delivery-status": "2.1.0"}
"""The published versions: a change of a schema comes with a new version here, in its description and in
CHANGELOG.md (delivery-status 2.0.0: ``file_status`` became the object batch-result has)."""


# --- the schemas themselves ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = json_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["version"] == VERSIONS[name]
    major = schema["version"].split(".")[0]
    assert schema["$id"] == f"urn:ublbatch:json-schema:{name}:{major}"  # the major version is part of the $id
    assert re.fullmatch(r"\d+\.\d+\.\d+", schema["version"])
    assert f"Version {schema['version']}:" in schema["description"]  # what changed, said where it is read
    assert schema == json.loads((ROOT / "schemas" / JSON_SCHEMA_FILES[name]).read_text(encoding="utf-8"))


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.parametrize("name", NAMES)
def test_every_ref_resolves(name: str) -> None:
    schema = json_schema(name)
    resolver = contract_registry().resolver(base_uri=schema["$id"])
    refs = set(_refs(schema))
    assert refs and all(ref.startswith("#/$defs/") for ref in refs)  # self-contained
    for ref in refs:
        assert resolver.lookup(ref).contents is not None
    unused = set(schema["$defs"]) - {ref.removeprefix("#/$defs/") for ref in refs}
    # top-level entry points a consumer names itself; everything else is used
    assert unused <= {"NdjsonLine", "Event"}


def test_shared_definitions_are_identical() -> None:
    result, status = json_schema("batch-result")["$defs"], json_schema("delivery-status")["$defs"]
    for name in SHARED_DEFS:
        assert result[name] == status[name], name


def test_enumerations_follow_the_code() -> None:
    defs = json_schema("batch-result")["$defs"]
    status_defs = json_schema("delivery-status")["$defs"]
    assert defs["ErrorCode"]["enum"] == [c.value for c in ErrorCode]
    assert defs["Action"]["enum"] == [a.value for a in Action]
    assert defs["Outcome"]["enum"] == [o.value for o in Outcome]
    assert defs["Profile"]["enum"] == list(PROFILES)
    assert defs["FileStatus"]["if"]["properties"]["code"]["enum"] == [c.value for c in FileStatusCode]
    # a failed document's action: from its known code, or manual_intervention for an unknown one
    failed = {c.action.value for c in StatusReasonCode if c.outcome is Outcome.FAILED} | {"manual_intervention"}
    assert set(status_defs["FailedItem"]["properties"]["action"]["enum"]) == failed
    for code in StatusReasonCode:
        line = {"outcome": code.outcome.value, "action": code.action.value}
        assert contract_errors(line, "delivery-status", "OutcomeAction") == [], code


@pytest.mark.parametrize("code", [*(c.value for c in StatusReasonCode), "XYZ", None])
def test_every_status_reason_code_follows_the_contract(code: str | None) -> None:
    response = ResponseStatus(code, "why")
    row = DocumentStatus(1, "AR-1", None, None, response, "why")
    assert_contract({"type": "document", **row.to_dict()}, "delivery-status", "NdjsonDocument", what=str(code))
    if response.outcome is Outcome.FAILED:
        assert_contract(failed_item("AR-1", response).to_dict(), "delivery-status", "FailedItem", what=str(code))


# --- the accessor --------------------------------------------------------------------------------


def test_json_schema_accessor() -> None:
    assert ublbatch.json_schema is json_schema
    first = json_schema("batch-result")
    first["$defs"].clear()
    assert json_schema("batch-result")["$defs"], "each call must return a fresh dict"
    with pytest.raises(ValueError, match="batch-result, delivery-status"):
        json_schema("batch_result")


def test_json_schema_prefers_the_installed_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "_data"
    data.mkdir()
    monkeypatch.setattr(_ubl_files, "DATA_DIR", data)
    assert json_schema("delivery-status")["$id"] == "urn:ublbatch:json-schema:delivery-status:2"  # the checkout
    (data / "delivery-status.schema.json").write_text('{"$id": "bundled"}', encoding="utf-8")
    assert json_schema("delivery-status") == {"$id": "bundled"}


# --- what the library emits ----------------------------------------------------------------------


@functools.cache
def validated(name: str, profile: str = "strict", explain: bool = False, jobs: int = 1) -> dict[str, Any]:
    return ublbatch.validate_batch(FIXTURES / name, profile=profile, explain=explain, jobs=jobs).to_dict()


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", BATCHES)
def test_batch_results_of_every_fixture_follow_the_contract(name: str, profile: str) -> None:
    data = validated(name, profile)
    assert_contract(data, "batch-result", what=f"{name} [{profile}]")
    again = ublbatch.BatchResult.from_dict(json.loads(json.dumps(data))).to_dict()
    assert_contract(again, "batch-result", what=f"{name} [{profile}], read back")


@pytest.mark.parametrize("name", ["mixed.xml", "google-document-error.xml"])
def test_explained_and_parallel_results_follow_the_contract(name: str) -> None:
    explained = validated(name, explain=True)
    assert any(i.get("engine") == "xmlschema" for r in explained["results"] for i in r["issues"])
    assert_contract(explained, "batch-result", what=f"{name} --explain")
    assert_contract(validated(name, jobs=2), "batch-result", what=f"{name} --jobs 2")


@pytest.mark.parametrize("name", BATCHES)
def test_delivery_status_of_every_fixture_follows_the_contract(name: str) -> None:
    status = ublbatch.batch_status(FIXTURES / name)
    assert_contract(status.to_dict(), "delivery-status", what=name)
    assert_contract(status.to_event(), "delivery-status", "Event", what=f"{name} event")
    with StatusScan(FIXTURES / name) as scan:
        for document in scan:
            assert_contract({"type": "document", **document.to_dict()}, "delivery-status", "NdjsonDocument",
                            what=f"{name} #{document.index}")


# --- what the command line prints ----------------------------------------------------------------

CLI_FORMATS = [
    ("validate", "--format", "json"),
    ("validate", "--format", "json", "--profile", "google"),
    ("validate", "--format", "ndjson"),
    ("validate", "--format", "ndjson", "--profile", "google", "--jobs", "2"),
    ("status", "--format", "json"),
    ("status", "--format", "json", "--event"),
    ("status", "--format", "ndjson"),
    ("status", "--format", "ndjson", "--failed-only"),
]


@pytest.mark.parametrize("form", CLI_FORMATS, ids=" ".join)
@pytest.mark.parametrize("name", BATCHES)
def test_cli_json_of_every_fixture_follows_the_contract(capsys: pytest.CaptureFixture[str], name: str,
                                                        form: tuple[str, ...]) -> None:
    command, *options = form
    code, out, _ = run_cli(capsys, command, str(FIXTURES / name), *options)  # checks against the schema
    assert out and code in (0, 1, 2)


def test_run_cli_fails_a_test_on_drift(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    batch = str(FIXTURES / "mixed.xml")
    original = DocumentResult.to_dict
    monkeypatch.setattr(DocumentResult, "to_dict", lambda self: {**original(self), "verdict": self.status})
    for form in ("json", "ndjson"):
        with pytest.raises(pytest.fail.Exception, match="'verdict' was unexpected"):
            run_cli(capsys, "validate", batch, "--format", form)
    monkeypatch.setattr(FailedItem, "to_dict", lambda self: {"id": self.id, "error": {"code": self.code}})
    with pytest.raises(pytest.fail.Exception, match="'message' is a required property"):
        run_cli(capsys, "status", batch, "--format", "json", "--event")
    assert run_cli(capsys, "status", batch)[0] == 0  # text output is not JSON: nothing to check


def test_ndjson_streams_are_checked_line_by_line() -> None:
    summary = {"type": "summary", "batch_id": None, "total_count": 0, "accepted_count": 0, "rejected_count": 0,
               "file_errors": [], "valid": True}
    header = {"type": "header", "batch_id": None, "kind": "response", "request_file_name": None, "file_status": None,
              "line": None, "profile": "strict", "schema": None, "source": None}
    args = ["validate", "x.xml", "--format", "ndjson"]

    def printed(*lines: object) -> str:
        return "".join(json.dumps(line) + "\n" for line in lines)

    check_cli_json(args, 0, printed(header, summary))
    check_cli_json(args, 2, "")  # nothing could be read
    for lines, why in [((summary, header), "out of order"), ((header,), "out of order"),
                       ((header, {"type": "note"}, summary), "type 'note'"),
                       ((header, {**summary, "valid": "yes"}, summary), "out of order"),
                       ((header, {**summary, "valid": "yes"}), "'yes' is not of type 'boolean'")]:
        with pytest.raises(pytest.fail.Exception, match=why):
            check_cli_json(args, 0, printed(*lines))
    with pytest.raises(pytest.fail.Exception, match="no ndjson output"):
        check_cli_json(args, 0, "")
    status_summary = {"type": "summary", "batch_id": None, "status": "completed", "delivered_count": 0,
                      "pending_count": 0, "failed_count": 0, "file_status": None, "file_errors": []}
    status_args = ["status", "x.xml", "--format", "json"]
    with pytest.raises(pytest.fail.Exception, match="'failed_items' is a required property"):
        check_cli_json(status_args, 0, json.dumps(status_summary))  # a summary line is not the JSON answer


# --- the schemas are not permissive --------------------------------------------------------------

DELETE = object()


def changed(data: Any, path: tuple[str | int, ...], value: object) -> Any:
    """A deep copy of ``data`` with the value at ``path`` replaced (or the key deleted)."""
    out = copy.deepcopy(data)
    target = out
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


ERROR_ISSUE = {"code": "VALIDATION_ERROR", "message": "Missing required element: cbc:ID", "level": "error"}
DOCUMENT_LINES = {
    "delivered": {"type": "document", "index": 1, "id": "AR-1", "uuid": "GVR-1", "line": 8, "code": "NON",
                  "outcome": "delivered", "action": "success", "retriable": False, "queue": None,
                  "message": "no issue"},
    "pending": {"type": "document", "index": 2, "id": "AR-2", "uuid": None, "line": 41, "code": "CER",
                "outcome": "pending", "action": "wait", "retriable": True, "queue": None, "message": "retrying"},
    "failed": {"type": "document", "index": 3, "id": "#3", "uuid": None, "line": None, "code": None,
               "outcome": "failed", "action": "manual_intervention", "retriable": False, "queue": "manual",
               "message": "no status reason code"},
}


def _mixed() -> dict[str, Any]:
    data = validated("mixed.xml")
    assert data["results"][0]["status"] == "accepted" and data["results"][1]["status"] == "rejected"
    return data


def _status() -> dict[str, Any]:
    data = ublbatch.batch_status(FIXTURES / "strict-valid.xml").to_dict()
    assert data["status"] == "processing" and len(data["failed_items"]) == 1
    return data


def _event() -> dict[str, Any]:
    return ublbatch.batch_status(FIXTURES / "strict-valid.xml").to_event()


def _header() -> dict[str, Any]:
    with ublbatch.validate_stream(FIXTURES / "mixed.xml") as validation:
        return {"type": "header", **validation.header_dict()}


def _result_line() -> dict[str, Any]:
    return {"type": "result", **_mixed()["results"][1]}


def _validate_summary() -> dict[str, Any]:
    data = _mixed()
    return {"type": "summary", **{k: data[k] for k in ("batch_id", "total_count", "accepted_count",
                                                      "rejected_count", "file_errors", "valid")}}


def _status_summary() -> dict[str, Any]:
    return {"type": "summary", **{k: v for k, v in _status().items() if k != "failed_items"}}


Base = Callable[[], Any]
BR, DS = "batch-result", "delivery-status"
MUTATIONS: list[tuple[str, str, str | None, Base, tuple[str | int, ...], object]] = [
    # what is wrong, schema, $defs entry, a valid base, where, the wrong value
    ("missing total_count", BR, None, _mixed, ("total_count",), DELETE),
    ("wrong status value", BR, None, _mixed, ("results", 0, "status"), "ok"),
    ("unknown top-level key", BR, None, _mixed, ("warnings",), []),
    ("unknown key in a result", BR, None, _mixed, ("results", 0, "verdict"), "ok"),
    ("unknown error code", BR, None, _mixed, ("results", 1, "error", "code"), "NOPE"),
    ("unknown issue level", BR, None, _mixed, ("results", 1, "issues", 0, "level"), "fatal"),
    ("null optional issue key", BR, None, _mixed, ("results", 1, "issues", 0, "path"), None),
    ("rule not an id", BR, None, _mixed, ("results", 1, "issues", 0, "rule"), "Missing Element"),
    ("unknown engine", BR, None, _mixed, ("results", 1, "issues", 0, "engine"), "saxon"),
    ("accepted without transaction_id", BR, None, _mixed, ("results", 0, "transaction_id"), DELETE),
    ("accepted with an error", BR, None, _mixed, ("results", 0, "error"),
     {"code": "VALIDATION_ERROR", "message": "x"}),
    ("accepted with an error-level issue", BR, None, _mixed, ("results", 0, "issues"), [ERROR_ISSUE]),
    ("rejected with transaction_id", BR, None, _mixed, ("results", 1, "transaction_id"), "GVR-1"),
    ("rejected without error", BR, None, _mixed, ("results", 1, "error"), DELETE),
    ("rejected without an error-level issue", BR, None, _mixed, ("results", 1, "issues"), []),
    ("uuid left out instead of null", BR, None, _mixed, ("results", 0, "uuid"), DELETE),
    ("index 0", BR, None, _mixed, ("results", 0, "index"), 0),
    ("count as a string", BR, None, _mixed, ("total_count",), "6"),
    ("negative count", BR, None, _mixed, ("accepted_count",), -1),
    ("valid with rejected documents", BR, None, _mixed, ("valid",), True),
    ("action of the wrong outcome", BR, None, _mixed, ("results", 0, "response", "action"), "wait"),
    ("unknown response outcome", BR, None, _mixed, ("results", 0, "response", "outcome"), "lost"),
    ("unknown file status action", BR, None, _mixed, ("file_status", "action"), "retry"),
    ("known file status without meaning", BR, None, _mixed, ("file_status", "meaning"), None),
    ("unknown profile", BR, None, _mixed, ("profile",), "lenient"),
    ("unknown kind", BR, None, _mixed, ("kind",), "invoice"),
    ("documentCount on a response batch", BR, None, _mixed, ("document_count",), 6),
    ("schema hash not a SHA-256", BR, None, _mixed, ("schema", "sha256"), "abc"),
    ("header line 0", BR, None, _mixed, ("header_line",), 0),
    ("unknown status", DS, None, _status, ("status",), "done"),
    ("missing failed_count", DS, None, _status, ("failed_count",), DELETE),
    ("null count", DS, None, _status, ("delivered_count",), None),
    ("unknown top-level key", DS, None, _status, ("documents",), []),
    ("completed while pending", DS, None, _status, ("status",), "completed"),
    ("failed without file status E", DS, None, _status, ("status",), "failed"),
    ("failed item without queue", DS, None, _status, ("failed_items", 0, "queue"), DELETE),
    ("unknown queue", DS, None, _status, ("failed_items", 0, "queue"), "later"),
    ("revise_rebill in the manual queue", DS, None, _status, ("failed_items", 0, "queue"), "manual"),
    ("manual_intervention in the retry queue", DS, None, _status, ("failed_items", 0, "action"),
     "manual_intervention"),
    ("failed item with a success action", DS, None, _status, ("failed_items", 0, "action"), "success"),
    ("unknown key in a failed item's error", DS, None, _status, ("failed_items", 0, "error", "reason"), "x"),
    ("file error with an unknown code", DS, None, _status, ("file_errors",), [{**ERROR_ISSUE, "code": "OOPS"}]),
    ("event type that is not the status", DS, "Event", _event, ("type",), "batch.completed"),
    ("unknown event type", DS, "Event", _event, ("type",), "batch.done"),
    ("event without failed_items", DS, "Event", _event, ("data", "failed_items"), DELETE),
    ("unknown event key", DS, "Event", _event, ("id",), "evt-1"),
    ("event name that is not the type", DS, "Event", _event, ("event",), "batch.completed"),
    ("event without event", DS, "Event", _event, ("event",), DELETE),
    ("event id that is not a UUID", DS, "Event", _event, ("event_id",), "evt-1"),
    ("event timestamp with an offset", DS, "Event", _event, ("timestamp",), "2024-05-01T14:30:05+02:00"),
    ("event without organization_id", DS, "Event", _event, ("organization_id",), DELETE),
    ("file status as a bare code", DS, None, _status, ("file_status",), "S"),
    ("file status E on a processing batch", DS, None, _status, ("file_status", "code"), "E"),
    ("error detail without location", BR, None, _mixed, ("results", 1, "error", "details", 0, "location"), DELETE),
    ("error detail with an unknown key", BR, None, _mixed, ("results", 1, "error", "details", 0, "path"), "/x"),
    ("error details without an error", BR, None, _mixed, ("results", 1, "error", "details", 0, "level"), "warning"),
    ("header with an unknown key", BR, "NdjsonHeader", _header, ("document_count",), None),
    ("header without profile", BR, "NdjsonHeader", _header, ("profile",), DELETE),
    ("header of another type", BR, "NdjsonHeader", _header, ("type",), "summary"),
    ("result line without type", BR, "NdjsonResult", _result_line, ("type",), DELETE),
    ("result line with an unknown key", BR, "NdjsonResult", _result_line, ("verdict",), "x"),
    ("result line of a rejected document without error", BR, "NdjsonResult", _result_line, ("error",), DELETE),
    ("summary with results", BR, "NdjsonSummary", _validate_summary, ("results",), []),
    ("summary valid with rejected documents", BR, "NdjsonSummary", _validate_summary, ("valid",), True),
    ("status summary with failed_items", DS, "NdjsonSummary", _status_summary, ("failed_items",), []),
    ("status summary without type", DS, "NdjsonSummary", _status_summary, ("type",), DELETE),
    ("delivered document in a queue", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["delivered"], ("queue",),
     "retry"),
    ("pending document in a queue", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["pending"], ("queue",), "retry"),
    ("failed document without queue", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["failed"], ("queue",), None),
    ("failed document in the retry queue", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["failed"], ("queue",),
     "retry"),
    ("delivered document with action wait", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["delivered"],
     ("action",), "wait"),
    ("document line without message", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["failed"], ("message",),
     DELETE),
    ("document line without line", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["pending"], ("line",), DELETE),
    ("document line with line 0", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["pending"], ("line",), 0),
    ("document line with an unknown key", DS, "NdjsonDocument", lambda: DOCUMENT_LINES["pending"], ("note",), ""),
    ("document line of another type", DS, "NdjsonLine", lambda: DOCUMENT_LINES["pending"], ("type",), "result"),
]


@pytest.mark.parametrize("what,name,definition,base,path,value", MUTATIONS, ids=[m[0] + " " + m[1] for m in MUTATIONS])
def test_schemas_reject_what_the_code_never_emits(what: str, name: str, definition: str | None, base: Base,
                                                  path: tuple[str | int, ...], value: object) -> None:
    good = base()
    assert contract_errors(good, name, definition) == [], "the unchanged base must conform"
    assert contract_errors(changed(good, path, value), name, definition), f"accepted: {what}"


@pytest.mark.parametrize("outcome", sorted(DOCUMENT_LINES))
def test_status_ndjson_lines_as_specified(outcome: str) -> None:
    assert_contract(DOCUMENT_LINES[outcome], "delivery-status", "NdjsonDocument")
    assert_contract(DOCUMENT_LINES[outcome], "delivery-status", "NdjsonLine")
    assert_contract(_status_summary(), "delivery-status", "NdjsonLine")
