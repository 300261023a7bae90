"""Locate, verify, compile and cache the schemas; the validation profiles.

Each compiled schema is built once per process and thread: libxml2 can break when one schema is
compiled in two threads at once (so compiling is serialised), and one compiled schema shared
between threads mixes up their error logs (so each thread gets its own copy).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

import attrs
from lxml import etree

from . import _ubl_files
from ._parsing import safe_parser
from ._ubl_files import Release, VerifiedFiles
from .contentmodel import ContentModel
from .errors import SchemaError
from .names import AR, CN, INV
from .profiles import PROFILES, derived_files

DOCUMENT_KINDS = {
    "ApplicationResponse": AR,
    "Invoice": INV,
    "CreditNote": CN,
}

_URL_BASE = "ublbatch-schemas:///"
_compile_lock = threading.Lock()
_shared: dict[object, object] = {}
_per_thread = threading.local()


@attrs.frozen
class DocumentSchema:
    """A compiled document schema and what explains its verdicts."""

    kind: str
    profile: str
    files: VerifiedFiles
    xsd: etree.XMLSchema = attrs.field(repr=False, eq=False)
    model: ContentModel = attrs.field(repr=False, eq=False)

    @property
    def root_tag(self) -> str:
        """The document's root element in Clark notation (``{...ApplicationResponse-2}ApplicationResponse``)."""
        return f"{{{DOCUMENT_KINDS[self.kind]}}}{self.kind}"


def check_profile(profile: str) -> str:
    """``profile`` itself when it is one of ``PROFILES``; a ``ValueError`` naming the choices otherwise."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    return profile


def verified_files(schema_dir: str | os.PathLike[str] | None = None) -> VerifiedFiles:
    """The verified UBL 2.4 files from the first place that has them, read once per process."""
    release = _ubl_files.locate(schema_dir)
    key = ("files", str(Path(release.location).resolve()))
    with _compile_lock:
        found = _shared.get(key)
        if found is None:
            found = _shared[key] = _ubl_files.load_verified(release)
    assert isinstance(found, VerifiedFiles)
    return found


def document_schema(
    kind: str = "ApplicationResponse",
    profile: str = "strict",
    schema_dir: str | os.PathLike[str] | None = None,
) -> DocumentSchema:
    """The compiled schema of one UBL document type under one profile, for the calling thread."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    check_profile(profile)
    files = verified_files(schema_dir)
    key = (files.location, files.sha256, kind, profile)
    cache: dict[object, DocumentSchema] = _per_thread.__dict__.setdefault("schemas", {})
    schema = cache.get(key)
    if schema is None:
        main = f"{files.variant}/maindoc/UBL-{kind}-2.4.xsd"
        model_key = ("model", *key)
        with _compile_lock:
            sources = {**files.files, **derived_files(profile, files.variant, files.files)}
            model = _shared.get(model_key)
            if model is None:
                common = f"{files.variant}/common/"
                model = _shared[model_key] = ContentModel.from_schemas(
                    [sources[main]] + [sources[common + name] for name in (
                        "UBL-CommonAggregateComponents-2.4.xsd", "UBL-CommonExtensionComponents-2.4.xsd")])
            xsd = _compile(files.location, sources, main)
        assert isinstance(model, ContentModel)
        schema = cache[key] = DocumentSchema(kind, profile, files, xsd, model)
    return schema


ENVELOPES = {"response": "ApplicationResponseBatch.xsd", "request": "RequestBatch.xsd"}


def envelope_schema(kind: str = "response") -> etree.XMLSchema:
    """Our own envelope schema of a ``response`` or ``request`` batch (documents are checked separately)."""
    cache: dict[object, etree.XMLSchema] = _per_thread.__dict__.setdefault("envelopes", {})
    if kind not in cache:
        path = _ubl_files.project_file(ENVELOPES[kind])
        parser = safe_parser()
        with _compile_lock:
            cache[kind] = etree.XMLSchema(etree.parse(str(path), parser))
    return cache[kind]


class _VerifiedResolver(etree.Resolver):  # type: ignore[misc]  # lxml is untyped
    """Serves schema imports from the verified bytes only; anything else is refused."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        super().__init__()
        self._files = files

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> object:
        name = (system_url or "")[len(_URL_BASE) :] if (system_url or "").startswith(_URL_BASE) else None
        data = self._files.get(name) if name else None
        if data is None:
            raise SchemaError(f"schema import outside the verified UBL 2.4 files refused: {system_url}")
        return self.resolve_string(data, context, base_url=system_url)


_COMPILE_ATTEMPTS = 3


def _compile(location: str, files: Mapping[str, bytes], main: str) -> etree.XMLSchema:
    """Compile ``main`` with its imports served from ``files``.

    While one thread compiles, a parse running in another thread can, rarely, leave libxml2 loading
    an import without our resolver (seen about once in 30 runs of eight threads). Such a load can
    only fail, as nothing else knows the ``ublbatch-schemas:`` addresses; libxml2 then either fails
    the compile or skips the import with a warning and compiles a schema that lacks it (only the
    lax wildcards of the extension content would notice). The verified files compile without a
    single message, so any message means a bad attempt: it is compiled again.
    """
    problem = ""
    for _ in range(_COMPILE_ATTEMPTS):
        parser = safe_parser()
        parser.resolvers.add(_VerifiedResolver(files))
        try:
            doc = etree.fromstring(files[main], parser, base_url=_URL_BASE + main)
            schema = etree.XMLSchema(doc)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            problem = str(exc)
            continue
        if not len(schema.error_log):
            return schema
        problem = str(schema.error_log.last_error)
    raise SchemaError(f"{location}/{main}: the schema does not compile: {problem}")


def schema_info(files: VerifiedFiles) -> dict[str, str]:
    """How results name the schema set they were checked against."""
    return {"name": "OASIS UBL 2.4", "variant": files.variant, "sha256": files.sha256,
            "location": files.location}




@attrs.frozen
class VariantReport:
    """How one variant folder of a release compares with the pinned sums."""

    variant: str
    checked: int
    ok: int
    mismatched: tuple[str, ...]
    missing: tuple[str, ...]


@attrs.frozen
class SchemaReport:
    """What ``ublbatch schemas verify`` found."""

    found_by: str | None
    location: str | None
    variants: tuple[VariantReport, ...]
    usable: bool
    message: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, for ``ublbatch schemas verify --format json``."""
        return attrs.asdict(self)


def verify_schemas(schema_dir: str | os.PathLike[str] | None = None) -> SchemaReport:
    """Check the release ublbatch would use against the pinned sums, file by file."""
    found = _ubl_files.candidates(schema_dir)
    if not found:
        return SchemaReport(None, None, (), False, f"No UBL 2.4 schemas found. {_ubl_files.GUIDANCE}")
    how, where = found[0]
    reports: list[VariantReport] = []
    try:
        release = Release.open(where)
        pins = _ubl_files.pinned_sums()
        for variant in _ubl_files.VARIANTS:
            files = release.read_all(variant)
            if not files:
                continue
            checks = _ubl_files.check_variant(files, variant, pins)
            reports.append(VariantReport(
                variant, len(checks), sum(c.status == "ok" for c in checks),
                tuple(c.path for c in checks if c.status == "mismatch"),
                tuple(c.path for c in checks if c.status == "missing")))
        verified = _ubl_files.load_verified(release, pins)
    except SchemaError as exc:
        return SchemaReport(how, str(where), tuple(reports), False, str(exc))
    return SchemaReport(how, str(where), tuple(reports), True,
                        f"usable: {verified.variant}/ verified ({len(verified.files)} files, "
                        f"set sha256 {verified.sha256[:16]})")


def install_schemas(source: str | os.PathLike[str], target: str | os.PathLike[str] | None = None) -> VerifiedFiles:
    """Copy a verified release into the package's data folder, for offline use from then on."""
    return _ubl_files.install(Release.open(source), Path(target) if target is not None else None)
