"""A ``curl`` command that sends a recorded request again, as the developer's shell would."""

from __future__ import annotations

import shlex

from lambgate.model import Request

from .redaction import Redactor

__all__ = ["curl_command"]

#: Headers curl writes itself from the URL and the body.
_CURL_OWN = frozenset({"host", "content-length", "connection", "transfer-encoding"})


def curl_command(request: Request, redactor: Redactor, *, cut: bool = False) -> str:
    """The command; a body that is not UTF-8 text, or was cut, is read from ``body.bin``
    (downloadable from the page)."""
    host = request.header("host")
    if host is None and request.server is not None:
        host = f"{request.server[0]}:{request.server[1]}"
    query = "?" + request.query_string if request.query_string else ""
    url = f"{request.scheme}://{host or '127.0.0.1'}{request.raw_path}{query}"
    parts = ["curl", "-X", request.method, shlex.quote(redactor.text(url))]
    for name, value in redactor.headers(request.headers):
        if name.lower() not in _CURL_OWN:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.body:
        try:
            text = None if cut else request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        parts += ["--data-binary", "@body.bin" if text is None else shlex.quote(text)]
    return " ".join(parts)
