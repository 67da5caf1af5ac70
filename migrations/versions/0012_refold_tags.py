"""hashtag keys folded as Mastodon folds them: letters without a decomposition (ł, ø, đ, ...) become ASCII

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:40:00

Before this revision "Wrocław" was stored under the key ``wrocław`` while Mastodon (and our tag URLs now) say
``wroclaw``. Each such tag is renamed to its new key, or, when a tag with that key exists already, merged into
it (its statuses move over, duplicates dropped). The table is frozen here so later changes to the folding do not
change what this revision does. The downgrade leaves keys as they are: merged tags cannot be told apart again.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNDECOMPOSED = str.maketrans(dict(zip("ðđħıĸŀłŉŋøŧ", "ddhikllnnot")))
tags = sa.table("tags", sa.column("id", sa.Integer), sa.column("name", sa.String))
status_tags = sa.table("status_tags", sa.column("tag_id", sa.Integer), sa.column("status_id", sa.BigInteger))


def _merge(conn: sa.Connection, old_id: int, new_id: int) -> None:
    """Move the statuses of tag `old_id` to `new_id` (skipping those it has already), then drop `old_id`."""
    already = sa.select(status_tags.c.status_id).where(status_tags.c.tag_id == new_id).scalar_subquery()
    conn.execute(status_tags.update().where(status_tags.c.tag_id == old_id, status_tags.c.status_id.not_in(already))
                 .values(tag_id=new_id))
    conn.execute(status_tags.delete().where(status_tags.c.tag_id == old_id))
    conn.execute(tags.delete().where(tags.c.id == old_id))


def upgrade() -> None:
    conn = op.get_bind()
    keys = {name: tag_id for tag_id, name in conn.execute(sa.select(tags.c.id, tags.c.name))}
    for name, tag_id in sorted(keys.items()):
        folded = name.translate(UNDECOMPOSED)
        if folded == name:
            continue
        if folded in keys:
            _merge(conn, tag_id, keys[folded])
        else:
            conn.execute(tags.update().where(tags.c.id == tag_id).values(name=folded))
            keys[folded] = tag_id
        del keys[name]


def downgrade() -> None:
    pass
