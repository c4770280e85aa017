"""Writes decompression bombs for bench/memory.sh: small files that decode to W x H pixels.
   python3 bench/bombs.py OUT_DIR [W H]  ->  OUT_DIR/bomb.png (RGBA) and OUT_DIR/bomb.tif (RGB, Deflate)"""
import struct
import sys
import zlib

out = sys.argv[1]
w, h = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (10000, 10000)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# PNG: 8-bit RGBA, one flat colour (the most compressible content), streamed through zlib.
z = zlib.compressobj(9)
row = b"\0" + bytes([200, 120, 40, 255]) * w
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
with open(f"{out}/bomb.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)))
    f.write(chunk(b"IDAT", idat))
    f.write(chunk(b"IEND", b""))

# TIFF: 8-bit RGB, 16 rows per strip as Shikaku writes them, each strip Deflate-compressed.
rows = 16
strips = (h + rows - 1) // rows
full = zlib.compress(bytes([200, 120, 40]) * (w * rows), 9)
last_rows = h - (strips - 1) * rows
last = full if last_rows == rows else zlib.compress(bytes([200, 120, 40]) * (w * last_rows), 9)
data = [full] * (strips - 1) + [last]
offset = 8
offsets = []
for d in data:
    offsets.append(offset)
    offset += len(d)
bps_at = offset
offsets_at = bps_at + 6
counts_at = offsets_at + 4 * strips
ifd_at = counts_at + 4 * strips
tags = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 3, bps_at), (259, 3, 1, 8), (262, 3, 1, 2),
        (273, 4, strips, offsets_at), (277, 3, 1, 3), (278, 4, 1, rows), (279, 4, strips, counts_at), (284, 3, 1, 1)]
with open(f"{out}/bomb.tif", "wb") as f:
    f.write(b"II*\0" + struct.pack("<I", ifd_at))
    for d in data:
        f.write(d)
    f.write(struct.pack("<3H", 8, 8, 8))
    f.write(struct.pack(f"<{strips}I", *offsets))
    f.write(struct.pack(f"<{strips}I", *[len(d) for d in data]))
    f.write(struct.pack("<H", len(tags)))
    for tag, kind, count, value in tags:
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 and count == 1 else struct.pack("<I", value)
        f.write(struct.pack("<HHI", tag, kind, count) + packed)
    f.write(struct.pack("<I", 0))
