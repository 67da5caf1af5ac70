"""Sizes of renditions and EXIF orientation, as plain arithmetic (no pixels)."""

from __future__ import annotations

from PIL import Image

# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose does).
TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def clean_orientation(value: object) -> int:
    try:
        v = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 1
    return v if 1 <= v <= 8 else 1


def swaps_axes(orientation: int) -> bool:
    return orientation in (5, 6, 7, 8)


def oriented(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """The upright size of an image stored as ``size`` with this EXIF orientation."""
    return (size[1], size[0]) if swaps_axes(orientation) else size


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    if scale >= 1:
        return size
    return (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))


def fit_box(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Largest size with the same aspect that fits ``box`` turned to match the image (never upscales).

    The box follows the image's orientation: with 3840x2160, a portrait fits 2160x3840. That is what the limit
    stands for (Mastodon keeps originals up to 8,294,400 pixels = 3840x2160 in either orientation).
    """
    w, h = size
    long_side, short_side = max(box), min(box)
    bw, bh = (long_side, short_side) if w >= h else (short_side, long_side)
    return _scaled(size, min(bw / w, bh / h))


def fit_longest(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """Same aspect, longest side at most ``longest`` (never upscales)."""
    return _scaled(size, longest / max(size))
