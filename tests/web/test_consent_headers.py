"""Consent headers and <head> elements on every page, AS2 document, feed and media file (web/consent.py).

Three artists on an instance whose default refuses AI training: alice refuses everything and opts out of search,
bob opts in (training, AI input, no TDM reservation, CC BY), carol keeps the instance default.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.services.profile import ProfileImage, update_profile
from fediverse.web.consent import target_of
from tests import imagecorpus as corpus
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import AP_ACCEPT, parse, post_work

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"
ALL_RIGHTS_RESERVED = [f'<{IN_COPYRIGHT}>; rel="license"']  # no licence chosen: stated, not left out
ALICE = {"ai_training": "none", "search": False}
BOB = {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True, "licence_url": CC_BY}
STRICT = {"x-robots-tag": "noai, noimageai, noarchive", "tdm-reservation": "1",
          "content-usage": "train-ai=n, search=y"}


async def set_consent(instance: Instance, username: str, values: dict[str, Any] | None) -> None:
    async with instance.rt.sessions() as session:
        account = await account_db.local_by_username(session, username)
        assert account is not None
        account.consent = values
        await session.commit()


async def set_work_consent(instance: Instance, public_id: str, values: dict[str, Any] | None) -> None:
    async with instance.rt.sessions() as session:
        work = await work_db.by_public_id(session, public_id)
        assert work is not None
        work.consent = values
        await session.commit()


async def three_artists(network: Network, **consent: Any) -> Instance:
    art = await network.add("art.test", **({"consent": consent} if consent else {}))
    for name in ("alice", "bob", "carol"):
        await make_user(art, name)
    await set_consent(art, "alice", ALICE)
    await set_consent(art, "bob", BOB)
    return art


def consent_of(response: httpx.Response) -> dict[str, Any]:
    headers = response.headers
    return {
        "x-robots-tag": headers.get("x-robots-tag"),
        "tdm-reservation": headers.get("tdm-reservation"),
        "tdm-policy": headers.get("tdm-policy"),
        "content-usage": headers.get("content-usage"),
        "licence": [link for link in headers.get_list("link") if 'rel="license"' in link],
    }


def expect_alice(response: httpx.Response) -> None:
    assert consent_of(response) == {
        "x-robots-tag": "noai, noimageai, noarchive, noindex, noimageindex", "tdm-reservation": "1",
        "tdm-policy": "https://art.test/policies/tdm/alice", "content-usage": "train-ai=n, search=n", "licence": ALL_RIGHTS_RESERVED,
    }, response.url


def expect_bob(response: httpx.Response) -> None:
    assert consent_of(response) == {
        "x-robots-tag": None, "tdm-reservation": "0", "tdm-policy": None, "content-usage": "train-ai=y, search=y",
        "licence": [f'<{CC_BY}>; rel="license"'],
    }, response.url


def expect_default(response: httpx.Response, policy: str) -> None:
    assert consent_of(response) == {**STRICT, "tdm-policy": policy, "licence": ALL_RIGHTS_RESERVED}, response.url


def test_paths_map_to_the_record_they_serve() -> None:
    assert target_of("/@alice").kind == "account" and target_of("/@alice").username == "alice"
    assert target_of("/@Alice/collections/x").username == "alice"
    assert (target_of("/@alice/0123abcd").kind, target_of("/@alice/0123abcd").public_id) == ("work", "0123abcd")
    assert target_of("/@alice/feed.atom").kind == target_of("/@alice/feed.rss").kind == "feed"
    assert target_of("/users/alice/works/0123abcd/activity").kind == "work"
    assert target_of("/users/alice/outbox").kind == "account"
    key = "alice/ab/" + "ab" * 32 + ".jpg"
    assert (target_of(f"/media/{key}").kind, target_of(f"/media/{key}").key) == ("media", key)
    assert target_of("/media/alice/../../etc").kind == "account"
    assert target_of("/policies/tdm/alice").kind == "policy"
    for path in ("/", "/robots.txt", "/actor", "/@", "/@a lice", "/users/", "/policies/tdm", "/studio"):
        assert target_of(path).kind == "instance", path


async def test_pages_carry_each_artists_record_in_headers_and_head(network: Network) -> None:
    art = await three_artists(network)
    async with art.client() as client:
        alice, bob, carol, home = [await client.get(p) for p in ("/@alice", "/@bob", "/@carol", "/")]
    assert alice.status_code == bob.status_code == carol.status_code == home.status_code == 200
    expect_alice(alice)
    expect_bob(bob)
    expect_default(carol, "https://art.test/policies/tdm/carol")
    expect_default(home, "https://art.test/policies/tdm")
    # the page's own Link header (the actor) is still there next to the licence
    assert any('rel="alternate"' in link for link in bob.headers.get_list("link"))

    page = parse(alice.text)
    assert page.meta("robots") == "noai, noimageai, noarchive, noindex, noimageindex"
    assert page.meta("tdm-reservation") == "1"
    assert page.meta("tdm-policy") == "https://art.test/policies/tdm/alice"
    assert page.one("link", rel="license").attrs["href"] == IN_COPYRIGHT
    page = parse(bob.text)
    assert page.meta("robots") is None and page.meta("tdm-reservation") == "0" and page.meta("tdm-policy") is None
    assert page.one("link", rel="license").attrs["href"] == CC_BY
    page = parse(carol.text)
    assert page.meta("robots") == "noai, noimageai, noarchive"
    assert page.meta("tdm-policy") == "https://art.test/policies/tdm/carol"
    # pages that are not an artist's (home, errors, the panel) carry the instance's record
    assert parse(home.text).meta("tdm-policy") == "https://art.test/policies/tdm"
    async with art.client() as client:
        missing = await client.get("/@nobody")
        login = await client.get("/login")
    assert missing.status_code == 404
    expect_default(missing, "https://art.test/policies/tdm")
    assert login.headers["tdm-policy"] == "https://art.test/policies/tdm"
    assert parse(login.text).meta("tdm-reservation") == "1"


async def test_activitypub_documents_carry_the_headers_cached_or_not(network: Network) -> None:
    art = await three_artists(network)
    work = await post_work(art, "bob", title="Open fox")
    async with art.client() as client:
        for _round in range(2):  # the second answer comes from the response cache (web/cache.py)
            expect_alice(await client.get("/users/alice", headers=AP_ACCEPT))
            expect_bob(await client.get("/users/bob", headers=AP_ACCEPT))
            expect_bob(await client.get("/@bob", headers=AP_ACCEPT))
            expect_default(await client.get("/users/carol", headers=AP_ACCEPT), "https://art.test/policies/tdm/carol")
            note = await client.get(work.uri, headers=AP_ACCEPT)
            assert note.status_code == 200 and note.headers["content-type"].startswith("application/activity+json")
            expect_bob(note)
            expect_bob(await client.get(f"/@bob/{work.public_id}", headers=AP_ACCEPT))
        expect_bob(await client.get("/users/bob/outbox", headers=AP_ACCEPT))
        expect_bob(await client.get("/users/bob/outbox?page=1", headers=AP_ACCEPT))
        expect_alice(await client.get("/users/alice/followers", headers=AP_ACCEPT))
        expect_default(await client.get("/actor", headers=AP_ACCEPT), "https://art.test/policies/tdm")


async def test_a_works_override_wins_on_its_page_document_and_images(network: Network) -> None:
    art = await three_artists(network)
    closed = await post_work(art, "bob", title="Closed fox", seed=2)
    open_ = await post_work(art, "bob", title="Open fox", seed=3)
    await set_work_consent(art, closed.public_id, {"ai_training": "none"})
    async with art.client() as client:
        page = await client.get(f"/@bob/{closed.public_id}")
        note = await client.get(closed.uri, headers=AP_ACCEPT)
        media = [await client.get(art.rt.uris.media(key)) for key in (
            closed.images[0].large_key, closed.images[0].display_key, closed.images[0].thumbnail_key)]
        other = await client.get(art.rt.uris.media(open_.images[0].display_key))
        open_page = await client.get(f"/@bob/{open_.public_id}")
        profile = await client.get("/@bob")
    # bob's licence stays, training is refused for this work only
    for response in (page, note, *media):
        assert response.status_code == 200
        assert consent_of(response) == {
            "x-robots-tag": "noai, noimageai, noarchive", "tdm-reservation": "1",
            "tdm-policy": "https://art.test/policies/tdm/bob", "content-usage": "train-ai=n, search=y",
            "licence": [f'<{CC_BY}>; rel="license"'],
        }, response.url
    assert parse(page.text).meta("robots") == "noai, noimageai, noarchive"
    for response in (other, open_page, profile):
        expect_bob(response)
    # schema.org ImageObject licence fields on the work page
    [script] = parse(page.text).all("script", type="application/ld+json")
    [image] = json.loads(script.text)["@graph"]
    assert image["license"] == CC_BY
    assert image["acquireLicensePage"] == f"https://art.test/@bob/{closed.public_id}"
    assert image["creditText"] == "bob (@bob@art.test)" and image["copyrightNotice"].endswith(" bob")
    assert "No AI training" in page.text


async def test_media_get_head_304_and_range_carry_the_files_record(network: Network) -> None:
    art = await three_artists(network)
    alice_work = await post_work(art, "alice", seed=4)
    carol_work = await post_work(art, "carol", seed=5)
    async with art.rt.sessions() as session:
        user = await account_db.local_user(session, "bob")
        assert user is not None
        await update_profile(art.rt, session, user, avatar=ProfileImage(corpus.jpeg(corpus.photo(300, 300, seed=1))))
        await session.commit()
        bob = await account_db.local_by_username(session, "bob")
    assert bob is not None and bob.icon_url
    await network.drain()
    alice_url = art.rt.uris.media(alice_work.images[0].display_key)
    async with art.client() as client:
        get = await client.get(alice_url)
        head = await client.head(alice_url)
        not_modified = await client.get(alice_url, headers={"If-None-Match": get.headers["etag"]})
        partial = await client.get(alice_url, headers={"Range": "bytes=0-9"})
        missing = await client.get("/media/alice/ab/" + "ab" * 32 + ".jpg")
        carol = await client.get(art.rt.uris.media(carol_work.images[0].large_key))
        carol_head = await client.head(art.rt.uris.media(carol_work.images[0].thumbnail_key))
        avatar = await client.get(bob.icon_url)
        avatar_304 = await client.get(bob.icon_url, headers={"If-None-Match": "*"})
    assert (get.status_code, head.status_code, not_modified.status_code, partial.status_code) == (200, 200, 304, 206)
    assert head.content == b"" and not_modified.content == b""
    for response in (get, head, not_modified, partial, missing):
        expect_alice(response)
    assert missing.status_code == 404
    for response in (carol, carol_head):
        assert response.status_code == 200
        expect_default(response, "https://art.test/policies/tdm/carol")
    assert avatar.status_code == 200 and avatar_304.status_code == 304
    expect_bob(avatar)
    expect_bob(avatar_304)


async def test_feeds_are_served_with_the_signals(network: Network) -> None:
    art = await three_artists(network)
    await post_work(art, "alice", title="Private fox", seed=6)
    bob_work = await post_work(art, "bob", title="Open fox", seed=7)
    async with art.client() as client:
        atom = await client.get("/@alice/feed.atom")
        rss = await client.get("/@alice/feed.rss")
        again = await client.get("/@alice/feed.atom", headers={"If-None-Match": atom.headers["etag"]})
        bob_atom = await client.get("/@bob/feed.atom")
    # a feed for people: served to an ordinary reader even though alice refuses AI training, with her signals
    assert atom.status_code == rss.status_code == 200 and again.status_code == 304
    for response in (atom, rss, again):
        expect_alice(response)
    assert "<rights" in atom.text and "No use for AI/ML training" in atom.text
    assert "<consent:contentUsage>train-ai=n, search=n</consent:contentUsage>" in atom.text
    assert "<copyright>" in rss.text and "All rights reserved" in rss.text
    assert "<consent:xRobotsTag>noai, noimageai, noarchive, noindex, noimageindex</consent:xRobotsTag>" in rss.text
    expect_bob(bob_atom)
    assert f'<link rel="license" type="text/html" href="{CC_BY}" />' in bob_atom.text
    assert "<consent:tdmReservation>0</consent:tdmReservation>" in bob_atom.text
    # one refusing entry makes the whole feed say so in its headers
    await set_work_consent(art, bob_work.public_id, {"ai_training": "no_generative"})
    async with art.client() as client:
        mixed = await client.get("/@bob/feed.atom")
    assert mixed.headers["x-robots-tag"] == "noai, noimageai" and mixed.headers["tdm-reservation"] == "1"
    assert "No generative AI training" in mixed.text


async def test_a_change_shows_at_once_on_pages_documents_and_files(network: Network) -> None:
    art = await three_artists(network)
    work = await post_work(art, "carol", seed=8)
    urls = ["/@carol", f"/@carol/{work.public_id}", art.rt.uris.media(work.images[0].display_key),
            "/@carol/feed.atom"]
    async with art.client() as client:
        for url in urls:  # fill the response cache and the consent store
            expect_default(await client.get(url), "https://art.test/policies/tdm/carol")
        expect_default(await client.get("/users/carol", headers=AP_ACCEPT), "https://art.test/policies/tdm/carol")
        await set_consent(art, "carol", BOB)
        for url in urls:
            expect_bob(await client.get(url))
        actor = await client.get("/users/carol", headers=AP_ACCEPT)
        expect_bob(actor)
        assert actor.json()["contentUsage"] == "train-ai=y, search=y" and actor.json()["tdmReservation"] == 0
        assert parse((await client.get("/@carol")).text).meta("robots") is None
        await set_work_consent(art, work.public_id, {"ai_training": "none"})
        assert (await client.get(urls[1])).headers["x-robots-tag"] == "noai, noimageai, noarchive"
        assert (await client.get(urls[2])).headers["x-robots-tag"] == "noai, noimageai, noarchive"


async def test_permissive_instance_default(network: Network) -> None:
    art = await three_artists(network, ai_training="allowed", tdm_reserved=False, ai_input=True)
    async with art.client() as client:
        home = await client.get("/")
        carol = await client.get("/@carol")
        alice = await client.get("/@alice")
    for response in (home, carol):
        assert consent_of(response) == {"x-robots-tag": None, "tdm-reservation": "0", "tdm-policy": None,
                                        "content-usage": "train-ai=y, search=y", "licence": ALL_RIGHTS_RESERVED}
    expect_alice(alice)
