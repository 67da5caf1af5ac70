"""Mastodon.py (the Python client most scripts use) against a real `fediverse serve` on loopback, without a token:
the instance, an account, its statuses, the public and tag timelines, a status and its context decode into its
entity classes with the values we posted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.backing import clean_env, fediverse
from tests.browser.test_studio_browser import _jpeg, running_server

pytestmark = [pytest.mark.slow]


def post(tmp_path: Path, *args: str) -> None:
    done = subprocess.run(fediverse(tmp_path / "instance.toml", "post", "alice", *args), capture_output=True,
                          text=True, timeout=120, env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_mastodon_py_reads_the_public_api_of_a_running_server(tmp_path: Path) -> None:
    from mastodon import Mastodon
    from mastodon.return_types import Account, Context, Instance, InstanceV2, Status

    with running_server(tmp_path) as base:
        image = _jpeg(tmp_path / "harbour.jpg")
        post(tmp_path, "--image", str(image), "--alt", "A lighthouse over green water", "--title", "Harbour",
             "--text", "Ink on paper #ink", "--license", "https://creativecommons.org/licenses/by/4.0/")
        post(tmp_path, "--image", str(image), "--alt", "The same, at night", "--title", "Night harbour",
             "--text", "Again #ink", "--visibility", "unlisted")
        api = Mastodon(api_base_url=base, request_timeout=30)
        instance = api.instance()  # v2 for a 4.x server
        assert isinstance(instance, InstanceV2) and instance.title == "Browser test"
        assert instance.configuration.statuses.max_media_attachments > 0
        v1 = api.instance_v1()
        assert isinstance(v1, Instance) and v1.uri == base.split("//")[1] and v1.stats.user_count == 1
        assert api.verify_minimum_version("4.2.0", cached=True)

        public = api.timeline_public()
        assert [s.content.split("</strong>")[0] for s in public] == ["<p><strong>Harbour"]  # unlisted: not listed
        work = public[0]
        assert isinstance(work, Status) and work.media_attachments[0].description == "A lighthouse over green water"
        assert work.created_at.tzinfo is not None and work.tags[0].name == "ink"
        assert work.fediverse["license_url"] == "https://creativecommons.org/licenses/by/4.0/"

        alice = api.account(work.account.id)
        assert isinstance(alice, Account) and alice.acct == "alice" and alice.statuses_count == 2
        assert alice.avatar.endswith("/static/avatar.png")
        own = api.account_statuses(alice.id)
        assert [s.visibility for s in own] == ["unlisted", "public"]
        assert [s.id for s in api.account_statuses(alice.id, only_media=True, limit=1)] == [own[0].id]
        older = api.fetch_next(api.account_statuses(alice.id, limit=1))
        assert [s.id for s in older] == [own[1].id]

        assert [s.id for s in api.timeline_hashtag("ink")] == [work.id]
        single = api.status(work.id)
        assert single.id == work.id and single.account.username == "alice"
        context = api.status_context(own[0].id)
        assert isinstance(context, Context) and context.ancestors == [] and context.descendants == []
