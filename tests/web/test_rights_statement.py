""""All rights reserved" is a statement, not an absence (issue 14).

On an instance with the out-of-the-box config, an artist who chose no licence has every surface say "In
Copyright" (http://rightsstatements.org/vocab/InC/1.0/) where a licence would go: JSON-LD ``license`` on the actor,
the Note, each attachment and every collection (followers and following included) and their pages,
``Link rel=license`` on AS2, HTML and media responses, ``<link rel=license>`` and the visible licence line on the
work page, and the XMP read back from the served file. With a licence chosen, that licence is said instead,
everywhere, and "In Copyright" nowhere.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from fediverse.consent import read_xmp
from fediverse.db import accounts as account_db
from fediverse.models import Work
from fediverse.services.consent_audit import xmp_from_bytes
from tests.federation.helpers import act, make_user
from tests.support import Instance, Network
from tests.web import AP_ACCEPT, parse, post_work

IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def licence_links(response: httpx.Response) -> list[str]:
    return [link for link in response.headers.get_list("link") if 'rel="license"' in link]


async def artist_with_a_follower(network: Network, **work_fields: Any) -> tuple[Instance, Work]:
    """art.test with the default config: alice (one work), bob follows her (so both collections have a page)."""
    art = await network.add("art.test")
    await make_user(art, "alice")
    await make_user(art, "bob")
    await act(art, "follow", "bob", "alice@art.test")
    await network.drain()
    return art, await post_work(art, "alice", **work_fields)


async def surfaces(art: Instance, work: Work) -> dict[str, Any]:
    """Every surface of alice's that states a licence: AS2 documents, the work page, a media file (GET, HEAD)."""
    async with art.client() as client:
        actor = await client.get("/users/alice", headers=AP_ACCEPT)
        docs = {"note": work.uri}
        for name in ("outbox", "featured", "followers", "following"):  # as the actor names them
            docs[name] = actor.json()[name]
            if name != "featured":
                docs[f"{name} page"] = f"{docs[name]}?page=1"
        fetched = {"actor": actor} | {name: await client.get(url, headers=AP_ACCEPT) for name, url in docs.items()}
        page = await client.get(f"/@alice/{work.public_id}")
        media_url = fetched["note"].json()["attachment"][0]["url"]
        media = await client.get(media_url)
        head = await client.head(media_url)
    for response in (*fetched.values(), page, media, head):
        assert response.status_code == 200, response.url
    return {"docs": fetched, "page": page, "media": media, "head": head}


async def test_no_licence_is_stated_as_in_copyright_on_every_surface(network: Network) -> None:
    art, work = await artist_with_a_follower(network)
    found = await surfaces(art, work)
    stated = f'<{IN_COPYRIGHT}>; rel="license"'

    for name, response in found["docs"].items():
        doc = response.json()
        assert doc["license"] == IN_COPYRIGHT, name  # JSON-LD, defined in the document's context
        assert any(isinstance(c, dict) and c.get("license") for c in doc["@context"]), name
        assert doc["contentUsage"] == "train-ai=n, search=y" and doc["tdmReservation"] == 1, name
        assert licence_links(response) == [stated], name
    follower_page = found["docs"]["followers page"].json()
    assert follower_page["orderedItems"] == ["https://art.test/users/bob"]  # a real page, with the terms on it
    assert found["docs"]["following page"].json()["totalItems"] == 0
    attachment = found["docs"]["note"].json()["attachment"][0]
    assert attachment["license"] == IN_COPYRIGHT

    page = found["page"]
    assert licence_links(page) == [stated]
    html = parse(page.text)
    assert html.one("link", rel="license").attrs["href"] == IN_COPYRIGHT
    line = html.all("a", rel="license")  # the visible licence line
    assert line and line[0].attrs["href"] == IN_COPYRIGHT and "All rights reserved" in page.text
    graph = json.loads(html.one("script", type="application/ld+json").text)["@graph"]
    assert graph[0]["license"] == IN_COPYRIGHT  # schema.org ImageObject (Google Images' licence badge)

    for response in (found["media"], found["head"]):
        assert licence_links(response) == [stated]
        assert response.headers["x-robots-tag"] == "noai, noimageai, noarchive"
    xmp = read_xmp(xmp_from_bytes(found["media"].content))
    assert xmp.first("cc:license") == IN_COPYRIGHT and xmp.first("xmpRights:WebStatement") == IN_COPYRIGHT
    assert xmp.first("dc:rights") == "© alice. All rights reserved."
    assert (xmp.first("xmpRights:UsageTerms") or "").startswith(f"All rights reserved ({IN_COPYRIGHT}).")


async def test_a_chosen_licence_wins_on_every_surface(network: Network) -> None:
    art, work = await artist_with_a_follower(network, license_url=CC_BY)
    async with art.rt.sessions() as session:  # her default licence too, so the actor and collections say it
        account = await account_db.local_by_username(session, "alice")
        assert account is not None
        account.default_license_url = CC_BY
        await session.commit()
    found = await surfaces(art, work)
    chosen = f'<{CC_BY}>; rel="license"'

    for name, response in found["docs"].items():
        assert response.json()["license"] == CC_BY, name
        assert licence_links(response) == [chosen], name
    assert found["docs"]["note"].json()["attachment"][0]["license"] == CC_BY
    page = found["page"]
    assert licence_links(page) == [chosen]
    html = parse(page.text)
    assert html.one("link", rel="license").attrs["href"] == CC_BY
    assert "CC BY 4.0" in page.text and "All rights reserved" not in page.text
    for response in (found["media"], found["head"]):
        assert licence_links(response) == [chosen]
    xmp = read_xmp(xmp_from_bytes(found["media"].content))
    assert xmp.first("cc:license") == CC_BY and xmp.first("xmpRights:WebStatement") == CC_BY
    assert xmp.first("dc:rights") == "© alice"
    everything = [r.text for r in found["docs"].values()] + [page.text, found["media"].content.decode("latin-1")]
    assert not any(IN_COPYRIGHT in text for text in everything)
