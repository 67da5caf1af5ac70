"""local notes: an artist's text posts (replies), their statuses, and the reply link of stored remote notes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:00:00

- ``local_notes``: text posts of local artists (models/notes.py);
- ``statuses.local_note_id``: a fourth kind of status, so the exactly-one CHECK counts it;
- ``remote_notes.in_reply_to_uri`` (indexed): threads list the replies we hold by it; filled from ``raw``;
- ``notifications.local_note_id``: a local artist's reply or mention notifies with the note.

SQLite cannot change a CHECK in place: ``statuses`` is rebuilt (batch mode). Its drop would cascade to every
row pointing at a status (the audience, and whatever later tables add), so those rows are read first and
written back after the rebuild.
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 1000
OLD_ONE_KIND = ("(CASE WHEN work_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN remote_note_id IS NULL THEN 0 ELSE 1 END)"
                " + (CASE WHEN reblog_of_id IS NULL THEN 0 ELSE 1 END) = 1")
NEW_ONE_KIND = ("(CASE WHEN work_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN remote_note_id IS NULL THEN 0 ELSE 1 END)"
                " + (CASE WHEN local_note_id IS NULL THEN 0 ELSE 1 END)"
                " + (CASE WHEN reblog_of_id IS NULL THEN 0 ELSE 1 END) = 1")
notes = sa.table('remote_notes', sa.column('id', sa.Integer), sa.column('raw', sa.JSON),
                 sa.column('in_reply_to_uri', sa.String))


def upgrade() -> None:
    op.create_table('local_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_html', sa.Text(), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('in_reply_to_uri', sa.String(length=2048), nullable=True),
    sa.Column('in_reply_to_id', sa.BigInteger(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('published_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=True),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_local_notes_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_notes')),
    sa.UniqueConstraint('public_id', name=op.f('uq_local_notes_public_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_local_notes_uri'))
    )
    op.create_index('ix_local_notes_account_id_id', 'local_notes', ['account_id', 'id'], unique=False)
    op.create_index(op.f('ix_local_notes_in_reply_to_uri'), 'local_notes', ['in_reply_to_uri'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _statuses_sqlite(bind)
    else:
        _statuses_postgresql()
    with op.batch_alter_table('remote_notes', schema=None) as batch_op:  # a plain ADD COLUMN, no rebuild
        batch_op.add_column(sa.Column('in_reply_to_uri', sa.String(length=2048), nullable=True))
    op.create_index(op.f('ix_remote_notes_in_reply_to_uri'), 'remote_notes', ['in_reply_to_uri'], unique=False)
    _backfill_reply_links(bind)
    if bind.dialect.name == 'sqlite':  # ADD COLUMN with its reference: no rebuild of notifications
        op.execute('ALTER TABLE notifications ADD COLUMN local_note_id INTEGER '
                   'CONSTRAINT fk_notifications_local_note_id_local_notes '
                   'REFERENCES local_notes (id) ON DELETE CASCADE')
    else:
        op.add_column('notifications', sa.Column('local_note_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_notifications_local_note_id_local_notes'), 'notifications', 'local_notes',
                              ['local_note_id'], ['id'], ondelete='CASCADE')


def _statuses_postgresql() -> None:
    op.add_column('statuses', sa.Column('local_note_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_statuses_local_note_id_local_notes'), 'statuses', 'local_notes',
                          ['local_note_id'], ['id'], ondelete='CASCADE')
    op.create_unique_constraint(op.f('uq_statuses_local_note_id'), 'statuses', ['local_note_id'])
    op.drop_constraint(op.f('ck_statuses_one_kind'), 'statuses', type_='check')
    op.create_check_constraint(op.f('ck_statuses_one_kind'), 'statuses', sa.text(NEW_ONE_KIND))


def _dependents(bind: sa.Connection) -> list[tuple[sa.TableClause, list[dict[str, Any]]]]:
    """Every other table with a foreign key to statuses, and its rows (read before the rebuild)."""
    inspector = sa.inspect(bind)
    found = []
    for name in inspector.get_table_names():
        if name == 'statuses' or not any(fk['referred_table'] == 'statuses' for fk in inspector.get_foreign_keys(name)):
            continue
        table = _untyped(bind, name)
        found.append((table, [dict(row._mapping) for row in bind.execute(sa.select(table))]))
    return found


def _statuses_sqlite(bind: sa.Connection) -> None:
    kept = _dependents(bind)
    statuses = _untyped(bind, 'statuses')
    rows = [dict(row._mapping) for row in bind.execute(sa.select(statuses).order_by(statuses.c.id))]
    with op.batch_alter_table('statuses', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('local_note_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_statuses_local_note_id_local_notes'), 'local_notes',
                                    ['local_note_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_statuses_local_note_id'), ['local_note_id'])
        batch_op.drop_constraint(batch_op.f('ck_statuses_one_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_statuses_one_kind'), sa.text(NEW_ONE_KIND))
    _restore(bind, _untyped(bind, 'statuses'), rows, kept)


def _untyped(bind: sa.Connection, name: str) -> sa.TableClause:
    """The table's columns without types, so rows are copied back exactly as stored."""
    return sa.table(name, *(sa.column(column['name']) for column in sa.inspect(bind).get_columns(name)))


def _restore(bind: sa.Connection, statuses: sa.TableClause, rows: list[dict[str, Any]],
             kept: list[tuple[sa.TableClause, list[dict[str, Any]]]]) -> None:
    """Put back what the rebuild's drop cascaded away: statuses a boost pointed at before the boosts, then the
    rows of the dependent tables."""
    present = set(bind.execute(sa.select(statuses.c.id)).scalars())
    missing = [row for row in rows if row['id'] not in present]
    for row in sorted(missing, key=lambda r: r['reblog_of_id'] is not None):
        bind.execute(statuses.insert(), [row])
    for table, table_rows in kept:
        key = sa.inspect(bind).get_pk_constraint(table.name)['constrained_columns']
        existing = {tuple(r) for r in bind.execute(sa.select(*(table.c[name] for name in key)))}
        todo = [r for r in table_rows if tuple(r[name] for name in key) not in existing]
        for start in range(0, len(todo), BATCH):
            bind.execute(table.insert(), todo[start:start + BATCH])


def _reply_link(raw: Any) -> str | None:
    target = raw.get('inReplyTo') if isinstance(raw, dict) else None
    if isinstance(target, dict):
        target = target.get('id')
    return target if isinstance(target, str) and 0 < len(target) <= 2048 else None


def _backfill_reply_links(bind: sa.Connection) -> None:
    last = 0
    while True:
        rows = bind.execute(sa.select(notes.c.id, notes.c.raw).where(notes.c.id > last)
                            .order_by(notes.c.id).limit(BATCH)).all()
        if not rows:
            return
        for note_id, raw in rows:
            link = _reply_link(raw)
            if link is not None:
                bind.execute(notes.update().where(notes.c.id == note_id).values(in_reply_to_uri=link))
        last = rows[-1][0]


def downgrade() -> None:
    bind = op.get_bind()
    op.execute(sa.text('DELETE FROM statuses WHERE local_note_id IS NOT NULL'))
    if bind.dialect.name == 'sqlite':
        kept = _dependents(bind)
        rows = [dict(r._mapping) for r in bind.execute(sa.text('SELECT * FROM statuses ORDER BY id'))]
        with op.batch_alter_table('notifications', schema=None) as batch_op:
            batch_op.drop_column('local_note_id')
        with op.batch_alter_table('statuses', schema=None, recreate='always') as batch_op:
            batch_op.drop_constraint(batch_op.f('ck_statuses_one_kind'), type_='check')
            batch_op.drop_constraint(batch_op.f('uq_statuses_local_note_id'), type_='unique')
            batch_op.drop_constraint(batch_op.f('fk_statuses_local_note_id_local_notes'), type_='foreignkey')
            batch_op.drop_column('local_note_id')
            batch_op.create_check_constraint(batch_op.f('ck_statuses_one_kind'), sa.text(OLD_ONE_KIND))
        for row in rows:
            row.pop('local_note_id', None)
        _restore(bind, _untyped(bind, 'statuses'), rows, kept)
    else:
        op.drop_constraint(op.f('fk_notifications_local_note_id_local_notes'), 'notifications', type_='foreignkey')
        op.drop_column('notifications', 'local_note_id')
        op.drop_constraint(op.f('ck_statuses_one_kind'), 'statuses', type_='check')
        op.create_check_constraint(op.f('ck_statuses_one_kind'), 'statuses', sa.text(OLD_ONE_KIND))
        op.drop_constraint(op.f('uq_statuses_local_note_id'), 'statuses', type_='unique')
        op.drop_constraint(op.f('fk_statuses_local_note_id_local_notes'), 'statuses', type_='foreignkey')
        op.drop_column('statuses', 'local_note_id')
    op.drop_index(op.f('ix_remote_notes_in_reply_to_uri'), table_name='remote_notes')
    # a plain DROP COLUMN (SQLite 3.35+): a rebuild of remote_notes would cascade to the statuses of notes
    op.execute(sa.text('ALTER TABLE remote_notes DROP COLUMN in_reply_to_uri'))
    op.drop_index(op.f('ix_local_notes_in_reply_to_uri'), table_name='local_notes')
    op.drop_index('ix_local_notes_account_id_id', table_name='local_notes')
    op.drop_table('local_notes')
