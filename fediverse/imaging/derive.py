"""Public renditions of an accepted upload: large, display and thumbnail, plus BlurHash and the upright size.

What every rendition gets
- EXIF orientation applied to the pixels (and no orientation tag left to apply it twice).
- No metadata but the ICC profile (and, if the caller passes one, our own consent XMP packet). Renditions are
  always re-encoded from pixels into a fresh file whose info dict is empty, so EXIF (GPS included), XMP (which
  can hold ``exif:GPSLatitude``, ``photoshop:City``), IPTC, comments and PNG text chunks never reach them.
  Re-encoding even when the original would fit is deliberate: it is the only way to be sure nothing leaks, and
  at the qualities below it is visually lossless. Originals are kept privately by the caller
  (``MediaStore.put_private``); a work published "as uploaded" (Glazed art) gets the artist's own file as its
  large rendition instead, metadata removed without re-encoding (``lossless.py``).
- The ICC profile is embedded unchanged, so colours look as the artist made them. CMYK JPEGs are converted to
  RGB through their own CMYK profile (LittleCMS) when they have one and then carry no profile (sRGB); a profile
  that does not match the output's colour space is dropped rather than mislabel the pixels.

Sizes
- large: fits ``large_max`` (3840x2160) turned to the image's orientation, so a 2160x3840 portrait stays whole
  (Mastodon keeps files up to 3840x2160 = 8.3 MP unconverted). Never upscaled.
- display: longest side ``display_size`` (1280). thumbnail: longest side ``thumbnail_size`` (400).
  Each is resized (Lanczos) from the previous one, never from the original; identical sizes reuse one encoding.

Formats (the original's family, or WebP)
- JPEG -> JPEG. large q92 4:4:4 (no chroma subsampling: line art and red/blue edges stay crisp), display q88
  4:2:0, thumbnail q85 4:2:0, Huffman-optimised. Grey JPEGs stay grey; CMYK become RGB.
- PNG and still GIF -> PNG (lossless, as the artist chose). For display and thumbnail, when the PNG comes out
  photographic (over 1 byte per pixel) a WebP at q90 is also made and used if it is under half the PNG's size.
- WebP -> WebP: lossless stays lossless for the large rendition (same display/thumbnail rule as PNG),
  lossy is re-encoded at q90/q88/q85.
- AVIF -> WebP (fast to encode, shown everywhere, keeps alpha and ICC; libaom encoding is many times slower).
- Animated GIF, APNG, animated WebP and AVIF sequences -> animated WebP with the frame durations and loop
  count: lossless for the large rendition when the source is lossless, lossy q88/q85 below.
- 16-bit images become 8-bit (scaled, not clipped); palette images become RGB or RGBA; alpha is kept.

Speed: a JPEG is decoded with ``draft()`` at the smallest DCT scale that still covers the large rendition; the
decode made by ``probe`` is reused when the same bytes come back; BlurHash is computed from the thumbnail.
Pure and thread-safe: only local objects, no global Pillow state; Pillow releases the GIL while it decodes,
resizes and encodes, so a thread pool scales across cores.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, ImageCms, PngImagePlugin

from fediverse.imaging import _decode
from fediverse.imaging.blurhash import blurhash_of
from fediverse.imaging.geometry import TRANSPOSE, fit_box, fit_longest, oriented
from fediverse.imaging.probe import Probe
from fediverse.imaging.sniff import EXTENSION_OF_MIME

KINDS = ("large", "display", "thumbnail")

JPEG_SETTINGS = {
    "large": {"quality": 92, "subsampling": 0},
    "display": {"quality": 88, "subsampling": 2, "optimize": True},
    "thumbnail": {"quality": 85, "subsampling": 2, "optimize": True},
}
WEBP_LOSSY = {
    "large": {"quality": 90, "method": 2},
    "display": {"quality": 88, "method": 4},
    "thumbnail": {"quality": 85, "method": 4},
}
WEBP_LOSSLESS = {"lossless": True, "quality": 60, "method": 2}
PNG_SETTINGS = {"compress_level": 6}
ANIMATED_LOSSY = {
    "large": {"quality": 90, "method": 3},
    "display": {"quality": 88, "method": 3},
    "thumbnail": {"quality": 85, "method": 3},
}
# Lossless small renditions above this many bytes per pixel look photographic: try a lossy WebP too.
PHOTOGRAPHIC_BYTES_PER_PIXEL = 1.0
_RESAMPLE = Image.Resampling.LANCZOS
_REDUCING_GAP = 3.0


@dataclass(frozen=True)
class Rendition:
    kind: str  # "large" | "display" | "thumbnail"
    data: bytes
    mime: str
    width: int
    height: int
    animated: bool = False

    @property
    def ext(self) -> str:
        return EXTENSION_OF_MIME[self.mime]


@dataclass(frozen=True)
class Derived:
    renditions: tuple[Rendition, ...]
    blurhash: str
    width: int  # upright size of the original
    height: int

    def rendition(self, kind: str) -> Rendition:
        for r in self.renditions:
            if r.kind == kind:
                return r
        raise KeyError(kind)


# --- colour and mode -------------------------------------------------------------------------------------


def _icc_space(icc: bytes | None) -> bytes | None:
    return icc[16:20] if icc and len(icc) >= 128 else None


def _icc_for(icc: bytes | None, mode: str) -> bytes | None:
    """The profile to embed, or None when it would not describe the pixels we write (``mode``: the mode
    saved; WebP is always saved from RGB or RGBA, as libwebp stores no grey)."""
    space = _icc_space(icc)
    if space is None:
        return None
    want = b"GRAY" if mode in ("L", "LA") else b"RGB "
    return icc if space == want else None


def _sixteen_to_l(im: Image.Image) -> Image.Image:
    return im.convert("I").point(lambda v: v / 257).convert("L")


def _to_working(im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """Pixels in L, LA, RGB or RGBA; the ICC profile that still applies to them."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "LA"):
        return im, icc
    if mode == "CMYK":
        if _icc_space(icc) == b"CMYK":
            try:
                src = ImageCms.ImageCmsProfile(io.BytesIO(icc))  # type: ignore[arg-type]
                dst = ImageCms.createProfile("sRGB")
                out = ImageCms.profileToProfile(
                    im, src, dst, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
                )
                if out is not None:
                    return out, None
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass
        return im.convert("RGB"), None
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return _sixteen_to_l(im), icc
    if mode == "1":
        return im.convert("L"), icc
    if mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB"), icc
    if mode in ("PA", "RGBa", "RGBX"):
        return im.convert("RGBA" if mode != "RGBX" else "RGB"), icc
    if mode == "La":
        return im.convert("LA"), icc
    if mode in ("YCbCr", "LAB", "HSV"):
        return im.convert("RGB"), None if mode == "LAB" else icc
    if mode == "F":
        return im.convert("L"), icc
    return im.convert("RGBA" if im.has_transparency_data else "RGB"), None


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    if im.size == size:
        return im
    return im.resize(size, _RESAMPLE, reducing_gap=_REDUCING_GAP)


def _bare(im: Image.Image) -> Image.Image:
    """Forget everything Pillow read from the file (EXIF, XMP, comments, text chunks, dpi ...)."""
    im.info = {}
    return im


# --- encoders ---------------------------------------------------------------------------------------------


def _encode_jpeg(im: Image.Image, kind: str, icc: bytes | None, xmp: bytes | None) -> bytes:
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    buf = io.BytesIO()
    kwargs: dict[str, object] = dict(JPEG_SETTINGS[kind])
    if (profile := _icc_for(icc, im.mode)) is not None:
        kwargs["icc_profile"] = profile
    if xmp:
        kwargs["xmp"] = xmp
    _bare(im).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def _encode_png(im: Image.Image, icc: bytes | None, xmp: bytes | None) -> bytes:
    buf = io.BytesIO()
    kwargs: dict[str, object] = dict(PNG_SETTINGS)
    if (profile := _icc_for(icc, im.mode)) is not None:
        kwargs["icc_profile"] = profile
    if xmp:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=False)
        kwargs["pnginfo"] = info
    _bare(im).save(buf, "PNG", **kwargs)
    return buf.getvalue()


def _encode_webp(im: Image.Image, settings: Mapping[str, object], icc: bytes | None, xmp: bytes | None) -> bytes:
    if im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if im.mode in ("LA", "PA") else "RGB")
    buf = io.BytesIO()
    kwargs: dict[str, object] = dict(settings)
    if (profile := _icc_for(icc, im.mode)) is not None:
        kwargs["icc_profile"] = profile
    if xmp:
        kwargs["xmp"] = xmp
    _bare(im).save(buf, "WEBP", **kwargs)
    return buf.getvalue()


def _encode_still(
    im: Image.Image, kind: str, probe: Probe, icc: bytes | None, xmp: bytes | None
) -> tuple[bytes, str]:
    fmt = probe.format
    if fmt == "JPEG":
        return _encode_jpeg(im, kind, icc, xmp), "image/jpeg"
    if fmt == "AVIF" or (fmt == "WEBP" and not probe.lossless):
        return _encode_webp(im, WEBP_LOSSY[kind], icc, xmp), "image/webp"
    # lossless sources: PNG, still GIF, lossless WebP
    if fmt == "WEBP":
        data, mime = _encode_webp(im, WEBP_LOSSLESS, icc, xmp), "image/webp"
    else:
        data, mime = _encode_png(im, icc, xmp), "image/png"
    if kind != "large" and len(data) > PHOTOGRAPHIC_BYTES_PER_PIXEL * im.width * im.height:
        lossy = _encode_webp(im, {"quality": 90, "method": 4}, icc, xmp)
        if len(lossy) * 2 < len(data):
            return lossy, "image/webp"
    return data, mime


def _encode_animation(
    frames: list[Image.Image],
    durations: list[int],
    loop: int,
    kind: str,
    lossless: bool,
    icc: bytes | None,
    xmp: bytes | None,
) -> bytes:
    settings: dict[str, object] = dict(WEBP_LOSSLESS) if (lossless and kind == "large") else dict(ANIMATED_LOSSY[kind])
    first = frames[0]
    if (profile := _icc_for(icc, first.mode)) is not None:
        settings["icc_profile"] = profile
    if xmp:
        settings["xmp"] = xmp
    buf = io.BytesIO()
    for f in frames:
        _bare(f)
    first.save(
        buf,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=loop,
        **settings,
    )
    return buf.getvalue()


# --- the pipeline ---------------------------------------------------------------------------------------


def _targets(
    upright: tuple[int, int], large_max: tuple[int, int], display_size: int, thumbnail_size: int
) -> dict[str, tuple[int, int]]:
    large = fit_box(upright, large_max)
    display = fit_longest(large, display_size)
    thumbnail = fit_longest(display, thumbnail_size)
    return {"large": large, "display": display, "thumbnail": thumbnail}


def _decode_still(data: bytes, probe: Probe, need_stored: tuple[int, int]) -> Image.Image:
    # Reuse probe's decode only when it is exactly what a fresh decode would give, so the renditions (and so
    # their content-addressed keys) never depend on whether probe and derive ran in the same process.
    kept = _decode.take(probe, data)
    if kept is not None:
        fresh = kept.full_size
        if probe.format == "JPEG":
            fresh = _decode.jpeg_draft_size(kept.full_size, need_stored)
        if kept.image.size == fresh:
            return kept.image
    im = _decode.open_image(data, probe.format)
    try:
        if probe.format == "JPEG" and need_stored != im.size:
            im.draft(None, _decode.jpeg_draft_box(im.size, need_stored))
        im.load()
    except Exception as exc:
        raise _decode.decode_error(probe.format, exc) from None
    return im


def _derive_still(
    data: bytes, probe: Probe, targets: dict[str, tuple[int, int]], xmp: bytes | None
) -> tuple[list[Rendition], Image.Image]:
    orientation = probe.orientation
    need_stored = oriented(targets["large"], orientation)
    im = _decode_still(data, probe, need_stored)
    im, icc = _to_working(im, probe.icc_profile)

    large = _resize(im, need_stored)
    if orientation in TRANSPOSE:
        large = large.transpose(TRANSPOSE[orientation])
    if large is im:
        large = im.copy()  # never re-save the decoded object itself
    display = _resize(large, targets["display"])
    thumbnail = _resize(display, targets["thumbnail"])

    renditions: list[Rendition] = []
    previous: Rendition | None = None
    for kind, image in (("large", large), ("display", display), ("thumbnail", thumbnail)):
        if previous is not None and (previous.width, previous.height) == image.size:
            rendition = Rendition(kind, previous.data, previous.mime, previous.width, previous.height)
        else:
            encoded, mime = _encode_still(image, kind, probe, icc, xmp)
            rendition = Rendition(kind, encoded, mime, image.width, image.height)
        renditions.append(rendition)
        previous = rendition
    return renditions, thumbnail


def _derive_animated(
    data: bytes, probe: Probe, targets: dict[str, tuple[int, int]], xmp: bytes | None
) -> tuple[list[Rendition], Image.Image]:
    orientation = probe.orientation
    need_stored = oriented(targets["large"], orientation)
    mode = "RGBA" if probe.has_alpha else "RGB"
    im = _decode.open_image(data, probe.format)
    large_frames: list[Image.Image] = []
    durations: list[int] = []
    icc = probe.icc_profile
    try:
        for i in range(probe.frames):
            im.seek(i)
            im.load()
            duration = int(im.info.get("duration") or 0)
            if probe.format == "GIF" and duration < 20:
                duration = 100  # what browsers do with 0-10 ms GIF delays
            durations.append(max(1, duration))
            # Animation frames decode as P, L, LA, RGB or RGBA (never CMYK): every frame keeps the profile alike.
            frame, icc = _to_working(im, probe.icc_profile)
            if frame.mode != mode:
                frame = frame.convert(mode)
            elif frame is im:
                frame = im.copy()
            frame = _resize(frame, need_stored)
            if orientation in TRANSPOSE:
                frame = frame.transpose(TRANSPOSE[orientation])
            large_frames.append(frame)
        loop = im.info.get("loop")
    except Exception as exc:
        raise _decode.decode_error(probe.format, exc) from None
    finally:
        im.close()
    loop = 1 if loop is None else int(loop)  # GIF without a NETSCAPE loop block plays once; 0 = forever

    display_frames = [_resize(f, targets["display"]) for f in large_frames]
    thumbnail_frames = [_resize(f, targets["thumbnail"]) for f in display_frames]
    renditions: list[Rendition] = []
    previous: Rendition | None = None
    for kind, frames in (("large", large_frames), ("display", display_frames), ("thumbnail", thumbnail_frames)):
        size = frames[0].size
        if previous is not None and (previous.width, previous.height) == size:
            rendition = Rendition(kind, previous.data, previous.mime, size[0], size[1], True)
        else:
            encoded = _encode_animation(frames, durations, loop, kind, probe.lossless, icc, xmp)
            rendition = Rendition(kind, encoded, "image/webp", size[0], size[1], True)
        renditions.append(rendition)
        previous = rendition
    return renditions, thumbnail_frames[0]


def derive(
    data: bytes,
    probe: Probe,
    *,
    large_max: tuple[int, int],
    display_size: int,
    thumbnail_size: int,
    xmp: bytes | None = None,
) -> Derived:
    """Renditions (large, display, thumbnail, in that order), BlurHash and upright size of a probed upload.

    ``xmp``: an XMP packet of ours (the consent stamp) to embed in every rendition; nothing from the upload's
    own metadata is ever copied. Raises ``ImageRejected`` if the bytes cannot be decoded after all.
    """
    upright = (probe.width, probe.height)
    targets = _targets(upright, large_max, display_size, thumbnail_size)
    if probe.animated:
        renditions, small = _derive_animated(data, probe, targets, xmp)
    else:
        renditions, small = _derive_still(data, probe, targets, xmp)
    return Derived(renditions=tuple(renditions), blurhash=blurhash_of(small), width=upright[0], height=upright[1])
