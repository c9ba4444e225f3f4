"""A function whose module fails to import, as a missing dependency does in Lambda."""

import not_a_module_anyone_installed  # noqa: F401


def handler(event, context):  # type: ignore[no-untyped-def]
    return "unreachable"
