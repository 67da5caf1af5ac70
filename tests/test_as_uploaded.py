"""Glaze-safe publishing: a work published "as uploaded" serves the artist's own file as its large rendition, the
same pixels (the same JPEG scan bytes), no EXIF/GPS left, our consent XMP in it; refusals are clear and leave
nothing stored; the consent audit reports such renditions."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from fediverse.imaging.lossless import jpeg_image_data
from fediverse.services.consent_audit import audit
from tests import imagecorpus
from tests.federation.helpers import make_user
from tests.support import Network, RoutingTransport
from tests.web.panel_client import PASSWORD, browser, csrf_of, errors_in, login
from tests.web.test_studio import stored_files, works_of

PLUS = "http://ns.useplus.org/ldf/vocab/"
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def gps_file(fmt: str) -> bytes:
    """A 1600x1000 photo (larger than the display rendition) with camera EXIF and GPS in it; the JPEG also has
    XMP with GPS and a comment."""
    im = imagecorpus.photo(1600, 1000, seed=5)
    exif = imagecorpus.exif_bytes(gps=True)
    if fmt == "JPEG":
        return imagecorpus.jpeg(im, exif=exif, xmp=imagecorpus.xmp_packet(gps=True), comment=b"at 52.52N 13.41E")
    return imagecorpus.encode(im, fmt, exif=exif, **({"quality": 80} if fmt == "WEBP" else {}))


async def upload(client, files: list, as_uploaded: bool = True):  # type: ignore[no-untyped-def]
    csrf = csrf_of((await client.get("/studio/new")).text)
    data = {"csrf_token": csrf, "title": "Glazed", **{f"alt{n}": f"Glazed study {n}" for n in range(1, len(files) + 1)}}
    if as_uploaded:
        data["as_uploaded"] = "1"
    return await client.post("/studio/new", data=data, files=files)


def assert_published_as_uploaded(original: bytes, served: bytes, tmp_path: Path) -> None:
    """What a Glazed upload needs: same pixels, no EXIF or GPS (Pillow and ExifTool), our consent XMP."""
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(served)) as after:
        assert after.size == before.size and after.mode == before.mode
        assert after.tobytes() == before.tobytes()
        assert not after.getexif() and not after.getexif().get_ifd(0x8825)
        xmp = after.info.get("xmp") or b""
    xmp = xmp.encode() if isinstance(xmp, str) else xmp
    assert (PLUS + "DMI-PROHIBITED").encode() in xmp
    assert b"GPSLatitude" not in served and b"Fujifilm" not in served
    if shutil.which("exiftool"):
        path = tmp_path / "served.bin"
        path.write_bytes(served)
        tags = json.loads(subprocess.run(["exiftool", "-j", "-G1", str(path)], capture_output=True, text=True,
                                         check=True, timeout=60).stdout)[0]
        assert not [key for key in tags if "GPS" in key], tags
        assert not [key for key in tags if key.endswith((":Make", ":Model"))], tags
        assert any(key.endswith(":DataMining") for key in tags), tags


@pytest.mark.requires("exiftool")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_the_studio_checkbox_publishes_the_artists_own_pixels(network: Network, fmt: str,
                                                                    tmp_path: Path) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    original = gps_file(fmt)
    async with browser(art) as client:
        await login(client, "alice")
        page = await client.get("/studio/new")
        assert 'name="as_uploaded"' in page.text and "Glaze or Nightshade" in page.text
        assert "does not protect the smaller display and thumbnail copies" in page.text
        response = await upload(client, [("image1", (f"art.{fmt.lower()}", original, "application/octet-stream"))])
        assert response.status_code == 303, errors_in(response.text)
        [work] = await works_of(art)
        [image] = work.images
        assert image.as_uploaded and image.large_width == 1600 and image.large_height == 1000
        served = await client.get(f"/media/{image.large_key}")
        display = await client.get(f"/media/{image.display_key}")
    assert served.status_code == 200 and served.headers["content-type"] == MIME[fmt]
    assert_published_as_uploaded(original, served.content, tmp_path)
    if fmt == "JPEG":
        assert jpeg_image_data(served.content) == jpeg_image_data(original)  # the compressed scan, byte for byte
    # display and thumbnail are derived as always (re-encoded, stamped)
    assert display.status_code == 200 and display.content != served.content
    with Image.open(io.BytesIO(display.content)) as shown:
        assert shown.size == (1280, 800)
    assert b"DMI-PROHIBITED" in display.content


async def test_without_the_checkbox_the_large_rendition_is_re_encoded(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    original = gps_file("PNG")
    async with browser(art) as client:
        await login(client, "alice")
        assert (await upload(client, [("image1", ("a.png", original, "image/png"))], as_uploaded=False)).status_code == 303
    [work] = await works_of(art)
    assert not work.images[0].as_uploaded


@pytest.mark.parametrize("name,data,expected", [
    ("rotated.jpg", imagecorpus.rotated_jpeg(), "EXIF orientation (6)"),
    ("still.gif", imagecorpus.static_gif(), "takes JPEG, PNG or WebP files, not GIF"),
    ("huge.png", imagecorpus.encode(Image.new("L", (4000, 100), 9), "PNG"),
     "larger than the large rendition's 3840x2160 ([media] large_max_width"),
    # Pillow decodes these two; their structure cannot be copied safely
    ("no-end.jpg", imagecorpus.plain_jpeg()[:-2], "JPEG structure is truncated (scan data has no end)"),
    ("lying.jpg", imagecorpus.plain_jpeg()[:-2] + b"\xff\xe1\xff\xff",
     "JPEG structure is truncated (segment 0xFFE1 runs past the end of the file)"),
])
async def test_refusals_name_the_reason_and_store_nothing(network: Network, name: str, data: bytes,
                                                          expected: str) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        response = await upload(client, [("image1", ("fine.png", gps_file("PNG"), "image/png")),
                                         ("image2", (name, data, "application/octet-stream"))])
    assert response.status_code == 400
    assert expected in response.text.replace("&#39;", "'").replace("&#x27;", "'")
    assert await works_of(art) == []
    assert stored_files(art) == []  # image 1 was stored first, then removed again


async def test_over_the_byte_limit_is_refused_naming_the_setting(network: Network) -> None:
    art = await network.add("art.test", media={"as_uploaded_max_bytes": 2000})
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        response = await upload(client, [("image1", ("a.png", gps_file("PNG"), "image/png"))])
    assert response.status_code == 400
    assert "limit for as-uploaded files ([media] as_uploaded_max_bytes" in response.text
    assert await works_of(art) == [] and stored_files(art) == []


async def test_a_hostile_file_is_refused_with_a_clear_message_and_nothing_stored(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        response = await upload(client, [("image1", ("cut.jpg", imagecorpus.truncated_jpeg(), "image/jpeg"))])
    assert response.status_code == 400 and "truncated" in response.text
    assert await works_of(art) == [] and stored_files(art) == []


async def test_the_consent_audit_reports_as_uploaded_renditions(network: Network) -> None:
    from fediverse.services.consent_audit import as_uploaded_paths
    from fediverse.services.works import ImageUpload, WorkInput, create_work
    from tests.federation.helpers import user

    art = await network.add("art.test")
    await make_user(art, "alice")
    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await create_work(art.rt, session, me, WorkInput(title="Glazed", as_uploaded=True),
                          [ImageUpload(data=gps_file("PNG"), alt_text="A glazed heron")])
    async with art.rt.sessions() as session:
        paths = await as_uploaded_paths(session)
    [work] = await works_of(art)
    assert paths == {f"/media/{work.images[0].large_key}"}
    report = await audit("alice@art.test", our_hosts=["art.test"], allow_private=True,
                         transport=RoutingTransport(network), as_uploaded=paths)
    found = [{c.label(): (c.status, c.value) for c in item.checks} for item in report.items if item.kind == "media"]
    marked = [checks for checks in found if "as-uploaded" in checks]
    assert len(marked) == 1
    assert marked[0]["as-uploaded"] == ("present", "the artist's own file, consent XMP carried")
    assert report.exit_code() == 0
