"""Draw the Fairfinder toolbar icons (a rounded green square with a white "F") as PNG files.

Standard library only. Run from anywhere:  python3 extension/tools/make_icons.py
Writes extension/icons/16.png, 48.png and 128.png (RGBA, anti-aliased by 4x4 supersampling).
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "icons"
SIZES = (16, 48, 128)
GREEN = (22, 128, 61)      # #16803d: white text on it has a contrast ratio above 4.5:1
WHITE = (255, 255, 255)
SUPERSAMPLE = 4


def inside_rounded_square(x: float, y: float, radius: float) -> bool:
    """(x, y) in unit coordinates 0..1; a square with rounded corners filling the whole icon."""
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def inside_letter_f(x: float, y: float) -> bool:
    """A bold sans-serif "F" in unit coordinates (y grows downwards)."""
    stem = 0.30 <= x <= 0.47 and 0.20 <= y <= 0.80
    top_bar = 0.30 <= x <= 0.74 and 0.20 <= y <= 0.36
    middle_bar = 0.30 <= x <= 0.66 and 0.44 <= y <= 0.58
    return stem or top_bar or middle_bar


def pixels(size: int) -> list[bytes]:
    rows = []
    n = SUPERSAMPLE
    for py in range(size):
        row = bytearray()
        for px in range(size):
            green = white = 0
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) / size
                    y = (py + (sy + 0.5) / n) / size
                    if inside_rounded_square(x, y, 0.22):
                        if inside_letter_f(x, y):
                            white += 1
                        else:
                            green += 1
            covered = green + white
            if covered == 0:
                row += bytes((0, 0, 0, 0))
                continue
            color = [round((g * green + w * white) / covered) for g, w in zip(GREEN, WHITE)]
            row += bytes((*color, round(255 * covered / (n * n))))
        rows.append(bytes(row))
    return rows


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in pixels(size))  # filter type 0 (None) on every scanline
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    for size in SIZES:
        path = ICONS / f"{size}.png"
        path.write_bytes(png(size))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
