"""The studio's interaction-consent selects (quotes, replies, boosts): profile (artist) and work form (per work)."""

from __future__ import annotations

from sqlalchemy import select

from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.models import Work
from tests.federation.helpers import make_user
from tests.support import Network
from tests.web import AP_ACCEPT, post_work
from tests.web.panel_client import PASSWORD, browser, errors_in, jpeg, login, post_form

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ALICE = "https://art.test/users/alice"


async def test_profile_sets_the_artists_policies_and_every_note_carries_them(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    work = await post_work(art, "alice", title="Fox", alts=("A fox",))
    async with browser(art) as client:
        await login(client, "alice")
        form = await client.get("/studio/profile")
        assert 'id="policy_quotes"' in form.text and "Instance default (Anyone)" in form.text
        bad = await post_form(client, "/studio/profile", "/studio/profile",
                              data={"display_name": "Alice", "policy_quotes": "friends"})
        assert bad.status_code == 400 and "Quotes: choose one of the listed options." in bad.text
        response = await post_form(client, "/studio/profile", "/studio/profile",
                                   data={"display_name": "Alice", "policy_quotes": "followers",
                                         "policy_replies": "", "policy_boosts": "nobody"})
        assert response.status_code == 303, errors_in(response.text)
        async with art.rt.sessions() as session:
            account = await account_db.local_by_username(session, "alice")
        assert (account.quote_policy, account.reply_policy, account.boost_policy) == ("followers", None, "nobody")
        note = (await client.get(work.uri, headers=AP_ACCEPT)).json()
        assert note["interactionPolicy"]["canQuote"]["automaticApproval"] == [f"{ALICE}/followers", ALICE]
        assert note["interactionPolicy"]["canReply"]["automaticApproval"] == [PUBLIC]
        assert note["interactionPolicy"]["canAnnounce"]["automaticApproval"] == [ALICE]


async def test_work_form_overrides_the_artists_policy_new_and_edit(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    fields = {"title": "Heron", "description": "", "visibility": "public", "alt1": "A heron"}
    async with browser(art) as client:
        await login(client, "alice")
        form = await client.get("/studio/new")
        assert 'id="policy_boosts"' in form.text and "Your default (Anyone)" in form.text
        response = await post_form(client, "/studio/new", "/studio/new", data={**fields, "policy_quotes": "nobody"},
                                   files={"image1": ("heron.jpg", jpeg(), "image/jpeg")})
        assert response.status_code == 303, errors_in(response.text)
        async with art.rt.sessions() as session:
            work = await session.scalar(select(Work))
        assert (work.quote_policy, work.reply_policy, work.boost_policy) == ("nobody", None, None)
        edit = f"/studio/works/{work.public_id}/edit"
        assert '<option value="nobody" selected>' in (await client.get(edit)).text
        response = await post_form(client, edit, edit, data={**fields, "policy_quotes": "", "policy_replies": "followers"})
        assert response.status_code == 303, errors_in(response.text)
        async with art.rt.sessions() as session:
            work = await work_db.by_uri(session, work.uri)
        assert (work.quote_policy, work.reply_policy) == (None, "followers")
        note = (await client.get(work.uri, headers=AP_ACCEPT)).json()
        assert note["interactionPolicy"]["canQuote"]["automaticApproval"] == [PUBLIC]
        assert note["interactionPolicy"]["canReply"]["automaticApproval"] == [f"{ALICE}/followers", ALICE]
