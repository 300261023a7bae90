"""The pytest plugin and ``ublbatch.testing``: what a suite that checks batches sees in pytest's report.

Most tests write a small test file with ``pytester``, run pytest on it (in process) against the
real fixtures, and read pytest's own output and outcomes.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, UBL_RELEASE, batch, response

import ublbatch
from ublbatch.testing import (
    FILE_CASE_ID,
    MAX_LINES,
    BatchAssertionError,
    DocumentCase,
    Validator,
    assert_valid_batch,
    assert_valid_document,
    document_result,
    documents,
    unique_ids,
)

pytest_plugins = ["pytester"]

STRICT_VALID = FIXTURES / "strict-valid.xml"
MIXED = FIXTURES / "mixed.xml"
GOOGLE_SUCCESS = FIXTURES / "google-success.xml"
TRUNCATED = FIXTURES / "broken" / "truncated.xml"
MALFORMED = FIXTURES / "broken" / "malformed-document.xml"

IMPORTS = "import pytest\nfrom ublbatch.testing import assert_valid_batch, assert_valid_document, documents\n"

# What must never reach the report: libxml2's own text (kept in Issue.raw) and frames inside ublbatch.
LIBXML2_RAW = re.compile(r"Element '\{urn:|Schemas validity error|This element is not expected")
INTERNAL_FRAMES = re.compile(r"ublbatch[/\\](testing|validate|chunks|reader|schemas|pytest_plugin)\.py")


def write_test(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_batches=IMPORTS + body)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest on the written tests, in process; the slow-starting plugins of this environment stay out."""
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cacheprovider", *args)


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def assert_clean(text: str) -> None:
    """No libxml2 raw text and no traceback frame inside ublbatch."""
    assert not LIBXML2_RAW.search(text), text
    assert not INTERNAL_FRAMES.search(text), text


# -- the plugin is installed and cheap ----------------------------------------------------------


def test_entry_point_is_registered() -> None:
    found = [ep for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "ublbatch"]
    assert [ep.value for ep in found] == ["ublbatch.pytest_plugin"]
    assert found[0].load() is sys.modules["ublbatch.pytest_plugin"]


def test_loading_the_plugin_compiles_nothing_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, ublbatch.pytest_plugin, ublbatch.schemas\n"
        "print(sorted(m for m in ('xmlschema', 'ublbatch.testing') if m in sys.modules))\n"
        "print(len(ublbatch.schemas._shared))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "0"]


def test_report_header_names_profile_and_schemas(pytester: pytest.Pytester) -> None:
    write_test(pytester, "def test_nothing():\n    pass\n")
    result = run(pytester, "--ublbatch-profile", "google", "--ublbatch-schemas", str(UBL_RELEASE))
    result.stdout.fnmatch_lines([f"ublbatch {ublbatch.__version__}: profile google, UBL 2.4 schemas "
                                 f"{UBL_RELEASE} (--ublbatch-schemas)"])
    result.assert_outcomes(passed=1)


# -- assert_valid_batch ---------------------------------------------------------------------------


def test_a_valid_batch_passes_and_returns_its_result(pytester: pytest.Pytester) -> None:
    write_test(pytester, f"""
def test_batch():
    result = assert_valid_batch({str(STRICT_VALID)!r})
    assert (result.total_count, result.accepted_count) == (3, 3)
    assert [d.id for d in result.results] == ["AR-2024-0001", "AR-2024-0002", "AR-2024-0003"]
""")
    run(pytester).assert_outcomes(passed=1)


@pytest.mark.parametrize("tb", ["auto", "short", "long"])
def test_a_failing_batch_reports_id_line_path_and_message(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                          tb: str) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # the whole first line in the short summary
    write_test(pytester, f"""
def test_batch():
    assert_valid_batch({str(MIXED)!r})
""")
    result = run(pytester, f"--tb={tb}", "-rA")
    result.assert_outcomes(failed=1)
    text = output(result)
    result.stdout.fnmatch_lines([
        f"E * ublbatch.testing.BatchAssertionError: 3 of 6 documents rejected in {MIXED} [[]profile strict[]]",
        "E *#2 AR-2024-0102 (line 45): Invalid value '2024-13-01' for cbc:IssueDate at "
        "/ar:ApplicationResponse/cbc:IssueDate",
        "E *#4 GVR-0004-2024-000404 (line 109): Missing required element: cbc:ID at /ar:ApplicationResponse/cbc:ID",
        "E *#4 GVR-0004-2024-000404 (line 112): Unexpected element: cbc:Foo at /ar:ApplicationResponse/cbc:Foo",
        "E *#5 INV-NOT-HERE (line 140): Unsupported document: inv:Invoice is not a UBL 2.4 ApplicationResponse "
        "at /inv:Invoice",
        "FAILED test_batches.py::test_batch - ublbatch.testing.BatchAssertionError: 3 of 6*",
    ])
    assert "AR-2024-0101" not in text  # accepted documents are not listed
    assert_clean(text)
    assert re.findall(r"test_batches\.py:\d+", text) == ["test_batches.py:5"]  # the test's own line, only


def test_file_level_errors_are_reported_with_file_and_line(pytester: pytest.Pytester) -> None:
    write_test(pytester, f"""
def test_batch():
    assert_valid_batch({str(TRUNCATED)!r})
""")
    result = run(pytester, "--tb=short")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        f"E   ublbatch.testing.BatchAssertionError: 1 file error in {TRUNCATED} [[]profile strict[]]",
        "E     file, line 86, in ar:ApplicationResponse #3 (from line 74): the XML is not well-formed: *",
    ])
    assert_clean(output(result))


def test_many_documents_with_the_same_problem_are_grouped(tmp_path: Path) -> None:
    path = tmp_path / "forty.xml"
    path.write_bytes(batch(*(response(doc_id=None, uuid=f"GVR-{i:02d}") for i in range(1, 41)),
                           response(doc_id="AR-ODD", issue_date="2024-02-30")))
    with pytest.raises(BatchAssertionError) as failure:
        assert_valid_batch(path)
    lines = str(failure.value).splitlines()
    where = [r.errors[0].line for r in failure.value.result.results]
    assert lines[0] == f"41 of 41 documents rejected in {path} [profile strict]"
    assert lines[1] == ("  Missing required element: cbc:ID at /ar:ApplicationResponse/cbc:ID: in 40 documents: "
                        + ", ".join(f"#{i} GVR-0{i} (line {where[i - 1]})" for i in range(1, 6)) + " and 35 more")
    assert lines[2] == (f"  #41 AR-ODD (line {where[40]}): Invalid value '2024-02-30' for cbc:IssueDate at "
                        "/ar:ApplicationResponse/cbc:IssueDate")
    assert len(lines) == 3
    assert failure.value.result.rejected_count == 41  # the whole verdict travels with the failure


def test_a_long_report_is_cut_and_says_how_much_is_left(tmp_path: Path) -> None:
    path = tmp_path / "dates.xml"
    path.write_bytes(batch(*(response(doc_id=f"AR-{i}", issue_date=f"2024-13-{i:02d}") for i in range(1, 41))))
    with pytest.raises(BatchAssertionError) as failure:
        assert_valid_batch(path)
    lines = str(failure.value).splitlines()
    assert len(lines) == 1 + MAX_LINES + 1
    assert lines[1].startswith("  #1 AR-1 (line ")
    assert lines[-1] == "  ... and 10 more (the exception's result holds them all)"


def test_expected_rejections(pytester: pytest.Pytester) -> None:
    write_test(pytester, f"""
def test_known_bad():
    result = assert_valid_batch({str(MIXED)!r}, expect_rejected={{"AR-2024-0102", "GVR-0004-2024-000404", "#5"}})
    assert result.rejected_count == 3

def test_wrong_expectations():
    assert_valid_batch({str(MIXED)!r}, expect_rejected={{"AR-2024-0102", "GVR-0004-2024-000404", "#5",
                                                        "AR-2024-0101", "NOT-THERE"}})
""")
    result = run(pytester, "--tb=short")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "E   ublbatch.testing.BatchAssertionError: 1 document accepted that should be rejected, "
        f"1 expected rejection not in the batch in {MIXED} [[]profile strict[]]",
        "E     #1 AR-2024-0101 (line 8): accepted, but expected to be rejected",
        "E     'NOT-THERE': expected to be rejected, but no document has this id, UUID or position",
    ])


def test_rejections_beside_the_expected_ones_are_reported() -> None:
    with pytest.raises(BatchAssertionError) as failure:
        assert_valid_batch(MIXED, expect_rejected={"AR-2024-0102", "#5"})
    assert str(failure.value).splitlines() == [
        f"1 of 6 documents rejected unexpectedly in {MIXED} [profile strict]",
        "  #4 GVR-0004-2024-000404 (line 109): Missing required element: cbc:ID at /ar:ApplicationResponse/cbc:ID",
        "  #4 GVR-0004-2024-000404 (line 112): Unexpected element: cbc:Foo at /ar:ApplicationResponse/cbc:Foo",
    ]


def test_warnings_fail_only_when_not_allowed() -> None:
    assert assert_valid_batch(GOOGLE_SUCCESS, profile="google").accepted_count == 1
    with pytest.raises(BatchAssertionError) as failure:
        assert_valid_batch(GOOGLE_SUCCESS, profile="google", allow_warnings=False)
    assert str(failure.value).splitlines() == [
        f"1 document with warnings in {GOOGLE_SUCCESS} [profile google]",
        "  #1 GVR-0001-2024-000118 (line 8): warning: Missing element: cbc:ID (a documented Google deviation "
        "from UBL 2.4) at /ar:ApplicationResponse/cbc:ID",
    ]


def test_the_failure_is_an_assertion_error_with_the_verdict() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_valid_batch(GOOGLE_SUCCESS)
    assert isinstance(failure.value, BatchAssertionError)
    assert isinstance(failure.value.result, ublbatch.BatchResult)
    assert failure.value.result.results[0].error is not None


def test_missing_schemas_fail_with_the_guidance_not_a_deep_traceback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_batches=f"""
def test_batch(ublbatch_validator):
    ublbatch_validator.assert_valid_batch({str(STRICT_VALID)!r})
""")
    result = run(pytester, "--tb=short", "--ublbatch-schemas", str(pytester.path / "no-such-release"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E   ublbatch.errors.SchemaNotFoundError: *no-such-release: no such folder or zip.*"])
    assert_clean(output(result))


# -- documents(): one test per document -----------------------------------------------------------


def test_documents_give_one_test_per_document_named_by_its_id(pytester: pytest.Pytester) -> None:
    write_test(pytester, f"""
@pytest.mark.parametrize("doc", documents({str(MIXED)!r}))
def test_document(doc):
    assert_valid_document(doc)
""")
    result = run(pytester, "-v", "--tb=short")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines([
        "test_batches.py::test_document[[]AR-2024-0101[]] PASSED*",
        "test_batches.py::test_document[[]AR-2024-0102[]] FAILED*",
        "test_batches.py::test_document[[]AR-2024-0103[]] PASSED*",
        "test_batches.py::test_document[[]GVR-0004-2024-000404[]] FAILED*",
        "test_batches.py::test_document[[]INV-NOT-HERE[]] FAILED*",
        "test_batches.py::test_document[[]AR-2024-0105[]] PASSED*",
    ])
    result.stdout.fnmatch_lines([
        "*_ test_document[[]GVR-0004-2024-000404[]] _*",
        "test_batches.py:6: in test_document",
        f"E   ublbatch.testing.BatchAssertionError: document #4 GVR-0004-2024-000404 (line 107) rejected in {MIXED} "
        "[[]profile strict[]]",
        "E     line 109: Missing required element: cbc:ID at /ar:ApplicationResponse/cbc:ID",
        "E     line 112: Unexpected element: cbc:Foo at /ar:ApplicationResponse/cbc:Foo",
    ])
    assert_clean(output(result))


def test_repeated_and_missing_ids_still_give_unique_test_ids(tmp_path: Path) -> None:
    path = tmp_path / "ids.xml"
    path.write_bytes(batch(response(doc_id="AR-1", uuid="GVR-1"), response(doc_id="AR-1", uuid="GVR-2"),
                           response(doc_id=None, uuid=None), response(doc_id=None, uuid="GVR-4"),
                           response(doc_id="AR-1#2", uuid="GVR-5")))
    cases = documents(path)
    assert [str(c) for c in cases] == ["AR-1#1", "AR-1#2", "#3", "GVR-4", "AR-1#2#5"]
    assert [(c.index, c.id, c.uuid) for c in cases] == [
        (1, "AR-1", "GVR-1"), (2, "AR-1", "GVR-2"), (3, "#3", None), (4, "GVR-4", "GVR-4"), (5, "AR-1#2", "GVR-5")]
    assert unique_ids([("A", 1), ("B", 2), ("A", 3)]) == ["A#1", "B", "A#3"]


def test_repeated_ids_in_pytest(pytester: pytest.Pytester, tmp_path: Path) -> None:
    path = tmp_path / "repeats.xml"
    path.write_bytes(batch(response(doc_id="AR-1", uuid="GVR-1"), response(doc_id="AR-1", uuid="GVR-2"),
                           response(doc_id=None, uuid=None)))
    write_test(pytester, f"""
@pytest.mark.parametrize("doc", documents({str(path)!r}))
def test_document(doc):
    result = assert_valid_document(doc, profile="google")
    assert result.uuid == doc.uuid
""")
    result = run(pytester, "-v", "--tb=short")
    result.stdout.fnmatch_lines([
        "test_batches.py::test_document[[]AR-1#1[]] PASSED*",
        "test_batches.py::test_document[[]AR-1#2[]] PASSED*",
        "test_batches.py::test_document[[]#3[]] FAILED*",
        "E     line *: Missing required element: cbc:UUID (the Google Vendor Request ID this response answers) "
        "at /ar:ApplicationResponse/cbc:UUID",
    ])
    result.assert_outcomes(passed=2, failed=1)


def test_cases_carry_what_the_reader_sees(tmp_path: Path) -> None:
    cases = documents(MIXED)
    second = cases[1]
    assert (second.index, second.id, second.uuid, second.line, second.element) == (
        2, "AR-2024-0102", "GVR-0004-2024-000402", 41, "ar:ApplicationResponse")
    assert second.response is not None and second.response.code is not None
    assert second.source == str(MIXED) and os.path.isabs(second.source)
    assert cases[4].element == "inv:Invoice"
    assert document_result(second).error is not None
    assert document_result(cases[0]).accepted
    assert repr(second) == f"<DocumentCase #2 AR-2024-0102 (line 41) of {MIXED}>"


def test_the_per_document_verdict_is_the_batch_verdict() -> None:
    whole = ublbatch.validate_batch(MIXED, profile="google")
    per_document = [document_result(case, profile="google") for case in documents(MIXED)]
    assert tuple(per_document) == whole.results


def test_a_broken_file_gets_a_case_for_the_file_itself(pytester: pytest.Pytester) -> None:
    # a document that is not well-formed is a case of its own, in its place; the ones after it are read
    cases = documents(MALFORMED)
    assert [str(c) for c in cases] == ["AR-M-1", "AR-M-2", "AR-M-3"]
    truncated = documents(TRUNCATED)
    assert [str(c) for c in truncated] == ["AR-T-1", "AR-T-2", FILE_CASE_ID]
    assert truncated[-1].kind == "file" and truncated[-1].covered == 2
    write_test(pytester, f"""
@pytest.mark.parametrize("doc", documents({str(MALFORMED)!r}))
def test_malformed(doc):
    assert_valid_document(doc)

@pytest.mark.parametrize("doc", documents({str(TRUNCATED)!r}))
def test_truncated(doc):
    assert_valid_document(doc)
""")
    result = run(pytester, "-v", "--tb=short")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines([
        "test_batches.py::test_malformed[[]AR-M-1[]] PASSED*",
        "test_batches.py::test_malformed[[]AR-M-2[]] FAILED*",
        "test_batches.py::test_malformed[[]AR-M-3[]] PASSED*",
        "test_batches.py::test_truncated[[]AR-T-1[]] PASSED*",
        "test_batches.py::test_truncated[[]AR-T-2[]] PASSED*",
        "test_batches.py::test_truncated[[]#file[]] FAILED*",
    ])
    result.stdout.fnmatch_lines([
        "E   ublbatch.testing.BatchAssertionError: document #2 AR-M-2 (line 41) rejected*",
        "E     line 63: The document is not well-formed XML: *",
    ])
    result.stdout.fnmatch_lines([
        f"E   ublbatch.testing.BatchAssertionError: 1 file error in {TRUNCATED} [[]profile strict[]]",
        "E     file, line 86, *the XML is not well-formed*",
    ])


def test_a_file_changed_after_collection_fails_instead_of_judging_another_document(tmp_path: Path) -> None:
    path = tmp_path / "moving.xml"
    path.write_bytes(batch(response(doc_id="AR-1"), response(doc_id="AR-2")))
    cases = documents(path)
    assert document_result(cases[1]).accepted
    path.write_bytes(batch(response(doc_id="AR-9"), response(doc_id="AR-1"), response(doc_id="AR-2", uuid="G-2")))
    with pytest.raises(BatchAssertionError, match=r"no longer AR-2 .* changed after the tests were collected"):
        assert_valid_document(cases[1])


def test_ids_come_from_str_without_the_plugin(pytester: pytest.Pytester) -> None:
    write_test(pytester, f"""
@pytest.mark.parametrize("doc", documents({str(STRICT_VALID)!r}), ids=str)
def test_document(doc):
    assert_valid_document(doc)
""")
    result = run(pytester, "-v", "-p", "no:ublbatch")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["test_batches.py::test_document[[]AR-2024-0001[]] PASSED*"])
    assert "ublbatch 0.1.0: profile" not in result.stdout.str()


def test_an_unreadable_batch_fails_collection_with_its_name(pytester: pytest.Pytester) -> None:
    missing = pytester.path / "missing.xml"
    write_test(pytester, f"""
@pytest.mark.parametrize("doc", documents({str(missing)!r}))
def test_document(doc):
    pass
""")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"E   ublbatch.errors.SourceError: {missing}: cannot open: *"])


# -- the fixture and its options ------------------------------------------------------------------

FIXTURE_TESTS = f"""
def test_batch(ublbatch_validator):
    result = ublbatch_validator.assert_valid_batch({str(GOOGLE_SUCCESS)!r})
    assert result.profile == ublbatch_validator.profile

@pytest.mark.parametrize("doc", documents({str(GOOGLE_SUCCESS)!r}))
def test_document(doc, ublbatch_validator):
    ublbatch_validator.assert_valid_document(doc)
"""


def test_the_fixture_is_strict_by_default(pytester: pytest.Pytester) -> None:
    write_test(pytester, FIXTURE_TESTS)
    result = run(pytester, "-v", "--tb=short")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "test_batches.py::test_document[[]GVR-0001-2024-000118[]] FAILED*",
        "E     #1 GVR-0001-2024-000118 (line 9): Missing required element: cbc:ID at /ar:ApplicationResponse/cbc:ID",
    ])


def test_the_fixture_honours_the_command_line_profile(pytester: pytest.Pytester) -> None:
    write_test(pytester, FIXTURE_TESTS)
    run(pytester, "--ublbatch-profile", "google").assert_outcomes(passed=2)


def test_the_fixture_honours_the_ini_file_and_the_command_line_wins(pytester: pytest.Pytester) -> None:
    write_test(pytester, FIXTURE_TESTS)
    relative = os.path.relpath(UBL_RELEASE, pytester.path)
    pytester.makeini(f"[pytest]\nublbatch_profile = google\nublbatch_schemas = {relative}\n")
    result = run(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"ublbatch *: profile google, UBL 2.4 schemas {os.path.normpath(UBL_RELEASE)}*"
                                 "(ublbatch_schemas in *tox.ini)"])
    run(pytester, "--ublbatch-profile", "strict").assert_outcomes(failed=2)


def test_the_fixture_uses_the_schemas_option(pytester: pytest.Pytester) -> None:
    write_test(pytester, f"""
def test_where(ublbatch_validator):
    assert ublbatch_validator.schema_dir == {str(UBL_RELEASE)!r}
    result = ublbatch_validator.assert_valid_batch({str(STRICT_VALID)!r})
    assert result.schema["location"] == {str(UBL_RELEASE)!r}
""")
    run(pytester, "--ublbatch-schemas", str(UBL_RELEASE)).assert_outcomes(passed=1)


def test_a_wrong_profile_in_the_ini_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write_test(pytester, "def test_nothing():\n    pass\n")
    pytester.makeini("[pytest]\nublbatch_profile = lenient\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ublbatch_profile = 'lenient' in *tox.ini: choose one of strict, google*"])


def test_the_validator_refuses_an_unknown_profile() -> None:
    with pytest.raises(ValueError, match="unknown profile 'lenient'"):
        Validator("lenient")
    assert Validator("google", Path("/x")).schema_dir == "/x"


def test_the_file_case_is_not_a_document() -> None:
    file_case = documents(TRUNCATED)[-1]
    assert isinstance(file_case, DocumentCase) and file_case.kind == "file"
    with pytest.raises(ValueError, match="not a document"):
        document_result(file_case)
