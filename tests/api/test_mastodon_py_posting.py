"""End to end with Mastodon.py against a real `fediverse serve` on loopback: an app gets a token (sign-in and
consent form over HTTP), uploads two images with alt text and focus (media_post, media_update), posts them as
one status (a work on the portfolio, with the default licence in the read-only `fediverse` object), edits it,
reads its source and history, posts a text status twice with one Idempotency-Key, and deletes (status_delete).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.api.mastodon_types import assert_entity
from tests.api.oauth_client import HIDDEN_RE, REDIRECT
from tests.browser.test_studio_browser import PASSWORD, running_server
from tests.web.panel_client import csrf_of

pytestmark = [pytest.mark.slow]


def _image(path: Path, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    Image.new("RGB", (320, 240), colour).save(path, "JPEG", quality=90)
    return path


def _code(base: str, client_id: str, scope: str) -> str:
    """Sign in and press Authorise on the consent page, as a person's browser would (without scripts)."""
    url = "/oauth/authorize?" + urlencode({"response_type": "code", "client_id": client_id,
                                           "redirect_uri": REDIRECT, "scope": scope})
    with httpx.Client(base_url=base, timeout=30) as browser:
        first = browser.get(url)
        assert first.status_code == 303, first.text
        login = browser.get(first.headers["location"])
        signed_in = browser.post("/login", data={"csrf_token": csrf_of(login.text), "username": "alice",
                                                 "password": PASSWORD, "next": url})
        assert signed_in.status_code == 303, signed_in.text
        page = browser.get(url)
        fields = {name: unescape(value) for name, value in HIDDEN_RE.findall(page.text)}
        answer = browser.post("/oauth/authorize", data={**fields, "decision": "authorise"})
        assert answer.status_code == 302, answer.text
        return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def test_mastodon_py_posts_a_work_with_alt_text_edits_and_deletes_it(tmp_path: Path) -> None:
    from mastodon import Mastodon
    from mastodon.return_types import MediaAttachment, Status, StatusEdit, StatusSource

    with running_server(tmp_path) as base:
        scope = ["read", "write"]
        client_id, client_secret = Mastodon.create_app("Poster", api_base_url=base, redirect_uris=REDIRECT,
                                                       scopes=scope)
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                       version_check_mode="none", request_timeout=60)
        api.log_in(code=_code(base, client_id, " ".join(scope)), redirect_uri=REDIRECT, scopes=scope,
                   allow_http=True)

        with _image(tmp_path / "boats.jpg", (200, 40, 40)).open("rb") as file:  # a path would be left open
            first = api.media_post(file, mime_type="image/jpeg", description="Red boats at the quay",
                                   focus=(0.5, -0.5))
        assert isinstance(first, MediaAttachment) and first.description == "Red boats at the quay"
        assert first.meta.focus.x == 0.5 and first.meta.focus.y == -0.5 and first.url.startswith(base)
        with _image(tmp_path / "fog.jpg", (40, 40, 200)).open("rb") as file:
            second = api.media_post(file, mime_type="image/jpeg", description="Fog")
        second = api.media_update(second, description="A lighthouse in blue fog", focus=(0.0, 0.25))
        assert second.description == "A lighthouse in blue fog" and second.meta.focus.y == 0.25

        posted = api.status_post("Harbour, twice #ink", media_ids=[first, second], visibility="public")
        assert isinstance(posted, Status)
        assert [m.description for m in posted.media_attachments] == ["Red boats at the quay",
                                                                     "A lighthouse in blue fog"]
        assert posted.media_attachments[0].meta.focus.x == 0.5
        assert posted.fediverse["kind"] == "work" and "license_url" in posted.fediverse  # her default: none set
        assert set(posted.fediverse["consent"]) == {"ai_training", "tdm_reserved", "ai_input", "search"}
        raw = httpx.get(f"{base}/api/v1/statuses/{posted.id}", timeout=30)
        assert raw.status_code == 200
        assert_entity("Status", raw.json())
        page = httpx.get(posted.url, timeout=30)  # the work's page on her portfolio
        assert page.status_code == 200 and "A lighthouse in blue fog" in page.text

        edited = api.status_update(posted, "Harbour, three times #ink", media_attributes=[
            api.generate_media_edit_attributes(posted.media_attachments[1], description="A lighthouse")])
        assert "three times" in edited.content and edited.media_attachments[1].description == "A lighthouse"
        source = api.status_source(posted)
        assert isinstance(source, StatusSource) and source.text == "Harbour, three times #ink"
        history = api.status_history(posted)
        assert len(history) == 1 and isinstance(history[0], StatusEdit)

        key = "mastodon-py-retry"
        note = api.status_post("Just words", idempotency_key=key)
        assert api.status_post("Just words", idempotency_key=key).id == note.id
        assert note.media_attachments == [] and note.fediverse is None

        deleted = api.status_delete(posted)
        assert deleted.id == posted.id and deleted.text == "Harbour, three times #ink"
        assert httpx.get(f"{base}/api/v1/statuses/{posted.id}", timeout=30).status_code == 404
        assert re.search(r"Just words", api.status(note.id).content)
        api.status_delete(note)
