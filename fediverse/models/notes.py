"""Local text posts: an artist's reply (or any short text) that is not an artwork.

A ``Work`` needs at least one image; a ``LocalNote`` is text only (content warning, mentions, tags), so an artist
can answer a remote post or a work. Like works it keeps the artist's plain text and the sanitised HTML made from
it, a Tombstone once deleted (``deleted_at``), and its one ``Status`` (models/statuses.py) while it lives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse.models.accounts import Account
from fediverse.models.base import Base, utcnow

# the studio's names, as works use them, plus direct (only the mentioned accounts)
NOTE_VISIBILITIES = ("public", "unlisted", "followers", "direct")


class LocalNote(Base):
    """One text post by a local artist; ``public_id`` is its status id (a snowflake) as text."""

    __tablename__ = "local_notes"
    __table_args__ = (Index("ix_local_notes_account_id_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text, default="")  # the artist's plain text
    content_html: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML rendered from it
    summary: Mapped[str] = mapped_column(String(500), default="")  # content warning
    sensitive: Mapped[bool] = mapped_column(default=False)
    visibility: Mapped[str] = mapped_column(String(16), default="public")  # NOTE_VISIBILITIES
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    # the replied-to status when we held it at posting time; no foreign key (statuses points here: no cycle), so
    # it may outlive that status: readers look it up and fall back to ``in_reply_to_uri``
    in_reply_to_id: Mapped[int | None] = mapped_column(BigInteger)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    mentions: Mapped[list[Any]] = mapped_column(default=list)  # [{"uri":…, "acct":…}]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()

    account: Mapped[Account] = relationship(lazy="joined")
