"""Consent signals in a remote ActivityPub actor or object (ours, FEP-5e53, kmyblue, Misskey, PeerTube, ...)."""

from __future__ import annotations

from typing import Any, Mapping

from fediverse.consent import vocab
from fediverse.consent.inbound.readers import (
    as_id, read_content_usage, read_data_mining, read_dst, read_tdm_reservation, read_url, read_x_robots,
    short_text, truthy, unwrap, url_or_none,
)
from fediverse.consent.record import AI_TRAINING_VALUES
from fediverse.consent.inbound.signals import ACTOR_TYPES, MAX_LIST, OUR_TOKENS, Collector, InboundSignals


def _aliases(compact: str, *iris: str) -> tuple[str, ...]:
    return (compact, *iris)


_SCHEMA_KEYS = [ns + "license" for ns in (vocab.SCHEMA_NS, *vocab.SCHEMA_NS_ALT)]
_KEYS = {
    "contentUsage": _aliases("contentUsage", vocab.CONSENT_NS + "contentUsage", "consent:contentUsage"),
    "aiTraining": _aliases("aiTraining", vocab.CONSENT_NS + "aiTraining", "consent:aiTraining"),
    "aiInput": _aliases("aiInput", vocab.CONSENT_NS + "aiInput", "consent:aiInput"),
    "tdmReservation": _aliases("tdmReservation", "tdm:reservation", vocab.TDMREP_NS + "reservation"),
    "tdmPolicy": _aliases("tdmPolicy", "tdm:policy", vocab.TDMREP_NS + "policy"),
    "dataMining": _aliases("dataMining", "plus:DataMining", vocab.PLUS_DATA_MINING),
    "xRobotsTag": _aliases("xRobotsTag", vocab.FEP_5E53_NS + "xRobotsTag"),
    "otherSetting": _aliases("otherSetting", "fedibird:otherSetting", vocab.FEDIBIRD_NS + "otherSetting"),
    "indexable": _aliases("indexable", "toot:indexable", vocab.TOOT_NS + "indexable"),
    "searchableBy": _aliases("searchableBy", "fedibird:searchableBy", vocab.FEDIBIRD_NS + "searchableBy"),
    "license": _aliases("license", "licence", "schema:license", "sc:license", *_SCHEMA_KEYS),
    "misskeyLicense": _aliases("_misskey_license", "misskey:_misskey_license", vocab.MISSKEY_NS + "_misskey_license"),
    "creditText": _aliases("creditText", "schema:creditText", *[ns + "creditText" for ns in
                                                                (vocab.SCHEMA_NS, *vocab.SCHEMA_NS_ALT)]),
    "digitalSourceType": _aliases("digitalSourceType", vocab.IPTC_DIGITAL_SOURCE_TYPE),
}
_PUBLIC = {vocab.AS_PUBLIC, "as:Public", "Public"}


def _get(doc: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    for key in _KEYS[name]:
        if key in doc:
            value = doc[key]
            if value is None or value == [] or value == "":
                return None  # JSON-LD: empty array / null = absent
            return key, value
    return None


def _read_flag(c: Collector, found: tuple[str, Any], term: str, field: str) -> None:
    """A boolean term (``aiInput``, ``indexable``): a JSON boolean (or its string) sets ``field``; else noted."""
    key, value = found
    flag = truthy(value)
    if flag is None:
        c.note(key, value, f"unparseable: {term} must be a boolean")
    else:
        c.set(key, value, **{field: flag})

def signals_from_activitypub(doc: Any, *, is_actor: bool | None = None) -> InboundSignals:
    """Read a remote actor or object (one JSON document, compacted with the sender's context).

    Reads our terms, FEP-5e53 ``xRobotsTag``, kmyblue ``otherSetting`` ``noai``/``noindex``, ``indexable``
    (an actor without it is not searchable, FEP-5feb), ``searchableBy`` (FEP-268d), ``license``/``licence``
    (string, ``{"@id"}`` or PeerTube's ``{identifier, name}``; ``http://schema.org#`` and ``https://schema.org/``
    keys), ``_misskey_license``, ``creditText``, ``digitalSourceType``. Attachments are separate documents:
    read each and ``combine`` it with its object's signals.
    """
    c = Collector("activitypub")
    if not isinstance(doc, Mapping):
        c.note("document", type(doc).__name__, "unparseable: not a JSON object")
        return c.result()
    if is_actor is None:
        types = doc.get("type")
        types = types if isinstance(types, list) else [types]
        is_actor = any(t in ACTOR_TYPES for t in types if isinstance(t, str))

    if found := _get(doc, "contentUsage"):
        key, value = found
        value = unwrap(value)
        if isinstance(value, str):
            read_content_usage(c, [value], key)
        else:
            c.note(key, value, "unparseable: contentUsage must be a string")
    if found := _get(doc, "aiTraining"):
        key, value = found
        value = unwrap(value)
        if value in AI_TRAINING_VALUES:
            c.set(key, value, ai_training=value)
        else:
            c.note(key, value, f"unparseable: aiTraining must be one of {', '.join(AI_TRAINING_VALUES)}")
    if found := _get(doc, "aiInput"):
        _read_flag(c, found, "aiInput", "ai_input")
    if found := _get(doc, "tdmReservation"):
        key, value = found
        read_tdm_reservation(c, [unwrap(value)], key)
    if found := _get(doc, "tdmPolicy"):
        read_url(c, as_id(found[1]), found[0], "tdm_policy")
    if found := _get(doc, "dataMining"):
        read_data_mining(c, found[1], found[0])
    if found := _get(doc, "xRobotsTag"):
        key, value = found
        values = value if isinstance(value, list) else [value]
        strings = [v for v in values[:MAX_LIST] if isinstance(v, str)]
        if strings:
            read_x_robots(c, strings, key, OUR_TOKENS)
        else:
            c.note(key, value, "unparseable: xRobotsTag must be a string")
    if found := _get(doc, "otherSetting"):
        key, value = found
        for entry in (value if isinstance(value, list) else [value])[:MAX_LIST]:
            if not isinstance(entry, Mapping):
                continue
            name, flag = entry.get("name"), truthy(entry.get("value"))
            if name == "noai" and flag:
                c.set(f"{key} noai", True, ai_training="none")
            elif name == "noindex" and flag:
                c.set(f"{key} noindex", True, search=False)
    if found := _get(doc, "indexable"):
        _read_flag(c, found, "indexable", "search")
    elif is_actor:
        c.set("indexable", "(absent)", search=False)  # FEP-5feb: a missing indexable SHOULD be treated as false
    if found := _get(doc, "searchableBy"):
        key, value = found
        audience = [as_id(v) for v in (value if isinstance(value, list) else [value])[:MAX_LIST]]
        c.set(key, audience, search=any(a in _PUBLIC for a in audience))
    if found := _get(doc, "license"):
        key, value = found
        value = unwrap(value)
        if isinstance(value, Mapping) and ("identifier" in value or "name" in value) and not as_id(value):
            if text := short_text(value.get("name")):  # PeerTube {identifier, name}
                c.set(key, value, licence_text=text)
        elif url := url_or_none(as_id(value)):
            c.set(key, value, licence_url=url)
        elif text := short_text(value):
            c.set(key, value, licence_text=text)
    if found := _get(doc, "misskeyLicense"):
        key, value = found
        value = unwrap(value)
        if isinstance(value, Mapping) and (text := short_text(value.get("freeText"))):
            c.set(key, text, licence_text=text)
    if found := _get(doc, "creditText"):
        if text := short_text(found[1]):
            c.set(found[0], text, attribution=text)
    if found := _get(doc, "digitalSourceType"):
        read_dst(c, found[1], found[0])
    return c.result()
