"""Hostile images that are small on the wire but costly to read: each is handled quickly with bounded memory.

- an XMP packet that is not XML (108 KB of ``DigitalSourceType `` repeated) used to take seconds in a
  backtracking regular expression, holding the GIL (the whole process stalled);
- a billion-laughs packet must not be expanded nor read;
- a GIF whose logical screen is 1x1 but whose second frame sits at (8999, 8999) used to make Pillow grow the
  canvas to 9000x9000 and allocate hundreds of MiB before the pixel limit was applied.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import time

import pytest
from PIL import Image

from fediverse.consent import read_xmp, signals_from_xmp
from fediverse.consent.xmp import MAX_XMP_BYTES
from fediverse.imaging import ImageRejected, probe, provenance
from tests import imagecorpus as corpus

LIMITS = {"max_bytes": 40 * 1024 * 1024, "max_pixels": 100_000_000}  # the [media] defaults
NOT_XML = b"DigitalSourceType " * 6000  # 108 KB
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY lol "trainedAlgorithmicMedia"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
 Iptc4xmpExt:DigitalSourceType="&lol4;"/></rdf:RDF></x:xmpmeta>"""


def png_with_xmp(xmp: bytes) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=False)
    return corpus.encode(corpus.photo(64, 48), "PNG", pnginfo=info)


def jpeg_with_xmp(xmp: bytes) -> bytes:
    return corpus.encode(corpus.photo(64, 48), "JPEG", xmp=xmp)


def timed(func, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - start


def test_a_non_xml_packet_is_read_in_linear_time() -> None:
    found, seconds = timed(provenance.from_xmp, NOT_XML)
    assert found is None and seconds < 1.0, f"{seconds:.2f} s"
    reading, seconds = timed(read_xmp, NOT_XML)
    assert reading.status == "unparseable" and seconds < 1.0


@pytest.mark.parametrize("wrap", [png_with_xmp, jpeg_with_xmp], ids=["png", "jpeg"])
def test_an_image_carrying_a_non_xml_packet_is_probed_within_a_second(wrap) -> None:  # type: ignore[no-untyped-def]
    packet = NOT_XML if wrap is png_with_xmp else NOT_XML[:60_000]  # a JPEG APP1 segment holds < 64 KiB
    data = wrap(packet)
    probed, seconds = timed(lambda: probe(data, **LIMITS))
    assert seconds < 1.0, f"{seconds:.2f} s"
    assert probed.digital_source_type is None and not probed.ai_generated
    reading, seconds = timed(signals_from_xmp, probed.xmp)
    assert seconds < 1.0 and reading.unparseable


def test_a_billion_laughs_packet_is_neither_expanded_nor_read() -> None:
    data = png_with_xmp(BILLION_LAUGHS)
    probed, seconds = timed(lambda: probe(data, **LIMITS))
    assert seconds < 1.0
    assert probed.digital_source_type is None and not probed.ai_generated  # nothing read from a DTD packet
    assert provenance.from_xmp(BILLION_LAUGHS) is None
    assert read_xmp(BILLION_LAUGHS).status == "refused"


def test_an_oversized_packet_is_not_parsed_and_reads_as_no_signal() -> None:
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
              b'Iptc4xmpExt:DigitalSourceType="trainedAlgorithmicMedia"/>'
              + b"<!--" + b"x" * (300 * 1024) + b"--></rdf:RDF></x:xmpmeta>")
    assert MAX_XMP_BYTES <= 256 * 1024
    assert read_xmp(packet).status == "too_large"
    assert provenance.from_xmp(packet) is None
    assert not signals_from_xmp(packet).known


# --- animations whose frames lie outside the logical screen --------------------------------------------------

def canvas_growing_gif(x: int = 8999, y: int = 8999) -> bytes:
    """A 1x1 GIF (logical screen) with a second 1x1 frame placed at (x, y): Pillow grows its canvas to fit."""
    header = b"GIF89a" + struct.pack("<HH", 1, 1) + bytes([0x80, 0, 0]) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"

    def frame(left: int, top: int) -> bytes:
        control = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 100 ms, no disposal
        # image descriptor, LZW minimum code size 2, one sub-block: clear (4), index 0, end (5)
        return control + b"\x2c" + struct.pack("<HHHH", left, top, 1, 1) + b"\x00" + b"\x02\x02\x44\x01\x00"

    return header + loop + frame(0, 0) + frame(x, y) + b"\x3b"


def test_the_hand_made_gif_is_a_real_two_frame_animation() -> None:
    data = canvas_growing_gif(3, 2)
    with Image.open(io.BytesIO(data)) as im:
        assert im.n_frames == 2
        im.seek(1)
        im.load()
        assert im.size == (4, 3)  # the canvas grew to hold the second frame
    probed = probe(data, **LIMITS)  # a harmless placement is fine
    assert probed.frames == 2


def test_a_canvas_too_big_for_even_one_frame_is_named_as_an_image() -> None:
    with pytest.raises(ImageRejected) as info:  # a frame at (11999, 11999) of a 1x1 screen: a 144 MP canvas
        probe(canvas_growing_gif(11999, 11999), **LIMITS)
    assert info.value.reason == "image is 12000x12000 = 144 MP, over the 100 MP limit"


PEAK_RSS = textwrap.dedent("""
    import resource, sys, time
    from fediverse.imaging import ImageRejected, probe
    data = sys.stdin.buffer.read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        probe(data, max_bytes=40 * 1024 * 1024, max_pixels=100_000_000)
        outcome = "accepted"
    except ImageRejected as exc:
        outcome = exc.code + ": " + exc.reason
    seconds = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(f"{seconds}|{grown}|{outcome}")
""")


def test_a_gif_whose_frame_grows_the_canvas_is_refused_fast_with_bounded_memory() -> None:
    data = canvas_growing_gif()
    assert len(data) < 100
    # A fresh interpreter, so the peak RSS is this probe's alone (ru_maxrss is in KiB on Linux).
    out = subprocess.run([sys.executable, "-c", PEAK_RSS], input=data, capture_output=True, check=True, timeout=60)
    seconds, grown_kib, outcome = out.stdout.decode().strip().split("|", 2)
    assert outcome.startswith("too_many_pixels"), outcome
    assert "9000x9000" in outcome  # the real canvas is named, not the 1x1 logical screen
    assert float(seconds) < 1.0
    assert int(grown_kib) < 32 * 1024, f"peak RSS grew by {int(grown_kib) // 1024} MiB"
