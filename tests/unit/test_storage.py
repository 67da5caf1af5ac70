"""MediaStore: content-addressed keys, atomic and idempotent writes, private originals, safe key parsing."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from fediverse.imaging import derive, probe
from fediverse.storage import InvalidKey, MediaStore
from tests import imagecorpus as corpus


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_public_key_is_content_addressed_and_carries_the_artist(store: MediaStore) -> None:
    data = b"rendition bytes"
    digest = hashlib.sha256(data).hexdigest()
    key = store.put_public("ana", data, "jpg")
    assert key == f"ana/{digest[:2]}/{digest}.jpg"
    path = store.open_public(key)
    assert path is not None and path.read_bytes() == data
    assert store.public_url_path(key) == f"/media/ana/{digest[:2]}/{digest}.jpg"
    assert store.put_public("ana", data, ".JPG") == key  # extension normalised
    assert store.put_public("bo", data, "jpg") != key  # per artist


def test_put_is_idempotent_and_does_not_rewrite(store: MediaStore) -> None:
    key = store.put_public("ana", b"x" * 100, "png")
    path = store.open_public(key)
    assert path is not None
    inode, mtime = path.stat().st_ino, path.stat().st_mtime_ns
    assert store.put_public("ana", b"x" * 100, "png") == key
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (inode, mtime)
    assert len(_files(store.root)) == 1


def test_write_is_atomic_no_partial_or_temporary_file_is_left(store: MediaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put_public("ana", b"payload", "jpg")
    monkeypatch.undo()
    assert _files(store.root) == []  # neither the file nor its .tmp- sibling
    key = store.put_public("ana", b"payload", "jpg")
    assert [p.name for p in _files(store.root)] == [key.rsplit("/", 1)[1]]


def test_fsync_happens_before_the_rename(store: MediaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    store.put_public("ana", b"durable", "jpg")
    assert calls[:2] == ["fsync", "replace"]
    assert calls[-1] == "fsync"  # the directory, so the rename itself survives a crash


def test_originals_are_private_and_byte_exact(store: MediaStore) -> None:
    original = corpus.gps_jpeg()
    key = store.put_private("ana", original, "jpg")
    digest = hashlib.sha256(original).hexdigest()
    assert key == f"private/ana/{digest[:2]}/{digest}.jpg"
    path = store.open_private(key)
    assert path is not None and path.read_bytes() == original
    assert store.root / "private" in path.parents
    assert store.root / "public" not in path.parents
    # no way to reach it through the public route
    assert store.open_public(key) is None
    assert store.open_public(key.removeprefix("private/")) is None
    with pytest.raises(InvalidKey):
        store.public_url_path(key)
    # a public key does not open a private file either
    assert store.open_private(key.removeprefix("private/")) is None


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/etc/passwd",
        "ana/../../x",
        "ana/ab/../../../etc/passwd",
        "../ana/ab/" + "ab" + "0" * 62 + ".jpg",
        "ana/ab/ab" + "0" * 62 + ".jpg/..",
        "ana\\ab\\ab" + "0" * 62 + ".jpg",
        "Ana/ab/ab" + "0" * 62 + ".jpg",
        "./ab/ab" + "0" * 62 + ".jpg",
        "../ab/ab" + "0" * 62 + ".jpg",
        ".hidden/ab/ab" + "0" * 62 + ".jpg",
        "ana/cd/ab" + "0" * 62 + ".jpg",  # shard does not match the digest
        "ana/ab/ab" + "0" * 62 + ".jpg\x00.png",
        "ana//ab" + "0" * 62 + ".jpg",
        "ana/ab/ab" + "0" * 62 + ".jpg\n",
        "",
        "private",
    ],
)
def test_malformed_and_traversal_keys_are_refused(store: MediaStore, key: str) -> None:
    (store.root / "public").mkdir(parents=True)
    (store.root / "secret.txt").write_text("secret")
    assert store.open_public(key) is None
    assert store.open_private(key) is None
    with pytest.raises(InvalidKey):
        store.delete(key)
    with pytest.raises(InvalidKey):
        store.delete_private("private/" + key)
    with pytest.raises(InvalidKey):
        store.public_url_path(key)


@pytest.mark.parametrize("artist", ["..", ".", "Ana", "a/b", "", "-x", "ana\x00", "ana\n", "é", "a" * 65])
def test_bad_artist_names_are_refused_on_write(store: MediaStore, artist: str) -> None:
    with pytest.raises(InvalidKey):
        store.put_public(artist, b"x", "jpg")
    with pytest.raises(InvalidKey):
        store.put_private(artist, b"x", "jpg")
    assert _files(store.root) == []


@pytest.mark.parametrize("ext", ["", "../x", "j/pg", "jp g", "jpg\n", "toolongext"])
def test_bad_extensions_are_refused(store: MediaStore, ext: str) -> None:
    with pytest.raises(InvalidKey):
        store.put_public("ana", b"x", ext)


def test_symlink_in_the_public_tree_is_not_served(store: MediaStore, tmp_path: Path) -> None:
    key = store.put_public("ana", b"real", "jpg")
    path = store.open_public(key)
    assert path is not None
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"secret")
    path.unlink()
    path.symlink_to(outside)
    assert store.open_public(key) is None


def test_delete(store: MediaStore) -> None:
    key = store.put_public("ana", b"gone", "jpg")
    private = store.put_private("ana", b"original", "jpg")
    store.delete(key)
    store.delete_private(private)
    assert store.open_public(key) is None and store.open_private(private) is None
    store.delete(key)  # deleting twice is fine
    with pytest.raises(InvalidKey):
        store.delete(private)  # a private key is not a public key
    with pytest.raises(InvalidKey):
        store.delete_private(key)


@dataclass
class _Rendition:
    kind: str
    data: bytes
    ext: str


def test_put_upload_is_all_or_nothing(store: MediaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    existing = store.put_public("ana", b"shared", "jpg")  # stored earlier by another work
    renditions = [_Rendition("large", b"L", "jpg"), _Rendition("display", b"shared", "jpg"), _Rendition("thumbnail", b"T", "jpg")]
    real_write = store._write

    def failing_write(path: Path, data: bytes, **kwargs: bool) -> bool:
        if data == b"T":
            raise OSError("disk full")
        return real_write(path, data, **kwargs)

    monkeypatch.setattr(store, "_write", failing_write)
    with pytest.raises(OSError):
        store.put_upload("ana", b"ORIGINAL", "jpg", renditions)
    monkeypatch.undo()
    # what this upload created is gone; what existed before is untouched
    assert [p.read_bytes() for p in _files(store.root)] == [b"shared"]
    assert store.open_public(existing) is not None

    stored = store.put_upload("ana", b"ORIGINAL", "jpg", renditions)
    assert set(stored.renditions) == {"large", "display", "thumbnail"}
    assert stored.renditions["display"] == existing
    assert store.open_private(stored.original_key) is not None
    assert all(store.open_public(k) is not None for k in stored.renditions.values())


def test_whole_pipeline_into_the_store(store: MediaStore) -> None:
    data = corpus.gps_jpeg()
    p = probe(data, max_bytes=1 << 24, max_pixels=10**8, declared_mime="image/jpeg")
    d = derive(data, p, large_max=(160, 120), display_size=80, thumbnail_size=40)
    stored = store.put_upload("ana", data, p.ext, d.renditions)
    original = store.open_private(stored.original_key)
    assert original is not None and original.read_bytes() == data  # byte-for-byte
    for r in d.renditions:
        path = store.open_public(stored.renditions[r.kind])
        assert path is not None and path.read_bytes() == r.data
        assert b"GPS" not in r.data
    # a second identical upload stores nothing new
    before = _files(store.root)
    assert store.put_upload("ana", data, p.ext, d.renditions) == stored
    assert _files(store.root) == before
