"""atheris fuzz targets for the reader and for validation (not part of the default test run).

    python -m pip install atheris
    python tests/fuzz/fuzz_targets.py read     -max_total_time=900 -corpus_dir /tmp/fuzz-read
    python tests/fuzz/fuzz_targets.py validate -max_total_time=900 -corpus_dir /tmp/fuzz-validate

Seeded with every file under fixtures/. A finding is any exception other than ublbatch's own
(``UblBatchError`` for misuse) escaping read or validate: bad input must become a result.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports():
    import ublbatch
    from ublbatch.chunks import chunked_validation

ublbatch.document_schema()
ublbatch.document_schema(profile="google")
_SCRATCH = Path(tempfile.mkdtemp(prefix="ublbatch-fuzz-")) / "input.xml"


def read_target(data: bytes) -> None:
    with ublbatch.read_batch(data) as reader:
        for document in reader:
            assert document.display_id
            document.response_status()
    ublbatch.batch_status(data)


def validate_target(data: bytes) -> None:
    profile = "google" if data[:1] == b"<" and len(data) % 2 else "strict"
    result = ublbatch.validate_batch(data, profile=profile)
    result.to_json()
    _SCRATCH.write_bytes(data)  # the ranged path (recovery included) on the same bytes
    chunked = chunked_validation(_SCRATCH, profile=profile, chunk_bytes=256)
    if chunked is not None:
        with chunked:
            for _ in chunked:
                pass
        chunked.result().to_json()


TARGETS = {"read": read_target, "validate": validate_target}


def main() -> None:
    name = sys.argv.pop(1)
    target = TARGETS[name]
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not corpus:
        folder = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-corpus_dir=")), None)
        seeds = Path(folder or tempfile.mkdtemp(prefix=f"ublbatch-fuzz-{name}-"))
        seeds.mkdir(parents=True, exist_ok=True)
        for fixture in sorted((ROOT / "fixtures").rglob("*.xml")):
            (seeds / fixture.name).write_bytes(fixture.read_bytes())
        sys.argv = [a for a in sys.argv if not a.startswith("-corpus_dir=")] + [str(seeds)]

    def test_one_input(data: bytes) -> None:
        with contextlib.suppress(ublbatch.UblBatchError):  # misuse, said clearly: not a finding
            target(data)

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
