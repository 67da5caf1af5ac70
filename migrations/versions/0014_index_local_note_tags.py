"""local text notes posted before their hashtags were indexed get their status_tags, so tag pages list them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:20:00

Until now post_note stored a note's hashtags in ``local_notes.tags`` but never in ``status_tags``: such notes
were missing from /tags/{tag} and the client API's tag timeline. Each live note's tags are indexed here, as
services/notes.py does for new notes (names normalised as models/tags.py does; tags created when missing). The
downgrade removes nothing: the rows are what the code from this revision on writes anyway.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.models.base import UTCDateTime, utcnow
from fediverse.models.tags import display_form, normalize_tag


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MAX_TAGS = 100
notes = sa.table('local_notes', sa.column('id', sa.Integer), sa.column('tags', sa.JSON),
                 sa.column('deleted_at', UTCDateTime()))
statuses = sa.table('statuses', sa.column('id', sa.BigInteger), sa.column('local_note_id', sa.Integer))
tags = sa.table('tags', sa.column('id', sa.Integer), sa.column('name', sa.String),
                sa.column('display_name', sa.String), sa.column('created_at', UTCDateTime()))
status_tags = sa.table('status_tags', sa.column('status_id', sa.BigInteger), sa.column('tag_id', sa.Integer))


def upgrade() -> None:
    bind = op.get_bind()
    ids = {name: tag_id for tag_id, name in bind.execute(sa.select(tags.c.id, tags.c.name))}
    have = set(bind.execute(sa.select(status_tags.c.status_id, status_tags.c.tag_id).join(
        statuses, statuses.c.id == status_tags.c.status_id).where(statuses.c.local_note_id.is_not(None))).all())
    pairs: set[tuple[int, int]] = set()
    now = utcnow()
    for status_id, written_names in bind.execute(sa.select(statuses.c.id, notes.c.tags).join(
            notes, notes.c.id == statuses.c.local_note_id).where(notes.c.deleted_at.is_(None))):
        for written in (written_names or [])[:MAX_TAGS]:
            name = normalize_tag(written) if isinstance(written, str) else None
            if name is None:
                continue
            if name not in ids:
                ids[name] = bind.execute(tags.insert().values(
                    name=name, display_name=display_form(written) or name, created_at=now)
                    .returning(tags.c.id)).scalar_one()
            if (status_id, ids[name]) not in have:
                pairs.add((status_id, ids[name]))
    if pairs:
        bind.execute(status_tags.insert(), [{'status_id': s, 'tag_id': t} for s, t in sorted(pairs)])


def downgrade() -> None:
    pass
