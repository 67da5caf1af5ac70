"""What the bytes are, by their magic numbers: never by file name or declared type.

``sniff(data)`` returns a ``Sniffed``: ``kind`` is "accepted" (one of the formats we take), "image" (an image
format we refuse, such as TIFF or HEIC) or "other" (HTML, PDF, text, unknown). Pure and cheap: it reads at most
the first few kilobytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCEPTED = ("JPEG", "PNG", "WEBP", "GIF", "AVIF")
ACCEPTED_LIST = "JPEG, PNG, WebP, GIF, AVIF"

MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "AVIF": "image/avif",
}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "AVIF": "avif"}
EXTENSION_OF_MIME = {MIME[f]: EXTENSION[f] for f in MIME}
DISPLAY_NAME = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF", "AVIF": "AVIF"}

# Declared types that say nothing about the content: no mismatch check against them.
UNSPECIFIED_MIMES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/jpe": "image/jpeg",
    "image/x-png": "image/png",
    "image/apng": "image/png",  # APNG is PNG (Pillow reads both)
    "image/vnd.mozilla.apng": "image/png",
    "image/x-webp": "image/webp",
    "image/avif-sequence": "image/avif",
}


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "accepted" | "image" | "other"
    name: str  # Pillow format for accepted ones ("JPEG", "WEBP" ...), else a human name ("TIFF", "HTML")


_ISO_BMFF_BRANDS_AVIF = {b"avif", b"avis"}
_ISO_BMFF_BRANDS_HEIF = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"}
# Formats told by a leading magic number, tried in this order: (prefixes, kind, name, least length of the data).
_MAGIC: tuple[tuple[tuple[bytes, ...], str, str, int], ...] = (
    ((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"), "image", "TIFF", 0),
    ((b"BM",), "image", "BMP", 27),
    ((b"8BPS",), "image", "PSD", 0),
    ((b"\x00\x00\x01\x00", b"\x00\x00\x02\x00"), "image", "ICO", 7),
    ((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"), "image", "JPEG 2000", 0),
    ((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"), "image", "JPEG XL", 0),
    ((b"qoif",), "image", "QOI", 0),
    ((b"DDS ",), "image", "DDS", 0),
    ((b"%PDF",), "other", "PDF", 0),
    ((b"PK\x03\x04", b"PK\x05\x06"), "other", "a ZIP archive", 0),
    ((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!"), "other", "a compressed archive", 0),
    ((b"\x7fELF", b"MZ"), "other", "a program", 0),
)
_TEXT_RE = re.compile(rb"^[\t\n\r\x20-\x7e\x80-\xff]*$")


def _iso_brands(data: bytes) -> set[bytes]:
    size = int.from_bytes(data[0:4], "big")
    if size < 16 or size > 4096:
        size = min(len(data), 64)
    box = data[8 : min(size, len(data))]
    major = box[0:4]
    compatible = [box[i : i + 4] for i in range(8, len(box) - 3, 4)]
    return {major, *compatible}


def sniff(data: bytes) -> Sniffed:
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("accepted", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("accepted", "PNG")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("accepted", "GIF")
    if head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("accepted", "WEBP")
    if head[4:8] == b"ftyp":
        brands = _iso_brands(data)
        if brands & _ISO_BMFF_BRANDS_AVIF:
            return Sniffed("accepted", "AVIF")
        if brands & _ISO_BMFF_BRANDS_HEIF:
            return Sniffed("image", "HEIC")
        if brands & {b"jxl "}:
            return Sniffed("image", "JPEG XL")
        if brands & {b"crx "}:
            return Sniffed("image", "Canon RAW")
        return Sniffed("other", "a video or ISO media file")
    for prefixes, kind, name, min_length in _MAGIC:
        if head.startswith(prefixes) and len(data) >= min_length:
            return Sniffed(kind, name)
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free") or head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("other", "a video")
    if head.startswith((b"ID3", b"OggS", b"fLaC")) or (head[0:4] == b"RIFF" and head[8:12] == b"WAVE"):
        return Sniffed("other", "audio")
    return _sniff_text(data)


def _sniff_text(data: bytes) -> Sniffed:
    start = data[:2048]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if start.startswith(bom):
            start = start[len(bom) :]
            break
    lowered = start.lstrip().lower()
    if lowered.startswith(b"<"):
        if b"<svg" in lowered:
            return Sniffed("image", "SVG")
        if (
            lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<!--"))
            or b"<html" in lowered
            or b"<body" in lowered
            or b"<script" in lowered
        ):
            return Sniffed("other", "HTML")
        return Sniffed("other", "XML")
    if lowered.startswith((b"{", b"[")):
        return Sniffed("other", "JSON")
    if _TEXT_RE.match(start) and b"\x00" not in start:
        return Sniffed("other", "text")
    return Sniffed("other", "unknown")


def normalise_mime(mime: str | None) -> str:
    if not mime:
        return ""
    base = mime.split(";", 1)[0].strip().lower()
    return MIME_ALIASES.get(base, base)
