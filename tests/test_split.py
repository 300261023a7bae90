"""split, merge and extract: streaming, nothing lost, each output valid on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, batch, conformance_documents, embeddable, response, run_cli
from lxml import etree

import ublbatch


def ids_of(path: Path) -> list[str]:
    with ublbatch.read_batch(path) as reader:
        return [d.display_id for d in reader]


def test_split_then_merge_gives_back_the_same_documents(tmp_path: Path) -> None:
    source = tmp_path / "big.xml"
    source.write_bytes(batch(*(response(f"AR-{i}", f"GVR-{i}") for i in range(23))))
    report = ublbatch.split_batch(source, tmp_path / "parts", max_documents=5)
    assert [p.name for p in report.outputs] == [f"big-part{i:04d}.xml" for i in range(1, 6)]
    assert [len(ids_of(p)) for p in report.outputs] == [5, 5, 5, 5, 3]
    for part in report.outputs:
        result = ublbatch.validate_batch(part)
        assert result.ok and result.batch_id == "InvoiceRequest_20240101_TKTEST01"
    merged = ublbatch.merge_batches(report.outputs, tmp_path / "merged.xml")
    assert merged.documents == 23
    assert ids_of(tmp_path / "merged.xml") == [f"AR-{i}" for i in range(23)]
    with ublbatch.read_batch(source) as a, ublbatch.read_batch(tmp_path / "merged.xml") as b:
        assert [d.model() for d in a] == [d.model() for d in b]


def test_split_by_bytes_never_cuts_a_document(tmp_path: Path) -> None:
    docs = [embeddable(p.read_bytes()) for p in conformance_documents()]
    source = tmp_path / "peppol.xml"
    source.write_bytes(batch(*docs))
    report = ublbatch.split_batch(source, tmp_path / "parts", max_documents=None, max_bytes=8000)
    assert len(report.outputs) > 3
    assert all(p.stat().st_size <= 8000 for p in report.outputs)
    assert sum(len(ids_of(p)) for p in report.outputs) == 18
    assert all(ublbatch.validate_batch(p).ok for p in report.outputs)
    with pytest.raises(ublbatch.LimitExceededError, match="alone is"):
        ublbatch.split_batch(source, tmp_path / "tiny", max_documents=None, max_bytes=1500)


def test_split_reports_what_it_leaves_out_and_empty_batches(tmp_path: Path) -> None:
    report = ublbatch.split_batch(FIXTURES / "mixed.xml", tmp_path / "a", max_documents=2)
    assert report.documents == 5 and [x.index for x in report.left_out] == [5]
    empty = ublbatch.split_batch(FIXTURES / "google-file-error.xml", tmp_path / "b")
    assert len(empty.outputs) == 1 and ublbatch.validate_batch(empty.outputs[0]).header.file_status_code == "E"
    # a file cut short: its two complete documents were written, then removed, as nothing says the
    # batch is whole; the file error says why
    broken = ublbatch.split_batch(FIXTURES / "broken" / "truncated.xml", tmp_path / "c")
    assert (broken.outputs, broken.documents) == ((), 0) and broken.file_errors[0].code == "INVALID_XML"
    assert list((tmp_path / "c").iterdir()) == []
    extracted = ublbatch.extract_documents(FIXTURES / "broken" / "truncated.xml", tmp_path / "d")
    assert extracted.outputs == () and list((tmp_path / "d").iterdir()) == []


def test_merge_refuses_parts_of_different_batches(tmp_path: Path) -> None:
    with pytest.raises(ublbatch.BatchWriteError, match="does not match"):
        ublbatch.merge_batches([FIXTURES / "strict-valid.xml", FIXTURES / "mixed.xml"], tmp_path / "m.xml")
    assert not (tmp_path / "m.xml").exists()


def test_extract_standalone_documents(tmp_path: Path) -> None:
    report = ublbatch.extract_documents(FIXTURES / "prefixes.xml", tmp_path)
    assert [p.name for p in report.outputs] == ["AR-PREFIX-1.xml", "AR-PREFIX-2.xml"]
    first = etree.parse(str(report.outputs[0])).getroot()
    assert first.nsmap == {None: "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2",
                           "a": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
                           "b": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    second = report.outputs[1].read_bytes()
    assert b"urn:example:not-cac" not in second and b"xmlns:ext" not in second  # only what it uses
    assert ublbatch.ApplicationResponse.from_xml(second).id == "AR-PREFIX-2"
    only = ublbatch.extract_documents(FIXTURES / "mixed.xml", tmp_path / "one", ids=["GVR-0004-2024-000403", "x"])
    assert [p.name for p in only.outputs] == ["AR-2024-0103.xml"]
    assert [x.reason for x in only.left_out] == ["no document with id 'x'"]


def test_cli_build_split_merge_extract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    assert run_cli(capsys, "extract", str(FIXTURES / "strict-valid.xml"), "-o", str(docs))[0] == 0
    out = tmp_path / "built.xml"
    assert run_cli(capsys, "build", "--request-file-name", "Req_TK9", str(docs), "-o", str(out))[0] == 0
    assert ids_of(out) == ["AR-2024-0001", "AR-2024-0002", "AR-2024-0003"]
    # invalid input: refused as a whole without --skip-invalid, reported and left out with it
    bad = docs / "zz-bad.xml"
    bad.write_bytes((docs / "AR-2024-0001.xml").read_bytes().replace(b"<cbc:ID>AR-2024-0001</cbc:ID>", b""))
    code, _, err = run_cli(capsys, "build", "--request-file-name", "Req_TK9", str(docs), "-o", str(out))
    assert code == 2 and "Missing required element: cbc:ID" in err
    assert ids_of(out) == ["AR-2024-0001", "AR-2024-0002", "AR-2024-0003"]  # the old file is untouched
    code, _, err = run_cli(capsys, "build", "--request-file-name", "Req_TK9", "--skip-invalid", str(docs),
                           "-o", str(out))
    assert code == 1 and "skipped #4" in err
    # JSON and NDJSON of model dicts
    with ublbatch.read_batch(FIXTURES / "strict-valid.xml") as reader:
        dicts = [d.model().to_dict() for d in reader]
    (tmp_path / "docs.ndjson").write_text("".join(json.dumps(d) + "\n" for d in dicts))
    (tmp_path / "docs.json").write_text(json.dumps(dicts))
    for name in ("docs.ndjson", "docs.json"):
        assert run_cli(capsys, "build", "--request-file-name", "R_J", str(tmp_path / name), "-o", str(out))[0] == 0
        assert ids_of(out) == ["AR-2024-0001", "AR-2024-0002", "AR-2024-0003"]
    parts = tmp_path / "parts"
    code, listing, _ = run_cli(capsys, "split", str(out), "--max-documents", "2", "-o", str(parts))
    listed = listing.split()
    assert code == 0 and len(listed) == 2
    assert run_cli(capsys, "merge", *listed, "-o", str(tmp_path / "merged.xml"))[0] == 0
    assert ids_of(tmp_path / "merged.xml") == ids_of(out)
    assert run_cli(capsys, "split", str(out), "--max-bytes", "12kb", "-o", str(tmp_path / "p2"))[0] == 0
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, "split", str(out), "--max-bytes", "twelve", "-o", str(tmp_path / "p3"))
    assert exc.value.code == 2 and "not a size" in capsys.readouterr().err


def test_extract_reports_what_it_leaves_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "extract", str(FIXTURES / "mixed.xml"), "-o", str(tmp_path))
    assert code == 1 and len(out.splitlines()) == 5
    assert "left out #5 (line 140): inv:Invoice is not a UBL 2.4 ApplicationResponse" in err
