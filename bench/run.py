"""ublbatch's benchmark: every row timed on the same file in one run, with ratios to the baselines.

    python bench/run.py --megabytes 200 --repeat 3 --jobs 2      # the figures in bench/README.md
    python bench/run.py --documents 300 --repeat 1               # a quick look (the smoke test)

Each measurement runs in a fresh Python process (so peak RSS is its own); the table gives the
median time, MB/s, documents/s, peak RSS and, for ublbatch's rows, the ratio to its baseline:
validate -> the hand-written iterparse + XMLSchema loop; validate --jobs N -> xmllint --stream
--schema (when installed; else the hand loop); read and status -> raw iterparse with clearing;
the writer -> a hand-written lxml.etree.xmlfile loop writing the same elements.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

AR = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
WRITE_DOCUMENTS = 100_000
_START: list[float] = []


def _start_clock() -> None:
    """Set-up done (schemas compiled, inputs built): the measured part starts here."""
    _START[:] = [time.perf_counter()]


def _ubl_dir() -> Path:
    from ublbatch.schemas import verified_files

    location = Path(verified_files().location)
    return location / "xsdrt" if (location / "xsdrt").is_dir() else location / "xsd"


# -- the measured operations (run in a child process) -------------------------------------------


def op_iterparse(path: str, jobs: int) -> int:
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(path, events=("end",), tag=f"{{{AR}}}ApplicationResponse"):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def op_handloop(path: str, jobs: int) -> int:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(_ubl_dir() / "maindoc" / "UBL-ApplicationResponse-2.4.xsd")))
    _start_clock()
    count = 0
    for _, element in etree.iterparse(path, events=("end",), tag=f"{{{AR}}}ApplicationResponse"):
        count += 1
        schema.validate(element)
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def op_xmllint(path: str, jobs: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="ublbatch-bench-"))
    try:
        envelope = (ROOT / "schemas" / "ApplicationResponseBatch.xsd").read_text()
        main = (_ubl_dir() / "maindoc" / "UBL-ApplicationResponse-2.4.xsd").as_uri()
        (folder / "envelope.xsd").write_text(envelope.replace('schemaLocation="ApplicationResponseBatch-documents.xsd"',
                                                              f'schemaLocation="{main}"'))
        subprocess.run(["xmllint", "--stream", "--noout", "--schema", str(folder / "envelope.xsd"), path],
                       capture_output=True, check=False)
    finally:
        shutil.rmtree(folder)
    return 0


def op_xmlschema_sample(path: str, jobs: int) -> int:
    """xmlschema on the first 200 documents; the table extrapolates to the whole file."""
    import xmlschema
    from lxml import etree

    schema = xmlschema.XMLSchema10(str(_ubl_dir() / "maindoc" / "UBL-ApplicationResponse-2.4.xsd"))
    _start_clock()
    count = 0
    for _, element in etree.iterparse(path, events=("end",), tag=f"{{{AR}}}ApplicationResponse"):
        list(schema.iter_errors(etree.fromstring(etree.tostring(element))))
        count += 1
        element.clear()
        if count == 200:
            break
    return count


def op_validate(path: str, jobs: int) -> int:
    import ublbatch

    ublbatch.document_schema()
    _start_clock()
    with ublbatch.validate_stream(path, jobs=jobs) as validation:
        for _ in validation:
            pass
    return validation.total_count


def op_read(path: str, jobs: int) -> int:
    import ublbatch

    with ublbatch.read_batch(path) as reader:
        for _ in reader:
            pass
    return reader.document_count


def op_status(path: str, jobs: int) -> int:
    import ublbatch

    status = ublbatch.batch_status(path)
    return status.delivered_count + status.pending_count + status.failed_count


def op_handjson(path: str, jobs: int) -> int:
    """The hand-written conversion a converter would start from: iterparse, a plain recursive dict of
    local names and texts (lossy: no attributes, order or namespaces), one JSON line per document."""
    import json

    from lxml import etree

    def plain(element: etree._Element) -> object:
        children = [c for c in element if isinstance(c.tag, str)]
        if not children:
            return element.text
        out: dict[str, list[object]] = {}
        for c in children:
            out.setdefault(etree.QName(c).localname, []).append(plain(c))
        return out

    count = 0
    with open(os.devnull, "w") as sink:
        for _, element in etree.iterparse(path, events=("end",), tag=f"{{{AR}}}ApplicationResponse"):
            sink.write(json.dumps(plain(element)) + "\n")
            count += 1
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return count


def op_convert(path: str, jobs: int) -> int:
    from ublbatch.convert import to_json

    with open(os.devnull, "w") as sink:
        return to_json(path, sink, ndjson=True).converted


def _elements(path: str) -> list:  # type: ignore[type-arg]
    import ublbatch
    from ublbatch.writer import to_element

    with ublbatch.read_batch(path) as reader:
        out = []
        for document in reader:
            out.append(to_element(document.element))
            if len(out) == 500:
                break
    return out


def op_xmlfile(path: str, jobs: int) -> int:
    from lxml import etree

    from ublbatch.model import NSMAP

    elements = _elements(path)
    _start_clock()
    with etree.xmlfile(path + ".xmlfile.out", encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("ApplicationResponseBatch", nsmap=NSMAP):
            for i in range(WRITE_DOCUMENTS):
                xf.write(elements[i % len(elements)])
    os.unlink(path + ".xmlfile.out")
    return WRITE_DOCUMENTS


def op_writer(path: str, jobs: int) -> int:
    import ublbatch
    from ublbatch.writer import NO_LIMITS

    elements = _elements(path)
    _start_clock()
    with ublbatch.BatchWriter(path + ".writer.out", request_file_name="Bench_TK", validate=False,
                              limits=NO_LIMITS) as writer:
        for i in range(WRITE_DOCUMENTS):
            writer.write(elements[i % len(elements)])
    os.unlink(path + ".writer.out")
    return WRITE_DOCUMENTS


def op_split(path: str, jobs: int) -> int:
    import ublbatch

    folder = tempfile.mkdtemp(prefix="ublbatch-split-")
    try:
        return ublbatch.split_batch(path, folder, max_documents=1000, max_bytes=None).documents
    finally:
        shutil.rmtree(folder)


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def child(name: str, path: str, jobs: int) -> None:
    from lxml import etree  # noqa: F401

    import ublbatch  # noqa: F401  # imports are not what is measured

    _start_clock()
    count = OPS[name](path, jobs)
    seconds = time.perf_counter() - _START[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "documents": count, "peak_kib": peak}))


# -- the driver ----------------------------------------------------------------------------------


STARTUP = """
import time
started = time.perf_counter()
import ublbatch
imported = time.perf_counter()
from ublbatch.schemas import document_schema
document_schema("ApplicationResponse", "strict")
print(imported - started, time.perf_counter() - imported)
"""


def startup(repeat: int) -> tuple[float, float]:
    """Median seconds, in a fresh process each, to import ublbatch and to compile the strict schema."""
    runs = [subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True,
                           cwd=ROOT).stdout.split() for _ in range(max(repeat, 3))]
    return (statistics.median(float(r[0]) for r in runs), statistics.median(float(r[1]) for r in runs))


def measure(name: str, path: Path, jobs: int, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--child", name, str(path), str(jobs)],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in runs), "documents": runs[0]["documents"],
            "peak_mb": max(r["peak_kib"] for r in runs) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, help="an existing batch (default: generate one)")
    parser.add_argument("--megabytes", type=float)
    parser.add_argument("--documents", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="rows to run (default: all)")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--style", choices=("envelope", "default"), default="envelope",
                        help="for a generated file: documents in the envelope's prefixes, or each with its own "
                             "default namespace (Peppol documents embedded verbatim)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    from generate import generate

    folder = Path(tempfile.mkdtemp(prefix="ublbatch-bench-"))
    try:
        path = args.file
        if path is None:
            path = folder / "batch.xml"
            generate(path, documents=args.documents, megabytes=args.megabytes if args.documents is None else None,
                     style=args.style)
        size_mb = path.stat().st_size / 1e6
        rows = [("iterparse", 1), ("handloop", 1)]
        if shutil.which("xmllint"):
            rows.append(("xmllint", 1))
        rows += [("xmlschema_sample", 1), ("validate", 1), ("validate", args.jobs), ("read", 1), ("status", 1),
                 ("xmlfile", 1), ("writer", 1), ("split", 1), ("handjson", 1), ("convert", 1)]
        if args.only:
            baseline_rows = ("iterparse", "handloop", "xmllint", "xmlfile", "handjson")
            rows = [r for r in rows if r[0] in args.only or r[0] in baseline_rows]
        results = {}
        for name, jobs in rows:
            label = name if jobs == 1 else f"{name} --jobs {jobs}"
            results[label] = measure(name, path, jobs, 1 if name == "xmlschema_sample" else args.repeat)
        total = results["iterparse"]["documents"]
        if "xmlschema_sample" in results:
            sample = results["xmlschema_sample"]
            sample["seconds"] = sample["seconds"] / max(sample["documents"], 1) * total
            sample["documents"] = total
        baselines = {"validate": "handloop", f"validate --jobs {args.jobs}": "xmllint" if "xmllint" in results
                     else "handloop", "read": "iterparse", "status": "iterparse", "writer": "xmlfile",
                     "split": "iterparse", "xmlschema_sample": "handloop", "convert": "handjson"}
        table = []
        print(f"file: {size_mb:.1f} MB, {total} documents; medians of {args.repeat}; python {sys.version.split()[0]}")
        imported, compiled = startup(args.repeat)
        print(f"start-up, outside every row: import ublbatch {imported:.3f} s, compile the strict schema "
              f"{compiled:.3f} s")
        print(f"{'row':24} {'seconds':>9} {'MB/s':>8} {'docs/s':>10} {'peak MB':>8}  ratio")
        for label, row in results.items():
            written = label in ("writer", "xmlfile")
            mbps = size_mb / row["seconds"] if not written and row["seconds"] else float("nan")
            base = baselines.get(label)
            ratio = f"{row['seconds'] / results[base]['seconds']:.2f} x {base}" if base in results else ""
            print(f"{label:24} {row['seconds']:9.3f} {mbps:8.1f} {row['documents'] / row['seconds']:10.0f} "
                  f"{row['peak_mb']:8.1f}  {ratio}")
            table.append({"row": label, **row, "mb_per_s": mbps, "ratio": ratio})
        parallel = f"validate --jobs {args.jobs}"
        if "validate" in results and parallel in results and args.jobs > 1:
            speedup = results["validate"]["seconds"] / results[parallel]["seconds"]
            print(f"{parallel} is {speedup:.2f}x as fast as validate (one process), in this run")
        if args.json:
            args.json.write_text(json.dumps({"megabytes": size_mb, "documents": total, "rows": table,
                                             "startup": {"import": imported, "compile": compiled}}, indent=2))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
