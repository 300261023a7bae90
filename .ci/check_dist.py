"""Check built distributions for OASIS UBL files. Exit 1, naming every offending member, on failure.

    python .ci/check_dist.py sdist dist/ublbatch-X.tar.gz   # holds no OASIS file, no local junk
    python .ci/check_dist.py wheel dist/ublbatch-X.whl      # bundles one complete, verified variant

An OASIS file is recognised by its path (the file name of any file in schemas/ubl-2.4.sha256, or a
folder xsd/, xsdrt/ or ublbatch/_data/ in an sdist), by its content (a SHA-256 equal to a pinned sum)
and by the header every OASIS UBL schema carries (so an edited or partial copy is caught too).
Zip archives inside a distribution are looked into the same way. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

PINS = Path(__file__).resolve().parent.parent / "schemas" / "ubl-2.4.sha256"
OASIS_HEADER = re.compile(rb"Library:\s+OASIS Universal Business Language")
SDIST_FORBIDDEN_DIRS = {"xsd", "xsdrt", "_data"}
JUNK_DIRS = {".git", ".venv", ".venv-wheel", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
             ".hypothesis", ".benchmarks", "build", "dist", ".ci"}
SDIST_REQUIRED = ("PKG-INFO", "setup.py", "pyproject.toml", "README.md", "MANIFEST.in",
                  "schemas/ubl-2.4.sha256", "schemas/ApplicationResponseBatch.xsd", "ublbatch/_ubl_files.py")
BUNDLE = "ublbatch/_data/ubl-2.4/"


def read_pins(path: Path) -> dict[str, str]:
    """Release path -> SHA-256."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, _, name = line.partition("  ")
            pins[name.strip()] = digest.strip()
    return pins


def members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every regular file in a .tar.gz or a zip (a wheel), nested zips expanded."""
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            for info in tar.getmembers():
                if info.issym() or info.islnk():
                    yield info.name, f"<link to {info.linkname}>".encode()
                elif info.isfile():
                    handle = tar.extractfile(info)
                    assert handle is not None
                    yield from _expand(info.name, handle.read())
    else:
        with zipfile.ZipFile(path) as zf:
            for entry in zf.infolist():
                if not entry.is_dir():
                    yield from _expand(entry.filename, zf.read(entry))


def _expand(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    yield name, data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            for info in inner.infolist():
                if not info.is_dir():
                    yield from _expand(f"{name}!{info.filename}", inner.read(info))


def oasis_reasons(name: str, data: bytes, by_sum: dict[str, str], basenames: set[str]) -> list[str]:
    """Why this member is (a copy of) an OASIS file; empty when it is not."""
    reasons = []
    digest = hashlib.sha256(data).hexdigest()
    if digest in by_sum:
        reasons.append(f"SHA-256 equals the pin of {by_sum[digest]}")
    if PurePosixPath(name.split("!")[-1]).name in basenames:
        reasons.append("file name of an OASIS UBL file")
    if OASIS_HEADER.search(data):
        reasons.append("carries the OASIS UBL header")
    return reasons


def check_sdist(path: Path, pins: dict[str, str]) -> list[str]:
    by_sum = {digest: name for name, digest in pins.items()}
    basenames = {PurePosixPath(name).name for name in pins}
    problems: list[str] = []
    seen: set[str] = set()
    count = size = 0
    for name, data in members(path):
        count += 1
        size += len(data)
        parts = PurePosixPath(name.split("!")[0]).parts
        inner = parts[1:]  # below the top folder ublbatch-X.Y.Z/
        seen.add("/".join(inner))
        for reason in oasis_reasons(name, data, by_sum, basenames):
            problems.append(f"{name}: OASIS file in the sdist ({reason})")
        if SDIST_FORBIDDEN_DIRS & set(inner[:-1]):
            problems.append(f"{name}: under a folder that only OASIS files belong in")
        if JUNK_DIRS & set(inner[:-1]) or name.endswith((".pyc", ".pyo")):
            problems.append(f"{name}: local junk, not meant for the sdist")
    for required in SDIST_REQUIRED:
        if required not in seen:
            problems.append(f"{required}: missing from the sdist")
    if not problems:
        print(f"sdist ok: {path.name}: {count} files, {size:,} bytes; no OASIS file by path, by SHA-256 "
              f"(against {len(pins)} pinned sums) or by header; no local junk")
    return problems


def check_wheel(path: Path, pins: dict[str, str]) -> list[str]:
    by_sum = {digest: name for name, digest in pins.items()}
    basenames = {PurePosixPath(name).name for name in pins}
    problems: list[str] = []
    bundled: dict[str, str] = {}
    names: set[str] = set()
    for name, data in members(path):
        names.add(name)
        if name.startswith(BUNDLE):
            release_path = name[len(BUNDLE) :]
            digest = hashlib.sha256(data).hexdigest()
            if release_path not in pins:
                problems.append(f"{name}: bundled but not a pinned release file")
            elif pins[release_path] != digest:
                problems.append(f"{name}: SHA-256 {digest} differs from the pinned {pins[release_path]}")
            bundled[release_path] = digest
        else:
            for reason in oasis_reasons(name, data, by_sum, basenames):
                problems.append(f"{name}: OASIS file outside {BUNDLE} ({reason})")
    variants = sorted({release_path.split("/")[0] for release_path in bundled})
    if len(variants) != 1:
        problems.append(f"{BUNDLE}: expected exactly one bundled variant (xsdrt or xsd), found {variants or 'none'}")
    else:
        expected = {name for name in pins if name.startswith(variants[0] + "/")}
        for missing in sorted(expected - bundled.keys()):
            problems.append(f"{BUNDLE}{missing}: pinned file missing from the wheel")
    for own in ("ublbatch/_data/ubl-2.4.sha256", "ublbatch/_data/ApplicationResponseBatch.xsd"):
        if own not in names:
            problems.append(f"{own}: missing from the wheel")
    if not problems:
        print(f"wheel ok: {path.name}: {len(names)} files, {path.stat().st_size:,} bytes; bundles {len(bundled)} "
              f"OASIS files ({variants[0]}/), every one equal to its pinned SHA-256, none missing, none elsewhere")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("sdist", "wheel"))
    parser.add_argument("dist", type=Path)
    parser.add_argument("--pins", type=Path, default=PINS, help="the pinned sums (default: schemas/ubl-2.4.sha256)")
    args = parser.parse_args(argv)
    pins = read_pins(args.pins)
    if len(pins) < 100:
        print(f"check_dist: only {len(pins)} pinned sums in {args.pins}; refusing to vouch for anything",
              file=sys.stderr)
        return 1
    problems = (check_sdist if args.kind == "sdist" else check_wheel)(args.dist, pins)
    for problem in problems:
        print(f"check_dist: FAIL {problem}", file=sys.stderr)
    if problems:
        print(f"check_dist: {args.dist} FAILED ({len(problems)} problems)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
