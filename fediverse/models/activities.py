"""Activities as they crossed the wire: what we sent (for delivery) and what we received (for processing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow


class OutboundActivity(Base):
    """An activity we authored; `body` is the exact JSON bytes every delivery sends and signs."""

    __tablename__ = "outbound_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundActivity(Base):
    """A verified activity accepted by an inbox; unique `uri` makes redelivered duplicates no-ops."""

    __tablename__ = "inbound_activities"
    __table_args__ = (
        # Pruning (processed before a cutoff) and /metrics (the unprocessed slice; the oldest waiting) by range.
        Index("ix_inbound_activities_processed", "processed_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    actor_uri: Mapped[str] = mapped_column(String(2048), index=True)
    inbox_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    raw: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(Text)
    quarantine_reason: Mapped[str | None] = mapped_column(String(200))  # held for a moderator instead of processed
    reviewed_at: Mapped[datetime | None] = mapped_column()
