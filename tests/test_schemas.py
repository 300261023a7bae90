"""Finding, verifying, compiling and installing the OASIS UBL 2.4 schemas."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli, shared_path

import ublbatch
from ublbatch import _ubl_files
from ublbatch.schemas import document_schema, verify_schemas


@pytest.fixture()
def release_copy(tmp_path: Path) -> Path:
    """A private copy of the shared release (xsdrt only) that a test may damage."""
    target = tmp_path / "os-UBL-2.4"
    shutil.copytree(shared_path("ubl-2.4", "xsdrt"), target / "xsdrt")
    return target


@pytest.fixture()
def no_default_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As on a machine with neither a bundled copy nor a checkout beside ../shared."""
    monkeypatch.delenv(_ubl_files.ENV_VAR, raising=False)
    monkeypatch.setattr(_ubl_files, "BUNDLED_RELEASE", tmp_path / "nothing-bundled")
    monkeypatch.setattr(_ubl_files, "CHECKOUT_RELEASE", None)


def test_pins_cover_the_whole_release() -> None:
    pins = _ubl_files.pinned_sums()
    assert len(pins) == 218
    assert pins["xsdrt/maindoc/UBL-ApplicationResponse-2.4.xsd"] == next(
        line.split()[0] for line in shared_path("ubl-2.4", "SHA256SUMS").read_text().splitlines()
        if line.endswith("xsdrt/maindoc/UBL-ApplicationResponse-2.4.xsd"))


def test_shared_release_verifies() -> None:
    report = verify_schemas(shared_path("ubl-2.4"))
    assert report.usable
    assert [(v.variant, v.ok, v.checked, v.mismatched) for v in report.variants] == [
        ("xsdrt", 109, 109, ()), ("xsd", 109, 109, ())]


def test_compiled_once_per_process_and_thread() -> None:
    assert document_schema() is document_schema()
    assert document_schema().files.variant == "xsdrt"


def test_tampered_file_is_refused_by_name(release_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = release_copy / "xsdrt" / "common" / "UBL-CommonBasicComponents-2.4.xsd"
    victim.write_bytes(victim.read_bytes().replace(b"</xsd:schema>", b"<!-- edited --></xsd:schema>"))
    with pytest.raises(ublbatch.SchemaIntegrityError) as exc:
        ublbatch.validate_batch(FIXTURES / "strict-valid.xml", schema_dir=release_copy)
    assert "UBL-CommonBasicComponents-2.4.xsd" in str(exc.value) and "does not match" in str(exc.value)
    assert exc.value.path.endswith("xsdrt/common/UBL-CommonBasicComponents-2.4.xsd")
    code, out, err = run_cli(capsys, "validate", str(FIXTURES / "strict-valid.xml"), "--schemas", str(release_copy))
    assert code == 2 and "UBL-CommonBasicComponents-2.4.xsd" in err
    code, out, err = run_cli(capsys, "schemas", "verify", "--schemas", str(release_copy))
    assert code == 2 and "differs: xsdrt/common/UBL-CommonBasicComponents-2.4.xsd" in out


def test_missing_required_file_is_refused(release_copy: Path) -> None:
    (release_copy / "xsdrt" / "maindoc" / "UBL-ApplicationResponse-2.4.xsd").unlink()
    with pytest.raises(ublbatch.SchemaIntegrityError, match="required schema file is missing"):
        ublbatch.validate_batch(FIXTURES / "strict-valid.xml", schema_dir=release_copy)


def test_official_zip_and_environment_variable(tmp_path: Path, release_copy: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "UBL-2.4.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(release_copy.rglob("*")):
            zf.write(path, "os-UBL-2.4/" + path.relative_to(release_copy).as_posix())
    result = ublbatch.validate_batch(FIXTURES / "strict-valid.xml", schema_dir=archive)
    assert result.ok and result.schema is not None and result.schema["location"] == str(archive)
    monkeypatch.setenv(_ubl_files.ENV_VAR, str(archive))
    assert verify_schemas().found_by == _ubl_files.ENV_VAR
    assert verify_schemas().usable


def test_no_source_gives_one_clear_message(no_default_sources: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ublbatch.SchemaNotFoundError) as exc:
        ublbatch.validate_batch(FIXTURES / "strict-valid.xml")
    text = str(exc.value)
    assert "os-UBL-2.4" in text and "UBLBATCH_UBL_DIR" in text and "--schemas" in text
    code, _, err = run_cli(capsys, "validate", str(FIXTURES / "strict-valid.xml"))
    assert code == 2 and "os-UBL-2.4" in err
    assert run_cli(capsys, "schemas", "verify")[0] == 2


def test_install_copies_a_verified_set(no_default_sources: None, tmp_path: Path, release_copy: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "schemas", "install", "--from", str(release_copy))[0] == 0
    installed = _ubl_files.BUNDLED_RELEASE
    assert (installed / "xsdrt" / "maindoc" / "UBL-ApplicationResponse-2.4.xsd").is_file()
    report = verify_schemas()
    assert report.usable and report.found_by == "bundled with the package"
    assert ublbatch.validate_batch(FIXTURES / "strict-valid.xml").ok


def test_install_refuses_a_tampered_set(no_default_sources: None, release_copy: Path) -> None:
    victim = release_copy / "xsdrt" / "maindoc" / "UBL-Invoice-2.4.xsd"
    victim.write_bytes(victim.read_bytes() + b"\n")
    with pytest.raises(ublbatch.SchemaIntegrityError, match=r"UBL-Invoice-2\.4\.xsd"):
        ublbatch.schemas.install_schemas(release_copy)
    assert not _ubl_files.BUNDLED_RELEASE.exists()
