"""/admin/settings: an admin changes the instance's name, rules and sign-up mode in the browser; public pages,
NodeInfo and /api/v1/instance show it at once (cached pages too), another process within seconds; bad values
save nothing and say why next to the field; moderators are refused."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from sqlalchemy import select

from fediverse.app import create_app, shutdown, startup
from fediverse.models import AuditLog
from fediverse.services import site_settings
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, errors_in, jpeg, login, post_form

NEW = {"instance.name": "Ink Collective", "instance.description": "Printmakers of the north",
       "instance.rules": "Be kind\r\nNo AI-generated work\r\n", "registrations.mode": "invite"}


@asynccontextmanager
async def admin_browser(art: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(art) as client:
        await login(client, "boss")
        yield client


async def public_views(client) -> dict[str, object]:  # type: ignore[no-untyped-def]
    api = (await client.get("/api/v1/instance")).json()
    nodeinfo = (await client.get("/nodeinfo/2.1")).json()
    return {"home": (await client.get("/")).text, "portfolio": (await client.get("/@alice")).text, "api": api,
            "nodeinfo": nodeinfo}


async def test_changes_show_on_public_pages_nodeinfo_and_the_api_at_once(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    await make_user(art, "alice")
    async with browser(art) as visitor:
        before = await public_views(visitor)
        again = await public_views(visitor)  # now from the response cache
    assert "Test art.test" in str(before["portfolio"]) and again["portfolio"] == before["portfolio"]
    async with admin_browser(art) as client:
        form = await client.get("/admin/settings")
        assert form.status_code == 200 and 'name="registrations.mode"' in form.text
        saved = await post_form(client, "/admin/settings", "/admin/settings", NEW)
        assert saved.status_code == 303, errors_in(saved.text)
        assert "Saved" in (await client.get("/admin/settings")).text
    async with browser(art) as visitor:
        after = await public_views(visitor)
    assert "Ink Collective" in str(after["home"]) and "Printmakers of the north" in str(after["home"])
    assert "Ink Collective" in str(after["portfolio"]) and "Test art.test" not in str(after["portfolio"])
    api = after["api"]
    assert isinstance(api, dict) and api["title"] == "Ink Collective" and api["invites_enabled"] is True
    assert [rule["text"] for rule in api["rules"]] == ["Be kind", "No AI-generated work"]
    assert "Ink Collective" in str(after["nodeinfo"])
    assert art.rt.settings.registrations.mode == "invite"
    async with art.rt.sessions() as session:
        entries = list(await session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")
                                             .order_by(AuditLog.target)))
    changed = {entry.target: entry.details for entry in entries}
    assert changed["instance.name"] == {"old": "Test art.test", "new": "Ink Collective"}
    assert changed["registrations.mode"] == {"old": "approval", "new": "invite"}
    assert set(changed) == set(NEW) and all(entry.actor_handle == "@boss" for entry in entries)


async def test_another_process_sees_the_change_within_seconds(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    other = create_app(art.rt.file_settings or art.rt.settings, run_jobs=False, migrate=False)  # same database
    await startup(other)
    try:
        async with admin_browser(art) as client:
            saved = await post_form(client, "/admin/settings", "/admin/settings", {"instance.name": "Renamed"})
            assert saved.status_code == 303
        rt = other.state.runtime
        rt.settings_timer.checked_at = time.monotonic()  # it looked just before the change
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url=art.base) as client:
            # between two looks no query is made: still the old name (and that answer is now cached)
            assert (await client.get("/api/v1/instance")).json()["title"] == "Test art.test"
            rt.settings_timer.checked_at -= site_settings.REFRESH_SECONDS  # ... five seconds later, a request
            await client.get("/api/v1/instance")  # starts a refresh beside it
            assert rt.settings_timer.running is not None
            await rt.settings_timer.running
            assert (await client.get("/api/v1/instance")).json()["title"] == "Renamed"
            assert "Renamed" in (await client.get("/")).text
    finally:
        await shutdown(other)


async def test_bad_values_save_nothing_and_are_marked_next_to_their_field(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    async with admin_browser(art) as client:
        for data, field, message in (
            ({"registrations.mode": "anyone"}, "registrations-mode", "Must be one of open, approval, invite, closed"),
            ({"media.images_per_work": "0"}, "media-images_per_work", "greater than 0"),
            ({"media.images_per_work": "ten"}, "media-images_per_work", "whole number"),
            ({"instance.contact_email": "not an address"}, "instance-contact_email", "e-mail address"),
            ({"instance.name": ""}, "instance-name", "needs a name"),
            ({"registrations.proof_of_work_bits": "99"}, "registrations-proof_of_work_bits", "28"),
        ):
            refused = await post_form(client, "/admin/settings", "/admin/settings",
                                      {"instance.name": "Half saved", **data})
            assert refused.status_code == 400, data
            assert f'id="{field}-error"' in refused.text and message in errors_in(refused.text), data
            assert "Nothing was saved" in refused.text
        thumb = await post_form(client, "/admin/settings", "/admin/settings", {},
                                files={"thumbnail": ("x.jpg", b"not an image at all", "image/jpeg")})
        assert thumb.status_code == 400 and 'id="thumbnail-error"' in thumb.text
    async with art.rt.sessions() as session:
        assert await site_settings.stored(session) == {}
        assert list(await session.scalars(select(AuditLog))) == []
    assert art.rt.settings.instance.name == "Test art.test"


async def test_a_thumbnail_is_stored_served_and_announced(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    async with admin_browser(art) as client:
        saved = await post_form(client, "/admin/settings", "/admin/settings", {},
                                files={"thumbnail": ("pic.jpg", jpeg(800, 400), "image/jpeg")})
        assert saved.status_code == 303, errors_in(saved.text)
        url = art.rt.settings.instance.thumbnail_url
        assert url.startswith("https://art.test/media/")
        served = await client.get(url.removeprefix(art.base))
        assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
        assert (await client.get("/api/v1/instance")).json()["thumbnail"] == url


async def test_a_moderator_cannot_open_or_post_the_settings(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    async with browser(art) as client:
        await login(client, "mod")
        assert (await client.get("/admin/settings")).status_code == 403
        refused = await post_form(client, "/studio", "/admin/settings", {"instance.name": "Taken over"})
        assert refused.status_code == 403
    assert art.rt.settings.instance.name == "Test art.test"
    async with art.rt.sessions() as session:
        assert await site_settings.stored(session) == {}


async def test_a_worker_process_takes_the_change_before_its_next_job(network: Network) -> None:
    from datetime import timedelta

    from fediverse.jobs.runner import run_job
    from fediverse.models import RUNNING, Job, utcnow
    from fediverse.runtime import create_runtime

    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    worker = create_runtime(art.rt.file_settings or art.rt.settings)  # e.g. `fediverse worker`, same database
    try:
        worker.settings_timer.checked_at = time.monotonic() - site_settings.REFRESH_SECONDS
        async with admin_browser(art) as client:
            saved = await post_form(client, "/admin/settings", "/admin/settings", {"consent.ai_training": "allowed"})
            assert saved.status_code == 303
        assert worker.settings.consent.ai_training == "none"
        async with worker.sessions() as session:  # a job this worker has claimed (leased, so nobody else runs it)
            job = Job(kind="no_such_kind", payload={}, state=RUNNING, attempts=1,
                      lease_until=utcnow() + timedelta(seconds=60))
            session.add(job)
            await session.commit()
        await run_job(worker, job)  # starts a refresh beside the job
        assert worker.settings_timer.running is not None
        await worker.settings_timer.running
        assert worker.settings.consent.ai_training == "allowed"
    finally:
        await worker.close()
