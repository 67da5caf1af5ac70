"""/media/<artist>/<sha2>/<sha256>.<ext>: content-addressed public renditions; originals and the rest unreachable."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote

from fediverse.models import Work
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import post_work

IMMUTABLE = "public, max-age=31536000, immutable"


async def setup(network: Network) -> tuple[Instance, Work, str, bytes]:
    art = await network.add("art.test")
    await make_user(art, "alice")
    work = await post_work(art, "alice", size=(900, 700))
    key = work.images[0].display_key
    data = (Path(art.rt.settings.media.root) / "public" / key).read_bytes()
    return art, work, f"/media/{key}", data


async def raw_get(art: Instance, raw_path: bytes) -> tuple[int, bytes]:
    """Call the app with the path exactly as uvicorn hands it over: percent-decoded, dot segments left in
    (httpx would clean `../` out of the URL before sending, so it cannot be used for this)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1", "method": "GET",
        "scheme": "https", "path": unquote(raw_path.decode("ascii")), "raw_path": raw_path, "query_string": b"",
        "root_path": "", "headers": [(b"host", b"art.test")], "client": ("127.0.0.1", 40000),
        "server": ("art.test", 443),
    }
    status = 0
    body = b""

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]  # type: ignore[assignment]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")  # type: ignore[operator]

    await art.app(scope, receive, send)
    return status, body


async def test_rendition_is_served_with_strong_etag_and_immutable_caching(network: Network) -> None:
    art, work, url, data = await setup(network)
    async with art.client() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'  # strong, and the content hash
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert url.startswith("/media/alice/")  # the artist is in the path


async def test_head_and_if_none_match(network: Network) -> None:
    art, _work, url, data = await setup(network)
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    async with art.client() as client:
        head = await client.head(url)
        same = await client.get(url, headers={"If-None-Match": etag})
        weak_in_list = await client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
        star = await client.get(url, headers={"If-None-Match": "*"})
        other = await client.get(url, headers={"If-None-Match": '"0000"'})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data)) and head.headers["etag"] == etag
    for response in (same, weak_in_list, star):
        assert response.status_code == 304 and response.content == b""
        assert response.headers["etag"] == etag and response.headers["cache-control"] == IMMUTABLE
    assert other.status_code == 200 and other.content == data


async def test_byte_ranges(network: Network) -> None:
    art, _work, url, data = await setup(network)
    size = len(data)
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    async with art.client() as client:
        first = await client.get(url, headers={"Range": "bytes=0-99"})
        middle = await client.get(url, headers={"Range": "bytes=100-199"})
        tail = await client.get(url, headers={"Range": "bytes=-50"})
        open_end = await client.get(url, headers={"Range": f"bytes={size - 10}-"})
        past_end = await client.get(url, headers={"Range": f"bytes={size - 5}-{size + 100}"})
        head = await client.head(url, headers={"Range": "bytes=0-9"})
        if_range_ok = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
        if_range_stale = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert first.status_code == 206 and first.content == data[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}" and first.headers["content-length"] == "100"
    assert first.headers["etag"] == etag and first.headers["cache-control"] == IMMUTABLE
    assert middle.status_code == 206 and middle.content == data[100:200]
    assert tail.status_code == 206 and tail.content == data[-50:]
    assert tail.headers["content-range"] == f"bytes {size - 50}-{size - 1}/{size}"
    assert open_end.status_code == 206 and open_end.content == data[-10:]
    assert past_end.status_code == 206 and past_end.content == data[-5:]
    assert head.status_code == 206 and head.content == b"" and head.headers["content-range"] == f"bytes 0-9/{size}"
    assert if_range_ok.status_code == 206 and if_range_ok.content == data[:10]
    assert if_range_stale.status_code == 200 and if_range_stale.content == data


async def test_unsatisfiable_range_is_416(network: Network) -> None:
    art, _work, url, data = await setup(network)
    async with art.client() as client:
        beyond = await client.get(url, headers={"Range": f"bytes={len(data)}-"})
        far = await client.get(url, headers={"Range": f"bytes={len(data) + 1000}-{len(data) + 2000}"})
        empty_suffix = await client.get(url, headers={"Range": "bytes=-0"})
    for response in (beyond, far, empty_suffix):
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{len(data)}"


async def test_several_or_malformed_ranges_get_the_whole_file(network: Network) -> None:
    art, _work, url, data = await setup(network)
    async with art.client() as client:
        answers = [await client.get(url, headers={"Range": value}) for value in (
            "bytes=0-9,20-29", "bytes=0-1,0-1,0-1", "bytes=9-2", "bytes=abc", "items=0-9", "bytes=", "bytes=-",
            "bytes=" + "9" * 5000 + "-",
        )]
    for response in answers:
        assert response.status_code == 200, response.request.headers["range"][:40]
        assert response.content == data
        assert "content-range" not in response.headers


async def test_traversal_private_originals_and_unknown_keys_are_404(network: Network) -> None:
    art, work, url, data = await setup(network)
    root = Path(art.rt.settings.media.root)
    image = work.images[0]
    original = (root / image.original_key).read_bytes()  # stored privately, byte for byte
    original_digest = hashlib.sha256(original).hexdigest()
    (root / "public" / "secret.txt").write_text("not a key")
    shard, digest_name = url.split("/")[-2:]
    attempts = [
        f"/media/{image.original_key}".encode(),  # private/alice/…: the original's own key
        f"/media/alice/{original_digest[:2]}/{original_digest}.jpg".encode(),  # the original's hash as a public key
        b"/media/../private/" + image.original_key.removeprefix("private/").encode(),
        b"/media/%2e%2e/private/" + image.original_key.removeprefix("private/").encode(),
        b"/media/alice/%2e%2e/%2e%2e/db.sqlite3",
        b"/media/alice/..%2f..%2f..%2fdb.sqlite3",
        b"/media/%2Fetc%2Fpasswd",
        b"/media//etc/passwd",
        b"/media/secret.txt",
        f"/media/alice/{shard}/../{shard}/{digest_name}".encode(),
        f"/media/ALICE/{shard}/{digest_name}".encode(),
        f"/media/alice/{shard}/{digest_name}/".encode(),
        f"/media/alice/{shard}/{'0' * 64}.jpg".encode(),  # well-formed, nothing stored
        f"/media/bob/{shard}/{digest_name}".encode(),  # another artist's path
        b"/media/",
    ]
    for raw in attempts:
        status, body = await raw_get(art, raw)
        assert status == 404, raw
        assert original not in body and b"SQLite" not in body
    assert original != data
    assert await raw_get(art, url.encode()) == (200, data)  # the harness does reach files
