"""IPTC Digital Source Type read from an uploaded file: does it declare itself AI-generated?

Sources (consent doc §8): ``Iptc4xmpExt:DigitalSourceType`` in the XMP packet (attribute, element text or
``rdf:resource``), its value a URI from ``http://cv.iptc.org/newscodes/digitalsourcetype/``. Some Google-made
files use ``https://``, so the scheme is normalised to ``http://``; a bare code ("trainedAlgorithmicMedia") is
expanded to the full URI.

When the XMP packet Pillow exposes has no such property, the raw bytes are searched for the vocabulary URI.
That finds the value in places Pillow does not parse (Extended XMP, C2PA manifests whose actions carry
``digitalSourceType``). If several values are found, an AI one wins: a file that anywhere declares generative AI
is labelled so.

XML is parsed with defusedxml (expat, DTDs and entities refused), so entity-expansion attacks cannot happen. A
packet over ``MAX_XMP`` bytes is not read at all; a malformed one, or one carrying a DTD, is only searched for the
vocabulary URI like the rest of the file. No backtracking regular expression runs over the packet, so the cost
stays linear in its size whatever the bytes are (an element-matching fallback used to take seconds on 100 KB of
non-XML, holding the GIL and so stalling the whole process).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

VOCAB = "http://cv.iptc.org/newscodes/digitalsourcetype/"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_TAG = f"{{{IPTC_EXT_NS}}}DigitalSourceType"

# Declares generative AI: created with it, or a composite that includes it.
AI_CODES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"})
_AI_CODES_LOWER = {c.lower(): c for c in AI_CODES}

KNOWN_CODES = frozenset(
    {
        "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print", "humanEdits",
        "compositeCapture", "algorithmicallyEnhanced", "digitalCreation", "dataDrivenMedia",
        "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
        "screenCapture", "virtualRecording", "composite", "compositeSynthetic",
        "softwareImage", "minorHumanEdits", "digitalArt",
    }
)  # fmt: skip
_KNOWN_LOWER = {c.lower(): c for c in KNOWN_CODES}

_RAW_RE = re.compile(rb"(?:https?://)?cv\.iptc\.org/newscodes/digitalsourcetype/([A-Za-z]{3,64})")
MAX_XMP = 256 * 1024  # as fediverse.consent.xmp.MAX_XMP_BYTES: real packets are a few KiB


def normalise(value: str) -> str | None:
    """Full ``http://cv.iptc.org/...`` URI for a Digital Source Type value, or None when it is not one."""
    v = value.strip().strip("\x00").strip()
    if not v:
        return None
    lowered = v.lower()
    if lowered.startswith("https://"):
        v = "http://" + v[8:]
        lowered = v.lower()
    if "/" not in v:
        code = _KNOWN_LOWER.get(lowered)
        return VOCAB + code if code else None
    if lowered.startswith(VOCAB.lower()):
        code = v[len(VOCAB) :].strip("/")
        canonical = _KNOWN_LOWER.get(code.lower(), code)
        return VOCAB + canonical if canonical else None
    return v  # some other vocabulary: keep it, it is what the file says


def is_ai(uri: str | None) -> bool:
    if not uri or not uri.startswith(VOCAB):
        return False
    return uri[len(VOCAB) :].lower() in _AI_CODES_LOWER


def _pick(values: list[str]) -> str | None:
    normalised = [n for n in (normalise(v) for v in values) if n]
    for n in normalised:
        if is_ai(n):
            return n
    return normalised[0] if normalised else None


def from_xmp(xmp: bytes | str | None) -> str | None:
    if not xmp:
        return None
    raw = xmp.encode("utf-8", "replace") if isinstance(xmp, str) else bytes(xmp)
    if len(raw) > MAX_XMP:
        return None
    raw = raw.strip(b"\x00 \t\r\n")
    if b"DigitalSourceType" not in raw:
        return None
    try:
        root = fromstring(raw, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException):
        return from_raw_bytes(raw)  # a DTD or broken markup: only the full vocabulary URI counts (linear scan)
    values: list[str] = []
    for el in root.iter():
        attr = el.attrib.get(_TAG)
        if attr:
            values.append(attr)
        if el.tag == _TAG:
            res = el.attrib.get(f"{{{RDF_NS}}}resource")
            if res:
                values.append(res)
            if el.text and el.text.strip():
                values.append(el.text)
            for sub in el.iter():  # <rdf:value>, nested li ...
                if sub is not el and sub.text and sub.text.strip():
                    values.append(sub.text)
    return _pick(values)


def from_raw_bytes(data: bytes) -> str | None:
    """Search the whole file for the vocabulary URI (C2PA manifests, Extended XMP)."""
    if data.find(b"cv.iptc.org/newscodes/digitalsourcetype/") < 0:
        return None
    return _pick([m.group(1).decode("ascii") for m in _RAW_RE.finditer(data)])


def digital_source_type(xmp: bytes | str | None, data: bytes) -> str | None:
    return from_xmp(xmp) or from_raw_bytes(data)
