"""Housekeeping prunes processed inbound activities after their retention; held ones wait for a moderator.
/metrics reads indexes, not whole tables."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select, text

from fediverse.jobs.sweeper import housekeeping
from fediverse.models import InboundActivity, utcnow
from fediverse.services.metrics import snapshot
from tests.support import Network


def row(name: str, *, received_days: float, processed_days: float | None = None, held: bool = False,
        reviewed_days: float | None = None) -> InboundActivity:
    now = utcnow()
    return InboundActivity(
        uri=f"https://social.test/activities/{name}", type="Create", actor_uri="https://social.test/users/bob", raw={},
        received_at=now - timedelta(days=received_days),
        processed_at=None if processed_days is None else now - timedelta(days=processed_days),
        quarantine_reason="link-only post" if held else None,
        reviewed_at=None if reviewed_days is None else now - timedelta(days=reviewed_days))


async def test_housekeeping_prunes_old_processed_activities_and_keeps_held_and_recent_ones(network: Network) -> None:
    art = await network.add("art.test")  # the default retention: 7 days
    async with art.rt.sessions() as session:
        session.add_all([
            row("old-processed", received_days=10, processed_days=9),
            row("old-discarded", received_days=20, processed_days=8, held=True, reviewed_days=8),
            row("recent-processed", received_days=2, processed_days=2),
            row("old-held", received_days=30, held=True),                   # waits for a moderator, however old
            row("old-backlog", received_days=9),                            # not processed yet
        ])
        await session.commit()
    await housekeeping(art.rt)
    async with art.rt.sessions() as session:
        left = set((await session.scalars(select(InboundActivity.uri))).all())
    assert {uri.rsplit("/", 1)[1] for uri in left} == {"recent-processed", "old-held", "old-backlog"}


async def test_metrics_queries_read_indexes_not_whole_tables(network: Network) -> None:
    art = await network.add("art.test")
    if art.rt.engine.dialect.name != "sqlite":
        return  # the plan check reads SQLite's EXPLAIN QUERY PLAN; the figures are checked in test_metrics.py
    statements: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(art.rt.engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with art.rt.sessions() as session:
            await snapshot(session)
    finally:
        event.remove(art.rt.engine.sync_engine, "before_cursor_execute", remember)
    plans = []
    async with art.rt.engine.connect() as conn:
        for statement, parameters in statements:
            if "inbound_activities" in statement or "jobs" in statement:
                result = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)  # type: ignore[arg-type]
                plans.append((statement, [r[-1] for r in result]))
    assert plans
    for statement, steps in plans:
        for step in steps:
            assert not (step.startswith("SCAN") and "INDEX" not in step), (statement, steps)
