"""A function whose import takes ``INIT_SECONDS`` seconds, like a heavy framework's."""

import os
import time

time.sleep(float(os.environ["INIT_SECONDS"]))


def handler(event, context):  # type: ignore[no-untyped-def]
    return "ready"
