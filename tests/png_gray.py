"""8-bit grayscale images with the standard library only, for the page-image regression test (the test
environment has no imaging library): PGM as ``pdftoppm -gray`` writes it, PNG for the references."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Gray:
    """A grayscale image: width × height bytes, row by row (0 black, 255 white)."""

    width: int
    height: int
    pixels: bytes


def read_png(path: Path) -> Gray:
    """Decode an 8-bit grayscale, non-interlaced PNG."""
    data = Path(path).read_bytes()
    if not data.startswith(_SIGNATURE):
        raise ValueError(f"{path}: not a PNG")
    pos, idat = len(_SIGNATURE), b""
    width = height = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if (depth, color, interlace) != (8, 0, 0):
                raise ValueError(f"{path}: only 8-bit grayscale, non-interlaced PNGs are read here")
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    rows: list[bytearray] = []
    previous = bytearray(width)
    for y in range(height):
        start = y * (width + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + width])
        _unfilter(kind, line, previous)
        rows.append(line)
        previous = line
    return Gray(width, height, b"".join(rows))


def _unfilter(kind: int, line: bytearray, previous: bytearray) -> None:
    if kind == 0:
        return
    for x in range(len(line)):
        left = line[x - 1] if x else 0
        up = previous[x]
        if kind == 1:
            line[x] = (line[x] + left) & 0xFF
        elif kind == 2:
            line[x] = (line[x] + up) & 0xFF
        elif kind == 3:
            line[x] = (line[x] + (left + up) // 2) & 0xFF
        elif kind == 4:
            corner = previous[x - 1] if x else 0
            estimate = left + up - corner
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
            line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter {kind}")


def read_pgm(path: Path) -> Gray:
    """Decode a binary PGM (P5, 8 bits), as ``pdftoppm -gray`` writes it."""
    data = Path(path).read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maximum; comments start with #
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P5" or fields[3] != b"255":
        raise ValueError(f"{path}: not an 8-bit binary PGM")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height]
    return Gray(width, height, pixels)


def write_png(path: Path, image: Gray) -> None:
    """Encode an image as an 8-bit grayscale PNG (the same image gives the same bytes)."""
    rows = b"".join(b"\x00" + image.pixels[y * image.width:(y + 1) * image.width] for y in range(image.height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", image.width, image.height, 8, 0, 0, 0, 0)
    Path(path).write_bytes(_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
                           + chunk(b"IEND", b""))


def side_by_side(images: list[Gray], gap: int = 6) -> Gray:
    """Images next to each other on white, top-aligned (to look at several pages at once)."""
    height = max(i.height for i in images)
    width = sum(i.width for i in images) + gap * (len(images) - 1)
    canvas = bytearray(b"\xff" * (width * height))
    x0 = 0
    for image in images:
        for y in range(image.height):
            canvas[y * width + x0:y * width + x0 + image.width] = image.pixels[y * image.width:(y + 1) * image.width]
        x0 += image.width + gap
    return Gray(width, height, bytes(canvas))
