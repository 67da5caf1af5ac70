"""The XMP packet embedded in every image rendition, and a hardened reader for XMP found in remote media.

Writing (consent doc §8, §12): IPTC ``plus:DataMining`` (+ ``plus:OtherConstraints``), ``dc:rights``,
``dc:creator``, ``xmpRights:Marked/WebStatement/UsageTerms``, ``photoshop:Credit``,
``Iptc4xmpCore:CreatorContactInfo/CiUrlWork``, ``Iptc4xmpExt:DigitalSourceType`` and CC REL ``cc:license``.
The packet is a fresh one (never copied from an upload, which may carry GPS); every caller string is escaped.
It stays far below the 65,504-byte JPEG APP1 limit. Pass it to ``fediverse.imaging.derive(..., xmp=packet)``.

Reading: defusedxml's expat parser (DTDs, entity declarations and external references refused), after a
linear pre-check that refuses any ``<!DOCTYPE``/``<!ENTITY``/other markup declaration, with caps on size (a
packet over ``MAX_XMP_BYTES`` is not parsed: its signals read as absent), nesting depth and element count.
Linear in the packet's size: no regular expression that can backtrack. Every failure is a status, never an
exception.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal, Mapping

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from fediverse.consent import vocab
from fediverse.consent.licence import ALL_RIGHTS_RESERVED, is_in_copyright, is_public_domain, licence_name, rights_url
from fediverse.consent.record import ConsentRecord, check_text, check_url
from fediverse.errors import Invalid

NS = vocab.XMP_NS
JPEG_XMP_LIMIT = 65_504
MAX_XMP_BYTES = 256 * 1024  # real packets are a few KiB; JPEG holds < 64 KiB per segment
MAX_DEPTH = 64
MAX_ELEMENTS = 20_000


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lang_alt(tag: str, value: str) -> str:
    return f'   <{tag}><rdf:Alt><rdf:li xml:lang="x-default">{_text(value)}</rdf:li></rdf:Alt></{tag}>'


def usage_terms(record: ConsentRecord, licence: str | None = None) -> str:
    """``xmpRights:UsageTerms``: the licence in words (all rights reserved, with its IRI, when none is chosen),
    then the AI/TDM constraints."""
    url = rights_url(record, licence)
    name = licence_name(url)
    if is_in_copyright(url):
        head = f"{ALL_RIGHTS_RESERVED} ({url})."
    else:
        head = f"Licence: {name} ({url})." if name else f"Licence: {url}."
    return f"{head} {record.constraints_text()}"


def xmp_packet(
    record: ConsentRecord,
    *,
    creator: str | None = None,
    profile_url: str | None = None,
    web_statement: str | None = None,
    copyright_notice: str | None = None,
    licence: str | None = None,
) -> bytes:
    """UTF-8 XMP packet bytes for this record.

    ``creator``: the artist's display name (``dc:creator``, ``cc:attributionName`` fallback).
    ``profile_url``: the artist's page (``Iptc4xmpCore:CiUrlWork``, ``cc:attributionURL``).
    ``web_statement``: ``xmpRights:WebStatement`` (Google Images' licence link); default the rights IRI.
    ``copyright_notice``: ``dc:rights``; default "© <creator>", else the attribution line; with no licence it
    ends "All rights reserved.".
    ``licence``: overrides ``record.licence_url``. With neither, ``cc:license`` and ``xmpRights:WebStatement``
    name the "In Copyright" statement (``rights_url``), as JSON-LD and the ``Link`` header do.
    """
    licence_url = rights_url(record, licence)
    creator = check_text(creator, "creator") if creator else None
    profile = check_url(profile_url, "profile_url") if profile_url else None
    statement = check_url(web_statement, "web_statement") if web_statement else licence_url
    notice = check_text(copyright_notice, "copyright_notice") if copyright_notice else None
    notice = notice or (f"© {creator}" if creator else record.attribution or None)
    if is_in_copyright(licence_url):
        notice = f"{notice.rstrip('.')}. {ALL_RIGHTS_RESERVED}." if notice else f"{ALL_RIGHTS_RESERVED}."

    attrs = [
        f'    plus:DataMining="{_attr(record.data_mining)}"',
        f'    xmpRights:Marked="{"False" if is_public_domain(licence_url) else "True"}"',
    ]
    attrs.append(f'    xmpRights:WebStatement="{_attr(statement)}"')
    if record.attribution:
        attrs.append(f'    photoshop:Credit="{_attr(record.attribution)}"')
    attrs.append(f'    Iptc4xmpExt:DigitalSourceType="{_attr(record.source_type)}"')

    body: list[str] = []
    if creator:
        body.append(f"   <dc:creator><rdf:Seq><rdf:li>{_text(creator)}</rdf:li></rdf:Seq></dc:creator>")
    if notice:
        body.append(_lang_alt("dc:rights", notice))
    body.append(_lang_alt("xmpRights:UsageTerms", usage_terms(record, licence_url)))
    body.append(_lang_alt("plus:OtherConstraints", record.constraints_text()))
    if profile:
        body.append("   <Iptc4xmpCore:CreatorContactInfo rdf:parseType=\"Resource\">")
        body.append(f"    <Iptc4xmpCore:CiUrlWork>{_text(profile)}</Iptc4xmpCore:CiUrlWork>")
        body.append("   </Iptc4xmpCore:CreatorContactInfo>")
    body.append(f'   <cc:license rdf:resource="{_attr(licence_url)}"/>')
    attribution_name = record.attribution or creator
    if attribution_name:
        body.append(f"   <cc:attributionName>{_text(attribution_name)}</cc:attributionName>")
    if profile:
        body.append(f'   <cc:attributionURL rdf:resource="{_attr(profile)}"/>')

    namespaces = [f'    xmlns:{p}="{NS[p]}"' for p in
                  ("plus", "dc", "xmpRights", "photoshop", "Iptc4xmpCore", "Iptc4xmpExt", "cc")]
    text = "\n".join([
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">',
        '  <rdf:Description rdf:about=""',
        *namespaces,
        *attrs[:-1],
        attrs[-1] + ">",
        *body,
        "  </rdf:Description>",
        " </rdf:RDF>",
        "</x:xmpmeta>",
        '<?xpacket end="w"?>',
    ])  # fmt: skip
    packet = text.encode("utf-8")
    if len(packet) > JPEG_XMP_LIMIT:
        raise Invalid(f"XMP packet is {len(packet)} bytes, over the JPEG limit of {JPEG_XMP_LIMIT}")
    return packet


# --- reading ---------------------------------------------------------------------------------------------------

Status = Literal["ok", "empty", "too_large", "refused", "unparseable"]

_WANTED: dict[tuple[str, str], str] = {
    (NS["plus"], "DataMining"): "plus:DataMining",
    (NS["plus"], "OtherConstraints"): "plus:OtherConstraints",
    (NS["dc"], "rights"): "dc:rights",
    (NS["dc"], "creator"): "dc:creator",
    (NS["xmpRights"], "Marked"): "xmpRights:Marked",
    (NS["xmpRights"], "WebStatement"): "xmpRights:WebStatement",
    (NS["xmpRights"], "UsageTerms"): "xmpRights:UsageTerms",
    (NS["photoshop"], "Credit"): "photoshop:Credit",
    (NS["Iptc4xmpExt"], "DigitalSourceType"): "Iptc4xmpExt:DigitalSourceType",
    (NS["Iptc4xmpCore"], "CiUrlWork"): "Iptc4xmpCore:CiUrlWork",
    (NS["cc"], "license"): "cc:license",
    (NS["cc"], "attributionName"): "cc:attributionName",
    (vocab.TDMREP_NS, "reservation"): "tdm:reservation",
    (vocab.TDMREP_NS_PDF, "reservation"): "tdm:reservation",
    (vocab.TDMREP_NS, "policy"): "tdm:policy",
    (vocab.TDMREP_NS_PDF, "policy"): "tdm:policy",
}
_WANTED_CLARK = {f"{{{ns}}}{local}": key for (ns, local), key in _WANTED.items()}
_RDF = f"{{{NS['rdf']}}}"
_XML_LANG = f"{{{NS['xml']}}}lang"
_DECLARATION = re.compile(r"<!(?!--|\[CDATA\[)")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_MAX_VALUE = 4096


@dataclass(frozen=True)
class XmpReading:
    """What a packet says: ``properties`` maps "prefix:Name" to its values, in document order."""

    status: Status
    detail: str = ""
    properties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def first(self, key: str) -> str | None:
        values = self.properties.get(key)
        return values[0] if values else None


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16")
    else:
        text = data.decode("utf-8")
    return _XML_DECL.sub("", text.strip("\x00 \t\r\n").lstrip("\ufeff"), count=1)


def _element_values(el: ET.Element) -> list[str]:
    resource = el.get(_RDF + "resource")
    if resource is not None:
        return [resource.strip()]
    items = [li for container in el for li in container if container.tag in
             (_RDF + "Alt", _RDF + "Seq", _RDF + "Bag") and li.tag == _RDF + "li"]
    if items:
        default = [li for li in items if li.get(_XML_LANG) == "x-default"]
        ordered = default + [li for li in items if li not in default]
        return [(li.text or "").strip() for li in ordered if (li.text or "").strip()]
    text = (el.text or "").strip()
    return [text] if text else []


def read_xmp(data: bytes | str | None, *, max_bytes: int = MAX_XMP_BYTES) -> XmpReading:
    """Parse an XMP packet (``im.info["xmp"]`` from Pillow, bytes or str) safely. Never raises."""
    if not data:
        return XmpReading("empty")
    if len(data) > max_bytes:
        return XmpReading("too_large", f"{len(data)} bytes is over the {max_bytes}-byte cap; not parsed")
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        return XmpReading("unparseable", f"not UTF-8/UTF-16 text: {exc.reason}")
    if _DECLARATION.search(text):
        return XmpReading("refused", "contains a DOCTYPE/ENTITY or other markup declaration; not parsed")

    found: dict[str, list[str]] = {}

    def add(key: str, values: list[str]) -> None:
        bucket = found.setdefault(key, [])
        bucket.extend(v[:_MAX_VALUE] for v in values if v)

    depth = elements = 0
    try:
        for event, el in iterparse(io.StringIO(text), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                elements += 1
                if depth > MAX_DEPTH:
                    return XmpReading("unparseable", f"nested deeper than {MAX_DEPTH} elements")
                if elements > MAX_ELEMENTS:
                    return XmpReading("unparseable", f"more than {MAX_ELEMENTS} elements")
                for name, value in el.attrib.items():
                    if name in _WANTED_CLARK:
                        add(_WANTED_CLARK[name], [value.strip()])
            else:
                depth -= 1
                key = _WANTED_CLARK.get(el.tag)
                if key:
                    add(key, _element_values(el))
    except DefusedXmlException as exc:
        return XmpReading("refused", f"contains a DOCTYPE/ENTITY declaration or an external reference ({exc})")
    except ET.ParseError as exc:
        return XmpReading("unparseable", f"malformed XML: {exc}")
    return XmpReading("ok", properties={k: tuple(v) for k, v in found.items() if v})
