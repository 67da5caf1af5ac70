"""Opening and decoding bytes with one Pillow plugin, chosen by our own sniffing.

We instantiate the plugin class directly instead of calling ``Image.open``: the format is already known (so no
other plugin ever sees the bytes), and Pillow's global ``MAX_IMAGE_PIXELS`` check is bypassed because ``probe``
applies the per-instance pixel limit itself, per call, before anything is decoded. No global Pillow setting is
read or changed, which keeps this code safe to run in many threads at once.

``probe`` decodes the image to check it; the result is kept for ``derive`` in a small side table keyed by the
``Probe`` object, so the common path (probe then derive on the same bytes) decodes a still image only once. The
entry holds the source bytes and dies with the ``Probe`` (``weakref.finalize``) or when ``derive`` takes it.
"""

from __future__ import annotations

import io
import threading
import weakref
from dataclasses import dataclass

from PIL import Image, ImageFile

from fediverse.imaging.errors import CORRUPT, TRUNCATED, ImageRejected
from fediverse.imaging.sniff import DISPLAY_NAME


def plugin_class(fmt: str) -> type[ImageFile.ImageFile]:
    if fmt == "JPEG":
        from PIL import JpegImagePlugin

        return JpegImagePlugin.JpegImageFile
    if fmt == "PNG":
        from PIL import PngImagePlugin

        return PngImagePlugin.PngImageFile
    if fmt == "GIF":
        from PIL import GifImagePlugin

        return GifImagePlugin.GifImageFile
    if fmt == "WEBP":
        from PIL import WebPImagePlugin

        return WebPImagePlugin.WebPImageFile
    if fmt == "AVIF":
        from PIL import AvifImagePlugin

        return AvifImagePlugin.AvifImageFile
    raise ValueError(f"no decoder for {fmt}")


def open_image(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Parse the headers (no pixel decoding). Raises ImageRejected for unreadable headers."""
    try:
        return plugin_class(fmt)(io.BytesIO(data))
    except Exception as exc:  # Pillow raises SyntaxError, OSError, ValueError, struct.error, EOFError ...
        raise decode_error(fmt, exc) from None


def decode_error(fmt: str, exc: BaseException) -> ImageRejected:
    name = DISPLAY_NAME.get(fmt, fmt)
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text or "premature end" in text or "not enough data" in text:
        return ImageRejected(f"{name} data is truncated", TRUNCATED)
    return ImageRejected(f"{name} data is corrupt ({_short(exc)})", CORRUPT)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def jpeg_draft_box(size: tuple[int, int], need: tuple[int, int]) -> tuple[int, int]:
    """The request to give ``draft()`` so that the decoded image is at least ``need`` (never larger than size)."""
    return (min(size[0], max(1, need[0])), min(size[1], max(1, need[1])))


def jpeg_draft_size(size: tuple[int, int], need: tuple[int, int]) -> tuple[int, int]:
    """The size ``draft()`` decodes to for that request (JpegImagePlugin's rule: DCT scale 1, 2, 4 or 8)."""
    box = jpeg_draft_box(size, need)
    scale = min(size[0] // box[0], size[1] // box[1])
    s = next(s for s in (8, 4, 2, 1) if scale >= s)
    return ((size[0] + s - 1) // s, (size[1] + s - 1) // s)


@dataclass
class Decoded:
    data: bytes  # the exact bytes decoded (identity-checked by derive)
    image: Image.Image  # loaded, maybe at a reduced JPEG draft scale
    full_size: tuple[int, int]  # the stored (un-oriented) size of the file


_lock = threading.Lock()
_cache: dict[int, Decoded] = {}


def remember(owner: object, entry: Decoded) -> None:
    key = id(owner)
    with _lock:
        _cache[key] = entry
    # The finalizer must not hold the entry itself (that would keep the pixels alive after derive took them).
    weakref.finalize(owner, _forget, key, id(entry))


def _forget(key: int, token: int) -> None:
    with _lock:
        entry = _cache.get(key)
        if entry is not None and id(entry) == token:
            del _cache[key]


def take(owner: object, data: bytes) -> Decoded | None:
    """The decode that probe kept for these very bytes, removed from the table; None if there is none."""
    key = id(owner)
    with _lock:
        entry = _cache.get(key)
        if entry is None or entry.data is not data:
            return None
        del _cache[key]
    return entry
