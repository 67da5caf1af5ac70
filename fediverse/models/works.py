"""Artworks and their images, portfolio collections, and what remote people did with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse.models.accounts import Account
from fediverse.models.base import Base, utcnow

VISIBILITIES = ("public", "unlisted", "followers")


class Work(Base):
    """One artwork post: up to N images with alt text, text, licence, visibility; a Tombstone once deleted."""

    __tablename__ = "works"
    __table_args__ = (Index("ix_works_portfolio", "account_id", "deleted_at", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # the artist's plain text
    content_html: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML rendered from it
    summary: Mapped[str] = mapped_column(String(500), default="")  # content warning
    sensitive: Mapped[bool] = mapped_column(default=False)
    license_url: Mapped[str | None] = mapped_column(String(500))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    ai_generated: Mapped[bool] = mapped_column(default=False)
    consent: Mapped[dict[str, Any] | None] = mapped_column()  # the work's override of the artist's record
    quote_policy: Mapped[str | None] = mapped_column(String(16))  # anyone | followers | nobody; NULL = the artist's
    reply_policy: Mapped[str | None] = mapped_column(String(16))
    boost_policy: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    mentions: Mapped[list[Any]] = mapped_column(default=list)  # [{"uri":…, "acct":…, "inbox":…}]
    position: Mapped[int] = mapped_column(default=0)  # portfolio order (lower first)
    pinned_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()

    account: Mapped[Account] = relationship(lazy="joined")
    images: Mapped[list[WorkImage]] = relationship(
        back_populates="work", order_by="WorkImage.position", lazy="selectin", cascade="all, delete-orphan"
    )


class ImageFiles:
    """The stored files of one image (keys in the media store: the private original and its public renditions)
    with their sizes and blurhash: a work's image, and an app's upload waiting for its post, hold the same."""

    original_key: Mapped[str] = mapped_column(String(500))
    original_mime: Mapped[str] = mapped_column(String(64))
    large_key: Mapped[str] = mapped_column(String(500))
    large_mime: Mapped[str] = mapped_column(String(64))
    display_key: Mapped[str] = mapped_column(String(500))
    thumbnail_key: Mapped[str] = mapped_column(String(500))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    large_width: Mapped[int] = mapped_column()
    large_height: Mapped[int] = mapped_column()
    blurhash: Mapped[str] = mapped_column(String(100))


class WorkImage(ImageFiles, Base):
    """One image of a work: the private original and its public renditions, alt text, blurhash, focal point."""

    __tablename__ = "work_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt_text: Mapped[str] = mapped_column(Text, default="")
    focal_x: Mapped[float] = mapped_column(default=0.0)
    focal_y: Mapped[float] = mapped_column(default=0.0)
    ai_generated: Mapped[bool] = mapped_column(default=False)
    digital_source_type: Mapped[str | None] = mapped_column(String(200))
    # the large rendition is the artist's own file, metadata removed losslessly (imaging/lossless.py): Glaze-safe
    as_uploaded: Mapped[bool] = mapped_column(default=False, server_default=false())

    work: Mapped[Work] = relationship(back_populates="images")


class WorkCollection(Base):
    """A portfolio project or album of one artist."""

    __tablename__ = "work_collections"
    __table_args__ = (UniqueConstraint("account_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectionItem(Base):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(ForeignKey("work_collections.id", ondelete="CASCADE"), primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Reaction(Base):
    """A remote Like or Announce of a local work; `uri` is the activity id (for Undo)."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("kind", "work_id", "account_id"), Index("ix_reactions_work", "work_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # like | announce
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a boost the work's boost policy did not allow when it came: kept (an Undo still finds it), never counted/shown
    against_policy: Mapped[bool] = mapped_column(default=False)


class RemoteNote(Base):
    """A remote Note that replies to a local work or mentions a local artist; HTML sanitised before storage.

    ``visibility`` is Mastodon's (activitypub/audience.py): only public and unlisted notes are shown to anyone;
    followers-only and direct ones only to the local accounts in ``audience`` (and the author's local followers
    for followers-only). A note whose audience is unknown is direct (the database default), never public."""

    __tablename__ = "remote_notes"
    __table_args__ = (Index("ix_remote_notes_work_visibility", "work_id", "visibility"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    content_html: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()
    raw: Mapped[dict[str, Any]] = mapped_column()
    # a reply to one of our posts whose reply policy did not include its author: kept, never listed or counted
    against_policy: Mapped[bool] = mapped_column(default=False)
    consent: Mapped[dict[str, Any] | None] = mapped_column()  # signals read off the note (any disallow wins)
    visibility: Mapped[str] = mapped_column(String(16), server_default="direct")  # public|unlisted|private|direct
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048), index=True)  # threads list replies by it

    account: Mapped[Account] = relationship(lazy="joined")


class RemoteNoteAudience(Base):
    """One actor (or collection) IRI a remote note was addressed to in ``to``/``cc`` (as:Public left out)."""

    __tablename__ = "remote_note_audience"

    note_id: Mapped[int] = mapped_column(ForeignKey("remote_notes.id", ondelete="CASCADE"), primary_key=True)
    iri: Mapped[str] = mapped_column(String(2048), primary_key=True)


class Notification(Base):
    """Something that happened to a local artist: follow, like, announce, reply, mention."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "account_id", "created_at"),
                      # the studio badge: a count of the unread ones, on every studio page
                      Index("ix_notifications_unread", "account_id", sqlite_where=text("read_at IS NULL"),
                            postgresql_where=text("read_at IS NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("remote_notes.id", ondelete="CASCADE"))
    local_note_id: Mapped[int | None] = mapped_column(ForeignKey("local_notes.id", ondelete="CASCADE"))  # a local reply
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    actor: Mapped[Account] = relationship(foreign_keys=[actor_id], lazy="joined")
