"""Duplicate cbc:UUIDs inside one batch: a warning on the later document, in one process or several."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import batch, response, run_cli

import ublbatch
from ublbatch import engine


@pytest.fixture
def twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """60 documents, where #41 repeats the UUID of #3 and #60 that of #41, across small ranges."""
    monkeypatch.setattr(engine, "RANGE_BYTES", 4096)
    monkeypatch.setattr(engine, "FIRST_RANGE_BYTES", 2048)
    uuids = [f"GVR-{i}" for i in range(1, 61)]
    uuids[40] = uuids[59] = "GVR-3"
    path = tmp_path / "twice.xml"
    path.write_bytes(batch(*(response(f"AR-{i}", uuid) for i, uuid in enumerate(uuids, 1))))
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_repeated_uuid_is_a_warning_naming_the_first(twice: Path, jobs: int) -> None:
    result = ublbatch.validate_batch(twice, jobs=jobs)
    assert (result.total_count, result.accepted_count) == (60, 60)  # a warning does not reject
    flagged = {r.index: r.issues for r in result.results if r.issues}
    assert sorted(flagged) == [41, 60]
    for index in (41, 60):
        (warning,) = flagged[index]
        assert (warning.level, warning.rule) == ("warning", "batch:duplicate-uuid")
        assert warning.message == "Duplicate cbc:UUID GVR-3: document #3 of this batch has it too"
        assert warning.path == "/ar:ApplicationResponse/cbc:UUID"
        assert warning.line == result.results[index - 1].line


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_cli_shows_the_warning(twice: Path, jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(twice), "--format", "ndjson", "--jobs", jobs)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    rules = {line["index"]: [i["rule"] for i in line.get("issues", [])] for line in lines
             if line["type"] == "result" and line.get("issues")}
    assert rules == {41: ["batch:duplicate-uuid"], 60: ["batch:duplicate-uuid"]}


def test_no_uuid_and_distinct_uuids_give_no_warning() -> None:
    result = ublbatch.validate_batch(batch(response("A", None), response("B", None), response("C", "GVR-9")))
    assert all(r.rule != "batch:duplicate-uuid" for d in result.results for r in d.issues)


def test_seen_index_keeps_the_first_position_of_every_value_as_it_grows() -> None:
    from ublbatch.seen import SeenIndex

    seen = SeenIndex(4)
    values = [f"GVR-{i:08d}" for i in range(50_000)]
    assert [seen.first(v, i + 1) for i, v in enumerate(values)] == list(range(1, 50_001))
    assert [seen.first(v, 0) for v in values[::997]] == [i + 1 for i in range(0, 50_000, 997)]
    assert len(seen) == 50_000 and seen.first("new", 7) == 7


def test_seen_index_positions_past_four_billion() -> None:
    from ublbatch.seen import SeenIndex

    seen = SeenIndex(4)
    assert seen.first("a", 7) == 7 and seen.first("b", 2**32 + 5) == 2**32 + 5
    for i in range(20):  # grown with the wide positions kept
        seen.first(f"v{i}", i)
    assert seen.first("a", 1) == 7 and seen.first("b", 1) == 2**32 + 5
