"""``python -m lambgate`` is the ``lambgate`` command (its code is
:mod:`lambgate.local.cli.main`)."""

from __future__ import annotations

import sys

from lambgate.local.cli.main import main

sys.exit(main())
