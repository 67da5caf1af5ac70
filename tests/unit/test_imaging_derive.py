"""derive(): sizes, orientation, metadata stripping, colour profiles, formats, animation, BlurHash."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageStat

from fediverse.imaging import Derived, Probe, derive, probe
from tests import imagecorpus as corpus

LIMITS = {"max_bytes": 40 * 1024 * 1024, "max_pixels": 100_000_000}
SMALL = {"large_max": (160, 120), "display_size": 80, "thumbnail_size": 32}
DEFAULT = {"large_max": (3840, 2160), "display_size": 1280, "thumbnail_size": 400}


def _run(data: bytes, sizes: dict = SMALL, **kwargs: object) -> tuple[Probe, Derived]:  # type: ignore[type-arg]
    p = probe(data, **LIMITS)
    return p, derive(data, p, **sizes, **kwargs)


def _open(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


# --- sizes ------------------------------------------------------------------------------------------------


def test_three_renditions_within_their_limits_in_order() -> None:
    _, d = _run(corpus.jpeg(corpus.photo(640, 480)))
    assert [r.kind for r in d.renditions] == ["large", "display", "thumbnail"]
    assert [(r.width, r.height) for r in d.renditions] == [(160, 120), (80, 60), (32, 24)]
    for r in d.renditions:
        assert _open(r.data).size == (r.width, r.height)
    assert (d.width, d.height) == (640, 480)
    assert d.rendition("display").width == 80


def test_default_sizes_on_a_photo() -> None:
    _, d = _run(corpus.jpeg(corpus.photo(1600, 1200, seed=3)), DEFAULT)
    assert [(r.width, r.height) for r in d.renditions] == [(1600, 1200), (1280, 960), (400, 300)]


def test_large_box_turns_with_the_image_and_never_upscales() -> None:
    portrait = corpus.jpeg(corpus.photo(480, 640))
    _, d = _run(portrait, {"large_max": (160, 120), "display_size": 80, "thumbnail_size": 32})
    assert (d.renditions[0].width, d.renditions[0].height) == (120, 160)
    tiny = corpus.jpeg(corpus.photo(40, 30))
    _, d = _run(tiny)
    assert {(r.width, r.height) for r in d.renditions} == {(40, 30), (32, 24)}


def test_large_jpeg_is_decoded_at_reduced_scale_and_still_matches_the_picture() -> None:
    src = corpus.photo(1600, 1200, seed=12)
    data = corpus.jpeg(src)
    _, d = _run(data, {"large_max": (400, 300), "display_size": 200, "thumbnail_size": 50})
    large = _open(d.rendition("large").data)
    assert large.size == (400, 300)
    expected = ImageStat.Stat(src.resize((400, 300))).mean
    assert _close(tuple(round(v) for v in ImageStat.Stat(large).mean), tuple(round(v) for v in expected), 4)


# --- orientation ------------------------------------------------------------------------------------------


def test_exif_orientation_is_applied_to_every_rendition() -> None:
    p, d = _run(corpus.rotated_jpeg(), {"large_max": (200, 200), "display_size": 60, "thumbnail_size": 30})
    assert (p.width, p.height) == (80, 120)
    for r in d.renditions:
        im = _open(r.data).convert("RGB")
        assert im.size == (r.width, r.height)
        assert im.height > im.width  # dimensions swapped: stored landscape, shown portrait
        w, h = im.size
        assert im.getexif().get(0x0112) is None  # nothing left for a viewer to rotate again
        # stored top-left (red) quadrant is top-right once upright
        assert _close(im.getpixel((w * 3 // 4, h // 4)), corpus.RED), r.kind
        assert _close(im.getpixel((w // 4, h // 4)), corpus.BLUE), r.kind
        assert _close(im.getpixel((w * 3 // 4, h * 3 // 4)), corpus.BLUE), r.kind
    assert [(r.width, r.height) for r in d.renditions] == [(80, 120), (40, 60), (20, 30)]


# --- metadata ---------------------------------------------------------------------------------------------


def _assert_no_metadata(data: bytes) -> None:
    im = _open(data)
    assert len(im.getexif()) == 0
    assert "exif" not in im.info and "xmp" not in im.info and "comment" not in im.info
    markers = (b"Exif\x00\x00", b"EXIF", b"eXIf", b"MM\x00*", b"II*\x00", b"GPS", b"Fujifilm", b"X-T5", b"Berlin",
               b"52.52N", b"ns.adobe.com/xap", b"xmpmeta", b"tEXt", b"iTXt", b"zTXt")  # fmt: skip
    for marker in markers:
        assert marker not in data, marker


def test_gps_exif_xmp_and_comments_never_reach_a_rendition() -> None:
    data = corpus.gps_jpeg()
    # the upload really carries them
    src = _open(data)
    assert 0x8825 in src.getexif() and src.getexif().get_ifd(0x8825)
    assert b"GPS" in data and b"Berlin" in data and b"Exif\x00\x00" in data
    _, d = _run(data)
    for r in d.renditions:
        _assert_no_metadata(r.data)


@pytest.mark.parametrize(
    "make",
    [
        lambda: corpus.encode(corpus.photo(200, 150), "PNG", exif=corpus.exif_bytes(gps=True)),
        lambda: corpus.encode(corpus.photo(200, 150), "WEBP", exif=corpus.exif_bytes(gps=True), xmp=corpus.xmp_packet(gps=True)),
        lambda: corpus.encode(corpus.photo(200, 150), "WEBP", lossless=True, exif=corpus.exif_bytes(gps=True)),
    ],
)
def test_metadata_is_stripped_from_png_and_webp_too(make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    assert _open(data).getexif().get_ifd(0x8825)  # the upload has a GPS IFD
    _, d = _run(data)
    for r in d.renditions:
        _assert_no_metadata(r.data)


def test_our_own_xmp_stamp_goes_into_every_rendition_and_nothing_else() -> None:
    stamp = corpus.xmp_packet("digitalCreation")
    for data in (corpus.gps_jpeg(), corpus.png_alpha(), corpus.webp(), corpus.animated_gif()):
        _, d = _run(data, xmp=stamp)
        for r in d.renditions:
            im = _open(r.data)
            assert im.info.get("xmp") in (stamp, stamp.decode())
            assert b"Berlin" not in r.data and b"GPS" not in r.data and len(im.getexif()) == 0


# --- colour -----------------------------------------------------------------------------------------------


def test_icc_profile_is_kept_in_every_rendition() -> None:
    icc = corpus.srgb_icc()
    sources = [corpus.icc_jpeg(), corpus.encode(corpus.photo(200, 150), "PNG", icc_profile=icc),
               corpus.encode(corpus.photo(200, 150), "WEBP", icc_profile=icc)]  # fmt: skip
    for data in sources:
        _, d = _run(data)
        for r in d.renditions:
            assert _open(r.data).info.get("icc_profile") == icc, r.kind


def test_cmyk_jpeg_becomes_viewable_rgb() -> None:
    _, d = _run(corpus.cmyk_jpeg(), {"large_max": (96, 64), "display_size": 48, "thumbnail_size": 24})
    for r in d.renditions:
        im = _open(r.data)
        assert im.mode == "RGB" and r.mime == "image/jpeg"
        assert "icc_profile" not in im.info
        w, h = im.size
        assert _close(im.getpixel((w // 4, h // 2)), (0, 255, 255), 50), r.kind  # cyan
        assert _close(im.getpixel((w * 3 // 4, h // 2)), (255, 0, 255), 50), r.kind  # magenta


def test_sixteen_bit_pngs_are_scaled_to_eight_bits_not_clipped() -> None:
    _, d = _run(corpus.png16_gray(), {"large_max": (256, 8), "display_size": 256, "thumbnail_size": 256})
    im = _open(d.rendition("large").data)
    assert im.mode == "L" and im.size == (256, 8)
    assert abs(im.getpixel((128, 4)) - 128) <= 2
    assert im.getpixel((0, 4)) == 0 and im.getpixel((255, 4)) == 255
    _, d = _run(corpus.png16_rgb())
    im = _open(d.rendition("large").data).convert("RGB")
    assert _close(im.getpixel((5, 5)), (128, 64, 192), 2)


def test_alpha_is_kept() -> None:
    _, d = _run(corpus.png_alpha(), {"large_max": (160, 120), "display_size": 80, "thumbnail_size": 40})
    for r in d.renditions:
        im = _open(r.data)
        assert im.mode in ("RGBA", "LA"), r.kind
        w, h = im.size
        assert im.getpixel((1, 1))[-1] == 0  # transparent corner
        assert im.getpixel((w // 2, h // 2))[-1] == 255  # opaque disc
        assert 90 <= im.getpixel((w // 2, h - 2))[-1] <= 170  # half-transparent bar


# --- formats ----------------------------------------------------------------------------------------------


def test_jpeg_stays_jpeg_with_high_quality_large_rendition() -> None:
    _, d = _run(corpus.jpeg(corpus.photo(640, 480)))
    assert {r.mime for r in d.renditions} == {"image/jpeg"}
    large = _open(d.rendition("large").data)
    from PIL import JpegImagePlugin

    assert JpegImagePlugin.get_sampling(large) == 0  # 4:4:4
    assert large.quantization[0][0] <= 3  # q92-ish luminance table


def test_png_stays_png_for_graphics() -> None:
    im = Image.new("RGB", (640, 480), (250, 250, 250))
    im.paste((20, 20, 20), (100, 100, 400, 300))
    _, d = _run(corpus.encode(im, "PNG"))
    assert {r.mime for r in d.renditions} == {"image/png"}


def test_photographic_png_gets_smaller_webp_below_the_large_rendition() -> None:
    _, d = _run(corpus.encode(corpus.photo(640, 480), "PNG"), {"large_max": (640, 480), "display_size": 320, "thumbnail_size": 100})
    assert d.rendition("large").mime == "image/png"  # the large one stays lossless
    assert d.rendition("display").mime == "image/webp"


def test_webp_stays_webp_and_static_gif_becomes_png() -> None:
    _, d = _run(corpus.webp())
    assert {r.mime for r in d.renditions} == {"image/webp"}
    _, d = _run(corpus.webp(lossless=True))
    assert d.rendition("large").mime == "image/webp"
    _, d = _run(corpus.static_gif())
    assert d.rendition("large").mime == "image/png"
    assert _close(_open(d.rendition("large").data).convert("RGB").getpixel((5, 5)), corpus.RED, 2)


@pytest.mark.requires("avif")
def test_avif_becomes_webp() -> None:
    data = corpus.avif()
    assert data is not None
    _, d = _run(data)
    assert {r.mime for r in d.renditions} == {"image/webp"}
    assert d.rendition("large").ext == "webp"


# --- animation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [corpus.animated_gif, corpus.animated_webp, corpus.apng])
def test_animation_is_kept_in_every_rendition(make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    source = Image.open(io.BytesIO(data))
    n, durations = source.n_frames, []
    for i in range(n):
        source.seek(i)
        source.load()
        durations.append(int(source.info["duration"]))
    _, d = _run(data, {"large_max": (64, 48), "display_size": 40, "thumbnail_size": 20})
    for r in d.renditions:
        assert r.animated and r.mime == "image/webp"
        im = Image.open(io.BytesIO(r.data))
        assert im.is_animated and im.n_frames == n, r.kind
        got = []
        for i in range(n):
            im.seek(i)
            im.load()
            got.append(int(im.info["duration"]))
        assert got == durations
        assert im.info.get("loop") == 0


def test_animated_gif_frames_keep_their_pictures() -> None:
    _, d = _run(corpus.animated_gif(3), {"large_max": (64, 48), "display_size": 64, "thumbnail_size": 64})
    im = Image.open(io.BytesIO(d.rendition("large").data))
    colours = []
    for i in range(3):
        im.seek(i)
        colours.append(im.convert("RGB").getpixel((50, 40)))
    assert _close(colours[0], corpus.RED, 12) and _close(colours[1], (30, 200, 40), 12) and _close(colours[2], corpus.BLUE, 12)


# --- blurhash, determinism, threads, probe reuse ----------------------------------------------------------


def test_blurhash_is_computed_and_reflects_the_picture() -> None:
    _, red = _run(corpus.jpeg(Image.new("RGB", (200, 100), corpus.RED)))
    _, blue = _run(corpus.jpeg(Image.new("RGB", (200, 100), corpus.BLUE)))
    assert len(red.blurhash) == 36 and len(blue.blurhash) == 36  # 4x4 components: 6 + 2 x 15
    assert red.blurhash != blue.blurhash
    assert _close(corpus.blurhash_average(red.blurhash), corpus.RED, 6)
    assert _close(corpus.blurhash_average(blue.blurhash), corpus.BLUE, 6)


def test_derive_is_deterministic_with_or_without_probe_reuse() -> None:
    data = corpus.jpeg(corpus.photo(900, 600, seed=13))
    for sizes in (SMALL, DEFAULT):
        _, first = _run(data, sizes)
        copy = bytes(bytearray(data))  # other bytes object: probe's kept decode is not used
        p = probe(copy, **LIMITS)
        second = derive(bytes(bytearray(copy)), p, **sizes)
        assert [r.data for r in first.renditions] == [r.data for r in second.renditions]
        assert first.blurhash == second.blurhash


def test_probe_reuse_never_applies_to_other_bytes() -> None:
    red = corpus.jpeg(Image.new("RGB", (64, 64), corpus.RED))
    blue = corpus.jpeg(Image.new("RGB", (64, 64), corpus.BLUE))
    p = probe(red, **LIMITS)
    d = derive(blue, p, **SMALL)  # a caller mix-up must not publish the probed picture
    assert _close(_open(d.rendition("large").data).getpixel((10, 10)), corpus.BLUE, 6)


def test_derive_runs_in_a_thread_pool() -> None:
    inputs = [corpus.gps_jpeg(), corpus.png_alpha(), corpus.animated_gif(), corpus.webp(), corpus.rotated_jpeg(), corpus.cmyk_jpeg()]
    expected = [[r.data for r in _run(x)[1].renditions] for x in inputs]

    def job(data: bytes) -> list[bytes]:
        return [r.data for r in _run(data)[1].renditions]

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(job, inputs * 3))
    assert got == expected * 3


def test_the_decode_kept_by_probe_is_released() -> None:
    import gc

    from fediverse.imaging import _decode

    data = corpus.plain_jpeg()
    p = probe(data, **LIMITS)
    assert id(p) in _decode._cache  # kept for derive
    derive(data, p, **SMALL)
    assert id(p) not in _decode._cache  # taken by derive
    p2 = probe(data, **LIMITS)
    key = id(p2)
    assert key in _decode._cache
    del p2
    gc.collect()
    assert key not in _decode._cache  # dropped with its Probe
