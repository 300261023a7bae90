"""Build hook: bundle a verified copy of the OASIS UBL 2.4 schemas into the wheel.

The OASIS files never enter git or the sdist. At build time they come from ``UBLBATCH_UBL_DIR``
(a release folder or the official zip) or, in a checkout, from ``../shared/ubl-2.4``; they are
verified against ``schemas/ubl-2.4.sha256`` with ublbatch's own code before they are copied.
Without a source the wheel is built without them and says so (``ublbatch schemas install``
adds them later).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithSchemas(build_py):
    def run(self) -> None:
        super().run()
        data = Path(self.build_lib) / "ublbatch" / "_data"
        data.mkdir(parents=True, exist_ok=True)
        for own in sorted((HERE / "schemas").glob("*")):
            if own.is_file():
                shutil.copy2(own, data / own.name)
        sys.path.insert(0, str(HERE))
        try:
            from ublbatch import _ubl_files
        finally:
            sys.path.pop(0)
        source = os.environ.get(_ubl_files.ENV_VAR) or str(HERE.parent / "shared" / "ubl-2.4")
        if not Path(source).exists():
            print(f"ublbatch build: no OASIS UBL 2.4 release at {source}; the wheel will not bundle the "
                  f"schemas. Set {_ubl_files.ENV_VAR} to the release folder or zip.", file=sys.stderr)
            return
        verified = _ubl_files.install(_ubl_files.Release.open(source), data / "ubl-2.4")
        print(f"ublbatch build: bundled {len(verified.files)} verified files ({verified.variant}/) "
              f"from {verified.location}", file=sys.stderr)


setup(cmdclass={"build_py": BuildWithSchemas})
