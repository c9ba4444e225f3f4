"""Module ``shared`` of function A: function B has a module of the same name."""

WHO = "A"


def handler(event, context):  # type: ignore[no-untyped-def]
    import sys

    return {"who": WHO, "file": sys.modules["shared"].__file__}
