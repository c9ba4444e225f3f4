"""HTTP reason phrases, for the results whose format carries one (``statusDescription``).

ALB and VPC Lattice want ``"200 OK"``; CloudFront wants the phrase alone. ``http.HTTPStatus``
builds an enum on import (cold start), so it is imported at the first status code met, and
each phrase is remembered.
"""

from __future__ import annotations

__all__ = ["reason_phrase"]

# Built on first use, one entry per status code answered (at most 900).
_PHRASES: dict[int, str] = {}


def reason_phrase(status: int) -> str:
    """``"OK"`` for 200; ``"Unknown"`` for a code HTTP names no phrase for."""
    phrase = _PHRASES.get(status)
    if phrase is None:
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        _PHRASES[status] = phrase
    return phrase
