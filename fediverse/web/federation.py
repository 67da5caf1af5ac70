"""Federation endpoints: actors, inboxes and collections. One URL serves AS2 JSON or HTML by Accept."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fediverse.activitypub.render import render_actor, render_collection, render_collection_page
from fediverse.activitypub.signatures.errors import SignatureError
from fediverse.activitypub.render import AS_CONTEXT
from fediverse.activitypub.render_notes import render_local_note, render_note_create, render_note_tombstone
from fediverse.activitypub.render_works import (
    INTERACTIONS, note_context, render_create, render_interaction_collection, render_note, render_tombstone,
)
from fediverse.consent import JSONLD_TERMS
from fediverse.db import accounts as account_db
from fediverse.db import boosts as boost_db
from fediverse.db import local_notes as local_note_db
from fediverse.db import works as work_db
from fediverse.db import follows as follow_db
from fediverse.federation.signed import KeyUnavailable, SignedRequest, verified_signer
from fediverse.inbox.receive import receive
from fediverse.models import Account, Work
from fediverse.runtime import Runtime
from fediverse.services import quotes, signed_fetch, threads
from fediverse.services.consent import (
    collection_properties, local_note_consent, local_text_consent, render_actor_document, work_collection_properties,
)
from fediverse.web import cache
from fediverse.web.context import runtime_of
from fediverse.web.ratelimit import client_key
from fediverse.web.responses import activity_json, error, wants_activitypub

INBOX_TYPES = ("application/activity+json", "application/ld+json", "application/json")


def signed_request(request: Request, body: bytes | None) -> SignedRequest:
    rt = runtime_of(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return SignedRequest(request.method, path, f"{rt.settings.base_url}{path}", request.headers, body)


async def authorized_fetch_refusal(request: Request) -> Response | None:
    """In authorized-fetch mode, refuse unsigned or badly signed GETs (the instance actor stays public)."""
    rt = runtime_of(request)
    if not rt.settings.federation.authorized_fetch:
        return None
    async with rt.sessions() as session:
        try:
            await signed_fetch.check_fetch(rt, session, signed_request(request, None))  # commits a fetched key
        except SignatureError as exc:
            return error(401, f"this server requires signed fetches: {exc}")
        except KeyUnavailable as exc:
            return error(503, str(exc))
    return None


async def _local_account(request: Request) -> Account | None:
    async with runtime_of(request).sessions() as session:
        account = await account_db.local_by_username(session, request.path_params["username"])
    return account if account is not None and account.actor_type != "Application" else None


def gone_if_suspended(account: Account) -> Response | None:
    """A suspended account answers 410 everywhere (actor, collections, works), so other servers drop it."""
    return error(410, "this account is suspended") if account.suspended_at is not None else None


async def actor(request: Request) -> Response:
    account = await _local_account(request)
    if account is None:
        return error(404, "no such account")
    if gone := gone_if_suspended(account):
        return gone
    if not wants_activitypub(request):
        return await profile_page(request, account)
    refusal = await authorized_fetch_refusal(request)
    if refusal:
        return refusal
    rt = runtime_of(request)
    return activity_json(render_actor_document(rt.settings, rt.uris, account))


async def profile(request: Request) -> Response:
    account = await _local_account(request)
    if account is None:
        if wants_activitypub(request):
            return error(404, "no such account")
        from fediverse.web.pages import page_error  # a browser gets a page it can read and leave

        return page_error(request, 404, "No such artist")
    if gone := gone_if_suspended(account):
        return gone
    if wants_activitypub(request):
        return await actor(request)
    return await profile_page(request, account)


async def profile_page(request: Request, account: Account) -> Response:
    """The artist's portfolio grid (web/pages.py imports this module, hence the import here)."""
    from fediverse.web.pages import portfolio

    return await portfolio(request, account)


async def instance_actor(request: Request) -> Response:
    """Always public, even in authorized-fetch mode: it breaks the fetch-key-to-verify-key loop."""
    rt = runtime_of(request)
    async with rt.sessions() as session:
        account = await account_db.by_uri(session, rt.uris.instance_actor())
    if account is None:
        return error(503, "instance actor not ready")
    return activity_json(render_actor(account, rt.uris, summary_html=""))


async def inbox(request: Request) -> Response:
    """Shared and per-actor inbox: 202 once verified and stored; 4xx with the reason otherwise."""
    rt = runtime_of(request)
    owner_id: int | None = None
    if "username" in request.path_params:
        account = await _local_account(request)
        if account is None:
            return error(404, "no such inbox")
        owner_id = account.id
    limit = rt.settings.limits.max_inbox_bytes
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        return error(413, f"body is larger than {limit} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in INBOX_TYPES:
        return error(415, f"content type must be application/activity+json, not {content_type or 'missing'}")
    body = await _read_capped(request, limit)
    if body is None:
        return error(413, f"body is larger than {limit} bytes")
    answer = await receive(rt, signed_request(request, body), owner_id, client_key(request.scope))
    if answer.error:
        response = error(answer.status, answer.error)
        if answer.retry_after is not None:
            response.headers["Retry-After"] = str(answer.retry_after)
        return response
    return Response(status_code=answer.status)


async def _read_capped(request: Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def collection(request: Request) -> Response:
    """followers / following / outbox / featured as paged OrderedCollections with totalItems."""
    account = await _local_account(request)
    if account is None:
        return error(404, "no such account")
    if gone := gone_if_suspended(account):
        return gone
    refusal = await authorized_fetch_refusal(request)
    if refusal:
        return refusal
    rt = runtime_of(request)
    name = request.path_params["collection"]
    base = {"followers": account.followers_url, "following": account.following_url, "outbox": account.outbox_url,
            "featured": account.featured_url}.get(name)
    if base is None or urlsplit(base).path != request.url.path:
        return error(404, "no such collection")
    page_param = request.query_params.get("page")
    size = rt.settings.limits.page_size
    async with rt.sessions() as session:
        total, items = await _collection_items(runtime_of(request), session, account, name, page_param, size)
    consent = collection_properties(rt.settings, rt.uris, account)
    if page_param is None:
        doc = render_collection(base, total, first=f"{base}?page=1" if name != "featured" else None)
        if name == "featured":
            doc["orderedItems"] = items
        return activity_json(_with_consent(doc, consent))
    if not page_param.isdigit() or int(page_param) < 1 or int(page_param) > 100_000:
        return error(400, "page must be a whole number from 1")
    page = int(page_param)
    next_page = f"{base}?page={page + 1}" if page * size < total else None
    prev_page = f"{base}?page={page - 1}" if page > 1 else None
    return activity_json(_with_consent(render_collection_page(f"{base}?page={page}", base, items, total,
                                                              next_page=next_page, prev_page=prev_page), consent))


def _with_consent(doc: dict[str, Any], consent: dict[str, Any]) -> dict[str, Any]:
    """Every collection of an artist (outbox, featured, followers, following) and each of its pages carries the
    artist's record at the collection level (consent doc §15)."""
    if not consent:
        return doc
    return {**doc, "@context": [AS_CONTEXT, JSONLD_TERMS], **consent}


async def _collection_items(
    rt: Runtime, session: Any, account: Account, name: str, page: str | None, size: int
) -> tuple[int, list[Any]]:
    instance_name = rt.settings.instance.name
    if name == "featured":
        pinned = await work_db.pinned(session, account.id)
        return len(pinned), [_bare(render_note(w, rt.uris, instance_name=instance_name,
                                               consent=local_note_consent(rt.settings, rt.uris, w))) for w in pinned]
    if name == "outbox":
        total = await work_db.count(session, account.id)
        if page is None or not page.isdigit() or int(page) < 1:
            return total, []
        works = await work_db.newest(session, account.id, offset=(min(int(page), 100_000) - 1) * size, limit=size)
        return total, [_bare(render_create(w, rt.uris, instance_name=instance_name,
                                           consent=local_note_consent(rt.settings, rt.uris, w))) for w in works]
    key = {"followee_id": account.id} if name == "followers" else {"follower_id": account.id}
    total = await follow_db.count(session, **key)
    if page is None or not page.isdigit() or int(page) < 1:
        return total, []
    items = await follow_db.page_of_accounts(session, **key, offset=(min(int(page), 100_000) - 1) * size, limit=size)
    return total, items


def _bare(doc: dict[str, Any]) -> dict[str, Any]:
    """An item inside a collection page carries no @context of its own."""
    return {k: v for k, v in doc.items() if k != "@context"}


async def _served_work(request: Request, session: Any) -> Work | Response:
    """The work this AS2 request names, or the answer instead: 404 / 410 (suspended, deleted) / refusal / a
    redirect to the page for a browser. Followers-only works only to a signed fetch by an accepted follower."""
    rt = runtime_of(request)
    work = await work_db.by_public_id(session, request.path_params["public_id"])
    if work is None or work.account.username != request.path_params["username"].lower():
        return error(404, "no such work")
    if gone := gone_if_suspended(work.account):
        return gone
    if not wants_activitypub(request):
        return RedirectResponse(rt.uris.work_page(work.account.username, work.public_id), status_code=303)
    if work.deleted_at is not None:
        return activity_json(render_tombstone(work), status=410)
    refusal = await authorized_fetch_refusal(request)
    if refusal:
        return refusal
    if work.visibility == "followers" and not await _signed_by_follower(request, session, work.account_id):
        return error(404, "no such work")
    return work


async def work_object(request: Request) -> Response:
    """A work's Note (or its Create with /activity); 410 with a Tombstone once deleted. The Note inlines its
    likes / shares / replies collections with what a signed-out viewer may count (Mastodon 4.3+)."""
    rt = runtime_of(request)
    async with rt.sessions() as session:
        work = await _served_work(request, session)
        if isinstance(work, Response):
            return work
        counts = await threads.work_counts(session, work, None)
    cache.tag(request, f"account:{work.account_id}")  # the artist's consent and interaction policy are on it
    consent = local_note_consent(rt.settings, rt.uris, work)
    if request.url.path.endswith("/activity"):
        return activity_json(render_create(work, rt.uris, instance_name=rt.settings.instance.name, consent=consent))
    note = render_note(work, rt.uris, instance_name=rt.settings.instance.name, consent=consent, counts=counts)
    return activity_json({"@context": note_context(consent), **note})


async def work_interactions(request: Request) -> Response:
    """``<note>/likes``, ``/shares``, ``/replies``: the Collection the Note inlines, with the work's consent record
    (every collection carries it). Counts only, as Mastodon serves likes and shares."""
    name = request.path_params["collection"]
    if name not in INTERACTIONS:
        return error(404, "no such collection")
    rt = runtime_of(request)
    async with rt.sessions() as session:
        work = await _served_work(request, session)
        if isinstance(work, Response):
            return work
        counts = await threads.work_counts(session, work, None)
    doc = render_interaction_collection(work, name, counts[INTERACTIONS[name]])
    return activity_json({"@context": [AS_CONTEXT, JSONLD_TERMS], **doc,
                          **work_collection_properties(rt.settings, rt.uris, work)})


async def local_note_object(request: Request) -> Response:
    """A local text note (or its Create with /activity); 410 with a Tombstone once deleted. Followers-only and
    direct notes only to a signed fetch by an account allowed to see them (a follower, a mentioned account)."""
    rt = runtime_of(request)
    async with rt.sessions() as session:
        note = await local_note_db.by_public_id(session, request.path_params["public_id"])
        if note is None or note.account.username != request.path_params["username"].lower():
            return error(404, "no such note")
        if gone := gone_if_suspended(note.account):
            return gone
        if not wants_activitypub(request):
            return RedirectResponse(rt.uris.status_page(int(note.public_id)), status_code=303)
        if note.deleted_at is not None:
            return activity_json(render_note_tombstone(note), status=410)
        refusal = await authorized_fetch_refusal(request)
        if refusal:
            return refusal
        if note.visibility not in ("public", "unlisted") and not await _signed_by_audience(request, session, note):
            return error(404, "no such note")
    cache.tag(request, f"account:{note.account_id}")  # the artist's consent and interaction policy are on it
    consent = local_text_consent(rt.settings, rt.uris, note.account, note.visibility)
    if request.url.path.endswith("/activity"):
        return activity_json(render_note_create(note, rt.uris, consent=consent))
    return activity_json({"@context": note_context(consent), **render_local_note(note, rt.uris, consent=consent)})


async def quote_authorization(request: Request) -> Response:
    """A QuoteAuthorization (FEP-044f) the artist granted; 410 once she revoked it, 404 when unknown."""
    rt = runtime_of(request)
    username, public_id = request.path_params["username"], request.path_params["public_id"]
    async with rt.sessions() as session:
        state, doc = await quotes.authorization(session, username, public_id)
    if doc is None:
        return error(410 if state == "revoked" else 404, "authorization revoked" if state == "revoked"
                     else "no such authorization")
    return activity_json(doc)


async def _signed_by_audience(request: Request, session: Any, note: Any) -> bool:
    """A mentioned account, or (followers-only) an accepted follower, signed this fetch."""
    rt = runtime_of(request)
    try:
        signer = await verified_signer(rt, session, signed_request(request, None))
    except (SignatureError, KeyUnavailable):
        return False
    if signer.uri in {m["uri"] for m in note.mentions}:
        return True
    edge = await follow_db.between(session, signer.id, note.account_id) if note.visibility == "followers" else None
    return edge is not None and edge.state == "accepted"


async def boost_activity(request: Request) -> Response:
    """One of our artists' Announces of a remote note, as sent (with the note's consent record); gone once undone."""
    if (refusal := await authorized_fetch_refusal(request)) is not None:
        return refusal
    rt = runtime_of(request)
    uri = f"{rt.settings.base_url}/users/{request.path_params['username']}/boosts/{request.path_params['boost_id']}"
    async with rt.sessions() as session:
        announce = await boost_db.by_uri(session, uri)
        undone = await boost_db.by_uri(session, f"{uri}/undo")
    if announce is None or announce.type != "Announce":
        return error(404, "no such boost")
    if undone is not None:
        return error(410, "this boost was undone")
    return Response(announce.body, media_type="application/activity+json",
                    headers={"Cache-Control": "max-age=60", "Vary": "Accept, Signature"})


async def _signed_by_follower(request: Request, session: Any, author_id: int) -> bool:
    """Followers-only works are served only to a signed fetch from an accepted follower."""
    rt = runtime_of(request)
    try:
        signer = await verified_signer(rt, session, signed_request(request, None))
    except (SignatureError, KeyUnavailable):
        return False
    edge = await follow_db.between(session, signer.id, author_id)
    return edge is not None and edge.state == "accepted"


routes = [
    Route("/actor", instance_actor),
    Route("/actor/inbox", inbox, methods=["POST"]),
    Route("/inbox", inbox, methods=["POST"]),
    Route("/users/{username}", actor),
    Route("/@{username}", profile),
    Route("/users/{username}/inbox", inbox, methods=["POST"]),
    Route("/users/{username}/works/{public_id}", work_object),
    Route("/users/{username}/works/{public_id}/activity", work_object),
    Route("/users/{username}/works/{public_id}/{collection}", work_interactions),
    Route("/users/{username}/boosts/{boost_id}", boost_activity),
    Route("/users/{username}/notes/{public_id}", local_note_object),
    Route("/users/{username}/notes/{public_id}/activity", local_note_object),
    Route("/users/{username}/quote_authorizations/{public_id}", quote_authorization),
    Route("/users/{username}/{collection:str}", collection),
    Route("/users/{username}/collections/{collection:str}", collection),
]
