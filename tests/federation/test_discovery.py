"""WebFinger, host-meta, NodeInfo and actor documents as other servers read them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from fediverse.models import OutboundActivity, utcnow
from fediverse.services.works import ImageUpload, WorkInput, create_work
from tests import imagecorpus
from tests.federation.helpers import act, get_json, make_user, user
from tests.support import Instance, Network


@pytest.fixture
async def art(network: Network) -> Instance:
    a = await network.add("art.test")
    await make_user(a, "alice", display_name="Alice", summary="Paints <b>birds</b>.\n\nAnd cats.")
    return a


@pytest.mark.parametrize("resource", ["acct:alice@art.test", "alice@art.test", "acct:ALICE@art.test",
                                      "https://art.test/users/alice", "https://art.test/@alice", "acct%3Aalice%40art.test"])
async def test_webfinger_accepts_every_resource_form(art: Instance, resource: str) -> None:
    async with art.client() as client:
        response = await client.get(f"/.well-known/webfinger?resource={resource}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    jrd = response.json()
    assert jrd["subject"] == "acct:alice@art.test"
    assert {"rel": "self", "type": "application/activity+json", "href": "https://art.test/users/alice"} in jrd["links"]


@pytest.mark.parametrize(("query", "status"), [
    ("", 400), ("?resource=", 400), ("?resource=acct:bob@art.test", 404), ("?resource=acct:alice@elsewhere.test", 404),
    ("?resource=nonsense", 400), ("?resource=acct:a@b@c", 400), ("?resource=" + "a" * 5000 + "@art.test", 400),
])
async def test_webfinger_bad_or_unknown_resources(art: Instance, query: str, status: int) -> None:
    async with art.client() as client:
        response = await client.get(f"/.well-known/webfinger{query}")
    assert response.status_code == status
    assert "error" in response.json()


async def test_instance_actor_is_an_application_resolvable_by_webfinger(art: Instance) -> None:
    async with art.client() as client:
        jrd = (await client.get("/.well-known/webfinger?resource=https://art.test")).json()
        by_acct = (await client.get("/.well-known/webfinger?resource=acct:art.test@art.test")).json()
    assert jrd["links"][0]["href"] == by_acct["links"][0]["href"] == "https://art.test/actor"
    actor = await get_json(art, "https://art.test/actor")
    assert actor["type"] == "Application" and actor["preferredUsername"] == "art.test"
    assert actor["inbox"] and actor["publicKey"]["owner"] == "https://art.test/actor"


async def test_actor_document_has_every_field_mastodon_reads(art: Instance) -> None:
    doc = await get_json(art, "https://art.test/users/alice")
    assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    assert "https://w3id.org/security/v1" in doc["@context"]
    for key in ("preferredUsername", "name", "summary", "url", "inbox", "outbox", "followers", "following",
                "featured", "manuallyApprovesFollowers", "discoverable", "indexable", "published", "attachment"):
        assert key in doc, key
    assert doc["id"] == "https://art.test/users/alice" and doc["type"] == "Person"
    assert doc["endpoints"]["sharedInbox"] == "https://art.test/inbox"
    assert doc["publicKey"]["id"] == "https://art.test/users/alice#main-key"
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert doc["summary"] == "<p>Paints &lt;b&gt;birds&lt;/b&gt;.</p><p>And cats.</p>"
    assert doc["url"] == "https://art.test/@alice"
    assert isinstance(doc["attachment"], list)
    # every collection it names is served with the same id
    for name in ("outbox", "followers", "following", "featured"):
        collection = await get_json(art, doc[name])
        assert collection["id"] == doc[name] and collection["type"] == "OrderedCollection"


async def test_browsers_get_the_profile_page_with_a_link_to_the_actor(art: Instance) -> None:
    async with art.client() as client:
        page = await client.get("/users/alice", headers={"Accept": "text/html"})
        short = await client.get("/@alice")
    assert page.status_code == short.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Paints &lt;b&gt;birds" in short.text  # escaped, never raw HTML from the bio
    assert 'rel="alternate"' in page.headers["link"]


async def test_unknown_accounts_and_collections_are_404(art: Instance) -> None:
    async with art.client() as client:
        for path in ("/users/nobody", "/@nobody", "/users/alice/nothing", "/users/alice/collections/nope",
                     "/users/art.test", "/no/such/page"):
            response = await client.get(path, headers={"Accept": "application/activity+json"})
            assert response.status_code == 404, path
        assert (await client.get("/users/alice/followers?page=abc")).status_code == 400
        assert (await client.get("/users/alice/followers?page=0")).status_code == 400
        assert (await client.post("/users/alice")).status_code == 405


async def test_host_meta_points_at_webfinger(art: Instance) -> None:
    async with art.client() as client:
        xml = await client.get("/.well-known/host-meta")
        json_doc = await client.get("/.well-known/host-meta", headers={"Accept": "application/json"})
    assert 'xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"' in xml.text
    assert 'template="https://art.test/.well-known/webfinger?resource={uri}"' in xml.text
    assert json_doc.json()["links"][0]["template"].endswith("resource={uri}")


async def test_nodeinfo_counts_local_artists(network: Network, art: Instance) -> None:
    await make_user(art, "bea")
    async with art.client() as client:
        links = (await client.get("/.well-known/nodeinfo")).json()["links"]
        assert {link["rel"].rsplit("/", 1)[1] for link in links} == {"2.0", "2.1"}
        for link in links:
            doc = (await client.get(link["href"])).json()
            assert doc["software"]["name"] == "fediverse"
            assert doc["protocols"] == ["activitypub"]
            assert doc["usage"]["users"]["total"] == 2  # the instance actor is not a user
        assert (await client.get("/nodeinfo/1.0")).status_code == 404


async def test_nodeinfo_counts_who_published_lately_and_local_posts(network: Network, art: Instance) -> None:
    await make_user(art, "bea")  # published nothing: a user, never active
    async with art.rt.sessions() as session:
        alice = await session.merge(await user(art, "alice"))
        await create_work(art.rt, session, alice, WorkInput(title="Heron"),
                          [ImageUpload(data=imagecorpus.jpeg(imagecorpus.photo(320, 240)), alt_text="A heron")])

    async def usage() -> dict[str, Any]:
        async with art.client() as client:
            return (await client.get("/nodeinfo/2.1")).json()["usage"]

    assert await usage() == {"users": {"total": 2, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": 1}
    async with art.rt.sessions() as session:  # the post was two months ago: active this half year, not this month
        await session.execute(update(OutboundActivity).values(created_at=utcnow() - timedelta(days=60)))
        await session.commit()
    assert await usage() == {"users": {"total": 2, "activeMonth": 0, "activeHalfyear": 1}, "localPosts": 1}


async def test_followers_collection_pages(network: Network) -> None:
    a = await network.add("art.test", limits={"page_size": 2})
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    for name in ("b1", "b2", "b3"):
        await make_user(b, name)
        await act(b, "follow", name, "alice@art.test")
    await network.drain()
    collection = await get_json(b, alice.account.followers_url)
    assert collection["totalItems"] == 3
    first = await get_json(b, collection["first"])
    second = await get_json(b, first["next"])
    assert len(first["orderedItems"]) == 2 and len(second["orderedItems"]) == 1 and "next" not in second
    assert set(first["orderedItems"] + second["orderedItems"]) == {f"https://social.test/users/b{n}" for n in (1, 2, 3)}
    assert second["prev"] == first["id"] and first["partOf"] == collection["id"]
