"""Batches to JSON/NDJSON and back: lossless round trips on real documents, streaming, clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, batch, conformance_documents, embeddable, header, response, run_cli
from test_model import canonical
from test_reader import _rss_kib

import ublbatch
from ublbatch.convert import from_json, read_json, to_json
from ublbatch.errors import SourceError


def documents_of(path: Path) -> list[tuple[object, ...]]:
    """Every document of a batch in a prefix-free, whitespace-free form, to compare content."""
    with ublbatch.read_batch(path) as reader:
        return [canonical(d.element) for d in reader]


def peppol_batch(tmp_path: Path) -> Path:
    """The Peppol ApplicationResponse examples (default namespace, comments, extensions) as one batch."""
    path = tmp_path / "peppol.xml"
    path.write_bytes(batch(*(embeddable(p.read_bytes()) for p in conformance_documents()),
                           request_file_name="InvoiceRequest_20240301_TKPEPPOL"))
    return path


@pytest.mark.parametrize("form", ["json", "ndjson"])
def test_peppol_documents_round_trip_through_json(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  form: str) -> None:
    source = peppol_batch(tmp_path)
    middle, back = tmp_path / f"peppol.{form}", tmp_path / "back.xml"
    code, _, err = run_cli(capsys, "convert", str(source), "--to", form, "-o", str(middle))
    assert code == 0, err
    code, _, err = run_cli(capsys, "convert", str(middle), "-o", str(back))
    assert code == 0, err
    assert len(documents_of(source)) == len(conformance_documents()) == 18
    assert documents_of(back) == documents_of(source)
    with ublbatch.read_batch(back) as reader:
        assert reader.header.request_file_name == "InvoiceRequest_20240301_TKPEPPOL"
        assert reader.header.file_status_code == "S"
    # every Peppol example that is valid UBL stays valid
    assert ublbatch.validate_batch(back).accepted_count == ublbatch.validate_batch(source).accepted_count


def test_fixtures_round_trip_and_keep_what_the_model_does_not_name(tmp_path: Path) -> None:
    for name in ("google-success.xml", "google-pending.xml", "google-document-error.xml", "strict-valid.xml",
                 "prefixes.xml"):
        out = io.StringIO()
        report = to_json(FIXTURES / name, out, ndjson=True)
        assert report.complete and report.converted == len(documents_of(FIXTURES / name)), name
        middle = tmp_path / f"{name}.ndjson"
        middle.write_text(out.getvalue())
        back = tmp_path / name
        written = from_json(middle, back, validate=False)
        assert written.written == report.converted
        assert documents_of(back) == documents_of(FIXTURES / name), name


def test_invalid_content_survives_as_it_was(tmp_path: Path) -> None:
    # a bad date, an unknown element and an element out of place: all kept through the model
    odd = response("AR-odd", "GVR-odd", issue_date="2024-13-45",
                   extra="<cbc:Note>kept</cbc:Note><cbc:Unknown xmlns:cbc='urn:x'>?</cbc:Unknown>")
    source = tmp_path / "odd.xml"
    source.write_bytes(batch(odd))
    out = io.StringIO()
    to_json(source, out)
    data = json.loads(out.getvalue())
    document = data["documents"][0]["document"]
    assert document["_extra"], "elements the model cannot hold are kept under _extra"
    middle = tmp_path / "odd.json"
    middle.write_text(out.getvalue())
    from_json(middle, tmp_path / "back.xml", validate=False)
    assert documents_of(tmp_path / "back.xml") == documents_of(source)
    with pytest.raises(ublbatch.InvalidDocumentError):  # validation on by default when building back
        from_json(middle, tmp_path / "refused.xml")
    assert not (tmp_path / "refused.xml").exists()


def test_json_shape_and_skipped_children(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "convert", str(FIXTURES / "mixed.xml"), "--to", "json")
    assert code == 1  # a child was not an ApplicationResponse: nothing lost silently
    data = json.loads(out)
    assert data["request_file_name"] == "InvoiceRequest_20240202_TKD4E5F6"
    assert data["file_status"] == {"code": "S", "description": "File processed successfully"}
    assert [d["index"] for d in data["documents"]] == [1, 2, 3, 4, 6]
    assert data["documents"][0]["line"] == 8 and data["documents"][0]["id"] == "AR-2024-0101"
    assert data["skipped"] == [{"index": 5, "id": "INV-NOT-HERE", "line": 140, "error": {
        "code": "UNSUPPORTED_DOCUMENT_TYPE",
        "message": "Unsupported document: inv:Invoice is not a UBL 2.4 ApplicationResponse"}}]
    assert data["file_errors"] == []
    assert "skipped #5 INV-NOT-HERE (line 140)" in err

    code, out, _ = run_cli(capsys, "convert", str(FIXTURES / "mixed.xml"), "--to", "ndjson")
    types = [json.loads(line)["type"] for line in out.splitlines()]
    assert types == ["header"] + ["document"] * 4 + ["skipped", "document", "summary"]
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[5] == {"type": "skipped", **data["skipped"][0]}
    assert lines[-1] == {"type": "summary", "converted": 5, "skipped": data["skipped"], "file_errors": []}
    assert [line["document"] for line in lines if line["type"] == "document"] == [
        d["document"] for d in data["documents"]]


def test_broken_file_keeps_what_came_before(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "convert", str(FIXTURES / "broken" / "truncated.xml"), "--to", "json")
    assert code == 2
    data = json.loads(out)
    assert [d["id"] for d in data["documents"]] == ["AR-T-1", "AR-T-2"]
    assert data["file_errors"][0]["line"] == 86
    assert "truncated.xml, line 86" in err


def test_header_can_be_given_and_is_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = tmp_path / "bare.ndjson"  # bare model dicts, as `build` has always taken
    bare.write_text(json.dumps(ublbatch.ApplicationResponse.from_xml(_standalone()).to_dict()) + "\n")
    code, _, err = run_cli(capsys, "convert", str(bare), "-o", str(tmp_path / "x.xml"))
    assert code == 2 and "names no request_file_name" in err
    code, _, err = run_cli(capsys, "convert", str(bare), "-o", str(tmp_path / "x.xml"),
                           "--request-file-name", "Req_TK9", "--description", "rebuilt")
    assert code == 0, err
    with ublbatch.read_batch(tmp_path / "x.xml") as reader:
        assert (reader.header.request_file_name, reader.header.file_status_description) == ("Req_TK9", "rebuilt")
        assert [d.id for d in reader] == ["AR-1"]


def _standalone() -> bytes:
    ns = ('xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" '
          'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
          'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"')
    return response().replace("<ar:ApplicationResponse>", f"<ar:ApplicationResponse {ns}>", 1).encode()


def test_bad_json_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.ndjson"
    good = json.dumps(ublbatch.ApplicationResponse.from_xml(_standalone()).to_dict())
    broken.write_text(json.dumps({"type": "header", "request_file_name": "R"}) + "\n" + good + "\n{oops\n")
    code, _, err = run_cli(capsys, "convert", str(broken), "-o", str(tmp_path / "x.xml"))
    assert code == 2 and f"{broken}, line 3: not JSON" in err
    assert not (tmp_path / "x.xml").exists()  # atomic: nothing half-written
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"request_file_name": "R", "documents": [{"uuid": "U"}, {"colour": "red"}]}))
    code, _, err = run_cli(capsys, "convert", str(wrong), "-o", str(tmp_path / "x.xml"), "--no-validate")
    assert code == 2 and f"{wrong}, document 2: not an ApplicationResponse" in err and "colour" in err
    with pytest.raises(SourceError, match="expected a list of documents"):
        (tmp_path / "odd.json").write_text("42")
        read_json(tmp_path / "odd.json")


def test_build_takes_what_convert_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    middle = tmp_path / "g.json"
    assert run_cli(capsys, "convert", str(FIXTURES / "google-success.xml"), "-o", str(middle))[0] == 0
    code, _, err = run_cli(capsys, "build", str(middle), "--request-file-name", "Req_TK2", "--profile", "google",
                           "-o", str(tmp_path / "b.xml"))
    assert code == 0, err
    assert documents_of(tmp_path / "b.xml") == documents_of(FIXTURES / "google-success.xml")


def test_conversion_streams_in_flat_memory(tmp_path: Path) -> None:
    source = tmp_path / "big.xml"
    doc = response("AR-{i}", "GVR-{i}")
    with source.open("w") as out:
        out.write(header())
        for i in range(20_000):
            out.write(doc.replace("{i}", str(i)) + "\n")
        out.write("</ApplicationResponseBatch>\n")

    class Sink(io.StringIO):
        """Counts what is written and keeps nothing, so only the converter's own memory shows."""

        lines = 0
        early = 0

        def write(self, text: str) -> int:
            self.lines += text.count("\n")
            if self.lines == 2_000 and not self.early:
                self.early = _rss_kib()
            return len(text)

    sink = Sink()
    report = to_json(source, sink, ndjson=True)
    late = _rss_kib()
    assert report.converted == 20_000 and sink.lines == 20_002
    assert late - sink.early < 15_000, (sink.early, late)


def test_output_is_safe_and_follows_its_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "batch.xml"
    source.write_bytes((FIXTURES / "strict-valid.xml").read_bytes())
    code, _, err = run_cli(capsys, "convert", str(source), "-o", str(source))
    assert code == 2 and "is the input too" in err
    assert source.read_bytes() == (FIXTURES / "strict-valid.xml").read_bytes()
    code, _, err = run_cli(capsys, "convert", str(source), "-o", str(tmp_path / "missing" / "x.json"))
    assert code == 2 and "cannot write" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "convert", str(source), "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.xml"]  # nothing half-written left behind

    lines = tmp_path / "batch.ndjson"  # the suffix says NDJSON
    link = tmp_path / "link.ndjson"
    link.symlink_to(lines.name)
    assert run_cli(capsys, "convert", str(source), "-o", str(link))[0] == 0
    assert link.is_symlink() and json.loads(lines.read_text().splitlines()[0])["type"] == "header"
    with_bom = tmp_path / "bom.ndjson"  # as some Windows tools write it
    with_bom.write_bytes(b"\xef\xbb\xbf" + lines.read_bytes())
    assert run_cli(capsys, "convert", str(with_bom), "-o", str(tmp_path / "back.xml"))[0] == 0
    assert documents_of(tmp_path / "back.xml") == documents_of(source)
    bad = tmp_path / "bad.ndjson"
    bad.write_text(lines.read_text().splitlines()[0] + '\n{"type": "document", "index": 1}\n')
    code, _, err = run_cli(capsys, "convert", str(bad), "-o", str(tmp_path / "x.xml"))
    assert code == 2 and "line 2: a document entry without its 'document' object" in err


def test_round_trip_keeps_order_and_stray_text(tmp_path: Path) -> None:
    # a comment makes the second note unmodelled; Google's documented slip puts text inside cac:Response
    doc = response("A-1", "U-1", extra="<cbc:Note>first</cbc:Note><cbc:Note>second<!--c--></cbc:Note>"
                   "<cbc:Note>third</cbc:Note>").replace("<cac:Response>", "<cac:Response>stray", 1)
    source = tmp_path / "odd.xml"
    source.write_bytes(batch(doc))
    out = io.StringIO()
    to_json(source, out, ndjson=True)
    middle = tmp_path / "odd.ndjson"
    middle.write_text(out.getvalue())
    from_json(middle, tmp_path / "back.xml", validate=False)
    with ublbatch.read_batch(tmp_path / "back.xml") as reader:
        back = next(iter(reader)).element
    assert [n.text for n in back.iter("{*}Note")] == ["first", "second", "third"]
    assert back.find("{*}DocumentResponse/{*}Response").text == "stray"
    for profile in ("strict", "google"):  # rejected before, rejected after: the slip is not cleaned away
        assert ublbatch.validate_batch(tmp_path / "back.xml", profile=profile).rejected_count == 1


def test_extra_from_json_is_not_trusted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entity = '<!DOCTYPE n [<!ENTITY a "boom">]><cbc:Note xmlns:cbc="urn:x">&a;</cbc:Note>'
    for extra, why in [({"position": 99, "xml": "<a/>"}, "position 99"), ({"position": 1, "xml": "<bad"},
                       "not one well-formed element"), ({"position": 1, "xml": entity}, "DOCTYPE or entities")]:
        bad = tmp_path / "bad.ndjson"
        bad.write_text(json.dumps({"type": "header", "request_file_name": "R"}) + "\n"
                       + json.dumps({"uuid": "U", "_extra": [extra]}) + "\n")
        code, _, err = run_cli(capsys, "convert", str(bad), "-o", str(tmp_path / "x.xml"), "--no-validate")
        assert code == 2 and why in err and "line 2" in err, err
        assert not (tmp_path / "x.xml").exists()
