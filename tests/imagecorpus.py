"""Test images made in memory: every case the media pipeline must accept or refuse.

Import from any test:

    from tests import imagecorpus as corpus
    data = corpus.gps_jpeg()                       # bytes
    for name, sample in corpus.REFUSED.items():    # Sample(data, declared_mime, reason_contains, code)
        ...

Everything is deterministic (fixed seeds), small (fast), and made with Pillow or by hand (crafted PNG chunks
for the 16-bit RGB and decompression-bomb cases). Nothing is read from disk or the network.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFilter, PngImagePlugin, features

IPTC_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
RED = (220, 20, 30)
BLUE = (20, 40, 220)

# --- building blocks --------------------------------------------------------------------------------------


def seeded_noise(rnd: random.Random, width: int, height: int, sigma: float) -> Image.Image:
    """Noise centred on 128 with about `sigma` spread, the same bytes for the same seed.

    Pillow's effect_noise draws from C's rand(), which no seed reaches: a rendition once held the bytes `GPS`
    by chance and failed the metadata-stripping test."""
    uniform = Image.frombytes("L", (width, height), rnd.randbytes(width * height))
    scale = sigma / 74.0  # a uniform byte has a standard deviation of about 74
    return uniform.point(lambda v: round(128 + (v - 128) * scale))


def photo(width: int = 320, height: int = 240, seed: int = 1) -> Image.Image:
    """A photo-like RGB image: gradients, shapes, blur and per-channel noise (compresses like a real photo)."""
    rnd = random.Random(seed)
    r = Image.linear_gradient("L").resize((width, height))
    g = Image.radial_gradient("L").resize((width, height))
    b = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((width, height))
    im = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(im)
    for _ in range(60):
        x0, y0 = rnd.randrange(width), rnd.randrange(height)
        s = rnd.randrange(max(2, width // 40), max(3, width // 6))
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse([x0, y0, x0 + s, y0 + int(s * 0.7)], fill=colour)
        else:
            draw.rectangle([x0, y0, x0 + s, y0 + s // 2], fill=colour)
    im = im.filter(ImageFilter.GaussianBlur(max(1, width // 1300)))
    noise = Image.merge("RGB", [seeded_noise(rnd, width, height, 18 + i * 3) for i in range(3)])
    return ImageChops.add(im, noise, scale=1.0, offset=-128)


def encode(im: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def jpeg(im: Image.Image | None = None, *, quality: int = 90, **kwargs: object) -> bytes:
    return encode(im if im is not None else photo(), "JPEG", quality=quality, **kwargs)


def exif_bytes(*, orientation: int | None = None, gps: bool = False, camera: bool = True) -> bytes:
    exif = Image.Exif()
    if camera:
        exif[0x010F] = "Fujifilm"  # Make
        exif[0x0110] = "X-T5"  # Model
        exif[0x0131] = "Camera Firmware 1.0"  # Software
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (52.0, 31.0, 12.25)
        gps_ifd[3] = "E"
        gps_ifd[4] = (13.0, 24.0, 37.5)
        gps_ifd[5] = 0
        gps_ifd[6] = 34.0
    return exif.tobytes()


def xmp_packet(
    digital_source_type: str | None = None,
    *,
    form: str = "attribute",
    https: bool = False,
    gps: bool = False,
) -> bytes:
    """An XMP packet; ``digital_source_type`` is a code ("trainedAlgorithmicMedia") or a full URI.

    form: "attribute" (Iptc4xmpExt:DigitalSourceType="..."), "element" (<...>URI</...>) or "resource"
    (<... rdf:resource="URI"/>). ``gps`` adds exif:GPSLatitude/Longitude and photoshop:City.
    """
    value = ""
    if digital_source_type:
        value = digital_source_type if "/" in digital_source_type else IPTC_DST + digital_source_type
        if https:
            value = value.replace("http://", "https://", 1)
    attrs, body = "", ""
    if value and form == "attribute":
        attrs += f'\n    Iptc4xmpExt:DigitalSourceType="{value}"'
    elif value and form == "element":
        body += f"\n   <Iptc4xmpExt:DigitalSourceType>{value}</Iptc4xmpExt:DigitalSourceType>"
    elif value and form == "resource":
        body += f'\n   <Iptc4xmpExt:DigitalSourceType rdf:resource="{value}"/>'
    if gps:
        attrs += '\n    exif:GPSLatitude="52,31.2N" exif:GPSLongitude="13,24.6E" photoshop:City="Berlin"'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:exif="http://ns.adobe.com/exif/1.0/"\n'
        '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f"{attrs}>"
        f"{body}\n"
        '   <dc:creator><rdf:Seq><rdf:li>Ana Artist</rdf:li></rdf:Seq></dc:creator>\n'
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_raw(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes) -> bytes:
    """A PNG from its parts (``idat`` is the zlib stream of filtered rows)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


@functools.cache
def srgb_icc() -> bytes:
    """An sRGB ICC profile made by LittleCMS (cached: the profile embeds its creation time)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- the cases ------------------------------------------------------------------------------------------


def camera_jpeg() -> bytes:
    """An ordinary camera photo: EXIF Make/Model, XMP saying digitalCapture. Not AI."""
    return jpeg(exif=exif_bytes(), xmp=xmp_packet("digitalCapture"))


def plain_jpeg(width: int = 320, height: int = 240) -> bytes:
    return jpeg(photo(width, height))


def rotated_jpeg() -> bytes:
    """Stored 120x80 (landscape) with EXIF orientation 6: shown upright it is 80x120 (portrait).

    The stored top-left quadrant is red, the rest blue; upright, the red quadrant is at the TOP-RIGHT.
    """
    im = Image.new("RGB", (120, 80), BLUE)
    ImageDraw.Draw(im).rectangle([0, 0, 59, 39], fill=RED)
    return jpeg(im, quality=95, exif=exif_bytes(orientation=6))


def gps_jpeg() -> bytes:
    """EXIF with a GPS IFD, XMP with exif:GPSLatitude and photoshop:City, and a COM comment."""
    return jpeg(
        photo(320, 240, seed=2),
        exif=exif_bytes(gps=True),
        xmp=xmp_packet(gps=True),
        comment=b"Shot at 52.52N 13.41E GPS",
    )


def cmyk_jpeg() -> bytes:
    """A CMYK JPEG (as print workflows export): left half pure cyan, right half pure magenta."""
    im = Image.new("CMYK", (96, 64), (255, 0, 0, 0))
    ImageDraw.Draw(im).rectangle([48, 0, 95, 63], fill=(0, 255, 0, 0))
    return jpeg(im, quality=95)


def icc_jpeg() -> bytes:
    return jpeg(photo(200, 150, seed=3), icc_profile=srgb_icc())


def png16_gray() -> bytes:
    """16-bit greyscale PNG: a horizontal ramp 0..65535 (mid-grey in the middle)."""
    width, height = 256, 8
    im = Image.new("I;16", (width, height))
    im.frombytes(b"".join(struct.pack("<H", x * 257) for x in range(width)) * height)
    return encode(im, "PNG")


def png16_rgb() -> bytes:
    """16-bit-per-channel RGB PNG, crafted by hand: every pixel (0x8000, 0x4000, 0xC000)."""
    width, height = 32, 16
    row = b"\x00" + struct.pack(">HHH", 0x8000, 0x4000, 0xC000) * width
    return png_raw(width, height, 16, 2, zlib.compress(row * height))


def png_alpha() -> bytes:
    """RGBA PNG: an opaque red disc on a fully transparent background, half-transparent blue bar."""
    im = Image.new("RGBA", (160, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    draw.ellipse([40, 20, 120, 100], fill=(*RED, 255))
    draw.rectangle([0, 100, 159, 119], fill=(*BLUE, 128))
    return encode(im, "PNG")


def animated_gif(frames: int = 3) -> bytes:
    """``frames`` frames of 64x48 with durations 100, 200, 300 ... ms, looping forever."""
    colours = [RED, (30, 200, 40), BLUE, (240, 200, 20), (200, 30, 200)]
    images = []
    for i in range(frames):
        im = Image.new("RGB", (64, 48), colours[i % len(colours)])
        ImageDraw.Draw(im).rectangle([i * 4, 10, i * 4 + 10, 20], fill=(255, 255, 255))
        images.append(im)
    return encode(
        images[0], "GIF", save_all=True, append_images=images[1:], duration=[100 * (i + 1) for i in range(frames)], loop=0
    )


def static_gif() -> bytes:
    im = Image.new("RGB", (64, 48), RED).convert("P", palette=Image.Palette.ADAPTIVE)
    return encode(im, "GIF")


def animated_webp() -> bytes:
    images = [Image.new("RGB", (64, 48), c) for c in (RED, BLUE)]
    return encode(images[0], "WEBP", save_all=True, append_images=images[1:], duration=[150, 250], loop=0, quality=90)


def apng() -> bytes:
    images = [Image.new("RGBA", (48, 32), (*c, 255)) for c in (RED, BLUE, (30, 200, 40))]
    return encode(images[0], "PNG", save_all=True, append_images=images[1:], duration=[100, 100, 100], loop=0)


def webp(lossless: bool = False) -> bytes:
    return encode(photo(200, 150, seed=4), "WEBP", quality=90, lossless=lossless)


def avif() -> bytes | None:
    """None when this Pillow has no AVIF support."""
    if not features.check("avif"):
        return None
    return encode(photo(128, 96, seed=5), "AVIF", quality=80)


def ai_jpeg(code: str = "trainedAlgorithmicMedia", *, form: str = "attribute", https: bool = False) -> bytes:
    """A JPEG whose XMP declares the IPTC Digital Source Type ``code``."""
    return jpeg(photo(160, 120, seed=6), xmp=xmp_packet(code, form=form, https=https))


def ai_png(code: str = "trainedAlgorithmicMedia") -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(code).decode("utf-8"), zip=False)
    return encode(photo(96, 64, seed=7), "PNG", pnginfo=info)


def ai_in_comment_jpeg() -> bytes:
    """The vocabulary URI outside any XMP Pillow reads (as in a C2PA manifest): found by the raw scan."""
    return jpeg(photo(96, 64, seed=8), comment=(IPTC_DST + "compositeWithTrainedAlgorithmicMedia").encode())


# Refused ----------------------------------------------------------------------------------------------------


def empty() -> bytes:
    return b""


def truncated_jpeg() -> bytes:
    data = jpeg(photo(320, 240, seed=9))
    return data[: int(len(data) * 0.6)]


def corrupt_png() -> bytes:
    """Valid chunk structure, but the IDAT holds garbage instead of a zlib stream."""
    return png_raw(64, 64, 8, 2, bytes(random.Random(10).randrange(256) for _ in range(400)))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height``: must be refused before decoding."""
    return png_raw(width, height, 8, 0, zlib.compress(b"\x00" * (width + 1) * 4))


def gif_frame_bomb(frames: int = 40) -> bytes:
    """A 1000x1000 GIF with many frames (40 MP in total)."""
    images = [Image.new("P", (1000, 1000), i % 2) for i in range(frames)]
    for im in images:
        im.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=50, optimize=False)


def html_as_jpeg() -> bytes:
    return b"<!DOCTYPE html>\n<html><head><title>hi</title></head><body><script>alert(1)</script></body></html>\n"


def svg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


def tiff() -> bytes:
    return encode(photo(64, 48), "TIFF")


def bmp() -> bytes:
    return encode(photo(64, 48), "BMP")


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def mislabelled_png() -> bytes:
    """PNG bytes (to be declared as image/jpeg)."""
    return encode(photo(64, 48), "PNG")


# --- catalogue --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    make: Callable[[], bytes | None]
    declared_mime: str | None
    format: str | None = None  # expected Probe.format for accepted samples
    reason_contains: str | None = None  # expected words in ImageRejected.reason for refused ones
    code: str | None = None

    def data(self) -> bytes | None:
        return self.make()


ACCEPTED: dict[str, Sample] = {
    "camera_jpeg": Sample(camera_jpeg, "image/jpeg", "JPEG"),
    "rotated_jpeg": Sample(rotated_jpeg, "image/jpeg", "JPEG"),
    "gps_jpeg": Sample(gps_jpeg, "image/jpeg", "JPEG"),
    "cmyk_jpeg": Sample(cmyk_jpeg, "image/jpeg", "JPEG"),
    "icc_jpeg": Sample(icc_jpeg, "image/jpeg", "JPEG"),
    "png16_gray": Sample(png16_gray, "image/png", "PNG"),
    "png16_rgb": Sample(png16_rgb, "image/png", "PNG"),
    "png_alpha": Sample(png_alpha, "image/png", "PNG"),
    "animated_gif": Sample(animated_gif, "image/gif", "GIF"),
    "static_gif": Sample(static_gif, "image/gif", "GIF"),
    "apng": Sample(apng, "image/png", "PNG"),
    "webp": Sample(webp, "image/webp", "WEBP"),
    "webp_lossless": Sample(lambda: webp(lossless=True), "image/webp", "WEBP"),
    "animated_webp": Sample(animated_webp, "image/webp", "WEBP"),
    "ai_jpeg": Sample(ai_jpeg, "image/jpeg", "JPEG"),
    "ai_png": Sample(ai_png, "image/png", "PNG"),
    "no_declared_type": Sample(plain_jpeg, None, "JPEG"),
}
if features.check("avif"):
    ACCEPTED["avif"] = Sample(avif, "image/avif", "AVIF")

REFUSED: dict[str, Sample] = {
    "empty": Sample(empty, "image/jpeg", reason_contains="file is empty", code="empty"),
    "truncated_jpeg": Sample(truncated_jpeg, "image/jpeg", reason_contains="JPEG data is truncated", code="truncated"),
    "corrupt_png": Sample(corrupt_png, "image/png", reason_contains="PNG data is", code=None),
    "png_bomb": Sample(png_bomb, "image/png", reason_contains="30000x30000 = 900 MP, over the", code="too_many_pixels"),
    "html_as_jpeg": Sample(html_as_jpeg, "image/jpeg", reason_contains="content is HTML, not an image", code="not_an_image"),
    "pdf": Sample(pdf, "image/jpeg", reason_contains="content is PDF, not an image", code="not_an_image"),
    "svg": Sample(svg, "image/svg+xml", reason_contains="format SVG is not accepted", code="format_not_accepted"),
    "tiff": Sample(tiff, "image/tiff", reason_contains="format TIFF is not accepted (JPEG, PNG, WebP, GIF, AVIF)", code="format_not_accepted"),
    "bmp": Sample(bmp, "image/bmp", reason_contains="format BMP is not accepted", code="format_not_accepted"),
    "mislabelled_png": Sample(mislabelled_png, "image/jpeg", reason_contains="declared as image/jpeg but the content is PNG", code="type_mismatch"),
}  # fmt: skip


# --- checking helpers ---------------------------------------------------------------------------------------

_B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def blurhash_average(blurhash: str) -> tuple[int, int, int]:
    """The average sRGB colour a BlurHash encodes (its DC component), for checking hashes in tests."""
    value = 0
    for ch in blurhash[2:6]:
        value = value * 83 + _B83.index(ch)
    return (value >> 16, (value >> 8) & 255, value & 255)
