"""Discovery benchmark: the tag page and search, each beside its bare SQL query measured in the same run.

    .venv/bin/python bench/discovery.py              # 300 local artists, 1,000 remote accounts, 200,000 statuses
    .venv/bin/python bench/discovery.py --quick      # 20,000 statuses (seconds)
    .venv/bin/python bench/discovery.py --statuses 1000000
    .venv/bin/python bench/discovery.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # a fresh database

Statuses are a third local works (one image each, a title and description, indexed for full-text search as
the works service indexes them) and two thirds stored remote notes, spread over 300 local artists and 1,000
remote accounts; visibilities 85 % public, 8 % unlisted, 5 % followers-only, 2 % direct. Every status carries
one or two of 500 tags; a twentieth carry ``#ink`` (the tag measured). One work in 50 has "harbour" in its
title (the search measured). Rows are inserted straight into the database (Core inserts); the instance is ours
(`create_app`, migrations, no job workers). Pages are fetched signed out (both are public pages).

Timed, alternating, medians of `--rounds` (default 30) after a warm-up:

  tag page  bare SQL  the page's entries read by id with one plain SELECT (status, work and its first image,
                      note, author): what any tag page must at least do once it knows the ids;
            service   services.tags.tag_page: tag lookup, the visibility rule, suspensions, works, notes;
            page      GET /tags/ink through the ASGI app (service, tiles, template);
  search    bare SQL  the full-text query alone (FTS5 MATCH / tsvector @@ plainto_tsquery) returning the 20
                      newest matching works with author and first image;
            service   services.search.search: accounts, tags and works (consent, visibility, suspensions);
            page      GET /search?q=harbour through the ASGI app.

It prints milliseconds and each figure as a ratio to its bare SQL (aim: page <= 3x).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bench.timeline import BATCH, T0, bench_app, bench_parser, note_raw, report, sized, timed  # noqa: E402
from fediverse.models import Account, RemoteNote, Status, Work, WorkImage  # noqa: E402
from fediverse.models.tags import StatusTag, Tag  # noqa: E402
from fediverse.services import search as search_service  # noqa: E402
from fediverse.services import tags as tag_service  # noqa: E402
from fediverse.snowflake import lowest_id_at  # noqa: E402

DOMAIN = "art.bench"
ARTISTS = 300
REMOTE = 1000
TAGS = 500
TAG = "ink"
QUERY = "harbour"


def _visibility(roll: float) -> str:
    return "public" if roll < 0.85 else "unlisted" if roll < 0.93 else "private" if roll < 0.98 else "direct"


async def populate(rt: Any, statuses: int) -> None:
    """Artists, remote accounts, tags, and `statuses` works and notes with their tags and search documents."""
    rng = random.Random(11)
    sqlite = rt.engine.dialect.name == "sqlite"
    async with rt.sessions() as session:
        local = [{"uri": f"https://{DOMAIN}/users/a{i}", "handle": f"a{i}", "username": f"a{i}",
                  "domain": None, "inbox_url": f"https://{DOMAIN}/users/a{i}/inbox", "display_name": f"Artist {i}"}
                 for i in range(ARTISTS)]
        remote = [{"uri": f"https://r{i % 50}.bench/users/u{i}", "handle": f"u{i}@r{i % 50}.bench",
                   "username": f"u{i}", "domain": f"r{i % 50}.bench", "inbox_url": f"https://r{i % 50}.bench/inbox",
                   "display_name": f"Painter {i}"} for i in range(REMOTE)]
        artists = list(await session.scalars(insert(Account).returning(Account.id), local))
        others = list(await session.scalars(insert(Account).returning(Account.id), remote))
        uris = {aid: row["uri"] for aid, row in zip(artists + others, local + remote)}
        names = [TAG] + [f"t{i}" for i in range(1, TAGS)]
        tag_ids = list(await session.scalars(insert(Tag).returning(Tag.id),
                                             [{"name": n, "display_name": n} for n in names]))
        await session.commit()
    step = 0
    while step < statuses:
        count = min(BATCH, statuses - step)
        works, notes, picks = [], [], []
        for k in range(step, step + count):
            when = T0 + timedelta(seconds=k)
            visibility = _visibility(rng.random())
            tags = {tag_ids[0]} if rng.random() < 0.05 else set()
            tags |= {rng.choice(tag_ids[1:]) for _ in range(rng.randint(1, 2))}
            if k % 3 == 0:
                author = artists[k % ARTISTS]
                title = f"Harbour study {k}" if k % 150 == 0 else f"Study {k}"
                works.append({"public_id": f"w{k}", "uri": f"{uris[author]}/works/w{k}", "account_id": author,
                              "title": title, "description": f"Ink and wash, sheet {k}.",
                              "content_html": f"<p>Ink and wash, sheet {k}.</p>",
                              "visibility": "public" if visibility in ("public", "unlisted") else "followers",
                              "published_at": when})
                picks.append(("work", lowest_id_at(when) + 1, author, visibility, when, tags))
            else:
                author = others[k % REMOTE]
                uri = f"{uris[author]}/statuses/{k}"
                notes.append({"uri": uri, "account_id": author, "content_html": f"<p>Post {k}: #ink on paper.</p>",
                              "published_at": when, "raw": note_raw(uri, uris[author], k), "visibility": visibility})
                picks.append(("note", lowest_id_at(when) + 1, author, visibility, when, tags))
        async with rt.sessions() as session:
            work_ids = iter(list(await session.scalars(insert(Work).returning(Work.id), works)) if works else [])
            note_ids = iter(list(await session.scalars(insert(RemoteNote).returning(RemoteNote.id), notes))
                            if notes else [])
            status_rows, tag_rows, image_rows, documents = [], [], [], []
            made = iter(works)
            for kind, sid, author, visibility, when, tags in picks:
                row = {"id": sid, "account_id": author, "visibility": visibility, "created_at": when,
                       "work_id": None, "remote_note_id": None}
                if kind == "work":
                    row["work_id"] = wid = next(work_ids)
                    work = next(made)
                    key = f"{author}/{wid}"
                    image_rows.append({"work_id": wid, "alt_text": f"Sketch {wid}", "original_key": f"{key}/o.jpg",
                                       "original_mime": "image/jpeg", "large_key": f"{key}/l.webp",
                                       "large_mime": "image/webp", "display_key": f"{key}/d.webp",
                                       "thumbnail_key": f"{key}/t.webp", "width": 4000, "height": 3000,
                                       "large_width": 2048, "large_height": 1536, "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj"})
                    documents.append({"id": wid, "body": f"{work['title']}\n{work['description']}\nSketch {wid}"})
                else:
                    row["remote_note_id"] = next(note_ids)
                status_rows.append(row)
                tag_rows += [{"status_id": sid, "tag_id": t} for t in tags]
            await session.execute(insert(Status), status_rows)
            await session.execute(insert(StatusTag), tag_rows)
            if image_rows:
                await session.execute(insert(WorkImage), image_rows)
                await session.execute(text("INSERT INTO work_search (rowid, body) VALUES (:id, :body)" if sqlite
                                           else "INSERT INTO work_search (work_id, body) VALUES (:id, :body)"),
                                      documents)
            await session.commit()
        step += count
        print(f"\r  stored {step:,} / {statuses:,} statuses", end="", flush=True)
    print()
    async with rt.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()


# --- the measured things --------------------------------------------------------------------------------------

BARE_TAG = """SELECT s.id, s.visibility, w.title, w.public_id, w.summary, i.display_key, i.alt_text, n.content_html,
n.summary, n.url, a.username, a.domain, a.display_name
FROM statuses s JOIN accounts a ON a.id = s.account_id
LEFT JOIN works w ON w.id = s.work_id LEFT JOIN work_images i ON i.work_id = w.id AND i.position = 0
LEFT JOIN remote_notes n ON n.id = s.remote_note_id WHERE s.id IN ({ids})"""

_SEARCH_ROWS = """SELECT w.id, w.title, w.public_id, w.summary, i.display_key, i.alt_text, a.username, a.display_name
FROM works w JOIN accounts a ON a.id = w.account_id
LEFT JOIN work_images i ON i.work_id = w.id AND i.position = 0
WHERE w.id IN ({found}) ORDER BY w.id DESC LIMIT 20"""
BARE_SEARCH_SQLITE = _SEARCH_ROWS.format(found="SELECT rowid FROM work_search WHERE work_search MATCH :q")
BARE_SEARCH_PG = _SEARCH_ROWS.format(
    found="SELECT work_id FROM work_search WHERE to_tsvector('simple', body) @@ plainto_tsquery('simple', :q)")


async def measure_tag(rt: Any, client: httpx.AsyncClient, rounds: int) -> dict[str, tuple[float, float]]:
    async with rt.sessions() as session:
        first = await tag_service.tag_page(session, TAG, None)
    ids = [entry.status_id for entry in first.entries]
    assert len(ids) == tag_service.PAGE_SIZE, f"only {len(ids)} entries on the tag page"
    bare_sql = text(BARE_TAG.format(ids=", ".join(str(i) for i in ids)))
    shown = sum(1 for e in first.entries if e.note is not None)

    async def bare() -> None:
        async with rt.engine.connect() as conn:
            rows = (await conn.execute(bare_sql)).all()
        assert len(rows) == len(ids)

    async def service() -> None:
        async with rt.sessions() as session:
            await tag_service.tag_page(session, TAG, None)

    async def page() -> None:
        response = await client.get(f"/tags/{TAG}")
        assert response.status_code == 200 and response.text.count("<article") >= shown, response.text[:300]

    return await timed(rounds, {"bare SQL": bare, "service": service, "page": page})


async def measure_search(rt: Any, client: httpx.AsyncClient, rounds: int) -> dict[str, tuple[float, float]]:
    sqlite = rt.engine.dialect.name == "sqlite"
    bare_sql = text(BARE_SEARCH_SQLITE if sqlite else BARE_SEARCH_PG).bindparams(
        q=f'"{QUERY}"' if sqlite else QUERY)
    async with rt.sessions() as session:
        found = await search_service.search(rt, session, QUERY, None)
    assert len(found.works) == search_service.LIMIT, f"only {len(found.works)} works found"

    async def bare() -> None:
        async with rt.engine.connect() as conn:
            rows = (await conn.execute(bare_sql)).all()
        assert len(rows) == search_service.LIMIT

    async def service() -> None:
        async with rt.sessions() as session:
            await search_service.search(rt, session, QUERY, None)

    async def page() -> None:
        response = await client.get(f"/search?q={QUERY}")
        assert response.status_code == 200 and "Harbour study" in response.text, response.text[:300]

    return await timed(rounds, {"bare SQL": bare, "service": service, "page": page})


async def main(args: argparse.Namespace) -> None:
    async with bench_app(args, "discovery") as app:
        rt = app.state.runtime
        print(f"{'PostgreSQL' if args.postgres else 'SQLite'}: {ARTISTS:,} local artists, {REMOTE:,} remote accounts, "
              f"{args.statuses:,} statuses")
        start = time.perf_counter()
        await populate(rt, args.statuses)
        print(f"  populated in {time.perf_counter() - start:.0f} s")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as client:
            for label, run in ((f"tag page /tags/{TAG}, {tag_service.PAGE_SIZE} entries", measure_tag),
                               (f"search /search?q={QUERY}, {search_service.LIMIT} works", measure_search)):
                report(label, args.rounds, await run(rt, client, args.rounds))


def parse_args() -> argparse.Namespace:
    return sized(bench_parser(200_000, 20_000).parse_args(), 200_000, 20_000)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
