"""markers: the last read id of a local account's home and notifications timelines (the client API's markers)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 18:30:00

(Made beside the other client API revisions; re-chained at merge.)
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('markers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('timeline', sa.String(length=16), nullable=False),
    sa.Column('last_read_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_markers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_markers')),
    sa.UniqueConstraint('account_id', 'timeline', name=op.f('uq_markers_account_id_timeline'))
    )


def downgrade() -> None:
    op.drop_table('markers')
