"""OAuth 2 for the Mastodon client API: registered apps, authorization codes and access tokens.

Only SHA-256 hashes of client secrets, codes and tokens are kept (like web_sessions), so a copy of the
database (a backup, a leaked dump) lets nobody act as an app or a person. Tokens never expire (apps break
on expiring tokens: Tusky #1955); they end when revoked by the app, by the person in the studio, or by a
staff suspension.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse.models.base import Base, utcnow


class OAuthApp(Base):
    """A client registered through POST /api/v1/apps (anyone may register one, as on Mastodon)."""

    __tablename__ = "oauth_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(2048))
    redirect_uris: Mapped[str] = mapped_column(Text)  # newline separated, each matched exactly
    scopes: Mapped[str] = mapped_column(String(2000))  # space separated, as registered
    client_id: Mapped[str] = mapped_column(String(64), unique=True)  # public
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def redirect_uri_list(self) -> list[str]:
        return [uri for uri in self.redirect_uris.split("\n") if uri]


class OAuthCode(Base):
    """An authorization code: single use (deleted when traded) and short-lived."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scopes: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str | None] = mapped_column(String(128))  # PKCE S256, when the app sent one
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OAuthToken(Base):
    """An access token: a person's (account_id set) or an app's own (client_credentials, account_id None)."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()

    app: Mapped[OAuthApp] = relationship(lazy="joined")
