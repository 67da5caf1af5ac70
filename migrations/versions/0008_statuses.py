"""statuses: one time-ordered 64-bit id per post (works, remote notes, our boosts) and its local audience

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 12:00:00

Every existing work that is not deleted and every stored remote note gets a status whose id is made from its
published time (fediverse/snowflake.py), oldest first; posts of the same millisecond get consecutive ids, so
the ids are unique and keep the published order. Their addressed local accounts come from the work's mentions
and the note's stored audience. Boosts we sent before are not backfilled: they had no row to index.
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime, utcnow
from fediverse.models.statuses import DIRECT, WORK_VISIBILITY
from fediverse.snowflake import EPOCH, lowest_id_at


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 1000
works = sa.table('works', sa.column('id', sa.Integer), sa.column('account_id', sa.Integer),
                 sa.column('visibility', sa.String), sa.column('mentions', sa.JSON),
                 sa.column('published_at', UTCDateTime()), sa.column('deleted_at', UTCDateTime()))
notes = sa.table('remote_notes', sa.column('id', sa.Integer), sa.column('account_id', sa.Integer),
                 sa.column('visibility', sa.String), sa.column('published_at', UTCDateTime()))
note_audience = sa.table('remote_note_audience', sa.column('note_id', sa.Integer), sa.column('iri', sa.String))
accounts = sa.table('accounts', sa.column('id', sa.Integer), sa.column('uri', sa.String),
                    sa.column('domain', sa.String))
statuses = sa.table('statuses', sa.column('id', sa.BigInteger), sa.column('account_id', sa.Integer),
                    sa.column('work_id', sa.Integer), sa.column('remote_note_id', sa.Integer),
                    sa.column('visibility', sa.String), sa.column('created_at', UTCDateTime()))
status_audience = sa.table('status_audience', sa.column('status_id', sa.BigInteger),
                           sa.column('account_id', sa.Integer))


def upgrade() -> None:
    op.create_table('statuses',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=True),
    sa.Column('remote_note_id', sa.Integer(), nullable=True),
    sa.Column('reblog_of_id', sa.BigInteger(), nullable=True),
    sa.Column('uri', sa.String(length=2048), nullable=True),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("(CASE WHEN work_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN remote_note_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN reblog_of_id IS NULL THEN 0 ELSE 1 END) = 1", name=op.f('ck_statuses_one_kind')),
    sa.CheckConstraint("visibility IN ('public', 'unlisted', 'private', 'direct')", name=op.f('ck_statuses_visibility')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_statuses_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reblog_of_id'], ['statuses.id'], name=op.f('fk_statuses_reblog_of_id_statuses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['remote_note_id'], ['remote_notes.id'], name=op.f('fk_statuses_remote_note_id_remote_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_statuses_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statuses')),
    sa.UniqueConstraint('remote_note_id', name=op.f('uq_statuses_remote_note_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_statuses_uri')),
    sa.UniqueConstraint('work_id', name=op.f('uq_statuses_work_id'))
    )
    op.create_index('ix_statuses_account_id_id', 'statuses', ['account_id', 'id'], unique=False)
    op.create_index('ix_statuses_visibility_id', 'statuses', ['visibility', 'id'], unique=False)
    op.create_index(op.f('ix_statuses_reblog_of_id'), 'statuses', ['reblog_of_id'], unique=False)
    op.create_table('status_audience',
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_status_audience_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_status_audience_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('status_id', 'account_id', name=op.f('pk_status_audience'))
    )
    op.create_index('ix_status_audience_account_id_status_id', 'status_audience', ['account_id', 'status_id'],
                    unique=False)
    _backfill(op.get_bind())


def _posts(bind: sa.Connection) -> list[tuple[Any, ...]]:
    """(published, kind, row id, author, visibility) of every live work and every note, oldest first."""
    found = [(published, 0, work_id, author, WORK_VISIBILITY.get(visibility, DIRECT))
             for work_id, author, visibility, published in bind.execute(
                 sa.select(works.c.id, works.c.account_id, works.c.visibility, works.c.published_at)
                 .where(works.c.deleted_at.is_(None)))]
    found += [(published, 1, note_id, author, visibility) for note_id, author, visibility, published in bind.execute(
        sa.select(notes.c.id, notes.c.account_id, notes.c.visibility, notes.c.published_at))]
    now = utcnow()
    return sorted(((min(max(p, EPOCH), now), *rest) for p, *rest in found), key=lambda row: row[:3])


def _backfill(bind: sa.Connection) -> None:
    previous = -1
    rows: list[dict[str, Any]] = []
    work_status: dict[int, int] = {}
    note_status: dict[int, int] = {}
    for published, kind, row_id, author, visibility in _posts(bind):
        previous = max(lowest_id_at(published), previous + 1)  # same millisecond: the next id, order kept
        (work_status if kind == 0 else note_status)[row_id] = previous
        rows.append({"id": previous, "account_id": author, "work_id": row_id if kind == 0 else None,
                     "remote_note_id": row_id if kind == 1 else None, "visibility": visibility,
                     "created_at": published})
    for start in range(0, len(rows), BATCH):
        bind.execute(statuses.insert(), rows[start:start + BATCH])
    _backfill_audience(bind, work_status, note_status)


def _backfill_audience(bind: sa.Connection, work_status: dict[int, int], note_status: dict[int, int]) -> None:
    """Local accounts mentioned by works, and local actors in the stored ``to``/``cc`` of notes."""
    local = dict(bind.execute(sa.select(accounts.c.uri, accounts.c.id).where(accounts.c.domain.is_(None))).all())
    pairs: set[tuple[int, int]] = set()
    for work_id, author, mentions in bind.execute(
            sa.select(works.c.id, works.c.account_id, works.c.mentions).where(works.c.deleted_at.is_(None))):
        for mention in mentions or []:
            account = local.get(mention.get("uri")) if isinstance(mention, dict) else None
            if account is not None and account != author:
                pairs.add((work_status[work_id], account))
    for note_id, iri in bind.execute(sa.select(note_audience.c.note_id, note_audience.c.iri)):
        account = local.get(iri)
        if account is not None and note_id in note_status:
            pairs.add((note_status[note_id], account))
    rows = [{"status_id": status_id, "account_id": account} for status_id, account in sorted(pairs)]
    for start in range(0, len(rows), BATCH):
        bind.execute(status_audience.insert(), rows[start:start + BATCH])


def downgrade() -> None:
    op.drop_index('ix_status_audience_account_id_status_id', table_name='status_audience')
    op.drop_table('status_audience')
    op.drop_index(op.f('ix_statuses_reblog_of_id'), table_name='statuses')
    op.drop_index('ix_statuses_visibility_id', table_name='statuses')
    op.drop_index('ix_statuses_account_id_id', table_name='statuses')
    op.drop_table('statuses')
