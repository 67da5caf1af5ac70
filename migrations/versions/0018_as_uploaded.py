"""as uploaded: a work image whose large rendition is the artist's own file (Glaze-safe publishing)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('work_images', schema=None) as batch_op:  # a plain ADD COLUMN, no rebuild
        batch_op.add_column(sa.Column('as_uploaded', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('work_images', schema=None) as batch_op:
        batch_op.drop_column('as_uploaded')
