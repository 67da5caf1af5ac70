"""imaging/lossless: the artist's own file with metadata removed and our XMP inserted, image data untouched; hostile
structures refused with a clear sentence, never a crash or a hang."""

from __future__ import annotations

import io
import struct
import time

import pytest
from PIL import Image

from fediverse.imaging import ImageRejected, probe
from fediverse.imaging.lossless import jpeg_image_data, publish_as_uploaded, strip_and_stamp
from tests import imagecorpus

PACKET = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
BOX = (3840, 2160)


def _publish(data: bytes, **limits: object) -> bytes:
    p = probe(data, max_bytes=100_000_000, max_pixels=100_000_000)
    options = {"large_max": BOX, "max_bytes": 16 << 20, **limits}
    return publish_as_uploaded(data, p, PACKET, **options).data  # type: ignore[arg-type]


def _gps_file(fmt: str) -> bytes:
    im = imagecorpus.photo(200, 150, seed=3)
    kwargs: dict[str, object] = {"exif": imagecorpus.exif_bytes(gps=True)}
    if fmt == "WEBP":
        kwargs["lossless"] = True
    if fmt == "JPEG":
        kwargs["comment"] = b"shot at 52.52N 13.41E"
    return imagecorpus.encode(im, fmt, **kwargs)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_pixels_stay_identical_and_metadata_goes(fmt: str) -> None:
    data = _gps_file(fmt)
    out = _publish(data)
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(out)) as after:
        assert after.tobytes() == before.tobytes()
        assert after.mode == before.mode and after.size == before.size
        assert not after.getexif() and after.info.get("xmp") == PACKET
        assert "comment" not in after.info
    assert b"Fujifilm" not in out and b"52.52N" not in out


def test_jpeg_scan_data_is_byte_identical() -> None:
    data = imagecorpus.gps_jpeg()
    out = _publish(data)
    assert jpeg_image_data(out) == jpeg_image_data(data)
    sos = data.index(b"\xff\xda")  # no metadata after the first scan in this file: the tail is the same bytes
    assert out.endswith(data[sos:data.rindex(b"\xff\xd9") + 2])


def test_icc_profile_is_kept() -> None:
    data = imagecorpus.icc_jpeg()
    out = _publish(data)
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(out)) as after:
        assert after.info.get("icc_profile") == before.info.get("icc_profile") is not None


def test_simple_webp_with_alpha_gets_a_vp8x_header_and_decodes_the_same() -> None:
    im = Image.new("RGBA", (33, 17), (10, 200, 30, 90))
    data = imagecorpus.encode(im, "WEBP", lossless=True)
    out = _publish(data)
    assert out[12:16] == b"VP8X" and out[20] & 0x14 == 0x14  # alpha and XMP flags
    with Image.open(io.BytesIO(out)) as after:
        assert after.mode == "RGBA" and after.tobytes() == im.tobytes()


def test_a_rotated_jpeg_is_refused_because_removing_exif_would_turn_it() -> None:
    with pytest.raises(ImageRejected, match=r"EXIF orientation \(6\).*export it upright"):
        _publish(imagecorpus.rotated_jpeg())


def test_formats_other_than_jpeg_png_webp_are_refused() -> None:
    with pytest.raises(ImageRejected, match="takes JPEG, PNG or WebP files, not GIF"):
        _publish(imagecorpus.static_gif())


def test_over_the_large_box_or_byte_limit_is_refused_naming_the_limit() -> None:
    data = imagecorpus.plain_jpeg(400, 300)
    with pytest.raises(ImageRejected, match=r"400x300, larger than the large rendition's 200x100 .*large_max_width"):
        _publish(data, large_max=(200, 100))
    with pytest.raises(ImageRejected, match=r"over the 1000 bytes limit for as-uploaded files \(\[media\] as_uploaded_max_bytes"):
        _publish(data, max_bytes=1000)


@pytest.mark.parametrize("fmt,data,expected", [
    ("JPEG", b"\xff\xd8\xff\xe1\xff\xff" + b"x" * 10, "segment 0xFFE1 runs past the end"),
    ("JPEG", b"\xff\xd8\xff\xe1\x00", "has no length"),
    ("JPEG", b"\xff\xd8\xff\xe1\x00\x01", "has length 1"),
    ("JPEG", b"\xff\xd8" + b"\xff\xfe\x00\x02" * 70_000, "more than 65536 segments"),
    ("JPEG", b"\xff\xd8\xff\xda\x00\x02" + b"\xff\x00" * 100_000, "scan data has no end"),
    ("JPEG", b"\xff\xd8" + b"\xff" * 100_000, "ends inside a marker"),
    ("JPEG", b"\xff\xd8\x00\x00", "expected a marker"),
    ("PNG", b"\x89PNG\r\n\x1a\n"
     + struct.pack(">I", 13) + b"IHDR" + b"\x00" * 4, "IHDR runs past the end"),
    ("PNG", b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 0xFFFFFFF0) + b"IHDR", "chunk header"),
    ("PNG", b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 0) + b"IDAT" + b"\x00" * 4, "IHDR is not the first chunk"),
    ("PNG", b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 0) + b"IHDR" + b"\x00" * 4
     + (struct.pack(">I", 0) + b"teXt" + b"\x00" * 4) * 210_000, "more than 200000 chunks"),
    ("WEBP", b"RIFF" + struct.pack("<I", 1000) + b"WEBP", "RIFF size runs past the end"),
    ("WEBP", b"RIFF" + struct.pack("<I", 16) + b"WEBPVP8L" + struct.pack("<I", 99) + b"\x00" * 4,
     "runs past the RIFF size"),
    ("WEBP", b"RIFF" + struct.pack("<I", 12) + b"WEBPEXIF" + struct.pack("<I", 0), "no image data"),
])
def test_hostile_structures_are_refused_quickly_with_a_clear_sentence(fmt: str, data: bytes, expected: str) -> None:
    started = time.monotonic()
    with pytest.raises(ImageRejected, match=expected) as refused:
        strip_and_stamp(data, fmt, PACKET)
    assert refused.value.code in ("truncated", "corrupt")
    assert time.monotonic() - started < 5


def test_every_truncation_of_a_real_file_is_refused_or_still_parses() -> None:
    """Cut a real file at every length: a clear ImageRejected, never another exception."""
    for data, fmt in ((imagecorpus.gps_jpeg(), "JPEG"), (_gps_file("PNG"), "PNG"), (_gps_file("WEBP"), "WEBP")):
        for cut in range(0, len(data), max(1, len(data) // 300)):
            try:
                strip_and_stamp(data[:cut], fmt, PACKET)
            except ImageRejected:
                pass
