"""Moderation state: the audit log, reports, domain and e-mail blocks, invites, and settings saved in the panel."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow

REPORT_STATES = ("open", "resolved", "dismissed")
DOMAIN_SEVERITIES = ("suspend", "silence", "noop")


def new_media_token() -> str:
    """22 URL-safe characters (128 random bits): the public name of a cached remote file."""
    return secrets.token_urlsafe(16)


class AuditLog(Base):
    """One staff action: who did what to whom, when and why. Rows are never edited or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    actor_handle: Mapped[str] = mapped_column(String(512))   # kept when the account is gone
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "report.resolve", "domain_block.create"
    target_type: Mapped[str] = mapped_column(String(32))     # account | report | domain | signup | invite | setting ...
    target: Mapped[str] = mapped_column(String(2048))        # handle, domain, report id ...
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Report(Base):
    """A complaint about an account (and some of its posts): filed here, or received as a Flag."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    origin_domain: Mapped[str | None] = mapped_column(String(255))  # set when the report came in as a Flag
    flag_uri: Mapped[str | None] = mapped_column(String(2048), unique=True)  # inbound Flag id (dedupe)
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    object_uris: Mapped[list[Any]] = mapped_column(default=list)
    category: Mapped[str] = mapped_column(String(32), default="other")  # spam | legal | violation | other
    comment: Mapped[str] = mapped_column(Text, default="")
    forwarded: Mapped[bool] = mapped_column(default=False)   # a Flag was sent to the target's server
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(String(32))  # dismiss | remove | sensitive | silence | suspend
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DomainBlock(Base):
    """An instance-wide policy on one remote domain (and its subdomains), as Mastodon's DomainBlock."""

    __tablename__ = "domain_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    severity: Mapped[str] = mapped_column(String(16), default="suspend")  # suspend | silence | noop
    reject_media: Mapped[bool] = mapped_column(default=False)
    reject_reports: Mapped[bool] = mapped_column(default=False)
    private_comment: Mapped[str] = mapped_column(Text, default="")
    public_comment: Mapped[str] = mapped_column(Text, default="")
    obfuscate: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailDomainBlock(Base):
    """Sign-ups with an e-mail address at this domain are refused."""

    __tablename__ = "email_domain_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invite(Base):
    """A sign-up link: usable `max_uses` times (None = unlimited) until `expires_at` (None = never)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    max_uses: Mapped[int | None] = mapped_column()
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceSetting(Base):
    """A setting changed in the admin panel; overrides instance.toml and takes effect without a restart."""

    __tablename__ = "instance_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "section.key", e.g. "instance.name"
    value: Mapped[dict[str, Any]] = mapped_column()  # {"v": value}: JSON of any scalar
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RemoteMedia(Base):
    """A cached copy of a remote attachment, with the consent signals read off its headers and XMP."""

    __tablename__ = "remote_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the URL names (/media/remote/<token>/…): random, so the files of followers-only and direct notes
    # cannot be found by counting ids.
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_media_token)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("remote_notes.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str | None] = mapped_column(String(500))  # None until fetched, or after a purge
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    consent: Mapped[dict[str, Any] | None] = mapped_column()  # signals from headers + XMP (any disallow wins)
    fetch_error: Mapped[str | None] = mapped_column(String(1000))
    fetched_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
