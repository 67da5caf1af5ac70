"""BlurHash encoder against the reference algorithm, and the focal point helper."""

from __future__ import annotations

import pytest
from PIL import Image

from fediverse.imaging import FocalPoint, blurhash_of
from tests import imagecorpus as corpus


def _pattern() -> Image.Image:
    w, h = 24, 16
    im = Image.new("RGB", (w, h))
    for y in range(h):
        for x in range(w):
            im.putpixel((x, y), (x * 255 // (w - 1), y * 255 // (h - 1), 128 if (x // 6 + y // 4) % 2 else 40))
    return im


def test_matches_the_reference_implementation() -> None:
    # Values from the reference port of woltapp/blurhash (PyPI "blurhash" 1.1.5) on the same pixels.
    im = _pattern()
    assert blurhash_of(im) == "U$HoKe2rwxbaqRWBjte.gJfjfQfjs:WnjtfN"
    assert blurhash_of(im, 4, 3) == "L$HoKe2rwxbaqRWBjte.gJfjfQfj"
    assert blurhash_of(im, 1, 1) == "00HoKe"


def test_large_images_are_sampled_down_first_and_keep_their_colour() -> None:
    im = Image.new("RGB", (1200, 800), corpus.RED)
    h = blurhash_of(im)
    assert len(h) == 36
    assert all(abs(a - b) <= 3 for a, b in zip(corpus.blurhash_average(h), corpus.RED))


def test_transparency_is_flattened_on_white_and_other_modes_work() -> None:
    transparent = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    assert corpus.blurhash_average(blurhash_of(transparent)) == (255, 255, 255)
    assert blurhash_of(Image.new("L", (10, 10), 0))[2:6] == "0000"
    assert blurhash_of(Image.new("P", (10, 10), 0))


def test_component_counts_are_checked() -> None:
    with pytest.raises(ValueError):
        blurhash_of(_pattern(), 0, 4)
    with pytest.raises(ValueError):
        blurhash_of(_pattern(), 4, 10)


def test_focal_point() -> None:
    assert FocalPoint.parse("0.25,-0.5") == FocalPoint(0.25, -0.5)
    assert FocalPoint.parse([1, -1]).as_list() == [1.0, -1.0]
    assert FocalPoint() == FocalPoint(0.0, 0.0)
    # a click at the top-left corner of an upright 200x100 image; y grows upwards
    assert FocalPoint.from_pixels(0, 0, 200, 100) == FocalPoint(-1.0, 1.0)
    assert FocalPoint.from_pixels(150, 75, 200, 100) == FocalPoint(0.5, -0.5)
    assert FocalPoint.from_pixels(999, -5, 200, 100) == FocalPoint(1.0, 1.0)  # clamped to the image
    for bad in ("1.5,0", "x,y", "0.1", [0.1, 0.2, 0.3], [True, 0], "nan,0", None):
        with pytest.raises(ValueError):
            FocalPoint.parse(bad)
