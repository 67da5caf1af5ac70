"""remote note visibility and audience; random tokens for cached remote media

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-20 10:00:00.000000

Existing notes get Mastodon's visibility from their stored raw JSON and their author's followers URL (the
rule in fediverse/activitypub/audience.py), and their addressed IRIs; existing cached files get a random token.
Rows are read and written in batches, so a large table does not have to fit in memory.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from fediverse.activitypub.audience import addressed, note_visibility
from fediverse.activitypub.parse import parse_object
from fediverse.activitypub.vocab import ParseError
from fediverse.models.moderation import new_media_token


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 500
notes = sa.table('remote_notes', sa.column('id', sa.Integer), sa.column('account_id', sa.Integer),
                 sa.column('raw', sa.JSON), sa.column('visibility', sa.String))
accounts = sa.table('accounts', sa.column('id', sa.Integer), sa.column('followers_url', sa.String))
audience = sa.table('remote_note_audience', sa.column('note_id', sa.Integer), sa.column('iri', sa.String))
media = sa.table('remote_media', sa.column('id', sa.Integer), sa.column('token', sa.String))


def upgrade() -> None:
    op.create_table('remote_note_audience',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('iri', sa.String(length=2048), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['remote_notes.id'], name=op.f('fk_remote_note_audience_note_id_remote_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', 'iri', name=op.f('pk_remote_note_audience'))
    )
    # Never a batch rebuild of remote_notes: on SQLite, dropping the old copy of a table that notifications,
    # reports and cached files point at (ON DELETE CASCADE) would delete those rows. ADD COLUMN with a default
    # needs no rebuild; the default is the closed one.
    with op.batch_alter_table('remote_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=16), server_default='direct', nullable=False))
    op.create_index('ix_remote_notes_work_visibility', 'remote_notes', ['work_id', 'visibility'], unique=False)
    with op.batch_alter_table('remote_media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=32), nullable=True))

    bind = op.get_bind()
    _classify_notes(bind)
    _mint_tokens(bind)

    with op.batch_alter_table('remote_media', schema=None) as batch_op:  # nothing points at remote_media
        batch_op.alter_column('token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_remote_media_token'), ['token'])


def _classify_notes(bind: sa.Connection) -> None:
    """Mastodon's visibility of every stored note, from its raw JSON; a note we cannot read is direct."""
    last = 0
    while True:
        rows = bind.execute(
            sa.select(notes.c.id, notes.c.raw, accounts.c.followers_url)
            .join(accounts, accounts.c.id == notes.c.account_id)
            .where(notes.c.id > last).order_by(notes.c.id).limit(BATCH)).all()
        if not rows:
            return
        for note_id, raw, followers in rows:
            try:
                parsed = parse_object(raw, embedded=True)
                to, cc = parsed.to, parsed.cc
            except ParseError:
                to, cc = (), ()
            bind.execute(notes.update().where(notes.c.id == note_id)
                         .values(visibility=note_visibility(to, cc, followers)))
            iris = addressed(to, cc)
            if iris:
                bind.execute(audience.insert(), [{"note_id": note_id, "iri": iri} for iri in iris])
        last = rows[-1][0]


def _mint_tokens(bind: sa.Connection) -> None:
    while True:
        ids = bind.execute(sa.select(media.c.id).where(media.c.token.is_(None)).order_by(media.c.id)
                           .limit(BATCH)).scalars().all()
        if not ids:
            return
        for media_id in ids:
            bind.execute(media.update().where(media.c.id == media_id).values(token=new_media_token()))


def downgrade() -> None:
    with op.batch_alter_table('remote_media', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_remote_media_token'), type_='unique')
        batch_op.drop_column('token')
    op.drop_index('ix_remote_notes_work_visibility', table_name='remote_notes')
    with op.batch_alter_table('remote_notes', schema=None) as batch_op:
        batch_op.drop_column('visibility')
    op.drop_table('remote_note_audience')
