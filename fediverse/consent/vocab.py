"""Fixed names of the consent standards (shared/docs/consent.md §§1–12): namespaces, value URIs, header names.

Nothing here depends on the instance: every IRI is the same on every server, so peers can compare them.
"""

from __future__ import annotations

# --- Our own namespace, for what no standard names (consent doc §15: "mint a project namespace only for terms
# no one has defined"). Fixed, independent of the instance domain; to be registered at w3id.org and documented
# in FEDERATION.md.
CONSENT_NS = "https://w3id.org/fediverse-consent/ns#"

# --- JSON-LD / RDF namespaces used by the emitters.
AS_NS = "https://www.w3.org/ns/activitystreams#"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
TOOT_NS = "http://joinmastodon.org/ns#"
FEDIBIRD_NS = "http://fedibird.com/ns#"
SCHEMA_NS = "http://schema.org#"            # the fediverse prefix (Mastodon, PeerTube, kmyblue)
SCHEMA_NS_ALT = ("http://schema.org/", "https://schema.org/", "https://schema.org#")  # accepted on read
TDMREP_NS = "http://www.w3.org/ns/tdmrep#"  # TDMRep JSON-LD context / EPUB 3
TDMREP_NS_PDF = "http://www.w3.org/ns/tdmrep/"  # TDMRep PDF XMP (the spec disagrees with itself; read both)
FEP_5E53_NS = "https://w3id.org/fep/5e53#"
MISSKEY_NS = "https://misskey-hub.net/ns#"

# --- XMP namespaces (consent doc §8).
XMP_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "cc": "http://creativecommons.org/ns#",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
PLUS_DATA_MINING = XMP_NS["plus"] + "DataMining"
IPTC_DIGITAL_SOURCE_TYPE = XMP_NS["Iptc4xmpExt"] + "DigitalSourceType"

# --- RightsStatements.org "In Copyright": what "all rights reserved" says as an IRI (Europeana, DPLA). The rights
# IRI of every record that names no licence (``fediverse.consent.licence.rights_url``).
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"

# --- PLUS Data Mining vocabulary (IPTC Photo Metadata 2023.1). The full URI is what is written.
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
DMI_UNSPECIFIED = PLUS_VOCAB + "DMI-UNSPECIFIED"
DMI_ALLOWED = PLUS_VOCAB + "DMI-ALLOWED"
DMI_PROHIBITED_AIMLTRAINING = PLUS_VOCAB + "DMI-PROHIBITED-AIMLTRAINING"
DMI_PROHIBITED_GENAIMLTRAINING = PLUS_VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING"
DMI_PROHIBITED_EXCEPTSEARCH = PLUS_VOCAB + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
DMI_PROHIBITED = PLUS_VOCAB + "DMI-PROHIBITED"
DMI_PROHIBITED_SEECONSTRAINT = PLUS_VOCAB + "DMI-PROHIBITED-SEECONSTRAINT"
DMI_PROHIBITED_SEEEMBEDDED = PLUS_VOCAB + "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR"
DMI_PROHIBITED_SEELINKED = PLUS_VOCAB + "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR"

# --- IPTC Digital Source Type (consent doc §8).
DST_VOCAB = "http://cv.iptc.org/newscodes/digitalsourcetype/"
DST_CODES = frozenset(
    {
        "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print", "humanEdits",
        "compositeCapture", "algorithmicallyEnhanced", "digitalCreation", "dataDrivenMedia",
        "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
        "screenCapture", "virtualRecording", "composite", "compositeSynthetic",
        "softwareImage", "minorHumanEdits", "digitalArt",  # deprecated, still read
    }
)  # fmt: skip
DST_AI_CODES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"})
DST_DIGITAL_CREATION = DST_VOCAB + "digitalCreation"
DST_TRAINED_ALGORITHMIC = DST_VOCAB + "trainedAlgorithmicMedia"
_DST_LOWER = {code.lower(): code for code in DST_CODES}

# --- TDMRep policy documents (ODRL 2.2 profile).
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
TDMREP_CONTEXT = "http://www.w3.org/ns/tdmrep.jsonld"
TDMREP_PROFILE = "http://www.w3.org/ns/tdmrep"

# --- HTTP header names, spelled as the standards' own examples spell them.
X_ROBOTS_TAG = "X-Robots-Tag"
TDM_RESERVATION = "tdm-reservation"
TDM_POLICY = "tdm-policy"
CONTENT_USAGE = "Content-Usage"
LINK = "Link"


def normalise_source_type(value: object) -> str | None:
    """Full ``http://cv.iptc.org/...`` URI for a Digital Source Type code or URI, else None.

    Accepts the bare code ("digitalCreation"), the ``http://`` URI and the ``https://`` variant some Google-made
    files carry (consent doc §8); case of the code is forgiven.
    """
    if not isinstance(value, str):
        return None
    v = value.strip().strip("\x00").strip()
    if not v or len(v) > 300:
        return None
    lowered = v.lower()
    if lowered.startswith("https://"):
        v, lowered = "http://" + v[8:], "http://" + lowered[8:]
    if "/" not in v:
        code = _DST_LOWER.get(lowered)
    elif lowered.startswith(DST_VOCAB.lower()):
        code = _DST_LOWER.get(lowered[len(DST_VOCAB):].rstrip("/"))
    else:
        code = None
    return DST_VOCAB + code if code else None


def is_ai_source_type(uri: str | None) -> bool:
    """Does this Digital Source Type declare generative AI (created with it, or a composite including it)?"""
    return bool(uri) and uri.rsplit("/", 1)[-1] in DST_AI_CODES  # type: ignore[union-attr]
