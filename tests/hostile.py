#!/usr/bin/env python3
"""Writes small hostile submissions, each built to exhaust or crash a reader.

    tests/hostile.py OUT_DIR [--result GENUINE.pdf]

Every file is small on disk and expensive to read naively:

  ref_chain.pdf       page /Contents behind 20,000 indirect references in a row
  nested_arrays.pdf   a content array nested 200,000 deep
  page_tree_loop.pdf  a page tree whose /Kids refers back to itself
  flate_twice.pdf     an image behind /Filter [/FlateDecode /FlateDecode]
                      whose first stage inflates to 1 GiB
  form_repeat.pdf     a 63 MiB Form XObject painted 400 times with Do
  operand_flood.pdf   a content stream of 60 MiB of `0 ` operands
  tiff_pages.tif      50 gray pages of 7,700 x 7,700 sharing one deflated strip
  tiff_ifd_loop.tif   a TIFF whose second IFD points back at the first
  png_bomb.png        a 20,000 x 20,000 PNG of zeros (above the pixel limit)
  lzw_bomb.pdf        an image behind /LZWDecode whose data never ends

With --result, also writes appended_update.pdf: the genuine signed result
followed by an incremental update holding a 60 MiB content stream.

Only the standard library is used, so the set can be made anywhere.
"""

import struct
import sys
import zlib
from pathlib import Path


def deflate_repeated(chunk: bytes, total: int) -> bytes:
    """zlib of `chunk` repeated until `total` bytes, without holding them."""
    c = zlib.compressobj(9)
    out = []
    block = chunk * max(1, (1 << 20) // len(chunk))
    left = total
    while left > 0:
        piece = block[: min(left, len(block))]
        out.append(c.compress(piece))
        left -= len(piece)
    out.append(c.flush())
    return b"".join(out)


def pdf(objects: dict, root: int = 1) -> bytes:
    """A classic PDF with an xref table; `objects` maps number to body bytes."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in offsets:
            out += b"%010d 00000 n \n" % offsets[num]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        root,
        xref,
    )
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def one_page(page_extra: bytes, more: dict) -> bytes:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page_extra + b" >>",
    }
    objects.update(more)
    return pdf(objects)


def gray_image(width: int, height: int) -> bytes:
    return b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8" % (
        width,
        height,
    )


def ref_chain(n: int = 20_000) -> bytes:
    more = {}
    for i in range(n):
        more[10 + i] = b"%d 0 R" % (11 + i)
    more[10 + n] = stream(b"", b"BT ET")
    return one_page(b"/Contents 10 0 R", more)


def nested_arrays(depth: int = 200_000) -> bytes:
    body = b"[" * depth + b"]" * depth
    return one_page(b"/Contents 4 0 R /Resources << /Foo " + body + b" >>", {4: stream(b"", b"BT ET")})


def page_tree_loop() -> bytes:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        3: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>",
    }
    return pdf(objects)


def flate_twice() -> bytes:
    first = deflate_repeated(b"\0", 1 << 30)
    data = zlib.compress(first, 9)
    image = stream(gray_image(1000, 1000) + b" /Filter [/FlateDecode /FlateDecode]", data)
    content = stream(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    return one_page(
        b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R",
        {4: content, 5: image},
    )


def form_repeat() -> bytes:
    form_data = deflate_repeated(b"0 0 m\n", 63 << 20)
    form = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Filter /FlateDecode", form_data)
    paint = zlib.compress(b"/Fm0 Do\n" * 400, 9)
    content = stream(b"/Filter /FlateDecode", paint)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    return one_page(
        b"/Resources << /XObject << /Fm0 5 0 R >> /Font << /F1 6 0 R >> >> /Contents 4 0 R",
        {4: content, 5: form, 6: font},
    )


def operand_flood_stream() -> bytes:
    return stream(b"/Filter /FlateDecode", deflate_repeated(b"0 ", 60 << 20))


def operand_flood() -> bytes:
    return one_page(b"/Contents 4 0 R", {4: operand_flood_stream()})


def lzw_bomb() -> bytes:
    # LZW codes at 9 bits that keep extending one string: a clear code, then a
    # run of codes each naming the previous entry; never an end-of-data code.
    bits = []
    bits.append((256, 9))
    code_size = 9
    next_code = 258
    bits.append((0, 9))
    prev = 0
    for _ in range(60_000):
        if next_code >= 4095:
            bits.append((256, code_size))
            code_size = 9
            next_code = 258
            bits.append((0, 9))
            prev = 0
            continue
        # The code about to be defined (KwKwK case): its string is prev's plus
        # prev's first byte, so each one is longer than the last.
        bits.append((next_code, code_size))
        prev = next_code
        next_code += 1
        if next_code + 1 >= (1 << code_size) and code_size < 12:
            code_size += 1
    acc = 0
    nbits = 0
    out = bytearray()
    for code, size in bits:
        acc = (acc << size) | code
        nbits += size
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
    if nbits:
        out.append((acc << (8 - nbits)) & 0xFF)
    image = stream(gray_image(1000, 1000) + b" /Filter /LZWDecode", bytes(out))
    content = stream(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    return one_page(
        b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R",
        {4: content, 5: image},
    )


def ifd(tags: list, next_ifd: int) -> bytes:
    """A little-endian TIFF directory of (tag, type, count, value) entries,
    every value inline (type 3 SHORT or 4 LONG), then the next one's offset."""
    out = struct.pack("<H", len(tags))
    for tag, typ, count, value in tags:
        if typ == 3:
            out += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, typ, count, value)
    return out + struct.pack("<I", next_ifd)


def tiff_pages(pages: int = 50, side: int = 7700) -> bytes:
    strip = deflate_repeated(b"\xff", side * side)
    header = b"II*\0" + struct.pack("<I", 8)
    entries_per_ifd = 9
    ifd_size = 2 + 12 * entries_per_ifd + 4
    strip_at = 8 + ifd_size * pages
    out = bytearray(header)
    for p in range(pages):
        here = 8 + ifd_size * p
        nxt = here + ifd_size if p + 1 < pages else 0
        tags = [
            (256, 4, 1, side),  # ImageWidth
            (257, 4, 1, side),  # ImageLength
            (258, 3, 1, 8),  # BitsPerSample
            (259, 3, 1, 8),  # Compression: Deflate
            (262, 3, 1, 1),  # BlackIsZero
            (273, 4, 1, strip_at),  # StripOffsets
            (277, 3, 1, 1),  # SamplesPerPixel
            (278, 4, 1, side),  # RowsPerStrip
            (279, 4, 1, len(strip)),  # StripByteCounts
        ]
        out += ifd(tags, nxt)
    out += strip
    return bytes(out)


def tiff_ifd_loop() -> bytes:
    data = b"\xff" * 64
    out = bytearray(b"II*\0" + struct.pack("<I", 8))
    tags = [
        (256, 4, 1, 8),
        (257, 4, 1, 8),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 12 * 8 + 4),
        (278, 4, 1, 8),
        (279, 4, 1, len(data)),
    ]
    out += ifd(tags, 8)  # the next IFD is this one again
    out += data
    return bytes(out)


def png_bomb(side: int = 20_000) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    row = b"\0" + b"\0" * side
    idat = deflate_repeated(row, len(row) * side)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def appended_update(genuine: bytes) -> bytes:
    """The genuine file, then an update that points its last page at a
    60 MiB content stream: the signature no longer covers the file, and a
    verifier that reads on regardless parses the stream."""
    import re

    start = genuine.rfind(b"startxref")
    prev = int(genuine[start + len(b"startxref") :].split()[0])
    pages = list(re.finditer(rb"(\d+) 0 obj\s*(<<.*?/Type\s*/Page\b(?!s).*?)\s*endobj", genuine, re.S))
    if not pages:
        raise SystemExit("no page object found in the genuine result")
    last = pages[-1]
    page_num = int(last.group(1))
    stream_num = 900_000
    page_dict = re.sub(rb"/Contents\s*\d+\s+0\s+R", b"/Contents %d 0 R" % stream_num, last.group(2))
    out = bytearray(genuine)
    if not out.endswith(b"\n"):
        out += b"\n"
    at_page = len(out)
    out += b"%d 0 obj\n" % page_num + page_dict + b"\nendobj\n"
    at_stream = len(out)
    out += b"%d 0 obj\n" % stream_num + operand_flood_stream() + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n" % (page_num, at_page, stream_num, at_stream)
    found = re.findall(rb"/Root\s*(\d+)\s+(\d+)\s+R", genuine)
    if not found:
        raise SystemExit("no /Root found in the genuine result")
    root = b"%s %s R" % found[-1]
    out += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        stream_num + 1,
        root,
        prev,
        xref,
    )
    return bytes(out)


FILES = {
    "ref_chain.pdf": ref_chain,
    "nested_arrays.pdf": nested_arrays,
    "page_tree_loop.pdf": page_tree_loop,
    "flate_twice.pdf": flate_twice,
    "form_repeat.pdf": form_repeat,
    "operand_flood.pdf": operand_flood,
    "lzw_bomb.pdf": lzw_bomb,
    "tiff_pages.tif": tiff_pages,
    "tiff_ifd_loop.tif": tiff_ifd_loop,
    "png_bomb.png": png_bomb,
}


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (out / name).write_bytes(make())
    if "--result" in args:
        genuine = Path(args[args.index("--result") + 1]).read_bytes()
        (out / "appended_update.pdf").write_bytes(appended_update(genuine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
