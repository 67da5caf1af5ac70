"""The effective consent record of the instance, an artist or a work, and its projections for our documents.

Instance default (instance.toml [consent]) -> the artist's override (studio) -> the work's override.
Every surface (JSON-LD, headers, HTML, image XMP, site files) is computed from these records.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from fediverse.activitypub.render import render_actor
from fediverse.activitypub.render_works import AI_SOURCE_TYPE, NoteConsent
from fediverse.config import Settings
from fediverse.consent import (
    JSONLD_TERMS, ConsentOverride, ConsentRecord, effective, jsonld_properties, licence_line_html, xmp_packet,
)
from fediverse.models import Account, Work
from fediverse.services.text import plain_to_html

if TYPE_CHECKING:
    from fediverse.activitypub.uris import Uris


def instance_record(settings: Settings) -> ConsentRecord:
    values = dataclasses.asdict(settings.consent)
    values["licence_url"] = values["licence_url"] or None
    return ConsentRecord.from_mapping(values)


def artist_override(account: Account) -> dict[str, Any]:
    override = dict(account.consent or {}) if account.is_local else {}
    if account.default_license_url and "licence_url" not in override:
        override["licence_url"] = account.default_license_url
    return override


def work_override(work: Work) -> dict[str, Any]:
    override = dict(work.consent or {})
    if work.license_url:
        override["licence_url"] = work.license_url
    if work.ai_generated:
        override["digital_source_type"] = AI_SOURCE_TYPE
    return override


def for_account(settings: Settings, account: Account) -> ConsentRecord:
    return effective(instance_record(settings), artist_override(account))


def for_work(settings: Settings, work: Work) -> ConsentRecord:
    return effective(instance_record(settings), artist_override(work.account), work_override(work))


def policy_url(uris: Uris, account: Account) -> str:
    """The artist's TDM policy (ODRL) document."""
    return f"{uris.base}/policies/tdm/{account.username}"


def actor_properties(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    return jsonld_properties(for_account(settings, account), kind="actor", policy_url=policy_url(uris, account))


def render_actor_document(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    """The actor JSON with the artist's consent record on it (the one way every caller renders an actor)."""
    return render_actor(account, uris, summary_html=plain_to_html(account.summary),
                        consent=actor_properties(settings, uris, account), terms=JSONLD_TERMS)


def note_consent(settings: Settings, uris: Uris, work: Work) -> NoteConsent:
    record = for_work(settings, work)
    policy = policy_url(uris, work.account)
    return NoteConsent(
        object=jsonld_properties(record, kind="object", policy_url=policy),
        attachment=jsonld_properties(record, kind="attachment", policy_url=policy),
        licence_html=licence_line_html(record),
        terms=JSONLD_TERMS,
    )


def collection_properties(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    return jsonld_properties(for_account(settings, account), kind="collection", policy_url=policy_url(uris, account))


def image_xmp(settings: Settings, uris: Uris, work: Work) -> bytes:
    """The XMP packet stamped into every rendition of the work's images."""
    account = work.account
    return xmp_packet(for_work(settings, work), creator=account.display_name or account.username,
                      profile_url=account.url or account.uri, web_statement=policy_url(uris, account))


def override_from_form(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial override (studio form, CLI); raises Invalid naming the field."""
    return ConsentOverride.from_mapping(values).to_mapping()
