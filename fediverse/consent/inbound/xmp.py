"""Consent signals in the XMP packet of a remote media file."""

from __future__ import annotations

from fediverse.consent.inbound.readers import read_data_mining, read_dst, read_tdm_reservation, read_url, short_text
from fediverse.consent.inbound.signals import MAX_RAW, Collector, InboundSignals
from fediverse.consent.xmp import MAX_XMP_BYTES, read_xmp


def signals_from_xmp(data: bytes | str | None, *, max_bytes: int = MAX_XMP_BYTES) -> InboundSignals:
    """Read the XMP packet of a remote file (Pillow's ``im.info["xmp"]``). Capped, DTD-free, never raises."""
    c = Collector("xmp")
    reading = read_xmp(data, max_bytes=max_bytes)
    if reading.status == "empty":
        return c.result()
    if reading.status == "too_large":
        c.note("XMP", f"{len(data or b'')} bytes", f"refused: {reading.detail}")
        return c.result()
    if reading.status == "refused":
        c.note("XMP", (data[:MAX_RAW] if isinstance(data, str) else (data or b"")[:MAX_RAW].decode("latin-1")),
               f"refused: {reading.detail}")
        return c.result()
    if reading.status == "unparseable":
        c.note("XMP", "", f"unparseable: {reading.detail}")
        return c.result()
    props = reading.properties
    for value in props.get("plus:DataMining", ())[:1]:
        read_data_mining(c, value, "plus:DataMining")
    for value in props.get("tdm:reservation", ())[:1]:
        read_tdm_reservation(c, [value], "tdm:reservation")
    for value in props.get("tdm:policy", ())[:1]:
        read_url(c, value, "tdm:policy", "tdm_policy")
    for value in props.get("Iptc4xmpExt:DigitalSourceType", ())[:1]:
        read_dst(c, value, "Iptc4xmpExt:DigitalSourceType")
    for key in ("cc:license", "xmpRights:WebStatement"):
        for value in props.get(key, ())[:1]:
            read_url(c, value, key, "licence_url")
    for key in ("photoshop:Credit", "cc:attributionName", "dc:rights"):
        for value in props.get(key, ())[:1]:
            if text := short_text(value):
                c.set(key, text, attribution=text)
    for value in props.get("dc:creator", ())[:1]:
        if text := short_text(value):
            c.set("dc:creator", text, creator=text)
    for key in ("plus:OtherConstraints", "xmpRights:UsageTerms", "xmpRights:Marked"):
        for value in props.get(key, ())[:1]:
            c.note(key, value, "ignored: human-readable terms, kept for reference")
    return c.result()
