"""Find a copy of the OASIS UBL 2.4 release and read its schema files, verified byte for byte.

The files are read into memory once and checked against the pinned SHA-256 sums; the schema
compiler is then fed those same bytes (see ``schemas``), so what was verified is exactly what is
used. The build (``setup.py``) uses this module too, to bundle a verified copy into the wheel.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

import attrs

from .errors import SchemaIntegrityError, SchemaNotFoundError

ENV_VAR = "UBLBATCH_UBL_DIR"
VARIANTS = ("xsdrt", "xsd")
"""Release folders, in order of preference: ``xsdrt`` has no annotations and loads faster."""

MAINDOCS = ("ApplicationResponse", "Invoice", "CreditNote")
"""The document schemas ublbatch compiles; each needs ``common/`` too."""

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent
DATA_DIR = _PACKAGE / "_data"
"""Where a build bundles, and ``schemas install`` copies, the verified release."""
BUNDLED_RELEASE = DATA_DIR / "ubl-2.4"
CHECKOUT_RELEASE: Path | None = (
    _CHECKOUT.parent / "shared" / "ubl-2.4" if (_CHECKOUT / "pyproject.toml").is_file() else None
)
"""In a checkout of the project: the unchanged copy in ``../shared``."""

GUIDANCE = (
    "Get the official OASIS UBL 2.4 release (os-UBL-2.4, https://docs.oasis-open.org/ubl/os-UBL-2.4/, "
    "the archive UBL-2.4.zip) and point ublbatch at the folder that holds xsd/ and xsdrt/ or at "
    f"the zip itself: set {ENV_VAR}, pass --schemas (schema_dir= in Python), or run "
    "'ublbatch schemas install --from PATH' once."
)


def project_file(name: str) -> Path:
    """A file of ours from ``schemas/``: bundled in the package, or in the checkout."""
    for candidate in (DATA_DIR / name, _CHECKOUT / "schemas" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"ublbatch is installed without its own file {name!r}")


def pinned_sums() -> dict[str, str]:
    """Release path -> SHA-256, from ``schemas/ubl-2.4.sha256``."""
    sums: dict[str, str] = {}
    for line in project_file("ubl-2.4.sha256").read_text(encoding="ascii").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            digest, _, name = line.partition("  ")
            sums[name.strip()] = digest
    return sums


@attrs.frozen
class Release:
    """A readable copy of the release: a folder or the official zip."""

    location: Path
    _zip_prefix: str | None = None  # set when the copy is a zip: the folder inside that holds xsd/

    @classmethod
    def open(cls, location: str | os.PathLike[str]) -> Release:
        path = Path(location).expanduser()
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    for variant in VARIANTS:
                        tail = f"{variant}/maindoc/UBL-ApplicationResponse-2.4.xsd"
                        if name == tail or name.endswith("/" + tail):
                            return cls(path, name[: len(name) - len(tail)])
            raise SchemaNotFoundError(f"{path}: this zip holds no UBL 2.4 xsd/ or xsdrt/ folder. {GUIDANCE}")
        if path.is_dir():
            if any((path / v).is_dir() for v in VARIANTS):
                return cls(path)
            raise SchemaNotFoundError(f"{path}: no xsd/ or xsdrt/ folder here. {GUIDANCE}")
        raise SchemaNotFoundError(f"{path}: no such folder or zip. {GUIDANCE}")

    def read_all(self, variant: str) -> dict[str, bytes]:
        """Every file of one variant folder, keyed by release path (``xsdrt/common/...``)."""
        out: dict[str, bytes] = {}
        if self._zip_prefix is not None:
            with zipfile.ZipFile(self.location) as zf:
                for info in zf.infolist():
                    name = info.filename[len(self._zip_prefix) :]
                    inside = info.filename.startswith(self._zip_prefix) and name.startswith(variant + "/")
                    if inside and not info.is_dir():
                        out[name] = zf.read(info)
            return out
        root = self.location / variant
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    out[path.relative_to(self.location).as_posix()] = path.read_bytes()
        return out

    def __str__(self) -> str:
        return str(self.location)


@attrs.frozen
class FileCheck:
    """One pinned file, as found in a release."""

    path: str
    status: str  # "ok" | "mismatch" | "missing"
    expected: str
    actual: str | None


def check_variant(files: Mapping[str, bytes], variant: str, pins: Mapping[str, str]) -> list[FileCheck]:
    """Compare every pinned file of ``variant`` against what the release holds."""
    checks = []
    for name, expected in sorted(pins.items()):
        if not name.startswith(variant + "/"):
            continue
        data = files.get(name)
        if data is None:
            checks.append(FileCheck(name, "missing", expected, None))
            continue
        actual = hashlib.sha256(data).hexdigest()
        checks.append(FileCheck(name, "ok" if actual == expected else "mismatch", expected, actual))
    return checks


def required(variant: str, pins: Mapping[str, str]) -> set[str]:
    """The files one compile of every schema ublbatch uses needs: ``common/`` and its main docs."""
    wanted = {f"{variant}/maindoc/UBL-{doc}-2.4.xsd" for doc in MAINDOCS}
    return {n for n in pins if n.startswith(f"{variant}/common/") or n in wanted}


@attrs.frozen
class VerifiedFiles:
    """The bytes of one verified variant of the release, ready to compile."""

    location: str
    variant: str
    files: Mapping[str, bytes] = attrs.field(repr=False, eq=False)
    sha256: str
    """One digest over the sums of the files used: names the schema set in results."""


def load_verified(release: Release, pins: Mapping[str, str] | None = None) -> VerifiedFiles:
    """Read the preferred variant present in ``release`` and verify it, or raise.

    Every file present that has a pin must match it; the files ublbatch compiles must be present.
    """
    pins = pinned_sums() if pins is None else pins
    for variant in VARIANTS:
        files = release.read_all(variant)
        if not files:
            continue
        needed = required(variant, pins)
        for check in check_variant(files, variant, pins):
            where = f"{release}/{check.path}" if release._zip_prefix is None else f"{release}!{check.path}"
            if check.status == "mismatch":
                raise SchemaIntegrityError(
                    f"{where}: SHA-256 {check.actual} does not match the pinned {check.expected}; "
                    "this is not an unchanged OASIS UBL 2.4 file, so ublbatch refuses it",
                    path=where,
                )
            if check.status == "missing" and check.path in needed:
                raise SchemaIntegrityError(f"{where}: required schema file is missing", path=where)
        kept = {n: b for n, b in files.items() if n in pins}
        summary = "".join(f"{pins[n]}  {n}\n" for n in sorted(kept))
        return VerifiedFiles(str(release), variant, kept, hashlib.sha256(summary.encode()).hexdigest())
    raise SchemaNotFoundError(f"{release}: no schema files found. {GUIDANCE}")


def candidates(schema_dir: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """Where to look, first match wins: the argument, the environment, the package, the checkout."""
    if schema_dir is not None:
        return [("argument", Path(schema_dir))]
    env = os.environ.get(ENV_VAR)
    if env:
        return [(ENV_VAR, Path(env))]
    found: list[tuple[str, Path]] = []
    if BUNDLED_RELEASE.is_dir():
        found.append(("bundled with the package", BUNDLED_RELEASE))
    if CHECKOUT_RELEASE is not None and CHECKOUT_RELEASE.is_dir():
        found.append(("checkout ../shared/ubl-2.4", CHECKOUT_RELEASE))
    return found


def locate(schema_dir: str | os.PathLike[str] | None = None) -> Release:
    """The release to use, or SchemaNotFoundError saying where to get one."""
    found = candidates(schema_dir)
    if not found:
        raise SchemaNotFoundError(f"The OASIS UBL 2.4 schemas were not found. {GUIDANCE}")
    return Release.open(found[0][1])


def install(release: Release, target: Path | None = None) -> VerifiedFiles:
    """Copy the verified variant of ``release`` into ``target`` (default: the package's data folder)."""
    target = BUNDLED_RELEASE if target is None else target
    verified = load_verified(release)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    for name, data in verified.files.items():
        dest = staging / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return verified

