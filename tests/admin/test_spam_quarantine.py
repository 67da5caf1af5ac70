"""The quarantine with two real instances: a spam wave from social.test is held on art.test, nobody is
notified, and a moderator releases (processed as usual), discards, or discards everything and suspends."""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy import func, select

from fediverse.clock import SYSTEM_CLOCK, Clock
from fediverse.db import accounts as account_db
from fediverse.models import AuditLog, InboundActivity, Notification, RemoteNote
from tests.federation.helpers import act, make_user
from tests.federation.test_inbox_bad_input import signed_post
from tests.support import Instance, Network, StepClock
from tests.web.panel_client import PASSWORD, browser, csrf_of, login

AS = "https://www.w3.org/ns/activitystreams"
SPAM = 'Cheap followers! <a href="https://spam.example/buy" rel="nofollow">spam.example/buy</a>'


def create(sender: str, n: int, mentions: list[str], content: str) -> dict[str, Any]:
    actor = f"https://social.test/users/{sender}"
    note = f"{actor}/statuses/{n}"
    tags = "".join(f'<span class="h-card"><a href="{m}" class="u-url mention">@<span>{m.rsplit("/", 1)[1]}</span></a></span> '
                   for m in mentions)
    return {"@context": AS, "id": f"{note}/activity", "type": "Create", "actor": actor, "to": mentions,
            "object": {"id": note, "type": "Note", "attributedTo": actor, "to": mentions,
                       "content": f"<p>{tags}{content}</p>", "published": "2026-12-06T10:00:00Z",
                       "tag": [{"type": "Mention", "href": m} for m in mentions]}}


async def send(social: Instance, art: Instance, sender: str, n: int, mentions: list[str], content: str) -> None:
    status, answer = await signed_post(social, art, orjson.dumps(create(sender, n, mentions, content)),
                                       username=sender, path="/inbox")
    assert status == 202, answer


async def count(instance: Instance, model: Any, *where: Any) -> int:
    async with instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def held(instance: Instance) -> list[InboundActivity]:
    async with instance.rt.sessions() as session:
        return list((await session.scalars(select(InboundActivity).where(
            InboundActivity.quarantine_reason.is_not(None), InboundActivity.reviewed_at.is_(None))
            .order_by(InboundActivity.id))).all())


async def setup(network: Network, clock: Clock = SYSTEM_CLOCK, **spam: Any) -> tuple[Instance, Instance, list[str]]:
    art = await network.add("art.test", clock, spam=spam)
    social = await network.add("social.test")
    locals_ = []
    for n in range(10):
        await make_user(art, f"artist{n}")
        locals_.append(f"https://art.test/users/artist{n}")
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    return art, social, locals_


async def test_a_spam_wave_from_a_fresh_account_is_held_then_released_or_discarded(network: Network) -> None:
    art, social, locals_ = await setup(network)
    await make_user(social, "spammer")
    for n, target in enumerate(locals_):
        await send(social, art, "spammer", n, [target], SPAM)
    await network.drain()
    waiting = await held(art)
    assert len(waiting) == 10
    assert all(row.quarantine_reason and row.quarantine_reason.startswith("new account") for row in waiting)
    assert all(row.processed_at is None for row in waiting)
    assert await count(art, Notification) == 0 and await count(art, RemoteNote) == 0

    async with browser(art) as client:
        await login(client, "mod")
        listing = await client.get("/admin/quarantine")
        assert listing.status_code == 200
        assert "new account" in listing.text and "@spammer@social.test" in listing.text
        assert "10 held from this account" in listing.text
        assert 'href="https://spam.example/buy"' in listing.text and "<script" not in listing.text
        csrf = csrf_of(listing.text)
        first, second = waiting[0], waiting[1]
        released = await client.post(f"/admin/quarantine/{first.id}/release", data={"csrf_token": csrf})
        assert released.status_code == 303
        assert await count(art, Notification) == 1 and await count(art, RemoteNote) == 1  # the normal path ran
        again = await client.post(f"/admin/quarantine/{first.id}/release", data={"csrf_token": csrf})
        assert again.status_code == 404 and await count(art, Notification) == 1  # released once only
        dropped = await client.post(f"/admin/quarantine/{second.id}/discard", data={"csrf_token": csrf})
        assert dropped.status_code == 303
        no_token = await client.post(f"/admin/quarantine/{waiting[2].id}/discard-actor", data={})
        assert no_token.status_code == 403 and len(await held(art)) == 8
        wiped = await client.post(f"/admin/quarantine/{waiting[2].id}/discard-actor",
                                  data={"csrf_token": csrf, "reason": "spam wave"})
        assert wiped.status_code == 303
    assert await held(art) == []
    assert await count(art, Notification) == 1 and await count(art, RemoteNote) == 1
    assert await count(art, InboundActivity, InboundActivity.outcome == "discarded by a moderator") == 9
    async with art.rt.sessions() as session:
        spammer = await account_db.by_uri(session, "https://social.test/users/spammer")
        assert spammer is not None and spammer.suspended_at is not None
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    # the suspension is the accounts page's own (follows removed too), logged as such before the discard
    assert actions == ["quarantine.release", "quarantine.discard", "account.suspend", "quarantine.discard_actor"]


async def test_an_artist_cannot_review_the_quarantine(network: Network) -> None:
    art, social, locals_ = await setup(network)
    await make_user(art, "plain", password=PASSWORD)
    await make_user(social, "spammer")
    await send(social, art, "spammer", 1, locals_[:1], SPAM)
    await network.drain()
    [row] = await held(art)
    async with browser(art) as client:
        await login(client, "plain")
        assert (await client.get("/admin/quarantine")).status_code == 403
        csrf = csrf_of((await client.get("/studio")).text)
        refused = await client.post(f"/admin/quarantine/{row.id}/release", data={"csrf_token": csrf})
        assert refused.status_code == 403
    assert len(await held(art)) == 1 and await count(art, Notification) == 0


async def known_sender(network: Network, art: Instance, social: Instance) -> None:
    """bob on social.test follows artist0 on art.test: an account with history."""
    await make_user(social, "bob")
    await act(social, "follow", "bob", "artist0@art.test")
    await network.drain()


async def test_the_same_text_to_many_artists_is_held_once_it_reaches_the_threshold(network: Network) -> None:
    art, social, locals_ = await setup(network, identical_message_threshold=4)
    await known_sender(network, art, social)
    text = "Hello, I love your work, visit my gallery for a special offer today"
    for n, target in enumerate(locals_[:6]):
        await send(social, art, "bob", n, [target], text)
        await network.drain()
    waiting = await held(art)
    assert [row.quarantine_reason for row in waiting] == [
        "identical message: the same text reached 4 local accounts within an hour",
        "identical message: the same text reached 5 local accounts within an hour",
        "identical message: the same text reached 6 local accounts within an hour"]
    assert await count(art, Notification, Notification.kind == "mention") == 3
    # a different text from the same account still goes through
    await send(social, art, "bob", 99, [locals_[7]], "A real question about your brushes")
    await network.drain()
    assert await count(art, Notification, Notification.kind == "mention") == 4 and len(await held(art)) == 3


async def test_link_only_posts_are_held_only_while_the_setting_is_on(network: Network) -> None:
    art, social, locals_ = await setup(network)
    await known_sender(network, art, social)
    link = '<a href="https://elsewhere.example/x">elsewhere.example/x</a>'
    await send(social, art, "bob", 1, [locals_[1]], link)
    await network.drain()
    [row] = await held(art)
    assert row.quarantine_reason == "link-only post (1 link(s), no other text)"
    art.rt.settings = art.rt.settings.replace(spam={"quarantine_link_only": False})
    await send(social, art, "bob", 2, [locals_[2]], link)
    await network.drain()
    assert len(await held(art)) == 1 and await count(art, Notification, Notification.kind == "mention") == 1


async def test_the_listing_shows_a_short_note_whole_and_cuts_a_long_one_with_an_ellipsis(network: Network) -> None:
    art, social, locals_ = await setup(network)
    await make_user(social, "spammer")
    async with browser(art) as client:
        await login(client, "mod")
        assert "0 waiting" in (await client.get("/admin/quarantine")).text
        await send(social, art, "spammer", 1, locals_[:1], "Short and whole SHORT-END")
        await send(social, art, "spammer", 2, locals_[1:2], "Long " + "words " * 120 + "LONG-END")
        html = create("spammer", 3, locals_[2:3], "")["object"]["content"]
        exact = "x" * (600 - len(html) - len("EXACT-END")) + "EXACT-END"  # a note of exactly 600 characters
        await send(social, art, "spammer", 3, locals_[2:3], exact)
        await network.drain()
        assert len(await held(art)) == 3
        listing = (await client.get("/admin/quarantine")).text
    assert "3 waiting" in listing
    # shown whole up to 600 characters of the note's HTML, cut after
    assert "SHORT-END" in listing and "EXACT-END" in listing and "LONG-END" not in listing
    assert listing.count("…") == 1  # only the long one


async def test_follows_between_others_are_not_the_new_accounts_history(network: Network) -> None:
    art, social, locals_ = await setup(network)
    await make_user(social, "spammer")
    await make_user(social, "bob")
    await send(social, art, "spammer", 1, locals_[:1], SPAM)
    await network.drain()
    await act(art, "follow", "artist1", "bob@social.test")  # bob becomes known after the spammer: a later account
    await act(social, "follow", "bob", "artist0@art.test")  # and follows an account older than the spammer
    await network.drain()
    await send(social, art, "spammer", 2, locals_[2:3], SPAM + " again")
    await network.drain()
    assert [row.quarantine_reason.startswith("new account") for row in await held(art) if row.quarantine_reason] == [
        True, True]


async def test_the_same_text_counts_only_within_the_hour(network: Network) -> None:
    from datetime import timedelta

    art, social, locals_ = await setup(network, identical_message_threshold=3)
    await known_sender(network, art, social)
    text = "Hello, I love your work, visit my gallery for a special offer today"
    for n, target in enumerate(locals_[:2]):
        await send(social, art, "bob", n, [target], text)
    await network.drain()
    async with art.rt.sessions() as session:  # those two arrived 61 minutes ago (received_at is the wall clock's)
        for row in await session.scalars(select(InboundActivity).where(InboundActivity.type == "Create")):
            row.received_at -= timedelta(minutes=61)
        await session.commit()
    await send(social, art, "bob", 2, [locals_[2]], text)
    await network.drain()
    assert await held(art) == []
    assert await count(art, Notification, Notification.kind == "mention") == 3


async def test_the_same_text_window_is_read_from_the_instance_clock(network: Network) -> None:
    clock = StepClock(time.time())
    art, social, locals_ = await setup(network, clock, identical_message_threshold=3)
    await known_sender(network, art, social)
    text = "Hello, I love your work, visit my gallery for a special offer today"
    for n, target in enumerate(locals_[:2]):
        await send(social, art, "bob", n, [target], text)
    await network.drain()
    clock.advance(61 * 60)  # an hour and a minute later, by art.test's clock
    await send(social, art, "bob", 2, [locals_[2]], text)
    await network.drain()
    assert await held(art) == []
    assert await count(art, Notification, Notification.kind == "mention") == 3


async def test_a_long_standing_strangers_first_mention_is_not_held(network: Network) -> None:
    """The account's own server says it was created years ago (as Mastodon's `published` does): first seen here
    today, it is still not a new account."""
    art, social, locals_ = await setup(network)
    await make_user(social, "carol")
    await send(social, art, "carol", 1, locals_[:1], "Hello from an old friend of the fediverse")  # held: ours is new
    await network.drain()
    async with art.rt.sessions() as session:
        carol = await account_db.by_uri(session, "https://social.test/users/carol")
        assert carol is not None
        carol.raw = {**carol.raw, "published": "2016-04-01T00:00:00Z"}  # as a fetch of an older account reads it
        await session.commit()
    await send(social, art, "carol", 2, locals_[1:2], "Another hello to a second artist")
    await network.drain()
    assert len(await held(art)) == 1
    assert await count(art, Notification, Notification.kind == "mention") == 1


async def test_a_new_account_that_liked_a_work_here_has_history(network: Network) -> None:
    from tests.federation.test_works_federation import post_work

    art, social, locals_ = await setup(network)
    await make_user(social, "carol")
    work = await post_work(art, "artist0", 1, title="Harbour")
    like = {"@context": AS, "id": "https://social.test/users/carol/likes/1", "type": "Like",
            "actor": "https://social.test/users/carol", "object": work.uri}
    status, _ = await signed_post(social, art, orjson.dumps(like), username="carol", path="/inbox")
    assert status == 202
    await network.drain()
    await send(social, art, "carol", 1, locals_[1:2], "Your harbour made my day")
    await network.drain()
    assert await held(art) == []
    assert await count(art, Notification, Notification.kind == "mention") == 1


async def test_a_create_the_parser_refuses_does_not_break_the_check_of_the_next_note(network: Network) -> None:
    art, social, locals_ = await setup(network, quarantine_new_account_hours=0)
    await make_user(social, "bob")
    odd = {"@context": AS, "id": "https://social.test/users/bob/odd/activity", "type": "Create",
           "actor": "https://social.test/users/bob", "object": "https://social.test/users/bob/odd"}  # no embedded note
    status, _ = await signed_post(social, art, orjson.dumps(odd), path="/inbox")
    assert status == 202
    await send(social, art, "bob", 1, locals_[:1], "A real question about your brushes")
    await network.drain()
    assert await held(art) == []
    assert await count(art, Notification, Notification.kind == "mention") == 1


async def test_only_creates_count_as_sending_the_same_text_not_a_boost_that_embeds_it(network: Network) -> None:
    art, social, locals_ = await setup(network, identical_message_threshold=2)
    await known_sender(network, art, social)
    text = "Hello, I love your work, visit my gallery for a special offer today"
    boost = {"@context": AS, "id": "https://social.test/users/bob/boosts/1", "type": "Announce",
             "actor": "https://social.test/users/bob", "object": create("someone", 7, locals_[:1], text)["object"]}
    status, _ = await signed_post(social, art, orjson.dumps(boost), path="/inbox")
    assert status == 202
    await network.drain()
    await send(social, art, "bob", 1, locals_[1:2], text)
    await network.drain()
    assert await held(art) == []
    assert await count(art, Notification, Notification.kind == "mention") == 1


async def test_different_texts_do_not_add_up_to_the_threshold(network: Network) -> None:
    from fediverse.activitypub.note_text import read_note_text

    art, social, locals_ = await setup(network, identical_message_threshold=2)
    await known_sender(network, art, social)
    texts = ["A real question about your brushes", "Which paper did you use for the harbour study?"]
    texts.sort(key=lambda t: read_note_text(create("bob", 0, [], t)["object"]["content"], []).fingerprint)
    for n, text in enumerate(texts):  # the smaller fingerprint first: an ordering compare would count it
        await send(social, art, "bob", n, [locals_[n]], text)
        await network.drain()
    assert await held(art) == []
    assert await count(art, Notification, Notification.kind == "mention") == 2
