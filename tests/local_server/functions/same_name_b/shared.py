"""Module ``shared`` of function B: function A has a module of the same name."""

WHO = "B"


def handler(event, context):  # type: ignore[no-untyped-def]
    import sys

    return {"who": WHO, "file": sys.modules["shared"].__file__}
