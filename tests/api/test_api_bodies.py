"""Every client API body is read by one capped reader (web.bodies): too large is a JSON 413 whether or not a
Content-Length was sent, an unreadable form a JSON 400, and neither writes anything."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fediverse.api.oauth_input import MAX_BODY
from tests.api.posting import counts, token
from tests.federation.helpers import make_user, user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, jpeg

UPLOAD_CAP = 40_000  # media.max_upload_bytes of the test instance: small, so a "too large" body stays cheap


@pytest.fixture
async def art(network: Network) -> Instance:
    art = await network.add("art.test", media={"max_upload_bytes": UPLOAD_CAP})
    await make_user(art, "alice", password=PASSWORD, display_name="Alice")
    return art


async def chunks(data: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    """A body sent without a Content-Length (chunked), as a streaming client would."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "fediverse-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f"Content-Type: {mime}\r\n\r\n".encode() + data + b"\r\n" for name, (filename, data, mime) in files.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_oversized_status_body_is_413_and_posts_nothing(art: Instance, declared: bool) -> None:
    headers = {**await token(art, "alice"), "Content-Type": "application/json"}
    body = b'{"status": "' + b"a" * MAX_BODY + b'"}'
    before = await counts(art)
    async with art.client() as client:
        answer = await client.post("/api/v1/statuses", headers=headers, content=body if declared else chunks(body))
    assert answer.status_code == 413, answer.text
    assert "too large" in answer.json()["error"]
    assert await counts(art) == before


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_upload_past_the_cap_is_413_and_stores_nothing(art: Instance, declared: bool) -> None:
    headers = await token(art, "alice")
    body, content_type = multipart({"description": "Too big"},
                                   {"file": ("big.jpg", b"\xff\xd8" + b"\0" * (UPLOAD_CAP + 80_000), "image/jpeg")})
    before = await counts(art)
    async with art.client() as client:
        answer = await client.post("/api/v2/media", headers={**headers, "Content-Type": content_type},
                                   content=body if declared else chunks(body))
        assert answer.status_code == 413, answer.text
        small = await client.post("/api/v2/media", headers=headers, data={"description": "Fits"},
                                  files={"file": ("ok.jpg", jpeg(), "image/jpeg")})
    assert small.status_code == 200, small.text  # the cap is the instance's upload limit, not lower
    assert (await counts(art))["MediaUpload"] == before["MediaUpload"] + 1


async def test_a_profile_update_past_the_cap_is_413_and_changes_nothing(art: Instance) -> None:
    headers = await token(art, "alice", "read write")
    huge = b"\xff\xd8" + b"\0" * 700_000  # two of them pass 2 uploads + the 1 MB form margin
    body, content_type = multipart({"display_name": "Mallory"}, {"avatar": ("a.jpg", huge, "image/jpeg"),
                                                                 "header": ("h.jpg", huge, "image/jpeg")})
    async with art.client() as client:
        answer = await client.patch("/api/v1/accounts/update_credentials",
                                    headers={**headers, "Content-Type": content_type}, content=chunks(body))
    assert answer.status_code == 413, answer.text
    assert (await user(art, "alice")).account.display_name == "Alice"


@pytest.mark.parametrize(("path", "method"), [("/api/v1/statuses", "POST"), ("/api/v2/media", "POST"),
                                              ("/api/v1/accounts/update_credentials", "PATCH")])
async def test_an_unreadable_form_is_a_400_naming_it_and_writes_nothing(art: Instance, path: str, method: str) -> None:
    headers = {**await token(art, "alice", "read write"),
               "Content-Type": "multipart/form-data"}  # no boundary: the parts cannot be told apart
    before = await counts(art)
    async with art.client() as client:
        answer = await client.request(method, path, headers=headers,
                                      content=b'--cut\r\nContent-Disposition: form-data; name="status"\r\n\r\nhalf')
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("the form could not be read")
    assert await counts(art) == before
    assert (await user(art, "alice")).account.display_name == "Alice"
