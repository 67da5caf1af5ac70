"""The XMP packet: exact fields, survives Pillow (JPEG, WebP, PNG iTXt) and derive(), reads back with ExifTool;
and the hardened reader: DOCTYPE / entity expansion refused, huge packets capped, garbage never crashes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from fediverse.consent import ConsentOverride, ConsentRecord, effective, read_xmp, signals_from_xmp, xmp_packet
from fediverse.consent.vocab import XMP_NS
from fediverse.consent.xmp import JPEG_XMP_LIMIT, MAX_XMP_BYTES
from fediverse.errors import Invalid

CC = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"
PLUS = "http://ns.useplus.org/ldf/vocab/"
DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
ANA = ConsentRecord(licence_url=CC, attribution="Ana Artist / example.social")
PACKET = xmp_packet(ANA, creator="Ana Artist", profile_url="https://example.social/@ana")
EXIFTOOL = shutil.which("exiftool")


def _description(packet: bytes) -> ET.Element:
    root = ET.fromstring(packet.decode("utf-8"))
    desc = root.find(f"{{{XMP_NS['rdf']}}}RDF/{{{XMP_NS['rdf']}}}Description")
    assert desc is not None
    return desc


def _q(prefix: str, local: str) -> str:
    return f"{{{XMP_NS[prefix]}}}{local}"


def test_packet_fields_are_exact() -> None:
    assert PACKET.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'.encode())
    assert PACKET.rstrip().endswith(b'<?xpacket end="w"?>')
    d = _description(PACKET)
    assert d.get(_q("plus", "DataMining")) == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    assert d.get(_q("xmpRights", "Marked")) == "True"
    assert d.get(_q("xmpRights", "WebStatement")) == CC
    assert d.get(_q("photoshop", "Credit")) == "Ana Artist / example.social"
    assert d.get(_q("Iptc4xmpExt", "DigitalSourceType")) == DST + "digitalCreation"
    creator = d.find(_q("dc", "creator"))
    assert creator is not None and [e.text for e in creator.iter(f"{{{XMP_NS['rdf']}}}li")] == ["Ana Artist"]
    rights = d.find(_q("dc", "rights"))
    assert rights is not None and rights[0][0].text == "© Ana Artist"
    assert rights[0][0].get(f"{{{XMP_NS['xml']}}}lang") == "x-default"
    constraints = d.find(_q("plus", "OtherConstraints"))
    assert constraints is not None and constraints[0][0].text == ANA.constraints_text()
    terms = d.find(_q("xmpRights", "UsageTerms"))
    assert terms is not None and (terms[0][0].text or "").startswith(f"Licence: CC BY-NC-ND 4.0 ({CC}).")
    licence = d.find(_q("cc", "license"))
    assert licence is not None and licence.get(f"{{{XMP_NS['rdf']}}}resource") == CC
    contact = d.find(f"{_q('Iptc4xmpCore', 'CreatorContactInfo')}/{_q('Iptc4xmpCore', 'CiUrlWork')}")
    assert contact is not None and contact.text == "https://example.social/@ana"
    assert len(PACKET) < 4096 < JPEG_XMP_LIMIT


def test_no_licence_is_stated_as_in_copyright_in_every_rights_field() -> None:
    """All rights reserved: cc:license and WebStatement name the In Copyright IRI, the words say the same."""
    d = _description(xmp_packet(ConsentRecord(), creator="Ana Artist"))
    assert d.get(_q("xmpRights", "WebStatement")) == IN_COPYRIGHT
    assert d.get(_q("xmpRights", "Marked")) == "True"
    licence = d.find(_q("cc", "license"))
    assert licence is not None and licence.get(f"{{{XMP_NS['rdf']}}}resource") == IN_COPYRIGHT
    rights = d.find(_q("dc", "rights"))
    assert rights is not None and rights[0][0].text == "© Ana Artist. All rights reserved."
    terms = d.find(_q("xmpRights", "UsageTerms"))
    assert terms is not None and (terms[0][0].text or "").startswith(f"All rights reserved ({IN_COPYRIGHT}).")
    assert signals_from_xmp(xmp_packet(ConsentRecord())).licence_url == IN_COPYRIGHT  # read back as stated


@pytest.mark.parametrize(
    ("fields", "plus"),
    [
        ({"ai_training": "no_generative", "tdm_reserved": False, "ai_input": True}, "DMI-PROHIBITED-GENAIMLTRAINING"),
        ({"ai_training": "none", "tdm_reserved": False, "ai_input": True}, "DMI-PROHIBITED-AIMLTRAINING"),
        ({"search": False}, "DMI-PROHIBITED"),
        ({"ai_training": "allowed", "tdm_reserved": False, "ai_input": True}, "DMI-ALLOWED"),
    ],
)
def test_data_mining_value_follows_the_record(fields: dict, plus: str) -> None:  # type: ignore[type-arg]
    d = _description(xmp_packet(ConsentRecord(**fields)))
    assert d.get(_q("plus", "DataMining")) == PLUS + plus


def test_ai_work_declares_trained_algorithmic_media_and_public_domain_is_not_marked() -> None:
    ai = effective(ANA, None, ConsentOverride(digital_source_type="trainedAlgorithmicMedia"))
    assert _description(xmp_packet(ai)).get(_q("Iptc4xmpExt", "DigitalSourceType")) == DST + "trainedAlgorithmicMedia"
    cc0 = ConsentRecord(licence_url="https://creativecommons.org/publicdomain/zero/1.0/")
    assert _description(xmp_packet(cc0)).get(_q("xmpRights", "Marked")) == "False"


def test_user_strings_are_escaped() -> None:
    evil = ConsentRecord(attribution='"/><x:evil a="1" & <b>', licence_url="https://example.social/l?a=1&b=2")
    packet = xmp_packet(evil, creator="</rdf:li>Mallory<!--", copyright_notice="© <me> & co")
    d = _description(packet)  # still well-formed
    assert d.get(_q("photoshop", "Credit")) == '"/><x:evil a="1" & <b>'
    assert d.get(_q("xmpRights", "WebStatement")) == "https://example.social/l?a=1&b=2"
    assert read_xmp(packet).first("dc:creator") == "</rdf:li>Mallory<!--"
    with pytest.raises(Invalid):
        xmp_packet(ANA, creator="Ana\nEvil")
    with pytest.raises(Invalid):
        xmp_packet(ANA, profile_url="javascript:alert(1)")


def test_packet_round_trips_through_our_reader() -> None:
    signals = signals_from_xmp(PACKET)
    assert signals.problems == ()
    assert (signals.ai_training, signals.tdm_reserved, signals.ai_input, signals.search) == ("none", True, False, True)
    assert signals.licence_url == CC and signals.creator == "Ana Artist"
    assert signals.attribution == "Ana Artist / example.social"
    assert signals.digital_source_type == DST + "digitalCreation"
    assert signals.to_record(ConsentRecord(ai_training="allowed")) == ConsentRecord(
        ai_training="none", tdm_reserved=True, ai_input=False, search=True, licence_url=CC,
        attribution="Ana Artist / example.social", digital_source_type=DST + "digitalCreation")


# --- Pillow -----------------------------------------------------------------------------------------------------------


def _image() -> Image.Image:
    return Image.new("RGB", (64, 48), (200, 40, 60))


def _save(fmt: str, packet: bytes) -> bytes:
    buf = io.BytesIO()
    im = _image()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"), zip=False)
        im.save(buf, "PNG", pnginfo=info)
    else:
        im.save(buf, fmt, xmp=packet)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_packet_survives_pillow(fmt: str) -> None:
    data = _save(fmt, PACKET)
    with Image.open(io.BytesIO(data)) as im:
        raw = im.info["xmp"]
    reading = read_xmp(raw)
    assert reading.status == "ok"
    assert reading.first("plus:DataMining") == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    assert reading.first("cc:license") == CC
    assert signals_from_xmp(raw).ai_training == "none"


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_pillow_getxmp_sees_data_mining(fmt: str) -> None:
    with Image.open(io.BytesIO(_save(fmt, PACKET))) as im:
        desc = im.getxmp()["xmpmeta"]["RDF"]["Description"]
    assert desc["DataMining"] == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"


def test_packet_is_embedded_in_every_rendition_by_derive() -> None:
    from fediverse.imaging import derive, probe

    source = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(source, "PNG")
    data = source.getvalue()
    p = probe(data, max_bytes=10_000_000, max_pixels=10_000_000)
    derived = derive(data, p, large_max=(200, 200), display_size=100, thumbnail_size=50, xmp=PACKET)
    assert derived.renditions
    for rendition in derived.renditions:
        with Image.open(io.BytesIO(rendition.data)) as im:
            reading = read_xmp(im.info.get("xmp"))
        assert reading.first("plus:DataMining") == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", rendition.kind


@pytest.mark.requires("exiftool")
@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_exiftool_reads_the_packet(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"art.{fmt.lower()}"
    path.write_bytes(_save(fmt, PACKET))
    out = subprocess.run([EXIFTOOL, "-j", "-G1", "-XMP:all", str(path)], capture_output=True, text=True,
                         check=True, timeout=60)
    tags = json.loads(out.stdout)[0]
    values = {key.split(":", 1)[1]: value for key, value in tags.items() if ":" in key}
    # ExifTool < 12.67 shows the raw URI, newer ones a friendly label: accept both.
    assert values["DataMining"] in (PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
                                    "Prohibited except for search engine indexing")
    assert values["Creator"] == "Ana Artist"
    assert values["Rights"] == "© Ana Artist"
    assert values["WebStatement"] == CC
    assert values["Marked"] is True
    assert values["Credit"] == "Ana Artist / example.social"
    assert values["DigitalSourceType"] in (DST + "digitalCreation", "Digital Creation",
                                           "Created by a human using digital tools")
    assert values["License"] == CC


# --- hostile XMP ------------------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights>&lol9;</dc:rights></rdf:Description>
</rdf:RDF></x:xmpmeta>"""

EXTERNAL_ENTITY = b"""<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights>&xxe;</dc:rights></rdf:Description>
</rdf:RDF></x:xmpmeta>"""


@pytest.mark.parametrize(
    "packet",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        b'<!doctype x SYSTEM "http://evil.example/x.dtd"><x/>',
        b"<!ENTITY a 'b'><x/>",
        "<!DOCTYPE x>\n<x/>".encode("utf-16"),
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<!DOCTYPE x [<!ELEMENT x ANY>]><x/>',
    ],
)
def test_dtd_and_entity_declarations_are_refused(packet: bytes) -> None:
    reading = read_xmp(packet)
    assert reading.status == "refused" and "DOCTYPE" in reading.detail
    signals = signals_from_xmp(packet)
    assert signals.unparseable and signals.problems[0].meaning.startswith("refused:")
    assert not signals.known


def test_undeclared_entity_is_unparseable_not_expanded() -> None:
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><a>&xxe;</a></x:xmpmeta>'
    assert read_xmp(packet).status == "unparseable"


def test_huge_xmp_is_capped_without_parsing() -> None:
    huge = PACKET.replace(b"</x:xmpmeta>", b"<!--" + b"x" * (MAX_XMP_BYTES + 10) + b"--></x:xmpmeta>")
    reading = read_xmp(huge)
    assert reading.status == "too_large"
    signals = signals_from_xmp(huge)
    assert signals.problems[0].meaning.startswith("refused:") and "cap" in signals.problems[0].meaning
    assert read_xmp(PACKET, max_bytes=100).status == "too_large"


def test_deep_nesting_and_element_floods_are_stopped() -> None:
    deep = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</x:xmpmeta>"
    assert read_xmp(deep).status == "unparseable" and "deeper" in read_xmp(deep).detail
    flood = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a/>" * 30_000 + b"</x:xmpmeta>"
    assert read_xmp(flood).status == "unparseable" and "elements" in read_xmp(flood).detail


@pytest.mark.parametrize(
    ("garbage", "status"),
    [(b"", "empty"), (None, "empty"), (b"\x00\x00\x00", "unparseable"), (b"not xml at all", "unparseable"),
     (b"<unclosed", "unparseable"), (b"\xff\xd8\xff\xe1 binary", "unparseable"),
     (b"<?xpacket begin='' ?><x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta><?xpacket end='w'?>\x00\x00", "ok"),
     ("<x>text packet as str</x>", "ok"), (b"\xc3\x28 invalid utf-8", "unparseable")],
)
def test_garbage_never_crashes(garbage: bytes | str | None, status: str) -> None:
    reading = read_xmp(garbage)
    assert reading.status == status, reading.detail
    signals_from_xmp(garbage)


def test_reader_accepts_bare_keys_legacy_values_https_source_types_and_tdm() -> None:
    packet = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
       xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:tdm="http://www.w3.org/ns/tdmrep/">
      <plus:DataMining>DMI-ALLOWED-noaigentraining</plus:DataMining>
      <Iptc4xmpExt:DigitalSourceType
        rdf:resource="https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>
      <tdm:reservation>1</tdm:reservation>
    </rdf:Description></rdf:RDF></x:xmpmeta>"""
    signals = signals_from_xmp(packet)
    assert signals.ai_training == "no_generative" and signals.tdm_reserved is True
    assert signals.digital_source_type == DST + "trainedAlgorithmicMedia"
    bare = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' \
           b'<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" plus:DataMining="DMI-PROHIBITED"/>' \
           b"</rdf:RDF></x:xmpmeta>"
    s = signals_from_xmp(bare)
    assert (s.ai_training, s.tdm_reserved, s.ai_input, s.search) == ("none", True, False, False)


def test_unknown_data_mining_value_is_reported_not_guessed() -> None:
    packet = xmp_packet(ConsentRecord()).replace(b"DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", b"DMI-WHATEVER")
    signals = signals_from_xmp(packet)
    assert signals.ai_training is None
    assert any(p.signal == "plus:DataMining" and p.meaning.startswith("unparseable:") for p in signals.provenance)
