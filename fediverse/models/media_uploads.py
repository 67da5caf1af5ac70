"""Client API uploads: an app's media waiting to be posted, and the Idempotency-Key of its posts.

An app uploads each image first (POST /api/v2/media) and posts a status naming their ids. Until then the image
is a ``MediaUpload`` of its owner: probed, derived and stored exactly as a work's image (its files are then
used by the work as they are), with the description (alt text) and focus the app set. Unattached uploads older
than a day are pruned (services.media_uploads.prune).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow
from fediverse.models.works import ImageFiles


class MediaUpload(ImageFiles, Base):
    """One uploaded image of an app, owned by ``account_id``; ``status_id`` set once a post uses it."""

    __tablename__ = "media_uploads"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # a snowflake
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    focal_x: Mapped[float] = mapped_column(default=0.0)
    focal_y: Mapped[float] = mapped_column(default=0.0)
    ai_generated: Mapped[bool] = mapped_column(default=False)
    digital_source_type: Mapped[str | None] = mapped_column(String(200))
    status_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # the post it became part of
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` a person posted with, and the status it made: the same key within an hour answers
    that status again instead of posting twice (kept in the database, so every process sees it)."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    status_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
