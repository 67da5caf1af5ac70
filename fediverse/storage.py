"""The media file store, rooted at ``[media] root`` (./media). Local disk now; the interface leaves room for S3.

Layout
    <root>/public/<artist>/<sha256[:2]>/<sha256>.<ext>     renditions, served at /media/<artist>/<sha2>/<sha>.<ext>
    <root>/private/<artist>/<sha256[:2]>/<sha256>.<ext>    originals, byte-for-byte; never served by the public route
    <root>/remote/<sha256[:2]>/<sha256>.<ext>              cached copies of remote media (re-stamped), a cache
                                                           that may be purged; served by token at /media/remote/…

Public keys are ``<artist>/<sha256[:2]>/<sha256>.<ext>``: content-addressed, so a URL never changes meaning and
can be cached forever (``Cache-Control: public, max-age=31536000, immutable``). Private keys are
``private/<artist>/<sha256[:2]>/<sha256>.<ext>``; they have a different shape and a different directory, so
``open_public`` can never return a private file, and a web server pointed at ``<root>/public`` cannot either.

Writes are atomic (temporary file in the target directory, fsync, rename, fsync of the directory) and
idempotent (the same bytes give the same key; a second put finds the file and writes nothing). ``put_upload``
stores an original and its renditions all-or-nothing: on any failure the files it created are removed again.

Deleting is by key. Content addressing means two works of one artist can share a file (the same picture
uploaded twice): callers delete a key only when no stored row refers to it any more.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ARTIST_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,63}$")
EXT_RE = re.compile(r"^[a-z0-9]{1,8}$")
_PUBLIC_KEY_RE = re.compile(r"^([a-z0-9_][a-z0-9_.-]{0,63})/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,8})$")
_PRIVATE_PREFIX = "private/"
REMOTE_PREFIX = "remote/"
_REMOTE_KEY_RE = re.compile(r"^remote/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,8})$")
URL_PREFIX = "/media/"


class InvalidKey(ValueError):
    """A key or artist name that does not have the allowed shape (traversal attempts included)."""


def _check_artist(artist: str) -> str:
    # The first character cannot be "." or "-", so "." and ".." (and hidden names) never pass.
    if not isinstance(artist, str) or not ARTIST_RE.fullmatch(artist):
        raise InvalidKey(f"artist name {artist!r} is not allowed in a media path ([a-z0-9_.-], up to 64)")
    return artist


def _check_ext(ext: str) -> str:
    ext = ext.lstrip(".").lower() if isinstance(ext, str) else ext
    if not isinstance(ext, str) or not EXT_RE.fullmatch(ext):
        raise InvalidKey(f"file extension {ext!r} is not allowed")
    return ext


def _parse_public(key: object) -> tuple[str, str, str, str] | None:
    if not isinstance(key, str) or len(key) > 200:
        return None
    m = _PUBLIC_KEY_RE.fullmatch(key)
    if not m:
        return None
    artist, shard, digest, ext = m.groups()
    if digest[:2] != shard:
        return None
    return artist, shard, digest, ext


def content_key(artist: str, data: bytes, ext: str) -> str:
    """The public key the bytes would get (no I/O)."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{_check_artist(artist)}/{digest[:2]}/{digest}.{_check_ext(ext)}"


class _RenditionLike(Protocol):
    kind: str
    data: bytes

    @property
    def ext(self) -> str: ...


@dataclass(frozen=True)
class StoredUpload:
    original_key: str  # private key
    renditions: dict[str, str] = field(default_factory=dict)  # kind -> public key


class MediaStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.public_root = self.root / "public"
        self.private_root = self.root / "private"

    # --- writing ----------------------------------------------------------------------------------------

    def put_public(self, artist: str, data: bytes, ext: str) -> str:
        """Store bytes as a public rendition; returns the key ``<artist>/<sha256[:2]>/<sha256>.<ext>``."""
        key = content_key(artist, data, ext)
        self._write(self.public_root / key, data)
        return key

    def put_private(self, artist: str, data: bytes, ext: str) -> str:
        """Store an original byte-for-byte, outside the public tree; returns ``private/<artist>/<sha2>/<sha>.<ext>``."""
        key = _PRIVATE_PREFIX + content_key(artist, data, ext)
        self._write(self.root / key, data)
        return key

    def put_upload(
        self, artist: str, original: bytes, original_ext: str, renditions: Iterable[_RenditionLike]
    ) -> StoredUpload:
        """The original (private) and every rendition (public), all or nothing.

        On failure, files this call created are removed (files that already existed are left alone), and the
        error is raised again.
        """
        created: list[Path] = []
        try:
            original_key = _PRIVATE_PREFIX + content_key(artist, original, original_ext)
            if self._write(self.root / original_key, original, sync_dir=False):
                created.append(self.root / original_key)
            keys: dict[str, str] = {}
            for r in renditions:
                key = content_key(artist, r.data, r.ext)
                if self._write(self.public_root / key, r.data, sync_dir=False):
                    created.append(self.public_root / key)
                keys[r.kind] = key
            for directory in dict.fromkeys(path.parent for path in created):  # each directory once
                _fsync_dir(directory)
            return StoredUpload(original_key, keys)
        except BaseException:
            for path in created:
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
            raise

    def _write(self, path: Path, data: bytes, *, sync_dir: bool = True) -> bool:
        """Atomically create ``path`` with ``data``; False if an identical file is already there."""
        try:
            if path.stat().st_size == len(data):
                return False  # content-addressed: same name and size = same bytes (renames are atomic)
        except FileNotFoundError:
            pass
        directory = path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        if sync_dir:
            _fsync_dir(directory)
        return True

    # --- reading ----------------------------------------------------------------------------------------

    def open_public(self, key: str) -> Path | None:
        """The file for a public key, or None when the key is malformed or nothing is stored under it."""
        parsed = _parse_public(key)
        if parsed is None:
            return None
        return _regular_file(self.public_root.joinpath(*key.split("/")))

    def open_private(self, key: str) -> Path | None:
        """The original for a private key (for the artist's own download route), or None."""
        if not isinstance(key, str) or not key.startswith(_PRIVATE_PREFIX):
            return None
        rest = key[len(_PRIVATE_PREFIX) :]
        if _parse_public(rest) is None:
            return None
        return _regular_file(self.private_root.joinpath(*rest.split("/")))

    # --- the remote media cache ------------------------------------------------------------------------------

    def put_remote(self, data: bytes, ext: str) -> str:
        """Store a cached copy of remote media; returns ``remote/<sha256[:2]>/<sha256>.<ext>``.

        Its own tree: a remote key can never name a local artist's file, and ``open_public`` never finds it."""
        digest = hashlib.sha256(data).hexdigest()
        key = f"{REMOTE_PREFIX}{digest[:2]}/{digest}.{_check_ext(ext)}"
        self._write(self.root.joinpath(*key.split("/")), data)
        return key

    def _remote_path(self, key: object) -> Path | None:
        if not isinstance(key, str) or len(key) > 200:
            return None
        m = _REMOTE_KEY_RE.fullmatch(key)
        if m is None or m.group(2)[:2] != m.group(1):
            return None
        return self.root.joinpath(*key.split("/"))

    def open_remote(self, key: str) -> Path | None:
        """The cached file for a remote key, or None when malformed or not (or no longer) stored."""
        path = self._remote_path(key)
        try:
            if path is None or not path.is_file() or path.is_symlink():
                return None
        except OSError:
            return None
        return path

    def delete_remote(self, key: str) -> None:
        path = self._remote_path(key)
        if path is None:
            raise InvalidKey(f"not a remote media key: {key!r}")
        self._unlink(path)

    def size_of(self, key: str) -> int:
        """Bytes stored under any kind of key (public, private, remote); 0 when nothing is there."""
        path = self.open_private(key) if key.startswith(_PRIVATE_PREFIX) else (
            self.open_remote(key) if key.startswith(REMOTE_PREFIX) else self.open_public(key))
        try:
            return path.stat().st_size if path is not None else 0
        except OSError:
            return 0

    def public_url_path(self, key: str) -> str:
        if _parse_public(key) is None:
            raise InvalidKey(f"not a public media key: {key!r}")
        return URL_PREFIX + key

    # --- deleting ---------------------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        """Remove a public file; a missing file is not an error, a malformed key is (InvalidKey)."""
        if _parse_public(key) is None:
            raise InvalidKey(f"not a public media key: {key!r}")
        self._unlink(self.public_root.joinpath(*key.split("/")))

    def delete_private(self, key: str) -> None:
        if not isinstance(key, str) or not key.startswith(_PRIVATE_PREFIX) or _parse_public(key[len(_PRIVATE_PREFIX) :]) is None:
            raise InvalidKey(f"not a private media key: {key!r}")
        self._unlink(self.private_root.joinpath(*key[len(_PRIVATE_PREFIX) :].split("/")))

    @staticmethod
    def _unlink(path: Path) -> None:
        # Empty shard directories are left in place: removing them could race a concurrent write into them.
        try:
            path.unlink()
        except FileNotFoundError:
            return


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _regular_file(path: Path) -> Path | None:
    """``path`` if it is a regular file (never a symlink a stored key could be made to point through), else None."""
    try:
        if not path.is_file() or path.is_symlink():
            return None
    except OSError:
        return None
    return path
