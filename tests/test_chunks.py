"""Byte ranges at proven boundaries: same results in one pass, in ranges, in processes, in Dask."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, batch, header, response

import ublbatch
from ublbatch.chunks import merge_chunks, plan_chunks, validate_chunk

sys.path.insert(0, str(ROOT / "bench"))
import itertools

from generate import generate


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "batch.xml"
    generate(path, documents=6000, invalid=0.02, seed=3)  # ~12 MB, ~150,000 lines
    return path


def one_pass(path: Path) -> ublbatch.BatchResult:
    return ublbatch.validate_batch(path.read_bytes(), name=str(path))


def test_ranges_give_the_one_pass_results(big: Path) -> None:
    reference = one_pass(big)
    assert reference.total_count == 6000 and 50 < reference.rejected_count < 250
    chunks = plan_chunks(big, 7)
    assert 2 <= len(chunks) <= 7 and [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.end == b.start for a, b in itertools.pairwise(chunks))
    merged = merge_chunks([validate_chunk(c) for c in chunks])
    assert merged is not None
    in_ranges = ublbatch.validate_batch(big)
    two_jobs = ublbatch.validate_batch(big, jobs=2)
    for result in (merged, in_ranges, two_jobs):
        assert [(r.index, r.id, r.status) for r in result.results] == [
            (r.index, r.id, r.status) for r in reference.results]
        assert [[i.message for i in r.issues] for r in result.results] == [
            [i.message for i in r.issues] for r in reference.results]
    assert in_ranges == two_jobs
    # lines: exact in ranges, also past 65,535 where the one-pass parser is off by one
    lines = big.read_bytes().split(b"\n")
    for result in in_ranges.results[::250]:
        assert result.line is not None and b"<ar:ApplicationResponse>" in lines[result.line - 1]
    assert in_ranges.results[-1].line is not None and in_ranges.results[-1].line > 65_535


def test_false_candidates_in_comments_and_cdata_are_not_cuts(tmp_path: Path) -> None:
    trap = "<!-- <ar:ApplicationResponse> in a comment -->"
    cdata = "<cbc:Note><![CDATA[ <ar:ApplicationResponse> in CDATA ]]></cbc:Note>"
    docs = []
    for i in range(4000):
        extra = cdata if i % 7 == 0 else ""
        docs.append(response(f"AR-{i}", f"GVR-{i}", extra=extra) + (trap if i % 5 == 0 else ""))
    path = tmp_path / "traps.xml"
    path.write_bytes(batch(*docs))
    for n in (3, 17, 101):
        chunks = plan_chunks(path, n)
        parts = [validate_chunk(c) for c in chunks]
        merged = merge_chunks(parts)
        if merged is None:  # a cut fell in a trap: the range did not parse, and it says so
            assert not all(p.sound for p in parts)
            continue
        assert [r.id for r in merged.results] == [f"AR-{i}" for i in range(4000)]
    result = ublbatch.validate_batch(path, jobs=2)
    assert [r.id for r in result.results] == [f"AR-{i}" for i in range(4000)]
    assert all(r.issues == () or r.issues[0].message.startswith("Unexpected element: cbc:Note")
               for r in result.results)


def test_a_broken_document_loses_nothing_around_it(big: Path, tmp_path: Path) -> None:
    data = big.read_bytes()
    cut = data.index(b"<cbc:Note>", len(data) // 2)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(data[:cut] + b"<cbc:Note>a < b</cbc:Note>" + data[cut + 10:])
    whole = one_pass(big)
    before = data[:cut].count(b"<ar:ApplicationResponse>")  # the broken document is number `before`
    for jobs in (1, 2):
        result = ublbatch.validate_batch(broken, jobs=jobs)
        assert [r.id for r in result.results] == [r.id for r in whole.results]
        bad = result.results[before - 1]
        assert bad.status == "rejected" and bad.error is not None and bad.error.code == "INVALID_XML"
        others = [r for i, r in enumerate(result.results) if i != before - 1]
        assert [r.status for r in others] == [r.status for i, r in enumerate(whole.results) if i != before - 1]
        assert result.file_errors == ()


def test_files_that_cannot_be_cut(tmp_path: Path) -> None:
    small = tmp_path / "small.xml"
    small.write_bytes(batch(response()))
    assert plan_chunks(small, 4) == [] or len(plan_chunks(small, 4)) <= 1
    doctype = tmp_path / "doctype.xml"
    doctype.write_bytes(b'<!DOCTYPE x>' + header().split("\n", 1)[1].encode() + b"</ApplicationResponseBatch>")
    assert plan_chunks(doctype, 4) == []
    assert ublbatch.validate_batch(doctype, jobs=2).file_errors[0].rule == "xml:doctype"


def test_dask_local_scheduler(big: Path, tmp_path: Path) -> None:
    from ublbatch.dask import plan, validate_files  # the dask extra: part of the test install

    small = tmp_path / "small.xml"
    small.write_bytes(batch(response("AR-S")))
    tasks = plan([big, small], chunk_bytes=1 << 20)
    assert len([t for t in tasks if t[0] == 0]) > 5 and [t for t in tasks if t[0] == 1] == [(1, str(small))]
    results = validate_files([big, small], chunk_bytes=1 << 20, scheduler="synchronous")
    threaded = validate_files([big, small], chunk_bytes=1 << 20, scheduler="processes")
    assert results == threaded
    assert results[0] == ublbatch.validate_batch(big)
    assert [r.id for r in results[1].results] == ["AR-S"]


def test_dask_distributed_cluster_with_worker_processes(big: Path, tmp_path: Path) -> None:
    # a real distributed scheduler: worker processes of their own, every result sent over the wire;
    # one file cut into ranges across the workers, and several files, a broken one among them
    distributed = pytest.importorskip("distributed")
    from ublbatch.dask import validate_files

    small = tmp_path / "small.xml"
    small.write_bytes(batch(response("AR-S")))
    damaged = tmp_path / "damaged.xml"
    damaged.write_bytes(big.read_bytes().replace(b"<cbc:UUID>", b"<cbc:UUID>a & b", 3))
    paths = [big, small, damaged]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        results = validate_files(paths, chunk_bytes=1 << 20, scheduler=client.get)
    assert results == [ublbatch.validate_batch(path) for path in paths]
    assert [r.error.code for r in results[2].results if r.error and r.error.code == "INVALID_XML"] == \
        ["INVALID_XML"] * 3


TRAP = "<!-- <ar:ApplicationResponse> -->"
BROKEN = response("BAD-2").replace("<cbc:IssueDate>", "<cbc:Note>a < b</cbc:Note><cbc:IssueDate>")


def ranged(tmp_path: Path, data: bytes, **options: object) -> ublbatch.BatchResult:
    path = tmp_path / "case.xml"
    path.write_bytes(data)
    return ublbatch.validate_batch(path, **options)  # type: ignore[arg-type]


def verdicts(result: ublbatch.BatchResult) -> list[tuple[int, str, str, str | None]]:
    return [(r.index, r.id, r.status, r.error.code if r.error else None) for r in result.results]


def test_review_cases(tmp_path: Path) -> None:
    # a cut inside a comment: the ranges after it are read again as one, the results are those of one pass
    traps = batch(*(response(f"AR-{i}", f"G{i}", extra=TRAP) for i in range(1, 21)))
    assert [r.id for r in ranged(tmp_path, traps, jobs=6).results] == [f"AR-{i}" for i in range(1, 21)]
    assert ranged(tmp_path, traps, jobs=6).ok
    # a comment holding a start tag right after a broken document is no document
    assert verdicts(ranged(tmp_path, batch(response("AR-1"), BROKEN + TRAP, response("AR-3")))) == [
        (1, "AR-1", "accepted", None), (2, "BAD-2", "rejected", "INVALID_XML"), (3, "AR-3", "accepted", None)]
    # a broken document whose prefix is declared on itself (no cut candidate) is still reported in place
    local = BROKEN.replace("<ar:ApplicationResponse>", '<x:ApplicationResponse xmlns:x="urn:oasis:names:'
                           'specification:ubl:schema:xsd:ApplicationResponse-2">').replace(
        "</ar:ApplicationResponse>", "</x:ApplicationResponse>").replace("BAD-2", "X-2")
    assert verdicts(ranged(tmp_path, batch(response("AR-1"), local, response("AR-3")))) == [
        (1, "AR-1", "accepted", None), (2, "X-2", "rejected", "INVALID_XML"), (3, "AR-3", "accepted", None)]
    # garbage in the header's piece is a file-level error, not a document
    garbage = batch(response("AR-1"), response("AR-2")).replace(b"</FileStatus>\n", b"</FileStatus>\nR&D\n")
    result = ranged(tmp_path, garbage)
    assert [r.id for r in result.results] == ["AR-1", "AR-2"] and [e.rule for e in result.file_errors] == [
        "xml:not-well-formed"]
    # another encoding is read in one pass
    latin = batch(response("AR-é")).replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
        "AR-é".encode(), "AR-é".encode("latin-1"))
    assert verdicts(ranged(tmp_path, latin)) == [(1, "AR-é", "accepted", None)]


def test_ranges_close_their_files(big: Path) -> None:
    import gc
    import os

    before = len(os.listdir("/proc/self/fd"))
    gc.disable()
    try:
        for chunk in plan_chunks(big, 20):
            validate_chunk(chunk)
        assert len(os.listdir("/proc/self/fd")) <= before + 1
    finally:
        gc.enable()


def test_ranges_stay_under_libxml2s_line_limit(tmp_path: Path) -> None:
    # a pretty-printed batch (ublbatch's own writer) has ~25 lines per document: one range of it would
    # pass 65,535 lines, where libxml2 reports some elements one line late
    from ublbatch.chunks import LINES_PER_RANGE

    path = tmp_path / "pretty.xml"
    declared = response("AR-{i}", "U-{i}").replace(
        "<ar:ApplicationResponse>", '<ar:ApplicationResponse xmlns:ar="urn:oasis:names:specification:ubl:schema:'
        'xsd:ApplicationResponse-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregate'
        'Components-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">', 1)
    with ublbatch.BatchWriter(path, request_file_name="R", pretty=True, validate=False,
                              limits=ublbatch.Limits(None, None, None)) as writer:
        for i in range(4_000):
            writer.write(declared.replace("{i}", str(i)).encode())
    text = path.read_bytes().split(b"\n")
    truth = [n + 1 for n, line in enumerate(text) if b"<ar:ApplicationResponse" in line]
    assert len(text) > 65_535 + 10_000 and len(truth) == 4_000

    chunks = plan_chunks(path, 1)
    ends = [c.line for c in chunks[1:]] + [len(text)]
    assert len(chunks) >= 2 and all(end - c.line <= LINES_PER_RANGE for c, end in zip(chunks, ends, strict=True))
    merged = merge_chunks([validate_chunk(c) for c in chunks])
    assert merged is not None and [r.line for r in merged.results] == truth
    assert [r.line for r in ublbatch.validate_batch(path).results] == truth


def test_lines_exact_past_65535_with_default_namespace_documents(tmp_path: Path) -> None:
    path = tmp_path / "default.xml"
    generate(path, documents=3_000, invalid=0.02, seed=5, style="default")
    text = path.read_bytes().split(b"\n")
    truth = [n + 1 for n, line in enumerate(text) if line.lstrip().startswith(b"<ApplicationResponse ")]
    assert len(text) > 65_535 + 10_000 and len(truth) == 3_000
    for jobs in (1, 2):
        result = ublbatch.validate_batch(path, jobs=jobs)
        assert [r.line for r in result.results] == truth
        unknown = {n + 1 for n, line in enumerate(text) if b"<cbc:Unknown>" in line}
        said = [i.line for r in result.results for i in r.issues if "cbc:Unknown" in i.message]
        assert max(said) > 65_535 and set(said) == unknown  # the element's own line, past 65,535 too
    assert 50 < result.rejected_count < 130
