"""The upload form's enhanced path (static/upload.js): per-file answers in JSON, order kept, nothing half-written;
and the plain form post names every refused file too."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.models import Work
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, csrf_of, errors_in, jpeg, login, post_form

JSON = {"Accept": "application/json"}


async def _works(instance: Instance) -> list[Work]:
    async with instance.rt.sessions() as session:
        account = await account_db.local_by_username(session, "alice")
        assert account is not None
        return await work_db.portfolio(session, account.id, limit=100, offset=0)


def _stored_files(instance: Instance) -> list[Path]:
    root = Path(instance.rt.settings.media.root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 128).save(out, "PNG")
    return out.getvalue()


async def _artist(network: Network) -> Instance:
    art = await network.add("art.test", media={"max_pixels": 1_000_000})
    await make_user(art, "alice", password=PASSWORD)
    return art


async def _send(client, data: dict[str, str], files: list, json: bool = True):  # type: ignore[no-untyped-def]
    """Post the upload form as the script does (Accept: application/json) or as a plain browser."""
    csrf = csrf_of((await client.get("/studio/new")).text)
    return await client.post("/studio/new", data={"csrf_token": csrf, **data}, files=files,
                             headers=JSON if json else {})


async def test_the_script_gets_each_refused_file_by_its_place_and_nothing_is_written(network: Network) -> None:
    art = await _artist(network)
    async with browser(art) as client:
        await login(client, "alice")
        response = await _send(client, {"title": "Three", "alt1": "fine", "alt2": "huge", "alt3": "text"}, [
            ("image1", ("ok.jpg", jpeg(), "image/jpeg")),
            ("image2", ("huge (1).png", _png(1200, 1000), "image/png")),  # 1.2 MP: over this instance's 1 MP
            ("image3", ("notes.jpg", b"just some words, not a picture", "image/jpeg")),
        ])
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False and body["errors"] == []
    assert set(body["images"]) == {"2", "3"}
    assert body["images"]["2"]["code"] == "too_many_pixels"
    assert "1200x1000" in body["images"]["2"]["error"] and "over the 1 MP limit" in body["images"]["2"]["error"]
    assert body["images"]["3"]["code"] == "not_an_image"
    assert await _works(art) == []
    assert _stored_files(art) == []  # image 1 was processed and stored first, then removed again


async def test_the_plain_form_names_every_refused_file_next_to_its_slot(network: Network) -> None:
    art = await _artist(network)
    async with browser(art) as client:
        await login(client, "alice")
        response = await _send(client, {"title": "Kept title", "alt1": "huge", "alt2": "fine", "alt3": "text"}, [
            ("image1", ("huge.png", _png(1200, 1000), "image/png")),
            ("image2", ("ok.jpg", jpeg(), "image/jpeg")),
            ("image3", ("notes.jpg", b"just some words", "image/jpeg")),
        ], json=False)
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert re.search(r'id="image1-error">Image is 1200x1000', response.text), errors_in(response.text)
    assert 'id="image2-error"' not in response.text
    assert re.search(r'id="image3-error">', response.text), errors_in(response.text)
    assert 'value="Kept title"' in response.text
    assert await _works(art) == [] and _stored_files(art) == []


async def test_missing_alt_texts_are_all_named_and_nothing_is_processed(network: Network) -> None:
    art = await _artist(network)
    async with browser(art) as client:
        await login(client, "alice")
        response = await _send(client, {"alt1": " ", "alt2": "fine", "alt3": ""}, [
            (f"image{n}", (f"{n}.jpg", jpeg(), "image/jpeg")) for n in (1, 2, 3)])
    assert response.status_code == 400
    images = response.json()["images"]
    assert set(images) == {"1", "3"} and {i["code"] for i in images.values()} == {"alt_text"}
    assert images["1"]["error"].startswith("Alt text is required")
    assert await _works(art) == [] and _stored_files(art) == []


async def test_the_script_publishes_in_the_order_sent_and_is_told_where_to_go(network: Network) -> None:
    art = await _artist(network)
    async with browser(art) as client:
        await login(client, "alice")
        response = await _send(client, {"title": "Order", "alt1": "Tall blue", "alt2": "Wide red", "alt3": "Square",
                                        "focal_x2": "0.5", "focal_y2": "-0.25"}, [
            ("image1", ("tall.jpg", jpeg(40, 60, (40, 40, 160)), "image/jpeg")),
            ("image2", ("wide.jpg", jpeg(64, 48, (200, 60, 40)), "image/jpeg")),
            ("image3", ("square.jpg", jpeg(50, 50), "image/jpeg")),
        ])
        assert response.status_code == 200, response.text
        [work] = await _works(art)
        assert response.json() == {"ok": True, "location": f"/studio#work-{work.public_id}"}
        assert "Published Order." in (await client.get("/studio")).text  # the message waits for the next page
    assert [(i.alt_text, i.width, i.height) for i in work.images] == [
        ("Tall blue", 40, 60), ("Wide red", 64, 48), ("Square", 50, 50)]
    assert (work.images[1].focal_x, work.images[1].focal_y) == (0.5, -0.25)


async def test_the_upload_page_runs_only_its_own_deferred_script(network: Network) -> None:
    art = await _artist(network)
    async with browser(art) as client:
        await login(client, "alice")
        page = await client.get("/studio/new")
        await post_form(client, "/studio/new", "/studio/new", {"alt1": "a", "title": "For the edit page"},
                        files=[("image1", ("a.jpg", jpeg(), "image/jpeg"))])
        [work] = await _works(art)
        edit = await client.get(f"/studio/works/{work.public_id}/edit")
        script = await client.get("/static/upload.js")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "img-src 'self' blob: data: https:;" in csp  # the previews of the picked files
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/upload.js" defer>']
    accepts = re.search(r'data-accept="([^"]+)"', page.text)
    assert accepts and {"image/jpeg", "image/jpg", "image/avif", "application/octet-stream"} <= set(accepts[1].split(","))
    assert "image/heic" not in accepts[1]  # refused in the page at once; the server refuses it too
    assert 'multiple accept="image/*"' in page.text and 'id="image1"' in page.text  # the plain slots stay for no-JS
    assert "script-src 'none'" in edit.headers["content-security-policy"] and "<script" not in edit.text
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
