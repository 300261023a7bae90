"""The ``ublbatch`` command: a thin shell over the public API.

Exit codes: 0 every document accepted (zero documents included); 1 some document rejected;
2 the file cannot be processed (not a batch, DOCTYPE, broken XML, envelope errors, unreadable,
bad schemas) or the call is wrong. Results go to stdout, messages to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from . import __version__
from .codes import StatusReasonCode
from .errors import SourceError, UblBatchError
from .model import ApplicationResponse
from .profiles import PROFILES
from .reader import MAX_DOCUMENT_BYTES
from .reconcile import reconcile
from .respond import respond
from .results import BatchResult, DeliveryStatus, DocumentResult, Issue
from .schemas import install_schemas, verify_schemas
from .split import ReshapeReport, extract_documents, merge_batches, split_batch
from .status import StatusScan
from .validate import validate_stream
from .writer import DEFAULT_MAX_BYTES, DEFAULT_MAX_DOCUMENT_BYTES, DEFAULT_MAX_DOCUMENTS, BatchWriter, Limits

EXIT_OK, EXIT_REJECTED, EXIT_FILE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except UblBatchError as exc:
        print(f"ublbatch: {exc}", file=sys.stderr)
        return EXIT_FILE
    except BrokenPipeError:
        return EXIT_FILE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ublbatch",
        description="Validate and report Google e-invoice ApplicationResponseBatch files (UBL 2.4).",
        epilog="examples:\n  ublbatch validate batch.xml\n  ublbatch validate batch.xml --format json\n"
               "  ublbatch status batch.xml\n"
               "  ublbatch build --request-file-name Req_TK1 responses/ -o batch.xml\n"
               "  ublbatch split batch.xml --max-documents 100 -o parts/\n"
               "  ublbatch extract batch.xml --id GVR-1 -o docs/\n"
               "  ublbatch schemas verify --schemas ~/os-UBL-2.4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ublbatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="validate every document of a batch")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--profile", choices=PROFILES, default="strict")
    validate.add_argument("--schemas", metavar="DIR_OR_ZIP", help="the OASIS UBL 2.4 release to use")
    validate.add_argument("--format", choices=("text", "json", "ndjson"), default="text")
    validate.add_argument("--max-document-bytes", type=_size, default=MAX_DOCUMENT_BYTES, metavar="SIZE",
                          help="refuse a document bigger than this while reading (default 15 MiB; none: no cap)")
    validate.add_argument("--jobs", type=int, default=1, metavar="N",
                          help="validate ranges of the file in N processes (same results)")
    validate.add_argument("--explain", action="store_true",
                          help="add the xmlschema engine's account of each rejected document (slower)")
    validate.set_defaults(run=_validate)

    status = commands.add_parser("status", help="delivery outcome from the status reason codes")
    status.add_argument("file", metavar="FILE")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.add_argument("--event", action="store_true", help="wrap the JSON as a GoRoute webhook event")
    status.set_defaults(run=_status)

    build = commands.add_parser("build", help="build a batch from ApplicationResponse files or JSON/NDJSON models")
    build.add_argument("inputs", metavar="INPUT", nargs="+",
                       help="ApplicationResponse XML files or folders of them (sorted by name), or one .json/.ndjson")
    build.add_argument("--request-file-name", required=True, metavar="NAME")
    build.add_argument("--status", default="S", choices=("S", "E", "D"))
    build.add_argument("--description", default="", help="FileStatus/StatusDescription")
    build.add_argument("-o", "--output", metavar="OUT", help="the batch file (default: standard output)")
    build.add_argument("--skip-invalid", action="store_true", help="leave invalid documents out and report them")
    build.add_argument("--no-validate", action="store_true", help="write documents without checking them")
    build.add_argument("--pretty", action="store_true")
    build.add_argument("--profile", choices=PROFILES, default="strict")
    build.add_argument("--schemas", metavar="DIR_OR_ZIP")
    _limit_options(build, documents=None)
    build.set_defaults(run=_build)

    split = commands.add_parser("split", help="split a batch into numbered parts under limits")
    split.add_argument("file", metavar="FILE")
    split.add_argument("-o", "--output", metavar="DIR", required=True)
    _limit_options(split, documents=DEFAULT_MAX_DOCUMENTS)
    split.set_defaults(run=_split)

    merge = commands.add_parser("merge", help="join parts of one batch (same RequestFileName)")
    merge.add_argument("files", metavar="PART", nargs="+")
    merge.add_argument("-o", "--output", metavar="OUT", required=True)
    merge.set_defaults(run=_merge)

    extract = commands.add_parser("extract", help="write embedded documents as standalone UBL files")
    extract.add_argument("file", metavar="FILE")
    extract.add_argument("--id", dest="ids", action="append", metavar="ID",
                         help="only this document (its id, cbc:ID or cbc:UUID); repeatable")
    extract.add_argument("-o", "--output", metavar="DIR", required=True)
    extract.set_defaults(run=_extract)

    respond_cmd = commands.add_parser("respond", help="write the response batch for a request batch")
    respond_cmd.add_argument("request", metavar="REQUEST")
    respond_cmd.add_argument("--outcomes", metavar="JSON",
                             help='file mapping each UUID to {"code": "REF", "reason": "..."} (default PEN for all)')
    respond_cmd.add_argument("-o", "--output", metavar="OUT", required=True)
    respond_cmd.add_argument("--sender", default="Vendor", help="cac:SenderParty name (the vendor)")
    respond_cmd.add_argument("--receiver", default="Google")
    respond_cmd.add_argument("--default-code", default="PEN", choices=[c.value for c in StatusReasonCode])
    respond_cmd.add_argument("--no-id", action="store_true", help="leave cbc:ID out, as Google's examples do")
    respond_cmd.add_argument("--profile", choices=PROFILES, default="google")
    respond_cmd.add_argument("--schemas", metavar="DIR_OR_ZIP")
    respond_cmd.set_defaults(run=_respond)

    reconcile_cmd = commands.add_parser("reconcile", help="match response batches to their request batch by UUID")
    reconcile_cmd.add_argument("request", metavar="REQUEST")
    reconcile_cmd.add_argument("responses", metavar="RESPONSE", nargs="+")
    reconcile_cmd.add_argument("--format", choices=("text", "json"), default="text")
    reconcile_cmd.set_defaults(run=_reconcile)

    schemas = commands.add_parser("schemas", help="check or install the OASIS UBL 2.4 schemas")
    schema_commands = schemas.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")
    verify = schema_commands.add_parser("verify", help="report which schemas are found and whether they match")
    verify.add_argument("--schemas", metavar="DIR_OR_ZIP")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.set_defaults(run=_schemas_verify)
    install = schema_commands.add_parser("install", help="copy a verified release into the package")
    install.add_argument("--from", dest="source", metavar="DIR_OR_ZIP", required=True)
    install.set_defaults(run=_schemas_install)
    return parser


def _validate(args: argparse.Namespace) -> int:
    """Flat memory in every format: json spools the results to a temporary file (the counts come first),
    text keeps only the rejected ones, ndjson keeps none."""
    out = sys.stdout
    rejected: list[DocumentResult] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool, validate_stream(
            args.file, profile=args.profile, schema_dir=args.schemas, explain=args.explain, jobs=args.jobs,
            max_document_bytes=args.max_document_bytes) as validation:
        if args.format == "ndjson":
            _line(out, {"type": "header", **validation.header_dict()})
        for result in validation:
            if args.format == "ndjson":
                _line(out, {"type": "result", **result.to_dict()})
            elif args.format == "json":
                spool.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            elif not result.accepted:
                rejected.append(result)
        if args.format == "json":
            body = BatchResult(validation.header, (), tuple(validation.file_errors), validation.profile,
                               validation.schema_info(), validation.source_name).to_dict()
            body.update(total_count=validation.total_count, accepted_count=validation.accepted_count,
                        rejected_count=validation.rejected_count,
                        valid=not validation.file_errors and not validation.rejected_count)
            spool.seek(0)
            _json_with_list(out, body, "results", spool)
    if args.format == "ndjson":
        _line(out, {"type": "summary", "batch_id": validation.header.request_file_name,
                    "total_count": validation.total_count, "accepted_count": validation.accepted_count,
                    "rejected_count": validation.rejected_count,
                    "file_errors": [e.to_dict() for e in validation.file_errors],
                    "valid": not validation.file_errors and not validation.rejected_count})
    elif args.format == "text":
        summary = BatchResult(validation.header, (), tuple(validation.file_errors), validation.profile,
                              None, validation.source_name)
        _text_report(out, summary, validation.accepted_count, rejected)
    for error in validation.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    if validation.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if validation.rejected_count else EXIT_OK


def _text_report(out: IO[str], result: BatchResult, accepted: int, rejected: list[DocumentResult]) -> None:
    header = result.header
    about = (f"request batch, documentCount {header.document_count}" if header.kind == "request"
             else f"file status {header.file_status_code or '?'}")
    out.write(f"{result.source}: {result.batch_id or '(no batch id)'} ({about}), "
              f"{accepted + len(rejected)} documents: {accepted} accepted, "
              f"{len(rejected)} rejected [{result.profile}]\n")
    if rejected:
        common = Counter(r.error.message for r in rejected if r.error is not None)
        for message, count in common.most_common(5):
            if count > 1:
                out.write(f"  {count} documents: {message}\n")
        for r in rejected:
            _document_lines(out, r)
    if result.file_errors:
        out.write(f"  {len(result.file_errors)} file-level error(s), on stderr\n")


def _document_lines(out: IO[str], result: DocumentResult) -> None:
    errors = result.errors
    first = errors[0] if errors else None
    out.write(f"  rejected #{result.index} {result.id} (line {result.line}): "
              f"{first.message if first else 'rejected'}{_where(first)}\n")
    for issue in errors[1:]:
        out.write(f"      line {issue.line}: {issue.message}{_where(issue)}\n")


def _where(issue: Issue | None) -> str:
    return f" at {issue.path}" if issue is not None and issue.path else ""


def _status(args: argparse.Namespace) -> int:
    """Streams: failed items are printed (text) or spooled to a temporary file (JSON) as they come."""
    with StatusScan(args.file) as scan, tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for item in scan:
            if args.format == "json":
                spool.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(f"  {item.id}: {item.code} {item.message} -> {item.action}"
                                 f"{' (retriable)' if item.retriable else ''}\n")
        status = scan.summary()
        if args.format == "json":
            spool.seek(0)
            _status_json(sys.stdout, status, spool, event=args.event)
        else:
            sys.stdout.write(f"{args.file}: {status.batch_id or '(no RequestFileName)'} {status.status}: "
                             f"{status.delivered_count} delivered, {status.pending_count} pending, "
                             f"{status.failed_count} failed\n")
    for error in status.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    return EXIT_FILE if status.file_errors else EXIT_OK


def _status_json(out: IO[str], status: DeliveryStatus, items: IO[str], *, event: bool) -> None:
    """GoRoute's status JSON with ``failed_items`` copied from the spool, one item at a time."""
    if event:
        out.write('{\n  "type": ' + json.dumps(f"batch.{status.status}") + ',\n  "data": ')
    _json_with_list(out, status.to_dict(), "failed_items", items, end="\n}\n" if event else "\n")


def _json_with_list(out: IO[str], body: dict[str, Any], key: str, lines: IO[str], end: str = "\n") -> None:
    """``body`` as indented JSON whose (empty) list ``key`` is filled from JSON lines, one at a time."""
    body[key] = []
    before, after = json.dumps(body, indent=2, ensure_ascii=False).split(f'"{key}": []', 1)
    out.write(before + f'"{key}": [')
    count = 0
    for line in lines:
        out.write(("," if count else "") + "\n    " + line.strip())
        count += 1
    out.write(("\n  ]" if count else "]") + after + end)


def _schemas_verify(args: argparse.Namespace) -> int:
    report = verify_schemas(args.schemas)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(f"found by: {report.found_by or '-'}\nlocation: {report.location or '-'}\n")
        for v in report.variants:
            sys.stdout.write(f"  {v.variant}/: {v.ok} of {v.checked} pinned files match, "
                             f"{len(v.mismatched)} differ, {len(v.missing)} missing\n")
            for path in v.mismatched:
                sys.stdout.write(f"    differs: {path}\n")
        sys.stdout.write(f"{report.message}\n")
    if not report.usable:
        print(f"ublbatch: {report.message}", file=sys.stderr)
    return EXIT_OK if report.usable else EXIT_FILE


def _schemas_install(args: argparse.Namespace) -> int:
    verified = install_schemas(args.source)
    sys.stdout.write(f"installed {len(verified.files)} verified files ({verified.variant}/) from "
                     f"{verified.location}\n")
    return EXIT_OK


def _limit_options(parser: argparse.ArgumentParser, *, documents: int | None) -> None:
    parser.add_argument("--max-documents", type=_count, default=documents, metavar="N",
                        help=f"documents per batch ('none': no limit; default {documents or 'none'})")
    parser.add_argument("--max-bytes", type=_size, default=DEFAULT_MAX_BYTES, metavar="SIZE",
                        help="bytes per batch, e.g. 50MB, 20MiB, 1000000, none (default 50 MiB)")
    parser.add_argument("--max-document-bytes", type=_size, default=DEFAULT_MAX_DOCUMENT_BYTES, metavar="SIZE",
                        help="bytes per document (default 15 MiB)")


def _count(text: str) -> int | None:
    if text.lower() == "none":
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def _size(text: str) -> int | None:
    if text.lower() == "none":
        return None
    number = text.rstrip("bBkKmMgGiI ")
    unit = text[len(number):].strip().upper()
    if unit not in _UNITS or not number.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 50MB, 20MiB, 1000000, none)")
    return int(float(number) * _UNITS[unit])


def _build(args: argparse.Namespace) -> int:
    documents = _inputs(args.inputs)
    limits = Limits(args.max_documents, args.max_bytes, args.max_document_bytes)
    target = args.output if args.output else sys.stdout.buffer
    writer = BatchWriter(target, request_file_name=args.request_file_name, file_status=args.status,
                         status_description=args.description, validate=not args.no_validate,
                         on_invalid="skip" if args.skip_invalid else "raise", profile=args.profile,
                         schema_dir=args.schemas, pretty=args.pretty, limits=limits)
    with writer:
        writer.write_all(documents)
    report = writer.report
    for skipped in report.skipped:
        first = skipped.error
        print(f"ublbatch: skipped #{skipped.index} {skipped.id}: {first.message if first else 'invalid'}",
              file=sys.stderr)
    if args.output:
        print(f"{args.output}: {report.written} documents written, {len(report.skipped)} skipped", file=sys.stderr)
    return EXIT_REJECTED if report.skipped else EXIT_OK


def _inputs(paths: Sequence[str]) -> Iterator[ApplicationResponse | bytes]:
    """The documents named on the command line, one at a time."""
    if len(paths) == 1 and Path(paths[0]).suffix.lower() in (".json", ".ndjson", ".jsonl"):
        path = Path(paths[0])
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            items = data["documents"] if isinstance(data, dict) else data
            for item in items:
                yield ApplicationResponse.from_dict(item)
        else:
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        yield ApplicationResponse.from_dict(json.loads(line))
        return
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml" and p.is_file()):
                yield child.read_bytes()
        elif path.is_file():
            yield path.read_bytes()
        else:
            raise SourceError(f"{name}: no such file or folder")


def _respond(args: argparse.Namespace) -> int:
    outcomes: dict[str, Any] = {}
    if args.outcomes:
        with open(args.outcomes, encoding="utf-8") as handle:
            outcomes = json.load(handle)
        if not isinstance(outcomes, dict):
            raise SourceError(f"{args.outcomes}: expected a JSON object mapping UUIDs to outcomes")
    try:
        report = respond(args.request, outcomes, args.output, sender=args.sender, receiver=args.receiver,
                         default_code=StatusReasonCode(args.default_code), with_id=not args.no_id,
                         profile=args.profile, schema_dir=args.schemas)
    except ValueError as exc:
        print(f"ublbatch: {exc}", file=sys.stderr)
        return EXIT_FILE
    print(f"{args.output}: {report.written} responses written", file=sys.stderr)
    for index, why in report.not_answered:
        print(f"ublbatch: request #{index} not answered: {why}", file=sys.stderr)
    for uuid in report.unused_outcomes:
        print(f"ublbatch: outcome for {uuid} matches no request", file=sys.stderr)
    for error in report.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    if report.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if report.not_answered or report.unused_outcomes else EXIT_OK


def _reconcile(args: argparse.Namespace) -> int:
    result = reconcile(args.request, args.responses)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(result.summary() + "\n")
    for error in result.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    if result.file_errors:
        return EXIT_FILE
    return EXIT_OK if result.complete else EXIT_REJECTED


def _reshaped(report: ReshapeReport, what: str) -> int:
    for path in report.outputs:
        sys.stdout.write(f"{path}\n")
    print(f"ublbatch: {report.documents} documents {what} into {len(report.outputs)} file(s)", file=sys.stderr)
    for left in report.left_out:
        where = f"left out #{left.index} (line {left.line}): " if left.index else ""
        print(f"ublbatch: {where}{left.reason}", file=sys.stderr)
    for error in report.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    if report.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if report.left_out else EXIT_OK


def _split(args: argparse.Namespace) -> int:
    return _reshaped(split_batch(args.file, args.output, max_documents=args.max_documents,
                                 max_bytes=args.max_bytes), "split")


def _merge(args: argparse.Namespace) -> int:
    return _reshaped(merge_batches(args.files, args.output), "merged")


def _extract(args: argparse.Namespace) -> int:
    return _reshaped(extract_documents(args.file, args.output, ids=args.ids), "extracted")


def _line(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")
