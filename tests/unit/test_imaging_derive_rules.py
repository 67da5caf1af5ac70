"""derive(): each rendition is exactly the documented encoding of its pixels, and the rules that choose between
encodings hold at their edges (written from the survivors of scripts/mutation.sh derive).

The expected bytes are made here with Pillow from the same pixels and the settings the module docstring
promises (JPEG q92 4:4:4 / q88 4:2:0 / q85 4:2:0 optimised, PNG level 6, WebP q90/q88/q85, lossless WebP, ...):
a rendition encoded with any other setting, from other pixels or with any metadata left on them differs.
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops, features

from fediverse.imaging import Derived, derive, probe
from fediverse.imaging.derive import _to_working
from tests import imagecorpus as corpus

LIMITS = {"max_bytes": 40 * 1024 * 1024, "max_pixels": 100_000_000}
SMALL = {"large_max": (160, 120), "display_size": 80, "thumbnail_size": 32}
KINDS = ("large", "display", "thumbnail")


def _derive(data: bytes, sizes: dict = SMALL, **kwargs: object) -> Derived:  # type: ignore[type-arg]
    return derive(data, probe(data, **LIMITS), **sizes, **kwargs)


def _encode(im: Image.Image, fmt: str, **settings: object) -> bytes:
    clean = im.copy()
    clean.info = {}
    buf = io.BytesIO()
    clean.save(buf, fmt, **settings)
    return buf.getvalue()


def _shrink(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Lanczos with a reducing gap of 3, each size from the one before (as the docstring says)."""
    return im if im.size == size else im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _chain(large: Image.Image, sizes: list[tuple[int, int]]) -> list[Image.Image]:
    images = [large]
    for size in sizes:
        images.append(_shrink(images[-1], size))
    return images


# --- still images: the exact encodings ----------------------------------------------------------------------


def test_a_jpeg_is_draft_decoded_and_encoded_q92_444_then_q88_and_q85_420_optimised() -> None:
    data = corpus.jpeg(corpus.photo(640, 480))
    source = Image.open(io.BytesIO(data))
    source.draft(None, (160, 120))  # the smallest DCT scale that still covers the large rendition
    source.load()
    assert source.size == (160, 120)
    large, display, thumbnail = _chain(source, [(80, 60), (32, 24)])
    expected = [
        _encode(large, "JPEG", quality=92, subsampling=0),
        _encode(display, "JPEG", quality=88, subsampling=2, optimize=True),
        _encode(thumbnail, "JPEG", quality=85, subsampling=2, optimize=True),
    ]
    d = _derive(data)
    assert [r.data for r in d.renditions] == expected
    assert [r.mime for r in d.renditions] == ["image/jpeg"] * 3
    assert not any(r.animated for r in d.renditions)


def test_a_grey_jpeg_stays_grey() -> None:
    grey = corpus.photo(160, 120).convert("L")
    data = corpus.jpeg(grey)
    large, display, thumbnail = _chain(_decode(data), [(80, 60), (32, 24)])
    d = _derive(data)
    assert [r.data for r in d.renditions] == [
        _encode(large, "JPEG", quality=92, subsampling=0),
        _encode(display, "JPEG", quality=88, subsampling=2, optimize=True),
        _encode(thumbnail, "JPEG", quality=85, subsampling=2, optimize=True),
    ]
    assert {_decode(r.data).mode for r in d.renditions} == {"L"}


def test_a_graphic_png_is_png_at_level_6_in_every_size() -> None:
    im = Image.new("RGB", (160, 120), (250, 250, 250))
    im.paste((20, 20, 20), (10, 10, 100, 60))
    # 160 -> 24 is a reduction by 6.7: a reducing gap of 3 (not 2, not 4) shrinks by 2 before the Lanczos pass
    d = _derive(corpus.encode(im, "PNG"), {"large_max": (160, 120), "display_size": 24, "thumbnail_size": 8})
    assert [r.data for r in d.renditions] == [_encode(x, "PNG", compress_level=6) for x in _chain(im, [(24, 18), (8, 6)])]


def test_a_sixteen_bit_grey_ramp_comes_out_as_the_exact_eight_bit_ramp() -> None:
    d = _derive(corpus.png16_gray(), {"large_max": (256, 8), "display_size": 256, "thumbnail_size": 256})
    im = _decode(d.rendition("large").data)
    assert im.mode == "L"
    assert [im.getpixel((x, 4)) for x in range(256)] == list(range(256))  # 257 * x -> x, for every x


def test_our_xmp_stamp_is_stored_verbatim_where_any_reader_finds_it() -> None:
    """Uncompressed, as the XMP specification asks of a PNG iTXt chunk (and as JPEG APP1 and WebP store it)."""
    stamp = corpus.xmp_packet("digitalCreation")
    for data in (corpus.png_alpha(), corpus.jpeg(corpus.photo(64, 48)), corpus.webp(), corpus.animated_gif()):
        for r in _derive(data, xmp=stamp).renditions:
            assert stamp in r.data, (r.kind, r.mime)


@pytest.mark.parametrize(
    ("probed", "given"),
    [
        (lambda: corpus.jpeg(corpus.photo(320, 240, seed=9)), corpus.truncated_jpeg),
        (corpus.animated_gif, lambda: corpus.animated_gif()[:300]),
    ],
)
def test_bytes_that_fail_to_decode_after_all_are_an_image_rejected(
    probed: Callable[[], bytes], given: Callable[[], bytes]
) -> None:
    """A caller mix-up (other bytes than the probed ones) is refused as an upload, never a raw Pillow error."""
    from fediverse.imaging import ImageRejected

    with pytest.raises(ImageRejected):
        derive(given(), probe(probed(), **LIMITS), **SMALL)


def _cmyk_profile(lab_of: Callable[[int, int, int, int], tuple[int, int, int]]) -> bytes:
    """A minimal ICC v2 CMYK output profile whose A2B0 (a 2-point lut8) maps each CMYK corner to lab_of(c,m,y,k)."""
    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    identity = b"".join(s15(1.0 if i == j else 0.0) for i in range(3) for j in range(3))
    ramp = bytes(range(256))
    clut = b""
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    L, a, b = lab_of(c, m, y, k)
                    clut += bytes([round(L * 255 / 100), a + 128, b + 128])
    a2b0 = b"mft1" + b"\0" * 4 + bytes([4, 3, 2, 0]) + identity + ramp * 4 + clut + ramp * 3
    wtpt = b"XYZ " + b"\0" * 4 + s15(0.9642) + s15(1.0) + s15(0.8249)
    desc_text = b"test CMYK\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 4 + b"\0" * 4 + b"\0" * 3 + b"\0" * 67
    tags = [(b"desc", desc), (b"wtpt", wtpt), (b"A2B0", a2b0)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"prtr" + b"CMYK" + b"Lab "
              + b"\0" * 12 + b"acsp" + b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28)
    assert len(header) == 128
    return header + table + body


def test_a_cmyk_jpeg_is_converted_through_its_own_profile() -> None:
    # a deliberately odd press: its cyan prints red, so only a conversion through the profile gives red
    profile = _cmyk_profile(lambda c, m, y, k: (54, 80, 67) if (c, m, y, k) == (1, 0, 0, 0) else (100 - 100 * k, 0, 0))
    data = corpus.jpeg(Image.new("CMYK", (64, 48), (255, 0, 0, 0)), icc_profile=profile)
    for r in _derive(data).renditions:
        im = _decode(r.data)
        assert im.mode == "RGB" and "icc_profile" not in im.info  # sRGB pixels now, no profile to mislabel them
        assert all(abs(a - b) <= 16 for a, b in zip(im.getpixel((10, 10)), (253, 7, 10))), (r.kind, im.getpixel((10, 10)))


@pytest.mark.parametrize(
    "broken",
    [
        lambda: _profile(b"CMYK", 200),  # says CMYK but LittleCMS cannot open it
        lambda: _cmyk_profile(lambda c, m, y, k: (50, 0, 0))[:300],  # opens, but cannot build a transform
    ],
)
def test_a_cmyk_jpeg_with_a_broken_cmyk_profile_is_still_converted(broken: Callable[[], bytes]) -> None:
    data = corpus.jpeg(Image.new("CMYK", (64, 48), (255, 0, 0, 0)), icc_profile=broken())
    for r in _derive(data).renditions:
        im = _decode(r.data)
        assert im.mode == "RGB" and "icc_profile" not in im.info
        assert all(abs(a - b) <= 12 for a, b in zip(im.getpixel((10, 10)), (0, 255, 255))), r.kind


def test_a_still_gif_becomes_an_rgb_png() -> None:
    data = corpus.static_gif()
    rgb = _decode(data).convert("RGB")
    d = _derive(data, {"large_max": (64, 48), "display_size": 32, "thumbnail_size": 16})
    assert [r.data for r in d.renditions] == [_encode(x, "PNG", compress_level=6) for x in _chain(rgb, [(32, 24), (16, 12)])]


def _lossy_webp_expected(source: Image.Image) -> list[bytes]:
    large, display, thumbnail = _chain(source, [(80, 60), (32, 24)])
    return [
        _encode(large, "WEBP", quality=90, method=2),
        _encode(display, "WEBP", quality=88, method=4),
        _encode(thumbnail, "WEBP", quality=85, method=4),
    ]


def test_a_lossy_webp_is_reencoded_at_q90_q88_q85() -> None:
    data = corpus.encode(corpus.photo(160, 120, seed=4), "WEBP", quality=90)
    d = _derive(data)
    assert [r.data for r in d.renditions] == _lossy_webp_expected(_decode(data))
    assert [r.mime for r in d.renditions] == ["image/webp"] * 3


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_an_avif_becomes_a_lossy_webp_at_q90_q88_q85() -> None:
    data = corpus.encode(corpus.photo(160, 120, seed=5), "AVIF", quality=80)
    d = _derive(data)
    assert [r.data for r in d.renditions] == _lossy_webp_expected(_decode(data).convert("RGB"))


def test_a_lossless_webp_stays_lossless_large_and_photographic_smaller_ones_turn_lossy() -> None:
    data = corpus.encode(corpus.photo(160, 120, seed=4), "WEBP", lossless=True)
    large, display, thumbnail = _chain(_decode(data), [(80, 60), (32, 24)])
    d = _derive(data)
    assert [r.data for r in d.renditions] == [
        _encode(large, "WEBP", lossless=True, quality=60, method=2),
        _encode(display, "WEBP", quality=90, method=4),
        _encode(thumbnail, "WEBP", quality=90, method=4),
    ]


# --- the photographic rule for lossless sources ---------------------------------------------------------------


def _gradient(width: int, height: int) -> Image.Image:
    bands = [Image.linear_gradient("L"), Image.radial_gradient("L"), Image.linear_gradient("L").rotate(90)]
    return Image.merge("RGB", [b.resize((width, height)) for b in bands])


def _faint_noise(width: int, height: int) -> Image.Image:
    rnd = random.Random(1)
    noise = Image.merge("RGB", [corpus.seeded_noise(rnd, width, height, 2) for _ in range(3)])
    return ImageChops.add(_gradient(width, height), noise, scale=1.0, offset=-128)


TINY = {"large_max": (64, 48), "display_size": 16, "thumbnail_size": 8}


@pytest.mark.parametrize(
    ("source", "sizes", "kind", "bytes_per_pixel", "webp_share", "mime"),
    [
        # smooth: under a byte per pixel, so PNG although the WebP is far smaller
        (lambda: _gradient(160, 120), SMALL, "display", (0.1, 0.9), (0.1, 0.45), "image/png"),
        # faint noise: between one and two bytes per pixel and the WebP under half: WebP
        (lambda: _faint_noise(160, 120), SMALL, "display", (1.1, 1.9), (0.02, 0.45), "image/webp"),
        # a small photo: the WebP between a third and a half of the PNG: WebP
        (lambda: corpus.photo(64, 48, seed=7), TINY, "display", (2.1, 9.0), (0.36, 0.47), "image/webp"),
        # a tiny photo: the WebP over half the PNG (its headers weigh): PNG
        (lambda: corpus.photo(64, 48, seed=7), TINY, "thumbnail", (2.1, 9.0), (0.55, 0.95), "image/png"),
    ],
)
def test_a_smaller_rendition_of_a_png_turns_webp_only_when_photographic_and_under_half_the_size(
    source: Callable[[], Image.Image],
    sizes: dict,  # type: ignore[type-arg]
    kind: str,
    bytes_per_pixel: tuple[float, float],
    webp_share: tuple[float, float],
    mime: str,
) -> None:
    """Photographic: over 1 byte per pixel as PNG; the WebP (q90) is used when under half the PNG's size."""
    im = source()
    d = _derive(corpus.encode(im, "PNG"), sizes)
    pixels = _chain(im, [(r.width, r.height) for r in d.renditions[1:]])[KINDS.index(kind)]
    png = _encode(pixels, "PNG", compress_level=6)
    webp = _encode(pixels, "WEBP", quality=90, method=4)
    # the premises, clear of the edges (and of a third and a whole, the edges a changed factor would move to)
    assert bytes_per_pixel[0] < len(png) / (pixels.width * pixels.height) < bytes_per_pixel[1]
    assert webp_share[0] < len(webp) / len(png) < webp_share[1]
    r = d.rendition(kind)
    assert (r.mime, r.data) == (mime, webp if mime == "image/webp" else png)
    assert d.rendition("large").mime == "image/png"  # the large one always stays lossless


# --- reusing one encoding -------------------------------------------------------------------------------------


def test_renditions_of_the_same_size_share_one_encoding_made_for_the_larger_kind() -> None:
    d = _derive(corpus.jpeg(corpus.photo(40, 30)))
    large, display, thumbnail = d.renditions
    assert (large.width, large.height) == (display.width, display.height) == (40, 30)
    assert display.data == large.data and display.mime == large.mime
    assert thumbnail.data != large.data and (thumbnail.width, thumbnail.height) == (32, 24)
    gif = _derive(corpus.animated_gif(), {"large_max": (64, 48), "display_size": 64, "thumbnail_size": 32})
    assert gif.rendition("display").data == gif.rendition("large").data
    assert gif.rendition("display").animated and (gif.rendition("display").width, gif.rendition("display").height) == (64, 48)
    assert gif.rendition("thumbnail").data != gif.rendition("large").data


def test_asking_for_a_kind_that_does_not_exist_is_a_key_error() -> None:
    d = _derive(corpus.jpeg(corpus.photo(40, 30)))
    assert d.rendition("thumbnail").ext == "jpg"
    kind = "".join(["dis", "play"])  # as read from a URL or a row: equal, not the same string object
    assert d.rendition(kind) is d.renditions[1]
    with pytest.raises(KeyError):
        d.rendition("poster")


def test_derived_renditions_cannot_be_altered_once_made() -> None:
    import dataclasses

    d = _derive(corpus.jpeg(corpus.photo(40, 30)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.blurhash = "L00000fQfQfQfQfQfQfQfQfQfQfQ"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.renditions[0].data = b""  # type: ignore[misc]


# --- animation --------------------------------------------------------------------------------------------------


def _frames(data: bytes) -> tuple[list[Image.Image], list[int], int | None]:
    im = Image.open(io.BytesIO(data))
    frames, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        im.load()
        frames.append(im.convert("RGB"))
        durations.append(int(im.info.get("duration") or 0))
    return frames, durations, im.info.get("loop")


def _animation(frames: list[Image.Image], durations: list[int], loop: int, **settings: object) -> bytes:
    clean = [f.copy() for f in frames]
    for f in clean:
        f.info = {}
    buf = io.BytesIO()
    clean[0].save(buf, "WEBP", save_all=True, append_images=clean[1:], duration=durations, loop=loop, **settings)
    return buf.getvalue()


ANIMATION_SIZES = {"large_max": (64, 48), "display_size": 40, "thumbnail_size": 20}


def test_an_animated_gif_is_a_lossless_webp_large_and_lossy_q88_q85_below() -> None:
    data = corpus.animated_gif()
    assert not probe(data, **LIMITS).has_alpha
    frames, durations, loop = _frames(data)
    assert durations == [100, 200, 300] and loop == 0
    display = [_shrink(f, (40, 30)) for f in frames]
    thumbnail = [_shrink(f, (20, 15)) for f in display]
    d = _derive(data, ANIMATION_SIZES)
    assert [r.data for r in d.renditions] == [
        _animation(frames, durations, 0, lossless=True, quality=60, method=2),
        _animation(display, durations, 0, quality=88, method=3),
        _animation(thumbnail, durations, 0, quality=85, method=3),
    ]
    assert all(r.animated and r.mime == "image/webp" for r in d.renditions)


def test_a_lossy_animated_webp_is_lossy_q90_q88_q85_and_each_frame_keeps_its_picture() -> None:
    data = corpus.animated_webp()  # 64x48, red then blue, at its own size: the frames are not resized
    frames, durations, _ = _frames(data)
    display = [_shrink(f, (40, 30)) for f in frames]
    thumbnail = [_shrink(f, (20, 15)) for f in display]
    d = _derive(data, ANIMATION_SIZES)
    assert [r.data for r in d.renditions] == [
        _animation(frames, durations, 0, quality=90, method=3),
        _animation(display, durations, 0, quality=88, method=3),
        _animation(thumbnail, durations, 0, quality=85, method=3),
    ]
    large, _, _ = _frames(d.rendition("large").data)
    assert [f.getpixel((32, 24)) for f in large] != [large[0].getpixel((32, 24))] * 2  # not the last frame twice


def _gif(durations: list[int], **kwargs: object) -> bytes:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    images = [Image.new("RGB", (32, 24), colours[i]) for i in range(len(durations))]
    return corpus.encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=durations, **kwargs)


def test_gif_delays_under_20_ms_play_at_100_ms_as_browsers_do() -> None:
    d = _derive(_gif([0, 10, 20, 30], loop=0), ANIMATION_SIZES)
    assert _frames(d.rendition("large").data)[1] == [100, 100, 20, 30]


def test_webp_and_apng_delays_are_kept_and_zero_becomes_one_ms() -> None:
    images = [Image.new("RGBA", (32, 24), (*c, 255)) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    for fmt in ("WEBP", "PNG"):
        data = corpus.encode(images[0], fmt, save_all=True, append_images=images[1:], duration=[0, 10, 20], loop=0)
        d = _derive(data, ANIMATION_SIZES)
        assert _frames(d.rendition("large").data)[1] == [1, 10, 20], fmt


@pytest.mark.parametrize(("kwargs", "loop"), [({}, 1), ({"loop": 3}, 3), ({"loop": 0}, 0)])
def test_a_gif_plays_as_often_as_its_loop_block_says_and_once_without_one(kwargs: dict, loop: int) -> None:  # type: ignore[type-arg]
    d = _derive(_gif([50, 60, 70], **kwargs), ANIMATION_SIZES)
    for r in d.renditions:
        assert _frames(r.data)[2] == loop


def test_an_animation_keeps_its_colour_profile() -> None:
    icc = corpus.srgb_icc()
    images = [Image.new("RGB", (32, 24), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = corpus.encode(images[0], "WEBP", save_all=True, append_images=images[1:], duration=[100, 100], icc_profile=icc)
    for r in _derive(data, ANIMATION_SIZES).renditions:
        assert _decode(r.data).info.get("icc_profile") == icc, r.kind


def test_the_blurhash_of_an_animation_is_its_first_frame() -> None:
    d = _derive(corpus.animated_gif(), ANIMATION_SIZES)  # red, green, blue
    red = corpus.blurhash_average(d.blurhash)
    assert abs(red[0] - corpus.RED[0]) < 30 and red[2] < 80, red


# --- alpha in WebP renditions ---------------------------------------------------------------------------------


def _half_transparent(im: Image.Image) -> Image.Image:
    """``im`` with its left half opaque and its right half at alpha 128."""
    alpha = Image.new("L", im.size, 128)
    alpha.paste(255, (0, 0, im.width // 2, im.height))
    im = im.copy()
    im.putalpha(alpha)
    return im


def _assert_half_transparent(data: bytes) -> None:
    im = _decode(data)
    assert im.mode == "RGBA"
    assert im.getpixel((2, 2))[3] == 255 and abs(im.getpixel((im.width - 3, 2))[3] - 128) <= 4


def test_a_lossy_webp_with_alpha_keeps_it_in_every_rendition() -> None:
    data = corpus.encode(_half_transparent(corpus.photo(160, 120).convert("RGBA")), "WEBP", quality=90)
    for r in _derive(data).renditions:
        _assert_half_transparent(r.data)


def test_an_animation_with_alpha_keeps_it_in_every_rendition() -> None:
    frames = [_half_transparent(Image.new("RGB", (64, 48), c)) for c in ((220, 20, 30), (20, 40, 220))]
    data = corpus.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=[100, 100], lossless=True)
    for r in _derive(data, ANIMATION_SIZES).renditions:
        assert r.animated
        _assert_half_transparent(r.data)


def test_a_grey_png_with_alpha_keeps_it_when_its_smaller_renditions_turn_webp() -> None:
    noise = corpus.seeded_noise(random.Random(2), 160, 120, 40)
    grey = ImageChops.add(Image.linear_gradient("L").resize((160, 120)), noise, scale=1.0, offset=-128)
    d = _derive(corpus.encode(_half_transparent(grey.convert("LA")), "PNG"))
    assert [r.mime for r in d.renditions] == ["image/png", "image/webp", "image/webp"]  # photographic below large
    for r in d.renditions[1:]:
        _assert_half_transparent(r.data)


# --- colour profiles --------------------------------------------------------------------------------------------


def _profile(space: bytes, length: int) -> bytes:
    """An ICC header naming ``space`` (bytes 16-19), ``length`` bytes long."""
    header = bytearray(max(length, 20))
    header[0:4] = struct.pack(">I", length)
    header[16:20] = space
    return bytes(header[:length])


@pytest.mark.parametrize(
    ("mode", "space", "length", "kept"),
    [
        ("RGB", b"RGB ", 128, True),  # a bare 128-byte header is a profile
        ("RGB", b"RGB ", 127, False),  # shorter is none
        ("RGB", b"GRAY", 128, False),  # a grey profile does not describe RGB pixels
        ("L", b"GRAY", 128, True),
        ("L", b"RGB ", 128, False),
    ],
)
def test_a_profile_is_embedded_only_when_it_is_one_and_describes_the_pixels(
    mode: str, space: bytes, length: int, kept: bool
) -> None:
    icc = _profile(space, length)
    data = corpus.jpeg(corpus.photo(64, 48).convert(mode), icc_profile=icc)
    assert _decode(data).info.get("icc_profile") == icc  # the upload carries it
    for r in _derive(data).renditions:
        assert _decode(r.data).info.get("icc_profile") == (icc if kept else None), r.kind


# --- every Pillow mode becomes one of the four working modes ----------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "working", "keeps_profile"),
    [
        ("RGB", "RGB", True), ("RGBA", "RGBA", True), ("L", "L", True), ("LA", "LA", True),
        ("1", "L", True), ("P", "RGB", True), ("PA", "RGBA", True), ("RGBa", "RGBA", True),
        ("RGBX", "RGB", True), ("La", "LA", True), ("YCbCr", "RGB", True), ("HSV", "RGB", True),
        ("LAB", "RGB", False), ("F", "L", True), ("I", "L", True), ("I;16", "L", True),
        ("I;16B", "L", True), ("I;16L", "L", True), ("I;16N", "L", True), ("CMYK", "RGB", False),
    ],
)
def test_every_pillow_mode_becomes_a_working_mode(mode: str, working: str, keeps_profile: bool) -> None:
    im = Image.new(mode, (4, 3))
    icc = corpus.srgb_icc()
    out, profile = _to_working(im, icc)
    assert out.mode == working
    assert profile == (icc if keeps_profile else None)


def test_a_palette_with_a_transparent_colour_becomes_rgba() -> None:
    im = Image.new("P", (4, 3))
    im.info["transparency"] = 0
    assert _to_working(im, None)[0].mode == "RGBA"


def test_the_whole_sixteen_bit_range_is_scaled_evenly_onto_eight_bits() -> None:
    """Every level v of 0..65535 becomes v * 255 // 65535: scaled (65535 -> 255), never clipped nor shifted."""
    ramp = Image.new("I;16", (256, 256))
    ramp.frombytes(b"".join(struct.pack("<H", v) for v in range(65536)))
    d = _derive(corpus.encode(ramp, "PNG"), {"large_max": (256, 256), "display_size": 256, "thumbnail_size": 256})
    grey = _decode(d.rendition("large").data)
    assert grey.tobytes() == bytes(v * 255 // 65535 for v in range(65536))


def test_a_detailed_animation_is_encoded_at_the_documented_settings_in_every_size() -> None:
    frames = [corpus.photo(64, 48, seed=s) for s in (1, 2)]
    data = corpus.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=[100, 100], loop=0,
                         quality=95)
    decoded, durations, _ = _frames(data)
    display = [_shrink(f, (40, 30)) for f in decoded]
    thumbnail = [_shrink(f, (20, 15)) for f in display]
    assert [r.data for r in _derive(data, ANIMATION_SIZES).renditions] == [
        _animation(decoded, durations, 0, quality=90, method=3),
        _animation(display, durations, 0, quality=88, method=3),
        _animation(thumbnail, durations, 0, quality=85, method=3),
    ]
