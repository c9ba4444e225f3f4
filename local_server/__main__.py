"""``python -m local_server`` is the ``lambgate`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
