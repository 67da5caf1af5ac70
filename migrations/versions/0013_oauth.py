"""oauth: apps, authorization codes and access tokens for the Mastodon client API (hashes only)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import fediverse.models.base


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('oauth_apps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('website', sa.String(length=2048), nullable=True),
    sa.Column('redirect_uris', sa.Text(), nullable=False),
    sa.Column('scopes', sa.String(length=2000), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_apps')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oauth_apps_client_id'))
    )
    op.create_table('oauth_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2048), nullable=False),
    sa.Column('scopes', sa.String(length=2000), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['app_id'], ['oauth_apps.id'], name=op.f('fk_oauth_codes_app_id_oauth_apps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth_codes_code_hash'))
    )
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_codes_app_id'), ['app_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_codes_created_at'), ['created_at'], unique=False)

    op.create_table('oauth_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('scopes', sa.String(length=2000), nullable=False),
    sa.Column('created_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', fediverse.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_tokens_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['app_id'], ['oauth_apps.id'], name=op.f('fk_oauth_tokens_app_id_oauth_apps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oauth_tokens_token_hash'))
    )
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_tokens_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_tokens_app_id'), ['app_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_app_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_account_id'))
    op.drop_table('oauth_tokens')
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_codes_created_at'))
        batch_op.drop_index(batch_op.f('ix_oauth_codes_app_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_codes_account_id'))
    op.drop_table('oauth_codes')
    op.drop_table('oauth_apps')
