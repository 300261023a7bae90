"""Validate many batch files, and the ranges of very large ones, with Dask (``pip install ublbatch[dask]``).

    from ublbatch.dask import validate_files

    if __name__ == "__main__":                                     # workers may import the script again
        results = validate_files(["a.xml", "b.xml"])              # Dask's local scheduler

    from dask.distributed import Client

    if __name__ == "__main__":
        client = Client("tcp://scheduler:8786")                    # a cluster: workers need ublbatch
        results = validate_files(paths, scheduler=client.get)      # and the same files at the same paths

Each file is cut with ``plan_chunks`` (ranges at proven document boundaries), every range is one
Dask task running ``validate_chunk``, and the ranges of a file are merged into one ``BatchResult``
in source order. A file that cannot be cut, or whose ranges do not all parse, is validated in one
pass, so each result is the same as ``validate_batch(path)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from .chunks import CHUNK_TARGET, Chunk, ChunkResult, merge_chunks, plan_chunks, validate_chunk
from .results import BatchResult
from .validate import validate_batch

Task = tuple[int, "Chunk | str"]


def _run(task: Task, profile: str, schema_dir: str | None) -> tuple[int, ChunkResult | BatchResult]:
    number, work = task
    if isinstance(work, Chunk):
        return number, validate_chunk(work, profile=profile, schema_dir=schema_dir)
    return number, validate_batch(work, profile=profile, schema_dir=schema_dir)


def plan(paths: Sequence[str | os.PathLike[str]], *, chunk_bytes: int = CHUNK_TARGET) -> list[Task]:
    """The tasks for ``paths``: (file number, a range) for files that can be cut, (file number, path) else."""
    tasks: list[Task] = []
    for number, path in enumerate(paths):
        size = os.path.getsize(path)
        chunks = plan_chunks(path, chunk_bytes=chunk_bytes) if size > chunk_bytes else []
        if chunks:
            tasks.extend((number, chunk) for chunk in chunks)
        else:
            tasks.append((number, str(path)))
    return tasks


def to_bag(paths: Sequence[str | os.PathLike[str]], *, profile: str = "strict",
           schema_dir: str | os.PathLike[str] | None = None, chunk_bytes: int = CHUNK_TARGET) -> Any:
    """A ``dask.bag`` of (file number, ChunkResult or BatchResult), one element per task."""
    import dask.bag as db

    tasks = plan(paths, chunk_bytes=chunk_bytes)
    folder = None if schema_dir is None else str(schema_dir)
    return db.from_sequence(tasks, partition_size=1).map(_run, profile, folder)  # type: ignore[no-untyped-call]


def validate_files(paths: Sequence[str | os.PathLike[str]], *, profile: str = "strict",
                   schema_dir: str | os.PathLike[str] | None = None, chunk_bytes: int = CHUNK_TARGET,
                   scheduler: str | Callable[..., Any] | None = None) -> list[BatchResult]:
    """One ``BatchResult`` per file, in the order given, computed by Dask."""
    outputs = to_bag(paths, profile=profile, schema_dir=schema_dir, chunk_bytes=chunk_bytes).compute(
        scheduler=scheduler)
    grouped: dict[int, list[ChunkResult | BatchResult]] = {}
    for number, output in outputs:
        grouped.setdefault(number, []).append(output)
    results: list[BatchResult] = []
    for number, path in enumerate(paths):
        parts = grouped.get(number, [])
        if len(parts) == 1 and isinstance(parts[0], BatchResult):
            results.append(parts[0])
            continue
        chunks = [p for p in parts if isinstance(p, ChunkResult)]
        merged = merge_chunks(chunks, profile=profile, schema_dir=schema_dir)
        results.append(merged if merged is not None else validate_batch(path, profile=profile, schema_dir=schema_dir))
    return results
