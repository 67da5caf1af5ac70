"""Who may open the admin panel: roles are checked on the server for every request, not only hidden in the nav."""

from __future__ import annotations

from fediverse.models import AuditLog
from fediverse.services import modlog
from tests.federation.helpers import make_user
from tests.support import Network
from tests.web.panel_client import PASSWORD, browser, login


async def test_artist_cannot_open_admin_pages_but_a_moderator_can(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    async with browser(art) as client:
        anonymous = await client.get("/admin")
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/admin"
        await login(client, "alice")
        studio = await client.get("/studio")
        assert 'href="/admin"' not in studio.text
        for path in ("/admin", "/admin/audit-log"):
            refused = await client.get(path)
            assert refused.status_code == 403, path
            assert "moderators and admins" in refused.text
    async with browser(art) as client:
        await login(client, "mod")
        assert 'href="/admin"' in (await client.get("/studio")).text
        dashboard = await client.get("/admin")
        assert dashboard.status_code == 200 and "sign-ups waiting" in dashboard.text
        assert "Settings" not in dashboard.text.split("</nav>")[1]  # admin-only links are not offered


async def test_audit_log_lists_who_did_what_to_whom_and_why(network: Network) -> None:
    art = await network.add("art.test")
    admin = await make_user(art, "root1", password=PASSWORD, role="admin")
    async with art.rt.sessions() as session:
        modlog.record(session, admin, "account.suspend", "account", "spammer@bad.test", "posting spam links")
        modlog.record(session, None, "registrations.mode", "setting", "approval", "no moderator acted in 48 hours")
        await session.commit()
        assert len((await modlog.recent(session))) == 2
        assert isinstance((await modlog.recent(session, action="account"))[0], AuditLog)
    async with browser(art) as client:
        await login(client, "root1")
        page = await client.get("/admin/audit-log")
    assert page.status_code == 200
    text = page.text
    assert "@root1" in text and "account.suspend" in text and "spammer@bad.test" in text and "posting spam links" in text
    assert "system" in text and text.index("registrations.mode") < text.index("account.suspend")  # newest first


async def test_settings_saved_in_the_database_override_the_file_and_bad_values_write_nothing(network: Network) -> None:
    import pytest

    from fediverse.errors import Invalid
    from fediverse.services import site_settings

    art = await network.add("art.test")
    rt = art.rt
    async with rt.sessions() as session:
        new = await site_settings.save(rt, session, {"instance.name": "Ink Collective", "registrations.mode": "invite"})
        await session.commit()
    site_settings.apply(rt, new)
    assert rt.settings.instance.name == "Ink Collective" and rt.settings.registrations.mode == "invite"
    assert rt.settings.instance.domain == "art.test"
    async with rt.sessions() as session:
        for bad in ({"registrations.mode": "anyone"}, {"instance.domain": "evil.test"}, {"media.images_per_work": "9"},
                    {"media.images_per_work": 0}):
            with pytest.raises(Invalid):
                await site_settings.save(rt, session, bad)
            await session.rollback()
        assert (await site_settings.stored(session)) == {"instance.name": "Ink Collective", "registrations.mode": "invite"}
    rt.settings = rt.file_settings  # another process starting from the file alone
    await site_settings.refresh(rt)
    assert rt.settings.registrations.mode == "invite"
