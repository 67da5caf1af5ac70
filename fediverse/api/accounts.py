"""The client API's signed-in account endpoints: who am I (verify_credentials), my profile (update_credentials),
my preferences, relationships, followers and follows lists, account search, follow and unfollow, the follow
requests waiting for me, and my blocks and mutes (services.blocks).

Everything goes through the services the web uses, so an app's action is the web's action: a profile saved here
is validated, its images shrunk and its Update(Person) federated by services.profile exactly as the studio's
form does; follows go through services.remote_accounts / services.following (a Follow sent to a remote server,
a local follow accepted or held as a request), and answers to requests through following.approve / reject.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities
from fediverse.api.auth import api_view
from fediverse.api.oauth_input import MAX_BODY, read_params, read_params_and_files
from fediverse.api.params import BadRequest, cursor, id_param, link, path_id, strict_boolean
from fediverse.api.params import routes as both_routes
from fediverse.api.params import text as text_param
from fediverse.api.public import _json
from fediverse.errors import Invalid, NotFound
from fediverse.models import Account, LocalUser
from fediverse.services import blocks, following, listings, relationships, remote_accounts, search
from fediverse.services.listings import Cursor
from fediverse.services.oauth import Grant
from fediverse.services.profile import MAX_FIELDS, ProfileImage, update_profile
from fediverse.web.context import runtime_of
from fediverse.web.panel.forms import multipart_limit
from fediverse.web.responses import error

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

VISIBILITIES = ("public", "unlisted", "private", "direct")
LIST_LIMIT = 40
LIST_MAX = 80
MAX_RELATIONSHIP_IDS = 80
_FIELD_KEY = re.compile(r"^fields_attributes\[(\d{0,3})\]\[(name|value)\]$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _me(grant: Grant | None) -> LocalUser:
    assert grant is not None and grant.user is not None  # api_view(user=True) lets only a person's token through
    return grant.user


async def _stats_of(session: AsyncSession, accounts: list[Account]) -> dict[int, listings.AccountStats]:
    return await listings.account_stats(session, accounts)


async def _accounts(request: Request, session: AsyncSession, accounts: list[Account]) -> list[dict[str, Any]]:
    settings = runtime_of(request).settings
    stats = await _stats_of(session, accounts)
    return [entities.account(settings, a, stats.get(a.id)) for a in accounts]


async def _credential(request: Request, session: AsyncSession, user: LocalUser) -> dict[str, Any]:
    """CredentialAccount: the Account plus ``source`` (the profile as the person typed it: the bio in plain text).
    Posting defaults are not settings here (a post says its own audience), so they are the defaults."""
    account = user.account
    doc = (await _accounts(request, session, [account]))[0]
    doc["source"] = {"privacy": "public", "sensitive": False, "language": None, "note": account.summary or "",
                     "fields": [{"name": name, "value": value, "verified_at": None}
                                for name, value in entities.field_pairs(account)],
                     "follow_requests_count": await relationships.request_count(session, account.id),
                     "hide_collections": False, "discoverable": bool(account.discoverable),
                     "indexable": bool(account.indexable)}
    return doc


@api_view("read:accounts", "profile")
async def verify_credentials(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    return _json(await _credential(request, session, _me(grant)))


@api_view("read:accounts")
async def preferences(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Mastodon's preferences: the defaults, as nothing here sets them otherwise (sensitive media and spoilers
    are shown behind their warning, as the web shows them)."""
    return _json({"posting:default:visibility": "public", "posting:default:sensitive": False,
                  "posting:default:language": None, "reading:expand:media": "default",
                  "reading:expand:spoilers": False, "reading:autoplay:gifs": False})


# --- update_credentials --------------------------------------------------------------------------------------

async def _update_params(request: Request) -> tuple[dict[str, Any], FormData | None]:
    """The parameters (JSON object, urlencoded or multipart form; multipart may carry avatar and header) and the
    form to close afterwards."""
    multipart = request.headers.get("content-type", "").lower().startswith("multipart/form-data")
    limit = multipart_limit(runtime_of(request).settings, 2) if multipart else MAX_BODY
    return await read_params_and_files(request, limit=limit, max_files=2)


def _text(params: dict[str, Any], name: str) -> str | None:
    """A profile text: None when not sent; anything but text (a file, a number) is refused."""
    found = text_param(params, name)
    if found is None and params.get(name) is not None:
        raise Invalid(f"{name} must be text")
    return found


def _fields(params: dict[str, Any]) -> list[tuple[str, str]] | None:
    """``fields_attributes[i][name|value]`` (form; ``[]`` indices in order sent) or a JSON list / index object."""
    rows: dict[str, dict[str, Any]] = {}
    given = False
    raw = params.get("fields_attributes")
    if raw is not None:
        given = True
        items = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else None
        if items is None or not all(isinstance(item, dict) for item in items):
            raise Invalid("fields_attributes must be a list of {name, value}")
        rows = {str(n): item for n, item in enumerate(items)}
    blank = 0
    for key, value in params.items():
        match = _FIELD_KEY.match(key)
        if match is None:
            continue
        given = True
        index, part = match.groups()
        if index == "":
            index = f"blank{blank // 2}"
            blank += 1
        rows.setdefault(index, {})[part] = value
    if not given:
        return None
    ordered = [rows[k] for k in sorted(rows, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))]
    fields: list[tuple[str, str]] = []
    for row in ordered:
        name, value = row.get("name", ""), row.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise Invalid("profile field names and values must be text")
        name, value = name.strip(), value.strip()
        if name or value:
            if not name or not value:
                raise Invalid("a profile field needs both a name and a value")
            fields.append((name, value))
    if len(fields) > MAX_FIELDS:
        raise Invalid(f"at most {MAX_FIELDS} profile fields")
    return fields


def _source(params: dict[str, Any]) -> None:
    """``source[privacy|sensitive|language]`` checked (apps send back what verify_credentials gave them); the
    posting defaults are not stored here, so valid values change nothing."""
    nested = params.get("source")
    source = dict(nested) if isinstance(nested, dict) else {}
    for key in ("privacy", "sensitive", "language"):
        if f"source[{key}]" in params:
            source[key] = params[f"source[{key}]"]
    privacy = source.get("privacy")
    if privacy not in (None, "") and privacy not in VISIBILITIES:
        raise Invalid(f"source[privacy] must be one of {', '.join(VISIBILITIES)}")
    strict_boolean(source.get("sensitive"), "source[sensitive]", status=422)
    language = source.get("language")
    if language not in (None, "") and not (isinstance(language, str) and _LANGUAGE.match(language)):
        raise Invalid("source[language] must be an ISO 639 language code")


async def _image(request: Request, params: dict[str, Any], name: str) -> ProfileImage | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, UploadFile):
        raise Invalid(f"{name} must be an image file (multipart/form-data)")
    limit = runtime_of(request).settings.media.max_upload_bytes
    data = await value.read()
    if len(data) > limit:
        raise Invalid(f"{name}: the file is larger than {limit} bytes")
    return ProfileImage(data, value.content_type, (value.filename or "")[:200])


@api_view("write:accounts")
async def update_credentials(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """The profile form of the studio, for apps: every value checked before anything is stored (422 with the
    reason otherwise), then services.profile.update_profile stores it and federates Update(Person)."""
    user = _me(grant)
    params, form = await _update_params(request)
    try:
        display_name, note = _text(params, "display_name"), _text(params, "note")
        display_name = display_name.strip() if display_name is not None else None  # as the studio's form
        locked = strict_boolean(params.get("locked"), "locked", status=422)
        fields = _fields(params)
        _source(params)
        avatar, header = await _image(request, params, "avatar"), await _image(request, params, "header")
        await update_profile(runtime_of(request), session, user, display_name=display_name, summary=note,
                             fields=fields, manually_approves_followers=locked, avatar=avatar,
                             header=header)  # commits
    finally:
        if form is not None:
            await form.close()
    return _json(await _credential(request, session, user))


# --- relationships, lists, search -----------------------------------------------------------------------------

def _relationship(found: relationships.Relationship, state: tuple[bool, bool, bool, bool]) -> dict[str, Any]:
    blocking, blocked_by, muting, muting_notifications = state
    doc = entities.relationship(found.account_id, following=found.following, followed_by=found.followed_by,
                                requested=found.requested, requested_by=found.requested_by, blocking=blocking,
                                muting=muting)
    doc.update(blocked_by=blocked_by, muting_notifications=muting_notifications)
    return doc


async def _relationships(session: AsyncSession, user: LocalUser, ids: list[int]) -> list[dict[str, Any]]:
    found = await relationships.between(session, user.account_id, ids)
    states = await blocks.states(session, user.account_id, ids)
    return [_relationship(found[i], states[i]) for i in ids]


async def _relationship_to(session: AsyncSession, user: LocalUser, account_id: int) -> dict[str, Any]:
    return (await _relationships(session, user, [account_id]))[0]


@api_view("read:follows")
async def relationships_view(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """``id[]=…`` (or ``id=…``): one Relationship per known account, in the order asked."""
    raw = request.query_params.getlist("id[]") or request.query_params.getlist("id")
    if len(raw) > MAX_RELATIONSHIP_IDS:
        raise BadRequest(f"at most {MAX_RELATIONSHIP_IDS} ids")
    wanted = list(dict.fromkeys(i for i in (id_param(r, "id") for r in raw) if i is not None))
    shown = [i for i in wanted if await listings.visible_account(session, i) is not None]
    return _json(await _relationships(session, _me(grant), shown))


def _list_cursor(request: Request) -> Cursor:
    """Paging of account lists: Mastodon's default 40, at most 80."""
    return cursor(request, LIST_LIMIT, LIST_MAX)


def _link(request: Request, page: list[tuple[int, Account]]) -> dict[str, str]:
    """``Link`` by the page's own ids (follow, block, mute ids), not the accounts' ids."""
    return link(request, page[0][0], page[-1][0]) if page else {}


async def _target(session: AsyncSession, request: Request) -> Account:
    found = await listings.visible_account(session, path_id(request))
    if found is None:
        raise NotFound("Record not found")
    return found


async def _follow_list(request: Request, session: AsyncSession, direction: str) -> Response:
    target = await _target(session, request)
    page = await relationships.follows_of(session, target.id, direction, _list_cursor(request))
    return _json(await _accounts(request, session, [a for _, a in page]), headers=_link(request, page))


@api_view("read:accounts", public=True, user=False)
async def followers(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Accepted followers (nobody hides these lists here: the actor's followers collection is public too)."""
    return await _follow_list(request, session, relationships.FOLLOWERS)


@api_view("read:accounts", public=True, user=False)
async def following_view(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    return await _follow_list(request, session, relationships.FOLLOWING)


@api_view("read:accounts")
async def search_view(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Local accounts by name; ``user@domain`` among the accounts known here, and with ``resolve=true`` looked up
    on its server by services.search (its private-address and domain-block rules apply)."""
    q = request.query_params
    query = search.check_query(q.get("q", ""))
    resolve = strict_boolean(q.get("resolve") or None, "resolve", status=422) or False
    limit = _list_cursor(request).limit
    if not query:
        return _json([])
    found: list[Account] = []
    if search.is_remote_address(query):
        if resolve:
            found = (await search.search(runtime_of(request), session, query, _me(grant))).accounts
        else:
            known = await listings.account_by_acct(session, query, runtime_of(request).uris.domain)
            found = [known] if known is not None else []
    found += [a for a in await search.local_accounts(session, query) if a not in found]
    return _json(await _accounts(request, session, found[:limit]))


# --- following -------------------------------------------------------------------------------------------------

@api_view("write:follows")
async def follow(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Follow a local or remote account as the web's follow button does (a remote one gets the Follow)."""
    user, target = _me(grant), await _target(session, request)
    await remote_accounts.follow_account(runtime_of(request), session, user, target.uri)  # commits
    return _json(await _relationship_to(session, user, target.id))


@api_view("write:follows")
async def unfollow(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Stop following (or withdraw a request); not following already is no error, as in Mastodon."""
    user, target = _me(grant), await _target(session, request)
    now = (await relationships.between(session, user.account_id, [target.id]))[target.id]
    if now.following or now.requested:
        await remote_accounts.unfollow_account(runtime_of(request), session, user, target.uri)  # commits
    return _json(await _relationship_to(session, user, target.id))


@api_view("read:follows")
async def follow_requests(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    page = await relationships.requests_to(session, _me(grant).account_id, _list_cursor(request))
    return _json(await _accounts(request, session, [a for _, a in page]), headers=_link(request, page))


async def _answer(request: Request, session: AsyncSession, grant: Grant | None, approve: bool) -> Response:
    user = _me(grant)
    account_id = path_id(request)
    requester = (await relationships.pending_request(session, account_id, user.account_id)
                 if account_id <= listings.MAX_ACCOUNT_ID else None)
    if requester is None:
        return error(404, "Record not found")
    action = following.approve if approve else following.reject
    await action(runtime_of(request), session, user, requester.uri)  # commits; an Accept/Reject federates
    return _json(await _relationship_to(session, user, requester.id))


@api_view("write:follows")
async def authorize_request(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    return await _answer(request, session, grant, approve=True)


@api_view("write:follows")
async def reject_request(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    return await _answer(request, session, grant, approve=False)


# --- blocks and mutes ------------------------------------------------------------------------------------------

@api_view("read:blocks")
async def blocks_view(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    page = await blocks.blocks_of(session, _me(grant).account_id, _list_cursor(request))
    return _json(await _accounts(request, session, [a for _, a in page]), headers=_link(request, page))


@api_view("read:mutes")
async def mutes_view(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    page = await blocks.mutes_of(session, _me(grant).account_id, _list_cursor(request))
    return _json(await _accounts(request, session, [a for _, a in page]), headers=_link(request, page))


@api_view("write:blocks")
async def block(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Block: the follows both ways end (federated as the web's unfollow and reject), no new follow either way."""
    user, target = _me(grant), await _target(session, request)
    await blocks.block(runtime_of(request), session, user, target)  # commits
    return _json(await _relationship_to(session, user, target.id))


@api_view("write:blocks")
async def unblock(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    user, target = _me(grant), await _target(session, request)
    await blocks.unblock(session, user, target)  # commits
    return _json(await _relationship_to(session, user, target.id))


@api_view("write:mutes")
async def mute(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    """Mute (``notifications``, default true: their notifications too); ``duration`` is not supported (0 only)."""
    user, target = _me(grant), await _target(session, request)
    params = await read_params(request)
    if str(params.get("duration") or "0") != "0":
        raise Invalid("duration is not supported: a mute lasts until unmuted (send 0)")
    notifications = strict_boolean(params.get("notifications"), "notifications", status=422)
    await blocks.mute(session, user, target, notifications=True if notifications is None else notifications)
    return _json(await _relationship_to(session, user, target.id))


@api_view("write:mutes")
async def unmute(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    user, target = _me(grant), await _target(session, request)
    await blocks.unmute(session, user, target)  # commits
    return _json(await _relationship_to(session, user, target.id))


def routes() -> list[Route]:
    """Mounted beside api.public: its ``accounts/{id:int}`` matches digits only, so these names never clash."""
    table: list[tuple[str, Any, list[str]]] = [
        ("/api/v1/accounts/verify_credentials", verify_credentials, ["GET"]),
        ("/api/v1/accounts/update_credentials", update_credentials, ["PATCH"]),
        ("/api/v1/preferences", preferences, ["GET"]),
        ("/api/v1/accounts/relationships", relationships_view, ["GET"]),
        ("/api/v1/accounts/search", search_view, ["GET"]),
        ("/api/v1/accounts/{id}/followers", followers, ["GET"]),
        ("/api/v1/accounts/{id}/following", following_view, ["GET"]),
        ("/api/v1/accounts/{id}/follow", follow, ["POST"]),
        ("/api/v1/accounts/{id}/unfollow", unfollow, ["POST"]),
        ("/api/v1/follow_requests", follow_requests, ["GET"]),
        ("/api/v1/blocks", blocks_view, ["GET"]), ("/api/v1/mutes", mutes_view, ["GET"]),
        ("/api/v1/accounts/{id}/block", block, ["POST"]), ("/api/v1/accounts/{id}/unblock", unblock, ["POST"]),
        ("/api/v1/accounts/{id}/mute", mute, ["POST"]), ("/api/v1/accounts/{id}/unmute", unmute, ["POST"]),
        ("/api/v1/follow_requests/{id}/authorize", authorize_request, ["POST"]),
        ("/api/v1/follow_requests/{id}/reject", reject_request, ["POST"]),
    ]
    return [route for path, view, methods in table for route in both_routes(path, view, methods)]
