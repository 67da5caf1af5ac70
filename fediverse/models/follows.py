"""Follow relations in both directions: remote -> local and local -> remote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse.models.accounts import Account
from fediverse.models.base import Base, utcnow

PENDING = "pending"
ACCEPTED = "accepted"


class Follow(Base):
    """One follower -> followee edge. `uri` is the Follow activity id (kept stable for Undo)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id"),
        # fan-out: distinct inboxes of the accepted followers of one account, without a table scan
        Index("ix_follows_fanout", "followee_id", "state", "follower_inbox"),
        Index("ix_follows_follower", "follower_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    follower_inbox: Mapped[str] = mapped_column(String(2048))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column()

    follower: Mapped[Account] = relationship(foreign_keys=[follower_id], lazy="raise")
    followee: Mapped[Account] = relationship(foreign_keys=[followee_id], lazy="raise")
