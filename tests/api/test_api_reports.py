"""``POST /api/v1/reports`` on two in-process instances: a report from an app lands in the moderators' queue
exactly as one from the web form, a remote one is forwarded as a Flag when asked, and a report can never be
used to learn that a hidden post exists."""

from __future__ import annotations

from typing import Any

from fediverse.services import reports
from tests.api.mastodon_types import assert_entity
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.api.world import World, make_world
from tests.federation.helpers import user
from tests.support import Network


async def _report(w: World, key: str, **form: Any) -> Any:
    async with w.client() as client:
        return await client.post("/api/v1/reports", data=form, headers=bearer(key))


async def _queue(w: World) -> list[Any]:
    async with w.art.rt.sessions() as session:
        return [report for report, _target in await reports.listing(session, closed=False, limit=50)]


async def test_a_report_from_an_app_reaches_the_moderators_and_is_forwarded_when_asked(network: Network) -> None:
    w = await make_world(network)
    dave = await token_for(w.art, "dave", "write:reports")
    alice_id = (await user(w.art, "alice")).account_id
    answer = await _report(w, dave, account_id=str(alice_id), **{"status_ids[]": str(w.ids["public_note"])},
                           comment="Spam in my replies", category="spam")
    assert answer.status_code == 200, answer.text
    assert_entity("Report", answer.json())
    assert answer.json()["status_ids"] == [str(w.ids["public_note"])] and answer.json()["category"] == "spam"
    filed = await _queue(w)
    assert [(r.category, r.comment, r.forwarded) for r in filed] == [("spam", "Spam in my replies", False)]

    async with w.client() as client:
        erin_id = (await client.get("/api/v1/accounts/lookup", params={"acct": "erin@social.test"})).json()["id"]
    forwarded = await _report(w, dave, account_id=erin_id, **{"status_ids[]": str(w.ids["erin_work"])},
                              forward="true", category="other", comment="Not theirs")
    assert forwarded.status_code == 200 and forwarded.json()["forwarded"] is True, forwarded.text
    await network.drain()
    async with w.social.rt.sessions() as session:
        received = [r for r, _t in await reports.listing(session, closed=False, limit=50)]
    assert [(r.origin_domain, r.comment) for r in received] == [("art.test", "Not theirs")]


async def test_bad_reports_change_nothing(network: Network) -> None:
    w = await make_world(network)
    dave = await token_for(w.art, "dave", "write:reports")
    reader = await token_for(w.art, "dave", "read")
    alice_id = str((await user(w.art, "alice")).account_id)
    dave_id = str((await user(w.art, "dave")).account_id)
    for key, form, status, words in (
        (reader, {"account_id": alice_id}, 403, "outside the authorized scopes"),
        ("no-such-token", {"account_id": alice_id}, 401, "invalid"),
        (dave, {"account_id": "999999"}, 404, "Record not found"),
        (dave, {"account_id": "12x"}, 404, "Record not found"),
        (dave, {"account_id": dave_id}, 422, "cannot report yourself"),
        (dave, {"account_id": alice_id, "category": "mean"}, 422, "category must be one of"),
        (dave, {"account_id": alice_id, "comment": "x" * 1001}, 422, "limited to 1000"),
        (dave, {"account_id": alice_id, "status_ids[]": "abc"}, 422, "must be status ids"),
        # followers-only: dave may not see it, so it is "unknown", never "not by that account"-vs-"hidden"
        (dave, {"account_id": alice_id, "status_ids[]": str(w.ids["followers_note"])}, 422, "unknown here"),
        (dave, {"account_id": alice_id, "status_ids[]": str(w.ids["erin_work"])}, 422, "not by the reported"),
    ):
        answer = await _report(w, key, **form)
        assert answer.status_code == status and words in answer.json()["error"], (form, answer.text)
    assert await _queue(w) == []
