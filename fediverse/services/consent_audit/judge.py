"""Judging the signals one surface carries against the consent record they should project.

The record comes from the document itself (``stated_record``: what it states, else its parent's); a surface is
*missing* a signal, *conflicts* with the record when it is more permissive (stricter is fine), or is *invalid*.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

import httpx

from fediverse.consent import (
    AI_TRAINING_VALUES, JSONLD_TERMS, ConsentRecord, InboundSignals, jsonld_properties, parse_content_usage,
    signals_from_activitypub, x_robots_directives,
)
from fediverse.consent.inbound import data_mining_meaning, licence_links
from fediverse.consent.licence import is_in_copyright, rights_url
from fediverse.errors import Invalid
from fediverse.services.consent_audit.report import CONFLICT, INVALID, MISSING, OPTIONAL, PRESENT, AuditItem

POLICY_PLACEHOLDER = "https://policy.invalid/"  # only makes jsonld_properties list tdmPolicy when rights are reserved
# The consent properties of JSONLD_TERMS (not the namespace prefixes, not PropertyValue/value).
CONSENT_TERMS = tuple(k for k, v in JSONLD_TERMS.items()
                      if not (isinstance(v, str) and v.endswith(("#", "/"))) and k not in ("PropertyValue", "value"))
# Headers every consent-carrying response gets (http_headers' names), compared case-insensitively.
HEADER_NAMES = ("X-Robots-Tag", "tdm-reservation", "tdm-policy", "Content-Usage", "Link")


def _directives(values: Iterable[str]) -> set[str]:
    return x_robots_directives(list(values))[0]


def judge_robots(item: AuditItem, surface: str, name: str, values: list[str], record: ConsentRecord) -> None:
    expected = set(record.robots_directives)
    if not values:
        item.add(surface, name, MISSING if expected else OPTIONAL, "")
        return
    lacking = [d for d in record.robots_directives if d not in _directives(values)]
    item.add(surface, name, CONFLICT if lacking else PRESENT,
             ", ".join(values) + (f" (lacks {', '.join(lacking)})" if lacking else ""))


def judge_usage(item: AuditItem, surface: str, name: str, value: str | None, record: ConsentRecord) -> None:
    if value is None:
        item.add(surface, name, MISSING)
        return
    parsed = parse_content_usage(value)
    if parsed.status != "ok":
        item.add(surface, name, INVALID, f"{value} ({parsed.error or parsed.status})")
        return
    expected = parse_content_usage(record.content_usage).preferences
    looser = [k for k, allowed in expected.items() if not allowed and parsed.preferences.get(k) is not False]
    item.add(surface, name, CONFLICT if looser else PRESENT,
             value + (f" (should say {', '.join(f'{k}=n' for k in looser)})" if looser else ""))


def judge_tdm(item: AuditItem, surface: str, name: str, value: Any, record: ConsentRecord) -> None:
    if value is None or value == "":
        item.add(surface, name, MISSING)
        return
    text = str(value).strip()
    if text not in ("0", "1") or isinstance(value, bool):
        item.add(surface, name, INVALID, text)
    elif record.tdm_reservation == 1 and text == "0":
        item.add(surface, name, CONFLICT, "0 (rights are reserved: should be 1)")
    else:
        item.add(surface, name, PRESENT, text)


def judge_licence(item: AuditItem, surface: str, name: str, value: str | None, record: ConsentRecord) -> None:
    """The rights statement: the record's licence, or "In Copyright" when it names none (all rights reserved is
    a statement too: its absence is missing). "In Copyright" where a licence was expected is stricter: fine."""
    expected = rights_url(record)
    if not value:
        item.add(surface, name, MISSING)
    elif value.rstrip("/") != expected.rstrip("/") and not is_in_copyright(value):
        item.add(surface, name, CONFLICT, f"{value} (the document says {expected})")
    else:
        item.add(surface, name, PRESENT, value)


def judge_data_mining(item: AuditItem, surface: str, name: str, value: Any, record: ConsentRecord) -> None:
    if not value:
        item.add(surface, name, MISSING)
        return
    meaning = data_mining_meaning(value) if isinstance(value, str) else None
    if meaning is None:
        item.add(surface, name, INVALID, value)
    elif record.restricts_training and meaning.get("ai_training") == "allowed":
        item.add(surface, name, CONFLICT, f"{value} (training is refused)")
    else:
        item.add(surface, name, PRESENT, value)


def judge_headers(item: AuditItem, headers: httpx.Headers, record: ConsentRecord, *, prefix: str = "") -> None:
    """The consent headers of one response (http_headers' projection of ``record``)."""
    surface = "header"
    judge_robots(item, surface, prefix + "X-Robots-Tag", headers.get_list("x-robots-tag"), record)
    tdm = headers.get_list("tdm-reservation")
    judge_tdm(item, surface, prefix + "tdm-reservation", tdm[0] if tdm else None, record)
    usage = headers.get_list("content-usage")
    judge_usage(item, surface, prefix + "Content-Usage", ", ".join(usage) if usage else None, record)
    licence = licence_links(headers.get_list("link"))
    judge_licence(item, surface, prefix + "Link rel=license", licence[0] if licence else None, record)
    policy = headers.get("tdm-policy")
    item.add(surface, prefix + "tdm-policy", PRESENT if policy else OPTIONAL, policy or "")


def consent_header_names(headers: httpx.Headers) -> set[str]:
    names = {n.lower() for n in HEADER_NAMES if n.lower() in headers and n != "Link"}
    if licence_links(headers.get_list("link")):
        names.add("link")
    return names


# --- records ------------------------------------------------------------------------------------------------------


def safe_record(signals: InboundSignals, default: ConsentRecord) -> ConsentRecord:
    try:
        return signals.to_record(default)
    except Invalid:
        return InboundSignals(ai_training=signals.ai_training, tdm_reserved=signals.tdm_reserved,
                              ai_input=signals.ai_input, search=signals.search).to_record(default)


def stated_record(doc: Mapping[str, Any], parent: ConsentRecord, *, is_actor: bool = False) -> ConsentRecord:
    """The record a document states: our exact terms where present, else what every reader makes of it, else
    ``parent`` (the actor for an object, the object for an attachment)."""
    record = safe_record(signals_from_activitypub(doc, is_actor=is_actor), parent)
    exact: dict[str, Any] = {}
    if doc.get("aiTraining") in AI_TRAINING_VALUES:
        exact["ai_training"] = doc["aiTraining"]
    if isinstance(doc.get("aiInput"), bool):
        exact["ai_input"] = doc["aiInput"]
    if isinstance(doc.get("contentUsage"), str):
        search = parse_content_usage(doc["contentUsage"]).preferences.get("search")
        if search is not None:
            exact["search"] = search
    if doc.get("tdmReservation") in (0, 1) and not isinstance(doc.get("tdmReservation"), bool):
        exact["tdm_reserved"] = doc["tdmReservation"] == 1
    try:
        return dataclasses.replace(record, **exact)
    except Invalid:
        return record


def _context_terms(context: Any) -> set[str]:
    items = context if isinstance(context, list) else [context]
    return {key for item in items if isinstance(item, Mapping) for key in item}


def judge_jsonld(item: AuditItem, doc: Mapping[str, Any], kind: str, record: ConsentRecord, *, top_level: bool) -> None:
    """Our JSON-LD terms (jsonld_properties' projection of the record the document states)."""
    item.record = record.content_usage
    expected = set(jsonld_properties(record, kind=kind, policy_url=POLICY_PLACEHOLDER))  # type: ignore[arg-type]
    surface = "json-ld"
    robots = doc.get("xRobotsTag")
    judge_robots(item, surface, "xRobotsTag", [robots] if isinstance(robots, str) else
                 [r for r in robots if isinstance(r, str)] if isinstance(robots, list) else [], record)
    usage = doc.get("contentUsage")
    judge_usage(item, surface, "contentUsage", usage if isinstance(usage, str) else None, record)
    judge_tdm(item, surface, "tdmReservation", doc.get("tdmReservation"), record)
    judge_data_mining(item, surface, "dataMining", doc.get("dataMining"), record)
    training = doc.get("aiTraining")
    if training is None:
        item.add(surface, "aiTraining", MISSING)
    elif training not in AI_TRAINING_VALUES:
        item.add(surface, "aiTraining", INVALID, training)
    else:
        item.add(surface, "aiTraining", PRESENT, training)
    for key in ("aiInput", "tdmPolicy", "aiTrainingPolicy", "creditText", "digitalSourceType", "indexable"):
        if key in doc and doc[key] not in (None, "", []):
            item.add(surface, key, PRESENT, doc[key])
        elif key in expected:
            item.add(surface, key, MISSING)
    licence = doc.get("license", doc.get("licence"))
    judge_licence(item, surface, "license", licence if isinstance(licence, str) else None, record)
    if kind == "actor":
        _judge_noai(item, doc, record)
    if top_level:
        _judge_context(item, doc)


def _judge_noai(item: AuditItem, doc: Mapping[str, Any], record: ConsentRecord) -> None:
    """Mastodon-style ``otherSetting`` noai flag on an actor."""
    settings = doc.get("otherSetting")
    settings = settings if isinstance(settings, list) else [settings]
    noai = [e for e in settings if isinstance(e, Mapping) and e.get("name") == "noai"]
    if not noai:
        item.add("json-ld", "otherSetting noai", MISSING)
    elif record.restricts_training and noai[0].get("value") is not True:
        item.add("json-ld", "otherSetting noai", CONFLICT, noai[0].get("value"))
    else:
        item.add("json-ld", "otherSetting noai", PRESENT, noai[0].get("value"))


def _judge_context(item: AuditItem, doc: Mapping[str, Any]) -> None:
    """A top-level document using our terms must define them in its ``@context``."""
    used = [k for k in CONSENT_TERMS if k in doc]
    undefined = [k for k in used if k not in _context_terms(doc.get("@context"))]
    if used:
        item.add("json-ld", "@context", INVALID if undefined else PRESENT,
                 f"undefined: {', '.join(undefined)}" if undefined else "defines the consent terms")
