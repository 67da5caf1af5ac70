"""The `fediverse` command as an operator uses it: help, users, doctor, serve, and clear errors."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.backing import Backing, backing, clean_env, fediverse

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = [[], ["serve"], ["worker"], ["migrate"], ["user"], ["user", "create"], ["user", "list"],
               ["user", "show"], ["follow"], ["unfollow"], ["approve"], ["reject"], ["requests"], ["doctor"]]


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(fediverse(tmp_path / "instance.toml", *args), input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=clean_env())


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Backing]:
    """The CLI's database: the shipped SQLite default, or a fresh PostgreSQL one in the PostgreSQL pass."""
    with backing(tmp_path, jobs_through_redis=False) as where:
        yield where


@pytest.fixture
def home(tmp_path: Path, database: Backing) -> Path:
    """A directory with the shipped instance.toml (pointing at `database`), as an operator starts."""
    (tmp_path / "instance.toml").write_text(database.config((ROOT / "instance.toml").read_text()))
    return tmp_path


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda a: " ".join(a) or "top")
def test_every_subcommand_has_help(home: Path, args: list[str]) -> None:
    result = run(home, *args, "--help")
    assert result.returncode == 0
    assert "usage: fediverse" in result.stdout


def test_user_create_list_show_and_doctor(home: Path, database: Backing) -> None:
    created = run(home, "user", "create", "alice", "--role", "admin", "--password-stdin", "--name", "Alice",
                  stdin="correct horse battery\n")
    assert created.returncode == 0, created.stderr
    assert "http://localhost:8000/users/alice" in created.stdout
    listed = run(home, "user", "list")
    assert "alice" in listed.stdout and "admin" in listed.stdout
    shown = run(home, "user", "show", "alice")
    assert "followers: 0" in shown.stdout
    doctor = run(home, "doctor")
    assert doctor.returncode == 0, doctor.stdout
    assert "FAIL" not in doctor.stdout
    assert not list((home / "data").glob("*.pem"))
    database.check_used()  # the account is in PostgreSQL in the PostgreSQL pass, in SQLite otherwise


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "create", "Ünïcode"], "", "username may use"),
        (["user", "create", "actor"], "", "reserved"),
        (["user", "create", "bob", "--password-stdin"], "short\n", "at least 8"),
        (["user", "show", "nobody"], "", "no local account"),
        (["follow", "nobody", "x@y.test"], "", "no local account"),
    ],
)
def test_bad_cli_input_gets_a_clear_message_and_exit_1(home: Path, args: list[str], stdin: str, message: str) -> None:
    result = run(home, *args, stdin=stdin)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_username_is_refused(home: Path) -> None:
    assert run(home, "user", "create", "alice").returncode == 0
    again = run(home, "user", "create", "ALICE")
    assert again.returncode == 1
    assert "taken" in again.stderr


def test_follow_of_a_malformed_handle_is_refused(home: Path) -> None:
    assert run(home, "user", "create", "alice").returncode == 0
    result = run(home, "follow", "alice", "not-a-handle")
    assert result.returncode == 1
    assert "acct:user@domain" in result.stderr


def test_bad_config_stops_with_key_and_file(home: Path) -> None:
    (home / "instance.toml").write_text("[server]\nprot = 1\n")
    result = run(home, "doctor")
    assert result.returncode == 1
    assert "unknown key 'server.prot'" in result.stderr and "instance.toml" in result.stderr


def test_worker_without_redis_explains_itself(home: Path) -> None:
    result = run(home, "worker")
    assert result.returncode == 1
    assert "redis_url" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_on_a_fresh_directory_creates_the_database_and_answers(home: Path) -> None:
    port = _free_port()
    assert run(home, "user", "create", "alice").returncode == 0
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(fediverse(home / "instance.toml", "serve", "--port", str(port)), cwd=home,
                              env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/.well-known/webfinger",
                                     params={"resource": "acct:alice@localhost:8000"}, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                assert server.poll() is None, (home / "serve.log").read_text()
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["links"][1]["href"] == "http://localhost:8000/users/alice"
        actor = httpx.get(f"http://127.0.0.1:{port}/users/alice", headers={"Accept": "application/activity+json"})
        assert actor.json()["publicKey"]["owner"] == "http://localhost:8000/users/alice"
        page = httpx.get(f"http://127.0.0.1:{port}/@alice")
        assert page.headers["content-type"].startswith("text/html") and "@alice@localhost:8000" in page.text
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def test_post_publishes_a_work_and_refuses_missing_alt_text(home: Path) -> None:
    from tests import imagecorpus

    assert run(home, "user", "create", "alice").returncode == 0
    (home / "a.jpg").write_bytes(imagecorpus.plain_jpeg())
    (home / "b.png").write_bytes(imagecorpus.png_alpha())
    posted = run(home, "post", "alice", "--image", "a.jpg", "--alt", "A heron", "--image", "b.png", "--alt", "A reed",
                 "--title", "Marsh", "--text", "Ink #marsh", "--cw", "birds", "--license",
                 "https://creativecommons.org/licenses/by/4.0/")
    assert posted.returncode == 0, posted.stderr
    assert "http://localhost:8000/@alice/" in posted.stdout and "2 image(s)" in posted.stdout
    mismatched = run(home, "post", "alice", "--image", "a.jpg")
    assert mismatched.returncode == 1 and "one --alt per --image" in mismatched.stderr
    empty_alt = run(home, "post", "alice", "--image", "a.jpg", "--alt", " ")
    assert empty_alt.returncode == 1 and "alt text is required" in empty_alt.stderr
    missing = run(home, "post", "alice", "--image", "nope.jpg", "--alt", "x")
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_import_brings_a_folder_in_and_reports_what_it_skipped(home: Path) -> None:
    import json

    from tests import imagecorpus

    assert run(home, "user", "create", "alice").returncode == 0
    folder = home / "portfolio"
    folder.mkdir()
    (folder / "heron.jpg").write_bytes(imagecorpus.plain_jpeg())
    (folder / "heron.json").write_text(json.dumps({"title": "Heron", "alt": "A heron standing in reeds", "tags": ["ink"]}))
    (folder / "reed.png").write_bytes(imagecorpus.png_alpha())
    (folder / "reed.json").write_text(json.dumps({"alt": "Reeds", "colour": "green"}))
    (folder / "noalt.webp").write_bytes(imagecorpus.webp())
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.jpg").write_bytes(imagecorpus.truncated_jpeg())
    (folder / "broken.json").write_text(json.dumps({"alt": "Broken"}))
    result = run(home, "import", "alice", str(folder))
    assert result.returncode == 0, result.stderr
    assert "imported 1 work(s), skipped 4" in result.stdout
    assert "notes.txt: not an image file" in result.stdout
    assert "reed.png: sidecar reed.json is not valid: unknown keys colour" in result.stdout
    assert "noalt.webp: image 1: alt text is required" in result.stdout
    assert "broken.jpg:" in result.stdout and "truncated" in result.stdout
    assert run(home, "import", "alice", str(home / "missing")).returncode == 1


def _published_as_uploaded(home: Path, original: bytes) -> list[Path]:
    """The public files that are `original`'s pixels with our consent XMP and no EXIF (as-uploaded renditions)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(original)) as before:
        pixels = before.tobytes()
    found = []
    for path in (home / "media" / "public").rglob("*.*"):
        with Image.open(path) as after:
            if after.tobytes() == pixels and not after.getexif() and b"DMI-PROHIBITED" in path.read_bytes():
                found.append(path)
    return found


def test_post_and_import_as_uploaded_publish_the_artists_own_pixels(home: Path) -> None:
    import json

    from tests import imagecorpus

    assert run(home, "user", "create", "alice").returncode == 0
    glazed = imagecorpus.jpeg(imagecorpus.photo(1500, 900, seed=7), exif=imagecorpus.exif_bytes(gps=True))
    (home / "glazed.jpg").write_bytes(glazed)
    posted = run(home, "post", "alice", "--image", "glazed.jpg", "--alt", "A glazed heron", "--as-uploaded")
    assert posted.returncode == 0, posted.stderr
    assert len(_published_as_uploaded(home, glazed)) == 1
    (home / "turned.jpg").write_bytes(imagecorpus.rotated_jpeg())
    refused = run(home, "post", "alice", "--image", "turned.jpg", "--alt", "Turned", "--as-uploaded")
    assert refused.returncode == 1 and "EXIF orientation (6)" in refused.stderr and "export it upright" in refused.stderr

    folder = home / "portfolio"
    folder.mkdir()
    glazed_png = imagecorpus.encode(imagecorpus.photo(1400, 800, seed=8), "PNG", exif=imagecorpus.exif_bytes(gps=True))
    (folder / "reed.png").write_bytes(glazed_png)
    (folder / "reed.json").write_text(json.dumps({"alt": "Glazed reeds", "as_uploaded": True}))
    imported = run(home, "import", "alice", str(folder))
    assert imported.returncode == 0 and "imported 1 work(s), skipped 0" in imported.stdout, imported.stdout
    assert len(_published_as_uploaded(home, glazed_png)) == 1
