"""``python -m lambgate.streaming``: the streaming runtime, as the wrapper script starts it."""

from __future__ import annotations

import sys

from .runtime import main

sys.exit(main())
