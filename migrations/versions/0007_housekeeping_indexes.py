"""indexes for pruning processed inbound activities and for /metrics

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-07 05:50:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_activities', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_activities_processed', ['processed_at', 'received_at'], unique=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_state_kind', ['state', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_kind')
    with op.batch_alter_table('inbound_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_activities_processed')
