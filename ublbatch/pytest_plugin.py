"""The pytest plugin of ublbatch: options, the ``ublbatch_validator`` fixture, test ids, a header line.

pytest loads it from the installed package (entry point ``pytest11``), so a suite configures the
profile and the UBL 2.4 schemas once, on the command line or in its ini file, instead of in every
test::

    pytest --ublbatch-profile google --ublbatch-schemas /opt/UBL-2.4.zip

    [pytest]                      # or [tool.pytest.ini_options] in pyproject.toml
    ublbatch_profile = google
    ublbatch_schemas = vendor/UBL-2.4     # relative to the ini file

Without either, the profile is ``strict`` and the schemas are found as everywhere in ublbatch
(``UBLBATCH_UBL_DIR``, the copy bundled in the package, ``../shared/ubl-2.4`` in a checkout).
The assertions themselves live in ``ublbatch.testing``.

Because it loads in every pytest run of an environment where ublbatch is installed, it imports
nothing beyond the package at load time and never compiles a schema on its own: the header line
only names where the schemas will be read from. ``-p no:ublbatch`` switches it off.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NamedTuple

import pytest

from . import __version__
from .profiles import PROFILES

if TYPE_CHECKING:
    from .testing import Validator


class Settings(NamedTuple):
    """The suite's configuration, resolved once: option, else ini key, else the library's default."""

    profile: str
    schema_dir: str | None
    """An OASIS UBL 2.4 release (folder or zip), or None for the library's own search."""
    origin: str | None
    """Where ``schema_dir`` was set (``--ublbatch-schemas`` or the ini key), for the header line."""


SETTINGS = pytest.StashKey[Settings]()
"""Where the settings are kept on ``config.stash``."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The command-line options and ini keys that configure a suite's checks once."""
    group = parser.getgroup("ublbatch", "ublbatch (UBL 2.4 batch files)")
    group.addoption("--ublbatch-profile", dest="ublbatch_profile", choices=PROFILES, default=None,
                    help="validation profile of the ublbatch_validator fixture (default: ini ublbatch_profile, "
                         "else strict)")
    group.addoption("--ublbatch-schemas", dest="ublbatch_schemas", metavar="DIR_OR_ZIP", default=None,
                    help="the OASIS UBL 2.4 release to validate with (default: ini ublbatch_schemas, else "
                         "UBLBATCH_UBL_DIR, the bundled copy, ../shared/ubl-2.4)")
    parser.addini("ublbatch_profile", default="", help="validation profile of ublbatch_validator: strict or google")
    parser.addini("ublbatch_schemas", default="",
                  help="the OASIS UBL 2.4 release (folder or zip) for ublbatch, relative to the ini file")


def pytest_configure(config: pytest.Config) -> None:
    """Resolve the settings once; a wrong profile in the ini file stops the run with a usage error."""
    config.stash[SETTINGS] = _settings(config)


def _settings(config: pytest.Config) -> Settings:
    profile = config.getoption("ublbatch_profile", None) or str(config.getini("ublbatch_profile")) or "strict"
    if profile not in PROFILES:
        raise pytest.UsageError(f"ublbatch_profile = {profile!r} in {config.inipath}: choose one of "
                                f"{', '.join(PROFILES)}")
    option = config.getoption("ublbatch_schemas", None)
    if option:
        return Settings(profile, os.path.abspath(os.path.expanduser(option)), "--ublbatch-schemas")
    ini = str(config.getini("ublbatch_schemas"))
    if ini:
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        where = os.path.normpath(base / os.path.expanduser(ini))
        return Settings(profile, where, f"ublbatch_schemas in {config.inipath}")
    return Settings(profile, None, None)


def pytest_report_header(config: pytest.Config) -> str:
    """One line on what the fixture will use; it only looks for the folder, never reads the schemas."""
    from ._ubl_files import candidates

    settings = config.stash.get(SETTINGS, None) or _settings(config)
    found = candidates(settings.schema_dir)
    if not found:
        where = "not found (set UBLBATCH_UBL_DIR or --ublbatch-schemas)"
    else:
        origin, path = found[0]
        where = f"{path} ({settings.origin or origin})"
    return f"ublbatch {__version__}: profile {settings.profile}, UBL 2.4 schemas {where}"


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """``documents()`` cases are named by their documents' ids: ``test_document[GVR-0001]``."""
    testing = sys.modules.get("ublbatch.testing")  # not imported: the value cannot be one of its cases
    if testing is not None and isinstance(val, testing.DocumentCase):
        test_id: str = val.test_id
        return test_id
    return None


@pytest.fixture(scope="session")
def ublbatch_validator(pytestconfig: pytest.Config) -> Validator:
    """The ``ublbatch.testing`` checks bound to the suite's profile and schemas.

    ``--ublbatch-profile`` / ``--ublbatch-schemas`` or the ini keys ``ublbatch_profile`` /
    ``ublbatch_schemas`` set them once for every test, so the same tests run strict in one job and
    google in another: ``ublbatch_validator.assert_valid_batch(path)``, ``.assert_valid_document(doc)``,
    ``.document_result(doc)``, ``.validate(path)``; ``.profile`` and ``.schema_dir`` say what is used.
    """
    from .testing import Validator

    settings = pytestconfig.stash.get(SETTINGS, None) or _settings(pytestconfig)
    return Validator(settings.profile, settings.schema_dir)
