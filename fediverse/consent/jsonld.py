"""JSON-LD projection: the inline @context terms and the properties merged into AP documents (consent doc §15).

Real IRIs are reused wherever they exist (TDMRep, PLUS, IPTC, toot, fedibird, schema.org with Mastodon's
``http://schema.org#`` prefix, FEP-5e53); our own namespace ``CONSENT_NS`` carries only what no one has named:
the exact AIPREF string (``contentUsage``), the three-way training choice, the AI-input choice and a pointer to
the ODRL policy.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from fediverse.consent import vocab
from fediverse.consent.licence import rights_url
from fediverse.consent.record import ConsentRecord, check_url
from fediverse.errors import Invalid

Kind = Literal["actor", "object", "attachment", "collection"]

JSONLD_TERMS: dict[str, Any] = {
    "toot": vocab.TOOT_NS,
    "indexable": "toot:indexable",
    "schema": vocab.SCHEMA_NS,
    "license": {"@id": "schema:license", "@type": "@id"},
    "creditText": "schema:creditText",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "fedibird": vocab.FEDIBIRD_NS,
    "otherSetting": "fedibird:otherSetting",
    "tdm": vocab.TDMREP_NS,
    "tdmReservation": "tdm:reservation",
    "tdmPolicy": {"@id": "tdm:policy", "@type": "@id"},
    "dataMining": {"@id": vocab.PLUS_DATA_MINING, "@type": "@id"},
    "digitalSourceType": {"@id": vocab.IPTC_DIGITAL_SOURCE_TYPE, "@type": "@id"},
    "xRobotsTag": vocab.FEP_5E53_NS + "xRobotsTag",
    "consent": vocab.CONSENT_NS,
    "contentUsage": "consent:contentUsage",
    "aiTraining": "consent:aiTraining",
    "aiInput": "consent:aiInput",
    "aiTrainingPolicy": {"@id": "consent:aiTrainingPolicy", "@type": "@id"},
}
"""Inline @context terms. Merge them into the document's context object (see ``with_consent_terms``)."""


def with_consent_terms(context: list[Any] | str | dict[str, Any]) -> list[Any]:
    """A copy of ``context`` with ``JSONLD_TERMS`` merged into its (last) inline object.

    A term the context already defines must have the same definition, otherwise Invalid: two meanings for one
    key would silently change what peers read.
    """
    items: list[Any] = copy.deepcopy(context) if isinstance(context, list) else [copy.deepcopy(context)]
    if items and isinstance(items[-1], dict):
        inline = items[-1]
    else:
        inline = {}
        items.append(inline)
    for term, definition in JSONLD_TERMS.items():
        existing = inline.get(term)
        if existing is None:
            inline[term] = copy.deepcopy(definition)
        elif existing != definition:
            raise Invalid(f"@context term {term!r} is already defined differently: {existing!r}")
    return items


def jsonld_properties(
    record: ConsentRecord,
    *,
    kind: Kind = "object",
    policy_url: str | None = None,
    licence: str | None = None,
) -> dict[str, Any]:
    """The consent properties to merge into an actor, Note/Article, attachment or collection (page) document.

    ``policy_url``: the TDM policy (ODRL) URL for this actor, sent only while TDM rights are reserved.
    ``licence``: overrides ``record.licence_url`` (e.g. the artist's licensing page); with neither, ``license`` is
    the "In Copyright" statement (``rights_url``): all rights reserved is said, not left unsaid.
    Actors also get ``indexable`` (Mastodon / FEP-5feb) and kmyblue's ``otherSetting`` ``noai``; attachments
    always carry a Digital Source Type (``digitalCreation`` unless declared), objects only a declared one.
    """
    if kind not in ("actor", "object", "attachment", "collection"):
        raise Invalid(f"unknown document kind {kind!r}")
    props: dict[str, Any] = {}
    directives = record.robots_directives
    if directives:
        props["xRobotsTag"] = ", ".join(directives)
    props["contentUsage"] = record.content_usage
    props["tdmReservation"] = record.tdm_reservation
    if record.tdm_reservation and policy_url:
        url = check_url(policy_url, "policy_url")
        props["tdmPolicy"] = url
        props["aiTrainingPolicy"] = url
    props["dataMining"] = record.data_mining
    props["aiTraining"] = record.ai_training
    props["aiInput"] = record.ai_input
    props["license"] = rights_url(record, licence)
    if record.attribution:
        props["creditText"] = record.attribution
    if kind == "attachment":
        props["digitalSourceType"] = record.source_type
    elif kind == "object" and record.digital_source_type:
        props["digitalSourceType"] = record.digital_source_type
    if kind == "actor":
        props["indexable"] = record.search
        props["otherSetting"] = [{"type": "PropertyValue", "name": "noai", "value": record.restricts_training}]
    return props
