"""Actors, local and remote, and the credentials of local users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse.models.base import Base, utcnow

ROLES = ("artist", "moderator", "admin")
STAFF_ROLES = ("moderator", "admin")  # they see what moderation needs, e.g. the files of a reported direct note


class Account(Base):
    """An ActivityPub actor. Local when `domain` is None; remote ones keep their raw JSON."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    handle: Mapped[str] = mapped_column(String(512), index=True)  # "alice" local, "alice@host" remote
    username: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    actor_type: Mapped[str] = mapped_column(String(32), default="Person")
    display_name: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    inbox_url: Mapped[str] = mapped_column(String(2048))
    shared_inbox_url: Mapped[str | None] = mapped_column(String(2048))
    outbox_url: Mapped[str | None] = mapped_column(String(2048))
    followers_url: Mapped[str | None] = mapped_column(String(2048))
    following_url: Mapped[str | None] = mapped_column(String(2048))
    featured_url: Mapped[str | None] = mapped_column(String(2048))
    key_id: Mapped[str | None] = mapped_column(String(2048), unique=True)
    public_key_pem: Mapped[str | None] = mapped_column(Text)
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    manually_approves_followers: Mapped[bool] = mapped_column(default=False)
    discoverable: Mapped[bool] = mapped_column(default=True)
    indexable: Mapped[bool] = mapped_column(default=False)
    fields: Mapped[list[Any]] = mapped_column(default=list)
    default_license_url: Mapped[str | None] = mapped_column(String(500))  # local artists: licence of new works
    consent: Mapped[dict[str, Any] | None] = mapped_column()  # local: the artist's override; remote: signals read
    # local artists: who may quote / reply to / boost their posts (anyone | followers | nobody); NULL = instance's
    quote_policy: Mapped[str | None] = mapped_column(String(16))
    reply_policy: Mapped[str | None] = mapped_column(String(16))
    boost_policy: Mapped[str | None] = mapped_column(String(16))
    raw: Mapped[dict[str, Any] | None] = mapped_column()
    fetched_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column()
    silenced_at: Mapped[datetime | None] = mapped_column()     # limited: hidden from public views, not federated to
    sensitized_at: Mapped[datetime | None] = mapped_column()   # all media forced sensitive

    user: Mapped[LocalUser | None] = relationship(back_populates="account", uselist=False, lazy="raise")

    @property
    def is_local(self) -> bool:
        return self.domain is None

    @property
    def delivery_inbox(self) -> str:
        """Where fan-out goes: the shared inbox when the server has one (Mastodon's Account.inboxes)."""
        return self.shared_inbox_url or self.inbox_url


class LocalUser(Base):
    """A person (or the instance itself) who signs in here and whose private key lives here."""

    __tablename__ = "local_users"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="artist")
    private_key_pem: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved: Mapped[bool] = mapped_column(default=True)          # False while a sign-up waits in the queue
    signup_reason: Mapped[str] = mapped_column(Text, default="")
    signup_ip: Mapped[str | None] = mapped_column(String(64))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", ondelete="SET NULL"))

    account: Mapped[Account] = relationship(back_populates="user", lazy="joined")




class WebSession(Base):
    """One logged-in browser. Only a SHA-256 of the cookie's token is kept, so a copy of the database logs
    nobody in; deleting the row ends the session on that browser's next request."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")
