"""`fediverse media purge-remote`: removes cached remote files by age or all, and refuses bad input clearly."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from fediverse.config import load_settings
from fediverse.db.migrate import upgrade
from fediverse.models import RemoteMedia, utcnow
from fediverse.runtime import create_runtime
from fediverse.storage import MediaStore
from tests.test_cli import database, home, run  # noqa: F401 - fixtures


def cache_two(home: Path) -> list[Path]:
    """Two cached copies: one used 40 days ago, one used now; returns their files."""
    settings = load_settings(home / "instance.toml")

    async def body() -> list[Path]:
        rt = create_runtime(settings)
        try:
            await upgrade(rt.engine)
            store = MediaStore(settings.media.root)
            paths = []
            async with rt.sessions() as session:
                for n, age in enumerate((40, 0)):
                    key = store.put_remote(f"image bytes {n}".encode(), "jpg")
                    session.add(RemoteMedia(url=f"https://far.test/{n}.jpg", storage_key=key, size=13,
                                            content_type="image/jpeg", last_used_at=utcnow() - timedelta(days=age)))
                    paths.append(store.open_remote(key))
                await session.commit()
            return [p for p in paths if p is not None]
        finally:
            await rt.close()

    return asyncio.run(body())


def test_purge_by_retention_then_everything(home: Path) -> None:
    old, fresh = cache_two(home)
    result = run(home, "media", "purge-remote")  # the retention: 30 days
    assert result.returncode == 0, result.stderr
    assert "purged 1 cached remote files (13 bytes)" in result.stdout
    assert not old.exists() and fresh.exists()
    result = run(home, "media", "purge-remote", "--older-than", "0")
    assert result.returncode == 0 and "purged 1 " in result.stdout and not fresh.exists()
    assert "purged 0 " in run(home, "media", "purge-remote", "--all").stdout


def test_all_removes_files_used_today(home: Path) -> None:
    old, fresh = cache_two(home)
    result = run(home, "media", "purge-remote", "--all")
    assert result.returncode == 0 and "purged 2 " in result.stdout
    assert not old.exists() and not fresh.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--older-than", "-3"], "must be 0 or more"),
    (["--older-than", "soon"], "is not a whole number of days"),
    (["--older-than", "3", "--all"], "not allowed with argument"),
])
def test_bad_input_is_refused_with_a_message(home: Path, args: list[str], message: str) -> None:
    result = run(home, "media", "purge-remote", *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["media"], ["media", "purge-remote"], ["media", "restamp"]])
def test_help(home: Path, args: list[str]) -> None:
    result = run(home, *args, "--help")
    assert result.returncode == 0 and "usage: fediverse" in result.stdout
    if args[1:] == ["purge-remote"]:
        assert "--older-than DAYS" in result.stdout and "--all" in result.stdout
    if args[1:] == ["restamp"]:
        assert "only this local artist's works" in result.stdout


def large_files(home: Path, username: str) -> list[Path]:
    """The large renditions of an artist's works, as stored now."""
    from sqlalchemy import select

    from fediverse.models import Account, Work

    settings = load_settings(home / "instance.toml")

    async def body() -> list[Path]:
        rt = create_runtime(settings)
        try:
            store = MediaStore(settings.media.root)
            async with rt.sessions() as session:
                works = await session.scalars(select(Work).join(Account, Work.account_id == Account.id)
                                              .where(Account.username == username))
                paths = [store.open_public(image.large_key) for work in works for image in work.images]
            return [p for p in paths if p is not None]
        finally:
            await rt.close()

    return asyncio.run(body())


def test_restamp_writes_the_current_record_into_files_stamped_before(home: Path) -> None:
    from tests import imagecorpus

    (home / "a.jpg").write_bytes(imagecorpus.plain_jpeg())
    for name in ("alice", "bob"):
        assert run(home, "user", "create", name).returncode == 0
        posted = run(home, "post", name, "--image", "a.jpg", "--alt", "A heron")
        assert posted.returncode == 0, posted.stderr
    [stale] = large_files(home, "alice")
    assert b"rightsstatements.org" in stale.read_bytes()  # "all rights reserved", as stamped today
    stale.write_bytes(imagecorpus.plain_jpeg())  # as a file stamped by an older release: no such packet

    done = run(home, "media", "restamp", "alice")
    assert done.returncode == 0, done.stderr
    assert "re-stamped 1 of 1 works (0 already carried the current record)" in done.stdout
    [fresh] = large_files(home, "alice")
    assert b"rightsstatements.org" in fresh.read_bytes()
    again = run(home, "media", "restamp")
    assert "re-stamped 0 of 2 works (2 already carried the current record)" in again.stdout
    unknown = run(home, "media", "restamp", "nobody")
    assert unknown.returncode == 1 and "no local account 'nobody'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
