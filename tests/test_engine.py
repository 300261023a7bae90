"""The reading engine over the matrix of real file styles: every command agrees on the same file.

Styles: documents with the envelope's prefixes, Peppol documents embedded verbatim (their own
default namespace), documents with a prefix of their own; one line each, pretty-printed, CRLF;
``jobs`` 1, 2 and 3, with ranges made small so that every file is cut in many places.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import attrs
import pytest
from conftest import FIXTURES, batch, conformance_documents, embeddable, response, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import ublbatch
import ublbatch.engine
from ublbatch.convert import to_json
from ublbatch.names import AR, CAC, CBC, EXT

STYLES = ("envelope", "default", "own-prefix")
LAYOUTS = ("line", "pretty", "crlf")
ROOT = (f'<ApplicationResponseBatch xmlns:ar="{AR}" xmlns:cac="{CAC}" xmlns:cbc="{CBC}" xmlns:ext="{EXT}">')
HEADER = ("<RequestFileName>InvoiceRequest_20240101_TKMATRIX</RequestFileName>"
          "<FileStatus><StatusCode>S</StatusCode><StatusDescription>ok</StatusDescription></FileStatus>")
FOREIGN = '<other:Notice xmlns:other="urn:example:other"><cbc:ID>FOREIGN-1</cbc:ID></other:Notice>'


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ublbatch.engine, "RANGE_BYTES", 6_000)
    monkeypatch.setattr(ublbatch.engine, "FIRST_RANGE_BYTES", 1_000)


def _copy(element: etree._Element, nsmap: dict[str | None, str]) -> etree._Element:
    top = etree.Element(element.tag, attrib=dict(element.attrib), nsmap=nsmap)

    def fill(source: etree._Element, target: etree._Element) -> None:
        target.text = source.text
        for child in source:
            if isinstance(child.tag, str):
                made = etree.SubElement(target, child.tag, attrib=dict(child.attrib))
                fill(child, made)
            else:
                made = etree.Comment(child.text) if child.tag is etree.Comment else etree.PI(child.target, child.text)
                target.append(made)
            made.tail = child.tail

    fill(element, top)
    return top


def styled(document: bytes, style: str, layout: str) -> str:
    """One Peppol document written in ``style`` and ``layout`` (CRLF is applied to the whole file)."""
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    element = etree.fromstring(embeddable(document), parser)
    if style == "envelope":
        element = _copy(element, {"ar": AR, "cac": CAC, "cbc": CBC, "ext": EXT})
    elif style == "own-prefix":
        element = _copy(element, {"resp": AR, "c": CAC, "b": CBC, "x": EXT})
    text = etree.tostring(element, encoding="unicode", pretty_print=layout != "line").strip()
    if style == "envelope":  # the root declares these
        text = re.sub(r' xmlns:(ar|cac|cbc|ext)="[^"]*"', "", text, count=4)
    return text


def build(style: str, layout: str, damaged: dict[int, str] | None = None) -> tuple[bytes, list[int], list[str]]:
    """The 18 Peppol documents as a batch, with ``damaged`` children inserted at their positions.

    Gives the bytes, the line of every child's start tag, and what each child is ("good" or a damage).
    """
    children: list[tuple[str, str]] = [(styled(p.read_bytes(), style, layout), "good")
                                       for p in conformance_documents()]
    for position, kind in sorted((damaged or {}).items()):
        children.insert(position - 1, (damage(children[position - 1][0], kind), kind))
    separator = "\n" if layout != "line" else ""
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ROOT + separator + HEADER + separator
    lines = []
    for child, _ in children:
        lines.append(text.count("\n") + 1)
        text += child + "\n"
    text += "</ApplicationResponseBatch>\n"
    if layout == "crlf":
        text = text.replace("\n", "\r\n")
    return text.encode(), lines, [kind for _, kind in children]


def damage(template: str, kind: str) -> str:
    """A copy of ``template`` (a good document) broken in the way ``kind`` names."""
    if kind == "foreign":
        return FOREIGN
    renamed = re.sub(r"(<(?:\w+:)?ID>)[^<]*", r"\1BROKEN-" + kind, template, count=1)
    if kind == "unescaped":
        return re.sub(r"(<(?:\w+:)?IssueDate>)", r"\1Tom & Jerry ", renamed, count=1)
    if kind == "mismatched":
        return re.sub(r"</((?:\w+:)?SenderParty)>", r"</\1x>", renamed, count=1)
    raise ValueError(kind)


DAMAGE = {4: "unescaped", 11: "foreign", 18: "mismatched"}


@pytest.fixture(scope="module")
def reference() -> list[tuple[str, str]]:
    """Each Peppol document's id and verdict, validated in a clean batch by the one-range path."""
    data, _, _ = build("default", "pretty")
    return [(r.id, r.status) for r in ublbatch.validate_batch(data).results]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_every_style_gives_every_document_once_in_order_with_exact_lines(
        style: str, layout: str, reference: list[tuple[str, str]], tmp_path: Path) -> None:
    data, lines, kinds = build(style, layout, DAMAGE)
    path = tmp_path / "batch.xml"
    path.write_bytes(data)
    assert len(kinds) == 21
    verdicts = {}
    for jobs in (1, 2, 3):
        result = ublbatch.validate_batch(path, jobs=jobs)
        verdicts[jobs] = result
        assert result.total_count == 21 and result.file_errors == ()
        assert [r.index for r in result.results] == list(range(1, 22))
        assert [r.line for r in result.results] == lines
        good = [(r.id, r.status) for r, kind in zip(result.results, kinds, strict=True) if kind == "good"]
        assert good == reference
        bad = {r.index: (r.id, r.error.code if r.error else None) for r in result.results if r.index in DAMAGE}
        assert bad == {4: ("BROKEN-unescaped", "INVALID_XML"), 11: ("FOREIGN-1", "UNSUPPORTED_DOCUMENT_TYPE"),
                       18: ("BROKEN-mismatched", "INVALID_XML")}
        for r in result.results:  # messages quote the file's lines, not a range's
            for issue in r.issues:
                assert issue.line is None or lines[r.index - 1] <= issue.line <= len(data.splitlines())
    assert verdicts[1] == verdicts[2] == verdicts[3]
    for jobs in (1, 2):  # bytes and streams: the same engine; with jobs, their ranges travel to the workers
        assert ublbatch.validate_batch(data, name=str(path), jobs=jobs) == verdicts[1]
        with path.open("rb") as stream:
            assert ublbatch.validate_batch(stream, jobs=jobs) == verdicts[1]

    # every command keeps the same good documents
    expected_status = verdicts[1].delivery_status()
    assert ublbatch.batch_status(path) == attrs.evolve(expected_status, failed_items=expected_status.failed_items)
    with ublbatch.read_batch(path) as reader:
        read = [(d.index, d.line, d.display_id, d.broken, d.supported) for d in reader]
    assert [d[1] for d in read] == lines and [d[0] for d in read] == list(range(1, 22))
    assert [d[3] for d in read] == [k in ("unescaped", "mismatched") for k in kinds]
    good_ids = [rid for (rid, _), kind in zip(((r.id, r.status) for r in verdicts[1].results), kinds, strict=True)
                if kind == "good"]
    report = ublbatch.split_batch(path, tmp_path / "parts", max_documents=5)
    assert report.documents == 18 and [x.index for x in report.left_out] == [4, 11, 18]
    split_ids = [r.id for part in report.outputs for r in ublbatch.validate_batch(part).results]
    assert split_ids == good_ids
    extracted = ublbatch.extract_documents(path, tmp_path / "one")
    assert extracted.documents == 18 and [x.index for x in extracted.left_out] == [4, 11, 18]
    out = io.StringIO()
    converted = to_json(path, out, ndjson=True)
    lines_out = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [x["index"] for x in lines_out if x["type"] == "document"] == [i for i in range(1, 22) if i not in DAMAGE]
    assert [s.index for s in converted.skipped] == [4, 11, 18]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(style=st.sampled_from(STYLES), layout=st.sampled_from(LAYOUTS), jobs=st.sampled_from((1, 2)),
       where=st.floats(0.05, 0.95), what=st.sampled_from(("<", "&", "</x>", "<!--", "DELETE")))
def test_damage_anywhere_loses_no_good_document(style: str, layout: str, jobs: int, where: float, what: str,
                                                reference: list[tuple[str, str]]) -> None:
    data, lines, _ = build(style, layout)
    starts = [data.index(b"\n", 0) if n == 1 else _offset_of_line(data, n) for n in lines]
    at = int(len(data) * where)
    removed = data[at:at + 40] if what == "DELETE" else b""
    broken = data[:at] + (b"" if what == "DELETE" else what.encode()) + data[at + len(removed):]
    touched = {i for i, start in enumerate(starts)
               if start <= at + len(removed) and (i + 1 == len(starts) or starts[i + 1] > at)}
    result = ublbatch.validate_batch(broken, jobs=jobs)
    found = [r.line for r in result.results]
    assert found == sorted(found)  # in order
    # none twice; a deletion can leave the remains of an end tag that read as a start tag
    # ("</c:PartyName><" + "sp:ApplicationResponse>"): that fragment is a broken child of its own
    read = [r.line for r in result.results if r.error is None or r.error.code != "INVALID_XML"]
    assert len(read) == len(set(read))
    got = {r.line: (r.id, r.status) for r in result.results}
    for i, line in enumerate(lines):
        if i in touched or (what == "<!--" and i > min(touched)):
            continue  # "<!--" makes a comment of what follows, as any parser sees it
        moved = line - (removed.count(b"\n") if starts[i] > at else 0)
        assert got.get(moved) == reference[i], (i, what, at, sorted(touched))


def _offset_of_line(data: bytes, line: int) -> int:
    position = 0
    for _ in range(line - 1):
        position = data.index(b"\n", position) + 1
    return position


ID_CASES = {
    "<cbc:ID>MLS-<!-- x -->ID123</cbc:ID>": "MLS-ID123",
    "<cbc:ID><!-- first -->ID-39</cbc:ID>": "ID-39",
    "<cbc:ID>A<?keep this?>B</cbc:ID>": "AB",
    "<cbc:ID><![CDATA[R&D-1]]></cbc:ID>": "R&D-1",
    "<cbc:ID schemeID='x'> spaced </cbc:ID>": "spaced",
}


@pytest.mark.parametrize("written", ID_CASES)
def test_ids_are_the_elements_string_value(written: str) -> None:
    good = response("AR-X", "5e4f-<!-- split -->0001").replace("<cbc:ID>AR-X</cbc:ID>", written)
    broken = good.replace("<cbc:IssueDate>", "<cbc:IssueDate>Tom & Jerry ")
    result = ublbatch.validate_batch(batch(good, broken))
    assert [(r.id, r.uuid) for r in result.results] == [(ID_CASES[written], "5e4f-0001")] * 2
    assert [r.error.code if r.error else None for r in result.results] == [None, "INVALID_XML"]
    with ublbatch.read_batch(batch(good)) as reader:
        assert [(d.id, d.uuid) for d in reader] == [(ID_CASES[written], "5e4f-0001")]


def test_libxml2s_own_messages_quote_the_files_lines(tmp_path: Path) -> None:
    documents = [response(f"AR-{i}", f"U-{i}").replace("><", ">\n<") for i in range(60)]
    documents[47] = documents[47].replace("</cac:SenderParty>", "</cac:SenderPartyX>")
    data = batch(*documents)
    path = tmp_path / "lines.xml"
    path.write_bytes(data)
    sender = [n + 1 for n, line in enumerate(data.split(b"\n")) if line.startswith(b"<cac:SenderParty>")][47]
    for jobs in (1, 2):
        broken = ublbatch.validate_batch(path, jobs=jobs).results[47]
        assert broken.error is not None and broken.error.code == "INVALID_XML"
        assert f"SenderParty line {sender} and" in broken.error.message


def test_respond_to_a_request_cut_short_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = (FIXTURES / "google-request.xml").read_bytes()
    cut_short = tmp_path / "request.xml"
    cut_short.write_bytes(request[: request.index(b"<cbc:UUID>", request.index(b"inv:Invoice>") + 20)])
    code, _, err = run_cli(capsys, "respond", str(cut_short), "-o", str(tmp_path / "response.xml"))
    assert code == 2 and "not well-formed" in err and not (tmp_path / "response.xml").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_command_on_the_same_damaged_file(jobs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                reference: list[tuple[str, str]]) -> None:
    data, lines, kinds = build("default", "crlf", DAMAGE)
    path = tmp_path / "damaged.xml"
    path.write_bytes(data)
    code, out, _ = run_cli(capsys, "validate", str(path), "--format", "ndjson", "--jobs", jobs)
    results = [json.loads(line) for line in out.splitlines() if '"type": "result"' in line]
    assert code == 1 and [r["line"] for r in results] == lines
    assert [(r["id"], r["status"]) for r, k in zip(results, kinds, strict=True) if k == "good"] == reference
    code, out, _ = run_cli(capsys, "status", str(path), "--format", "json")
    status = json.loads(out)
    assert code == 0 and status["delivered_count"] + status["pending_count"] + status["failed_count"] == 21
    code, out, err = run_cli(capsys, "convert", str(path), "--to", "ndjson")
    converted = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len([c for c in converted if c["type"] == "document"]) == 18
    assert [c["index"] for c in converted if c["type"] == "skipped"] == [4, 11, 18]
    for command in ("split", "extract"):
        code, out, err = run_cli(capsys, command, str(path), "-o", str(tmp_path / command))
        assert code == 1 and "18 documents" in err and err.count("left out #") == 3


@pytest.mark.parametrize("style", STYLES)
def test_every_format_is_the_same_with_any_jobs(style: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the header line too: with jobs > 1 the header is read on entering, as with one job
    path = tmp_path / "damaged.xml"
    path.write_bytes(build(style, "pretty", DAMAGE)[0])
    for format in ("ndjson", "json", "csv", "text"):
        outputs = {run_cli(capsys, "validate", str(path), "--format", format, "--jobs", jobs)[:2]
                   for jobs in ("1", "2", "3")}
        assert len(outputs) == 1, format
        assert format == "csv" or "InvoiceRequest_20240101_TKMATRIX" in outputs.pop()[1]
    with ublbatch.validate_stream(path, jobs=2) as validation:
        assert validation.header.request_file_name == "InvoiceRequest_20240101_TKMATRIX"


def test_prefixes_rebound_anywhere(tmp_path: Path) -> None:
    # the root's own prefixes mean nothing to a document that declares its own: libxml2 decides
    own = response("AR-OWN").replace("<ar:ApplicationResponse>", f'<ar:ApplicationResponse xmlns:ar="{AR}">')
    swapped = response("AR-SWAP").replace("ar:ApplicationResponse", "cac:ApplicationResponse").replace(
        "<cac:ApplicationResponse>", f'<cac:ApplicationResponse xmlns:cac="{AR}">', 1).replace(
        "<cac:SenderParty>", f'<cac:SenderParty xmlns:cac="{CAC}">').replace(
        "<cac:ReceiverParty>", f'<cac:ReceiverParty xmlns:cac="{CAC}">').replace(
        "<cac:DocumentResponse>", f'<cac:DocumentResponse xmlns:cac="{CAC}">')
    wrong = response("AR-WRONG").replace("<ar:ApplicationResponse>", '<ar:ApplicationResponse xmlns:ar="urn:x">')
    nested = response("AR-NESTED").replace("<cbc:IssueDate>", '<cbc:IssueDate xmlns:ar="urn:elsewhere">')
    path = tmp_path / "rebound.xml"
    path.write_bytes(batch(own, swapped, wrong, nested))
    for jobs in (1, 2):
        result = ublbatch.validate_batch(path, jobs=jobs)
        assert [(r.id, r.status, r.error.code if r.error else None) for r in result.results] == [
            ("AR-OWN", "accepted", None), ("AR-SWAP", "accepted", None),
            ("AR-WRONG", "rejected", "UNSUPPORTED_DOCUMENT_TYPE"), ("AR-NESTED", "accepted", None)]


def request_batch(children: list[str]) -> bytes:
    body = "\n".join(children)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<RequestBatch batchID="B_1" documentCount="{len(children)}">'
            f"\n{body}\n</RequestBatch>\n").encode()


def test_request_batches_with_peppol_invoices_embedded_verbatim(tmp_path: Path) -> None:
    invoices = [embeddable(p.read_bytes()).decode() for p in conformance_documents("peppol-invoice")]
    kinds = ["CreditNote" if text.lstrip().startswith("<CreditNote") else "Invoice" for text in invoices]
    assert "CreditNote" in kinds
    broken = [*invoices[:2], invoices[2].replace("<cbc:IssueDate>", "<cbc:IssueDate>a & b", 1), *invoices[3:]]
    path = tmp_path / "request.xml"
    path.write_bytes(request_batch(broken))
    reference = ublbatch.validate_batch(request_batch(invoices))
    assert reference.file_errors == () and reference.total_count == len(invoices)
    for jobs in (1, 2):
        result = ublbatch.validate_batch(path, jobs=jobs)
        assert result.file_errors == () and result.total_count == len(invoices)
        assert [r.index for r in result.results if r.error and r.error.code == "INVALID_XML"] == [3]
        assert [(r.id, r.status) for r in result.results if r.index != 3] == \
            [(r.id, r.status) for r in reference.results if r.index != 3]
    with ublbatch.read_request_batch(path) as reader:
        read = [(d.kind, d.broken) for d in reader]
    assert read == [(None, True) if i == 2 else (kind, False) for i, kind in enumerate(kinds)]


def test_a_document_name_nested_in_a_document_is_never_a_cut(tmp_path: Path) -> None:
    # an ApplicationResponse inside ext:ExtensionContent, right where a range would end: the file is
    # cut after a child's end tag only, so the outer document stays whole (it was split in five)
    pad = '<x:Pad xmlns:x="urn:x">' + "a" * 40_000 + "</x:Pad>"
    nested = response("AR-OUTER", "U-1").replace(
        "<cbc:ID>", f"<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>{pad}"
        "<ar:ApplicationResponse/></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions><cbc:ID>", 1)
    data = batch(response("AR-0", "U-0"), nested, response("AR-2", "U-2"))
    whole = ublbatch.validate_batch(data)  # the autouse fixture makes ranges of 6,000 bytes
    assert [(r.id, r.error.code if r.error else None) for r in whole.results] == [
        ("AR-0", None), ("AR-OUTER", "VALIDATION_ERROR"), ("AR-2", None)]
    assert whole.file_errors == () and whole.results[1].error is not None
    assert "ExtensionContent" in whole.results[1].error.path or "ApplicationResponse" in whole.results[1].error.message
    path = tmp_path / "nested.xml"
    path.write_bytes(data)
    assert ublbatch.validate_batch(path, jobs=2) == attrs.evolve(whole, source=str(path))


def _ranges(data: bytes) -> list[ublbatch.engine.Range]:
    stream = io.BytesIO(data)
    head = stream.read(ublbatch.engine.FIRST_READ_BYTES)
    prolog = ublbatch.engine.read_prolog(head)
    assert prolog is not None
    return list(ublbatch.engine.cut(stream, prolog, head))


@pytest.fixture()
def small_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks and the window past a range's target made small, so that ranges are cut while reading."""
    monkeypatch.setattr(ublbatch.engine, "READ_BYTES", 4_096)
    monkeypatch.setattr(ublbatch.engine, "FIRST_READ_BYTES", 4_096)
    monkeypatch.setattr(ublbatch.engine, "_FAST_WINDOW", 3_000)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_ranges_cut_without_a_scan_are_the_scanned_ones(style: str, layout: str, small_reads: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    data, _, _ = build(style, layout, DAMAGE)
    fast = _ranges(data)
    assert sum(part.cuts is None for part in fast) >= len(fast) - 2  # all but the first and the last
    monkeypatch.setattr(ublbatch.engine, "next_cut", lambda *args: None)  # every range scanned
    scanned = _ranges(data)
    assert [(p.start, p.line, p.data, p.last) for p in fast] == [(p.start, p.line, p.data, p.last) for p in scanned]
    context = ublbatch.engine.Context("x", "response", ublbatch.engine.read_prolog(data[:4_096]))  # type: ignore[arg-type]
    for quick, slow in zip(fast, scanned, strict=True):  # a range that breaks is scanned then, alike
        assert ublbatch.engine.RangeReading(context, quick, None, 0)._candidates() == slow.cuts


@pytest.mark.parametrize("markup", [
    "<!-- was: </ar:ApplicationResponse>\n<ar:ApplicationResponse> -->",
    "<?note </ar:ApplicationResponse>\n<ar:ApplicationResponse>?>",
])
def test_markup_that_hides_a_tag_is_never_cut(markup: str, small_reads: None) -> None:
    # a document's end and start tag inside a comment or PI after every third document: a cut there
    # would break two ranges, so those ranges are scanned, which steps over the markup
    documents = [response(f"AR-{i}", f"U-{i}") + (markup if i % 3 == 2 else "") for i in range(40)]
    data = batch(*documents)
    ranges = _ranges(data)
    hidden = [m.span() for m in re.finditer(rb"<!--.*?-->|<\?note.*?\?>", data, re.S)]
    assert len(ranges) > 3 and len(hidden) == 13
    assert not any(a < part.start < b for part in ranges for a, b in hidden)
    got = ublbatch.validate_batch(data, jobs=2)
    assert got.file_errors == ()
    assert [(r.id, r.status) for r in got.results] == [(f"AR-{i}", "accepted") for i in range(40)]


def test_question_marks_in_text_do_not_hide_a_pi() -> None:
    from ublbatch.boundaries import free_of_markup
    text = b"<a>" + b"why? " * 200 + b"</a>"
    assert free_of_markup(text, 0, len(text))
    assert not free_of_markup(text + b"<?pi x?>", 0, len(text) + 8)
    assert not free_of_markup(b"<a>!</a><!-- c -->", 0, 18)
    assert free_of_markup(b"<a>!</a><!-- c -->", 0, 8)


def _slow_pid(job: int) -> tuple[int, int]:
    import os
    import time
    time.sleep(0.02)
    return job, os.getpid()


def test_jobs_share_the_work_with_this_process_in_order() -> None:
    # --jobs 2 is this process and one worker: the worker is kept two ranges ahead, and this process
    # takes a range itself meanwhile; the results come out in the order of the ranges
    import os

    from ublbatch.validate import run_ahead
    done = list(run_ahead(_slow_pid, range(30), 2))  # type: ignore[arg-type]
    assert [job for job, _ in done] == list(range(30))
    pids = {pid for _, pid in done}
    assert os.getpid() in pids and len(pids) == 2


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("style", ["envelope", "default"])
def test_signed_and_invalid_documents_read_in_ranges_match_each_validated_alone(style: str, layout: str,
                                                                              tmp_path: Path) -> None:
    # a signature's Id (xsd:ID) repeats in every signed document: documents read in ranges must be
    # judged as each is alone, with no ID clash between neighbours; errors and layouts vary
    import sys
    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    from generate import generate

    path = tmp_path / "signed.xml"
    generate(path, documents=120, invalid=0.1, seed=3, style=style, signatures=0.5)
    data = path.read_bytes()
    if layout == "line":  # white space between tags only: no text of these documents has any
        data = re.sub(rb">\s+<", b"><", data)
    elif layout == "crlf":
        data = data.replace(b"\n", b"\r\n")
    path.write_bytes(data)
    assert data.count(b'Id="signature"') > 40
    root = etree.fromstring(data)
    alone = []
    for child in root[2:]:
        one = (b'<ApplicationResponseBatch xmlns:ar="' + AR.encode() + b'" xmlns:cac="' + CAC.encode()
               + b'" xmlns:cbc="' + CBC.encode() + b'" xmlns:ext="' + EXT.encode() + b'">' + HEADER.encode()
               + etree.tostring(child) + b"</ApplicationResponseBatch>")
        [result] = ublbatch.validate_batch(one).results
        alone.append((result.id, result.status, [(i.rule, i.message, i.path) for i in result.issues]))
    assert 5 <= sum(status == "rejected" for _, status, _ in alone) < 30
    for jobs in (1, 2):
        together = ublbatch.validate_batch(path, jobs=jobs)
        assert [(r.id, r.status, [(i.rule, i.message, i.path) for i in r.issues]) for r in together.results] == alone


@pytest.mark.parametrize("after", ["junk", "<x:Stray xmlns:x='urn:x'/>", "<!-- fine --><?fine too?>"])
@pytest.mark.parametrize("style", STYLES)
def test_content_after_the_roots_end_is_a_file_error_and_never_a_document(
        style: str, after: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # found by review: an element after </ApplicationResponseBatch> was counted as a document
    data, lines, _ = build(style, "pretty")
    path = tmp_path / "after.xml"
    path.write_bytes(data.rstrip() + b"\n" + after.encode() + b"\n")
    fine = after.startswith("<!--")
    for jobs in (1, 2):
        result = ublbatch.validate_batch(path, jobs=jobs)
        assert [r.line for r in result.results] == lines
        assert [e.rule for e in result.file_errors] == ([] if fine else ["xml:not-well-formed"])
        assert fine or "content after the end of ApplicationResponseBatch" in result.file_errors[0].message
        assert fine or result.file_errors[0].line == data.count(b"\n") + 1
    with ublbatch.read_batch(path) as reader:
        assert sum(1 for _ in reader) == 18
    status = ublbatch.batch_status(path)
    assert status.delivered_count + status.pending_count + status.failed_count == 18
    code, out, err = run_cli(capsys, "convert", str(path), "--to", "ndjson")
    assert len([x for x in map(json.loads, out.splitlines()) if x["type"] == "document"]) == 18
    assert (code, "content after the end" in err) == ((0, False) if fine else (2, True)), (code, err)


@pytest.mark.parametrize("style", STYLES)
def test_a_document_broken_twice_loses_no_document_after_it(style: str, reference: list[tuple[str, str]]) -> None:
    # a comment it never closes and no end tag (review finding): the broken document ran on over all
    # the documents after it, which vanished; it now ends where the next document starts
    data, lines, _ = build(style, "pretty")
    start = _offset_of_line(data, lines[5])
    at = data.rindex(b"<", 0, data.index(b"IssueDate>", start))
    end = data.rindex(b"</", 0, _offset_of_line(data, lines[6]))
    broken = data[:at] + b"<!-- never closed " + data[at:end] + data[data.index(b">", end) + 1:]
    for jobs in (1, 2):
        result = ublbatch.validate_batch(broken, jobs=jobs)
        assert [r.line for r in result.results] == lines
        assert result.results[5].error is not None and result.results[5].error.code == "INVALID_XML"
        got = [(r.id, r.status) for r in result.results]
        assert got[:5] + got[6:] == reference[:5] + reference[6:]
