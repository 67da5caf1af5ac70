"""Mastodon's admin API for moderation apps, in process: each call goes through the same service as the admin
panel's button, so it changes what the panel's action changes and writes the same audit entry; the token's
admin scope and the person's role are both needed; bad ids, types and parameters are JSON 4xx that change
nothing. Every entity is checked against Mastodon.py's declarations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from fediverse.activitypub.moderation import FlagReport
from fediverse.models import Account, AuditLog, DomainBlock, Follow, LocalUser, Report, utcnow
from fediverse.services import oauth, reports
from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.oauth_client import REDIRECT, api, bearer
from tests.federation.helpers import act, make_user, user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, login, post_form

ADMIN_SCOPES = ["admin:read", "admin:write"]


@dataclass
class Mod:
    art: Instance
    social: Instance
    ids: dict[str, int]
    tokens: dict[str, str]
    report_id: int

    async def call(self, who: str, method: str, path: str, **options: Any) -> httpx.Response:
        async with api(self.art) as client:
            return await client.request(method, path, headers=bearer(self.tokens[who]), **options)


async def token_for(art: Instance, username: str, scopes: list[str]) -> str:
    """A token issued by the OAuth service the token endpoint uses (OAuth itself is tested in test_oauth.py)."""
    async with art.rt.sessions() as session:
        app = (await oauth.register_app(session, "Moderation app", None, [REDIRECT], scopes, utcnow())).app
        person = await user(art, username)
        code = await oauth.issue_code(session, app, person.account_id, REDIRECT, scopes, None, utcnow())
        return (await oauth.trade_code(session, app, code, REDIRECT, None, utcnow())).token


async def account_id(instance: Instance, handle: str) -> int:
    async with instance.rt.sessions() as session:
        found = await session.scalar(select(Account.id).where(Account.handle == handle))
    assert found is not None, handle
    return found


async def make_mod(network: Network) -> Mod:
    art = await network.add("art.test")
    social = await network.add("social.test")
    for name, role in (("alice", "artist"), ("dave", "artist"), ("mod", "moderator"), ("boss", "admin")):
        await make_user(art, name, password=PASSWORD, role=role)
    for name in ("newbie", "wave"):
        pending = await make_user(art, name, password=PASSWORD)
        async with art.rt.sessions() as session:
            row = await session.get(LocalUser, pending.account_id)
            assert row is not None
            row.approved, row.email, row.signup_reason, row.signup_ip = False, f"{name}@mail.test", "I draw", "198.51.100.7"
            await session.commit()
    await make_user(social, "erin")
    await act(art, "follow", "alice", "erin@social.test")
    await network.drain()
    ids = {name: await account_id(art, name) for name in ("alice", "dave", "mod", "boss", "newbie", "wave")}
    ids["erin"] = await account_id(art, "erin@social.test")
    async with art.rt.sessions() as session:
        erin = await session.get(Account, ids["erin"])
        filed = await reports.file_report(art.rt, session, await user(art, "alice"), erin, [], "spam", "Spam links",
                                          forward=False)
    tokens = {name: await token_for(art, name, ADMIN_SCOPES) for name in ("mod", "boss", "alice")}
    tokens["mod_read_only"] = await token_for(art, "mod", ["admin:read:accounts"])
    tokens["mod_plain"] = await token_for(art, "mod", ["read", "write"])
    return Mod(art, social, ids, tokens, filed.id)


async def audit(instance: Instance) -> list[tuple[str, str, str]]:
    async with instance.rt.sessions() as session:
        return [(e.action, e.target, e.reason) for e in await session.scalars(select(AuditLog).order_by(AuditLog.id))]


async def row(instance: Instance, model: type, key: int) -> Any:
    async with instance.rt.sessions() as session:
        return await session.get(model, key)


async def test_account_lists_filter_like_mastodon_and_decode_as_admin_accounts(network: Network) -> None:
    m = await make_mod(network)

    async def names(path: str) -> list[str]:
        answer = await m.call("mod", "GET", path)
        assert answer.status_code == 200, answer.text
        assert_entities("AdminAccount", answer.json())
        return sorted(a["username"] if a["domain"] is None else f"{a['username']}@{a['domain']}" for a in answer.json())

    assert await names("/api/v2/admin/accounts?origin=remote") == ["erin@social.test"]
    assert await names("/api/v2/admin/accounts?origin=local&status=pending") == ["newbie", "wave"]
    assert await names("/api/v2/admin/accounts?permissions=staff") == ["boss", "mod"]
    assert await names("/api/v2/admin/accounts?username=ALI") == ["alice"]
    assert await names("/api/v2/admin/accounts?email=NEWBIE@mail.test") == ["newbie"]
    assert await names("/api/v2/admin/accounts?status=disabled") == []
    assert await names("/api/v1/admin/accounts?local=true&pending=true") == ["newbie", "wave"]
    assert await names("/api/v1/admin/accounts?remote=true") == ["erin@social.test"]
    assert await names("/api/v1/admin/accounts?staff=true") == ["boss", "mod"]
    everyone = await names("/api/v2/admin/accounts/")
    assert "art.test" not in everyone and len(everyone) == 7  # never the instance actor

    paged = await m.call("mod", "GET", "/api/v2/admin/accounts?origin=local&limit=2")
    assert len(paged.json()) == 2 and 'rel="next"' in paged.headers["link"]
    older = await m.call("mod", "GET", f"/api/v2/admin/accounts?origin=local&limit=2&max_id={paged.json()[-1]['id']}")
    assert {a["id"] for a in older.json()}.isdisjoint({a["id"] for a in paged.json()})

    one = (await m.call("mod", "GET", f"/api/v1/admin/accounts/{m.ids['newbie']}")).json()
    assert_entity("AdminAccount", one)
    assert one["approved"] is False and one["email"] == "newbie@mail.test" and one["invite_request"] == "I draw"
    assert one["ip"] == "198.51.100.7" and one["role"]["name"] == "" and one["account"]["acct"] == "newbie"
    boss = (await m.call("mod", "GET", f"/api/v1/admin/accounts/{m.ids['boss']}")).json()
    assert boss["role"]["name"] == "Admin" and boss["role"]["highlighted"] is True
    remote = (await m.call("mod", "GET", f"/api/v1/admin/accounts/{m.ids['erin']}")).json()
    assert_entity("AdminAccount", remote)
    assert remote["domain"] == "social.test" and remote["email"] == "" and remote["ip"] is None


async def test_an_action_changes_what_the_panels_action_changes_and_is_audited_alike(network: Network) -> None:
    m = await make_mod(network)
    async with browser(m.art) as client:  # the panel silences and suspends dave ...
        await login(client, "mod")
        page = f"/admin/accounts/{m.ids['dave']}"
        for action in ("silence", "sensitive", "suspend"):
            sent = await post_form(client, page, f"{page}/action", {"action": action, "reason": f"panel {action}"})
            assert sent.status_code == 303, sent.text
    for action in ("silence", "sensitive", "suspend"):  # ... the app does the same to alice
        answer = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['alice']}/action",
                              data={"type": action, "text": f"app {action}"})
        assert answer.status_code == 200 and answer.json() == {}, answer.text
    dave, alice = await row(m.art, Account, m.ids["dave"]), await row(m.art, Account, m.ids["alice"])
    for field in ("silenced_at", "sensitized_at", "suspended_at"):
        assert getattr(dave, field) is not None and getattr(alice, field) is not None
    async with m.art.rt.sessions() as session:
        entries = list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))
    by_panel = [(e.action, e.target_type, e.actor_handle, sorted(e.details)) for e in entries[:3]]
    by_app = [(e.action, e.target_type, e.actor_handle, sorted(e.details)) for e in entries[3:]]
    assert by_panel == by_app and [e.action for e in entries[3:]] == ["account.silence", "account.sensitive",
                                                                      "account.suspend"]
    assert [(e.target, e.reason) for e in entries[3:]] == [("alice@art.test", f"app {a}")
                                                           for a in ("silence", "sensitive", "suspend")]
    assert entries[-1].details["tokens_revoked"] == 1  # the suspension ended alice's own app token too
    assert (await m.call("alice", "GET", "/api/v2/admin/accounts")).status_code == 401

    undone = []
    for action in ("unsilence", "unsensitive", "unsuspend"):
        answer = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['alice']}/{action}")
        assert answer.status_code == 200, answer.text
        assert_entity("AdminAccount", answer.json())
        undone.append(answer.json())
    assert undone[-1]["silenced"] is False and undone[-1]["sensitized"] is False and undone[-1]["suspended"] is False
    log = await audit(m.art)
    assert [a for a, _t, _r in log[-3:]] == ["account.unsilence", "account.unsensitive", "account.unsuspend"]
    assert all("Moderation app" in reason for _a, _t, reason in log[-3:])  # the app is named when no reason is sent
    again = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['alice']}/unsuspend")
    assert again.status_code == 422 and "not suspended" in again.json()["error"]
    enabled = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['alice']}/enable")
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False and len(await audit(m.art)) == len(log)


async def test_approving_and_rejecting_sign_ups_is_the_queues_own_work(network: Network) -> None:
    m = await make_mod(network)
    approved = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['newbie']}/approve")
    assert approved.status_code == 200 and approved.json()["approved"] is True
    assert (await row(m.art, LocalUser, m.ids["newbie"])).approved is True
    rejected = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['wave']}/reject")
    assert rejected.status_code == 200 and rejected.json()["username"] == "wave"
    assert await row(m.art, Account, m.ids["wave"]) is None  # deleted, as the panel's Reject does
    assert [(a, t) for a, t, _r in await audit(m.art)] == [("signup.approve", "@newbie"), ("signup.reject", "@wave")]
    twice = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['newbie']}/approve")
    assert twice.status_code == 404 and "no longer waiting" in twice.json()["error"]


async def test_reports_list_assign_resolve_and_reopen(network: Network) -> None:
    m = await make_mod(network)
    base = f"/api/v1/admin/reports/{m.report_id}"
    listed = await m.call("mod", "GET", "/api/v1/admin/reports")
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [str(m.report_id)]
    assert_entities("AdminReport", listed.json())
    first = listed.json()[0]
    assert first["account"]["id"] == str(m.ids["alice"]) and first["target_account"]["acct"] == "erin@social.test"
    assert first["target_account"]["domain"] == "social.test" and first["action_taken"] is False
    by_target = await m.call("mod", "GET", f"/api/v1/admin/reports?target_account_id={m.ids['dave']}")
    assert by_target.json() == []

    taken = await m.call("mod", "POST", f"{base}/assign_to_self")
    assert taken.status_code == 200 and taken.json()["assigned_account"]["id"] == str(m.ids["mod"])
    assert_entity("AdminReport", taken.json())
    let_go = await m.call("mod", "POST", f"{base}/unassign")
    assert let_go.json()["assigned_account"] is None

    resolved = await m.call("mod", "POST", f"{base}/resolve")
    assert resolved.status_code == 200 and resolved.json()["action_taken"] is True
    assert resolved.json()["action_taken_by_account"]["id"] == str(m.ids["mod"])
    assert (await m.call("mod", "GET", "/api/v1/admin/reports")).json() == []
    assert [r["id"] for r in (await m.call("mod", "GET", "/api/v1/admin/reports?resolved=true")).json()] == [
        str(m.report_id)]
    reopened = await m.call("mod", "POST", f"{base}/reopen")
    assert reopened.status_code == 200 and reopened.json()["action_taken"] is False
    assert (await row(m.art, Report, m.report_id)).state == "open"

    # An action naming the report resolves it with that action, as the panel's report page does.
    acted = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['erin']}/action",
                         data={"type": "silence", "report_id": str(m.report_id), "text": "spam wave"})
    assert acted.status_code == 200, acted.text
    report = await row(m.art, Report, m.report_id)
    assert report.state == "resolved" and report.resolution == "silence" and report.resolution_note == "spam wave"
    assert (await row(m.art, Account, m.ids["erin"])).silenced_at is not None
    assert [a for a, _t, _r in await audit(m.art)] == [
        "report.assign", "report.unassign", "report.resolve", "report.reopen", "account.silence", "report.resolve"]
    async with m.art.rt.sessions() as session:
        silence = await session.scalar(select(AuditLog).where(AuditLog.action == "account.silence"))
    assert silence is not None and silence.details == {"report": m.report_id}
    wrong_target = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['dave']}/action",
                                data={"type": "silence", "report_id": str(m.report_id), "text": "x"})
    assert wrong_target.status_code == 422


async def test_a_report_received_from_another_server_names_no_reporter_but_decodes(network: Network) -> None:
    m = await make_mod(network)
    async with m.art.rt.sessions() as session:
        sender = await session.get(Account, m.ids["erin"])
        alice = await session.get(Account, m.ids["alice"])
        outcome = await reports.receive_flag(session, sender, FlagReport(
            "https://social.test/flags/1", sender.uri, (alice.uri,), "Reported over there"))
        await session.commit()
    assert outcome.startswith("report filed")
    answer = await m.call("mod", "GET", f"/api/v1/admin/reports?target_account_id={m.ids['alice']}")
    assert answer.status_code == 200 and len(answer.json()) == 1, answer.text
    assert_entities("AdminReport", answer.json())
    received = answer.json()[0]
    assert received["comment"] == "Reported over there" and received["target_account"]["username"] == "alice"
    assert received["account"]["id"] not in (str(m.ids["alice"]), str(m.ids["erin"]))  # the reporter stays anonymous


async def test_domain_blocks_are_admins_work_as_in_the_panel(network: Network) -> None:
    m = await make_mod(network)
    by_mod = await m.call("mod", "POST", "/api/v1/admin/domain_blocks", data={"domain": "social.test"})
    assert by_mod.status_code == 403 and by_mod.json() == {"error": "This action is not allowed"}
    made = await m.call("boss", "POST", "/api/v1/admin/domain_blocks/", json={
        "domain": "social.test", "severity": "suspend", "reject_media": True, "private_comment": "harassment"})
    assert made.status_code == 200, made.text
    assert_entity("AdminDomainBlock", made.json())
    assert made.json()["severity"] == "suspend" and made.json()["reject_media"] is True
    async with m.art.rt.sessions() as session:
        follows = await session.scalar(select(func.count()).select_from(Follow)) or 0
    assert follows == 0  # the suspension severed alice's follow of erin, as a panel block does
    entry = (await audit(m.art))[-1]
    assert entry == ("domain_block.create", "social.test", "harassment")
    block_id = made.json()["id"]
    listed = await m.call("mod", "GET", "/api/v1/admin/domain_blocks")  # moderators read the list
    assert listed.status_code == 200 and [b["domain"] for b in listed.json()] == ["social.test"]
    assert_entities("AdminDomainBlock", listed.json())
    assert (await m.call("mod", "GET", f"/api/v1/admin/domain_blocks/{block_id}")).json()["id"] == block_id
    changed = await m.call("boss", "PUT", f"/api/v1/admin/domain_blocks/{block_id}", data={"severity": "limit"})
    assert changed.status_code == 200 and changed.json()["severity"] == "silence"
    assert changed.json()["reject_media"] is True  # what was not sent stays
    twice = await m.call("boss", "POST", "/api/v1/admin/domain_blocks", data={"domain": "social.test"})
    assert twice.status_code == 422 and "already blocked" in twice.json()["error"]
    bad = await m.call("boss", "POST", "/api/v1/admin/domain_blocks", data={"domain": "x.test", "severity": "nuke"})
    assert bad.status_code == 422
    assert (await m.call("mod", "DELETE", f"/api/v1/admin/domain_blocks/{block_id}")).status_code == 403
    gone = await m.call("boss", "DELETE", f"/api/v1/admin/domain_blocks/{block_id}")
    assert gone.status_code == 200 and gone.json() == {}
    assert await row(m.art, DomainBlock, int(block_id)) is None
    assert [a for a, _t, _r in await audit(m.art)] == ["domain_block.create", "domain_block.update",
                                                       "domain_block.delete"]


async def test_roles_scopes_ids_and_types_are_refused_with_json_and_nothing_changes(network: Network) -> None:
    m = await make_mod(network)
    alice = m.ids["alice"]
    calls = [("GET", "/api/v2/admin/accounts"), ("GET", f"/api/v1/admin/accounts/{alice}"),
             ("POST", f"/api/v1/admin/accounts/{alice}/unsilence"), ("GET", "/api/v1/admin/reports"),
             ("POST", f"/api/v1/admin/reports/{m.report_id}/resolve"), ("GET", "/api/v1/admin/domain_blocks")]
    for method, path in calls:
        artist = await m.call("alice", method, path)  # an artist, even with admin scopes
        assert artist.status_code == 403 and artist.json() == {"error": "This action is not allowed"}, path
        plain = await m.call("mod_plain", method, path)  # a moderator whose token has no admin scope
        assert plain.status_code == 403 and "outside the authorized scopes" in plain.json()["error"], path
        async with api(m.art) as client:
            assert (await client.request(method, path)).status_code == 401
    read_only = await m.call("mod_read_only", "GET", "/api/v2/admin/accounts")
    assert read_only.status_code == 200
    assert (await m.call("mod_read_only", "POST", f"/api/v1/admin/accounts/{alice}/action",
                         data={"type": "silence", "text": "x"})).status_code == 403
    assert (await m.call("mod_read_only", "GET", "/api/v1/admin/reports")).status_code == 403

    for path in ("/api/v1/admin/accounts/987654321", "/api/v1/admin/accounts/99999999999999999999",
                 "/api/v1/admin/reports/987654321", "/api/v1/admin/domain_blocks/987654321",
                 f"/api/v1/admin/accounts/{await account_id(m.art, 'art.test')}"):  # the instance actor
        missing = await m.call("mod", "GET", path)
        assert missing.status_code == 404 and "error" in missing.json(), path
    action = f"/api/v1/admin/accounts/{alice}/action"
    for data, status, words in (({"type": "ban", "text": "x"}, 422, "type must be one of"),
                                ({"type": "disable", "text": "x"}, 422, "suspend the account instead"),
                                ({"type": "silence"}, 422, "say why"),
                                ({"type": "none", "text": "x"}, 422, "report_id"),
                                ({"type": "silence", "text": "x", "report_id": "987654321"}, 404, "no report")):
        refused = await m.call("mod", "POST", action, data=data)
        assert (refused.status_code, words in refused.json()["error"]) == (status, True), (data, refused.text)
    on_admin = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['boss']}/action",
                            data={"type": "suspend", "text": "coup"})
    assert on_admin.status_code == 422 and "higher role" in on_admin.json()["error"]
    on_self = await m.call("mod", "POST", f"/api/v1/admin/accounts/{m.ids['mod']}/action",
                           data={"type": "silence", "text": "oops"})
    assert on_self.status_code == 422
    for query, status in (("origin=mars", 422), ("status=banned", 422), ("permissions=all", 422),
                          ("limit=many", 400), ("max_id=abc", 400)):  # a value outside the choices; not a number
        assert (await m.call("mod", "GET", f"/api/v2/admin/accounts?{query}")).status_code == status, query
    assert await audit(m.art) == []
    for name in ("alice", "boss", "mod"):
        account = await row(m.art, Account, m.ids[name])
        assert account.silenced_at is None and account.suspended_at is None
    assert (await row(m.art, Report, m.report_id)).state == "open"
