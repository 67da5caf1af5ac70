"""The studio's consent settings: profile form (artist) and work form (per work), federated and visible at once."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from sqlalchemy import select

from fediverse.consent import read_xmp, xmp_packet
from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.models import InboundActivity
from fediverse.services import consent as consent_service
from tests.federation.helpers import act, make_user
from tests.support import Instance, Network
from tests.web import AP_ACCEPT, parse, post_work
from tests.web.panel_client import PASSWORD, browser, errors_in, jpeg, login, post_form, token

OPT_IN = {"consent_ai_training": "allowed", "consent_tdm_reserved": "no", "consent_ai_input": "yes",
          "consent_search": "no", "consent_show_licence_line": "no", "consent_attribution": "Alice Ink / art.test"}
INHERIT = {name: "" for name in OPT_IN}


async def setup(network: Network) -> tuple[Instance, Instance]:
    art = await network.add("art.test")
    social = await network.add("social.test")
    await make_user(art, "alice", password=PASSWORD)
    await make_user(social, "bob")
    await act(social, "follow", "bob", "alice@art.test")
    await network.drain()
    return art, social


async def stored_consent(art: Instance) -> Any:
    async with art.rt.sessions() as session:
        account = await account_db.local_by_username(session, "alice")
    assert account is not None
    return account.consent


async def received(instance: Instance, kind: str, object_type: str) -> list[dict[str, Any]]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(InboundActivity).where(InboundActivity.type == kind).order_by(InboundActivity.id))
        return [row.raw["object"] for row in rows if isinstance(row.raw.get("object"), dict)
                and row.raw["object"].get("type") == object_type]


async def test_profile_consent_round_trip_changes_actor_headers_and_followers(network: Network) -> None:
    art, social = await setup(network)
    async with browser(art) as client:
        await login(client, "alice")
        form = await client.get("/studio/profile")
        page = parse(form.text)
        assert page.one("fieldset", id="consent")
        options = [o.attrs["value"] for o in page.all("option") if o.attrs.get("value") in ("", "allowed", "none", "no_generative")]
        assert {"allowed", "no_generative", "none"} <= set(options)
        assert "Instance default (No AI training at all)" in form.text
        # fill the caches with the instance default first
        before = await client.get("/users/alice", headers=AP_ACCEPT)
        assert before.json()["xRobotsTag"] == "noai, noimageai, noarchive" and before.json()["tdmReservation"] == 1
        assert (await client.get("/@alice")).headers["x-robots-tag"] == "noai, noimageai, noarchive"

        response = await post_form(client, "/studio/profile", "/studio/profile",
                                   data={"display_name": "Alice", **OPT_IN})
        assert response.status_code == 303, errors_in(response.text)
        assert await stored_consent(art) == {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True,
                                             "search": False, "show_licence_line": False,
                                             "attribution": "Alice Ink / art.test"}
        # within the cache TTL: the same process saw the commit
        actor = (await client.get("/users/alice", headers=AP_ACCEPT)).json()
        assert actor["xRobotsTag"] == "noindex, noimageindex"
        assert actor["contentUsage"] == "train-ai=y, search=n"
        assert actor["tdmReservation"] == 0 and actor["indexable"] is False
        assert actor["creditText"] == "Alice Ink / art.test"
        profile = await client.get("/@alice")
        assert profile.headers["x-robots-tag"] == "noindex, noimageindex"
        assert profile.headers["content-usage"] == "train-ai=y, search=n"
        assert profile.headers["tdm-reservation"] == "0" and "tdm-policy" not in profile.headers
        assert parse(profile.text).meta("robots") == "noindex, noimageindex"
        # the form shows what is stored
        again = parse((await client.get("/studio/profile")).text)
        selected = {e.attrs.get("value") for e in again.all("option") if "selected" in e.attrs}
        assert {"allowed", "no", "yes"} <= selected
        assert again.one("input", id="consent_attribution").attrs["value"] == "Alice Ink / art.test"

    await network.drain()
    person = (await received(social, "Update", "Person"))[-1]
    assert person["xRobotsTag"] == "noindex, noimageindex"
    assert person["contentUsage"] == "train-ai=y, search=n" and person["tdmReservation"] == 0

    # back to the instance default
    async with browser(art) as client:
        await login(client, "alice")
        response = await post_form(client, "/studio/profile", "/studio/profile", data={"display_name": "Alice", **INHERIT})
        assert response.status_code == 303, errors_in(response.text)
        assert await stored_consent(art) is None
        actor = (await client.get("/users/alice", headers=AP_ACCEPT)).json()
        assert actor["xRobotsTag"] == "noai, noimageai, noarchive" and actor["tdmReservation"] == 1
        assert (await client.get("/@alice")).headers["x-robots-tag"] == "noai, noimageai, noarchive"
    await network.drain()
    assert (await received(social, "Update", "Person"))[-1]["contentUsage"] == "train-ai=n, search=y"


async def test_consent_form_is_csrf_protected_and_validated(network: Network) -> None:
    art, _social = await setup(network)
    async with browser(art) as client:
        await login(client, "alice")
        await token(client, "/studio/profile")
        forged = await client.post("/studio/profile", data={"display_name": "Alice", **OPT_IN})
        assert forged.status_code == 403
        wrong = await client.post("/studio/profile", data={"csrf_token": "x" * 43, "display_name": "Alice", **OPT_IN})
        assert wrong.status_code == 403
        csrf = await token(client, "/studio/profile")
        cross = await client.post("/studio/profile", data={"csrf_token": csrf, **OPT_IN},
                                  headers={"Origin": "https://evil.test"})
        assert cross.status_code == 403
        assert await stored_consent(art) is None
        bad = await post_form(client, "/studio/profile", "/studio/profile",
                              data={"display_name": "Alice", **OPT_IN, "consent_ai_training": "sometimes"})
        assert bad.status_code == 400 and 'id="consent_ai_training-error"' in bad.text
        newline = await post_form(client, "/studio/profile", "/studio/profile",
                                  data={"display_name": "Alice", "consent_attribution": "Alice\nInk"})
        assert newline.status_code == 400, newline.text[:300]
        assert await stored_consent(art) is None
        # a form without the consent fields leaves the stored choice alone
        ok = await post_form(client, "/studio/profile", "/studio/profile", data={"display_name": "Alice", **OPT_IN})
        assert ok.status_code == 303
        ok = await post_form(client, "/studio/profile", "/studio/profile", data={"display_name": "Alice A."})
        assert ok.status_code == 303
        assert (await stored_consent(art))["ai_training"] == "allowed"
    # signed out: no change at all
    async with browser(art) as client:
        response = await client.post("/studio/profile", data=INHERIT)
        assert response.status_code == 403 and "You are not logged in" in response.text
    assert (await stored_consent(art))["ai_training"] == "allowed"


async def test_work_consent_override_round_trip(network: Network) -> None:
    art, social = await setup(network)
    work = await post_work(art, "alice", title="Fox", alts=("A fox",))
    media = art.rt.uris.media(work.images[0].display_key)
    edit = f"/studio/works/{work.public_id}/edit"
    fields = {"title": "Fox", "description": "", "visibility": "public", "alt1": "A fox"}
    async with browser(art) as client:
        await login(client, "alice")
        form = await client.get(edit)
        assert form.status_code == 200 and 'id="consent_ai_training"' in form.text
        assert "Your default (No AI training at all)" in form.text
        assert (await client.get(media)).headers["x-robots-tag"] == "noai, noimageai, noarchive"
        assert (await client.get(work.uri, headers=AP_ACCEPT)).json()["contentUsage"] == "train-ai=n, search=y"
        response = await post_form(client, edit, edit, data={**fields, "consent_ai_training": "allowed",
                                                             "consent_show_licence_line": "no"})
        assert response.status_code == 303, errors_in(response.text)
        async with art.rt.sessions() as session:
            stored = await work_db.by_public_id(session, work.public_id)
        assert stored is not None and stored.consent == {"ai_training": "allowed", "show_licence_line": False}
        note = (await client.get(work.uri, headers=AP_ACCEPT)).json()
        assert note["contentUsage"] == "train-ai=y, search=y" and note["aiTraining"] == "allowed"
        await network.drain()  # the files are re-stamped with the new record: new bytes, new URL
        async with art.rt.sessions() as session:
            restamped = await work_db.by_public_id(session, work.public_id)
        assert restamped is not None and restamped.images[0].display_key != work.images[0].display_key
        assert (await client.get(media)).status_code == 404  # the old file, with the old record inside
        media = art.rt.uris.media(restamped.images[0].display_key)
        # training allowed, but the instance's TDM reservation and AI-input refusal still hold
        assert (await client.get(media)).headers["x-robots-tag"] == "noarchive"
        assert (await client.get(f"/@alice/{work.public_id}")).headers["content-usage"] == "train-ai=y, search=y"
        assert (await client.get("/@alice")).headers["content-usage"] == "train-ai=n, search=y"  # the artist's
        bad = await post_form(client, edit, edit, data={**fields, "consent_ai_training": "maybe"})
        assert bad.status_code == 400
        back = await post_form(client, edit, edit, data={**fields, "consent_ai_training": "",
                                                         "consent_show_licence_line": ""})
        assert back.status_code == 303
        async with art.rt.sessions() as session:
            stored = await work_db.by_public_id(session, work.public_id)
        assert stored is not None and stored.consent is None
    await network.drain()
    notes = await received(social, "Update", "Note")
    usages = [n["contentUsage"] for n in notes]  # the edits, plus the re-stamps of the image files they caused
    assert "train-ai=y, search=y" in usages and usages[-1] == "train-ai=n, search=y"


async def test_new_work_form_sets_the_works_consent_from_the_start(network: Network) -> None:
    art, social = await setup(network)
    fields = {"title": "Heron", "description": "", "visibility": "public", "alt1": "A heron"}
    image = {"image1": ("heron.jpg", jpeg(), "image/jpeg")}
    async with browser(art) as client:
        await login(client, "alice")
        form = await client.get("/studio/new")
        assert form.status_code == 200 and 'id="consent_ai_training"' in form.text
        assert 'id="consent_show_licence_line"' in form.text
        assert "Your default (No AI training at all)" in form.text
        bad = await post_form(client, "/studio/new", "/studio/new",
                              data={**fields, "consent_ai_training": "maybe"}, files=image)
        assert bad.status_code == 400 and "Consent: Choose one of the listed options." in bad.text
        assert 'value="Heron"' in bad.text  # the form comes back filled in
        async with art.rt.sessions() as session:
            assert await work_db.newest(session, (await account_db.local_by_username(session, "alice")).id,
                                        limit=5, offset=0, public_only=False) == []
        response = await post_form(client, "/studio/new", "/studio/new",
                                   data={**fields, "consent_ai_training": "allowed", "consent_show_licence_line": ""},
                                   files=image)
        assert response.status_code == 303, errors_in(response.text)
        async with art.rt.sessions() as session:
            account = await account_db.local_by_username(session, "alice")
            [work] = await work_db.newest(session, account.id, limit=5, offset=0, public_only=False)
        assert work.consent == {"ai_training": "allowed"}  # "inherit" is left out of the override
        note = (await client.get(work.uri, headers=AP_ACCEPT)).json()
        assert note["aiTraining"] == "allowed" and note["contentUsage"] == "train-ai=y, search=y"
        media = await client.get(art.rt.uris.media(work.images[0].large_key))
        assert media.headers["x-robots-tag"] == "noarchive"  # training allowed; the instance's TDM reservation holds
        with Image.open(io.BytesIO(media.content)) as im:  # the file is stamped with the work's record
            stamped = read_xmp(im.info.get("xmp")).first("plus:DataMining")
        expected = read_xmp(consent_service.image_xmp(art.rt.settings, art.rt.uris, work)).first("plus:DataMining")
        artists = read_xmp(xmp_packet(consent_service.for_account(art.rt.settings, account))).first("plus:DataMining")
        assert stamped == expected != artists
    await network.drain()
    [create] = await received(social, "Create", "Note")
    assert create["contentUsage"] == "train-ai=y, search=y"
