# Regenerate: python3 icons/make-source.py && npx tauri icon icons/source.png -o icons (then drop the android/ios/Square* outputs)
# Draws the ChatterBox icon: a blue rounded speech bubble with three dots, 1024x1024 RGBA.
import struct, zlib
N = 1024
def inside(x, y):
    # rounded rectangle 96..928 x 128..736, radius 160
    l, t, r, b, rad = 96, 128, 928, 736, 160
    if l <= x <= r and t <= y <= b:
        cx = min(max(x, l + rad), r - rad); cy = min(max(y, t + rad), b - rad)
        if (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad:
            return True
    # tail triangle (256,700) (256,920) (480,730)
    def s(ax, ay, bx, by): return (x - bx) * (ay - by) - (ax - bx) * (y - by)
    d1 = s(256, 700, 256, 920); d2 = s(256, 920, 480, 730); d3 = s(480, 730, 256, 700)
    neg = d1 < 0 or d2 < 0 or d3 < 0; pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)
def dot(x, y):
    return any((x - cx) ** 2 + (y - 432) ** 2 <= 56 * 56 for cx in (320, 512, 704))
rows = []
for y in range(N):
    row = bytearray([0])
    for x in range(N):
        cov = 0; white = 0
        for sy in (0.25, 0.75):
            for sx in (0.25, 0.75):
                px, py = x + sx, y + sy
                if inside(px, py):
                    cov += 1
                    if dot(px, py): white += 1
        a = cov * 255 // 4
        if cov == 0: row += b"\0\0\0\0"; continue
        f = white / cov
        rgb = [int(c * (1 - f) + 255 * f) for c in (0x2f, 0x6f, 0xed)]
        row += bytes(rgb + [a])
    rows.append(bytes(row))
raw = b"".join(rows)
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(__import__("os").path.join(__import__("os").path.dirname(__file__), "source.png"), "wb").write(png)
