#!/usr/bin/env python3
"""Checks that screenshots are real pictures of the window: each PNG must decode, be at least 640 x 400
and hold at least 64 distinct colours (a blank or unpainted window has a handful; text, icons and
charts give hundreds). Standard library only (zlib), so it runs where no imaging package is installed.

    python3 packaging/pngcheck.py SHOT.png [SHOT.png ...]
"""
import struct
import sys
import zlib

MIN_WIDTH, MIN_HEIGHT, MIN_COLOURS = 640, 400, 64
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit, no palette)


def decode(path):
    """Returns (width, height, bytes per pixel, list of unfiltered rows)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated chunk")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise ValueError("no image header or data")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = CHANNELS[colour]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise ValueError("image data does not match the size")
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                row[i] = (row[i] + a) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + b) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            elif kind != 0:
                raise ValueError(f"bad filter type {kind}")
        rows.append(bytes(row))
        previous = row
    return width, height, bpp, rows


def main(paths):
    ok = True
    for path in paths:
        try:
            width, height, bpp, rows = decode(path)
        except (OSError, ValueError, zlib.error) as e:
            print(f"{path}: {e}")
            ok = False
            continue
        colours = set()
        for row in rows:
            colours.update(row[i:i + bpp] for i in range(0, len(row), bpp))
        verdict = width >= MIN_WIDTH and height >= MIN_HEIGHT and len(colours) >= MIN_COLOURS
        print(f"{path}: {width} x {height}, {len(colours)} distinct colours: {'ok' if verdict else 'BLANK or too small'}")
        ok = ok and verdict
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
