"""``python -m lambgate`` is the ``lambgate`` command (its code is :mod:`lambgate.local.cli`)."""

from __future__ import annotations

import sys

from lambgate.local.cli import main

sys.exit(main())
