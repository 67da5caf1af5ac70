"""tags and full-text search: tags, status_tags, and the works search index (FTS5 / tsvector)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 13:00:00

Existing works get their tags (the ``tags`` column) indexed on their status; stored remote notes get the
``Hashtag`` entries of their raw ``tag`` array. Names are normalised as Mastodon does (models/tags.py); invalid
ones are skipped. The search index (db/search.py) holds one document per live work: title, description and the
alt texts of its images. On SQLite it is an FTS5 virtual table ``work_search`` (rowid = work id); on PostgreSQL a
table ``work_search`` with a GIN index on ``to_tsvector('simple', body)``. The services keep it in sync.
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime, utcnow
from fediverse.models.tags import MAX_TAG, display_form, normalize_tag


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 1000
works = sa.table('works', sa.column('id', sa.Integer), sa.column('title', sa.String),
                 sa.column('description', sa.Text), sa.column('tags', sa.JSON),
                 sa.column('deleted_at', UTCDateTime()))
images = sa.table('work_images', sa.column('work_id', sa.Integer), sa.column('alt_text', sa.Text),
                  sa.column('position', sa.Integer))
notes = sa.table('remote_notes', sa.column('id', sa.Integer), sa.column('raw', sa.JSON))
statuses = sa.table('statuses', sa.column('id', sa.BigInteger), sa.column('work_id', sa.Integer),
                    sa.column('remote_note_id', sa.Integer))
tags = sa.table('tags', sa.column('id', sa.Integer), sa.column('name', sa.String),
                sa.column('display_name', sa.String), sa.column('created_at', UTCDateTime()))
status_tags = sa.table('status_tags', sa.column('status_id', sa.BigInteger), sa.column('tag_id', sa.Integer))


def upgrade() -> None:
    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=MAX_TAG * 4), nullable=False),
    sa.Column('display_name', sa.String(length=MAX_TAG * 4), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('status_tags',
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_status_tags_status_id_statuses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_status_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('status_id', 'tag_id', name=op.f('pk_status_tags'))
    )
    op.create_index('ix_status_tags_tag_id_status_id', 'status_tags', ['tag_id', 'status_id'], unique=False)
    bind = op.get_bind()
    _create_search(bind)
    _backfill_tags(bind)
    _backfill_search(bind)


def _create_search(bind: sa.Connection) -> None:
    if bind.dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE work_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
        return
    op.create_table('work_search',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_search_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id', name=op.f('pk_work_search'))
    )
    op.execute("CREATE INDEX ix_work_search_tsv ON work_search USING gin (to_tsvector('simple', body))")


def _names(raw: Any) -> list[str]:
    """Hashtag names of a stored note's raw ``tag`` array (one object or a list)."""
    entries = raw.get('tag') if isinstance(raw, dict) else None
    entries = entries if isinstance(entries, list) else [entries]
    return [e['name'] for e in entries[:100]
            if isinstance(e, dict) and e.get('type') == 'Hashtag' and isinstance(e.get('name'), str)]


def _backfill_tags(bind: sa.Connection) -> None:
    wanted: dict[int, list[str]] = {}
    for status_id, names in bind.execute(sa.select(statuses.c.id, works.c.tags).join(
            works, works.c.id == statuses.c.work_id).where(works.c.deleted_at.is_(None))):
        wanted[status_id] = [n for n in names or [] if isinstance(n, str)]
    for status_id, raw in bind.execute(sa.select(statuses.c.id, notes.c.raw).join(
            notes, notes.c.id == statuses.c.remote_note_id)):
        wanted[status_id] = _names(raw)
    ids: dict[str, int] = {}
    pairs: set[tuple[int, int]] = set()
    now = utcnow()
    for status_id, names in sorted(wanted.items()):
        for written in names[:100]:
            name = normalize_tag(written)
            if name is None:
                continue
            if name not in ids:
                ids[name] = bind.execute(tags.insert().values(
                    name=name, display_name=display_form(written) or name, created_at=now)
                    .returning(tags.c.id)).scalar_one()
            pairs.add((status_id, ids[name]))
    rows = [{'status_id': s, 'tag_id': t} for s, t in sorted(pairs)]
    for start in range(0, len(rows), BATCH):
        bind.execute(status_tags.insert(), rows[start:start + BATCH])


def _backfill_search(bind: sa.Connection) -> None:
    alts: dict[int, list[str]] = {}
    for work_id, alt in bind.execute(sa.select(images.c.work_id, images.c.alt_text).order_by(
            images.c.work_id, images.c.position)):
        alts.setdefault(work_id, []).append(alt or '')
    rows = [{'work_id': work_id, 'body': '\n'.join([title or '', description or '', *alts.get(work_id, [])])}
            for work_id, title, description in bind.execute(
                sa.select(works.c.id, works.c.title, works.c.description).where(works.c.deleted_at.is_(None)))]
    column = 'rowid' if bind.dialect.name == 'sqlite' else 'work_id'
    insert = sa.text(f"INSERT INTO work_search ({column}, body) VALUES (:work_id, :body)")
    for start in range(0, len(rows), BATCH):
        bind.execute(insert, rows[start:start + BATCH])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE work_search")
    else:
        op.drop_index('ix_work_search_tsv', table_name='work_search')
        op.drop_table('work_search')
    op.drop_index('ix_status_tags_tag_id_status_id', table_name='status_tags')
    op.drop_table('status_tags')
    op.drop_table('tags')
