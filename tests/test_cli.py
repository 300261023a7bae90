"""The command line: formats, exit codes, messages on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, run_cli

import ublbatch


@pytest.mark.parametrize(
    "name,expected",
    [("strict-valid.xml", 0), ("google-file-error.xml", 0), ("google-duplicate.xml", 0), ("mixed.xml", 1),
     ("google-success.xml", 1), ("broken/truncated.xml", 2), ("broken/doctype.xml", 2),
     ("broken/not-a-batch.xml", 2), ("broken/bad-header.xml", 2), ("broken/malformed-document.xml", 1),
     ("broken/wrong-namespace.xml", 1)],
)
def test_exit_codes(capsys: pytest.CaptureFixture[str], name: str, expected: int) -> None:
    code, _, err = run_cli(capsys, "validate", str(FIXTURES / name))
    assert code == expected
    problems = [line for line in err.splitlines() if not line.startswith("ublbatch: note:")]
    assert bool(problems) == (expected == 2)


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "validate", str(FIXTURES / "google-document-error.xml"))
    assert code == 1 and err.startswith("ublbatch: note: every document was rejected under the strict profile")
    lines = out.splitlines()
    assert lines[0].endswith("InvoiceRequest_20240116_TK99B0E1 (file status S), 2 documents: 0 accepted, "
                             "2 rejected [strict]")
    assert lines[1] == "  2 documents: Missing required element: cbc:ID"
    assert lines[2] == ("  rejected #1 GVR-0002-2024-000201 (line 8): Missing required element: cbc:ID "
                        "at /ar:ApplicationResponse/cbc:ID")


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(FIXTURES / "mixed.xml"), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["total_count"] == 6 and data["rejected_count"] == 3


def test_json_after_file_error_keeps_documents(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "validate", str(FIXTURES / "broken" / "truncated.xml"), "--format", "json")
    data = json.loads(out)
    assert code == 2 and [r["id"] for r in data["results"]] == ["AR-T-1", "AR-T-2"]
    assert data["file_errors"][0]["line"] == 86
    assert "truncated.xml, line 86" in err


def test_ndjson_streams_header_results_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(FIXTURES / "mixed.xml"), "--format", "ndjson")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert lines[0]["type"] == "header" and lines[0]["batch_id"] == "InvoiceRequest_20240202_TKD4E5F6"
    assert lines[0]["file_status"]["code"] == "S"
    assert [r["id"] for r in lines[1:-1]] == ["AR-2024-0101", "AR-2024-0102", "AR-2024-0103",
                                              "GVR-0004-2024-000404", "INV-NOT-HERE", "AR-2024-0105"]
    assert lines[-1] == {"type": "summary", "batch_id": "InvoiceRequest_20240202_TKD4E5F6", "total_count": 6,
                         "accepted_count": 3, "rejected_count": 3, "file_errors": [], "valid": False}


def test_status_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "status", str(FIXTURES / "google-document-error.xml"), "--format", "json")
    assert code == 0 and json.loads(out) == ublbatch.batch_status(FIXTURES / "google-document-error.xml").to_dict()
    code, out, _ = run_cli(capsys, "status", str(FIXTURES / "google-file-error.xml"), "--format", "json", "--event")
    assert json.loads(out)["type"] == "batch.failed"
    code, out, _ = run_cli(capsys, "status", str(FIXTURES / "google-pending.xml"))
    assert out.splitlines()[0].endswith("InvoiceRequest_20240115_TK7F3A9C processing: 0 delivered, 1 pending, 0 failed")
    code, _, err = run_cli(capsys, "status", str(FIXTURES / "broken" / "truncated.xml"))
    assert code == 2 and "line 86" in err


def test_unreadable_file_and_bad_call(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "validate", str(tmp_path / "missing.xml"))
    assert code == 2 and out == "" and "missing.xml: cannot open" in err
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, "validate", str(FIXTURES / "mixed.xml"), "--profile", "nope")
    assert exc.value.code == 2


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "ublbatch", "validate", str(FIXTURES / "strict-valid.xml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 documents: 3 accepted, 0 rejected" in done.stdout
