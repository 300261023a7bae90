"""The command line at a terminal and in pipelines: CSV, queues, colours, progress, quiet, help."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, batch, check_cli_json, header, response, run_cli

from ublbatch import _terminal
from ublbatch.cli import main
from ublbatch.tables import RESULT_COLUMNS, STATUS_COLUMNS

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_validate_csv_has_one_row_per_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(FIXTURES / "mixed.xml"), "--format", "csv")
    assert code == 1
    assert out.splitlines()[0] == ",".join(RESULT_COLUMNS)
    table = rows(out)
    assert [r["index"] for r in table] == ["1", "2", "3", "4", "5", "6"]
    assert [r["status"] for r in table] == ["accepted", "rejected", "accepted", "rejected", "rejected", "accepted"]
    second = table[1]
    assert (second["id"], second["error_code"], second["error_line"], second["error_path"]) == (
        "AR-2024-0102", "VALIDATION_ERROR", "45", "/ar:ApplicationResponse/cbc:IssueDate")
    assert second["error_message"] == "Invalid value '2024-13-01' for cbc:IssueDate"
    assert table[3]["errors"] == "2" and table[0]["error_code"] == "" and table[0]["uuid"] == "GVR-0004-2024-000401"


def test_csv_defuses_formulas_from_the_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(batch(response('=HYPERLINK("http://x.example","y")', "+GVR-1"), response("-AR-2", "@U")))
    code, out, _ = run_cli(capsys, "validate", str(hostile), "--format", "csv")
    table = rows(out)
    assert [(r["id"], r["uuid"]) for r in table] == [("'=HYPERLINK(\"http://x.example\",\"y\")", "'+GVR-1"),
                                                     ("'-AR-2", "'@U")]
    code, out, _ = run_cli(capsys, "status", str(hostile), "--format", "csv")
    assert code == 0 and rows(out)[0]["id"].startswith("'=")


def test_status_csv_and_failed_only_queues(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "status", str(FIXTURES / "mixed.xml"), "--format", "csv")
    assert code == 0 and out.splitlines()[0] == ",".join(STATUS_COLUMNS)
    table = rows(out)
    # the Invoice says nothing about delivery: failed (no code), as validate_batch().delivery_status() has it
    assert [r["outcome"] for r in table] == ["delivered", "delivered", "pending", "delivered", "failed", "failed"]
    assert [r["queue"] for r in table] == ["", "", "", "", "manual", "manual"]
    assert table[2]["retriable"] == "true" and table[4]["code"] == "" and table[5]["code"] == "COM"

    # GoRoute's partial failure: pending documents are no failures; REF and TER go back to the vendor's
    # system to be revised and rebilled (retry), the rest need a person (manual)
    mixed = tmp_path / "queues.xml"
    mixed.write_bytes(batch(response("A-1", "U-1", "NON"), response("A-2", "U-2", "REF"),
                            response("A-3", "U-3", "PEN"), response("A-4", "U-4", "TER"),
                            response("A-5", "U-5", "XYZ"), response("A-6", "U-6", "REJ")))
    code, out, _ = run_cli(capsys, "status", str(mixed), "--format", "ndjson", "--failed-only")
    lines = [json.loads(line) for line in out.splitlines()]
    documents = [line for line in lines if line["type"] == "document"]
    assert [(d["id"], d["queue"], d["action"]) for d in documents] == [
        ("A-2", "retry", "revise_rebill"), ("A-4", "retry", "revise_rebill"),
        ("A-5", "manual", "manual_intervention"), ("A-6", "manual", "manual_intervention")]
    assert lines[-1]["type"] == "summary" and lines[-1]["failed_count"] == 4 and lines[-1]["pending_count"] == 1
    code, out, _ = run_cli(capsys, "status", str(mixed), "--format", "json")
    assert [(i["id"], i["queue"]) for i in json.loads(out)["failed_items"]] == [
        (d["id"], d["queue"]) for d in documents]
    code, out, _ = run_cli(capsys, "status", str(mixed), "--format", "ndjson")
    assert [json.loads(line)["id"] for line in out.splitlines()[:-1]] == ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"]
    code, out, _ = run_cli(capsys, "status", str(mixed), "--format", "csv", "--failed-only")
    assert [r["id"] for r in rows(out)] == ["A-2", "A-4", "A-5", "A-6"]


def test_color_only_when_asked_or_at_a_terminal(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    doc = str(FIXTURES / "google-document-error.xml")
    plain = run_cli(capsys, "validate", doc)[1]
    assert not ANSI.search(plain)
    coloured = run_cli(capsys, "validate", doc, "--color", "always")[1]
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == plain
    assert run_cli(capsys, "--color", "always", "validate", doc)[1] == coloured  # before the command too
    assert run_cli(capsys, "validate", doc, "--color", "never")[1] == plain
    # auto: colour at a terminal, unless NO_COLOR is set
    monkeypatch.setattr(_terminal, "_isatty", lambda stream: True)
    assert run_cli(capsys, "validate", doc)[1] == coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert run_cli(capsys, "validate", doc)[1] == plain
    # without rich the output is the same text, plainly
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(_terminal, "_rich", lambda: None)
    assert run_cli(capsys, "validate", doc, "--color", "always")[1] == plain
    status = run_cli(capsys, "status", doc)[1]
    assert not ANSI.search(status) and "[manual]" in status


def test_quiet_leaves_out_notes_not_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "convert", str(FIXTURES / "mixed.xml"), "-o", str(tmp_path / "m.json"))
    assert code == 1 and "1 skipped" in err and "skipped #5" in err
    code, _, err = run_cli(capsys, "convert", str(FIXTURES / "mixed.xml"), "-o", str(tmp_path / "m.json"), "-q")
    assert code == 1 and "1 skipped" not in err and "skipped #5" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def big_batch(path: Path, documents: int) -> Path:
    doc = response("AR-{i}", "GVR-{i}")
    with path.open("w") as out:
        out.write(header())
        for i in range(documents):
            out.write(doc.replace("{i}", str(i)) + "\n")
        out.write("</ApplicationResponseBatch>\n")
    return path


def test_progress_bar_on_a_terminal_only(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setattr(_terminal, "PROGRESS_MIN_BYTES", 100_000)
    monkeypatch.setattr(_terminal, "_REFRESH", 0.0)
    path = big_batch(tmp_path / "big.xml", 400)
    assert path.stat().st_size > 100_000
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["validate", str(path)]) == 0
    drawn = terminal.getvalue()
    assert "validating" in drawn and "docs/s" in drawn and "/s" in drawn and "400 docs" in drawn
    assert "400 documents: 400 accepted" in capsys.readouterr().out  # the report itself is untouched

    for quiet in (["-q"], ["--quiet"]):
        terminal.seek(0)
        terminal.truncate()
        assert main(["validate", str(path), *quiet]) == 0
        assert terminal.getvalue() == ""
    # stdout is the same terminal and results stream to it: no bar to tear the lines
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    args = ["validate", str(path), "--format", "ndjson"]
    assert main(args) == 0
    assert terminal.getvalue() == ""
    check_cli_json(args, 0, sys.stdout.getvalue())
    # piped stderr: nothing
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert main(["status", str(path)]) == 0
    assert sys.stderr.getvalue() == ""


def test_small_files_and_no_rich_get_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    small = str(FIXTURES / "mixed.xml")
    assert type(_terminal.progress("x", small, quiet=False, color_mode="auto", stdout_busy=False)) is \
        _terminal.Progress
    monkeypatch.setattr(_terminal, "PROGRESS_MIN_BYTES", 1)
    assert type(_terminal.progress("x", small, quiet=False, color_mode="auto", stdout_busy=False)) is not \
        _terminal.Progress
    monkeypatch.setattr(_terminal, "_rich", lambda: None)
    assert type(_terminal.progress("x", small, quiet=False, color_mode="auto", stdout_busy=False)) is \
        _terminal.Progress


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([], ["validate"], ["status"], ["convert"]):
        with pytest.raises(SystemExit) as exit_:
            main([*args, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and "ublbatch " in out, args
    with pytest.raises(SystemExit):
        main(["--version"])
    assert re.fullmatch(r"ublbatch \d+\.\d+\.\d+\n", capsys.readouterr().out)


def test_a_file_that_cannot_be_read_is_never_completed(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("broken/not-a-batch.xml", "broken/truncated.xml", "google-request.xml"):
        code, out, err = run_cli(capsys, "status", str(FIXTURES / name), "--format", "json", "--event")
        assert code == 2 and json.loads(out)["type"] == "batch.failed", name
        assert json.loads(out)["data"]["file_errors"] and err
    code, out, _ = run_cli(capsys, "status", str(FIXTURES / "google-pending.xml"), "--format", "json", "--event")
    assert code == 0 and json.loads(out)["type"] == "batch.processing"
