"""interaction policies: who may quote / reply to / boost (artist and work), and quote authorizations (FEP-044f)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 21:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_POLICIES = ('quote_policy', 'reply_policy', 'boost_policy')


def upgrade() -> None:
    for table in ('accounts', 'works'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _POLICIES:
                batch_op.add_column(sa.Column(column, sa.String(length=16), nullable=True))
    # Never a batch rebuild of remote_notes or reactions (see 0005): on SQLite, dropping the old copy of a table
    # that other tables point at ON DELETE CASCADE deletes their rows. A literal default ('0', false on both
    # databases) is a plain ADD COLUMN; an expression default such as sa.false() makes Alembic rebuild the table.
    with op.batch_alter_table('remote_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('against_policy', sa.Boolean(), nullable=False, server_default='0'))
    with op.batch_alter_table('reactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('against_policy', sa.Boolean(), nullable=False, server_default='0'))
    op.create_table('quote_authorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('quoter_id', sa.Integer(), nullable=False),
    sa.Column('target_uri', sa.String(length=2048), nullable=False),
    sa.Column('quoting_uri', sa.String(length=2048), nullable=False),
    sa.Column('request_uri', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_quote_authorizations_author_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quoter_id'], ['accounts.id'], name=op.f('fk_quote_authorizations_quoter_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_authorizations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_quote_authorizations_public_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_quote_authorizations_uri')),
    sa.UniqueConstraint('target_uri', 'quoting_uri', name=op.f('uq_quote_authorizations_target_uri_quoting_uri'))
    )
    with op.batch_alter_table('quote_authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_authorizations_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_authorizations_target_uri'), ['target_uri'], unique=False)


def downgrade() -> None:
    op.drop_table('quote_authorizations')
    with op.batch_alter_table('reactions', schema=None) as batch_op:
        batch_op.drop_column('against_policy')
    with op.batch_alter_table('remote_notes', schema=None) as batch_op:
        batch_op.drop_column('against_policy')
    for table in ('works', 'accounts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(_POLICIES):
                batch_op.drop_column(column)
