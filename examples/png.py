"""A PNG encoder small enough to read, so the examples serve real binary without Pillow.

Both example apps answer ``GET /swatch.png`` with one of these: bytes that are not UTF-8 and
must reach the client intact, which is what ``BinaryMediaTypes`` and base64 results are for.
Format: https://www.w3.org/TR/png-3/ (signature, IHDR, IDAT, IEND; 8-bit truecolour).
"""

from __future__ import annotations

import string
import struct
import zlib

__all__ = ["PNG_SIGNATURE", "parse_hex_color", "solid_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TRUECOLOUR = 2
MAX_SIDE = 512


def _chunk(kind: bytes, data: bytes) -> bytes:
    # Each chunk: length, type, data, CRC-32 over type and data.
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A ``width`` x ``height`` image of one color."""
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"sides must be 1..{MAX_SIDE} pixels, got {width}x{height}")
    header = struct.pack(">IIBBBBB", width, height, 8, _TRUECOLOUR, 0, 0, 0)
    # Every scanline starts with filter type 0 (none).
    scanline = b"\x00" + bytes(rgb) * width
    pixels = zlib.compress(scanline * height, 9)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def parse_hex_color(text: str) -> tuple[int, int, int]:
    """``"ff8800"`` or ``"#ff8800"`` as an RGB triple; ``ValueError`` for anything else."""
    digits = text.removeprefix("#")
    if len(digits) != 6 or not all(c in string.hexdigits for c in digits):
        raise ValueError(f"expected six hex digits, got {text!r}")
    value = int(digits, 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF
