"""OAuth 2 use cases for the client API: register apps, issue and trade codes, issue, find and revoke tokens.

Secrets, codes and tokens are 32 random bytes; only their SHA-256 is stored and looked up (a hash lookup is
a constant-time comparison in effect: the secret never meets a stored secret byte by byte). Scopes arrive
already checked by fediverse.api.scopes. Functions named as use cases commit; `prune_codes` does not (housekeeping calls it inside its own
transaction). Suspension and a password change end an account's tokens with db.accounts.end_app_tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import accounts as account_db
from fediverse.models import LocalUser, OAuthApp, OAuthCode, OAuthToken
from fediverse.services.accounts import may_log_in

CODE_LIFETIME = timedelta(minutes=10)
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


class OAuthError(Exception):
    """An OAuth error answer (RFC 6749 section 5.2): its code, a sentence, and the HTTP status."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


def digest(secret: str) -> str:
    """What the database keeps of a client secret, code or token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding equals the challenge."""
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest()).rstrip(b"=")
    return hmac.compare_digest(computed, challenge.encode("ascii", "replace"))


@dataclass(frozen=True)
class Registered:
    app: OAuthApp
    client_secret: str  # shown once, in the registration answer


@dataclass(frozen=True)
class Issued:
    token: str
    row: OAuthToken


@dataclass(frozen=True)
class Grant:
    """Who a valid token acts for: the app, the person (None for an app token) and the granted scopes."""

    token: OAuthToken
    app: OAuthApp
    user: LocalUser | None
    scopes: tuple[str, ...]


async def register_app(session: AsyncSession, name: str, website: str | None, redirect_uris: list[str],
                       scopes: list[str], now: datetime) -> Registered:
    secret = _new_secret()
    app = OAuthApp(name=name, website=website, redirect_uris="\n".join(redirect_uris), scopes=" ".join(scopes),
                   client_id=secrets.token_urlsafe(32), client_secret_hash=digest(secret), created_at=now)
    session.add(app)
    await session.commit()
    return Registered(app, secret)


async def app_by_client_id(session: AsyncSession, client_id: str) -> OAuthApp | None:
    if not client_id or len(client_id) > 64:
        return None
    return await session.scalar(select(OAuthApp).where(OAuthApp.client_id == client_id))


async def authenticate_client(session: AsyncSession, client_id: str, client_secret: str) -> OAuthApp:
    """The app whose id and secret these are, or invalid_client (401)."""
    app = await app_by_client_id(session, client_id)
    if app is None or not client_secret or not hmac.compare_digest(digest(client_secret), app.client_secret_hash):
        raise OAuthError("invalid_client", "Client authentication failed: unknown client or wrong secret.", 401)
    return app


async def issue_code(session: AsyncSession, app: OAuthApp, account_id: int, redirect_uri: str, scopes: list[str],
                     code_challenge: str | None, now: datetime) -> str:
    """The person said yes on the consent page: a single-use code for the redirect."""
    code = _new_secret()
    session.add(OAuthCode(code_hash=digest(code), app_id=app.id, account_id=account_id, redirect_uri=redirect_uri,
                          scopes=" ".join(scopes), code_challenge=code_challenge, created_at=now))
    await session.commit()
    return code


def _issue(session: AsyncSession, app: OAuthApp, account_id: int | None, scopes: str, now: datetime) -> Issued:
    """A new token (the caller commits); only its hash is stored."""
    token = _new_secret()
    row = OAuthToken(token_hash=digest(token), app_id=app.id, account_id=account_id, scopes=scopes, created_at=now)
    session.add(row)
    return Issued(token, row)


async def trade_code(session: AsyncSession, app: OAuthApp, code: str, redirect_uri: str, verifier: str | None,
                     now: datetime) -> Issued:
    """authorization_code grant. The code row is deleted before anything else is checked, so a code works
    once, even when the first attempt fails (a stolen code tried first burns it)."""
    row = await session.scalar(select(OAuthCode).where(OAuthCode.code_hash == digest(code or "")))
    if row is None:
        raise OAuthError("invalid_grant", "The authorization code is unknown, already used or expired.")
    gone = await session.execute(delete(OAuthCode).where(OAuthCode.id == row.id))
    await session.commit()
    if not gone.rowcount or row.app_id != app.id or now - row.created_at > CODE_LIFETIME:
        raise OAuthError("invalid_grant", "The authorization code is unknown, already used or expired.")
    if redirect_uri != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the one the code was issued for.")
    if row.code_challenge is not None:
        if not verifier or not pkce_matches(verifier, row.code_challenge):
            raise OAuthError("invalid_grant", "The PKCE code_verifier does not match the code_challenge.")
    user = await account_db.local_user_by_account(session, row.account_id)
    if user is None or not may_log_in(user):
        raise OAuthError("invalid_grant", "The account that authorised this code can no longer sign in.")
    issued = _issue(session, app, row.account_id, row.scopes, now)
    await session.commit()
    return issued


async def app_token(session: AsyncSession, app: OAuthApp, scopes: list[str], now: datetime) -> Issued:
    """client_credentials grant: a token for the app itself, acting for nobody."""
    issued = _issue(session, app, None, " ".join(scopes), now)
    await session.commit()
    return issued


async def revoke(session: AsyncSession, app: OAuthApp, token: str) -> None:
    """RFC 7009: the app's own token goes; unknown tokens and other apps' tokens are silently left alone."""
    await session.execute(delete(OAuthToken).where(OAuthToken.token_hash == digest(token or ""),
                                                   OAuthToken.app_id == app.id))
    await session.commit()


async def grant_for(session: AsyncSession, token: str, now: datetime) -> Grant | None:
    """The grant behind a bearer token, or None when it is unknown, revoked, or its person may no longer sign in
    (suspended, deleted). Notes the use at most once a minute."""
    if not token or len(token) > 200:
        return None
    row = await session.scalar(select(OAuthToken).where(OAuthToken.token_hash == digest(token)))
    if row is None:
        return None
    user: LocalUser | None = None
    if row.account_id is not None:
        user = await account_db.local_user_by_account(session, row.account_id)
        if user is None or not may_log_in(user):
            return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        await session.commit()
    return Grant(row, row.app, user, tuple(row.scopes.split()))


@dataclass(frozen=True)
class AuthorisedApp:
    app: OAuthApp
    scopes: tuple[str, ...]
    tokens: int
    authorised_at: datetime
    last_used_at: datetime | None


async def authorised_apps(session: AsyncSession, account_id: int) -> list[AuthorisedApp]:
    """The apps holding tokens for this person, for the studio: scopes of all their tokens, last use."""
    rows = list(await session.scalars(select(OAuthToken).where(OAuthToken.account_id == account_id)
                                      .order_by(OAuthToken.created_at)))
    by_app: dict[int, list[OAuthToken]] = {}
    for row in rows:
        by_app.setdefault(row.app_id, []).append(row)
    out = []
    for tokens in by_app.values():
        used = [t.last_used_at for t in tokens if t.last_used_at is not None]
        scopes = tuple(dict.fromkeys(s for t in tokens for s in t.scopes.split()))
        out.append(AuthorisedApp(tokens[0].app, scopes, len(tokens), tokens[0].created_at, max(used) if used else None))
    out.sort(key=lambda a: a.last_used_at or a.authorised_at, reverse=True)
    return out


async def revoke_app_for(session: AsyncSession, account_id: int, app_id: int) -> int:
    """The person takes an app's access back: every token it holds for them (and pending codes) go."""
    result = await session.execute(delete(OAuthToken).where(OAuthToken.account_id == account_id,
                                                             OAuthToken.app_id == app_id))
    await session.execute(delete(OAuthCode).where(OAuthCode.account_id == account_id, OAuthCode.app_id == app_id))
    await session.commit()
    return result.rowcount or 0



async def prune_codes(session: AsyncSession, now: datetime) -> int:
    """Codes never traded and past their lifetime (housekeeping); the caller commits."""
    result = await session.execute(delete(OAuthCode).where(OAuthCode.created_at < now - CODE_LIFETIME))
    return result.rowcount or 0


async def token_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(OAuthToken)) or 0

