"""Is this upload an image we accept, and what is it? Refuse everything else with a clear sentence.

Checks, in order, each before any costly work:
1. not empty, not over the byte limit;
2. the content's magic number is one of JPEG, PNG, WebP, GIF, AVIF (never the file name): HTML, PDF, TIFF,
   HEIC ... are refused, naming what the content is;
3. the declared MIME type (if any) matches the content;
4. the headers parse; width x height and then width x height x frames are within the pixel limit. This happens
   before a single pixel is decoded, so a small file declaring 30000x30000 costs nothing. For a GIF the real
   canvas is checked first (``canvas``: frames placed outside the logical screen grow it);
5. a full decode of every frame (``load()``), so truncated and corrupt files are refused. A JPEG is decoded with
   ``draft()`` at the smallest scale that still covers the default large rendition (3840x2160): libjpeg still
   reads and Huffman-decodes every byte of the scan, so truncation and corruption are found all the same. The
   decoded image is kept for ``derive`` (see ``_decode``), so probe + derive decode a still image once.

Also read: EXIF orientation (width/height are reported upright), the ICC profile, and the IPTC Digital Source
Type (``provenance``); ``ai_generated`` is True for trainedAlgorithmicMedia, compositeWithTrainedAlgorithmicMedia
and compositeSynthetic.

Pure: bytes in, a frozen ``Probe`` out; no global Pillow state is read or changed; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, features

from fediverse.imaging import _decode, provenance
from fediverse.imaging.canvas import gif_canvas
from fediverse.imaging.errors import (
    EMPTY,
    NOT_ACCEPTED,
    NOT_AN_IMAGE,
    TOO_BIG,
    TOO_MANY_PIXELS,
    TYPE_MISMATCH,
    ImageRejected,
)
from fediverse.imaging.geometry import clean_orientation, fit_box, oriented
from fediverse.imaging.sniff import (
    ACCEPTED_LIST,
    DISPLAY_NAME,
    EXTENSION,
    MIME,
    UNSPECIFIED_MIMES,
    normalise_mime,
    sniff,
)

# The box JPEGs are draft-decoded for in probe (the default [media] large_max). derive reuses that decode when
# its own large_max asks for the same DCT scale, else it decodes again.
DEFAULT_LARGE_BOX = (3840, 2160)
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class Probe:
    format: str  # "JPEG" | "PNG" | "WEBP" | "GIF" | "AVIF"
    mime: str
    width: int  # upright, after EXIF orientation
    height: int
    frames: int
    animated: bool
    icc_profile: bytes | None
    digital_source_type: str | None  # full IPTC URI, normalised to http://cv.iptc.org/newscodes/digitalsourcetype/...
    ai_generated: bool
    orientation: int = 1  # EXIF orientation of the stored pixels (1 = upright)
    has_alpha: bool = False
    lossless: bool = False  # PNG, GIF, lossless WebP
    mode: str = "RGB"  # Pillow mode of the decoded pixels ("RGB", "L", "CMYK", "P", "I;16" ...)
    size_bytes: int = 0
    xmp: bytes | str | None = field(default=None, repr=False, compare=False)  # the file's own packet, as read

    @property
    def ext(self) -> str:
        """File extension for the original: jpg, png, webp, gif, avif."""
        return EXTENSION[self.format]

    @property
    def stored_size(self) -> tuple[int, int]:
        """Width and height as stored in the file (before orientation)."""
        return oriented((self.width, self.height), self.orientation)


def human_bytes(n: int) -> str:
    """A byte count as people read it: 900 bytes, 12 KB, 1.5 MB."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    v = n / (1024 * 1024)
    return (f"{v:.1f}".removesuffix(".0") if v < 100 else f"{v:.0f}") + " MB"


def _mp(n: float) -> str:
    v = n / 1_000_000
    return f"{v:.0f} MP" if v >= 10 else f"{v:.2g} MP"  # 144 MP, 1.5 MP, 1 MP, 0.077 MP


def _check_declared(declared_mime: str | None, fmt: str) -> None:
    declared = normalise_mime(declared_mime)
    if declared in UNSPECIFIED_MIMES or declared == MIME[fmt]:
        return
    raise ImageRejected(
        f"declared as {declared} but the content is {DISPLAY_NAME[fmt]}", TYPE_MISMATCH
    )


def _check_pixels(width: int, height: int, frames: int, max_pixels: int) -> None:
    """Refuse width x height (x frames) over the limit, naming the numbers."""
    pixels = width * height
    if frames == 1 and pixels > max_pixels:
        raise ImageRejected(
            f"image is {width}x{height} = {_mp(pixels)}, over the {_mp(max_pixels)} limit", TOO_MANY_PIXELS
        )
    if pixels * frames > max_pixels:
        raise ImageRejected(
            f"animation is {width}x{height} x {frames} frames = {_mp(pixels * frames)}, "
            f"over the {_mp(max_pixels)} limit",
            TOO_MANY_PIXELS,
        )


def _webp_lossless(data: bytes) -> bool:
    """True when the first image chunk (top level, or the first one in the first ANMF frame) is VP8L.

    Only called once libwebp has decoded every frame, and libwebp refuses a frame whose first sub-chunk is not
    VP8L, VP8 or ALPH (which only a lossy VP8 may follow): so a frame's first sub-chunk decides."""
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        if fourcc == b"ANMF":  # 8 bytes of chunk header and 16 of frame header, then the frame's first sub-chunk
            return data[pos + 24 : pos + 28] == b"VP8L"
        if fourcc in (b"VP8L", b"VP8 "):
            return fourcc == b"VP8L"
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + size + (size & 1)
    return False


def _gif_xmp(data: bytes) -> bytes | None:
    """The XMP packet of a GIF's "XMP DataXMP" application extension (Pillow does not read it)."""
    start = data.find(b"\x21\xff\x0bXMP DataXMP")
    if start < 0:
        return None
    start += 14
    end = data.find(b"</x:xmpmeta>", start)
    if end < 0:
        return None
    return data[start : end + len(b"</x:xmpmeta>")]


def _has_transparency(im: Image.Image) -> bool:
    return im.mode in _ALPHA_MODES or "transparency" in im.info


def probe(data: bytes, *, max_bytes: int, max_pixels: int, declared_mime: str | None = None) -> Probe:
    """Check an upload and describe it; raises ``ImageRejected`` with a human ``reason``."""
    if not data:
        raise ImageRejected("file is empty", EMPTY)
    if len(data) > max_bytes:
        raise ImageRejected(f"file is {human_bytes(len(data))}, over the {human_bytes(max_bytes)} limit", TOO_BIG)

    sniffed = sniff(data)
    if sniffed.kind == "other":
        what = "not a recognised image format" if sniffed.name == "unknown" else f"{sniffed.name}, not an image"
        raise ImageRejected(f"content is {what}", NOT_AN_IMAGE)
    if sniffed.kind == "image":
        raise ImageRejected(f"format {sniffed.name} is not accepted ({ACCEPTED_LIST})", NOT_ACCEPTED)
    fmt = sniffed.name
    if fmt == "AVIF" and not features.check("avif"):
        raise ImageRejected("format AVIF is not accepted on this server (Pillow lacks AVIF support)", NOT_ACCEPTED)
    _check_declared(declared_mime, fmt)
    if fmt == "GIF":  # frames placed outside the logical screen grow Pillow's canvas: check the real one first
        real = gif_canvas(data)
        _check_pixels(real.width, real.height, 1, max_pixels)
        _check_pixels(real.width, real.height, real.frames, max_pixels)

    im = _decode.open_image(data, fmt)
    name = DISPLAY_NAME[fmt]
    try:
        width, height = im.size
        if width <= 0 or height <= 0:
            raise ImageRejected(f"{name} data is corrupt (image is {width}x{height})")
        _check_pixels(width, height, 1, max_pixels)
        try:
            frames = int(getattr(im, "n_frames", 1) or 1)
        except Exception as exc:
            raise _decode.decode_error(fmt, exc) from None
        _check_pixels(width, height, frames, max_pixels)

        orientation = 1
        if fmt == "JPEG":
            try:
                orientation = clean_orientation(im.getexif().get(0x0112, 1))
            except Exception:
                orientation = 1
            # Same arithmetic as derive's large rendition, so derive can reuse this decode.
            need = oriented(fit_box(oriented((width, height), orientation), DEFAULT_LARGE_BOX), orientation)
            if need != (width, height):
                im.draft(None, _decode.jpeg_draft_box((width, height), need))

        has_alpha = False
        try:
            if frames == 1:
                im.load()
                has_alpha = _has_transparency(im)
            else:
                for i in range(frames):
                    im.seek(i)
                    im.load()
                    has_alpha = has_alpha or _has_transparency(im)
                im.seek(0)
        except ImageRejected:
            raise
        except Exception as exc:
            raise _decode.decode_error(fmt, exc) from None

        if fmt != "JPEG":
            try:
                orientation = clean_orientation(im.getexif().get(0x0112, 1))
            except Exception:
                orientation = 1

        xmp = im.info.get("xmp")
        if fmt == "GIF" and not xmp:
            xmp = _gif_xmp(data)
        dst = provenance.digital_source_type(xmp, data)
        icc = im.info.get("icc_profile") or None
        upright = oriented((width, height), orientation)
        result = Probe(
            format=fmt,
            mime=MIME[fmt],
            width=upright[0],
            height=upright[1],
            frames=frames,
            animated=frames > 1,
            icc_profile=bytes(icc) if icc else None,
            digital_source_type=dst,
            ai_generated=provenance.is_ai(dst),
            orientation=orientation,
            has_alpha=has_alpha,
            lossless=fmt in ("PNG", "GIF") or (fmt == "WEBP" and _webp_lossless(data)),
            mode=im.mode,
            size_bytes=len(data),
            xmp=xmp or None,
        )
        if frames == 1:
            _decode.remember(result, _decode.Decoded(data=data, image=im, full_size=(width, height)))
            im = None  # type: ignore[assignment]  # kept for derive; do not close
        return result
    finally:
        if im is not None:
            im.close()
