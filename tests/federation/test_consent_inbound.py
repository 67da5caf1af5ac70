"""Honouring inbound consent signals (consent doc §16) across instances.

A remote actor or note that carries a refusal (our terms, FEP-5e53 ``xRobotsTag``, kmyblue ``otherSetting`` noai,
``indexable``, ``license``/``licence``) keeps it on the receiving instance: in ``Account.consent`` and
``RemoteNote.consent`` (combined with provenance, any disallow winning, re-read on Update and applied
retroactively), in the raw JSON we keep, and on our work page that shows the reply.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from fediverse.activitypub.parse import parse_actor
from fediverse.consent import ConsentRecord
from fediverse.db import accounts as account_db
from fediverse.federation.actors import (
    actor_consent, remote_note_consent, remote_record, signals_from_json, store_actor,
)
from fediverse.models import Account, RemoteNote
from tests.conftest import FIXTURES
from tests.federation.helpers import make_user
from tests.federation.peer import ACTOR, PEER, FixturePeer, load_fixture, rehost
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network

CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"
PLUS = "http://ns.useplus.org/ldf/vocab/"
REFUSING_ACTOR = {
    "xRobotsTag": "noai, noimageai",  # FEP-5e53
    "otherSetting": [{"type": "PropertyValue", "name": "noai", "value": True}],  # kmyblue
    "indexable": True,
    "license": CC_BY_NC,
}


@pytest.fixture
def peer(network: Network) -> FixturePeer:
    return FixturePeer().install(network)


def reply_to(work_uri: str, n: int, **extra: Any) -> dict[str, Any]:
    """Mastodon's recorded Create(Note) with an image, re-hosted on the peer as a reply to our work."""
    create = rehost(load_fixture("mastodon/create_note_with_image_mastodon_social.json"))
    note = rehost(create["object"]) | {"attributedTo": ACTOR, "inReplyTo": work_uri}
    note.pop("actor")
    note["id"] = f"https://{PEER}/users/brauca_darradiul/statuses/{n}"
    note["url"] = f"https://{PEER}/@brauca_darradiul/{n}"
    note.update(extra)
    create["id"] = note["id"] + "/activity"
    create["object"] = note
    return create


async def stored(instance: Instance) -> tuple[Account, list[RemoteNote]]:
    async with instance.rt.sessions() as session:
        account = await account_db.by_uri(session, ACTOR)
        notes = list(await session.scalars(select(RemoteNote).order_by(RemoteNote.id)))
    assert account is not None
    return account, notes


def signals_named(record: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["scope"], p["signal"]) for p in record["provenance"]}


async def work_page(instance: Instance, path: str) -> str:
    async with instance.client() as client:
        response = await client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.text


# --- a re-hosted Mastodon peer replying with refusals --------------------------------------------------------------


async def test_a_refusing_reply_keeps_its_signals_stored_raw_and_on_our_page(network: Network, peer: FixturePeer) -> None:
    # Our artist allows AI training: the page's own record would carry no noai; the reply's refusal must.
    a = await network.add("art.test", consent={"ai_training": "allowed", "tdm_reserved": False, "ai_input": True})
    await make_user(a, "alice")
    work = await post_work(a, "alice", 1, title="Harbour")
    peer.actor.update(REFUSING_ACTOR)
    attachment_extra = {"dataMining": PLUS + "DMI-PROHIBITED-AIMLTRAINING", "futureTerm": {"kept": True}}
    create = reply_to(work.uri, 1, contentUsage="train-ai=n", tdmReservation=1, someoneElsesTerm=[1, 2])
    create["object"]["attachment"][0].update(attachment_extra)
    assert await peer.post(a, "/users/alice/inbox", create) == 202
    await network.drain()

    account, [note] = await stored(a)
    assert account.consent is not None
    assert account.consent["ai_training"] == "none" and account.consent["search"] is True
    assert account.consent["licence_url"] == CC_BY_NC
    assert {("actor", "xRobotsTag"), ("actor", "otherSetting noai"), ("actor", "indexable"),
            ("actor", "license")} <= signals_named(account.consent)
    assert account.raw is not None and account.raw["otherSetting"] == REFUSING_ACTOR["otherSetting"]

    consent = note.consent
    assert consent is not None
    assert consent["ai_training"] == "none" and consent["tdm_reserved"] is True
    assert consent["licence_url"] == CC_BY_NC  # inherited from the author
    assert {("object", "contentUsage"), ("object", "tdmReservation"), ("attachment 1", "dataMining"),
            ("actor", "xRobotsTag")} <= signals_named(consent)
    # The raw JSON keeps every property, ours and everyone else's.
    assert note.raw["contentUsage"] == "train-ai=n" and note.raw["someoneElsesTerm"] == [1, 2]
    assert note.raw["attachment"][0]["futureTerm"] == {"kept": True}
    assert note.raw["attachment"][0]["dataMining"] == attachment_extra["dataMining"]

    html = await work_page(a, f"/@alice/{work.public_id}")
    article = re.search(r'<article class="reply"[^>]*>', html)
    assert article is not None
    assert 'data-x-robots-tag="noai, noimageai, noarchive"' in article.group(0)
    assert 'data-content-usage="train-ai=n, search=y"' in article.group(0)
    assert 'data-tdm-reservation="1"' in article.group(0) and f'data-license="{CC_BY_NC}"' in article.group(0)
    assert "Its author does not allow AI training (noai)." in html
    assert '<meta name="robots" content="noai, noimageai">' in html  # the page now carries the reply's refusal


async def test_update_of_the_note_and_of_the_actor_replace_the_signals(network: Network, peer: FixturePeer) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    work = await post_work(a, "alice", 1)
    peer.actor["indexable"] = True
    create = reply_to(work.uri, 2)
    assert await peer.post(a, "/users/alice/inbox", create) == 202
    await network.drain()
    account, [note] = await stored(a)
    assert "ai_training" not in (account.consent or {}) and "ai_training" not in (note.consent or {})
    html = await work_page(a, f"/@alice/{work.public_id}")
    assert "Its author does not allow" not in html

    # Update(Note): the author now refuses, on the object itself.
    edited = copy.deepcopy(create["object"]) | {"xRobotsTag": "noai", "updated": "2031-01-01T00:00:00Z"}
    update = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{edited['id']}#updates/1",
              "type": "Update", "actor": ACTOR, "object": edited}
    assert await peer.post(a, "/users/alice/inbox", update) == 202
    await network.drain()
    _account, [note] = await stored(a)
    assert note.consent is not None and note.consent["ai_training"] == "none"
    assert ("object", "xRobotsTag") in signals_named(note.consent) and note.raw["xRobotsTag"] == "noai"

    # Update(Person): kmyblue's noai and indexable false; the stored note follows (retroactive).
    edited["xRobotsTag"] = None
    edited["updated"] = "2032-01-01T00:00:00Z"
    update = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{edited['id']}#updates/2",
              "type": "Update", "actor": ACTOR, "object": edited}
    assert await peer.post(a, "/users/alice/inbox", update) == 202
    await network.drain()
    _account, [note] = await stored(a)
    assert "ai_training" not in (note.consent or {})  # the withdrawn signal is gone
    person = copy.deepcopy(peer.actor) | {"otherSetting": [{"type": "PropertyValue", "name": "noai", "value": True}],
                                          "indexable": False}
    update = {"@context": person["@context"], "id": f"{ACTOR}#updates/3", "type": "Update", "actor": ACTOR,
              "object": person}
    assert await peer.post(a, "/users/alice/inbox", update) == 202
    await network.drain()
    account, [note] = await stored(a)
    assert account.consent is not None
    assert account.consent["ai_training"] == "none" and account.consent["search"] is False
    assert note.consent is not None and note.consent["ai_training"] == "none" and note.consent["search"] is False
    assert ("actor", "otherSetting noai") in signals_named(note.consent)
    html = await work_page(a, f"/@alice/{work.public_id}")
    assert "Its author does not allow AI training (noai)." in html
    assert re.search(r'data-x-robots-tag="[^"]*noindex', html)  # the search opt-out stays on the reply


# --- two instances of ours ----------------------------------------------------------------------------------------


async def test_two_instances_keep_each_others_artists_choices(network: Network) -> None:
    # bob and carol are brand-new to art.test: their mentions would wait in the quarantine (tests/admin)
    a = await network.add("art.test", spam={"quarantine_new_account_hours": 0})
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")  # the instance default: no AI training, TDM reserved
    await make_user(b, "carol")
    async with b.rt.sessions() as session:
        carol = await account_db.local_by_username(session, "carol")
        assert carol is not None
        carol.consent = {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True,
                         "licence_url": "https://creativecommons.org/licenses/by/4.0/"}
        await session.commit()
    await post_work(b, "bob", 2, title="Gulls", description="For @alice@art.test")
    await post_work(b, "carol", 1, title="Terns", description="Also for @alice@art.test")
    await network.drain()

    async with a.rt.sessions() as session:
        bob = await account_db.by_uri(session, "https://social.test/users/bob")
        carol_there = await account_db.by_uri(session, "https://social.test/users/carol")
        notes = {n.account_id: n for n in await session.scalars(select(RemoteNote))}
    assert bob is not None and carol_there is not None and bob.consent and carol_there.consent
    assert bob.consent["ai_training"] == "none" and bob.consent["tdm_reserved"] is True
    assert bob.consent["ai_input"] is False
    assert {("actor", "aiTraining"), ("actor", "contentUsage"), ("actor", "dataMining")} <= signals_named(bob.consent)
    assert carol_there.consent["ai_training"] == "allowed" and carol_there.consent["tdm_reserved"] is False
    assert carol_there.consent["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"

    gulls, terns = notes[bob.id], notes[carol_there.id]
    assert gulls.consent is not None and gulls.consent["ai_training"] == "none"
    assert {("attachment 1", "dataMining"), ("attachment 2", "dataMining")} <= signals_named(gulls.consent)
    assert gulls.raw["attachment"][0]["dataMining"] == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    assert gulls.raw["contentUsage"] == "train-ai=n, search=y"
    assert terns.consent is not None and terns.consent["ai_training"] == "allowed"
    # Any disallow wins: the same note from an opted-in author with one refusing attachment is refused.
    raw = copy.deepcopy(terns.raw)
    raw["attachment"][0]["xRobotsTag"] = "noai"
    assert remote_note_consent(raw, carol_there.consent)["ai_training"] == "none"


# --- parsers fed with real payloads and hostile ones --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "search", "signal"),
    [
        ("gotosocial/person_with_fields.json", False, "indexable"),  # no indexable: not searchable (FEP-5feb)
        ("misskey/person_misskey_io.json", False, "indexable"),
        ("mastodon/person_masto_qa.json", False, "indexable"),
        ("oeee-cafe/person_oekaki_art_site.json", False, "indexable"),
        ("takahe/person_compacted_keys.json", False, "indexable"),
    ],
)
def test_real_actors_read_as_their_software_means_them(fixture: str, search: bool, signal: str) -> None:
    record = actor_consent(load_fixture(fixture))
    assert record["search"] is search and "ai_training" not in record
    assert ("actor", signal) in signals_named(record)
    json.dumps(record)  # storable as is


def test_real_update_person_and_peertube_licence() -> None:
    person = load_fixture("mastodon/update_person_mastodon_art.json")["object"]
    assert actor_consent(person)["search"] is False  # indexable: false
    assert actor_consent(person | {"indexable": True})["search"] is True
    video = load_fixture("peertube/video_with_licence.json")  # "licence": {"identifier": "2", "name": …}
    record = remote_note_consent(video, None)
    assert record["licence_text"] == "Attribution - Share Alike" and "licence_url" not in record
    assert ("object", "licence") in signals_named(record)


async def test_store_actor_reads_a_real_gotosocial_actor_and_its_update(network: Network) -> None:
    a = await network.add("art.test")
    doc = load_fixture("gotosocial/person_with_fields.json")
    async with a.rt.sessions() as session:
        account = await store_actor(session, parse_actor(doc))
        await session.commit()
        assert account.consent is not None and account.consent["search"] is False
        later = doc | {"indexable": True, "xRobotsTag": ["noai", "fediverse: noimageai", "otherbot: noindex"],
                       "_misskey_license": {"freeText": "CC BY-SA 4.0"}}
        account = await store_actor(session, parse_actor(later))
        await session.commit()
    assert account.consent["ai_training"] == "none" and account.consent["search"] is True
    assert account.consent["licence_text"] == "CC BY-SA 4.0"
    meanings = {p["meaning"] for p in account.consent["provenance"]}
    assert any(m.startswith("ignored: scoped to user agent 'otherbot'") for m in meanings)


@pytest.mark.parametrize(
    "hostile",
    [
        {"xRobotsTag": 5, "contentUsage": ["train-ai=n"], "tdmReservation": "1; DROP", "aiTraining": {"x": 1}},
        {"contentUsage": "Train-AI=n", "license": "javascript:alert(1)", "creditText": "Ana\x00\u202e\nArtist"},
        {"otherSetting": [{"name": "noai", "value": "yes"}] * 10_000, "indexable": "sometimes"},
        {"license": {"identifier": 1, "name": "x" * 100_000}, "dataMining": ["not-a-uri"], "searchableBy": [None]},
        {"attachment": "not a list", "_misskey_license": "free"},
        {"attachment": [None, 3, {"xRobotsTag": "noai"}] + [{"dataMining": "DMI-PROHIBITED"}] * 500},
    ],
)
def test_hostile_documents_never_raise_and_store_clean_json(hostile: dict[str, Any]) -> None:
    doc = {"id": f"https://{PEER}/notes/1", "type": "Note", "attributedTo": ACTOR, **hostile}
    for record in (actor_consent(doc | {"type": "Person"}), remote_note_consent(doc, {"ai_training": "bogus"})):
        text = orjson.dumps(record).decode()
        assert not any(ch in text for ch in ("\x00", "\u202e"))
        assert len(record["provenance"]) <= 64
        rebuilt = remote_record(signals_from_json(record), ConsentRecord(ai_training="allowed"))
        assert rebuilt.ai_training in ("allowed", "no_generative", "none")
    assert remote_note_consent(None, None)["provenance"][0]["meaning"].startswith("unparseable")
    assert signals_from_json("garbage").known is False
