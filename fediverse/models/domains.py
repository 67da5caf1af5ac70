"""Per-domain delivery health, so dead servers are not hammered (Mastodon's DeliveryFailureTracker)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base


class DomainHealth(Base):
    """Failure days of one remote host; `unavailable` once failures span enough distinct days."""

    __tablename__ = "domain_health"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    failure_days: Mapped[list[Any]] = mapped_column(default=list)
    unavailable: Mapped[bool] = mapped_column(default=False)
    last_failure_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(1000))
