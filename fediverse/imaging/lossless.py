"""As-uploaded publishing: the artist's own file, its image data byte for byte, with metadata removed losslessly.

Why: Glaze and Nightshade hide their perturbations in the exact pixels of the file; any re-encode (ours included)
weakens them. So for a work published "as uploaded" the large rendition is the uploaded file with only metadata
segments taken out and our consent XMP put in, without touching a single byte of the compressed image data.

What is removed, per format (everything else is copied as it is, in order):
- JPEG: every APPn and COM segment, except APP2 ``ICC_PROFILE`` (colours) and APP14 ``Adobe`` (its colour
  transform flag decides how the pixels decode; it holds nothing personal). APP0 ``JFIF`` is kept without its
  thumbnail. Anything after the EOI marker (MPF secondary images, phone trailers with their own EXIF) goes.
  Our XMP is one APP1 ``http://ns.adobe.com/xap/1.0/`` segment right after SOI.
- PNG: tEXt, zTXt, iTXt, eXIf and tIME chunks, and anything after IEND. Our XMP is an uncompressed iTXt
  ``XML:com.adobe.xmp`` chunk right after IHDR.
- WebP: EXIF, XMP and unknown chunks (only VP8X, ICCP, ANIM, ANMF, ALPH, VP8 and VP8L stay), and anything past
  the RIFF size. Our XMP is an ``XMP `` chunk at the end; a simple (VP8/VP8L-only) file gets a VP8X header
  first, with the canvas size and alpha flag read from its bitstream, so decoders see the same image.

What is refused (``ImageRejected``, one sentence): formats other than JPEG, PNG and WebP; files whose EXIF
orientation is not 1 (removing EXIF would show them turned: the artist exports them upright instead); files
larger than the large rendition's box or the as-uploaded byte limit; and files whose structure does not parse
(truncated segments, lengths past the end, too many segments or chunks). Every loop advances through the bytes
and is capped, so a hostile file ends in a clear refusal, never a crash or a hang.

Pure: bytes in, bytes out; no Pillow decoding here (``probe`` has decoded the file already).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator

from fediverse.imaging.derive import Rendition
from fediverse.imaging.errors import CORRUPT, NOT_ACCEPTED, TOO_BIG, TRUNCATED, ImageRejected
from fediverse.imaging.geometry import fit_box
from fediverse.imaging.probe import Probe, human_bytes

FORMATS = ("JPEG", "PNG", "WEBP")
TOO_LARGE = "too_large_as_uploaded"  # over the large rendition's box
ROTATED = "rotated"  # EXIF orientation other than 1
MAX_SEGMENTS = 65_536  # JPEG marker segments (restart markers inside scans are not counted)
MAX_CHUNKS = 200_000  # PNG and WebP chunks (PNG encoders may write small IDAT chunks)
XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
WEBP_KEPT = frozenset({b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"})
# The end of entropy-coded data: 0xFF then a byte that is not stuffing (00) nor RSTn (D0-D7).
_FILL = re.compile(rb"\xff+")
_NEXT_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")


def publish_as_uploaded(data: bytes, probe: Probe, xmp: bytes, *, large_max: tuple[int, int],
                        max_bytes: int) -> Rendition:
    """The large rendition for an as-uploaded work: ``data`` with its metadata removed and ``xmp`` inserted.

    ``large_max``: the [media] large rendition box (turned to the image's orientation, as for derived ones);
    ``max_bytes``: the [media] as-uploaded byte limit, checked on the published file."""
    if probe.format not in FORMATS:
        raise ImageRejected(f"as-uploaded publishing takes JPEG, PNG or WebP files, not {probe.format}; "
                            "publish it without 'as uploaded' or export it as PNG", NOT_ACCEPTED)
    if probe.orientation != 1:
        raise ImageRejected(
            f"the file is turned by its EXIF orientation ({probe.orientation}); as-uploaded publishing removes "
            "EXIF, so it would show turned: export it upright (orientation 1) and upload it again", ROTATED)
    size = (probe.width, probe.height)
    if fit_box(size, large_max) != size:
        box = f"{max(large_max)}x{min(large_max)}"
        raise ImageRejected(
            f"image is {size[0]}x{size[1]}, larger than the large rendition's {box} ([media] large_max_width/"
            "large_max_height); as-uploaded files are published unscaled, so resize it to fit before you Glaze "
            "it, or publish without 'as uploaded'", TOO_LARGE)
    published = strip_and_stamp(data, probe.format, xmp)
    if len(published) > max_bytes:
        raise ImageRejected(
            f"file is {human_bytes(len(published))}, over the {human_bytes(max_bytes)} limit for as-uploaded files "
            "([media] as_uploaded_max_bytes: larger attachments are not fetched by other servers, Mastodon's image "
            "limit is 16 MB); export it smaller or publish without 'as uploaded'", TOO_BIG)
    return Rendition("large", published, probe.mime, probe.width, probe.height, probe.animated)


def strip_and_stamp(data: bytes, fmt: str, xmp: bytes) -> bytes:
    """The file without its metadata, with ``xmp`` inserted; raises ImageRejected for a malformed structure."""
    if fmt == "JPEG":
        return _jpeg(data, xmp)
    if fmt == "PNG":
        return _png(data, xmp)
    if fmt == "WEBP":
        return _webp(data, xmp)
    raise ImageRejected(f"as-uploaded publishing takes JPEG, PNG or WebP files, not {fmt}", NOT_ACCEPTED)


def _truncated(name: str, what: str) -> ImageRejected:
    return ImageRejected(f"{name} structure is truncated ({what})", TRUNCATED)


def _corrupt(name: str, what: str) -> ImageRejected:
    return ImageRejected(f"{name} structure is corrupt ({what})", CORRUPT)


# --- JPEG -------------------------------------------------------------------------------------------------

def jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of every piece up to and including EOI: marker segments with their 0xFF prefix, and
    entropy-coded data (marker 0, from after an SOS header to the next marker that is not RSTn)."""
    if not data.startswith(b"\xff\xd8"):
        raise _corrupt("JPEG", "no SOI marker")
    yield 0xD8, 0, 2
    pos, end, count = 2, len(data), 0
    while True:
        count += 1
        if count > MAX_SEGMENTS:
            raise _corrupt("JPEG", f"more than {MAX_SEGMENTS} segments")
        if pos >= end:
            raise _truncated("JPEG", "no EOI marker")
        if data[pos] != 0xFF:
            raise _corrupt("JPEG", f"expected a marker at byte {pos}")
        start = pos
        pos = _FILL.match(data, pos).end()  # type: ignore[union-attr]  # 0xFF and any fill bytes after it
        if pos >= end:
            raise _truncated("JPEG", "ends inside a marker")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            yield marker, start, pos
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD8 or marker == 0x00:
            raise _corrupt("JPEG", f"unexpected marker 0xFF{marker:02X} at byte {start}")
        if pos + 2 > end:
            raise _truncated("JPEG", f"segment 0xFF{marker:02X} has no length")
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2:
            raise _corrupt("JPEG", f"segment 0xFF{marker:02X} has length {length}")
        if pos + length > end:
            raise _truncated("JPEG", f"segment 0xFF{marker:02X} runs past the end of the file")
        pos += length
        yield marker, start, pos
        if marker == 0xDA:  # entropy-coded data up to the next marker that is not a restart marker
            found = _NEXT_MARKER.search(data, pos)  # in C: a file of stuffed bytes cannot make a slow loop
            if found is None:
                raise _truncated("JPEG", "scan data has no end")
            yield 0, pos, found.start()
            pos = found.start()


def jpeg_image_data(data: bytes) -> bytes:
    """Every byte that makes the pixels (tables, frame and scan headers, entropy-coded data), in order: what
    as-uploaded publishing keeps identical. Metadata segments (APPn, COM) and anything after EOI are left out."""
    return b"".join(data[s:e] for marker, s, e in jpeg_segments(data)
                    if not (0xE0 <= marker <= 0xEF or marker == 0xFE))


def _jpeg_app_kept(data: bytes, marker: int, start: int, end: int) -> bytes | None:
    """The APPn segment as it is published: ICC and Adobe as they are, JFIF without its thumbnail, else None."""
    body = data[start:end]
    payload = body[body.index(marker.to_bytes(1, "big"), 1) + 3:]  # after the fill bytes, marker and length
    if marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"):
        return body
    if marker == 0xEE and payload.startswith(b"Adobe"):
        return body
    if marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
        jfif = payload[:12] + b"\x00\x00"  # identifier, version, units, densities; no thumbnail
        return b"\xff\xe0" + struct.pack(">H", len(jfif) + 2) + jfif
    return None


def _jpeg(data: bytes, xmp: bytes) -> bytes:
    payload = XMP_NAMESPACE + xmp
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("the consent XMP packet is too long for one JPEG APP1 segment")
    out = [b"\xff\xd8"]
    xmp_segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    placed = False
    for marker, start, end in jpeg_segments(data):
        if marker == 0xD8:
            continue
        if marker == 0xE0 and not placed:
            kept = _jpeg_app_kept(data, marker, start, end)
            out += [kept] if kept else []
            out.append(xmp_segment)  # JFIF must stay first; ours follows it
            placed = True
            continue
        if not placed:
            out.append(xmp_segment)
            placed = True
        if 0xE0 <= marker <= 0xEF:
            kept = _jpeg_app_kept(data, marker, start, end)
            if kept:
                out.append(kept)
        elif marker != 0xFE:
            out.append(data[start:end])
    return b"".join(out)


# --- PNG --------------------------------------------------------------------------------------------------

def png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of every chunk up to and including IEND (start at the length field, end after the CRC)."""
    if not data.startswith(PNG_SIGNATURE):
        raise _corrupt("PNG", "no PNG signature")
    pos, end = len(PNG_SIGNATURE), len(data)
    for count in range(MAX_CHUNKS):
        if pos + 8 > end:
            raise _truncated("PNG", "no IEND chunk")
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if length > 0x7FFFFFFF or not kind.isalpha():
            raise _corrupt("PNG", f"chunk header at byte {pos}")
        if count == 0 and kind != b"IHDR":
            raise _corrupt("PNG", "IHDR is not the first chunk")
        stop = pos + 12 + length
        if stop > end:
            raise _truncated("PNG", f"chunk {kind.decode()} runs past the end of the file")
        yield kind, pos, stop
        if kind == b"IEND":
            return
        pos = stop
    raise _corrupt("PNG", f"more than {MAX_CHUNKS} chunks")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(data: bytes, xmp: bytes) -> bytes:
    ours = _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)  # uncompressed, no language
    out = [PNG_SIGNATURE]
    for kind, start, end in png_chunks(data):
        if kind in PNG_DROPPED:
            continue
        out.append(data[start:end])
        if kind == b"IHDR":
            out.append(ours)
    return b"".join(out)


# --- WebP -------------------------------------------------------------------------------------------------

def webp_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(fourcc, start, end) of every top-level chunk inside the RIFF size (end includes the padding byte)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _corrupt("WebP", "no RIFF WEBP header")
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data):
        raise _truncated("WebP", "the RIFF size runs past the end of the file")
    pos = 12
    for _ in range(MAX_CHUNKS):
        if pos >= riff_end:
            return
        if pos + 8 > riff_end:
            raise _truncated("WebP", f"chunk header at byte {pos}")
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        stop = pos + 8 + size + (size & 1)
        if pos + 8 + size > riff_end:
            raise _truncated("WebP", f"chunk {data[pos:pos + 4]!r} runs past the RIFF size")
        yield data[pos:pos + 4], pos, min(stop, riff_end)
        pos = stop
    raise _corrupt("WebP", f"more than {MAX_CHUNKS} chunks")


def _webp_vp8x(data: bytes, kind: bytes, start: int, end: int) -> bytes:
    """A VP8X chunk for a simple file: canvas size and alpha from the one VP8/VP8L bitstream, XMP flag set."""
    body = data[start + 8:end]
    if kind == b"VP8L":
        if len(body) < 5 or body[0] != 0x2F:
            raise _corrupt("WebP", "VP8L header")
        bits = int.from_bytes(body[1:5], "little")
        width, height, alpha = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, (bits >> 28) & 1
    else:
        if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
            raise _corrupt("WebP", "VP8 header")
        width, height, alpha = (int.from_bytes(body[6:8], "little") & 0x3FFF,
                                int.from_bytes(body[8:10], "little") & 0x3FFF, 0)
        if width == 0 or height == 0:
            raise _corrupt("WebP", "VP8 frame is 0 pixels wide or high")
    flags = 0x04 | (0x10 if alpha else 0)
    payload = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"VP8X" + struct.pack("<I", len(payload)) + payload


def _webp(data: bytes, xmp: bytes) -> bytes:
    chunks = [(kind, start, end) for kind, start, end in webp_chunks(data) if kind in WEBP_KEPT]
    images = [c for c in chunks if c[0] in (b"VP8 ", b"VP8L", b"ANMF")]
    if not images:
        raise _corrupt("WebP", "no image data")
    out: list[bytes] = []
    for kind, start, end in chunks:
        piece = data[start:end]
        if kind == b"VP8X":
            if end - start < 18:
                raise _truncated("WebP", "VP8X chunk")
            flags = (piece[8] | 0x04) & ~0x08  # XMP present, EXIF gone
            piece = piece[:8] + bytes([flags]) + piece[9:]
        out.append(piece)
    if chunks[0][0] != b"VP8X":
        if len(chunks) != 1:
            raise _corrupt("WebP", "a simple file with more than one chunk")
        out.insert(0, _webp_vp8x(data, *chunks[0]))
    out.append(b"XMP " + struct.pack("<I", len(xmp)) + xmp + (b"\x00" if len(xmp) & 1 else b""))
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body
