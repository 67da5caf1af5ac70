"""The entities no public endpoint returns yet (the signed-in endpoints will): Relationship, Notification,
Application and Tag, built from typed objects and checked against Mastodon.py's declarations; and the time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from fediverse.api import entities
from fediverse.config import Settings
from fediverse.models import Account, Notification
from tests.api.mastodon_types import assert_entity

SETTINGS = Settings()


def remote_account() -> Account:
    return Account(id=7, uri="https://social.test/users/erin", handle="erin@social.test", username="erin",
                   domain="social.test", actor_type="Service", display_name="", summary="", url=None,
                   icon_url="https://social.test/a.png", image_url=None, manually_approves_followers=True,
                   discoverable=False, indexable=False,
                   fields=[{"name": "Web", "value": '<a href="https://e.test">x</a><script>alert(1)</script>'}, "junk"],
                   created_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))


def test_an_account_without_pictures_gets_the_default_images_and_a_remote_one_keeps_its_own() -> None:
    found = entities.account(SETTINGS, remote_account())
    assert_entity("Account", found)
    assert found["acct"] == "erin@social.test" and found["bot"] is True and found["locked"] is True
    assert found["avatar"] == "https://social.test/a.png" and found["header"].endswith("/static/header.png")
    assert found["fields"] == [{"name": "Web", "value": '<a href="https://e.test" rel="nofollow noopener noreferrer">'
                                                         'x</a>', "verified_at": None}]
    assert found["url"] == "https://social.test/users/erin" and found["created_at"] == "2024-05-06T00:00:00.000Z"


def test_relationship_notification_application_and_tag_decode() -> None:
    assert_entity("Relationship", entities.relationship(7, following=True, requested_by=True))
    account = entities.account(SETTINGS, remote_account())
    row = Notification(id=12, kind="like", created_at=datetime(2026, 1, 1, 12, 0, 0, 5000))
    liked = entities.notification(SETTINGS, row, account, None)
    assert_entity("Notification", liked)
    assert liked["type"] == "favourite" and liked["created_at"] == "2026-01-01T12:00:00.005Z"
    follow = entities.notification(SETTINGS, Notification(id=13, kind="follow", created_at=row.created_at), account, None)
    assert follow["type"] == "follow" and follow["status"] is None
    assert_entity("Application", entities.application("Tusky", "https://tusky.app", client_id="3",
                                                      redirect_uris=["oauth2redirect://tusky/"], scopes=["read"]))
    assert_entity("Tag", entities.tag(SETTINGS, "ink", "Ink"))


def test_times_are_utc_with_milliseconds_whatever_the_zone() -> None:
    east = datetime(2026, 3, 1, 1, 30, 15, 123999, tzinfo=timezone(timedelta(hours=2)))
    assert entities.timestamp(east) == "2026-02-28T23:30:15.123Z"
    assert entities.timestamp(datetime(2026, 3, 1)) == "2026-03-01T00:00:00.000Z"  # naive: stored as UTC


def test_bios_and_fields_are_html_as_apps_show_them_never_raw() -> None:
    local = Account(id=8, uri="https://art.test/users/alice", username="alice", domain=None, actor_type="Person",
                    display_name="Alice", summary="Ink & paper <3\nhttps://alice.example\n\nCommissions open",
                    icon_url=None, image_url=None, manually_approves_followers=False, discoverable=True,
                    indexable=True, fields=[{"name": "Shop", "value": "https://shop.example <b>now</b>"}],
                    created_at=datetime(2024, 5, 6, tzinfo=UTC))
    found = entities.account(SETTINGS, local)
    assert_entity("Account", found)
    assert found["note"] == "<p>Ink &amp; paper &lt;3<br>https://alice.example</p><p>Commissions open</p>"
    assert found["fields"][0]["value"] == ('<a href="https://shop.example" rel="me nofollow noopener" target="_blank">'
                                           'https://shop.example</a> &lt;b&gt;now&lt;/b&gt;')
    remote = remote_account()
    remote.summary = '<p>Hi</p><script>steal()</script><img src=x onerror="steal()">'
    note = entities.account(SETTINGS, remote)["note"]
    assert "<p>Hi</p>" in note and "script" not in note and "onerror" not in note


def test_attachment_ids_are_distinct_across_neighbouring_statuses_and_fit_a_signed_64_bit_integer() -> None:
    from fediverse import snowflake

    now = snowflake.snowflake_at(datetime(2026, 12, 7, tzinfo=UTC))
    late = snowflake.snowflake_at(datetime(2100, 1, 1, tzinfo=UTC))
    ids = [entities.attachment_id(status, n) for status in (now, now + 1, now + 2, late) for n in range(31)]
    assert len(set(ids)) == len(ids) and len(set(ids) & {str(now), str(now + 1), str(late)}) == 0
    assert all(0 < int(i) <= snowflake.MAX_ID for i in ids)
