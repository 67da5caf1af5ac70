"""The studio over HTTP: upload, edit, delete, arrange, profile and notifications, federated to a second instance."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.models import InboundActivity, Notification, RemoteNote, Work
from fediverse.services.works import ImageUpload, WorkInput, create_work
from tests.federation.helpers import act, edge_state, make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, csrf_of, errors_in, jpeg, login, post_form

AP = {"Accept": "application/activity+json"}
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


async def _artist_with_follower(network: Network, **options: Any) -> tuple[Instance, Instance]:
    art = await network.add("art.test")
    social = await network.add("social.test")
    await make_user(art, "alice", password=PASSWORD, **options)
    await make_user(social, "bob")
    await act(social, "follow", "bob", "alice@art.test")
    await network.drain()
    return art, social


async def _received(instance: Instance, kind: str) -> list[dict[str, Any]]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(InboundActivity).where(InboundActivity.type == kind).order_by(InboundActivity.id))
        return [row.raw for row in rows]


async def works_of(instance: Instance, username: str = "alice") -> list[Work]:
    async with instance.rt.sessions() as session:
        account = await account_db.local_by_username(session, username)
        assert account is not None
        return await work_db.portfolio(session, account.id, limit=100, offset=0)


def stored_files(instance: Instance) -> list[Path]:
    root = Path(instance.rt.settings.media.root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _two_images() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("image1", ("sunrise.jpg", jpeg(64, 48, (230, 120, 40)), "image/jpeg")),
            ("image2", ("dusk.jpg", jpeg(40, 60, (40, 40, 160)), "image/jpeg"))]


async def _post_work(instance: Instance, username: str, title: str, license_url: str | None = None) -> Work:
    async with instance.rt.sessions() as session:
        user = await account_db.local_user(session, username)
        assert user is not None
        return await create_work(instance.rt, session, user, WorkInput(title=title, license_url=license_url),
                                 [ImageUpload(jpeg(), alt_text=f"{title} picture")])


async def test_two_image_upload_is_on_the_portfolio_and_reaches_a_follower_with_alt_blurhash_and_size(
    network: Network,
) -> None:
    art, social = await _artist_with_follower(network)
    async with browser(art) as client:
        await login(client, "alice")
        form = await client.get("/studio/new")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        response = await post_form(client, "/studio/new", "/studio/new", data={
            "title": "Harbour at dawn", "description": "Gouache study. #gouache", "licence": CC_BY,
            "visibility": "public", "alt1": "A harbour at sunrise, orange sky over still water",
            "focal_x1": "0.5", "focal_y1": "-0.25", "alt2": "The same harbour at dusk, deep blue",
        }, files=_two_images())
        assert response.status_code == 303, errors_in(response.text)
        [work] = await works_of(art)
        assert response.headers["location"] == f"/studio#work-{work.public_id}"
        studio = await client.get("/studio")
        assert "Published Harbour at dawn." in studio.text
        assert 'alt="A harbour at sunrise, orange sky over still water"' in studio.text
        portfolio = await client.get("/@alice")
        page = await client.get(f"/@alice/{work.public_id}")
    assert 'alt="A harbour at sunrise, orange sky over still water"' in portfolio.text
    assert "The same harbour at dusk, deep blue" in page.text
    assert [(i.alt_text, i.width, i.height) for i in work.images] == [
        ("A harbour at sunrise, orange sky over still water", 64, 48), ("The same harbour at dusk, deep blue", 40, 60)]

    await network.drain()
    [create] = await _received(social, "Create")
    note = create["object"]
    assert note["name"] == "Harbour at dawn" and note["license"] == CC_BY
    assert [(a["name"], a["width"], a["height"]) for a in note["attachment"]] == [
        ("A harbour at sunrise, orange sky over still water", 64, 48), ("The same harbour at dusk, deep blue", 40, 60)]
    assert all(isinstance(a["blurhash"], str) and len(a["blurhash"]) >= 6 for a in note["attachment"])
    assert note["attachment"][0]["focalPoint"] == [0.5, -0.25]
    async with browser(art) as anyone:
        image = await anyone.get(note["attachment"][0]["url"])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")


async def test_missing_alt_text_shows_an_error_by_the_image_keeps_the_input_and_stores_nothing(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        response = await post_form(client, "/studio/new", "/studio/new", data={
            "title": "Kept title", "description": "Kept description", "alt1": "", "alt2": "Kept alt text",
        }, files=_two_images())
    assert response.status_code == 400
    assert re.search(r'id="image1-error">Alt text is required', response.text), errors_in(response.text)
    assert 'value="Kept title"' in response.text and "Kept description" in response.text
    assert ">Kept alt text</textarea>" in response.text
    assert "choose the image files again" in response.text
    assert await works_of(art) == []
    assert stored_files(art) == []


async def test_a_file_that_is_not_an_image_is_refused_next_to_its_slot_and_nothing_is_half_stored(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        response = await post_form(client, "/studio/new", "/studio/new", data={"alt1": "fine", "alt2": "broken"}, files=[
            ("image1", ("ok.jpg", jpeg(), "image/jpeg")),
            ("image2", ("notes.jpg", b"<html>this is not a picture</html>", "image/jpeg")),
        ])
    assert response.status_code == 400
    assert re.search(r'id="image2-error">', response.text), errors_in(response.text)
    assert await works_of(art) == []
    assert stored_files(art) == []


async def test_an_oversized_request_is_refused_with_413_before_it_is_read(network: Network) -> None:
    art = await network.add("art.test", media={"max_upload_bytes": 20_000, "images_per_work": 2})
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        response = await post_form(client, "/studio/new", "/studio/new", data={"alt1": "big"},
                                   files=[("image1", ("big.jpg", b"\xff" * 1_200_000, "image/jpeg"))])
        assert response.status_code == 413
        assert "too large" in response.text
        single = await post_form(client, "/studio/new", "/studio/new", data={"alt1": "big", "title": "Big one"},
                                 files=[("image1", ("big.jpg", b"\xff" * 30_000, "image/jpeg"))])
    assert single.status_code == 400
    assert 'id="image1-error">big.jpg is 29 KB; the limit is 20 KB per image.' in single.text
    assert 'value="Big one"' in single.text
    assert await works_of(art) == []


async def test_bad_form_values_give_form_errors_not_server_errors(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        cases = [
            ({"alt1": "x", "visibility": "everyone"}, "who can see"),
            ({"alt1": "x", "licence": "javascript:alert(1)"}, "licence"),
            ({"alt1": "x", "focal_x1": "nan", "focal_y1": "2"}, "focal point"),
            ({"alt1": "x", "title": "t" * 400}, "title must be at most"),
        ]
        for data, expected in cases:
            response = await post_form(client, "/studio/new", "/studio/new", data=data,
                                       files=[("image1", ("a.jpg", jpeg(), "image/jpeg"))])
            assert response.status_code == 400, (data, response.status_code)
            assert expected in response.text.lower(), (expected, errors_in(response.text))
        nothing = await post_form(client, "/studio/new", "/studio/new", data={"title": "No image"})
        assert nothing.status_code == 400 and "Choose at least one image." in nothing.text
        stray = await post_form(client, "/studio/new", "/studio/new", data={"alt3": "orphan alt"})
        assert stray.status_code == 400 and "chose no image file" in stray.text
        assert (await client.get("/studio/works/doesnotexist/edit")).status_code == 404
        assert (await post_form(client, "/studio", "/studio/works/nope/move", {"direction": "up"})).status_code == 404
        assert (await post_form(client, "/studio", "/studio/works/nope/pin", {"pinned": "1"})).status_code == 404
        assert (await post_form(client, "/studio", "/studio/follow-requests/999/approve")).status_code == 404
        garbage = await client.post("/studio/new", content=b"--x\r\ngarbage", headers={
            "content-type": "multipart/form-data; boundary=x"})  # reads as an empty form: no CSRF token in it
        assert garbage.status_code == 403 and "security token is missing or wrong" in garbage.text
        unreadable = await client.post("/studio/new", content=b"--x\r\ngarbage", headers={
            "content-type": "multipart/form-data"})  # no boundary: the form cannot be read at all
        assert unreadable.status_code == 400 and "The form could not be read" in unreadable.text, unreadable.text
        assert (await client.get("/studio?page=-3")).status_code == 200
    assert await works_of(art) == []


async def test_edit_changes_text_and_alt_text_and_federates_an_update(network: Network) -> None:
    art, social = await _artist_with_follower(network)
    work = await _post_work(art, "alice", "Draft", license_url="https://example.com/my-own-licence")
    async with browser(art) as client:
        await login(client, "alice")
        edit = await client.get(f"/studio/works/{work.public_id}/edit")
        assert edit.status_code == 200 and 'value="Draft"' in edit.text
        assert '<option value="https://example.com/my-own-licence" selected>' in edit.text  # set from the CLI
        missing = await post_form(client, f"/studio/works/{work.public_id}/edit", f"/studio/works/{work.public_id}/edit",
                                  {"title": "Final", "alt1": "  "})
        assert missing.status_code == 400 and "Alt text is required" in missing.text
        assert 'value="Final"' in missing.text
        response = await post_form(client, f"/studio/works/{work.public_id}/edit", f"/studio/works/{work.public_id}/edit", {
            "title": "Final", "description": "Finished it", "alt1": "A finished red square", "visibility": "public",
            "licence": CC_BY,
        })
        assert response.status_code == 303, errors_in(response.text)
    [stored] = await works_of(art)
    assert (stored.title, stored.images[0].alt_text, stored.license_url) == ("Final", "A finished red square", CC_BY)
    await network.drain()
    updates = await _received(social, "Update")  # the edit, then the re-stamp of the files (new licence inside)
    assert updates and all(u["object"]["name"] == "Final" for u in updates)
    assert all(u["object"]["attachment"][0]["name"] == "A finished red square" for u in updates)


async def test_delete_asks_first_then_the_work_answers_410_everywhere(network: Network) -> None:
    art, social = await _artist_with_follower(network)
    work = await _post_work(art, "alice", "Regret")
    async with browser(art) as client:
        await login(client, "alice")
        confirm = await client.get(f"/studio/works/{work.public_id}/delete")
        assert confirm.status_code == 200 and "Delete for good" in confirm.text
        assert await works_of(art) != []
        response = await post_form(client, f"/studio/works/{work.public_id}/delete", f"/studio/works/{work.public_id}/delete")
        assert response.status_code == 303
        gone = await client.get(work.uri, headers=AP)
        assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
        assert f"work-{work.public_id}" not in (await client.get("/studio")).text
        again = await client.get(f"/studio/works/{work.public_id}/delete")
        assert again.status_code == 404
    await network.drain()
    [delete] = await _received(social, "Delete")
    assert delete["object"]["id"] == work.uri


async def test_arrange_with_up_down_and_position_and_pin(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    first = await _post_work(art, "alice", "One")
    second = await _post_work(art, "alice", "Two")
    third = await _post_work(art, "alice", "Three")  # newest first: Three, Two, One

    async def order() -> list[str]:
        return [w.title for w in await works_of(art)]

    assert await order() == ["Three", "Two", "One"]
    async with browser(art) as client:
        await login(client, "alice")
        await post_form(client, "/studio", f"/studio/works/{first.public_id}/move", {"direction": "up"})
        assert await order() == ["Three", "One", "Two"]
        await post_form(client, "/studio", f"/studio/works/{third.public_id}/move", {"direction": "down"})
        assert await order() == ["One", "Three", "Two"]
        await post_form(client, "/studio", f"/studio/works/{second.public_id}/move", {"position": "1"})
        assert await order() == ["Two", "One", "Three"]
        await post_form(client, "/studio", f"/studio/works/{second.public_id}/move", {"position": "99"})
        assert await order() == ["One", "Three", "Two"]
        bad = await post_form(client, "/studio", f"/studio/works/{second.public_id}/move", {"position": "first"})
        assert bad.status_code == 303
        assert "whole number" in (await client.get("/studio")).text
        pinned = await post_form(client, "/studio", f"/studio/works/{third.public_id}/pin", {"pinned": "1"})
        assert pinned.status_code == 303
        featured = await client.get("https://art.test/users/alice/collections/featured", headers=AP)
        assert [item["id"] for item in featured.json()["orderedItems"]] == [third.uri]
        studio = await client.get("/studio")
        assert "Unpin" in studio.text


async def test_profile_edit_with_avatar_links_and_default_licence_federates(network: Network) -> None:
    art, social = await _artist_with_follower(network)
    async with browser(art) as client:
        await login(client, "alice")
        response = await post_form(client, "/studio/profile", "/studio/profile", data={
            "display_name": "Alice Ink", "bio": "Ink and gouache.", "field_name1": "Shop",
            "field_value1": "https://shop.example/alice", "licence": CC_BY, "locked": "1",
        }, files=[("avatar", ("me.jpg", jpeg(600, 500), "image/jpeg")),
                  ("header", ("wide.jpg", jpeg(900, 300), "image/jpeg"))])
        assert response.status_code == 303, errors_in(response.text)
        page = await client.get("/studio/profile")
        assert "Profile saved." in page.text and 'value="Alice Ink"' in page.text
        async with art.rt.sessions() as session:
            account = await account_db.local_by_username(session, "alice")
        assert account is not None
        assert account.icon_url and account.icon_url.startswith("https://art.test/media/alice/")
        assert account.image_url and account.image_url.startswith("https://art.test/media/alice/")
        assert account.default_license_url == CC_BY and account.manually_approves_followers
        avatar = await client.get(account.icon_url)
        assert avatar.status_code == 200
        bad = await post_form(client, "/studio/profile", "/studio/profile", data={"display_name": "Still Alice"},
                              files=[("avatar", ("me.jpg", b"not an image at all", "image/jpeg"))])
        assert bad.status_code == 400 and re.search(r'id="avatar-error">', bad.text)
        assert 'value="Still Alice"' in bad.text
        new = await post_form(client, "/studio/new", "/studio/new", data={"alt1": "Default licence test", "licence": ""},
                              files=[("image1", ("a.jpg", jpeg(), "image/jpeg"))])
        assert new.status_code == 303
    [work] = await works_of(art)
    assert work.license_url == CC_BY
    await network.drain()
    person = [u["object"] for u in await _received(social, "Update") if u["object"].get("type") == "Person"][-1]
    assert person["name"] == "Alice Ink"
    assert person["icon"]["url"] == account.icon_url and person["image"]["url"] == account.image_url
    assert person["attachment"] == [{  # Mastodon shows the value as HTML; rel=me lets it verify the link
        "type": "PropertyValue", "name": "Shop",
        "value": '<a href="https://shop.example/alice" rel="me nofollow noopener" target="_blank">https://shop.example/alice</a>',
    }]
    assert person["manuallyApprovesFollowers"] is True


async def test_notifications_list_follow_requests_that_can_be_approved(network: Network) -> None:
    art = await network.add("art.test")
    social = await network.add("social.test")
    alice = await make_user(art, "alice", password=PASSWORD, manually_approves_followers=True)
    bob = await make_user(social, "bob")
    carol = await make_user(social, "carol")
    await act(social, "follow", "bob", "alice@art.test")
    await act(social, "follow", "carol", "alice@art.test")
    await network.drain()
    async with browser(art) as client:
        await login(client, "alice")
        studio = await client.get("/studio")
        assert 'aria-label="2 unread"' in studio.text
        page = await client.get("/studio/notifications")
        assert page.status_code == 200
        assert page.text.count("asked to follow you") == 2 and page.text.count("wants to follow you") == 2
        requests = dict(re.findall(r'<span class="handle">@(\w+)@social\.test</span> wants to follow you\.\s*'
                                   r'<span class="actions">\s*<form method="post" action="/studio/follow-requests/(\d+)/approve"',
                                   page.text))
        assert set(requests) == {"bob", "carol"}  # the two arrive in either order
        approve = await post_form(client, "/studio/notifications", f"/studio/follow-requests/{requests['bob']}/approve")
        assert approve.status_code == 303
        reject = await post_form(client, "/studio/notifications", f"/studio/follow-requests/{requests['carol']}/reject")
        assert reject.status_code == 303
        after = await client.get("/studio/notifications")
        assert "wants to follow you" not in after.text
        assert 'aria-label="2 unread"' not in after.text
    await network.drain()
    assert await edge_state(social, bob.account.uri, alice.account.uri) == "accepted"
    assert await edge_state(social, carol.account.uri, alice.account.uri) is None


async def test_an_artist_cannot_touch_another_artists_work(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "mallory", password=PASSWORD)
    work = await _post_work(art, "alice", "Mine")
    async with browser(art) as client:
        await login(client, "mallory")
        assert (await client.get(f"/studio/works/{work.public_id}/edit")).status_code == 404
        response = await post_form(client, "/studio", f"/studio/works/{work.public_id}/delete")
        assert response.status_code == 404
        response = await post_form(client, "/studio", f"/studio/works/{work.public_id}/pin", {"pinned": "1"})
        assert response.status_code == 404
    assert [w.title for w in await works_of(art)] == ["Mine"]


async def test_notifications_show_likes_boosts_replies_and_mentions_with_the_work(network: Network) -> None:
    art, social = await _artist_with_follower(network)
    work = await _post_work(art, "alice", "Heron")
    async with art.rt.sessions() as session:
        alice = await account_db.local_by_username(session, "alice")
        bob = await account_db.by_uri(session, "https://social.test/users/bob")
        assert alice is not None and bob is not None
        reply = RemoteNote(uri="https://social.test/notes/1", url="https://social.test/@bob/1", account_id=bob.id,
                           work_id=work.id, content_html='<p>Lovely <script>alert(1)</script><b>heron</b></p>',
                           raw={}, visibility="direct")
        mention = RemoteNote(uri="https://social.test/notes/2", account_id=bob.id, content_html="<p>@alice look</p>",
                             raw={}, visibility="direct")
        session.add_all([reply, mention])
        await session.flush()
        session.add_all([
            Notification(account_id=alice.id, kind="like", actor_id=bob.id, work_id=work.id),
            Notification(account_id=alice.id, kind="announce", actor_id=bob.id, work_id=work.id),
            Notification(account_id=alice.id, kind="reply", actor_id=bob.id, work_id=work.id, note_id=reply.id),
            Notification(account_id=alice.id, kind="mention", actor_id=bob.id, note_id=mention.id),
        ])
        await session.commit()
    async with browser(art) as client:
        await login(client, "alice")
        assert 'aria-label="5 unread"' in (await client.get("/studio")).text  # + bob's follow
        page = await client.get("/studio/notifications")
        text = re.sub(r"\s+", " ", page.text)
        for sentence in ("followed you", "liked <a", "boosted <a", "replied to <a", "mentioned you"):
            assert sentence in text, sentence
        assert f"/@alice/{work.public_id}" in page.text and "@bob@social.test" in page.text
        assert "<b>heron</b>" in page.text and "<script>" not in page.text
        assert "unread" not in (await client.get("/studio")).text.split("</nav>")[0]  # seen now


async def test_a_chunked_upload_without_content_length_is_capped_too(network: Network) -> None:
    art = await network.add("art.test", media={"max_upload_bytes": 20_000, "images_per_work": 1})
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        csrf = csrf_of((await client.get("/studio/new")).text)
        prepared = client.build_request("POST", "/studio/new", data={"csrf_token": csrf, "alt1": "big"},
                                        files=[("image1", ("big.jpg", b"\xff" * 1_300_000, "image/jpeg"))])
        body = prepared.read()

        async def chunks():  # type: ignore[no-untyped-def]
            for start in range(0, len(body), 65536):
                yield body[start:start + 65536]

        headers = {"content-type": prepared.headers["content-type"]}
        response = await client.post("/studio/new", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert await works_of(art) == []
