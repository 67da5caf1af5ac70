"""probe(): what is accepted, what is refused and why, and what is read from the file."""

from __future__ import annotations

import dataclasses
import struct
import time

import pytest
from PIL import Image

from fediverse.errors import Invalid
from fediverse.imaging import ImageRejected, Probe, probe, provenance
from tests import imagecorpus as corpus

LIMITS = {"max_bytes": 40 * 1024 * 1024, "max_pixels": 100_000_000}


def _probe(data: bytes, declared_mime: str | None = None, **limits: int) -> Probe:
    return probe(data, declared_mime=declared_mime, **{**LIMITS, **limits})


@pytest.mark.parametrize("name", sorted(corpus.ACCEPTED))
def test_accepts_every_supported_kind_of_image(name: str) -> None:
    sample = corpus.ACCEPTED[name]
    data = sample.data()
    assert data is not None
    p = _probe(data, sample.declared_mime)
    assert p.format == sample.format
    assert p.mime == {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif", "AVIF": "image/avif"}[p.format]
    assert p.width > 0 and p.height > 0
    assert p.frames >= 1
    assert p.size_bytes == len(data)


@pytest.mark.parametrize("name", sorted(corpus.REFUSED))
def test_refuses_with_a_clear_reason(name: str) -> None:
    sample = corpus.REFUSED[name]
    data = sample.data()
    assert data is not None
    with pytest.raises(ImageRejected) as info:
        _probe(data, sample.declared_mime)
    assert sample.reason_contains in info.value.reason
    assert str(info.value) == info.value.reason
    if sample.code:
        assert info.value.code == sample.code


def test_rejection_is_a_value_error_and_an_invalid_input() -> None:
    with pytest.raises(ValueError):
        _probe(b"")
    with pytest.raises(Invalid):
        _probe(b"")


def test_truncated_jpeg_is_refused_even_when_probe_decodes_at_reduced_scale() -> None:
    # A big JPEG is decoded with draft() in probe: truncation must still be found.
    data = corpus.jpeg(corpus.photo(1600, 1200, seed=11))
    with pytest.raises(ImageRejected) as info:
        _probe(data[: len(data) // 2], "image/jpeg", max_pixels=100_000_000)
    assert info.value.reason == "JPEG data is truncated"
    # ... and the complete file is fine
    assert _probe(data).width == 1600


def test_truncated_png_and_gif_are_refused() -> None:
    png = corpus.encode(corpus.photo(200, 150), "PNG")
    with pytest.raises(ImageRejected, match="PNG data is truncated"):
        _probe(png[: len(png) * 2 // 3])
    gif = corpus.animated_gif(4)
    with pytest.raises(ImageRejected, match="GIF data is"):
        _probe(gif[: len(gif) - 60])


def test_decompression_bomb_is_refused_by_its_header_before_any_decoding() -> None:
    bomb = corpus.png_bomb(30000, 30000)
    assert len(bomb) < 2000  # a small file ...
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as info:
        _probe(bomb, "image/png")
    # ... refused by the pixel limit (its IDAT is cut short, so a decode would have said "truncated")
    assert info.value.reason == "image is 30000x30000 = 900 MP, over the 100 MP limit"
    assert info.value.code == "too_many_pixels"
    assert time.perf_counter() - started < 1.0


def test_pixel_limit_comes_from_the_caller() -> None:
    data = corpus.plain_jpeg(320, 240)
    assert _probe(data, max_pixels=320 * 240).width == 320
    with pytest.raises(ImageRejected) as info:
        _probe(data, max_pixels=320 * 240 - 1)
    assert "320x240" in info.value.reason and "over the" in info.value.reason


def test_animation_frames_count_towards_the_pixel_limit() -> None:
    data = corpus.gif_frame_bomb(12)  # 1000x1000 x 12 frames
    assert _probe(data, max_pixels=12_000_000).frames == 12
    with pytest.raises(ImageRejected) as info:
        _probe(data, max_pixels=10_000_000)
    assert info.value.reason == "animation is 1000x1000 x 12 frames = 12 MP, over the 10 MP limit"


def test_byte_limit() -> None:
    data = corpus.plain_jpeg()
    assert _probe(data, max_bytes=len(data)).format == "JPEG"
    with pytest.raises(ImageRejected) as info:
        _probe(data, max_bytes=len(data) - 1)
    assert info.value.code == "too_big"
    assert "over the" in info.value.reason and "KB limit" in info.value.reason


@pytest.mark.parametrize(
    "declared", [None, "", "image/jpeg", "image/jpg", "IMAGE/JPEG", "image/jpeg; charset=binary", "application/octet-stream"]
)
def test_declared_types_that_match_or_say_nothing_are_fine(declared: str | None) -> None:
    assert _probe(corpus.plain_jpeg(), declared).format == "JPEG"


@pytest.mark.parametrize("declared", ["image/png", "image/gif", "text/html", "image/webp"])
def test_content_that_does_not_match_its_declared_type_is_refused(declared: str) -> None:
    with pytest.raises(ImageRejected) as info:
        _probe(corpus.plain_jpeg(), declared)
    assert info.value.reason == f"declared as {declared} but the content is JPEG"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"   \n<html><body>x</body></html>", "content is HTML, not an image"),
        (b"\xef\xbb\xbf<!doctype html><p>x", "content is HTML, not an image"),
        (b"just some words", "content is text, not an image"),
        (b"PK\x03\x04" + b"\x00" * 40, "content is a ZIP archive, not an image"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07" * 8, "content is not a recognised image format"),
        (b"II*\x00" + b"\x00" * 40, "format TIFF is not accepted (JPEG, PNG, WebP, GIF, AVIF)"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "format HEIC is not accepted"),
    ],
)
def test_non_images_and_other_formats_are_named(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as info:
        _probe(data, "image/jpeg")
    assert info.value.reason.startswith(reason)


def test_jpeg_header_then_garbage_is_refused_as_corrupt() -> None:
    with pytest.raises(ImageRejected) as info:
        _probe(b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x13" * 200)
    assert info.value.reason.startswith("JPEG data is")


def test_width_and_height_are_upright_after_exif_orientation() -> None:
    p = _probe(corpus.rotated_jpeg(), "image/jpeg")
    assert (p.width, p.height) == (80, 120)  # stored 120x80, orientation 6
    assert p.orientation == 6
    assert p.stored_size == (120, 80)


def test_reads_icc_profile_alpha_and_animation() -> None:
    icc = corpus.srgb_icc()
    assert _probe(corpus.icc_jpeg()).icc_profile == icc
    assert _probe(corpus.plain_jpeg()).icc_profile is None
    alpha = _probe(corpus.png_alpha())
    assert alpha.has_alpha and alpha.lossless and not alpha.animated
    gif = _probe(corpus.animated_gif(3))
    assert gif.animated and gif.frames == 3
    assert not _probe(corpus.static_gif()).animated
    assert _probe(corpus.webp(lossless=True)).lossless
    assert not _probe(corpus.webp(lossless=False)).lossless
    assert _probe(corpus.animated_webp()).frames == 2
    assert _probe(corpus.apng()).frames == 3
    assert _probe(corpus.cmyk_jpeg()).mode == "CMYK"
    assert _probe(corpus.png16_gray()).mode.startswith("I")


@pytest.mark.requires("avif")
def test_avif_is_accepted_when_pillow_reads_it() -> None:
    data = corpus.avif()
    assert data is not None
    p = _probe(data, "image/avif")
    assert (p.format, p.mime, p.width, p.height) == ("AVIF", "image/avif", 128, 96)


# --- IPTC Digital Source Type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (lambda: corpus.ai_jpeg("trainedAlgorithmicMedia"), "trainedAlgorithmicMedia"),
        (lambda: corpus.ai_jpeg("compositeWithTrainedAlgorithmicMedia", form="element"), "compositeWithTrainedAlgorithmicMedia"),
        (lambda: corpus.ai_jpeg("compositeSynthetic", form="resource"), "compositeSynthetic"),
        (lambda: corpus.ai_jpeg("trainedAlgorithmicMedia", https=True), "trainedAlgorithmicMedia"),
        (lambda: corpus.ai_png("trainedAlgorithmicMedia"), "trainedAlgorithmicMedia"),
        (corpus.ai_in_comment_jpeg, "compositeWithTrainedAlgorithmicMedia"),
    ],
)  # fmt: skip
def test_uploads_declaring_generative_ai_are_labelled(data, code: str) -> None:  # type: ignore[no-untyped-def]
    p = _probe(data())
    assert p.ai_generated is True
    assert p.digital_source_type == "http://cv.iptc.org/newscodes/digitalsourcetype/" + code


@pytest.mark.parametrize("code", ["digitalCapture", "digitalCreation", "algorithmicMedia", "humanEdits"])
def test_other_source_types_are_read_but_not_labelled_ai(code: str) -> None:
    p = _probe(corpus.ai_jpeg(code))
    assert p.ai_generated is False
    assert p.digital_source_type == "http://cv.iptc.org/newscodes/digitalsourcetype/" + code


def test_a_camera_photo_is_not_ai_and_a_bare_file_declares_nothing() -> None:
    camera = _probe(corpus.camera_jpeg())
    assert camera.ai_generated is False
    assert camera.digital_source_type.endswith("/digitalCapture")  # type: ignore[union-attr]
    bare = _probe(corpus.plain_jpeg())
    assert (bare.ai_generated, bare.digital_source_type) == (False, None)


def test_provenance_normalises_values() -> None:
    vocab = "http://cv.iptc.org/newscodes/digitalsourcetype/"
    assert provenance.normalise("https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia") == vocab + "trainedAlgorithmicMedia"
    assert provenance.normalise("trainedalgorithmicmedia") == vocab + "trainedAlgorithmicMedia"
    assert provenance.normalise(vocab + "compositeSynthetic/") == vocab + "compositeSynthetic"
    assert provenance.normalise("nonsense") is None
    assert provenance.is_ai(vocab + "compositeWithTrainedAlgorithmicMedia")
    assert not provenance.is_ai("http://example.com/trainedAlgorithmicMedia")


def test_provenance_refuses_xml_entities_but_still_reads_the_value() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" '
        b'dc:title="&b;"/></rdf:RDF></x:xmpmeta>'
    )
    assert provenance.from_xmp(bomb) == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    assert provenance.from_xmp(b"<not xml DigitalSourceType") is None


def test_probe_does_not_touch_pillow_global_limits() -> None:
    before = Image.MAX_IMAGE_PIXELS
    _probe(corpus.plain_jpeg())
    with pytest.raises(ImageRejected):
        _probe(corpus.png_bomb())
    assert Image.MAX_IMAGE_PIXELS == before


def test_our_limit_not_pillows_global_one_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow's own check (MAX_IMAGE_PIXELS, a warning and then an error) would fire here; ours is per call.
    from fediverse.imaging import derive

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    data = corpus.plain_jpeg(320, 240)
    p = _probe(data)
    assert p.width == 320
    assert derive(data, p, large_max=(100, 100), display_size=50, thumbnail_size=20).renditions


# --- what the refusals say, in the units a person reads -------------------------------------------------


@pytest.mark.parametrize(
    ("size", "limit", "reason"),
    [
        (1001, 1000, "file is 1001 bytes, over the 1000 bytes limit"),
        (1024, 1023, "file is 1 KB, over the 1023 bytes limit"),
        (1000 * 1024 + 700, 1000 * 1024, "file is 1001 KB, over the 1000 KB limit"),
        (1024 * 1024 + 1, 1024 * 1024, "file is 1 MB, over the 1 MB limit"),
        (3 * 1024 * 1024 // 2, 1024 * 1024 + 1, "file is 1.5 MB, over the 1 MB limit"),
        (1023 * 1024 + 512, 1000, "file is 1024 KB, over the 1000 bytes limit"),  # still counted in KB
        (1_101_005, 1024 * 1024, "file is 1.1 MB, over the 1 MB limit"),  # 1.0500002 MB
        (1_100_899, 1024 * 1024, "file is 1 MB, over the 1 MB limit"),  # 1.0499 MB
        (int(99.5 * 1024 * 1024), 99 * 1024 * 1024, "file is 99.5 MB, over the 99 MB limit"),
        (int(100.4 * 1024 * 1024), 100 * 1024 * 1024, "file is 100 MB, over the 100 MB limit"),
    ],
)
def test_a_file_over_the_byte_limit_is_refused_naming_both_sizes(size: int, limit: int, reason: str) -> None:
    with pytest.raises(ImageRejected) as info:
        _probe(bytes(size), max_bytes=limit)  # refused by its length before a byte is read (nor allocated)
    assert (info.value.reason, info.value.code) == (reason, "too_big")


@pytest.mark.parametrize(
    ("data", "limit", "reason"),
    [
        (lambda: corpus.plain_jpeg(320, 240), 76_799, "image is 320x240 = 0.077 MP, over the 0.077 MP limit"),
        (lambda: corpus.plain_jpeg(1500, 1000), 1_250_000, "image is 1500x1000 = 1.5 MP, over the 1.2 MP limit"),
        (lambda: corpus.plain_jpeg(1500, 1000), 1_350_001, "image is 1500x1000 = 1.5 MP, over the 1.4 MP limit"),
        (lambda: corpus.gif_frame_bomb(12), 9_450_001,
         "animation is 1000x1000 x 12 frames = 12 MP, over the 9.5 MP limit"),
    ],
)  # fmt: skip
def test_a_picture_over_the_pixel_limit_is_refused_naming_megapixels(data, limit: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImageRejected) as info:
        _probe(data(), max_pixels=limit)
    assert (info.value.reason, info.value.code) == (reason, "too_many_pixels")


# --- WebP: lossless or not, whatever the container holds before the pixels ----------------------------------


def _webp_frames(lossless: bool, alpha: bool = False) -> bytes:
    frames = [corpus.photo(64, 48, seed=i).convert("RGBA") for i in range(2)]
    if alpha:
        for im in frames:
            im.putalpha(Image.linear_gradient("L").resize((64, 48)))
    return corpus.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=lossless)


def test_an_animated_webp_is_lossless_when_its_frames_are() -> None:
    lossless = _probe(_webp_frames(lossless=True))
    assert (lossless.frames, lossless.lossless) == (2, True)
    lossy = _probe(_webp_frames(lossless=False, alpha=True))  # each frame: an ALPH chunk, then lossy VP8
    assert (lossy.frames, lossy.lossless, lossy.has_alpha) == (2, False, True)


def test_a_still_webp_with_a_colour_profile_before_its_pixels_is_still_lossless() -> None:
    for icc in (corpus.srgb_icc(), corpus.srgb_icc() + b"x"):  # an odd-sized chunk is padded to an even size
        data = corpus.encode(corpus.photo(16, 12), "WEBP", lossless=True, icc_profile=icc)  # the profile is most of it
        assert data[12:16] == b"VP8X"  # the extended layout: VP8X, ICCP, then VP8L
        p = _probe(data)
        assert (p.lossless, p.icc_profile) == (True, icc)
    lossy = corpus.encode(corpus.photo(64, 48), "WEBP", quality=80, icc_profile=corpus.srgb_icc())
    assert _probe(lossy).lossless is False


def test_a_chunk_size_is_read_whole_even_past_16_mib() -> None:
    icc = corpus.srgb_icc() + bytes((1 << 24) + 1 - len(corpus.srgb_icc()))  # a 16 MiB + 1 byte profile
    p = _probe(corpus.encode(corpus.photo(16, 12), "WEBP", lossless=True, icc_profile=icc))
    assert (p.lossless, len(p.icc_profile or b"")) == (True, (1 << 24) + 1)


# --- GIF: the XMP packet Pillow does not read -----------------------------------------------------------------


def _gif_with_extension(gif: bytes, extension: bytes) -> bytes:
    """Insert an extension block after the GIF's header, logical screen and global colour table."""
    flags = gif[10]
    at = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    return gif[:at] + extension + gif[at:]


def _xmp_extension(packet: bytes) -> bytes:
    """The "XMP DataXMP" application extension: the raw packet, then the 258-byte "magic trailer"."""
    return b"\x21\xff\x0bXMP DataXMP" + packet + b"\x01" + bytes(range(255, -1, -1)) + b"\x00"


@pytest.mark.parametrize("gif", [corpus.static_gif, lambda: corpus.animated_gif(2)], ids=["still", "animated"])
def test_a_gif_carrying_xmp_is_read_and_labelled(gif) -> None:  # type: ignore[no-untyped-def]
    packet = corpus.xmp_packet("trainedAlgorithmicMedia")
    p = _probe(_gif_with_extension(gif(), _xmp_extension(packet)), "image/gif")
    assert p.xmp == packet[: packet.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    assert p.ai_generated is True


def test_a_gif_xmp_extension_without_a_whole_packet_or_a_comment_is_no_xmp() -> None:
    packet = corpus.xmp_packet("digitalCapture")
    cut = _gif_with_extension(corpus.static_gif(), _xmp_extension(packet[:200]))  # no </x:xmpmeta>
    assert _probe(cut).xmp is None
    comment = packet[:250]  # a comment extension: one sub-block of text, however XMP-like
    in_comment = _gif_with_extension(corpus.static_gif(), b"\x21\xfe" + bytes([len(comment)]) + comment + b"\x00")
    in_comment = in_comment[:-1] + b"\x21\xfe\x0c</x:xmpmeta>\x00" + in_comment[-1:]
    assert _probe(in_comment).xmp is None


# --- orientation and the decode kept for derive -----------------------------------------------------------


def test_a_png_or_webp_with_exif_orientation_is_reported_upright() -> None:
    exif = corpus.exif_bytes(orientation=6)
    for fmt in ("PNG", "WEBP"):
        p = _probe(corpus.encode(corpus.photo(120, 80), fmt, exif=exif))
        assert ((p.width, p.height), p.orientation, p.stored_size) == ((80, 120), 6, (120, 80)), fmt
        plain = _probe(corpus.encode(corpus.photo(120, 80), fmt))
        assert ((plain.width, plain.height), plain.orientation) == ((120, 80), 1), fmt


@pytest.mark.parametrize(
    ("size", "decoded"),
    [
        ((8000, 1000), (4000, 500)),  # DCT scale 1/2: a quarter of the memory, still wider than 3840
        ((7680, 960), (3840, 480)),  # exactly twice the large rendition (3840 wide): half is enough
        ((7678, 960), (7678, 960)),  # half would be 3839 wide, one pixel short of it: decoded whole
        ((4320, 4320), (2160, 2160)),  # a square's large rendition is 2160x2160
        ((4318, 4318), (4318, 4318)),
    ],
)
def test_a_big_jpeg_is_decoded_as_small_as_the_large_rendition_allows_and_no_smaller(
    size: tuple[int, int], decoded: tuple[int, int]
) -> None:
    from fediverse.imaging import _decode

    data = corpus.jpeg(Image.new("RGB", size, (90, 120, 200)))
    p = _probe(data)
    kept = _decode.take(p, data)  # the decode probe keeps for derive
    assert kept is not None and kept.full_size == size
    assert kept.image.size == decoded


@pytest.mark.requires("avif")
def test_an_avif_with_exif_orientation_is_reported_upright() -> None:
    p = _probe(corpus.encode(corpus.photo(120, 80), "AVIF", exif=corpus.exif_bytes(orientation=6)))
    assert ((p.width, p.height), p.orientation, p.stored_size) == ((80, 120), 6, (120, 80))


def test_probe_keeps_a_decode_for_derive_only_for_a_still_image() -> None:
    from fediverse.imaging import _decode

    animation = corpus.animated_gif(3)  # derive decodes every frame itself: one kept frame would only hold memory
    assert _decode.take(_probe(animation), animation) is None
    still = corpus.static_gif()
    assert _decode.take(_probe(still), still) is not None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_exif_orientation_that_is_no_number_is_ignored_not_a_crash(fmt: str) -> None:
    # one IFD entry: Orientation (0x0112) as a DOUBLE (type 12) holding +infinity, which no int() takes
    tiff = b"II*\0\x08\0\0\0\x01\0" + b"\x12\x01\x0c\0\x01\0\0\0\x1a\0\0\0" + b"\0\0\0\0" + struct.pack("<d", float("inf"))
    data = corpus.encode(corpus.photo(120, 80), fmt, exif=b"Exif\0\0" + tiff if fmt == "JPEG" else tiff)
    p = _probe(data)
    assert ((p.width, p.height), p.orientation) == ((120, 80), 1)


def test_an_animation_cut_inside_a_frame_is_refused_not_accepted_or_crashed() -> None:
    gif = corpus.animated_gif(2)
    second = gif.index(b"\x2c", gif.index(b"\x21\xf9\x04", gif.index(b"\x21\xf9\x04") + 1))  # 2nd image descriptor
    with pytest.raises(ImageRejected) as info:
        _probe(gif[: second + 4])  # inside the second frame's descriptor
    assert info.value.reason.startswith("GIF data is corrupt (")
    with pytest.raises(ImageRejected) as info:
        _probe(gif[: second + 40])  # inside the second frame's pixels: only a decode of every frame finds it
    assert info.value.reason == "GIF data is truncated"


def test_an_animated_gif_is_described_by_its_first_frame() -> None:
    animated, still = _probe(corpus.animated_gif(3)), _probe(corpus.static_gif())
    assert (animated.mode, animated.frames, still.mode, still.frames) == ("P", 3, "P", 1)


@pytest.mark.requires("avif")
def test_avif_is_refused_clearly_where_pillow_cannot_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import features

    data = corpus.avif()
    assert data is not None
    monkeypatch.setattr(features, "check", lambda name: name != "avif")  # a Pillow built without AVIF
    with pytest.raises(ImageRejected) as info:
        _probe(data, "image/avif")
    assert (info.value.reason, info.value.code) == (
        "format AVIF is not accepted on this server (Pillow lacks AVIF support)", "format_not_accepted")
    assert _probe(corpus.plain_jpeg()).format == "JPEG"  # the other formats do not depend on it


def test_an_animation_whose_every_frame_is_over_the_limit_is_named_as_an_image() -> None:
    with pytest.raises(ImageRejected) as info:  # 64x48 = 3072 pixels a frame, two frames
        _probe(corpus.animated_webp(), max_pixels=3000)
    assert info.value.reason == "image is 64x48 = 0.0031 MP, over the 0.003 MP limit"


def test_what_probe_reports_of_plain_files_and_short_animations() -> None:
    jpeg = _probe(corpus.plain_jpeg())
    assert (jpeg.ext, jpeg.orientation, jpeg.has_alpha, jpeg.animated) == ("jpg", 1, False, False)
    gif = _probe(corpus.animated_gif(2))
    assert (gif.ext, gif.frames, gif.animated, gif.has_alpha) == ("gif", 2, True, False)
    assert _probe(corpus.animated_webp()).animated is True
    with pytest.raises(dataclasses.FrozenInstanceError):  # what was checked cannot be changed afterwards
        jpeg.width = 1  # type: ignore[misc]
