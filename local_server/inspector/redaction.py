"""What the inspector never shows: AWS credentials, and the variables the user names.

A name (``--inspect-redact NAME``) is masked wherever the page would show it as a key: a
header, a JSON member of an event or a result, an environment variable. Its value, wherever
else it turns up (a log line, a body, an echoed header), is masked too: the values are read
from this process's environment and from each function's variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ALWAYS_REDACTED", "MASK", "Redactor"]

#: The credentials the emulator hands its workers (``runtime_variables``).
ALWAYS_REDACTED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)
MASK = "********"
#: A value shorter than this is not hunted for in free text: masking every "1" or "true"
#: would hide more than it protects.
MIN_SECRET_LENGTH = 4


class Redactor:
    """Masks secret names and their values in what the page shows."""

    def __init__(
        self,
        names: Iterable[str] = (),
        *,
        variables: Iterable[Mapping[str, str]] = (),
    ) -> None:
        self.names = frozenset(name.lower() for name in (*ALWAYS_REDACTED, *names))
        values = {
            value
            for source in (os.environ, *variables)
            for name, value in source.items()
            if name.lower() in self.names and len(value) >= MIN_SECRET_LENGTH
        }
        # Longest first, so a secret that contains another is masked whole.
        self.values = sorted(values, key=len, reverse=True)

    def for_headers(self, headers: Iterable[tuple[str, str]]) -> Redactor:
        """This redactor, also masking the values a request sent under secret names (a key
        in ``X-Api-Key`` is hidden where an echoing function put it too)."""
        found = [
            value
            for name, value in headers
            if self.secret(name) and len(value) >= MIN_SECRET_LENGTH and value not in self.values
        ]
        if not found:
            return self
        wider = Redactor.__new__(Redactor)
        wider.names = self.names
        wider.values = sorted([*self.values, *found], key=len, reverse=True)
        return wider

    def secret(self, name: str) -> bool:
        return name.lower() in self.names

    def text(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def json(self, document: Any) -> Any:
        """``document`` with every member named secret masked, and secret values in strings."""
        if isinstance(document, dict):
            return {
                key: MASK if self.secret(str(key)) else self.json(value)
                for key, value in document.items()
            }
        if isinstance(document, list):
            return [self.json(item) for item in document]
        if isinstance(document, str):
            return self.text(document)
        return document

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, MASK if self.secret(name) else self.text(value)) for name, value in headers]

    def variables(self, variables: Mapping[str, str]) -> dict[str, str]:
        return {name: MASK if self.secret(name) else value for name, value in variables.items()}
