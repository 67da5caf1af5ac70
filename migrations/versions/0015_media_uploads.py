"""media uploads and idempotency keys of the Mastodon client API's posting endpoints

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import fediverse.models.base


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('media_uploads',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('focal_x', sa.Float(), nullable=False),
    sa.Column('focal_y', sa.Float(), nullable=False),
    sa.Column('original_key', sa.String(length=500), nullable=False),
    sa.Column('original_mime', sa.String(length=64), nullable=False),
    sa.Column('large_key', sa.String(length=500), nullable=False),
    sa.Column('large_mime', sa.String(length=64), nullable=False),
    sa.Column('display_key', sa.String(length=500), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=500), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('large_width', sa.Integer(), nullable=False),
    sa.Column('large_height', sa.Integer(), nullable=False),
    sa.Column('blurhash', sa.String(length=100), nullable=False),
    sa.Column('ai_generated', sa.Boolean(), nullable=False),
    sa.Column('digital_source_type', sa.String(length=200), nullable=True),
    sa.Column('status_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_media_uploads_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_uploads'))
    )
    with op.batch_alter_table('media_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_uploads_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_uploads_status_id'), ['status_id'], unique=False)

    op.create_table('api_idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_idempotency_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency_keys')),
    sa.UniqueConstraint('account_id', 'key', name=op.f('uq_api_idempotency_keys_account_id_key'))
    )
    with op.batch_alter_table('api_idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_idempotency_keys_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_idempotency_keys_created_at'))
    op.drop_table('api_idempotency_keys')
    with op.batch_alter_table('media_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_uploads_status_id'))
        batch_op.drop_index(batch_op.f('ix_media_uploads_created_at'))
        batch_op.drop_index(batch_op.f('ix_media_uploads_account_id'))
    op.drop_table('media_uploads')
