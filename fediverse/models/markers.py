"""Where a person stopped reading a timeline (Mastodon's markers): apps sync the read position across devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow

MARKER_TIMELINES = ("home", "notifications")


class Marker(Base):
    """The last read id of one timeline (home or notifications) of a local account; ``version`` counts saves."""

    __tablename__ = "markers"
    __table_args__ = (UniqueConstraint("account_id", "timeline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    timeline: Mapped[str] = mapped_column(String(16))
    last_read_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
