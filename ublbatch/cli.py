"""The ``ublbatch`` command: a thin shell over the public API.

Exit codes: 0 every document accepted (zero documents included); 1 some document rejected;
2 the file cannot be processed (not a batch, DOCTYPE, broken XML, envelope errors, unreadable,
bad schemas) or the call is wrong. Results go to stdout, messages to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import IO, Any

from . import __version__
from .errors import UblBatchError
from .results import BatchResult, DocumentResult, Issue
from .schemas import PROFILES, install_schemas, verify_schemas
from .status import batch_status
from .validate import BatchValidation

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
               "  ublbatch status batch.xml\n  ublbatch schemas verify --schemas ~/os-UBL-2.4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ublbatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="validate every document of a batch")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--profile", choices=PROFILES, default="strict")
    validate.add_argument("--schemas", metavar="DIR_OR_ZIP", help="the OASIS UBL 2.4 release to use")
    validate.add_argument("--format", choices=("text", "json", "ndjson"), default="text")
    validate.add_argument("--explain", action="store_true",
                          help="add the xmlschema engine's account of each rejected document (slower)")
    validate.set_defaults(run=_validate)

    status = commands.add_parser("status", help="delivery outcome from the status reason codes")
    status.add_argument("file", metavar="FILE")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.add_argument("--event", action="store_true", help="wrap the JSON as a GoRoute webhook event")
    status.set_defaults(run=_status)

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
    out = sys.stdout
    keep = args.format != "ndjson"
    with BatchValidation(args.file, profile=args.profile, schema_dir=args.schemas, explain=args.explain,
                         keep=keep) as validation:
        if args.format == "ndjson":
            _line(out, {"type": "header", **validation.header_dict()})
            for result in validation:
                _line(out, {"type": "result", **result.to_dict()})
            _line(out, {"type": "summary", "batch_id": validation.header.request_file_name,
                        "total_count": validation.total_count, "accepted_count": validation.accepted_count,
                        "rejected_count": validation.rejected_count,
                        "file_errors": [e.to_dict() for e in validation.file_errors],
                        "valid": not validation.file_errors and not validation.rejected_count})
        else:
            for _ in validation:
                pass
    if keep:
        verdict = validation.result()
        if args.format == "json":
            out.write(verdict.to_json(indent=2) + "\n")
        else:
            _text_report(out, verdict)
    for error in validation.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    if validation.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if validation.rejected_count else EXIT_OK


def _text_report(out: IO[str], result: BatchResult) -> None:
    status = result.header.file_status_code or "?"
    out.write(f"{result.source}: {result.batch_id or '(no RequestFileName)'} (file status {status}), "
              f"{result.total_count} documents: {result.accepted_count} accepted, "
              f"{result.rejected_count} rejected [{result.profile}]\n")
    rejected = [r for r in result.results if not r.accepted]
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
    status = batch_status(args.file)
    if args.format == "json":
        payload: dict[str, Any] = status.to_event() if args.event else status.to_dict()
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(f"{args.file}: {status.batch_id or '(no RequestFileName)'} {status.status}: "
                         f"{status.delivered_count} delivered, {status.pending_count} pending, "
                         f"{status.failed_count} failed\n")
        for item in status.failed_items:
            sys.stdout.write(f"  {item.id}: {item.code} {item.message} -> {item.action}"
                             f"{' (retriable)' if item.retriable else ''}\n")
    for error in status.file_errors:
        print(f"ublbatch: {error.message}", file=sys.stderr)
    return EXIT_FILE if status.file_errors else EXIT_OK


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


def _line(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")
