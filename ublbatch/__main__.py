"""``python -m ublbatch``: the same as the ``ublbatch`` command."""

import sys

from .cli import main

sys.exit(main())
