"""Build hook: bundle a verified copy of the OASIS UBL 2.4 schemas into the wheel.

The OASIS files never enter git or the sdist (see MANIFEST.in). A wheel build takes them from:

1. ``UBLBATCH_UBL_DIR``: an *absolute* path to the release folder (the one that holds ``xsd/``
   and/or ``xsdrt/``) or to the official ``UBL-2.4.zip``. ``python -m build`` builds the wheel
   from the unpacked sdist in a temporary folder, so a relative path could not be resolved there
   and is refused;
2. in a checkout only (never in an unpacked sdist), ``../shared/ubl-2.4`` beside it.

The files are verified against ``schemas/ubl-2.4.sha256`` with ublbatch's own code before they are
copied. With no source the build fails and says how to give one; ``UBLBATCH_UBL_DIR=none`` builds
a wheel without them on purpose (its users run ``ublbatch schemas install --from DIR_OR_ZIP``).
Editable installs bundle nothing: they read ``../shared`` or ``UBLBATCH_UBL_DIR`` at run time.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import types
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

HERE = Path(__file__).resolve().parent
ENV_VAR = "UBLBATCH_UBL_DIR"
OPT_OUT = "none"
RELEASE_HELP = (
    "the official OASIS UBL 2.4 release, os-UBL-2.4 (https://docs.oasis-open.org/ubl/os-UBL-2.4/): "
    "the folder that holds xsd/ and/or xsdrt/, or the archive UBL-2.4.zip itself"
)


def _say(message: str) -> None:
    print(f"ublbatch build: {message}", file=sys.stderr)


def _refuse(problem: str) -> SetupError:
    return SetupError(
        f"ublbatch build: {problem}\n"
        f"  The wheel bundles the OASIS UBL 2.4 schemas, verified against schemas/ubl-2.4.sha256. Set {ENV_VAR} "
        f"to the ABSOLUTE path of {RELEASE_HELP}, e.g.\n"
        f"    {ENV_VAR}=/abs/path/os-UBL-2.4 python -m build      (or: ... python -m pip install ...)\n"
        f"  or build a wheel without them on purpose with {ENV_VAR}={OPT_OUT} (its users then run "
        "'ublbatch schemas install --from DIR_OR_ZIP' once)."
    )


def schema_source() -> Path | None:
    """The release to bundle, ``None`` for the documented opt-out, or a SetupError that says what to do."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() == OPT_OUT:
        return None
    if value:
        path = Path(value).expanduser()
        if not path.is_absolute():
            hint = ""
            shell_dir = os.environ.get("PWD")
            if shell_dir and (Path(shell_dir) / path).exists():
                hint = f" (from your shell's folder that is {ENV_VAR}={(Path(shell_dir) / path).resolve()})"
            raise _refuse(
                f"{ENV_VAR}={value!r} is a relative path. The wheel may be built in a temporary folder "
                f"(python -m build unpacks the sdist there), where it cannot be resolved reliably; "
                f"give an absolute path{hint}."
            )
        if not path.exists():
            raise _refuse(f"{ENV_VAR}={value!r}: no such folder or zip.")
        return path
    if not (HERE / "PKG-INFO").is_file():  # a checkout; an unpacked sdist has PKG-INFO at its root
        beside = HERE.parent / "shared" / "ubl-2.4"
        if beside.is_dir():
            return beside
        raise _refuse(f"{ENV_VAR} is not set and this checkout has no {beside} beside it.")
    raise _refuse(f"{ENV_VAR} is not set, and the sdist holds no OASIS file (by design).")


def _ubl_files() -> types.ModuleType:
    """ublbatch's own ``_ubl_files`` (and ``errors``), loaded without the package's ``__init__``.

    Only the standard library and attrs are needed then, not lxml; the private package name keeps
    an installed ublbatch out of the way.
    """
    package = types.ModuleType("_ublbatch_build")
    package.__path__ = [str(HERE / "ublbatch")]
    sys.modules[package.__name__] = package
    return importlib.import_module(f"{package.__name__}._ubl_files")


class BuildWithSchemas(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            _say("editable install: nothing bundled; the schemas are read at run time "
                 f"({ENV_VAR}, else ../shared/ubl-2.4, else 'ublbatch schemas install').")
            return
        source = schema_source()  # first: a refused build should copy nothing
        data = Path(self.build_lib) / "ublbatch" / "_data"
        data.mkdir(parents=True, exist_ok=True)
        for own in sorted((HERE / "schemas").glob("*")):
            if own.is_file():
                shutil.copy2(own, data / own.name)
        if source is None:
            _say(f"{ENV_VAR}={OPT_OUT}: the wheel does NOT bundle the OASIS UBL 2.4 schemas; its users run "
                 f"'ublbatch schemas install --from DIR_OR_ZIP' (or set {ENV_VAR}) before validating.")
            return
        files = _ubl_files()
        pins = files.project_file("ubl-2.4.sha256")
        if pins != HERE / "schemas" / "ubl-2.4.sha256":
            raise SetupError(f"ublbatch build: the pinned sums would be read from {pins}, not from schemas/; "
                             "remove that stray copy")
        try:
            verified = files.install(files.Release.open(source), data / "ubl-2.4")
        except (files.SchemaNotFoundError, files.SchemaIntegrityError) as exc:
            raise _refuse(str(exc)) from exc
        _say(f"bundled {len(verified.files)} verified files ({verified.variant}/) from {verified.location}")


setup(cmdclass={"build_py": BuildWithSchemas})
