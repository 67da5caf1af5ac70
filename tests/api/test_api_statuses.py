"""POST /api/v1/statuses and an own status's DELETE, PUT, source and history: a status with images is a work on
the portfolio (default licence and consent, alt text from the media descriptions) that reaches a follower on
another instance as a work with its alt text; a text status is a note; Idempotency-Key; every bad input a JSON
4xx with nothing written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fediverse.api import entities
from fediverse.db import works as work_db
from fediverse.models import LocalNote, Work
from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.posting import attached, counts, error_of, token, upload
from tests.api.world import World, make_world
from tests.federation.helpers import act, make_user, user
from tests.federation.test_works_federation import received
from tests.support import Network, StepClock
from tests.web.panel_client import PASSWORD

LICENCE = "https://creativecommons.org/licenses/by-nc-sa/4.0/"


async def _with_default_licence(w: World) -> None:
    async with w.art.rt.sessions() as session:
        me = await session.merge(await user(w.art, "alice"))
        me.account.default_license_url = LICENCE
        await session.commit()


async def _two_media(w: World, headers: dict[str, str]) -> list[dict[str, Any]]:
    async with w.art.client() as client:
        first = await upload(client, headers, description="Two boats at the quay", focus="0.25,-0.5",
                             colour=(200, 30, 30))
        second = await upload(client, headers, description="The lighthouse in fog", colour=(30, 30, 200))
    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
    return [first.json(), second.json()]


async def test_a_status_with_two_images_is_a_work_that_reaches_a_follower_with_its_alt_text(network: Network) -> None:
    w = await make_world(network)
    await act(w.social, "follow", "erin", "alice@art.test")
    await network.drain()
    await _with_default_licence(w)
    alice = await token(w.art, "alice")
    media = await _two_media(w, alice)
    async with w.art.client() as client:
        answer = await client.post("/api/v1/statuses", headers=alice, data={
            "status": "Harbour mornings #ink", "media_ids[]": [m["id"] for m in media], "visibility": "public",
            "language": "en"})
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert_entity("Status", status)
    assert "Harbour mornings" in status["content"] and status["visibility"] == "public"
    assert [a["description"] for a in status["media_attachments"]] == ["Two boats at the quay", "The lighthouse in fog"]
    assert status["media_attachments"][0]["meta"]["focus"] == {"x": 0.25, "y": -0.5}
    assert status["fediverse"]["kind"] == "work" and status["fediverse"]["license_url"] == LICENCE
    assert set(status["fediverse"]["consent"]) == {"ai_training", "tdm_reserved", "ai_input", "search"}

    async with w.art.rt.sessions() as session:  # a work on her portfolio, with the alt texts and the licence
        alice_user = await user(w.art, "alice")
        portfolio = await work_db.portfolio(session, alice_user.account_id, limit=10, offset=0)
        work = portfolio[0]
        assert work.description == "Harbour mornings #ink" and work.license_url == LICENCE
        assert [i.alt_text for i in work.images] == ["Two boats at the quay", "The lighthouse in fog"]
        assert (work.images[0].focal_x, work.images[0].focal_y) == (0.25, -0.5)
        assert "ink" in work.tags
    for m in media:
        assert await attached(w.art, int(m["id"])) == int(status["id"])

    await network.drain()
    creates = [c for c in await received(w.social, "Create") if c["object"]["id"] == work.uri]
    assert len(creates) == 1
    note = creates[0]["object"]
    assert [a["name"] for a in note["attachment"]] == ["Two boats at the quay", "The lighthouse in fog"]
    assert note["attachment"][0]["focalPoint"] == [0.25, -0.5]
    async with w.social.client() as client:  # erin's server shows it as a post with both images and alt text
        public = await client.get("/api/v1/timelines/public", params={"remote": "true"})
    assert public.status_code == 200, public.text
    found = [s for s in public.json() if s["uri"] == work.uri]
    assert len(found) == 1, [s["uri"] for s in public.json()]
    assert_entity("Status", found[0])
    assert [a["description"] for a in found[0]["media_attachments"]] == [
        "Two boats at the quay", "The lighthouse in fog"]


async def test_a_text_status_is_a_note_and_a_reply_is_threaded(network: Network) -> None:
    w = await make_world(network)
    alice = await token(w.art, "alice")
    before = await counts(w.art)
    async with w.art.client() as client:
        answer = await client.post("/api/v1/statuses", headers=alice, json={
            "status": "Just a thought #sketch", "visibility": "private", "spoiler_text": "musings"})
        assert answer.status_code == 200, answer.text
        status = answer.json()
        assert_entity("Status", status)
        assert status["visibility"] == "private" and status["spoiler_text"] == "musings" and status["sensitive"]
        assert status["media_attachments"] == [] and status["fediverse"] is None
        reply = await client.post("/api/v1/statuses", headers=alice, json={
            "status": "and another", "in_reply_to_id": status["id"]})
        assert reply.status_code == 200 and reply.json()["in_reply_to_id"] == status["id"]
        assert (await client.get(f"/api/v1/statuses/{status['id']}")).status_code == 404  # private: signed out
    after = await counts(w.art)
    assert after["Work"] == before["Work"] and after["LocalNote"] == before["LocalNote"] + 2
    async with w.art.rt.sessions() as session:
        notes = list(await session.scalars(select(LocalNote).where(LocalNote.content == "Just a thought #sketch")))
        assert len(notes) == 1 and notes[0].visibility == "followers"


async def test_the_same_idempotency_key_gives_the_same_status_without_a_second_post(network: Network) -> None:
    w = await make_world(network)
    alice, dave = await token(w.art, "alice"), await token(w.art, "dave")
    before = await counts(w.art)
    async with w.art.client() as client:
        key = {"Idempotency-Key": "retry-42"}
        first = await client.post("/api/v1/statuses", headers={**alice, **key}, data={"status": "Once only"})
        again = await client.post("/api/v1/statuses", headers={**alice, **key}, data={"status": "Once only"})
        assert first.status_code == again.status_code == 200
        assert first.json()["id"] == again.json()["id"]
        other = await client.post("/api/v1/statuses", headers={**dave, **key}, data={"status": "Once only"})
        assert other.status_code == 200 and other.json()["id"] != first.json()["id"]  # keys are per person
        media = await _two_media(w, alice)
        work_key = {"Idempotency-Key": "work-1"}
        posted = [await client.post("/api/v1/statuses", headers={**alice, **work_key},
                                    data={"status": "", "media_ids[]": [m["id"] for m in media]}) for _ in range(2)]
        assert [p.status_code for p in posted] == [200, 200] and posted[0].json()["id"] == posted[1].json()["id"]
        retry = {"Idempotency-Key": "fails-first"}  # a refused post does not use the key up
        refused = await client.post("/api/v1/statuses", headers={**alice, **retry}, data={"status": ""})
        assert refused.status_code == 422
        made = await client.post("/api/v1/statuses", headers={**alice, **retry}, data={"status": "Now with text"})
        assert made.status_code == 200, made.text
        assert (await client.delete(f"/api/v1/statuses/{made.json()['id']}", headers=alice)).status_code == 200
        anew = await client.post("/api/v1/statuses", headers={**alice, **retry}, data={"status": "Now with text"})
        assert anew.status_code == 200 and anew.json()["id"] != made.json()["id"]  # its status was deleted
    after = await counts(w.art)
    assert after["LocalNote"] == before["LocalNote"] + 4 and after["Work"] == before["Work"] + 1


async def test_bad_requests_are_json_errors_and_write_nothing(network: Network) -> None:
    w = await make_world(network)
    alice, dave = await token(w.art, "alice"), await token(w.art, "dave")
    mine = await _two_media(w, alice)
    daves = await _two_media(w, dave)
    async with w.art.client() as client:
        used = (await upload(client, alice, description="Posted already")).json()
        posted = await client.post("/api/v1/statuses", headers=alice, data={"media_ids[]": [used["id"]]})
        assert posted.status_code == 200, posted.text
        late = await client.put(f"/api/v1/media/{used['id']}", headers=alice, data={"description": "too late"})
        assert late.status_code == 422 and "edit the status" in error_of(late)
        no_alt = (await upload(client, alice, description=None)).json()
        before = await counts(w.art)
        assert (await client.post("/api/v1/statuses", data={"status": "hi"})).status_code == 401
        assert (await client.post("/api/v1/statuses", headers={"Authorization": "Bearer bad"},
                                  data={"status": "hi"})).status_code == 401
        read_only = await client.post("/api/v1/statuses", headers=await token(w.art, "alice", "read"),
                                      data={"status": "hi"})
        assert read_only.status_code == 403 and error_of(read_only)
        media_only = await client.post("/api/v1/statuses", headers=await token(w.art, "alice", "write:media"),
                                       data={"status": "hi"})
        assert media_only.status_code == 403
        ok = mine[0]["id"]
        cases: list[dict[str, Any]] = [
            {"status": "x", "media_ids": ["12345678"]},  # unknown
            {"status": "x", "media_ids": [ok, daves[0]["id"]]},  # someone else's
            {"status": "x", "media_ids": [used["id"]]},  # used by another status
            {"status": "x", "media_ids": [ok, "not-an-id"]},  # malformed
            {"status": "x", "media_ids": [ok, "99999999999999999999999"]},
            {"status": "x", "media_ids": [ok, ok]},  # twice
            {"status": "x", "media_ids": [ok] + [str(n) for n in range(1, 11)]},  # more than images_per_work
            {"status": "x", "media_ids": [no_alt["id"]]},  # alt text is required by this instance
            {"status": "x", "media_ids": [ok], "visibility": "direct"},
            {"status": "x", "media_ids": [ok], "in_reply_to_id": "1"},
            {"status": "x", "visibility": "everyone"},
            {"status": ""},  # a note needs text
            {"status": "x" * 5001},
            {"status": "x", "in_reply_to_id": "123456789"},  # no such post
            {"status": "x", "in_reply_to_id": "abc"},
            {"status": "x", "media_ids": "12345678"},  # a single id, unknown
        ]
        answers = [await client.post("/api/v1/statuses", headers=alice, json=case) for case in cases]
        expected = [422] * len(cases)
        expected[13] = 404  # a reply to a post that is not here: Mastodon's "Record not found"
        assert [a.status_code for a in answers] == expected, [a.text for a in answers]
        assert all(error_of(a) for a in answers)
        hidden = await client.post("/api/v1/statuses", headers=dave, json={
            "status": "x", "in_reply_to_id": str(w.ids["followers_note"])})  # dave does not follow alice
        assert hidden.status_code == 404 and error_of(hidden), hidden.text  # as if it were not there
        broken = await client.post("/api/v1/statuses", headers={**alice, "Content-Type": "application/json"},
                                   content=b"{not json")
        assert broken.status_code == 400 and error_of(broken)
    assert await counts(w.art) == before
    for m in mine:
        assert await attached(w.art, int(m["id"])) is None  # still free to post


async def test_delete_returns_the_text_and_federates_the_delete(network: Network) -> None:
    w = await make_world(network)
    await act(w.social, "follow", "erin", "alice@art.test")
    await network.drain()
    alice, dave = await token(w.art, "alice"), await token(w.art, "dave")
    media = await _two_media(w, alice)
    async with w.art.client() as client:
        work = (await client.post("/api/v1/statuses", headers=alice, data={
            "status": "Soon gone #ink", "spoiler_text": "cw", "media_ids[]": [m["id"] for m in media]})).json()
        note = (await client.post("/api/v1/statuses", headers=alice, data={"status": "A passing note"})).json()
        await network.drain()
        for target in (work, note):
            path = f"/api/v1/statuses/{target['id']}"
            refused = await client.delete(path, headers=dave)
            assert refused.status_code == 404 and error_of(refused)
            assert (await client.delete(path, headers=await token(w.art, "alice", "read"))).status_code == 403
        assert (await client.delete(f"/api/v1/statuses/{w.ids['boost']}", headers=alice)).status_code == 404
        assert (await client.delete(f"/api/v1/statuses/{w.ids['erin_work']}", headers=alice)).status_code == 404
        gone = await client.delete(f"/api/v1/statuses/{work['id']}", headers=alice)
        assert gone.status_code == 200, gone.text
        assert gone.json()["text"] == "Soon gone #ink" and gone.json()["spoiler_text"] == "cw"
        assert gone.json()["id"] == work["id"]
        assert_entity("Status", gone.json())
        gone_note = await client.delete(f"/api/v1/statuses/{note['id']}/", headers=alice)
        assert gone_note.status_code == 200 and gone_note.json()["text"] == "A passing note"
        for target in (work, note):
            assert (await client.get(f"/api/v1/statuses/{target['id']}")).status_code == 404
            assert (await client.delete(f"/api/v1/statuses/{target['id']}", headers=alice)).status_code == 404
    async with w.art.rt.sessions() as session:
        assert (await session.scalar(select(Work).where(Work.uri == work["uri"]))).deleted_at is not None
    await network.drain()
    deleted = {d["object"]["id"] if isinstance(d["object"], dict) else d["object"]
               for d in await received(w.social, "Delete")}
    assert {work["uri"], note["uri"]} <= deleted


async def test_edit_source_and_history_of_an_own_work(network: Network) -> None:
    w = await make_world(network)
    alice, dave = await token(w.art, "alice"), await token(w.art, "dave")
    media = await _two_media(w, alice)
    async with w.art.client() as client:
        work = (await client.post("/api/v1/statuses", headers=alice, data={
            "status": "First words", "media_ids[]": [m["id"] for m in media]})).json()
        path = f"/api/v1/statuses/{work['id']}"
        source = await client.get(f"{path}/source", headers=alice)
        assert source.status_code == 200 and source.json() == {"id": work["id"], "text": "First words",
                                                               "spoiler_text": ""}
        assert_entity("StatusSource", source.json())
        assert (await client.get(f"{path}/source", headers=dave)).status_code == 404
        first_id = work["media_attachments"][0]["id"]
        edited = await client.put(path, headers=alice, json={
            "status": "Better words #ink", "spoiler_text": "", "media_ids": [a["id"] for a in work["media_attachments"]],
            "media_attributes": [{"id": first_id, "description": "Two red boats at the quay", "focus": "0,0.5"}]})
        assert edited.status_code == 200, edited.text
        body = edited.json()
        assert_entity("Status", body)
        assert "Better words" in body["content"] and body["edited_at"] is not None
        assert body["media_attachments"][0]["description"] == "Two red boats at the quay"
        assert body["media_attachments"][0]["meta"]["focus"] == {"x": 0.0, "y": 0.5}
        assert body["media_attachments"][1]["description"] == "The lighthouse in fog"
        form_edit = await client.put(path, headers=alice, data={
            "status": "Better words #ink", "media_attributes[][id]": work["media_attachments"][1]["id"],
            "media_attributes[][description]": "A lighthouse"})
        assert form_edit.status_code == 200, form_edit.text
        assert form_edit.json()["media_attachments"][1]["description"] == "A lighthouse"
        history = await client.get(f"{path}/history")
        assert history.status_code == 200
        assert_entities("StatusEdit", history.json())
        assert len(history.json()) == 1 and "Better words" in history.json()[0]["content"]
        kept = await client.put(path, headers=alice, json={"status": "Better words #ink", "media_ids": [first_id]})
        assert kept.status_code == 200 and len(kept.json()["media_attachments"]) == 2  # no removing images yet
        for bad in ({"status": "x", "media_ids": [first_id, "12345"]},  # adding an image
                    {"status": "x", "media_attributes": [{"id": "1", "description": "?"}]},
                    {"status": "x", "media_attributes": [{"id": first_id, "focus": "9,9"}]},
                    {"status": "x" * 10_001}):
            refused = await client.put(path, headers=alice, json=bad)
            assert refused.status_code == 422 and error_of(refused), refused.text
        assert (await client.put(path, headers=dave, json={"status": "mine now"})).status_code == 404
        note = (await client.post("/api/v1/statuses", headers=alice, data={"status": "plain"})).json()
        refused = await client.put(f"/api/v1/statuses/{note['id']}", headers=alice, json={"status": "changed"})
        assert refused.status_code == 422 and "not supported" in error_of(refused)
        assert (await client.get(f"/api/v1/statuses/{w.ids['direct_note']}/history")).status_code == 404
    async with w.art.rt.sessions() as session:
        stored = await session.scalar(select(Work).where(Work.uri == work["uri"]))
        assert stored is not None and stored.description == "Better words #ink"
        assert [i.alt_text for i in stored.images] == ["Two red boats at the quay", "A lighthouse"]


async def test_an_idempotency_key_and_a_marker_follow_the_instance_clock(network: Network) -> None:
    """The key's hour and a marker's time are read off the runtime's clock (a test's StepClock here), so an hour
    passing is an hour on that clock, never on the machine's."""
    clock = StepClock()
    art = await network.add("art.test", clock=clock)
    await make_user(art, "alice", password=PASSWORD)  # she may sign in, so her app's token works
    alice = await token(art, "alice")
    key = {**alice, "Idempotency-Key": "hourly"}
    async with art.client() as client:
        first = await client.post("/api/v1/statuses", headers=key, data={"status": "Morning"})
        clock.advance(59 * 60)
        within = await client.post("/api/v1/statuses", headers=key, data={"status": "Morning"})
        clock.advance(2 * 60)
        after = await client.post("/api/v1/statuses", headers=key, data={"status": "Morning"})
        assert first.status_code == within.status_code == after.status_code == 200
        assert within.json()["id"] == first.json()["id"] and after.json()["id"] != first.json()["id"]
        marker = await client.post("/api/v1/markers", json={"home": {"last_read_id": after.json()["id"]}},
                                   headers=alice)
    assert marker.status_code == 200, marker.text
    assert marker.json()["home"]["updated_at"] == entities.timestamp(clock.now())
