"""The benchmark script runs (on a tiny file): a smoke test, not a measurement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    out = tmp_path / "table.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--documents", "60", "--repeat", "1",
                           "--only", "validate", "read", "writer", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = {row["row"]: row for row in json.loads(out.read_text())["rows"]}
    assert {"iterparse", "handloop", "validate", "validate --jobs 2", "read", "xmlfile", "writer"} <= set(rows)
    assert rows["validate"]["documents"] == 60 and rows["validate"]["ratio"].endswith("x handloop")
    assert rows["writer"]["ratio"].endswith("x xmlfile") and rows["read"]["ratio"].endswith("x iterparse")
    assert "peak MB" in done.stdout
