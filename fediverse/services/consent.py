"""The effective consent record of the instance, an artist or a work, and its projections for our documents.

Instance default (instance.toml [consent]) -> the artist's override (studio) -> the work's override.
Every surface (JSON-LD, headers, HTML, image XMP, site files) is computed from these records.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render import render_actor
from fediverse.activitypub.render_policy import render_interaction_policy
from fediverse.activitypub.render_works import AI_SOURCE_TYPE, NoteConsent
from fediverse.config import Settings
from fediverse.consent import (
    JSONLD_TERMS, ConsentOverride, ConsentRecord, PathRule, ai_txt, effective, jsonld_properties, licence_line_html,
    robots_txt, tdm_policy, tdmrep_json, xmp_packet,
)
from fediverse.consent.interaction import InteractionPolicy, folded, for_visibility
from fediverse.consent.record import stricter_training
from fediverse.db import accounts as account_db
from fediverse.models import Account, LocalUser, Work, WorkImage
from fediverse.services.text import plain_to_html

if TYPE_CHECKING:
    from fediverse.activitypub.uris import Uris


_RECORD_FIELDS = frozenset(f.name for f in dataclasses.fields(ConsentRecord))
# Paths no crawler needs (panel, inboxes): the `User-agent: *` group of robots.txt disallows them.
ROBOTS_HYGIENE = ("/studio", "/login", "/logout", "/inbox", "/actor/inbox")


def instance_record(settings: Settings) -> ConsentRecord:
    """The [consent] section as a record; settings that are not record fields (refuse_ai_crawlers) are skipped."""
    values = {k: v for k, v in dataclasses.asdict(settings.consent).items() if k in _RECORD_FIELDS}
    values["licence_url"] = values.get("licence_url") or None
    return ConsentRecord.from_mapping(values)


def refuse_ai_crawlers(settings: Settings) -> bool:
    """Answer 403 to AI crawler user agents on the pages and media of artists who refuse them (default on)."""
    return bool(getattr(settings.consent, "refuse_ai_crawlers", True))


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


def instance_policy_url(uris: Uris) -> str:
    """The instance's TDM policy (ODRL) document: the default for every path no artist rule covers."""
    return f"{uris.base}/policies/tdm"


def actor_properties(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    return jsonld_properties(for_account(settings, account), kind="actor", policy_url=policy_url(uris, account))


def render_actor_document(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    """The actor JSON with the artist's consent record on it (the one way every caller renders an actor)."""
    return render_actor(account, uris, summary_html=plain_to_html(account.summary),
                        consent=actor_properties(settings, uris, account), terms=JSONLD_TERMS)


def instance_interaction_policy(settings: Settings) -> InteractionPolicy:
    consent = settings.consent
    return InteractionPolicy(quotes=consent.quotes, replies=consent.replies, boosts=consent.boosts)  # type: ignore[arg-type]


def account_interaction_policy(settings: Settings, account: Account) -> InteractionPolicy:
    """The artist's default: her choices, else the instance's."""
    return folded(instance_interaction_policy(settings), account)


def work_interaction_policy(settings: Settings, work: Work) -> InteractionPolicy:
    """What a work allows: its own choices, else the artist's; a followers-only work is quotable by nobody."""
    return for_visibility(folded(account_interaction_policy(settings, work.account), work), work.visibility)


def note_interaction_policy(settings: Settings, account: Account, visibility: str) -> InteractionPolicy:
    """A text note has no override of its own: the artist's policy, narrowed by the note's visibility."""
    return for_visibility(account_interaction_policy(settings, account), visibility)


def interaction_properties(policy: InteractionPolicy, account: Account) -> dict[str, Any]:
    return render_interaction_policy(dataclasses.asdict(policy), author_uri=account.uri,
                                     followers_uri=account.followers_url or f"{account.uri}/followers")


def local_note_consent(settings: Settings, uris: Uris, work: Work) -> NoteConsent:
    """The consent properties one of our works carries on its Note and attachments (for a remote note's
    stored record see ``federation.actors.remote_note_consent``), its interaction policy included."""
    record = for_work(settings, work)
    policy = policy_url(uris, work.account)
    return NoteConsent(
        object={**jsonld_properties(record, kind="object", policy_url=policy),
                **interaction_properties(work_interaction_policy(settings, work), work.account)},
        attachment=jsonld_properties(record, kind="attachment", policy_url=policy),
        licence_html=licence_line_html(record),
        terms=JSONLD_TERMS,
    )


def local_text_consent(settings: Settings, uris: Uris, account: Account, visibility: str | None = None) -> NoteConsent:
    """The consent properties an artist's text note carries: the artist's record (a note has no override) and,
    given the note's ``visibility`` (its Note, not an Announce of it), her interaction policy."""
    record = for_account(settings, account)
    properties = jsonld_properties(record, kind="object", policy_url=policy_url(uris, account))
    if visibility is not None:
        properties.update(interaction_properties(note_interaction_policy(settings, account, visibility), account))
    return NoteConsent(object=properties, terms=JSONLD_TERMS)


def collection_properties(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    return jsonld_properties(for_account(settings, account), kind="collection", policy_url=policy_url(uris, account))


def work_collection_properties(settings: Settings, uris: Uris, work: Work) -> dict[str, Any]:
    """A work's own collections (likes, shares, replies) carry the work's record."""
    return jsonld_properties(for_work(settings, work), kind="collection", policy_url=policy_url(uris, work.account))


def image_xmp(settings: Settings, uris: Uris, work: Work) -> bytes:
    """The XMP packet stamped into every rendition of the work's images (its WebStatement and cc:license are the
    work's rights IRI, as on every other surface; the TDM policy is linked from the documents and headers)."""
    account = work.account
    return xmp_packet(for_work(settings, work), creator=account.display_name or account.username,
                      profile_url=account.url or account.uri)


def override_from_form(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial override (studio form, CLI); raises Invalid naming the field."""
    return ConsentOverride.from_mapping(values).to_mapping()


def strictest(records: Iterable[ConsentRecord]) -> ConsentRecord:
    """One record that refuses whatever any of them refuses (several works sharing one file, a feed's entries).

    The licence survives only when every record names the same one; otherwise none (all rights reserved)."""
    found = list(records)
    if not found:
        raise ValueError("strictest() of no records")
    first = found[0]
    if all(record == first for record in found):
        return first
    training = first.ai_training
    for record in found[1:]:
        training = stricter_training(training, record.ai_training)  # type: ignore[assignment]
    licences = {record.licence_url for record in found}
    attributions = {record.attribution for record in found}
    sources = {record.digital_source_type for record in found}
    return dataclasses.replace(
        first, ai_training=training, tdm_reserved=any(r.tdm_reserved for r in found),
        ai_input=all(r.ai_input for r in found), search=all(r.search for r in found),
        licence_url=licences.pop() if len(licences) == 1 else None,
        attribution=attributions.pop() if len(attributions) == 1 else first.attribution,
        show_licence_line=any(r.show_licence_line for r in found),
        digital_source_type=sources.pop() if len(sources) == 1 else first.digital_source_type,
    )


# --- lookups for the web layer (per-response headers, site files) ------------------------------------------

async def serving_account(session: AsyncSession, username: str) -> Account | None:
    """The local artist whose pages live under this username; None for unknown, suspended or the instance actor."""
    account = await account_db.local_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.suspended_at is not None:
        return None
    return account


async def media_record(session: AsyncSession, settings: Settings, account: Account, key: str) -> tuple[ConsentRecord, list[int]]:
    """The record of a public media file of this artist, and the ids of the works it belongs to.

    A work's rendition gets the work's record (the strictest one if the same bytes belong to several works);
    anything else under the artist's prefix (avatar, header) gets the artist's record. The query is scoped to the
    artist's works (indexed), so it reads one artist's images at most."""
    using = select(WorkImage.work_id).where(
        or_(WorkImage.large_key == key, WorkImage.display_key == key, WorkImage.thumbnail_key == key))
    # IN (subquery), not DISTINCT over works: PostgreSQL cannot compare the JSON columns DISTINCT would need
    rows = await session.scalars(select(Work).where(Work.account_id == account.id, Work.id.in_(using)))
    works = list(rows)
    if not works:
        return for_account(settings, account), []
    return strictest(for_work(settings, work) for work in works), [work.id for work in works]


def artist_prefixes(username: str, *, bare: bool = False) -> tuple[str, ...]:
    """Where an artist's pages, documents and media live. ``bare`` adds "/@name" and "/users/name" themselves,
    which as robots.txt prefixes also cover "/@namex…": use it only for a record at least as strict as the
    instance's, so another artist can only be over-protected by it, never exposed."""
    prefixes = (f"/@{username}/", f"/users/{username}/", f"/media/{username}/")
    return prefixes + ((f"/@{username}", f"/users/{username}") if bare else ())


def at_least_as_strict(record: ConsentRecord, than: ConsentRecord) -> bool:
    return (record.refuses_ai_crawlers >= than.refuses_ai_crawlers
            and record.restricts_training >= than.restricts_training
            and record.tdm_reservation >= than.tdm_reservation
            and (not record.search) >= (not than.search))


async def path_rules(session: AsyncSession, settings: Settings, uris: Uris) -> list[PathRule]:
    """One rule per local artist whose record differs from the instance default (for the site files)."""
    instance = instance_record(settings)
    users: list[LocalUser] = await account_db.list_local_users(session)
    rules = []
    for user in users:
        account = user.account
        if account.suspended_at is not None:
            continue
        record = for_account(settings, account)
        if record == instance:
            continue
        rules.append(PathRule(artist_prefixes(account.username, bare=at_least_as_strict(record, instance)),
                              record, policy_url(uris, account)))
    return rules


def site_robots_txt(settings: Settings, rules: list[PathRule]) -> str:
    return robots_txt(instance_record(settings), rules, disallow=ROBOTS_HYGIENE)


def site_tdmrep_json(settings: Settings, uris: Uris, rules: list[PathRule]) -> str:
    return tdmrep_json(instance_record(settings), rules, policy_url=instance_policy_url(uris))


def site_ai_txt(settings: Settings, rules: list[PathRule]) -> str:
    return ai_txt(instance_record(settings), rules)


def instance_policy(settings: Settings, uris: Uris) -> dict[str, Any]:
    """The instance's ODRL policy: what applies wherever no artist says otherwise."""
    email = settings.instance.contact_email.strip() or None
    return tdm_policy(instance_record(settings), uid=instance_policy_url(uris), assigner=uris.base,
                      assigner_name=settings.instance.name, email=email)


def artist_policy(settings: Settings, uris: Uris, account: Account) -> dict[str, Any]:
    """The artist's ODRL policy, at ``policy_url``; the assigner is the artist, with their profile page."""
    record = for_account(settings, account)
    return tdm_policy(record, uid=policy_url(uris, account), assigner=account.uri,
                      assigner_name=(account.display_name or account.username)[:200],
                      licensing_url=record.licence_url or account.url or account.uri)


# --- studio ----------------------------------------------------------------------------------------------

def merged_override(current: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> dict[str, Any] | None:
    """``current`` with ``changes`` applied (a value of None = inherit: the key is removed), validated.

    Keys the form does not show (licence_url, digital_source_type set elsewhere) are kept. None when empty."""
    values = dict(current or {})
    for name, value in changes.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    override = override_from_form(values)
    return override or None


def set_account_consent(account: Account, changes: Mapping[str, Any]) -> None:
    """Change a local artist's override (raises Invalid naming the field).

    The caller federates and commits it (services.profile.update_profile sends Update(Person) with the new actor).
    """
    if not account.is_local:
        raise ValueError("only local artists have a consent override")
    account.consent = merged_override(account.consent, changes)


def set_work_consent(work: Work, changes: Mapping[str, Any]) -> None:
    """Change a work's override (raises Invalid); the caller federates it (services.works.edit_work) and commits."""
    work.consent = merged_override(work.consent, changes)
