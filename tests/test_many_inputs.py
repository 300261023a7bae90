"""Issue 13: several inputs, short text reports, flags without effect refused, default profile, hints."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, batch, response, run_cli

import ublbatch
from ublbatch.cli import _parser
from ublbatch.profiles import default_profile
from ublbatch.report import ValidationReport

MIXED, STRICT, SUCCESS = (str(FIXTURES / n) for n in ("mixed.xml", "strict-valid.xml", "google-success.xml"))


def test_several_files_one_total_and_the_worst_exit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", STRICT, MIXED)
    assert code == 1
    assert out.splitlines()[0].startswith(f"{STRICT}: ")
    assert out.splitlines()[-1] == "total: 2 files, 9 documents: 6 accepted, 3 rejected"
    single, alone, _ = run_cli(capsys, "validate", MIXED)
    assert single == 1 and "total:" not in alone and alone in out  # one input: today's output, unchanged
    code, _, err = run_cli(capsys, "validate", STRICT, str(FIXTURES / "broken" / "truncated.xml"))
    assert code == 2 and "truncated.xml" in err


def test_folders_and_globs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("b.xml", "a.xml"):
        shutil.copy(STRICT, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a batch")
    code, out, _ = run_cli(capsys, "validate", str(tmp_path), "--format", "csv")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].startswith("source,index,id")
    assert [r.split(",")[0] for r in rows[1:]] == [str(tmp_path / "a.xml")] * 3 + [str(tmp_path / "b.xml")] * 3
    code, out, _ = run_cli(capsys, "validate", str(tmp_path / "*.xml"), "--format", "json")
    assert [item["source"] for item in json.loads(out)] == [str(tmp_path / "a.xml"), str(tmp_path / "b.xml")]
    code, _, err = run_cli(capsys, "validate", str(tmp_path / "*.none"))
    assert code == 2 and "no file matches this pattern" in err


def test_ndjson_lines_of_each_file_in_turn(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "validate", STRICT, MIXED, "--format", "ndjson")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["type"], line.get("source")) for line in lines if line["type"] != "result"] == [
        ("header", STRICT), ("summary", None), ("header", MIXED), ("summary", None)]
    _, out, _ = run_cli(capsys, "status", STRICT, MIXED, "--format", "ndjson")
    assert {json.loads(line)["source"] for line in out.splitlines()} == {STRICT, MIXED}
    _, out, _ = run_cli(capsys, "status", STRICT, MIXED, "--format", "json")
    assert [(item["source"], item["failed_count"]) for item in json.loads(out)] == [(STRICT, 1), (MIXED, 2)]


def test_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(Path(MIXED).read_bytes())))
    code, out, _ = run_cli(capsys, "validate", "-")
    assert code == 1 and out.startswith("<stdin>: InvoiceRequest_20240202_TKD4E5F6")
    with pytest.raises(SystemExit):
        run_cli(capsys, "convert", "-")  # which form standard input has must be said


def test_convert_reads_ndjson_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    ublbatch.convert.to_json(STRICT, out, ndjson=True)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(out.getvalue().encode())))
    code, _, _ = run_cli(capsys, "convert", "-", "--from", "ndjson", "-o", str(tmp_path / "back.xml"))
    assert code == 0
    assert ublbatch.validate_batch(tmp_path / "back.xml").accepted_count == 3


def test_max_errors_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "many.xml"
    path.write_bytes(batch(*(response(None, f"GVR-{i}") for i in range(50))))
    code, out, _ = run_cli(capsys, "validate", str(path), "--max-errors", "2")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 5
    assert lines[1] == "  50 documents: Missing required element: cbc:ID"
    assert lines[-1] == "  ... and 48 more rejected documents not listed (--max-errors 2)"
    code, out, _ = run_cli(capsys, "validate", str(path), "--summary")
    assert out.splitlines()[1:] == ["  50 documents: Missing required element: cbc:ID",
                                    "  50 rejected documents not listed (--summary)"]
    with pytest.raises(ValueError, match="text report only"):
        ValidationReport(io.StringIO(), "json", summary=True)


@pytest.mark.parametrize("args", [
    ("status", STRICT, "--event"), ("status", STRICT, "--format", "ndjson", "--event"),
    ("status", STRICT, "--failed-only"), ("status", STRICT, "--format", "json", "--failed-only"),
    ("status", STRICT, "--format", "json", "--organization-id", "org"),
    ("validate", STRICT, "--format", "json", "--summary"), ("validate", STRICT, "--max-errors", "3", "--summary"),
    ("validate", STRICT, "--format", "csv", "--max-errors", "3")])
def test_a_flag_without_effect_is_refused(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, *args)
    assert exit_.value.code == 2
    assert "ublbatch: error:" in capsys.readouterr().err


def test_every_option_and_positional_has_help() -> None:
    def walk(parser: argparse.ArgumentParser, where: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{where} {name}")
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)) and not action.help:
                missing.append(f"{where}: {action.option_strings or action.dest}")
        return missing

    assert walk(_parser(), "ublbatch") == []


def test_default_profile_from_env_then_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    inner = tmp_path / "project" / "sub"
    inner.mkdir(parents=True)
    config = '[project]\nname = "x"\n\n[tool.ublbatch]\nprofile = "google"\n'
    (tmp_path / "project" / "pyproject.toml").write_text(config)
    assert default_profile(inner, {}) == ("google", str(tmp_path / "project" / "pyproject.toml"))
    assert default_profile(inner, {"UBLBATCH_PROFILE": "strict"}) == ("strict", "UBLBATCH_PROFILE")
    assert default_profile(tmp_path, {}) == ("strict", "default")
    with pytest.raises(ValueError, match="UBLBATCH_PROFILE: unknown profile 'lax'"):
        default_profile(inner, {"UBLBATCH_PROFILE": "lax"})
    monkeypatch.chdir(inner)
    monkeypatch.delenv("UBLBATCH_PROFILE", raising=False)
    assert run_cli(capsys, "validate", SUCCESS)[0] == 0  # google, from pyproject.toml
    assert run_cli(capsys, "validate", SUCCESS, "--profile", "strict")[0] == 1  # the command line wins
    monkeypatch.setenv("UBLBATCH_PROFILE", "strict")
    assert run_cli(capsys, "validate", SUCCESS)[0] == 1  # the environment beats pyproject.toml
    monkeypatch.setenv("UBLBATCH_PROFILE", "lax")
    code, _, err = run_cli(capsys, "validate", SUCCESS)
    assert code == 2 and "unknown profile 'lax'" in err


def test_a_google_file_rejected_wholesale_suggests_the_profile_once(capsys: pytest.CaptureFixture[str]) -> None:
    pending = str(FIXTURES / "google-pending.xml")
    code, _, err = run_cli(capsys, "validate", SUCCESS, pending, str(FIXTURES / "google-stray-text.xml"))
    assert code == 1 and err.count("--profile google") == 1
    for args in ((MIXED,), (SUCCESS, "--profile", "google"), (SUCCESS, "-q")):
        assert "--profile google" not in run_cli(capsys, "validate", *args)[2]


def test_convert_back_suggests_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    middle = tmp_path / "success.json"
    assert run_cli(capsys, "convert", SUCCESS, "-o", str(middle))[0] == 0
    code, _, err = run_cli(capsys, "convert", str(middle), "-o", str(tmp_path / "back.xml"))
    assert code == 2 and "Missing required element: cbc:ID" in err and "add --profile google" in err
    assert not (tmp_path / "back.xml").exists()
    assert run_cli(capsys, "convert", str(middle), "-o", str(tmp_path / "back.xml"), "--profile", "google")[0] == 0
