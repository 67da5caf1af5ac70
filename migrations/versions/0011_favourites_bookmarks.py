"""favourites and bookmarks of statuses by local accounts; a partial index for the unread-notification badge

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:40:00

(0009, tags and search, is made in parallel; this revision is re-chained after it when both are merged.)
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('favourites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_favourites_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_favourites_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_favourites')),
    sa.UniqueConstraint('account_id', 'status_id', name=op.f('uq_favourites_account_id_status_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_favourites_uri'))
    )
    op.create_index('ix_favourites_status_id', 'favourites', ['status_id'], unique=False)
    op.create_table('bookmarks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_bookmarks_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_bookmarks_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookmarks')),
    sa.UniqueConstraint('account_id', 'status_id', name=op.f('uq_bookmarks_account_id_status_id'))
    )
    op.create_index('ix_bookmarks_account_id_id', 'bookmarks', ['account_id', 'id'], unique=False)
    op.create_index('ix_bookmarks_status_id', 'bookmarks', ['status_id'], unique=False)
    op.create_index('ix_notifications_unread', 'notifications', ['account_id'], unique=False,
                    sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_notifications_unread', table_name='notifications')
    op.drop_index('ix_bookmarks_status_id', table_name='bookmarks')
    op.drop_index('ix_bookmarks_account_id_id', table_name='bookmarks')
    op.drop_table('bookmarks')
    op.drop_index('ix_favourites_status_id', table_name='favourites')
    op.drop_table('favourites')
