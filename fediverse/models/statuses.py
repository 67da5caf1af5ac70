"""Statuses: one time-ordered row per post anyone may see in a timeline (a local work, a stored remote note, or a
boost of either; a local text note), so timelines page by one sortable id on both databases.

The status is an index over the post, not a copy of it: text, images and consent stay on ``Work`` and
``RemoteNote``. What it keeps is what a timeline query filters on: author, time-ordered id, visibility, and the
local accounts the post is addressed to (``StatusAudience``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow

PUBLIC = "public"
UNLISTED = "unlisted"
PRIVATE = "private"  # followers-only
DIRECT = "direct"
STATUS_VISIBILITIES = (PUBLIC, UNLISTED, PRIVATE, DIRECT)
# a work's visibility as the studio names it -> the status visibility (Mastodon's names)
WORK_VISIBILITY = {"public": PUBLIC, "unlisted": UNLISTED, "followers": PRIVATE}
# a local note's visibility (the studio's names, direct included) -> the status visibility
NOTE_VISIBILITY = {**WORK_VISIBILITY, "direct": DIRECT}
ONE_KIND = ("(CASE WHEN work_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN remote_note_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN local_note_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN reblog_of_id IS NULL THEN 0 ELSE 1 END) = 1")


class Status(Base):
    """One post in a timeline: exactly one of a work, a remote note, a local note, or a boost of another status.

    ``id`` is a snowflake (fediverse/snowflake.py) made from the post's published time, never autoincremented.
    ``uri`` is the Announce id of a boost (None for works and notes, whose own uri is on their row)."""

    __tablename__ = "statuses"
    __table_args__ = (
        CheckConstraint(
            ONE_KIND, name="one_kind"),
        CheckConstraint("visibility IN ('public', 'unlisted', 'private', 'direct')", name="visibility"),
        Index("ix_statuses_account_id_id", "account_id", "id"),  # an account's posts, newest first; home timeline
        Index("ix_statuses_visibility_id", "visibility", "id"),  # public timelines, tag pages
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), unique=True)
    remote_note_id: Mapped[int | None] = mapped_column(ForeignKey("remote_notes.id", ondelete="CASCADE"), unique=True)
    local_note_id: Mapped[int | None] = mapped_column(ForeignKey("local_notes.id", ondelete="CASCADE"), unique=True)
    reblog_of_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
                                                     index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    visibility: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusAudience(Base):
    """A local account a status is addressed to (mentioned, or in ``to``/``cc``): who may see a private or direct
    post besides its author (and, for private, the author's followers). Local accounts only: viewers are local."""

    __tablename__ = "status_audience"
    __table_args__ = (Index("ix_status_audience_account_id_status_id", "account_id", "status_id"),)

    status_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)


class Favourite(Base):
    """A local account's like of a status (a remote note or another local artist's work). ``uri`` is the id of
    the Like we sent (or would send), so its Undo can embed it; once per (account, status)."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("account_id", "status_id"), Index("ix_favourites_status_id", "status_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"))
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bookmark(Base):
    """A status a local account kept for later: private, never federated. Listed newest bookmark first."""

    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("account_id", "status_id"), Index("ix_bookmarks_account_id_id", "account_id", "id"),
                      Index("ix_bookmarks_status_id", "status_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
