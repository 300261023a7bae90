"""The published JSON Schemas of ublbatch's JSON output: the stable contract for its consumers.

``schemas/batch-result.schema.json`` describes ``BatchResult.to_dict()`` and ``ublbatch validate
--format json|ndjson``; ``schemas/delivery-status.schema.json`` describes ``DeliveryStatus.to_dict()``,
``to_event()`` and ``ublbatch status --format json|ndjson``. They are plain files so that code in any
language can validate against them; this module hands them to Python code without it having to know
where an installed package keeps its data. ublbatch itself needs no JSON Schema library: checking
is up to the consumer (and to the project's tests, which check every JSON output of the CLI).
"""

from __future__ import annotations

import json
from typing import Any

from ._ubl_files import project_file

JSON_SCHEMA_FILES = {
    "batch-result": "batch-result.schema.json",
    "delivery-status": "delivery-status.schema.json",
}
"""Schema name -> its file in ``schemas/`` (and in the installed package's data folder)."""


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) ``batch-result`` or ``delivery-status``, as a fresh dict.

    Read from the installed package's data, else from the checkout's ``schemas/``, so that a consumer
    validates against exactly the contract of the ublbatch it runs. Each call returns a new dict: the
    caller may change it (bundle it, add ``$defs``) without affecting later calls.
    """
    try:
        file_name = JSON_SCHEMA_FILES[name]
    except KeyError:
        raise ValueError(f"unknown JSON schema {name!r}; choose one of: {', '.join(JSON_SCHEMA_FILES)}") from None
    schema: dict[str, Any] = json.loads(project_file(file_name).read_text(encoding="utf-8"))
    return schema


__all__ = ["JSON_SCHEMA_FILES", "json_schema"]
