"""Reading a panel POST: another site's form, an oversized body and a missing or wrong CSRF token are refused
with a sentence the person can act on; a form from our own page is read. Fast unit tests of
web/panel/forms.py behind the real session middleware (the full-app tests are tests/web/test_panel_origin.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from fediverse.config import Settings
from fediverse.web.panel import forms
from fediverse.web.panel.forms import PanelError, csrf_token, read_form
from fediverse.web.panel.sessions import PanelSessionMiddleware

BASE = "https://art.example"


async def _token(request: Request) -> Response:
    return PlainTextResponse(csrf_token(request))


async def _submit(request: Request) -> Response:
    try:
        form = await read_form(request, max_bytes=int(request.query_params.get("max", forms.SMALL_FORM_BYTES)))
    except PanelError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    return JSONResponse({name: forms.text(form, name) for name in form if name != forms.CSRF_FIELD})


async def _weak_token(request: Request) -> Response:
    request.session["csrf"] = "abc"  # e.g. a session written before tokens were this long
    return PlainTextResponse("")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings().replace(instance={"domain": "art.example", "scheme": "https"},
                                  server={"secret_key_file": str(tmp_path / "secret.key")})
    app = Starlette(routes=[Route("/studio/token", _token), Route("/studio/weak", _weak_token), Route("/studio/form", _submit, methods=["POST"])])
    app.state.runtime = SimpleNamespace(settings=settings)  # read_form reads only settings.base_url off it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(PanelSessionMiddleware(app, settings)),
                                 base_url=BASE) as http:
        yield http


async def _signed_in_token(client: httpx.AsyncClient) -> str:
    response = await client.get("/studio/token")
    assert response.status_code == 200
    return response.text


async def test_a_form_from_our_own_page_is_read(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    response = await client.post("/studio/form", data={"csrf_token": token, "title": "Heron"},
                                 headers={"Origin": BASE})
    assert response.status_code == 200
    assert response.json() == {"title": "Heron"}


async def test_the_csrf_token_stays_the_same_for_the_session(client: httpx.AsyncClient) -> None:
    first = await _signed_in_token(client)
    assert len(first) >= 32
    assert await _signed_in_token(client) == first


@pytest.mark.parametrize("origin", [
    "https://art.example.evil.test",  # starts like ours
    "https://evil.test",
    "http://art.example",  # our host, but not over https
    "null",
])
async def test_a_form_sent_from_another_origin_is_refused(client: httpx.AsyncClient, origin: str) -> None:
    token = await _signed_in_token(client)
    response = await client.post("/studio/form", data={"csrf_token": token}, headers={"Origin": origin})
    assert response.status_code == 403
    assert f"not from {BASE}" in response.text


async def test_our_origin_is_recognised_however_a_browser_spells_it(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    for origin in ("https://art.example/", "HTTPS://Art.Example"):
        response = await client.post("/studio/form", data={"csrf_token": token}, headers={"Origin": origin})
        assert response.status_code == 200, origin


async def test_without_origin_a_cross_site_fetch_is_refused_and_a_same_site_one_read(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    refused = await client.post("/studio/form", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "Cross-Site"})
    assert refused.status_code == 403
    assert "from another site" in refused.text
    for site in ("same-origin", None):
        headers = {"Sec-Fetch-Site": site} if site else {}
        assert (await client.post("/studio/form", data={"csrf_token": token}, headers=headers)).status_code == 200


@pytest.mark.parametrize("sent", [None, "", "x" * 43, "wrong"])
async def test_a_missing_or_wrong_csrf_token_is_refused(client: httpx.AsyncClient, sent: str | None) -> None:
    await _signed_in_token(client)
    data = {"title": "Heron"} | ({"csrf_token": sent} if sent is not None else {})
    response = await client.post("/studio/form", data=data, headers={"Origin": BASE})
    assert response.status_code == 403
    assert "security token is missing or wrong" in response.text


async def test_a_token_without_a_session_is_refused(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    client.cookies.clear()
    response = await client.post("/studio/form", data={"csrf_token": token}, headers={"Origin": BASE})
    assert response.status_code == 403


async def test_a_body_over_the_limit_is_refused_before_it_is_parsed(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    body = {"csrf_token": token, "text": "x" * 2000}
    declared = await client.post("/studio/form?max=1024", data=body, headers={"Origin": BASE})
    assert declared.status_code == 413
    assert "at most 1 KB can be sent at once" in declared.text

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the cap counts what arrives
        for _ in range(4):
            yield b"text=" + b"x" * 600 + b"&"

    streamed = await client.post("/studio/form?max=1024", content=chunks(),
                                 headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    just_fits = await client.post("/studio/form?max=4096", data=body, headers={"Origin": BASE})
    assert just_fits.status_code == 200


async def test_a_body_at_exactly_the_limit_is_read(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    payload = f"csrf_token={token}&text="
    payload += "x" * (1024 - len(payload))
    exact = await client.post("/studio/form?max=1024", content=payload.encode(),
                              headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
    assert exact.status_code == 200
    one_more = await client.post("/studio/form?max=1024", content=payload.encode() + b"x",
                                 headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
    assert one_more.status_code == 413


@pytest.mark.parametrize("declared", ["-1", "5000"])  # nonsense, or more than the limit: refused before reading
async def test_a_bad_or_too_large_declared_length_is_refused(client: httpx.AsyncClient, declared: str) -> None:
    token = await _signed_in_token(client)
    response = await client.post("/studio/form?max=1024", content=f"csrf_token={token}".encode(),
                                 headers={"Origin": BASE, "Content-Length": declared,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


async def test_an_unreadable_form_is_a_400_with_the_reason(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    fields = "&".join(f"f{i}=1" for i in range(201))
    response = await client.post("/studio/form", content=f"csrf_token={token}&{fields}".encode(),
                                 headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert response.text.startswith("The form could not be read: ")


def test_text_flag_and_upload_read_what_a_person_sent() -> None:
    picture = UploadFile(file=__import__("io").BytesIO(b"png"), filename="heron.png", size=3)
    empty = UploadFile(file=__import__("io").BytesIO(b""), filename="", size=0)
    form = FormData([("title", "Heron " * 10), ("on", "on"), ("off", "no"), ("picture", picture), ("none", empty)])
    assert forms.text(form, "title", limit=5) == "Heron"
    assert forms.text(form, "picture") == "" and forms.text(form, "missing") == ""
    assert [forms.flag(FormData([("f", v)]), "f") for v in ("1", "on", "true", "yes")] == [True] * 4
    assert not forms.flag(form, "off") and not forms.flag(form, "missing")
    assert forms.upload(form, "picture") is picture
    assert forms.upload(form, "none") is None and forms.upload(form, "title") is None
    named_but_empty = UploadFile(file=__import__("io").BytesIO(b""), filename="heron.png", size=0)
    assert forms.upload(FormData([("f", named_but_empty)]), "f") is named_but_empty  # so it can be refused as empty


def test_a_very_long_field_is_cut_at_100_000_characters_not_refused() -> None:
    assert forms.text(FormData([("about", "x" * 250_000)]), "about") == "x" * 100_000


def test_sizes_are_told_in_words_a_person_reads() -> None:
    assert forms.human_size(forms.SMALL_FORM_BYTES) == "256 KB"
    assert forms.human_size(100) == "1 KB"
    assert forms.human_size(1024 * 1024) == "1 MB"
    assert forms.human_size(1024 * 1024 - 1) == "1024 KB"
    assert forms.human_size(1.5 * 1024 * 1024) == "1.5 MB"
    assert forms.human_size(40 * 1024 * 1024) == "40 MB"
    assert forms.human_size(500 * 1024 * 1024) == "500 MB"


def test_an_upload_form_has_room_for_every_file_and_the_text_fields() -> None:
    settings = Settings().replace(media={"max_upload_bytes": 25 * 1024 * 1024})
    largest = settings.media.max_upload_bytes
    assert forms.multipart_limit(settings, 3) - forms.multipart_limit(settings, 2) == largest
    room = forms.multipart_limit(settings, 1) - largest
    assert 256 * 1024 <= room <= 4 * 1024 * 1024  # a long description and the boundaries, not another file


async def test_a_short_csrf_token_in_a_session_is_replaced_by_a_long_one(client: httpx.AsyncClient) -> None:
    await client.get("/studio/weak")
    token = await _signed_in_token(client)
    assert token != "abc" and len(token) >= 32


async def test_a_small_form_is_capped_at_256_kb_by_default(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    head = f"csrf_token={token}&text=".encode()
    for size, status in ((256 * 1024, 200), (256 * 1024 + 1, 413)):
        response = await client.post("/studio/form", content=head + b"x" * (size - len(head)),
                                     headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == status, size


async def test_a_streamed_body_is_cut_at_exactly_the_limit(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    head = f"csrf_token={token}&text=".encode()

    def streamed(size: int):  # type: ignore[no-untyped-def]
        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length
            yield head
            yield b"x" * (size - len(head))
        return chunks()

    for size, status in ((1024, 200), (1025, 413)):
        response = await client.post("/studio/form?max=1024", content=streamed(size),
                                     headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == status, size


async def test_a_form_is_read_with_up_to_200_fields(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    for extra, status in ((199, 200), (200, 400)):  # the CSRF token is a field too
        fields = "&".join(f"f{i}=1" for i in range(extra))
        response = await client.post("/studio/form", content=f"csrf_token={token}&{fields}".encode(),
                                     headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == status, extra


async def test_a_plain_form_takes_no_file(client: httpx.AsyncClient) -> None:
    token = await _signed_in_token(client)
    response = await client.post("/studio/form", data={"csrf_token": token},
                                 files={"picture": ("heron.png", b"png", "image/png")}, headers={"Origin": BASE})
    assert response.status_code == 400
    assert response.text.startswith("The form could not be read: ")


def test_a_refusal_carries_its_headers() -> None:
    error = PanelError(429, "Too many attempts; try again in a minute.", {"Retry-After": "60"})
    assert (error.status, error.headers) == (429, {"Retry-After": "60"})
    assert PanelError(403, "No.").headers == {}
