"""Results as CSV rows, one per document, for spreadsheets and queue tooling.

Cells that come from a document (ids, messages) and start with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return get a leading ``'``: a spreadsheet would otherwise run them as formulas, and
a batch is input from outside (OWASP's advice on CSV injection). ``safe=False`` writes them as read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any

from .results import DocumentResult, DocumentStatus

RESULT_COLUMNS = ("index", "id", "uuid", "status", "line", "error_code", "error_message", "error_line",
                  "error_path", "errors", "warnings")
"""``validate --format csv``: the first error of a rejected document; counts of errors and warnings."""

STATUS_COLUMNS = ("index", "id", "uuid", "line", "code", "outcome", "action", "retriable", "queue", "message")
"""``status --format csv``: where each document stands in delivery, and which queue a failure goes to."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def result_row(result: DocumentResult) -> list[Any]:
    """One ``RESULT_COLUMNS`` row."""
    error = result.error
    errors = len(result.errors)
    return [result.index, result.id, result.uuid, result.status, result.line,
            error.code if error else None, error.message if error else None, error.line if error else None,
            error.path if error else None, errors, len(result.issues) - errors]


def status_row(status: DocumentStatus) -> list[Any]:
    """One ``STATUS_COLUMNS`` row."""
    data = status.to_dict()
    return [data[name] for name in STATUS_COLUMNS]


class CsvWriter:
    """A ``csv.writer`` that writes the header row first and defuses formula-like cells."""

    def __init__(self, out: IO[str], columns: Sequence[str], *, safe: bool = True) -> None:
        self._writer = csv.writer(out)
        self._safe = safe
        self._writer.writerow(columns)

    def write(self, row: Iterable[Any]) -> None:
        """Write one row, ``None`` as an empty cell and booleans as true/false."""
        self._writer.writerow([self._cell(value) for value in row])

    def _cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if self._safe and isinstance(value, str) and value.startswith(_FORMULA_STARTS):
            return "'" + value
        return value


__all__ = ["RESULT_COLUMNS", "STATUS_COLUMNS", "CsvWriter", "result_row", "status_row"]
