"""Issue 12: a local artist's public text note with #Heron is on `/tags/heron` (HTML, Atom, AS2) and in the client
API's tag timeline and ``tagged=`` filter; her followers-only, unlisted and direct notes with the same tag are on
none of them (an unlisted one is in ``tagged=``: a profile lists unlisted posts); a deleted note leaves them all."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fediverse.db import accounts as account_db
from fediverse.services import notes
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import AP_ACCEPT

A = "{http://www.w3.org/2005/Atom}"
PUBLIC = "Wading at dawn, a grey #Heron by the weir"
HIDDEN = {"followers": "followers-only #heron sketch", "unlisted": "unlisted #heron sketch",
          "direct": "@bob@art.test direct #heron secret"}


async def post(art: Instance, username: str, text: str, **options: Any) -> int:
    """Post a note as ``username`` through the use case; its status id."""
    async with art.rt.sessions() as session:
        me = await account_db.local_user(session, username)
        assert me is not None
        return int((await notes.post_note(art.rt, session, me, text, **options)).public_id)


async def delete(art: Instance, username: str, status_id: int) -> None:
    async with art.rt.sessions() as session:
        me = await account_db.local_user(session, username)
        assert me is not None
        await notes.delete_note(art.rt, session, me, str(status_id))


async def setup(network: Network) -> tuple[Instance, dict[str, int]]:
    art = await network.add("art.test")
    await make_user(art, "alice", display_name="Alice Ink")
    await make_user(art, "bob")
    ids = {"public": await post(art, "alice", PUBLIC)}
    for visibility, text in HIDDEN.items():
        ids[visibility] = await post(art, "alice", text, visibility=visibility)
    return art, ids


async def shown(art: Instance) -> dict[str, Any]:
    """What a signed-out visitor and client get for #heron: the HTML, the Atom entries, the AS2 items, the API
    tag timeline's and the ``tagged=`` filter's status ids."""
    async with art.client() as client:
        page = await client.get("/tags/heron")
        atom = await client.get("/tags/heron.atom")
        as2 = await client.get("/tags/heron", headers=AP_ACCEPT)
        api = await client.get("/api/v1/timelines/tag/heron")
        alice = (await client.get("/api/v1/accounts/lookup", params={"acct": "alice"})).json()
        tagged = await client.get(f"/api/v1/accounts/{alice['id']}/statuses", params={"tagged": "HERON"})
    for response in (page, atom, as2, api, tagged):
        assert response.status_code == 200, response.text[:300]
    feed = ET.fromstring(atom.content)
    return {"html": page.text, "atom": feed.findall(f"{A}entry"), "as2": as2.json()["first"]["orderedItems"],
            "api": [int(s["id"]) for s in api.json()], "tagged": [int(s["id"]) for s in tagged.json()]}


async def test_a_public_local_note_is_on_its_tag_page_feed_collection_and_api(network: Network) -> None:
    art, ids = await setup(network)
    got = await shown(art)
    note_id = ids["public"]
    html = got["html"]
    assert "<h2>Notes</h2>" in html and "Wading at dawn, a grey" in html
    assert '<a href="https://art.test/@alice">Alice Ink</a>' in html  # the author, linked to her portfolio
    assert f'href="https://art.test/statuses/{note_id}"' in html  # the note's thread page
    [entry] = got["atom"]
    assert entry.find(f"{A}id").text == f"https://art.test/users/alice/notes/{note_id}"  # type: ignore[union-attr]
    assert entry.find(f"{A}link").attrib["href"] == f"https://art.test/statuses/{note_id}"  # type: ignore[union-attr]
    assert entry.find(f"{A}author/{A}name").text == "Alice Ink"  # type: ignore[union-attr]
    assert entry.find(f"{A}author/{A}uri").text == "https://art.test/@alice"  # type: ignore[union-attr]
    assert "Wading at dawn" in entry.find(f"{A}summary").text  # type: ignore[union-attr,operator]
    assert got["as2"] == [f"https://art.test/users/alice/notes/{note_id}"]
    assert got["api"] == [note_id]
    assert got["tagged"] == [ids["unlisted"], note_id]  # a profile lists unlisted posts too (as Mastodon's)


async def test_followers_only_unlisted_and_direct_notes_are_not_on_the_tag_page(network: Network) -> None:
    art, ids = await setup(network)
    got = await shown(art)
    for visibility, text in HIDDEN.items():
        assert text.split(" #")[0] not in got["html"], visibility
        assert all(str(ids[visibility]) not in (e.find(f"{A}id").text or "") for e in got["atom"]), visibility
        assert all(str(ids[visibility]) not in item for item in got["as2"]), visibility
        assert ids[visibility] not in got["api"], visibility
        if visibility != "unlisted":
            assert ids[visibility] not in got["tagged"], visibility


async def test_a_deleted_note_leaves_the_tag_page(network: Network) -> None:
    art, ids = await setup(network)
    await delete(art, "alice", ids["public"])
    got = await shown(art)
    assert "Wading at dawn" not in got["html"] and "No public posts with this tag" in got["html"]
    assert got["atom"] == [] and got["as2"] == [] and got["api"] == [] and got["tagged"] == [ids["unlisted"]]
