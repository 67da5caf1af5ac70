"""Reports in the panel: an artist files one, a moderator resolves it each way; every action is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse.models import Account, AuditLog, OutboundActivity, Report, Work
from tests.federation.helpers import make_user
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, login, post_form


@pytest.fixture
async def art(network: Network) -> Instance:
    instance = await network.add("art.test")
    await make_user(instance, "alice", password=PASSWORD)
    await make_user(instance, "troll", password=PASSWORD)
    await make_user(instance, "mod", password=PASSWORD, role="moderator")
    return instance


async def _file(instance: Instance, work: Work, comment: str = "Traced from my work") -> Report:
    async with browser(instance) as client:
        await login(client, "alice")
        form = await client.get(f"/studio/report?post={work.uri}")
        assert form.status_code == 200 and "Report @troll@art.test" in form.text
        sent = await post_form(client, f"/studio/report?post={work.uri}", "/studio/report",
                               {"account": work.account.uri, "post": work.uri, "category": "violation",
                                "comment": comment})
        assert sent.status_code == 303, sent.text
    async with instance.rt.sessions() as session:
        report = await session.scalar(select(Report).order_by(Report.id.desc()))
    assert report is not None
    return report


async def _resolve(instance: Instance, report: Report, resolution: str, note: str = "checked the evidence"):
    async with browser(instance) as client:
        await login(client, "mod")
        return await post_form(client, f"/admin/reports/{report.id}", f"/admin/reports/{report.id}/resolve",
                               {"resolution": resolution, "note": note})


async def _audit(instance: Instance) -> list[tuple[str, str, str, dict]]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(AuditLog).order_by(AuditLog.id))
        return [(r.action, r.target, r.reason, r.details) for r in rows]


async def _state(instance: Instance, report_id: int, work_id: int) -> tuple[Report, Work, Account]:
    async with instance.rt.sessions() as session:
        report = await session.get(Report, report_id)
        work = await session.get(Work, work_id)
        assert report is not None and work is not None
        account = await session.get(Account, work.account_id)
        assert account is not None
        return report, work, account


async def test_an_artist_reports_a_work_and_the_moderator_sees_it_with_the_post(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Copied piece")
    report = await _file(art, work)
    assert report.category == "violation" and report.object_uris == [work.uri] and report.state == "open"
    async with browser(art) as client:
        await login(client, "mod")
        dashboard = await client.get("/admin")
        listing = await client.get("/admin/reports")
        detail = await client.get(f"/admin/reports/{report.id}")
    assert ">1 open reports<" in dashboard.text and ">0 sign-ups waiting<" in dashboard.text
    assert listing.status_code == 200 and "@troll@art.test" in listing.text and "Traced from my work" in listing.text
    assert detail.status_code == 200 and "Copied piece" in detail.text and "@alice" in detail.text


async def test_dismiss_closes_the_report_and_is_audited(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Fine piece")
    report = await _file(art, work)
    assert (await _resolve(art, report, "dismiss", "not a copy")).status_code == 303
    report, work, account = await _state(art, report.id, work.id)
    assert report.state == "dismissed" and report.resolution == "dismiss" and report.resolution_note == "not a copy"
    assert work.deleted_at is None and account.suspended_at is None
    assert ("report.resolve", str(report.id), "not a copy", {"resolution": "dismiss"}) in await _audit(art)


async def test_remove_deletes_the_work_with_a_federated_delete(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Stolen piece")
    report = await _file(art, work)
    assert (await _resolve(art, report, "remove")).status_code == 303
    report, work, _account = await _state(art, report.id, work.id)
    assert report.state == "resolved" and work.deleted_at is not None
    async with art.rt.sessions() as session:
        deletes = list(await session.scalars(select(OutboundActivity).where(OutboundActivity.type == "Delete")))
    assert any(work.uri.encode() in d.body for d in deletes)
    actions = [a for a, *_ in await _audit(art)]
    assert actions == ["post.remove", "report.resolve"]
    async with art.client() as client:
        assert (await client.get(f"/@troll/{work.public_id}")).status_code == 410


async def test_sensitive_marks_the_account_and_the_post(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Gore")
    report = await _file(art, work)
    assert (await _resolve(art, report, "sensitive")).status_code == 303
    _report, work, account = await _state(art, report.id, work.id)
    assert work.sensitive and account.sensitized_at is not None
    audit = await _audit(art)
    assert ("account.sensitive", "troll@art.test", "checked the evidence", {"report": report.id}) in audit


async def test_silence_hides_the_account_from_public_listings(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Spam")
    report = await _file(art, work)
    async with art.client() as client:
        assert "troll" in (await client.get("/")).text
    assert (await _resolve(art, report, "silence")).status_code == 303
    _report, _work, account = await _state(art, report.id, work.id)
    assert account.silenced_at is not None
    async with art.client() as client:
        assert "@troll" not in (await client.get("/")).text
    assert "account.silence" in [a for a, *_ in await _audit(art)]


async def test_suspend_locks_the_account_out_and_takes_its_pages_down(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Scam")
    report = await _file(art, work)
    assert (await _resolve(art, report, "suspend", "fraud")).status_code == 303
    _report, _work, account = await _state(art, report.id, work.id)
    assert account.suspended_at is not None
    async with browser(art) as client:
        refused = await login(client, "troll")
        assert refused.status_code == 401
    async with art.client() as client:
        assert (await client.get(f"/@troll/{work.public_id}")).status_code == 410
    assert [a for a, *_ in await _audit(art)] == ["account.suspend", "report.resolve"]
    async with browser(art) as client:
        await login(client, "mod")
        detail = await client.get(f"/admin/reports/{report.id}")
    history = detail.text.split("<h2>History</h2>")[1]
    assert "account.suspend" in history and "report.resolve" in history and "fraud" in history
    assert "Resolve</button>" not in detail.text  # a closed report offers no actions


async def test_resolving_needs_a_reason_a_token_and_an_open_report(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Maybe")
    report = await _file(art, work)
    no_reason = await _resolve(art, report, "suspend", "   ")
    assert no_reason.status_code == 400 and "reason" in no_reason.text
    async with browser(art) as client:
        await login(client, "mod")
        forged = await client.post(f"/admin/reports/{report.id}/resolve", data={"resolution": "suspend", "note": "x"})
        assert forged.status_code == 403
        bogus = await post_form(client, f"/admin/reports/{report.id}", f"/admin/reports/{report.id}/resolve",
                                {"resolution": "explode", "note": "x"})
        assert bogus.status_code == 400
    _report, _work, account = await _state(art, report.id, work.id)
    assert account.suspended_at is None and _report.state == "open" and await _audit(art) == []
    assert (await _resolve(art, report, "dismiss")).status_code == 303
    again = await _resolve(art, report, "suspend")
    assert again.status_code == 400 and "already" in again.text


async def test_an_artist_cannot_open_or_resolve_reports(art: Instance) -> None:
    work = await post_work(art, "troll", 1, title="Whatever")
    report = await _file(art, work)
    async with browser(art) as client:
        await login(client, "alice")
        assert (await client.get("/admin/reports")).status_code == 403
        assert (await post_form(client, "/studio", f"/admin/reports/{report.id}/resolve",
                                {"resolution": "dismiss", "note": "mine"})).status_code == 403
    _report, _work, _account = await _state(art, report.id, work.id)
    assert _report.state == "open"


async def test_reports_of_unknown_posts_or_oneself_are_refused(art: Instance) -> None:
    work = await post_work(art, "alice", 1, title="Mine")
    async with browser(art) as client:
        await login(client, "alice")
        assert (await client.get("/studio/report?post=https://nowhere.test/x")).status_code == 404
        own = await post_form(client, "/studio", "/studio/report",
                              {"account": work.account.uri, "post": work.uri, "category": "spam"})
        assert own.status_code == 400 and "yourself" in own.text
    async with browser(art) as anonymous:
        response = await anonymous.get(f"/studio/report?post={work.uri}")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert (await anonymous.post("/studio/report", data={"account": work.account.uri})).status_code == 403
    async with art.rt.sessions() as session:
        assert await session.scalar(select(Report.id)) is None


async def test_a_sensitized_account_posts_only_sensitive_works(art: Instance) -> None:
    first = await post_work(art, "troll", 1, title="Before")
    report = await _file(art, first)
    assert (await _resolve(art, report, "sensitive")).status_code == 303
    later = await post_work(art, "troll", 1, title="After", sensitive=False)
    assert later.sensitive
    untouched = await post_work(art, "alice", 1, title="Someone else")
    assert not untouched.sensitive


async def test_a_text_post_can_be_reported_shown_and_removed_with_a_federated_delete(art: Instance) -> None:
    from fediverse.models import LocalNote
    from tests.api.world import note

    public_id = await note(art, "troll", "Buy followers at spam.example")
    async with art.rt.sessions() as session:
        posted = await session.scalar(select(LocalNote).where(LocalNote.public_id == str(public_id)))
    assert posted is not None
    async with browser(art) as client:
        await login(client, "alice")
        sent = await post_form(client, f"/studio/report?post={posted.uri}", "/studio/report",
                               {"account": posted.account.uri, "post": posted.uri, "category": "spam",
                                "comment": "Spam post"})
        assert sent.status_code == 303, sent.text
    async with art.rt.sessions() as session:
        report = await session.scalar(select(Report).order_by(Report.id.desc()))
    assert report is not None and report.object_uris == [posted.uri]
    async with browser(art) as client:
        await login(client, "mod")
        detail = await client.get(f"/admin/reports/{report.id}")
    assert "Buy followers at spam.example" in detail.text and "no longer here" not in detail.text
    assert (await _resolve(art, report, "remove")).status_code == 303
    async with art.rt.sessions() as session:
        gone = await session.get(LocalNote, posted.id)
        deletes = list(await session.scalars(select(OutboundActivity).where(OutboundActivity.type == "Delete")))
    assert gone is not None and gone.deleted_at is not None
    assert any(posted.uri.encode() in d.body for d in deletes)
    async with art.client() as client:
        assert (await client.get(f"/@troll/{public_id}")).status_code == 404  # the page
        assert (await client.get(posted.uri, headers={"Accept": "application/activity+json"})).status_code == 410
