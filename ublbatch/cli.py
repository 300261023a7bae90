"""The ``ublbatch`` command: a thin shell over the public API.

Exit codes: 0 every document accepted (zero documents included); 1 some document rejected;
2 the file cannot be processed (not a batch, DOCTYPE, broken XML, envelope errors, unreadable,
bad schemas) or the call is wrong. Results go to stdout, messages to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._atomic import AtomicFile, same_file
from ._terminal import Progress, painter, progress
from .codes import StatusReasonCode
from .convert import JSON_SUFFIXES, from_json, read_json, to_json
from .errors import InvalidDocumentError, SourceError, UblBatchError
from .model import ApplicationResponse
from .profiles import GOOGLE_HINT, PROFILES, default_profile, google_shaped
from .reader import MAX_DOCUMENT_BYTES
from .reconcile import reconcile
from .report import StatusReport, ValidationReport, plural
from .respond import respond
from .results import DeliveryStatus, DocumentResult
from .schemas import install_schemas, verify_schemas
from .split import ReshapeReport, extract_documents, merge_batches, split_batch
from .status import StatusScan
from .validate import validate_stream
from .writer import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_MAX_DOCUMENTS,
    NO_LIMITS,
    BatchWriter,
    Limits,
    WriteReport,
)

EXIT_OK, EXIT_REJECTED, EXIT_FILE = 0, 1, 2


class Ui:
    """Where a command's output goes: stdout for results, stderr for messages, both maybe coloured."""

    def __init__(self, quiet: bool, color: str) -> None:
        self.quiet = quiet
        self.color = color
        self.out = sys.stdout
        self.paint = painter(color, sys.stdout)
        self._paint_err = painter(color, sys.stderr)

    def error(self, message: str) -> None:
        """A problem: always shown."""
        print(f"{self._paint_err('ublbatch:', 'bold red')} {message}", file=sys.stderr)

    def info(self, message: str) -> None:
        """What was done (files written, counts): left out with ``--quiet``."""
        if not self.quiet:
            print(f"ublbatch: {message}", file=sys.stderr)

    def progress(self, what: str, path: str, *, stdout_busy: bool) -> Progress:
        """A progress bar for reading ``path``, or a silent stand-in (see ``_terminal.progress``)."""
        return progress(what, path, quiet=self.quiet, color_mode=self.color, stdout_busy=stdout_busy)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    _refuse_flags_without_effect(parser, args)
    args.ui = Ui(args.quiet, args.color)
    if getattr(args, "format", None) in ("json", "ndjson", "csv"):
        _utf8_stdout()
    try:
        if getattr(args, "profile", "") is None:  # not given: UBLBATCH_PROFILE, else pyproject.toml, else strict
            args.profile = default_profile().name
        code: int = args.run(args)
        return code
    except _Handled as handled:
        return handled.code
    except UblBatchError as exc:
        args.ui.error(str(exc))
        return EXIT_FILE
    except BrokenPipeError:
        return EXIT_FILE
    except OSError as exc:  # a file that cannot be opened or written: said plainly, not as a traceback
        args.ui.error(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return EXIT_FILE
    except ValueError as exc:  # a value the call or the input got wrong (a status code, a date in JSON, ...)
        args.ui.error(str(exc))
        return EXIT_FILE
    except KeyboardInterrupt:
        return 130


def _refuse_flags_without_effect(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """An option given where it changes nothing is a mistake worth saying (exit 2), not something to ignore."""
    if args.command == "status":
        if args.event and args.format != "json":
            parser.error("status: --event needs --format json")
        if args.failed_only and args.format not in ("ndjson", "csv"):
            parser.error("status: --failed-only works with --format ndjson or csv (text and json list only the "
                         "failed documents anyway)")
        if args.organization_id is not None and not args.event:
            parser.error("status: --organization-id needs --event")
    elif args.command == "validate":
        if args.summary and args.max_errors is not None:
            parser.error("validate: --summary lists no document; give --summary or --max-errors, not both")
        if (args.summary or args.max_errors is not None) and args.format != "text":
            parser.error(f"validate: {'--summary' if args.summary else '--max-errors'} shapes the text report; "
                         "it does nothing with --format " + args.format)
    elif args.command == "convert" and args.file == "-" and args.to is None and args.source_format is None:
        parser.error("convert: standard input (-) needs --from json|ndjson, or --to json|ndjson for an XML batch")


def _utf8_stdout() -> None:
    """JSON and CSV go out as UTF-8 whatever the locale says (RFC 8259), never failing on a character."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        with contextlib.suppress(ValueError, OSError):
            reconfigure(encoding="utf-8")


_EXAMPLES = {
    None: """examples:
  ublbatch validate batch.xml                      every document against UBL 2.4 (exit 1 if any rejected)
  ublbatch validate batch.xml --profile google     Google's profile of UBL 2.4
  ublbatch validate batch.xml --format json        GoRoute-shaped result (see schemas/batch-result.schema.json)
  ublbatch status batch.xml --failed-only --format ndjson   failed documents for retry/manual queues
  ublbatch convert batch.xml --to ndjson -o batch.ndjson    every document as JSON, one per line
  ublbatch convert batch.ndjson --from ndjson -o batch.xml  and back
  ublbatch build --request-file-name Req_TK1 responses/ -o batch.xml
  ublbatch split batch.xml --max-documents 100 -o parts/
  ublbatch schemas verify --schemas ~/os-UBL-2.4

exit codes: 0 all accepted, 1 some document rejected (or skipped), 2 the file cannot be processed
(not a batch, broken XML, envelope errors, bad schemas) or a wrong call.""",
    "validate": """examples:
  ublbatch validate batch.xml
  ublbatch validate inbox/ 'archive/*.xml' - < other.xml     several files: one summary, the worst exit code
  ublbatch validate huge.xml --summary                        only the summary lines
  ublbatch validate huge.xml --max-errors 20                  at most 20 rejected documents listed
  ublbatch validate batch.xml --profile google --format json > result.json
  ublbatch validate batch.xml --format csv > results.csv      one row per document
  ublbatch validate big.xml --jobs 2 --format ndjson | jq -c 'select(.status == "rejected")'
  ublbatch validate batch.xml --explain                       add xmlschema's account of each error""",
    "status": """examples:
  ublbatch status batch.xml                                   delivered / pending / failed counts
  ublbatch status batch.xml --format json --event             as a GoRoute webhook event
  ublbatch status batch.xml --failed-only --format ndjson | jq -c 'select(.queue == "retry")'
  ublbatch status batch.xml --format csv > status.csv
  ublbatch status batch.xml -q --fail-on pending || echo "not all delivered"   exit 1 unless all delivered""",
    "convert": """examples:
  ublbatch convert batch.xml --to json -o batch.json
  ublbatch convert batch.xml --to ndjson | jq '.document.uuid'
  ublbatch convert batch.ndjson --from ndjson -o batch.xml    header taken from the first line
  producer | ublbatch convert - --from ndjson -o batch.xml    NDJSON from standard input
  ublbatch convert docs.json --from json --request-file-name Req_TK1 -o batch.xml

Each document is ApplicationResponse.to_dict(); elements the model does not name are kept, as XML,
under "_extra", so converting back gives the same content.""",
}


def _parser() -> argparse.ArgumentParser:
    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                                   epilog=_EXAMPLES.get(name), parents=[common],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    # the output options work before or after the command: on the command they must not reset the value
    common = argparse.ArgumentParser(add_help=False)
    _output_options(common, default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="ublbatch",
        description="Validate, report and convert Google e-invoice ApplicationResponseBatch files (UBL 2.4).",
        epilog=_EXAMPLES[None], formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ublbatch {__version__}")
    _output_options(parser, default=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = command("validate", "validate every document of one or more batches")
    validate.add_argument("files", metavar="FILE", nargs="+", help=_INPUTS_HELP)
    validate.add_argument("--profile", choices=PROFILES, default=None, help=_PROFILE_HELP)
    validate.add_argument("--schemas", metavar="DIR_OR_ZIP", help="the OASIS UBL 2.4 release to use")
    validate.add_argument("--format", choices=("text", "json", "ndjson", "csv"), default="text",
                          help="text (default): summary and errors; json: GoRoute's batch result (several files: "
                               "an array of them); ndjson: header, result and summary lines of each file in turn; "
                               "csv: a row per document (several files: a leading source column)")
    validate.add_argument("--max-document-bytes", type=_size, default=MAX_DOCUMENT_BYTES, metavar="SIZE",
                          help="refuse a document bigger than this while reading (default 15 MiB; none: no cap)")
    validate.add_argument("--jobs", type=_positive, default=1, metavar="N",
                          help="validate ranges of the file in N processes (same results)")
    validate.add_argument("--explain", action="store_true",
                          help="add the xmlschema engine's account of each rejected document (slower)")
    validate.add_argument("--max-errors", type=_whole, metavar="N",
                          help="text: list at most N rejected documents of each file, and say how many more")
    validate.add_argument("--summary", action="store_true",
                          help="text: only the summary lines of each file, no rejected document listed")
    validate.set_defaults(run=_validate)

    status = command("status", "delivery outcome of each document from its status reason code")
    status.add_argument("files", metavar="FILE", nargs="+", help=_INPUTS_HELP)
    status.add_argument("--format", choices=("text", "json", "ndjson", "csv"), default="text",
                        help="text (default): counts and failed documents; json: GoRoute's batch status (several "
                             "files: an array, each with its source); ndjson: document and summary lines (several "
                             "files: each line names its source); csv: a row per document")
    status.add_argument("--failed-only", action="store_true",
                        help="ndjson/csv: only the documents that will not be delivered (with their queue)")
    status.add_argument("--event", action="store_true", help="json: wrap it as a GoRoute webhook event")
    status.add_argument("--organization-id", metavar="ID",
                        help="--event: the event's organization_id (default null)")
    status.add_argument("--fail-on", choices=("failed", "pending"),
                        help="exit 1 when a document failed (failed), or failed or is still pending (pending)")
    status.set_defaults(run=_status)

    convert = command("convert", "a batch as JSON or NDJSON documents, or back to XML")
    convert.add_argument("file", metavar="FILE",
                         help="the batch (.xml), or its JSON/NDJSON form; - reads standard input (say --from or --to)")
    direction = convert.add_mutually_exclusive_group()
    direction.add_argument("--to", choices=("json", "ndjson"),
                           help="write the XML batch FILE as this (default for .xml files: json)")
    direction.add_argument("--from", dest="source_format", choices=("json", "ndjson"),
                           help="FILE is this; build the XML batch (default for .json/.ndjson files)")
    convert.add_argument("-o", "--output", metavar="OUT", help="default: standard output")
    back = convert.add_argument_group("building back (--from)")
    back.add_argument("--request-file-name", metavar="NAME", help="instead of the one in the JSON")
    back.add_argument("--status", choices=("S", "E", "D"), help="instead of the one in the JSON")
    back.add_argument("--description", help="instead of the one in the JSON")
    _writer_options(back)
    _limit_options(back, documents=None, limits=NO_LIMITS)
    convert.set_defaults(run=_convert)

    build = command("build", "build a batch from ApplicationResponse files or JSON/NDJSON models")
    build.add_argument("inputs", metavar="INPUT", nargs="+",
                       help="ApplicationResponse XML files or folders of them (sorted by name), or one .json/.ndjson")
    build.add_argument("--request-file-name", required=True, metavar="NAME",
                       help="RequestFileName: the request file name with its batch token")
    build.add_argument("--status", default="S", choices=("S", "E", "D"), help="FileStatus/StatusCode (default S)")
    build.add_argument("--description", default="", help="FileStatus/StatusDescription")
    build.add_argument("-o", "--output", metavar="OUT", help="the batch file (default: standard output)")
    _writer_options(build)
    _limit_options(build, documents=None)
    build.set_defaults(run=_build)

    split = command("split", "split a batch into numbered parts under limits")
    split.add_argument("file", metavar="FILE", help="the batch to split")
    split.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for the numbered parts")
    _limit_options(split, documents=DEFAULT_MAX_DOCUMENTS, per_document=False)
    split.set_defaults(run=_split)

    merge = command("merge", "join parts of one batch (same RequestFileName)")
    merge.add_argument("files", metavar="PART", nargs="+", help="the parts, in the order their documents go")
    merge.add_argument("-o", "--output", metavar="OUT", required=True, help="the merged batch file")
    merge.add_argument("--allow-duplicates", action="store_true",
                       help="merge even when a cbc:UUID would appear twice (refused by default)")
    merge.set_defaults(run=_merge)

    extract = command("extract", "write embedded documents as standalone UBL files")
    extract.add_argument("file", metavar="FILE", help="the batch to take documents from")
    extract.add_argument("--id", dest="ids", action="append", metavar="ID",
                         help="only this document (its id, cbc:ID or cbc:UUID); repeatable")
    extract.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for the documents")
    extract.set_defaults(run=_extract)

    respond_cmd = command("respond", "write the response batch for a request batch")
    respond_cmd.add_argument("request", metavar="REQUEST", help="the request batch (RequestBatch) to answer")
    respond_cmd.add_argument("--outcomes", metavar="JSON",
                             help='file mapping each UUID to {"code": "REF", "reason": "..."} (default PEN for all)')
    respond_cmd.add_argument("-o", "--output", metavar="OUT", required=True, help="the response batch file")
    respond_cmd.add_argument("--sender", default="Vendor", help="cac:SenderParty name (the vendor)")
    respond_cmd.add_argument("--receiver", default="Google", help="cac:ReceiverParty name (default Google)")
    respond_cmd.add_argument("--default-code", default="PEN", choices=[c.value for c in StatusReasonCode],
                             help="status reason code of a request the outcomes do not name (default PEN)")
    respond_cmd.add_argument("--no-id", action="store_true", help="leave cbc:ID out, as Google's examples do")
    respond_cmd.add_argument("--status-description", metavar="TEXT",
                             help="FileStatus/StatusDescription (default: File processed successfully)")
    respond_cmd.add_argument("--profile", choices=PROFILES, default="google",
                             help="validate the responses by this profile (default google)")
    respond_cmd.add_argument("--schemas", metavar="DIR_OR_ZIP", help="the OASIS UBL 2.4 release to use")
    respond_cmd.set_defaults(run=_respond)

    reconcile_cmd = command("reconcile", "match response batches to their request batch by UUID")
    reconcile_cmd.add_argument("request", metavar="REQUEST", help="the request batch")
    reconcile_cmd.add_argument("responses", metavar="RESPONSE", nargs="+", help="the response batches for it")
    reconcile_cmd.add_argument("--format", choices=("text", "json"), default="text",
                               help="text (default): a summary; json: every request and its answer")
    reconcile_cmd.set_defaults(run=_reconcile)

    schemas = command("schemas", "check or install the OASIS UBL 2.4 schemas")
    schema_commands = schemas.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")
    verify = schema_commands.add_parser("verify", help="report which schemas are found and whether they match",
                                        parents=[common])
    verify.add_argument("--schemas", metavar="DIR_OR_ZIP", help="the release to check (default: where it is found)")
    verify.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    verify.set_defaults(run=_schemas_verify)
    install = schema_commands.add_parser("install", help="copy a verified release into the package",
                                         parents=[common])
    install.add_argument("--from", dest="source", metavar="DIR_OR_ZIP", required=True,
                         help="the OASIS UBL 2.4 release: its folder or the official zip")
    install.set_defaults(run=_schemas_install)
    return parser


_INPUTS_HELP = ("a batch file; a folder (its *.xml files, sorted); a glob pattern such as 'in/*.xml'; "
                "- for standard input. Several: one report, then a total; the worst exit code")
_PROFILE_HELP = ("strict (the default): UBL 2.4 as published; google: Google's documented deviations are "
                 "warnings. Default from UBLBATCH_PROFILE, else [tool.ublbatch] profile in pyproject.toml")


def _output_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    group = parser.add_argument_group("output options")
    group.add_argument("-q", "--quiet", action="store_true", default=False if default is None else default,
                       help="no progress bar and no notes on stderr (errors are still shown)")
    group.add_argument("--color", "--colour", choices=("auto", "always", "never"),
                       default="auto" if default is None else default,
                       help="colour the text output: auto (a terminal and no NO_COLOR), always, never; "
                            "needs the [cli] extra")


def _writer_options(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--skip-invalid", action="store_true", help="leave invalid documents out and report them")
    parser.add_argument("--no-validate", action="store_true", help="write documents without checking them")
    parser.add_argument("--pretty", action="store_true", help="indent the XML")
    parser.add_argument("--profile", choices=PROFILES, default=None, help=_PROFILE_HELP)
    parser.add_argument("--schemas", metavar="DIR_OR_ZIP", help="the OASIS UBL 2.4 release to use")


def _validate(args: argparse.Namespace) -> int:
    """Flat memory in every format (see ``report``); several inputs one after the other."""
    ui: Ui = args.ui
    inputs = expand_inputs(args.files)
    report = ValidationReport(ui.out, args.format, paint=ui.paint, max_errors=args.max_errors,
                              summary=args.summary, several=len(inputs) > 1)
    worst, hint = EXIT_OK, False
    for name in inputs:
        try:
            code, fits = _validate_one(args, ui, report, name)
        except UblBatchError as exc:  # a file that cannot be read at all: said, and the others still done
            if len(inputs) == 1:
                raise
            ui.error(f"{name}: {exc}" if name not in str(exc) else str(exc))
            code, fits = EXIT_FILE, False
        worst, hint = max(worst, code), hint or fits
    report.finish()
    if hint:
        ui.info(f"note: {GOOGLE_HINT}")
    return worst


def _validate_one(args: argparse.Namespace, ui: Ui, report: ValidationReport, name: str) -> tuple[int, bool]:
    source: Any = sys.stdin.buffer if name == "-" else name
    shown = "<stdin>" if name == "-" else name
    with validate_stream(source, name=shown, profile=args.profile, schema_dir=args.schemas, explain=args.explain,
                         jobs=args.jobs, max_document_bytes=args.max_document_bytes,
                         response_status=report.shows_response) as validation:
        report.begin(validation)
        with ui.progress("validating", shown, stdout_busy=report.live) as bar:  # gone before the report
            for count, result in enumerate(validation, 1):
                bar.update(count, validation.bytes_read)
                report.add(result)
        report.end(validation)
    for error in validation.file_errors:
        ui.error(error.message)
    if validation.file_errors:
        return EXIT_FILE, False
    return (EXIT_REJECTED if validation.rejected_count else EXIT_OK), validation.google_profile_fits


def expand_inputs(names: Sequence[str]) -> list[str]:
    """The files named on the command line: a file as it is, a folder's ``*.xml`` files (sorted), a glob
    pattern's matches (sorted), ``-`` for standard input (once). A name that gives nothing is an error."""
    found: list[str] = []
    for name in names:
        path = Path(name)
        if name == "-":
            if "-" in found:
                raise SourceError("-: standard input can be read once")
            found.append(name)
        elif path.is_dir():
            found.extend(str(p) for p in sorted(path.iterdir()) if p.suffix.lower() == ".xml" and p.is_file())
        elif path.exists() or not glob.has_magic(name):
            found.append(name)  # a file, or a missing one that reading reports
        else:
            matches = sorted(glob.glob(name))
            if not matches:
                raise SourceError(f"{name}: no file matches this pattern")
            found.extend(matches)
    if not found:
        raise SourceError(f"{', '.join(names)}: no .xml file there")
    return found


def _status(args: argparse.Namespace) -> int:
    """Streams in every format (see ``report``); several inputs one after the other."""
    ui: Ui = args.ui
    inputs = expand_inputs(args.files)
    report = StatusReport(ui.out, args.format, paint=ui.paint, failed_only=args.failed_only, event=args.event,
                          organization_id=args.organization_id, several=len(inputs) > 1)
    worst = EXIT_OK
    for name in inputs:
        try:
            code = _status_one(args, ui, report, name)
        except UblBatchError as exc:
            if len(inputs) == 1:
                raise
            ui.error(f"{name}: {exc}" if name not in str(exc) else str(exc))
            code = EXIT_FILE
        worst = max(worst, code)
    report.finish()
    return worst


def _status_one(args: argparse.Namespace, ui: Ui, report: StatusReport, name: str) -> int:
    source: Any = sys.stdin.buffer if name == "-" else name
    shown = "<stdin>" if name == "-" else name
    report.begin(shown)
    with StatusScan(source, name=shown) as scan:
        with ui.progress("reading", shown, stdout_busy=report.live) as bar:  # gone before the report
            for count, document in enumerate(scan, 1):
                bar.update(count, scan.bytes_read)
                report.add(document)
        status = scan.summary()
        report.end(status, shown)
    for error in status.file_errors:
        ui.error(error.message)
    if status.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if _fails(args.fail_on, status) else EXIT_OK


def _fails(fail_on: str | None, status: DeliveryStatus) -> bool:
    """``--fail-on``: failed documents (``failed``), or failed and pending ones (``pending``)."""
    if fail_on is None:
        return False
    return bool(status.failed_count or (fail_on == "pending" and status.pending_count))


def _convert(args: argparse.Namespace) -> int:
    ui: Ui = args.ui
    source_format = args.source_format
    if args.to is None and source_format is None:
        suffix = Path(args.file).suffix.lower()
        source_format = suffix.lstrip(".").replace("jsonl", "ndjson") if suffix in JSON_SUFFIXES else None
    if source_format is None:
        told = Path(args.output).suffix.lower() if args.output else ""
        return _convert_to(args, ui, args.to or ("ndjson" if told in (".ndjson", ".jsonl") else "json"))
    limits = Limits(args.max_documents, args.max_bytes, args.max_document_bytes)
    source: Any = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig") if args.file == "-" else args.file
    with _google_suggested(ui, args.profile):
        report = from_json(source, args.output if args.output else sys.stdout.buffer,
                           ndjson=source_format == "ndjson", request_file_name=args.request_file_name,
                           file_status=args.status, status_description=args.description,
                           validate=not args.no_validate, on_invalid="skip" if args.skip_invalid else "raise",
                           profile=args.profile, schema_dir=args.schemas, pretty=args.pretty, limits=limits)
    return _written(ui, args.output, report)


@contextlib.contextmanager
def _google_suggested(ui: Ui, profile: str) -> Iterator[None]:
    """A document refused under strict that leaves out what Google's leave out: say ``--profile google`` exists."""
    try:
        yield
    except InvalidDocumentError as exc:
        result = exc.result
        if profile == "strict" and isinstance(result, DocumentResult) and google_shaped(result):
            ui.error(str(exc))
            ui.info(f"note: {_GOOGLE_DOCUMENT}")
            raise _Handled(EXIT_FILE) from exc
        raise


_GOOGLE_DOCUMENT = ("this document leaves out what Google's documents leave out (cbc:ID, cac:DocumentReference), "
                    "which strict UBL 2.4 refuses; to build it as Google sends it, add --profile google")


class _Handled(Exception):
    """Already said to the user: exit with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _convert_to(args: argparse.Namespace, ui: Ui, target: str) -> int:
    source: Any = sys.stdin.buffer if args.file == "-" else args.file
    if args.output and args.file != "-" and same_file(args.output, args.file):
        raise SourceError(f"{args.output}: is the input too; write the JSON elsewhere")
    output = AtomicFile(args.output) if args.output else None
    try:
        if output is None:
            report = to_json(source, ui.out, ndjson=target == "ndjson", name=_shown(args.file))
        else:
            out = io.TextIOWrapper(output.open(), encoding="utf-8", newline="\n")
            report = to_json(source, out, ndjson=target == "ndjson", name=_shown(args.file))
            out.flush()
            out.detach()  # the file is the AtomicFile's to close
            if not report.file_errors:  # a file read only in part leaves no output behind
                output.commit()
    finally:
        if output is not None:
            output.discard()
    for skipped in report.skipped:
        ui.error(f"skipped #{skipped.index} {skipped.id} (line {skipped.line}): {skipped.error.message}")
    for error in report.file_errors:
        ui.error(error.message)
    if args.output:
        ui.info(f"{args.output}: {plural(report.converted, 'document')} converted, {len(report.skipped)} skipped")
    if report.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if report.skipped else EXIT_OK


def _schemas_verify(args: argparse.Namespace) -> int:
    report = verify_schemas(args.schemas)
    if args.format == "json":
        args.ui.out.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        args.ui.out.write(f"found by: {report.found_by or '-'}\nlocation: {report.location or '-'}\n")
        for v in report.variants:
            args.ui.out.write(f"  {v.variant}/: {v.ok} of {v.checked} pinned files match, "
                             f"{len(v.mismatched)} differ, {len(v.missing)} missing\n")
            for path in v.mismatched:
                args.ui.out.write(f"    differs: {path}\n")
        args.ui.out.write(f"{report.message}\n")
    if not report.usable:
        args.ui.error(report.message)
    return EXIT_OK if report.usable else EXIT_FILE


def _schemas_install(args: argparse.Namespace) -> int:
    verified = install_schemas(args.source)
    args.ui.out.write(f"installed {len(verified.files)} verified files ({verified.variant}/) from "
                     f"{verified.location}\n")
    return EXIT_OK


def _limit_options(parser: argparse.ArgumentParser | Any, *, documents: int | None,
                   limits: Limits | None = None, per_document: bool = True) -> None:
    """``limits`` gives the byte defaults (Google's unless said otherwise); ``per_document``: the
    command writes documents it checks one by one (``split`` carries them over as they are)."""
    max_bytes = DEFAULT_MAX_BYTES if limits is None else limits.max_bytes
    max_document = DEFAULT_MAX_DOCUMENT_BYTES if limits is None else limits.max_document_bytes
    parser.add_argument("--max-documents", type=_count, default=documents, metavar="N",
                        help=f"documents per batch ('none': no limit; default {documents or 'none'})")
    parser.add_argument("--max-bytes", type=_size, default=max_bytes, metavar="SIZE",
                        help=f"bytes per batch, e.g. 50MB, 20MiB, 1000000, none (default {_shown_size(max_bytes)})")
    if per_document:
        parser.add_argument("--max-document-bytes", type=_size, default=max_document, metavar="SIZE",
                            help=f"bytes per document (default {_shown_size(max_document)})")


def _shown_size(size: int | None) -> str:
    return "none" if size is None else f"{size / 1024**2:g} MiB"


def _shown(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _whole(text: str) -> int:
    """A count that may be 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number of 0 or more: {text!r}")
    return int(text)


def _count(text: str) -> int | None:
    return None if text.lower() == "none" else _positive(text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
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
    limits = Limits(args.max_documents, args.max_bytes, args.max_document_bytes)
    writer = BatchWriter(args.output if args.output else sys.stdout.buffer,
                         request_file_name=args.request_file_name, file_status=args.status,
                         status_description=args.description, validate=not args.no_validate,
                         on_invalid="skip" if args.skip_invalid else "raise", profile=args.profile,
                         schema_dir=args.schemas, pretty=args.pretty, limits=limits)
    with _google_suggested(args.ui, args.profile), writer:
        writer.write_all(_inputs(args.inputs))
    return _written(args.ui, args.output, writer.report)


def _written(ui: Ui, output: str | None, report: WriteReport) -> int:
    for skipped in report.skipped:
        first = skipped.error
        ui.error(f"skipped #{skipped.index} {skipped.id}: {first.message if first else 'invalid'}")
    if output:
        ui.info(f"{output}: {plural(report.written, 'document')} written, {len(report.skipped)} skipped")
    return EXIT_REJECTED if report.skipped else EXIT_OK


def _inputs(paths: Sequence[str]) -> Iterator[ApplicationResponse | bytes]:
    """The documents named on the command line, one at a time."""
    if len(paths) == 1 and Path(paths[0]).suffix.lower() in JSON_SUFFIXES:
        yield from read_json(paths[0])[1]
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
        try:
            with open(args.outcomes, encoding="utf-8") as handle:
                outcomes = json.load(handle)
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{args.outcomes}: cannot read: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise SourceError(f"{args.outcomes}, line {exc.lineno}: not JSON: {exc.msg}") from exc
        if not isinstance(outcomes, dict):
            raise SourceError(f"{args.outcomes}: expected a JSON object mapping UUIDs to outcomes")
    try:
        report = respond(args.request, outcomes, args.output, sender=args.sender, receiver=args.receiver,
                         default_code=StatusReasonCode(args.default_code), with_id=not args.no_id,
                         status_description=args.status_description,
                         profile=args.profile, schema_dir=args.schemas)
    except ValueError as exc:
        args.ui.error(str(exc))
        return EXIT_FILE
    if not report.file_errors:
        args.ui.info(f"{args.output}: {plural(report.written, 'response')} written")
    for index, why in report.not_answered:
        args.ui.error(f"request #{index} not answered: {why}")
    for uuid in report.unused_outcomes:
        args.ui.error(f"outcome for {uuid} matches no request")
    for error in report.file_errors:
        args.ui.error(error.message)
    if report.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if report.not_answered or report.unused_outcomes else EXIT_OK


def _reconcile(args: argparse.Namespace) -> int:
    result = reconcile(args.request, args.responses)
    if args.format == "json":
        args.ui.out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        args.ui.out.write(result.summary() + "\n")
    for error in result.file_errors:
        args.ui.error(error.message)
    if result.file_errors:
        return EXIT_FILE
    return EXIT_OK if result.complete else EXIT_REJECTED


def _reshaped(ui: Ui, report: ReshapeReport, what: str) -> int:
    for path in report.outputs:
        ui.out.write(f"{path}\n")
    ui.info(f"{plural(report.documents, 'document')} {what} into {plural(len(report.outputs), 'file')}")
    for left in report.left_out:
        where = f"left out #{left.index} (line {left.line}): " if left.index else ""
        ui.error(f"{where}{left.reason}")
    for error in report.file_errors:
        ui.error(error.message)
    if report.file_errors:
        return EXIT_FILE
    return EXIT_REJECTED if report.left_out else EXIT_OK


def _split(args: argparse.Namespace) -> int:
    return _reshaped(args.ui, split_batch(args.file, args.output, max_documents=args.max_documents,
                                          max_bytes=args.max_bytes), "split")


def _merge(args: argparse.Namespace) -> int:
    return _reshaped(args.ui, merge_batches(args.files, args.output, allow_duplicates=args.allow_duplicates),
                     "merged")


def _extract(args: argparse.Namespace) -> int:
    return _reshaped(args.ui, extract_documents(args.file, args.output, ids=args.ids), "extracted")
