"""account blocks and mutes: a person's own, for the client API's blocks and mutes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import fediverse.models.base


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('account_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_blocks_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['accounts.id'], name=op.f('fk_account_blocks_target_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_blocks')),
    sa.UniqueConstraint('account_id', 'target_id', name=op.f('uq_account_blocks_account_id_target_id'))
    )
    with op.batch_alter_table('account_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_account_blocks_target', ['target_id'], unique=False)

    op.create_table('account_mutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('notifications', sa.Boolean(), nullable=False),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_mutes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['accounts.id'], name=op.f('fk_account_mutes_target_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_mutes')),
    sa.UniqueConstraint('account_id', 'target_id', name=op.f('uq_account_mutes_account_id_target_id'))
    )


def downgrade() -> None:
    op.drop_table('account_mutes')
    with op.batch_alter_table('account_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_account_blocks_target')
    op.drop_table('account_blocks')
