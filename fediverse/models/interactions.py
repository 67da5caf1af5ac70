"""Quote authorizations (FEP-044f): our artist's consent to one remote post quoting one of her posts.

Why a row: the authorization is a dereferenceable object (``uri``) that the quoting server re-checks, so it must
outlive the Accept that carried it, and revoking it (``revoked_at``) must make that IRI answer 410.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse.models.accounts import Account
from fediverse.models.base import Base, utcnow


class QuoteAuthorization(Base):
    """``target_uri`` is our post (a work or a text note), ``quoting_uri`` the remote post that quotes it."""

    __tablename__ = "quote_authorizations"
    __table_args__ = (UniqueConstraint("target_uri", "quoting_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    quoter_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_uri: Mapped[str] = mapped_column(String(2048), index=True)
    quoting_uri: Mapped[str] = mapped_column(String(2048))
    request_uri: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    author: Mapped[Account] = relationship(foreign_keys=[author_id], lazy="joined")
    quoter: Mapped[Account] = relationship(foreign_keys=[quoter_id], lazy="joined")
