"""What each validation profile means: the schema it derives and the rules it adds.

``strict``: the official OASIS UBL 2.4 schemas, unchanged, and nothing else.

``google``: what Google's interface actually sends. Its schema is derived from the official one in
memory, at load time, by relaxing exactly the two documented deviations (``cbc:ID`` in
ApplicationResponse and ``cac:DocumentReference`` in DocumentResponse become optional); each
deviation is still reported as a warning. Google's own rules are added as errors.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from ._parsing import safe_parser
from .codes import ErrorCode, StatusReasonCode
from .errors import SchemaError
from .names import CAC, CBC_ID, CBC_UUID, DOCUMENT_RESPONSE, STATUS_REASON_CODE
from .results import DocumentResult, Issue

PROFILES = ("strict", "google")

PROFILE_ENV_VAR = "UBLBATCH_PROFILE"
"""The environment variable that sets the command line's default profile."""


class ProfileChoice(NamedTuple):
    """The profile the command line uses when ``--profile`` is not given, and what set it."""

    name: str
    source: str
    """``default``, ``UBLBATCH_PROFILE`` or the path of the ``pyproject.toml`` that set it."""


def default_profile(cwd: str | os.PathLike[str] | None = None,
                    environ: Mapping[str, str] | None = None) -> ProfileChoice:
    """The default profile of the command line: ``UBLBATCH_PROFILE`` if set, else ``profile`` in
    ``[tool.ublbatch]`` of the nearest ``pyproject.toml`` in ``cwd`` (default: the current folder) or
    its parents, else ``strict``. Only the nearest ``pyproject.toml`` is read, as for other tools.
    A value that names no profile is a ``ValueError`` saying where it came from."""
    environ = os.environ if environ is None else environ
    named = environ.get(PROFILE_ENV_VAR, "").strip()
    if named:
        return ProfileChoice(_known(named, PROFILE_ENV_VAR), PROFILE_ENV_VAR)
    start = Path(cwd if cwd is not None else Path.cwd()).resolve()
    for folder in (start, *start.parents):
        config = folder / "pyproject.toml"
        if config.is_file():
            found = _pyproject_profile(config)
            return ProfileChoice("strict", "default") if found is None else \
                ProfileChoice(_known(found, f"{config} [tool.ublbatch] profile"), str(config))
    return ProfileChoice("strict", "default")


def _known(name: str, where: str) -> str:
    if name not in PROFILES:
        raise ValueError(f"{where}: unknown profile {name!r} (one of: {', '.join(PROFILES)})")
    return name


def _pyproject_profile(path: Path) -> str | None:
    """``[tool.ublbatch] profile`` of a pyproject.toml, or None."""
    text = path.read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not TOML: {exc}") from None
        table = data.get("tool", {}).get("ublbatch", {})
        found = table.get("profile") if isinstance(table, dict) else None
        if found is not None and not isinstance(found, str):
            raise ValueError(f"{path}: [tool.ublbatch] profile must be a string")
        return found
    return _table_value(text.splitlines(), "tool.ublbatch", "profile")  # no tomllib: the one key, by hand


def _table_value(lines: Iterable[str], table: str, key: str) -> str | None:
    current = None
    for line in lines:
        stripped = line.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([\w.\-\s]+?)\s*\]", stripped)
        if header:
            current = header.group(1).replace(" ", "")
            continue
        pair = re.fullmatch(rf"{key}\s*=\s*[\"']([^\"']*)[\"']", stripped)
        if current == table and pair:
            return pair.group(1)
    return None


GOOGLE_OMITS = ("/ar:ApplicationResponse/cbc:ID", "/cac:DocumentReference")
"""Where Google's documents differ from UBL 2.4 (the ends of the paths of the ``google`` profile's warnings)."""


def google_shaped(result: DocumentResult) -> bool:
    """True when a document rejected under ``strict`` lacks what Google's documents leave out
    (``cbc:ID``, ``cac:DocumentReference``): the ``google`` profile may be the one meant."""
    return any(i.rule == "xsd:missing-element" and (i.path or "").endswith(GOOGLE_OMITS) for i in result.errors)


GOOGLE_HINT = ("every document was rejected under the strict profile, and they leave out what Google's documents "
               "leave out (cbc:ID, cac:DocumentReference): for Google's files use --profile google "
               f"(or {PROFILE_ENV_VAR}=google, or profile = \"google\" under [tool.ublbatch] in pyproject.toml)")
"""The note the command line prints once when ``google_shaped`` holds for a whole strict batch."""

_XSD = "http://www.w3.org/2001/XMLSchema"


class Relaxation(NamedTuple):
    """One particle made optional: in ``file``, type ``type_name``, the element ``ref``."""

    file: str
    type_name: str
    ref: str


RELAXATIONS: dict[str, tuple[Relaxation, ...]] = {
    "strict": (),
    "google": (
        Relaxation("maindoc/UBL-ApplicationResponse-2.4.xsd", "ApplicationResponseType", "cbc:ID"),
        Relaxation("common/UBL-CommonAggregateComponents-2.4.xsd", "DocumentResponseType", "cac:DocumentReference"),
    ),
}


def derived_files(profile: str, variant: str, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The schema files a profile changes, derived from the verified official bytes (never on disk)."""
    changed: dict[str, bytes] = {}
    for relaxation in RELAXATIONS[profile]:
        name = f"{variant}/{relaxation.file}"
        root = etree.fromstring(changed.get(name, files[name]),
                                safe_parser())
        found = root.xpath(
            "xsd:complexType[@name=$t]/xsd:sequence/xsd:element[@ref=$r]",
            namespaces={"xsd": _XSD}, t=relaxation.type_name, r=relaxation.ref)
        if len(found) != 1:
            raise SchemaError(f"{name}: {relaxation.type_name}/{relaxation.ref} not found; the google profile "
                              "expects the official UBL 2.4 schema")
        found[0].set("minOccurs", "0")
        changed[name] = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return changed


# -- rules --------------------------------------------------------------------------------------

_DOCUMENT_REFERENCE = f"{{{CAC}}}DocumentReference"
_STATUS = f"{{{CAC}}}Response/{{{CAC}}}Status"
_KNOWN = ", ".join(c.value for c in StatusReasonCode)


def _issue(rule: str, message: str, element: etree._Element, path: str, *, level: str = "error") -> Issue:
    return Issue(ErrorCode.VALIDATION_ERROR.value, message, level=level, rule=rule, line=element.sourceline,
                 path=path, engine="ublbatch")


def response_rules(profile: str, element: etree._Element) -> list[Issue]:
    """The profile's own checks of one ApplicationResponse (the schema has already run)."""
    if profile != "google":
        return []
    root = "/ar:ApplicationResponse"
    issues = []
    if element.find(CBC_ID) is None:
        issues.append(_issue("google:no-id", "Missing element: cbc:ID (a documented Google deviation from UBL 2.4)",
                             element, f"{root}/cbc:ID", level="warning"))
    uuid = element.find(CBC_UUID)
    if uuid is None or not (uuid.text or "").strip():
        issues.append(_issue("google:uuid-required", "Missing required element: cbc:UUID (the Google Vendor Request "
                             "ID this response answers)", element, f"{root}/cbc:UUID"))
    responses = element.findall(DOCUMENT_RESPONSE)
    with_status = False
    for i, response in enumerate(responses, 1):
        where = f"{root}/cac:DocumentResponse" + (f"[{i}]" if len(responses) > 1 else "")
        if response.find(_DOCUMENT_REFERENCE) is None:
            issues.append(_issue("google:no-document-reference", "Missing element: cac:DocumentReference (a "
                                 "documented Google deviation from UBL 2.4)", response,
                                 f"{where}/cac:DocumentReference", level="warning"))
        statuses = response.findall(_STATUS)
        for j, status in enumerate(statuses, 1):
            code = status.find(STATUS_REASON_CODE)
            if code is None:
                continue
            with_status = True
            value = (code.text or "").strip()
            if value not in StatusReasonCode.__members__:
                step = f"[{j}]" if len(statuses) > 1 else ""
                issues.append(_issue("google:reason-code", f"Invalid value '{value}' for cbc:StatusReasonCode: "
                                     f"Google's codes are {_KNOWN}", code,
                                     f"{where}/cac:Response/cac:Status{step}/cbc:StatusReasonCode"))
    if not with_status:
        issues.append(_issue("google:status-required", "Missing required element: cac:DocumentResponse with a "
                             "cac:Status and its cbc:StatusReasonCode", element, f"{root}/cac:DocumentResponse"))
    return issues


def request_rules(profile: str, element: etree._Element, root_name: str) -> list[Issue]:
    """The profile's own checks of one Invoice or CreditNote in a request batch."""
    if profile != "google":
        return []
    uuid = element.find(CBC_UUID)
    if uuid is None or not (uuid.text or "").strip():
        return [_issue("google:uuid-required", "Missing required element: cbc:UUID (the Google Vendor Request ID)",
                       element, f"/{root_name}/cbc:UUID")]
    return []


def file_rules(profile: str, file_status: str | None, documents: int, line: int | None) -> list[Issue]:
    """The profile's checks of a whole response batch, once it has been read."""
    if profile == "google" and file_status == "E" and documents:
        return [Issue(ErrorCode.INVALID_ENVELOPE.value,
                      f"A batch with file status E (file processing error) carries no documents; this one has "
                      f"{documents}", rule="google:error-file-documents", line=line, engine="ublbatch")]
    return []
