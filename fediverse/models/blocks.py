"""A person's own blocks and mutes of other accounts (the Mastodon client API's blocks and mutes).

A block severs the follows both ways and stops the blocked account following again; a mute only quiets (the
muter keeps following). Both are private to the person who made them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow


class AccountBlock(Base):
    __tablename__ = "account_blocks"
    __table_args__ = (UniqueConstraint("account_id", "target_id"), Index("ix_account_blocks_target", "target_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountMute(Base):
    __tablename__ = "account_mutes"
    __table_args__ = (UniqueConstraint("account_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    notifications: Mapped[bool] = mapped_column(default=True)  # also hide the muted account's notifications
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
