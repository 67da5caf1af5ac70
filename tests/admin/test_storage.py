"""/admin/storage: admins only; real per-artist and remote-cache figures; purges that remove files, logged."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from fediverse.models import AuditLog, RemoteMedia, WorkImage, utcnow
from fediverse.services.works import store_for
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import post_work
from tests.web.panel_client import PASSWORD, browser, csrf_of, login, post_form


async def work_files(instance: Instance) -> tuple[int, int]:
    """(distinct files, bytes) of every work image on disk: what the page must show for the one artist."""
    store = store_for(instance.rt)
    async with instance.rt.sessions() as session:
        images = list(await session.scalars(select(WorkImage)))
    keys = {k for i in images for k in (i.original_key, i.large_key, i.display_key, i.thumbnail_key)}
    return len(keys), sum(store.size_of(k) for k in keys)


async def cache(instance: Instance, ages: list[int]) -> list[Path]:
    """One cached remote file per age (days since last use)."""
    store = store_for(instance.rt)
    paths = []
    async with instance.rt.sessions() as session:
        for n, age in enumerate(ages):
            data = f"cached remote bytes number {n}".encode() * (n + 1)
            key = store.put_remote(data, "png")
            session.add(RemoteMedia(url=f"https://far.test/{n}.png", storage_key=key, size=len(data),
                                    content_type="image/png", fetched_at=utcnow(),
                                    last_used_at=utcnow() - timedelta(days=age)))
            path = store.open_remote(key)
            assert path is not None
            paths.append(path)
        await session.commit()
    return paths


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1)


async def test_a_moderator_is_refused(network: Network) -> None:
    # The file is within a year's retention, so housekeeping (which also runs once as the instance starts) never
    # purges it: only the refused "purge all" could, and the last assert checks that it did not.
    art = await network.add("art.test", jobs={"sweep_seconds": 3600}, media={"remote_cache_retention_days": 365})
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    [path] = await cache(art, [90])
    async with browser(art) as client:
        await login(client, "mod")
        assert (await client.get("/admin/storage")).status_code == 403
        csrf = csrf_of((await client.get("/studio")).text)
        refused = await client.post("/admin/storage", data={"csrf_token": csrf, "scope": "all"})
    assert refused.status_code == 403 and "Only admins" in refused.text
    assert path.exists()


async def test_admin_sees_real_figures_and_purges(network: Network) -> None:
    # No background sweep during the test: housekeeping purges expired cache files by itself, and on a busy
    # machine it would do so before the page is read. Here only the admin's button purges.
    art = await network.add("art.test", jobs={"sweep_seconds": 3600})
    admin = await make_user(art, "root1", password=PASSWORD, role="admin")
    await make_user(art, "alice", password=PASSWORD)
    await post_work(art, "alice", alts=("A fox", "A second fox"), size=(1500, 1000))
    await post_work(art, "alice", alts=("A heron",), seed=2, size=(1500, 1000))
    files, size = await work_files(art)
    assert files == 12  # three images: an original and three distinct renditions each
    old, older, fresh = await cache(art, [45, 31, 1])
    cached_bytes = sum(p.stat().st_size for p in (old, older, fresh))

    async with browser(art) as client:
        await login(client, "root1")
        page = await client.get("/admin/storage")
        assert page.status_code == 200
        row = re.search(r'<tr id="artist-alice">(.*?)</tr>', page.text)
        assert row is not None
        assert re.search(r"<td>2</td><td class=\"files\">12</td>", row.group(1))
        assert f'data-bytes="{size}"' in row.group(1)
        assert 'id="artist-root1"' in page.text  # every artist is listed, with nothing stored
        assert figure(page.text, "cache-files") == "3"
        assert re.search(rf'id="cache-bytes" data-bytes="{cached_bytes}"', page.text)
        assert figure(page.text, "retention") == "30"

        missing_csrf = await client.post("/admin/storage", data={"scope": "all"})
        assert missing_csrf.status_code == 403 and old.exists()
        bad = await post_form(client, "/admin/storage", "/admin/storage", data={"scope": "everything-now"})
        assert bad.status_code == 400 and old.exists()

        expired = await post_form(client, "/admin/storage", "/admin/storage", data={"scope": "expired"})
        assert expired.status_code == 303
        assert not old.exists() and not older.exists() and fresh.exists()
        after = await client.get("/admin/storage")
        assert "Purged 2 cached remote files" in after.text
        assert figure(after.text, "cache-files") == "1"

        bad_days = await post_form(client, "/admin/storage", "/admin/storage", data={"retention_days": "-4"})
        assert bad_days.status_code == 400 and "whole number of days" in bad_days.text
        assert art.rt.settings.media.remote_cache_retention_days == 30
        saved = await post_form(client, "/admin/storage", "/admin/storage", data={"retention_days": "0"})
        assert saved.status_code == 303 and art.rt.settings.media.remote_cache_retention_days == 0
        assert figure((await client.get("/admin/storage")).text, "retention") == "0"

        everything = await post_form(client, "/admin/storage", "/admin/storage", data={"scope": "all"})
        assert everything.status_code == 303 and not fresh.exists()
        assert figure((await client.get("/admin/storage")).text, "cache-files") == "0"

    async with art.rt.sessions() as session:
        entries = list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))
        rows = list(await session.scalars(select(RemoteMedia)))
    assert [(e.action, e.actor_id, e.details.get("files")) for e in entries] == [
        ("storage.purge_remote", admin.account_id, 2), ("settings.change", admin.account_id, None),
        ("storage.purge_remote", admin.account_id, 1)]
    assert "30 days" in entries[0].reason and entries[2].reason == "everything"
    assert entries[1].details == {"before": 30, "after": 0}
    assert all(r.storage_key is None and r.url for r in rows)  # rows stay: a purged file is fetched again
    assert await work_files(art) == (files, size)  # the artists' files are untouched
