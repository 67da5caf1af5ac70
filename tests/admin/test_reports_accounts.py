"""/admin/accounts: search, account actions with reasons, and role changes (admins only, never oneself)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse.models import Account, AuditLog, LocalUser
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, login, post_form


@pytest.fixture
async def art(network: Network) -> Instance:
    instance = await network.add("art.test")
    for name, role in (("alice", "artist"), ("mod", "moderator"), ("boss", "admin"), ("chief", "admin")):
        await make_user(instance, name, password=PASSWORD, role=role)
    return instance


async def _id(instance: Instance, username: str) -> int:
    async with instance.rt.sessions() as session:
        found = await session.scalar(select(Account.id).where(Account.handle == username, Account.domain.is_(None)))
    assert found is not None
    return found


async def _role(instance: Instance, username: str) -> str:
    async with instance.rt.sessions() as session:
        return (await session.get(LocalUser, await _id(instance, username))).role  # type: ignore[union-attr]


async def _actions(instance: Instance) -> list[str]:
    async with instance.rt.sessions() as session:
        return list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


async def test_search_finds_accounts_by_name(art: Instance) -> None:
    async with browser(art) as client:
        await login(client, "mod")
        found = await client.get("/admin/accounts?q=ali&scope=local")
        none = await client.get("/admin/accounts?q=%25_nobody")
    assert found.status_code == 200 and "@alice@art.test" in found.text and "@mod@art.test" not in found.text
    assert none.status_code == 200 and "No accounts found" in none.text


async def test_a_moderator_silences_and_unsilences_with_reasons(art: Instance) -> None:
    alice = await _id(art, "alice")
    async with browser(art) as client:
        await login(client, "mod")
        page = f"/admin/accounts/{alice}"
        assert (await post_form(client, page, f"{page}/action", {"action": "silence", "reason": "spam"})).status_code == 303
        async with art.rt.sessions() as session:
            assert (await session.get(Account, alice)).silenced_at is not None  # type: ignore[union-attr]
        no_reason = await post_form(client, page, f"{page}/action", {"action": "unsilence", "reason": ""})
        assert no_reason.status_code == 400
        assert (await post_form(client, page, f"{page}/action", {"action": "unsilence", "reason": "ok now"})).status_code == 303
        detail = await client.get(page)
    assert "account.silence" in detail.text and "account.unsilence" in detail.text
    assert await _actions(art) == ["account.silence", "account.unsilence"]


async def test_a_moderator_cannot_change_roles_or_act_on_admins_or_themselves(art: Instance) -> None:
    alice, boss, mod = await _id(art, "alice"), await _id(art, "boss"), await _id(art, "mod")
    async with browser(art) as client:
        await login(client, "mod")
        role = await post_form(client, f"/admin/accounts/{alice}", f"/admin/accounts/{alice}/role",
                               {"role": "admin", "reason": "promote me"})
        assert role.status_code == 403
        on_admin = await post_form(client, f"/admin/accounts/{boss}", f"/admin/accounts/{boss}/action",
                                   {"action": "suspend", "reason": "coup"})
        assert on_admin.status_code == 400 and "higher role" in on_admin.text
        on_self = await post_form(client, f"/admin/accounts/{mod}", f"/admin/accounts/{mod}/action",
                                  {"action": "suspend", "reason": "oops"})
        assert on_self.status_code == 400 and "your own account" in on_self.text
    assert await _role(art, "alice") == "artist" and await _actions(art) == []


async def test_an_admin_changes_roles_but_not_their_own(art: Instance) -> None:
    alice, boss = await _id(art, "alice"), await _id(art, "boss")
    async with browser(art) as client:
        await login(client, "boss")
        done = await post_form(client, f"/admin/accounts/{alice}", f"/admin/accounts/{alice}/role",
                               {"role": "moderator", "reason": "trusted"})
        assert done.status_code == 303
        own = await post_form(client, f"/admin/accounts/{boss}", f"/admin/accounts/{boss}/role",
                              {"role": "artist", "reason": "retiring"})
        assert own.status_code == 400 and "your own role" in own.text
        bad = await post_form(client, f"/admin/accounts/{alice}", f"/admin/accounts/{alice}/role",
                              {"role": "owner", "reason": "x"})
        assert bad.status_code == 400
        forged = await client.post(f"/admin/accounts/{alice}/role", data={"role": "admin", "reason": "x"})
        assert forged.status_code == 403
    assert await _role(art, "alice") == "moderator" and await _role(art, "boss") == "admin"
    assert await _actions(art) == ["account.role"]


async def test_the_last_active_admin_cannot_be_demoted(art: Instance) -> None:
    """Suspended admins do not count: with `chief` suspended, `boss` is the last admin and stays one."""
    from fediverse.errors import Invalid
    from fediverse.models import utcnow
    from fediverse.services import account_actions

    async with art.rt.sessions() as session:
        chief = await session.get(LocalUser, await _id(art, "chief"))
        boss = await session.get(LocalUser, await _id(art, "boss"))
        assert chief is not None and boss is not None
        chief.account.suspended_at = utcnow()
        await session.flush()
        with pytest.raises(Invalid, match="last admin"):
            await account_actions.change_role(session, chief, boss, "artist", "takeover")
        chief.account.suspended_at = None
        await session.flush()
        await account_actions.change_role(session, chief, boss, "artist", "two admins: allowed")
        assert boss.role == "artist"


async def test_a_silenced_artist_needs_approval_to_follow(art: Instance) -> None:
    from tests.federation.helpers import act

    alice = await _id(art, "alice")
    async with browser(art) as client:
        await login(client, "mod")
        page = f"/admin/accounts/{alice}"
        assert (await post_form(client, page, f"{page}/action", {"action": "silence", "reason": "spam"})).status_code == 303
    silenced = await act(art, "follow", "alice", "chief@art.test")
    free = await act(art, "follow", "mod", "chief@art.test")
    assert silenced.state == "pending" and free.state == "accepted"
