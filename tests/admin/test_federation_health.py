"""/admin/federation: the figures are those of the delivery jobs and domain records in the database, and the
admin's actions (retry now, give up, mark available) change them; moderators may look but not act."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from fediverse.models import DEAD, DONE, QUEUED, AuditLog, DomainHealth, InboundActivity, Job, utcnow
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, csrf_of, login


def figures(html: str, domain: str) -> dict[str, str]:
    row = re.search(rf'<tr id="domain-{re.escape(domain)}".*?</tr>', html, re.S)
    assert row, f"no row for {domain}"
    return dict(re.findall(r'data-figure="(\w+)">(\d+)', row.group(0)))


async def seed(art: Instance) -> dict[str, list[int]]:
    """down.test: 2 pending (scheduled later), 3 retrying, 1 dead, unavailable; ok.test: 1 done."""
    later = utcnow() + timedelta(hours=1)
    soon = utcnow() + timedelta(minutes=30)
    ids: dict[str, list[int]] = {"pending": [], "retrying": [], "dead": []}
    async with art.rt.sessions() as session:
        def job(n: int, domain: str, **values: object) -> Job:
            row = Job(kind="deliver", payload={"activity": 999_000 + n, "inbox": f"https://{domain}/inbox"},
                      dedupe_key=f"test:{domain}:{n}", domain=domain, **values)
            session.add(row)
            return row

        made = {"pending": [job(n, "down.test", state=QUEUED, attempts=0, run_at=later) for n in range(2)],
                "retrying": [job(10 + n, "down.test", state=QUEUED, attempts=1, run_at=soon + timedelta(minutes=n),
                                 last_error="connect timeout") for n in range(3)],
                "dead": [job(20, "down.test", state=DEAD, attempts=16, finished_at=utcnow())]}
        job(30, "ok.test", state=DONE, attempts=1, finished_at=utcnow())
        session.add(DomainHealth(domain="down.test", failure_days=["20261204", "20261205", "20261206"],
                                 unavailable=True, last_failure_at=utcnow(), last_error="connect timeout"))
        old = utcnow() - timedelta(minutes=10)
        for n in range(2):
            session.add(InboundActivity(uri=f"https://spam.test/a/{n}", type="Create",
                                        actor_uri="https://spam.test/users/x", raw={}, received_at=old))
        session.add(InboundActivity(uri="https://spam.test/a/held", type="Create", actor_uri="https://spam.test/users/x",
                                    raw={}, quarantine_reason="link-only post"))
        await session.commit()
        for name, rows in made.items():
            ids[name] = [row.id for row in rows]
    return ids


async def jobs(art: Instance, job_ids: list[int]) -> list[Job]:
    async with art.rt.sessions() as session:
        return list((await session.scalars(select(Job).where(Job.id.in_(job_ids)).order_by(Job.id))).all())


async def test_the_page_shows_deliveries_failures_and_backlog_per_domain(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    await seed(art)
    async with browser(art) as client:
        await login(client, "boss")
        html = (await client.get("/admin/federation")).text
    assert figures(html, "down.test") == {"pending": "2", "retrying": "3", "running": "0", "dead": "1", "backlog": "0"}
    assert figures(html, "ok.test") == {"pending": "0", "retrying": "0", "running": "0", "dead": "0", "backlog": "0"}
    assert figures(html, "spam.test")["backlog"] == "2"  # the held one is the quarantine's, not the backlog
    assert '<strong id="inbox-backlog">2</strong>' in html and "the oldest for 10 min" in html
    down = re.search(r'<tr id="domain-down.test".*?</tr>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "unavailable" in down and "3 day(s)" in down and "connect timeout" in down
    assert html.index("domain-down.test") < html.index("domain-ok.test")  # troubled domains first


async def test_admin_actions_retry_give_up_and_mark_available(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    ids = await seed(art)
    async with browser(art) as client:
        await login(client, "boss")
        csrf = csrf_of((await client.get("/admin/federation")).text)
        retried = await client.post("/admin/federation/retry", data={"csrf_token": csrf, "domain": "down.test"})
        assert retried.status_code == 303
        await network.drain()
        # each retrying delivery was woken and attempted again at once (the inbox does not exist: attempt 2)
        assert [job.attempts for job in await jobs(art, ids["retrying"])] == [2, 2, 2]
        assert [job.attempts for job in await jobs(art, ids["pending"])] == [0, 0]  # pending ones keep their time
        gave_up = await client.post("/admin/federation/give-up", data={"csrf_token": csrf, "domain": "down.test"})
        assert gave_up.status_code == 303
        assert {job.state for job in await jobs(art, ids["pending"] + ids["retrying"])} <= {DEAD, DONE}
        assert all(job.last_error == "given up by an admin" for job in await jobs(art, ids["pending"]))
        available = await client.post("/admin/federation/available", data={"csrf_token": csrf, "domain": "down.test"})
        assert available.status_code == 303
        html = (await client.get("/admin/federation")).text
        bad = await client.post("/admin/federation/retry", data={"csrf_token": csrf, "domain": "x/../y"})
        assert bad.status_code == 400
    assert figures(html, "down.test")["pending"] == "0" and figures(html, "down.test")["retrying"] == "0"
    async with art.rt.sessions() as session:
        health = await session.get(DomainHealth, "down.test")
        assert health is not None and not health.unavailable and health.failure_days == []
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["federation.retry_now", "federation.give_up", "federation.mark_available"]


async def test_a_moderator_sees_the_page_but_cannot_use_the_admin_actions(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    ids = await seed(art)
    async with browser(art) as client:
        await login(client, "mod")
        page = await client.get("/admin/federation")
        assert page.status_code == 200 and "Retry now" not in page.text
        csrf = csrf_of((await client.get("/studio")).text)
        for action in ("retry", "give-up", "available"):
            refused = await client.post(f"/admin/federation/{action}", data={"csrf_token": csrf, "domain": "down.test"})
            assert refused.status_code == 403, action
    assert [job.state for job in await jobs(art, ids["pending"] + ids["retrying"])] == [QUEUED] * 5
    async with art.rt.sessions() as session:
        health = await session.get(DomainHealth, "down.test")
        assert health is not None and health.unavailable
