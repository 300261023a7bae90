"""BatchWriter: fixed prefixes declared once, validation before writing, atomic files, limits."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import FIXTURES, conformance_documents, embeddable
from lxml import etree

import ublbatch
from ublbatch.model import ApplicationResponse, DocumentReference, DocumentResponse, Response, Status, value
from ublbatch.writer import Limits

AR_NS = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"


def make(i: int, code: str = "NON") -> ApplicationResponse:
    return ApplicationResponse(
        id=f"AR-{i}", uuid=f"GVR-{i}", issue_date=dt.date(2024, 5, 1),
        issue_time=dt.time(9, 30, tzinfo=dt.timezone.utc),
        notes=[f"response {i} – ünïcode"], sender="Vendor", receiver="Google",
        document_responses=[DocumentResponse(
            response=Response(statuses=[Status(reason_code=code, reasons=["reason"])]),
            document_references=[DocumentReference(id=value(f"45{i:08d}", schemeID="GoogleInvoiceNumber"))])])


def test_reader_of_writer_gives_back_the_models(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    models = [make(i, code) for i, code in enumerate(["NON", "PEN", "REF", "CER"])]
    report = ublbatch.write_batch(target, ublbatch.BatchHeader("Req_TK1", "S", "ok"), models)
    assert report.written == 4 and report.skipped == ()
    with ublbatch.read_batch(target) as reader:
        assert reader.header == ublbatch.BatchHeader("Req_TK1", "S", "ok", 2)
        back = [d.model() for d in reader]
    assert back == models and [b.to_dict() for b in back] == [m.to_dict() for m in models]
    assert ublbatch.validate_batch(target).ok


def test_declarations_once_on_the_root_in_fixed_prefixes(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    peppol = [p.read_bytes() for p in conformance_documents()[:5]]  # default namespace, own declarations
    prefixed_elements = etree.parse(str(FIXTURES / "prefixes.xml")).getroot()[2:3]  # b:/a: prefixes
    with ublbatch.BatchWriter(target, request_file_name="Req_TK2") as writer:
        for data in peppol:
            writer.write(data)
        writer.write(prefixed_elements[0])
        writer.write(make(1))
    text = target.read_bytes()
    assert text.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ApplicationResponseBatch xmlns:ar=')
    assert text.count(b"xmlns:") == 4 and text.count(b"xmlns=") == 0
    root = etree.fromstring(text)
    assert root.nsmap == ublbatch.model.NSMAP
    assert all(el.prefix in ("ar", "cac", "cbc", "ext") for doc in root[2:] for el in doc.iter(etree.Element))
    result = ublbatch.validate_batch(target)
    assert result.ok and result.total_count == 7


def test_elements_straight_from_a_batch_keep_the_declarations_on_the_root(tmp_path: Path) -> None:
    target = tmp_path / "copy.xml"
    with ublbatch.read_batch(FIXTURES / "mixed.xml") as reader, \
            ublbatch.BatchWriter(target, request_file_name="R", on_invalid="skip") as writer:
        for document in reader:
            if document.supported:
                writer.write(document.element)
    text = target.read_bytes()
    assert text.count(b"xmlns:") == 4, text[:2000]
    assert [r.id for r in ublbatch.validate_batch(target).results] == ["AR-2024-0101", "AR-2024-0103", "AR-2024-0105"]


def test_pretty_output_is_the_same_batch(tmp_path: Path) -> None:
    plain, pretty = tmp_path / "plain.xml", tmp_path / "pretty.xml"
    for target, flag in ((plain, False), (pretty, True)):
        with ublbatch.BatchWriter(target, request_file_name="R_T", pretty=flag) as writer:
            writer.write_all([make(1), make(2)])
    assert b"\n    <cbc:ID>AR-1</cbc:ID>" in pretty.read_bytes()
    with ublbatch.read_batch(plain) as a, ublbatch.read_batch(pretty) as b:
        assert [d.model() for d in a] == [d.model() for d in b]


def test_invalid_document_raises_naming_it_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    bad = ApplicationResponse(uuid="GVR-X", issue_date=dt.date(2024, 1, 1), sender="V", receiver="G")
    with pytest.raises(ublbatch.InvalidDocumentError) as exc, ublbatch.BatchWriter(target, request_file_name="R") as w:
        w.write(make(1))
        w.write(bad)
    assert "document #2 (GVR-X)" in str(exc.value) and "Missing required element: cbc:ID" in str(exc.value)
    assert exc.value.result.error.message == "Missing required element: cbc:ID"  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file is left


def test_exception_inside_the_block_leaves_the_old_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError), ublbatch.BatchWriter(target, request_file_name="R") as writer:
        writer.write(make(1))
        raise RuntimeError("crash mid-batch")
    assert target.read_bytes() == b"previous" and len(list(tmp_path.iterdir())) == 1


def test_skip_collects_invalid_documents(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    damaged = embeddable((FIXTURES / "google-success.xml").read_bytes())  # a whole batch is not a document
    with ublbatch.BatchWriter(target, request_file_name="R", on_invalid="skip") as writer:
        assert writer.write(make(1))
        assert not writer.write(ApplicationResponse(uuid="GVR-B", issue_date=dt.date(2024, 1, 1),
                                                    sender="V", receiver="G"))
        assert writer.write(make(3))
        with pytest.raises(ublbatch.BatchWriteError, match=r"only UBL 2\.4 ApplicationResponse"):
            writer.write(damaged)
    report = writer.report
    assert report.written == 2 and [s.id for s in report.skipped] == ["GVR-B"]
    assert report.skipped[0].to_dict()["error"] == {
        "code": "VALIDATION_ERROR", "message": "Missing required element: cbc:ID",
        "details": [{"rule": "xsd:missing-element", "location": "/ar:ApplicationResponse/cbc:ID",
                     "message": "Missing required element: cbc:ID", "level": "error"}]}
    assert [r.id for r in ublbatch.validate_batch(target).results] == ["AR-1", "AR-3"]


def test_error_and_duplicate_batches_take_no_documents(tmp_path: Path) -> None:
    for status in ("E", "D"):
        target = tmp_path / f"{status}.xml"
        with (ublbatch.BatchWriter(target, request_file_name="R", file_status=status,
                                   status_description="no file") as writer,
              pytest.raises(ublbatch.BatchWriteError, match=f"file status {status}")):
            writer.write(make(1))
        result = ublbatch.validate_batch(target)
        assert result.ok and result.total_count == 0 and result.header.file_status_code == status
    with pytest.raises(ValueError):
        ublbatch.BatchWriter(tmp_path / "x.xml", request_file_name="R", file_status="X")
    with pytest.raises(ValueError):
        ublbatch.BatchWriter(tmp_path / "x.xml", request_file_name="  ")


def test_limits(tmp_path: Path) -> None:
    with ublbatch.BatchWriter(tmp_path / "a.xml", request_file_name="R", limits=Limits(2, None, None)) as writer:
        writer.write_all([make(1), make(2)])
        with pytest.raises(ublbatch.LimitExceededError, match="does not fit"):
            writer.write(make(3))
        assert writer.written == 2
    with (ublbatch.BatchWriter(tmp_path / "b.xml", request_file_name="R", limits=Limits(None, None, 300)) as writer,
          pytest.raises(ublbatch.LimitExceededError, match="Document too large")):
        writer.write(make(1))
    with ublbatch.BatchWriter(tmp_path / "c.xml", request_file_name="R", on_invalid="skip",
                              limits=Limits(None, None, 300)) as writer:
        assert not writer.write(make(1))
    assert writer.report.skipped[0].error is not None
    assert writer.report.skipped[0].error.code == "DOCUMENT_TOO_LARGE"
    defaults = Limits()
    assert (defaults.max_documents, defaults.max_bytes, defaults.max_document_bytes) == (100, 50 * 2**20, 15 * 2**20)


def test_writes_to_a_file_object() -> None:
    buffer = io.BytesIO()
    with ublbatch.BatchWriter(buffer, request_file_name="R") as writer:
        writer.write(make(1).to_xml())
    assert ublbatch.validate_batch(buffer.getvalue()).ok


def test_memory_stays_flat_while_writing(tmp_path: Path) -> None:
    from test_reader import _rss_kib

    element = make(0).to_element()
    with ublbatch.BatchWriter(tmp_path / "big.xml", request_file_name="R", validate=False,
                              limits=Limits(None, None, None)) as writer:
        for i in range(30_000):
            writer.write(element)
            if i == 3_000:
                early = _rss_kib()
        late = _rss_kib()
    assert writer.written == 30_000
    assert late - early < 15_000, (early, late)


def test_written_files_get_the_usual_mode(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        target = tmp_path / "new.xml"
        with ublbatch.BatchWriter(target, request_file_name="R") as writer:
            writer.write(make(1))
        assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600: others may read it
        target.chmod(0o640)
        with ublbatch.BatchWriter(target, request_file_name="R") as writer:
            writer.write(make(2))
        assert stat.S_IMODE(target.stat().st_mode) == 0o640  # replacing a file keeps its mode
        assert [p.name for p in tmp_path.iterdir()] == ["new.xml"]
    finally:
        os.umask(old)
